// The Charges screen's logic: its tabs, labels of components and export formats, the code with its
// modifier, a charge's period, what the close job and an export did, who may close and export,
// and the date filter. Pure; the screen is ui/charges.ts.
import type { ChargeExportFormat, CloseAnswer, ExportAnswer } from '../api/billing';
import { can } from './roles';

export type ChargeTab = 'waiting' | 'exported' | 'missed' | 'batches';

/** The tabs in order; the first (what the next export sends) is the one the screen opens on. */
export const CHARGE_TABS: readonly { tab: ChargeTab; label: string }[] = [
  { tab: 'waiting', label: 'Waiting for export' },
  { tab: 'exported', label: 'Exported' },
  { tab: 'missed', label: 'Missed charges' },
  { tab: 'batches', label: 'Export batches' },
];

const COMPONENTS: Record<string, string> = { professional: 'Professional', technical: 'Technical', global: 'Global' };

export function componentLabel(c: string): string {
  return COMPONENTS[c] ?? c;
}

const FORMATS: Record<ChargeExportFormat, string> = { csv: 'CSV', dft: 'HL7 DFT' };

export function formatLabel(f: string): string {
  return FORMATS[f as ChargeExportFormat] ?? f;
}

/** "93294-26", or the code alone without a modifier. */
export function codeText(code: string, modifier: string): string {
  return modifier ? `${code}-${modifier}` : code;
}

/** "2026-08-01 – 2026-10-30"; one day when both ends are the same. */
export function periodText(start: string, end: string): string {
  if (!start && !end) return '—';
  return start === end || !end ? start : `${start} – ${end}`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** What "Close periods now" did, in one sentence. */
export function closeSummary(a: CloseAnswer): string {
  return (
    `Periods closed: ${plural(a.created, 'new charge')}, ${a.existing} already stored, ` +
    `${a.overlapping} overlapping (not written), ${a.missed} missed` +
    (a.unmatched > 0 ? `, ${a.unmatched} waiting for unmatched patients` : '') +
    `. Code table ${a.code_table}.`
  );
}

/** What an export did. */
export function exportSummary(a: ExportAnswer): string {
  return `Export #${a.id} (${formatLabel(a.format)}): ${plural(a.charges, 'charge')}. It is listed under Export batches.`;
}

/** The first characters of a hash for a table; the whole hash goes in its title. */
export function shortHash(sha256: string): string {
  return sha256.length > 12 ? `${sha256.slice(0, 12)}…` : sha256;
}

/** Closing periods and exporting need billing.export (billers), as on the server. */
export function mayExport(role: string): boolean {
  return can(role, 'billing.export');
}

export interface DateRange {
  from: string;
  to: string;
}

/** Why a date-of-service range cannot be asked for, or null (both ends optional, YYYY-MM-DD). */
export function rangeProblem(r: DateRange): string | null {
  const ok = (s: string) => s === '' || /^\d{4}-\d{2}-\d{2}$/.test(s);
  if (!ok(r.from) || !ok(r.to)) return 'Dates are written YYYY-MM-DD.';
  if (r.from && r.to && r.from > r.to) return 'The first date is after the last.';
  return null;
}

/** What an empty tab says. */
export function emptyChargesText(tab: ChargeTab): string {
  switch (tab) {
    case 'waiting':
      return 'No charge waits for export.';
    case 'exported':
      return 'No charge has been exported yet.';
    case 'missed':
      return 'No missed charge: every closed period and visit produced its charge.';
    case 'batches':
      return 'No export yet.';
  }
}
