// Display formatting: times (µs since the epoch from the API), ages, durations, numbers, names.
// Pure functions; "local" means the browser's time zone.

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** "2026-09-04" in local time, or "—" for a missing time. */
export function formatDate(us: number | null | undefined): string {
  if (us === null || us === undefined || !Number.isFinite(us)) return '—';
  const d = new Date(us / 1000);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
}

/** "2026-09-04 03:26" in local time, or "—". */
export function formatDateTime(us: number | null | undefined): string {
  if (us === null || us === undefined || !Number.isFinite(us)) return '—';
  const d = new Date(us / 1000);
  return `${formatDate(us)} ${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

/**
 * An ISO 8601 text as the sender gave it ("2026-09-04T03:26:47", "2016-06-28T14:26:21+00:00",
 * "1910") shown without seconds and without pretending to know a time zone it lacks.
 */
export function formatIsoText(s: string | null | undefined): string {
  if (!s) return '—';
  const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(s);
  if (!m) return s;
  if (!m[2]) return m[1]!;
  const zone = m[3] === undefined ? '' : m[3] === 'Z' || m[3] === '+00:00' ? ' UTC' : ` ${m[3]}`;
  return `${m[1]} ${m[2]}${zone}`;
}

/** A date-only ISO text ("2021-12-09") as µs at local midnight; null when it does not parse. */
export function isoDateToUs(s: string | null | undefined): number | null {
  if (!s) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(s);
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isNaN(d.getTime()) ? null : d.getTime() * 1000;
}

/**
 * A span in milliseconds as a short age: "just now", "12 min", "3 h 5 min", "2 d 4 h",
 * "6 w". Negative spans are treated as zero.
 */
export function formatAge(ms: number): string {
  const min = Math.floor(Math.max(0, ms) / 60_000);
  if (min < 1) return 'just now';
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`;
  const d = Math.floor(h / 24);
  if (d < 14) return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
  if (d < 60) return `${Math.floor(d / 7)} w`;
  if (d < 730) return `${Math.floor(min / (1440 * 30.44))} mo`;
  return `${Math.floor(min / (1440 * 365.25))} y`;
}

/** Seconds as "45 s", "6 min 20 s", "1 h 56 min". */
export function formatDuration(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '—';
  const t = Math.max(0, Math.round(s));
  if (t < 60) return `${t} s`;
  if (t < 3600) return t % 60 === 0 ? `${Math.floor(t / 60)} min` : `${Math.floor(t / 60)} min ${t % 60} s`;
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/** Number of decimals a value was written with (2.69 → 2, 7 → 0); at most 4. */
export function decimalsOf(v: number): number {
  if (!Number.isFinite(v) || Number.isInteger(v)) return 0;
  const s = String(v);
  const e = s.indexOf('e');
  if (e >= 0) return 4;
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : Math.min(4, s.length - dot - 1);
}

/** A number with the given decimals, "−" (U+2212) for negatives as clinical print does. */
export function formatNumber(v: number, decimals = decimalsOf(v)): string {
  if (!Number.isFinite(v)) return '—';
  const s = Math.abs(v).toFixed(decimals);
  const isZero = Number(s) === 0;
  return v < 0 && !isZero ? `\u2212${s}` : s;
}

/** A delta with an explicit sign: "+0.12", "−30", "±0". */
export function formatDelta(d: number, decimals: number): string {
  if (!Number.isFinite(d)) return '';
  const s = Math.abs(d).toFixed(decimals);
  if (Number(s) === 0) return `\u00b10`;
  return `${d > 0 ? '+' : '\u2212'}${s}`;
}

const UNIT_TEXT: Record<string, string> = {
  Ohm: 'Ω',
  '{beats}/min': 'bpm',
  mo: 'months',
  '{shocks}': 'shocks',
  '{seq}': 'seq.',
  '{switches}': 'switches',
  '{beats}': 'beats',
  '%': '%',
};

/** A UCUM unit as people read it ("Ohm" → "Ω", "{beats}/min" → "bpm"). */
export function formatUnit(unit: string | null | undefined): string {
  if (!unit) return '';
  if (unit in UNIT_TEXT) return UNIT_TEXT[unit]!;
  return unit.replace(/[{}]/g, '');
}

/** A value with its unit: "2.69 V", "65 %", "520 Ω". */
export function withUnit(value: string, unit: string | null | undefined): string {
  const u = formatUnit(unit);
  return u ? `${value} ${u}` : value;
}

/** "FAMILY, Given" with whatever the sender wrote; "(no name)" when both are empty. */
export function patientName(family: string | null | undefined, given: string | null | undefined): string {
  const f = (family ?? '').trim();
  const g = (given ?? '').trim();
  if (!f && !g) return '(no name)';
  if (!g) return f.toUpperCase();
  if (!f) return g;
  return `${f.toUpperCase()}, ${g}`;
}

/** A patient identifier as "MR ADT500 (HOSP)": the kind ("ID" when none), the value, the authority. */
export function formatIdentifier(i: { kind: string; id: string; authority: string }): string {
  return `${i.kind || 'ID'} ${i.id}${i.authority ? ` (${i.authority})` : ''}`;
}

/**
 * A record merged into a patient by the hospital's ADT, as one line: "Record #12 merged by
 * EPIC · HOSP message M1 on 2026-03-01 09:00". The sender and control id are the sender's text.
 */
export function formatMerged(m: { merged_from: number; merged_us: number; sender: string; control_id: string }): string {
  const sender = m.sender ? m.sender.replace('|', ' · ') : 'an unnamed sender';
  const message = m.control_id ? ` message ${m.control_id}` : '';
  return `Record #${m.merged_from} merged by ${sender}${message} on ${formatDateTime(m.merged_us)}`;
}

/** Bytes as "980 B", "21 KB", "3.4 MB". */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

const SESSION_TYPES: Record<string, string> = {
  Implant: 'Implant',
  InClinic: 'In-clinic',
  Remote: 'Remote',
  RemoteScheduled: 'Remote, scheduled',
  RemoteDeviceInitiated: 'Remote, device alert',
  RemotePatientInitiated: 'Remote, patient-initiated',
  Other: 'Other',
  Unknown: 'Unknown',
};

export function formatSessionType(t: string | null | undefined): string {
  if (!t) return '—';
  return SESSION_TYPES[t] ?? t;
}

const DEVICE_TYPES: Record<string, string> = {
  pacemaker: 'Pacemaker',
  icd: 'ICD',
  'crt-d': 'CRT-D',
  'crt-p': 'CRT-P',
  'loop-recorder': 'Loop recorder',
  other: 'Other',
  unknown: 'Unknown',
};

export function formatDeviceType(t: string | null | undefined): string {
  if (!t) return '—';
  return DEVICE_TYPES[t] ?? t;
}

const MANUFACTURERS: Record<string, string> = {
  MDT: 'Medtronic',
  BSX: 'Boston Scientific',
  SJM: 'Abbott (St. Jude)',
  BIO: 'Biotronik',
  MCP: 'MicroPort',
};

export function formatManufacturer(m: string | null | undefined): string {
  if (!m) return '—';
  return MANUFACTURERS[m] ?? m;
}

export const MANUFACTURER_CODES = Object.keys(MANUFACTURERS);
export const DEVICE_TYPE_CODES = Object.keys(DEVICE_TYPES).filter((t) => t !== 'unknown');
export const SESSION_TYPE_CODES = Object.keys(SESSION_TYPES).filter((t) => t !== 'Unknown');

/** A clinic's name where the caller knows it (their own clinics), else "Clinic N". */
export function clinicLabel(names: Record<string, string> | undefined, id: number): string {
  const name = names?.[String(id)];
  return name ? name : `Clinic ${id}`;
}
