// Trend chart definitions (which MDC IDC terms each chart shows) and the pure data shaping for
// uPlot: requests of at most 16 terms, series aligned on one time axis, device-change markers.
import { isoDateToUs } from './format';

export interface TrendSeriesDef {
  term: string;
  label: string;
  /** 1 = left axis, 2 = right axis (a second unit). */
  axis: 1 | 2;
  color: string;
}

export interface TrendChartDef {
  key: string;
  title: string;
  unit: string;
  unit2?: string;
  series: TrendSeriesDef[];
  /** Counts per interrogation: drawn as bars-like stems, not lines. */
  counts?: boolean;
}

// Colour-blind-safe (Okabe–Ito) per chamber: RA blue, RV vermillion, LV green, HV purple.
const RA = '#0072b2';
const RV = '#d55e00';
const LV = '#009e73';
const HV = '#7b3294';
const GREY = '#555555';

/** The charts of the patient chart, in reading order. Terms are ones the trend endpoint accepts. */
export const TREND_CHARTS: readonly TrendChartDef[] = [
  {
    key: 'battery',
    title: 'Battery voltage and remaining longevity',
    unit: 'V',
    unit2: 'months',
    series: [
      { term: 'MDC_IDC_MSMT_BATTERY_VOLTAGE', label: 'Voltage (V)', axis: 1, color: RA },
      { term: 'MDC_IDC_MSMT_BATTERY_REMAINING_LONGEVITY', label: 'Longevity (months)', axis: 2, color: RV },
    ],
  },
  {
    key: 'impedance',
    title: 'Lead impedance',
    unit: 'Ω',
    unit2: 'Ω (HV)',
    series: [
      { term: 'MDC_IDC_MSMT_LEADCHNL_RA_IMPEDANCE_VALUE', label: 'RA', axis: 1, color: RA },
      { term: 'MDC_IDC_MSMT_LEADCHNL_RV_IMPEDANCE_VALUE', label: 'RV', axis: 1, color: RV },
      { term: 'MDC_IDC_MSMT_LEADCHNL_LV_IMPEDANCE_VALUE', label: 'LV', axis: 1, color: LV },
      { term: 'MDC_IDC_MSMT_LEADHVCHNL_IMPEDANCE', label: 'HV (shock)', axis: 2, color: HV },
    ],
  },
  {
    key: 'threshold',
    title: 'Pacing thresholds',
    unit: 'V',
    series: [
      { term: 'MDC_IDC_MSMT_LEADCHNL_RA_PACING_THRESHOLD_AMPLITUDE', label: 'RA', axis: 1, color: RA },
      { term: 'MDC_IDC_MSMT_LEADCHNL_RV_PACING_THRESHOLD_AMPLITUDE', label: 'RV', axis: 1, color: RV },
      { term: 'MDC_IDC_MSMT_LEADCHNL_LV_PACING_THRESHOLD_AMPLITUDE', label: 'LV', axis: 1, color: LV },
    ],
  },
  {
    key: 'sensing',
    title: 'Sensing amplitudes',
    unit: 'mV',
    series: [
      { term: 'MDC_IDC_MSMT_LEADCHNL_RA_SENSING_INTR_AMPL', label: 'RA (P wave)', axis: 1, color: RA },
      { term: 'MDC_IDC_MSMT_LEADCHNL_RV_SENSING_INTR_AMPL', label: 'RV (R wave)', axis: 1, color: RV },
      { term: 'MDC_IDC_MSMT_LEADCHNL_LV_SENSING_INTR_AMPL', label: 'LV', axis: 1, color: LV },
    ],
  },
  {
    key: 'pacing',
    title: 'Percent pacing',
    unit: '%',
    series: [
      { term: 'MDC_IDC_STAT_BRADY_RA_PERCENT_PACED', label: 'RA', axis: 1, color: RA },
      { term: 'MDC_IDC_STAT_BRADY_RV_PERCENT_PACED', label: 'RV', axis: 1, color: RV },
      { term: 'MDC_IDC_STAT_CRT_PERCENT_PACED', label: 'CRT', axis: 1, color: LV },
    ],
  },
  {
    key: 'burden',
    title: 'AT/AF burden',
    unit: '%',
    unit2: 'mode switches',
    series: [
      { term: 'MDC_IDC_STAT_AT_BURDEN_PERCENT', label: 'AT/AF burden (%)', axis: 1, color: RV },
      { term: 'MDC_IDC_STAT_AT_MODE_SW_COUNT', label: 'Mode switches', axis: 2, color: GREY },
    ],
  },
  {
    key: 'rate',
    title: 'Ventricular heart rate',
    unit: 'bpm',
    series: [
      { term: 'MDC_IDC_STAT_HEART_RATE_VENTRICULAR_MAX', label: 'Max', axis: 1, color: RV },
      { term: 'MDC_IDC_STAT_HEART_RATE_VENTRICULAR_MEAN', label: 'Mean', axis: 1, color: GREY },
      { term: 'MDC_IDC_STAT_HEART_RATE_VENTRICULAR_MIN', label: 'Min', axis: 1, color: RA },
    ],
  },
  {
    key: 'therapy',
    title: 'Shocks and ATP since the previous interrogation',
    unit: 'count',
    counts: true,
    series: [
      { term: 'MDC_IDC_STAT_TACHYTHERAPY_SHOCKS_DELIVERED_RECENT', label: 'Shocks', axis: 1, color: RV },
      { term: 'MDC_IDC_STAT_TACHYTHERAPY_ATP_DELIVERED_RECENT', label: 'ATP sequences', axis: 1, color: RA },
    ],
  },
];

/** The trend endpoint takes 1–16 terms per request. */
export const MAX_TERMS_PER_REQUEST = 16;

/** Every term of `charts`, without duplicates, in groups the endpoint accepts. */
export function termRequests(charts: readonly TrendChartDef[], max = MAX_TERMS_PER_REQUEST): string[][] {
  const terms: string[] = [];
  for (const c of charts) for (const s of c.series) if (!terms.includes(s.term)) terms.push(s.term);
  const out: string[][] = [];
  for (let i = 0; i < terms.length; i += max) out.push(terms.slice(i, i + max));
  return out;
}

/** [time_us, value] pairs of one term, oldest first, as the endpoint returns them. */
export type TrendPoints = readonly (readonly [number, number])[];

/**
 * uPlot's data layout: x in seconds (sorted, unique) and one y array per series, null where the
 * series has no value at that time. Several points of one series at the same time (e.g. a
 * corrected message) keep the last.
 */
export function alignSeries(series: readonly TrendPoints[]): [number[], ...(number | null)[][]] {
  const times = new Set<number>();
  for (const s of series) for (const [t] of s) times.add(t);
  const xsUs = [...times].sort((a, b) => a - b);
  const index = new Map<number, number>();
  xsUs.forEach((t, i) => index.set(t, i));
  const ys = series.map((s) => {
    const y: (number | null)[] = new Array<number | null>(xsUs.length).fill(null);
    for (const [t, v] of s) y[index.get(t)!] = Number.isFinite(v) ? v : null;
    return y;
  });
  return [xsUs.map((t) => t / 1e6), ...ys];
}

/** Points that will be drawn: the non-null y values of every series. */
export function countPoints(data: readonly (readonly (number | null)[])[]): number {
  let n = 0;
  for (let i = 1; i < data.length; i++) for (const v of data[i]!) if (v !== null && v !== undefined) n++;
  return n;
}

export interface DeviceLike {
  id: number;
  model?: string;
  manufacturer?: string;
  implant_date?: string | null;
  first_seen_us?: number | null;
}

export interface DeviceMarker {
  /** seconds since the epoch, as uPlot's x axis. */
  t: number;
  /** Drawn beside the line; short so that it fits a narrow chart. */
  label: string;
  /** The new generator's model, for the accessible description. */
  model: string;
}

/**
 * Vertical lines where one generator replaced another: every device after the first, at its
 * implant date (or, without one, when it was first seen).
 */
export function deviceChangeMarkers(devices: readonly DeviceLike[]): DeviceMarker[] {
  const dated = devices
    .map((d) => ({ d, us: isoDateToUs(d.implant_date) ?? d.first_seen_us ?? null }))
    .filter((x): x is { d: DeviceLike; us: number } => x.us !== null)
    .sort((a, b) => a.us - b.us);
  return dated.slice(1).map(({ d, us }) => ({ t: us / 1e6, label: 'New device', model: d.model ?? '' }));
}

/** Whether a chart has anything to draw. */
export function hasData(data: readonly (readonly (number | null)[])[]): boolean {
  return countPoints(data) > 0;
}
