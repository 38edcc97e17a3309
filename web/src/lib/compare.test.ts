import { describe, expect, it } from 'vitest';
import { compareGroups, compareObservations, isBigChange, observationText, rangeOf, summarize, type Observation } from './compare';

const num = (term: string, value: number, unit = '', instance = 1): Observation => ({ code: 0, term, value, unit, instance });
const coded = (term: string, mnemonic: string): Observation => ({
  code: 0,
  term,
  instance: 1,
  value: { code: '', mnemonic, display: mnemonic, text: mnemonic, system: 'MDC' },
});

describe('observationText', () => {
  it('shows numbers, codes, structured numbers and empties', () => {
    expect(observationText({ value: 2.69 })).toBe('2.69');
    expect(observationText({ value: { mnemonic: 'Epis_AT_AF' } })).toBe('Epis AT AF');
    expect(observationText({ value: { comparator: '>', num1: 12 } })).toBe('>12');
    expect(observationText({ value: null })).toBe('—');
    expect(observationText({ value: 'text' })).toBe('text');
  });
});

describe('rangeOf', () => {
  it('flags a low RV impedance and a high threshold', () => {
    expect(rangeOf(num('MDC_IDC_MSMT_LEADCHNL_RV_IMPEDANCE_VALUE', 150, 'Ohm'))).toBe('low');
    expect(rangeOf(num('MDC_IDC_MSMT_LEADCHNL_RV_IMPEDANCE_VALUE', 520, 'Ohm'))).toBeNull();
    expect(rangeOf(num('MDC_IDC_MSMT_LEADCHNL_RV_PACING_THRESHOLD_AMPLITUDE', 3.0, 'V'))).toBe('high');
  });
  it('flags any shock since the last interrogation', () => {
    expect(rangeOf(num('MDC_IDC_STAT_TACHYTHERAPY_SHOCKS_DELIVERED_RECENT', 1))).toBe('high');
    expect(rangeOf(num('MDC_IDC_STAT_TACHYTHERAPY_SHOCKS_DELIVERED_RECENT', 0))).toBeNull();
  });
  it('flags abnormal coded values and sender flags', () => {
    expect(rangeOf(coded('MDC_IDC_MSMT_BATTERY_STATUS', 'RRT'))).toBe('abnormal');
    expect(rangeOf(coded('MDC_IDC_MSMT_BATTERY_STATUS', 'MOS'))).toBeNull();
    expect(rangeOf(coded('MDC_IDC_MSMT_LEADCHNL_RV_LEAD_CHANNEL_STATUS', 'CheckLead'))).toBe('abnormal');
    expect(rangeOf({ ...num('MDC_IDC_X_UNKNOWN', 5), flags: ['H'] })).toBe('high');
    expect(rangeOf({ ...num('MDC_IDC_X_UNKNOWN', 5), flags: 'A' })).toBe('abnormal');
  });
});

describe('isBigChange', () => {
  it('flags an impedance change over 30 %', () => {
    expect(isBigChange('MDC_IDC_MSMT_LEADCHNL_RV_IMPEDANCE_VALUE', 700, 500)).toBe(true);
    expect(isBigChange('MDC_IDC_MSMT_LEADCHNL_RV_IMPEDANCE_VALUE', 600, 500)).toBe(false);
  });
  it('flags a threshold rise over 1 V', () => {
    expect(isBigChange('MDC_IDC_MSMT_LEADCHNL_RV_PACING_THRESHOLD_AMPLITUDE', 2.0, 0.75)).toBe(true);
    expect(isBigChange('MDC_IDC_MSMT_LEADCHNL_RV_PACING_THRESHOLD_AMPLITUDE', 1.0, 0.75)).toBe(false);
  });
  it('ignores terms without limits', () => {
    expect(isBigChange('MDC_IDC_MSMT_BATTERY_VOLTAGE', 2.0, 3.0)).toBe(false);
  });
});

describe('compareObservations', () => {
  const prev = [num('MDC_IDC_MSMT_BATTERY_VOLTAGE', 2.78, 'V'), num('MDC_IDC_MSMT_LEADCHNL_RV_IMPEDANCE_VALUE', 500, 'Ohm')];
  const cur = [
    num('MDC_IDC_MSMT_BATTERY_VOLTAGE', 2.75, 'V'),
    num('MDC_IDC_MSMT_LEADCHNL_RV_IMPEDANCE_VALUE', 1200, 'Ohm'),
    num('MDC_IDC_MSMT_LEADHVCHNL_IMPEDANCE', 60, 'Ohm'),
  ];

  it('puts each value beside the previous with a signed delta', () => {
    const rows = compareObservations(cur, prev);
    expect(rows.map((r) => r.key)).toEqual([
      'MDC_IDC_MSMT_BATTERY_VOLTAGE',
      'MDC_IDC_MSMT_LEADCHNL_RV_IMPEDANCE_VALUE',
      'MDC_IDC_MSMT_LEADHVCHNL_IMPEDANCE',
    ]);
    expect(rows[0]).toMatchObject({ value: '2.75', previous: '2.78', delta: '\u22120.03', unit: 'V', label: 'Battery voltage' });
    expect(rows[0]!.deltaValue).toBeCloseTo(-0.03);
    expect(rows[1]).toMatchObject({ delta: '+700', bigChange: true, label: 'RV impedance', unit: 'Ω' });
    expect(rows[2]).toMatchObject({ previous: null, delta: '', changed: true });
  });

  it('marks nothing as changed without a previous interrogation', () => {
    const rows = compareObservations(cur, null);
    expect(rows.every((r) => !r.changed && r.previous === null)).toBe(true);
  });

  it('reports settings changed, unchanged and removed', () => {
    const before = [coded('MDC_IDC_SET_BRADY_MODE', 'DDD'), num('MDC_IDC_SET_BRADY_LOWRATE', 60), num('MDC_IDC_SET_CRT_LVRV_DELAY', 0)];
    const after = [coded('MDC_IDC_SET_BRADY_MODE', 'DDDR'), num('MDC_IDC_SET_BRADY_LOWRATE', 60)];
    const rows = compareObservations(after, before);
    expect(rows.map((r) => [r.term, r.changed, r.removed])).toEqual([
      ['MDC_IDC_SET_BRADY_MODE', true, false],
      ['MDC_IDC_SET_BRADY_LOWRATE', false, false],
      ['MDC_IDC_SET_CRT_LVRV_DELAY', true, true],
    ]);
    expect(summarize(rows).changed).toBe(2);
  });

  it('keeps instances apart', () => {
    const rows = compareObservations(
      [num('MDC_IDC_X', 1, '', 1), num('MDC_IDC_X', 2, '', 2)],
      [num('MDC_IDC_X', 1, '', 1), num('MDC_IDC_X', 5, '', 2)],
    );
    expect(rows.map((r) => [r.key, r.changed])).toEqual([
      ['MDC_IDC_X', false],
      ['MDC_IDC_X#2', true],
    ]);
  });
});

describe('compareGroups', () => {
  it('compares zones by instance and reports a zone that disappeared', () => {
    const z = (instance: number, interval: number) => ({
      instance,
      observations: [num('MDC_IDC_SET_ZONE_DETECTION_INTERVAL', interval, 'ms', instance)],
    });
    const out = compareGroups([z(1, 300), z(2, 400)], [z(1, 300), z(2, 360), z(3, 500)]);
    expect(out.map((g) => [g.instance, g.rows[0]!.changed, g.rows[0]!.removed])).toEqual([
      [1, false, false],
      [2, true, false],
      [3, true, true],
    ]);
  });
});
