import { describe, expect, it } from 'vitest';
import { alignSeries, countPoints, deviceChangeMarkers, TREND_CHARTS, termRequests } from './trends';
import { termLabel } from './terms';

describe('chart definitions', () => {
  it('cover the required measurements with MDC IDC names', () => {
    const terms = TREND_CHARTS.flatMap((c) => c.series.map((s) => s.term));
    for (const t of terms) expect(t).toMatch(/^MDC_IDC_(MSMT|STAT)_[A-Z0-9_]+$/);
    expect(terms).toContain('MDC_IDC_MSMT_LEADHVCHNL_IMPEDANCE');
    expect(terms).toContain('MDC_IDC_STAT_AT_BURDEN_PERCENT');
    expect(TREND_CHARTS.map((c) => c.key)).toEqual(['battery', 'impedance', 'threshold', 'sensing', 'pacing', 'burden', 'rate', 'therapy']);
  });
});

describe('termRequests', () => {
  it('splits into requests of at most 16 distinct terms', () => {
    const reqs = termRequests(TREND_CHARTS);
    expect(reqs.every((r) => r.length >= 1 && r.length <= 16)).toBe(true);
    const all = reqs.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(TREND_CHARTS.reduce((n, c) => n + c.series.length, 0));
  });
});

describe('alignSeries', () => {
  it('puts series on one sorted time axis in seconds with gaps as null', () => {
    const data = alignSeries([
      [[2e6, 20], [1e6, 10]],
      [[3e6, 300], [1e6, 100]],
    ]);
    expect(data).toEqual([[1, 2, 3], [10, 20, null], [100, null, 300]]);
    expect(countPoints(data)).toBe(4);
  });
  it('handles no data', () => {
    const data = alignSeries([[], []]);
    expect(data).toEqual([[], [], []]);
    expect(countPoints(data)).toBe(0);
  });
});

describe('deviceChangeMarkers', () => {
  it('marks each replacement, not the first implant', () => {
    const m = deviceChangeMarkers([
      { id: 2, model: 'B', implant_date: '2022-03-01' },
      { id: 1, model: 'A', implant_date: '2015-06-01' },
    ]);
    expect(m).toEqual([{ t: new Date(2022, 2, 1).getTime() / 1000, label: 'New device', model: 'B' }]);
  });
  it('falls back to first seen and skips undated devices', () => {
    const m = deviceChangeMarkers([
      { id: 1, implant_date: '2015-06-01' },
      { id: 2, implant_date: '', first_seen_us: 1.7e15 },
      { id: 3, implant_date: null },
    ]);
    expect(m).toEqual([{ t: 1.7e9, label: 'New device', model: '' }]);
  });
});

describe('termLabel', () => {
  it('names lead channel terms by chamber', () => {
    expect(termLabel('MDC_IDC_MSMT_LEADCHNL_RV_IMPEDANCE_VALUE')).toBe('RV impedance');
    expect(termLabel('MDC_IDC_SET_LEADCHNL_LV_PACING_AMPLITUDE')).toBe('LV pacing amplitude');
    expect(termLabel('MDC_IDC_MSMT_BATTERY_VOLTAGE')).toBe('Battery voltage');
    expect(termLabel('MDC_IDC_STAT_EPISODE_RECENT_COUNT')).toBe('Episode recent count');
    expect(termLabel('ZZZ_LOCAL')).toBe('ZZZ_LOCAL');
  });
});
