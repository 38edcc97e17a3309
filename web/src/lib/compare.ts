// One interrogation's observations beside the previous one: displayed value, delta, out-of-range
// and changed flags. Pure; the interrogation view renders the rows.
import { decimalsOf, formatDelta, formatNumber, formatUnit } from './format';
import { isAbnormalCode, limitsFor, termLabel } from './terms';

/** An observation as GET /api/v1/interrogations/{id} returns it (docs/idco-json.md). */
export interface Observation {
  code: number;
  term: string;
  known?: boolean;
  instance?: number;
  type?: string;
  value: unknown;
  unit?: string;
  flags?: string | string[];
  unparsed?: boolean;
}

export type Range = 'low' | 'high' | null;

export interface CompareRow {
  /** term, plus "#instance" when the instance is above 1 (unique within one table). */
  key: string;
  term: string;
  instance: number;
  label: string;
  /** The value as shown, without unit ("2.69", "DDDR", "—"). */
  value: string;
  unit: string;
  numeric: number | null;
  previous: string | null;
  /** current − previous for numbers, formatted with sign; "" when not comparable. */
  delta: string;
  deltaValue: number | null;
  /** Outside the reference limits, flagged by the sender, or an abnormal coded value. */
  outOfRange: Range | 'abnormal';
  /** A change larger than the term's allowed change (e.g. lead impedance ±30 %). */
  bigChange: boolean;
  /** The value differs from the previous interrogation's (settings: a reprogramming). */
  changed: boolean;
  /** Present in the previous interrogation only. */
  removed: boolean;
}

function isCoded(v: unknown): v is { mnemonic?: string; display?: string; text?: string; code?: string } {
  return typeof v === 'object' && v !== null && ('mnemonic' in v || 'display' in v || 'text' in v);
}

function isStructuredNumber(v: unknown): v is { comparator?: string; num1?: number; separator?: string; num2?: number } {
  return typeof v === 'object' && v !== null && 'num1' in v;
}

/** The value of an observation as text ("—" for empty). Coded values show their mnemonic. */
export function observationText(o: Pick<Observation, 'value'>): string {
  const v = o.value;
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (isCoded(v)) {
    const m = v.mnemonic || '';
    if (m) return m.replace(/_/g, ' ');
    return v.display || v.text || v.code || '—';
  }
  if (isStructuredNumber(v)) {
    const a = `${v.comparator ?? ''}${v.num1 ?? ''}`;
    return v.num2 !== undefined && v.num2 !== null ? `${a}${v.separator ?? ':'}${v.num2}` : a;
  }
  return JSON.stringify(v);
}

export function observationNumber(o: Pick<Observation, 'value'>): number | null {
  return typeof o.value === 'number' && Number.isFinite(o.value) ? o.value : null;
}

function mnemonicOf(o: Observation): string {
  return isCoded(o.value) ? (o.value.mnemonic ?? '') : '';
}

export function observationKey(o: Pick<Observation, 'term' | 'instance'>, group = 0): string {
  const base = group > 0 ? `${o.term}@${group}` : o.term;
  return (o.instance ?? 1) > 1 ? `${base}#${o.instance}` : base;
}

const SENDER_ABNORMAL = new Set(['H', 'HH', 'L', 'LL', 'A', 'AA', '>', '<', 'HU', 'LU']);

/** Where a value stands against the limits for its term and the sender's own OBX-8 flags. */
export function rangeOf(o: Observation): Range | 'abnormal' {
  const flags = Array.isArray(o.flags) ? o.flags : o.flags ? o.flags.split(/[~,]/) : [];
  for (const f of flags) {
    if (f === 'H' || f === 'HH' || f === '>' || f === 'HU') return 'high';
    if (f === 'L' || f === 'LL' || f === '<' || f === 'LU') return 'low';
    if (SENDER_ABNORMAL.has(f)) return 'abnormal';
  }
  const n = observationNumber(o);
  const lim = limitsFor(o.term);
  if (n !== null && lim) {
    if (lim.low !== undefined && n < lim.low) return 'low';
    if (lim.high !== undefined && n > lim.high) return 'high';
  }
  const m = mnemonicOf(o);
  if (m && isAbnormalCode(o.term, m)) return 'abnormal';
  return null;
}

/** Whether the change from `prev` to `cur` is larger than the term allows. */
export function isBigChange(term: string, cur: number, prev: number): boolean {
  const lim = limitsFor(term);
  if (!lim) return false;
  const d = Math.abs(cur - prev);
  if (lim.maxAbsoluteChange !== undefined && d > lim.maxAbsoluteChange + 1e-9) return true;
  if (lim.maxRelativeChange !== undefined && prev !== 0 && d / Math.abs(prev) > lim.maxRelativeChange + 1e-9) {
    return true;
  }
  return false;
}

/**
 * Rows for `current` in its order, each beside the observation with the same term and instance
 * in `previous` (null: no previous interrogation). Observations only in `previous` are appended
 * as removed rows so that a setting switched off is not silently lost.
 */
export function compareObservations(
  current: readonly Observation[],
  previous: readonly Observation[] | null,
  group = 0,
): CompareRow[] {
  const prevByKey = new Map<string, Observation>();
  for (const p of previous ?? []) prevByKey.set(observationKey(p, group), p);
  const seen = new Set<string>();
  const rows: CompareRow[] = [];
  for (const o of current) {
    const key = observationKey(o, group);
    if (seen.has(key)) continue;
    seen.add(key);
    const p = prevByKey.get(key);
    const value = observationText(o);
    const numeric = observationNumber(o);
    const prevText = p ? observationText(p) : null;
    const prevNum = p ? observationNumber(p) : null;
    let delta = '';
    let deltaValue: number | null = null;
    let bigChange = false;
    if (numeric !== null && prevNum !== null) {
      deltaValue = numeric - prevNum;
      const decimals = Math.max(decimalsOf(numeric), decimalsOf(prevNum));
      delta = formatDelta(deltaValue, decimals);
      bigChange = isBigChange(o.term, numeric, prevNum);
    }
    const changed = previous !== null && (p === undefined || prevText !== value || (p.unit ?? '') !== (o.unit ?? ''));
    rows.push({
      key,
      term: o.term,
      instance: o.instance ?? 1,
      label: termLabel(o.term),
      value,
      unit: formatUnit(o.unit),
      numeric,
      previous: prevText,
      delta,
      deltaValue,
      outOfRange: rangeOf(o),
      bigChange,
      changed,
      removed: false,
    });
  }
  for (const [key, p] of prevByKey) {
    if (seen.has(key)) continue;
    rows.push({
      key,
      term: p.term,
      instance: p.instance ?? 1,
      label: termLabel(p.term),
      value: '—',
      unit: formatUnit(p.unit),
      numeric: null,
      previous: observationText(p),
      delta: '',
      deltaValue: null,
      outOfRange: null,
      bigChange: false,
      changed: true,
      removed: true,
    });
  }
  return rows;
}

/** Zones (or any `{instance, observations}` groups) flattened and compared group by group. */
export function compareGroups(
  current: readonly { instance: number; observations: readonly Observation[] }[],
  previous: readonly { instance: number; observations: readonly Observation[] }[] | null,
): { instance: number; rows: CompareRow[] }[] {
  const prevByInstance = new Map<number, readonly Observation[]>();
  for (const g of previous ?? []) prevByInstance.set(g.instance, g.observations);
  const out = current.map((g) => ({
    instance: g.instance,
    rows: compareObservations(g.observations, previous === null ? null : (prevByInstance.get(g.instance) ?? []), g.instance),
  }));
  for (const g of previous ?? []) {
    if (!current.some((c) => c.instance === g.instance)) {
      out.push({ instance: g.instance, rows: compareObservations([], g.observations, g.instance) });
    }
  }
  return out;
}

/** How many rows need a look: out of range, a big change, or (settings) changed. */
export function summarize(rows: readonly CompareRow[]): { outOfRange: number; bigChange: number; changed: number } {
  let outOfRange = 0;
  let bigChange = 0;
  let changed = 0;
  for (const r of rows) {
    if (r.outOfRange) outOfRange++;
    if (r.bigChange) bigChange++;
    if (r.changed) changed++;
  }
  return { outOfRange, bigChange, changed };
}
