// IEEE 11073-10103 (MDC IDC) term names as people read them, and the reference limits the
// interrogation view flags values against. Names are the ones src/idco/terms.inc knows.

/** Short labels for the terms a device clinic reads every day. */
const LABELS: Record<string, string> = {
  MDC_IDC_MSMT_BATTERY_STATUS: 'Battery status',
  MDC_IDC_MSMT_BATTERY_VOLTAGE: 'Battery voltage',
  MDC_IDC_MSMT_BATTERY_IMPEDANCE: 'Battery impedance',
  MDC_IDC_MSMT_BATTERY_REMAINING_LONGEVITY: 'Remaining longevity',
  MDC_IDC_MSMT_BATTERY_REMAINING_PERCENTAGE: 'Battery remaining',
  MDC_IDC_MSMT_CAP_CHARGE_TIME: 'Capacitor charge time',
  MDC_IDC_MSMT_LEADHVCHNL_IMPEDANCE: 'HV (shock) impedance',
  MDC_IDC_SET_BRADY_MODE: 'Pacing mode',
  MDC_IDC_SET_BRADY_LOWRATE: 'Lower rate',
  MDC_IDC_SET_BRADY_MAX_TRACKING_RATE: 'Max tracking rate',
  MDC_IDC_SET_BRADY_MAX_SENSOR_RATE: 'Max sensor rate',
  MDC_IDC_SET_CRT_LVRV_DELAY: 'LV–RV delay',
  MDC_IDC_SET_TACHYTHERAPY_VSTAT: 'Tachy therapy',
  MDC_IDC_SET_ZONE_TYPE: 'Zone',
  MDC_IDC_SET_ZONE_STATUS: 'Zone status',
  MDC_IDC_SET_ZONE_DETECTION_INTERVAL: 'Detection interval',
  MDC_IDC_SET_ZONE_TYPE_ATP_1: 'ATP type',
  MDC_IDC_SET_ZONE_NUM_ATP_SEQS_1: 'ATP sequences',
  MDC_IDC_SET_ZONE_SHOCK_ENERGY_1: 'Shock energy',
  MDC_IDC_STAT_BRADY_RA_PERCENT_PACED: 'RA paced',
  MDC_IDC_STAT_BRADY_RV_PERCENT_PACED: 'RV paced',
  MDC_IDC_STAT_CRT_PERCENT_PACED: 'CRT paced',
  MDC_IDC_STAT_CRT_LV_PERCENT_PACED: 'LV paced',
  MDC_IDC_STAT_AT_BURDEN_PERCENT: 'AT/AF burden',
  MDC_IDC_STAT_AT_MODE_SW_COUNT: 'Mode switches',
  MDC_IDC_STAT_HEART_RATE_VENTRICULAR_MEAN: 'V rate, mean',
  MDC_IDC_STAT_HEART_RATE_VENTRICULAR_MAX: 'V rate, max',
  MDC_IDC_STAT_HEART_RATE_VENTRICULAR_MIN: 'V rate, min',
  MDC_IDC_STAT_HEART_RATE_ATRIAL_MEAN: 'A rate, mean',
  MDC_IDC_STAT_TACHYTHERAPY_SHOCKS_DELIVERED_RECENT: 'Shocks (since last)',
  MDC_IDC_STAT_TACHYTHERAPY_SHOCKS_DELIVERED_TOTAL: 'Shocks (lifetime)',
  MDC_IDC_STAT_TACHYTHERAPY_SHOCKS_ABORTED_RECENT: 'Shocks aborted (since last)',
  MDC_IDC_STAT_TACHYTHERAPY_ATP_DELIVERED_RECENT: 'ATP (since last)',
  MDC_IDC_STAT_TACHYTHERAPY_ATP_DELIVERED_TOTAL: 'ATP (lifetime)',
};

const CHANNEL_PARTS: Record<string, string> = {
  LEAD_CHANNEL_STATUS: 'lead status',
  SENSING_INTR_AMPL: 'sensing',
  SENSING_INTR_AMPL_MEAN: 'sensing, mean',
  PACING_THRESHOLD_AMPLITUDE: 'threshold',
  PACING_THRESHOLD_PULSEWIDTH: 'threshold pulse width',
  PACING_THRESHOLD_MEASUREMENT_METHOD: 'threshold method',
  IMPEDANCE_VALUE: 'impedance',
  PACING_AMPLITUDE: 'pacing amplitude',
  PACING_PULSEWIDTH: 'pulse width',
  PACING_POLARITY: 'pacing polarity',
  SENSING_SENSITIVITY: 'sensitivity',
};

/**
 * A readable label for a term: "MDC_IDC_MSMT_LEADCHNL_RV_IMPEDANCE_VALUE" → "RV impedance".
 * Unknown terms fall back to their name without the family prefix, in sentence case.
 */
export function termLabel(term: string): string {
  const known = LABELS[term];
  if (known) return known;
  const ch = /^MDC_IDC_(?:MSMT|SET)_LEADCHNL_(RA|RV|LV|LA)_(.+)$/.exec(term);
  if (ch && CHANNEL_PARTS[ch[2]!]) return `${ch[1]} ${CHANNEL_PARTS[ch[2]!]}`;
  const rest = term.replace(/^MDC_IDC_(?:MSMT|SET|STAT|SESS|DEV|LEAD|EPISODE)_/, '');
  if (rest === term && !term.startsWith('MDC_IDC_')) return term;
  const words = rest.replace(/^MDC_IDC_/, '').toLowerCase().split('_').filter(Boolean);
  const text = words
    .map((w) => (['ra', 'rv', 'lv', 'la', 'hv', 'at', 'af', 'atp', 'crt', 'vf', 'vt', 'svt'].includes(w) ? w.toUpperCase() : w))
    .join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export interface Limits {
  /** Below this is out of range. */
  low?: number;
  /** Above this is out of range. */
  high?: number;
  /** A change from the previous value larger than this fraction of it is flagged. */
  maxRelativeChange?: number;
  /** A change larger than this (in the term's unit) is flagged. */
  maxAbsoluteChange?: number;
}

/**
 * Conservative reference limits, the usual defaults of device-clinic alert settings; a value
 * outside them is highlighted for a person to judge, never acted on automatically.
 */
const LIMITS: Record<string, Limits> = {
  MDC_IDC_MSMT_BATTERY_REMAINING_LONGEVITY: { low: 6 },
  MDC_IDC_MSMT_CAP_CHARGE_TIME: { high: 15 },
  MDC_IDC_MSMT_LEADHVCHNL_IMPEDANCE: { low: 20, high: 200, maxRelativeChange: 0.3 },
  MDC_IDC_MSMT_LEADCHNL_RA_IMPEDANCE_VALUE: { low: 200, high: 2000, maxRelativeChange: 0.3 },
  MDC_IDC_MSMT_LEADCHNL_RV_IMPEDANCE_VALUE: { low: 200, high: 2000, maxRelativeChange: 0.3 },
  MDC_IDC_MSMT_LEADCHNL_LV_IMPEDANCE_VALUE: { low: 200, high: 2000, maxRelativeChange: 0.3 },
  MDC_IDC_MSMT_LEADCHNL_RA_PACING_THRESHOLD_AMPLITUDE: { high: 2.5, maxAbsoluteChange: 1 },
  MDC_IDC_MSMT_LEADCHNL_RV_PACING_THRESHOLD_AMPLITUDE: { high: 2.5, maxAbsoluteChange: 1 },
  MDC_IDC_MSMT_LEADCHNL_LV_PACING_THRESHOLD_AMPLITUDE: { high: 3.5, maxAbsoluteChange: 1 },
  MDC_IDC_MSMT_LEADCHNL_RA_SENSING_INTR_AMPL: { low: 1.0 },
  MDC_IDC_MSMT_LEADCHNL_RV_SENSING_INTR_AMPL: { low: 5.0 },
  MDC_IDC_MSMT_LEADCHNL_LV_SENSING_INTR_AMPL: { low: 4.0 },
  MDC_IDC_STAT_AT_BURDEN_PERCENT: { high: 5 },
  MDC_IDC_STAT_CRT_PERCENT_PACED: { low: 90 },
  MDC_IDC_STAT_HEART_RATE_VENTRICULAR_MEAN: { low: 40, high: 100 },
  MDC_IDC_STAT_TACHYTHERAPY_SHOCKS_DELIVERED_RECENT: { high: 0 },
  MDC_IDC_STAT_TACHYTHERAPY_ATP_DELIVERED_RECENT: { high: 0 },
};

export function limitsFor(term: string): Limits | undefined {
  return LIMITS[term];
}

/** Coded values that are abnormal whatever the device: battery near end of life, a lead alert. */
const ABNORMAL_CODES: Record<string, readonly string[]> = {
  MDC_IDC_MSMT_BATTERY_STATUS: ['RRT', 'ERI', 'EOS', 'ERP', 'EOL'],
};

export function isAbnormalCode(term: string, mnemonic: string): boolean {
  const list = ABNORMAL_CODES[term];
  if (list) return list.includes(mnemonic);
  if (/_LEAD_CHANNEL_STATUS$/.test(term)) return mnemonic !== '' && !/^(OK|Normal)$/i.test(mnemonic);
  return false;
}
