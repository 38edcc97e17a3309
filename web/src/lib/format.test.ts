import { describe, expect, it } from 'vitest';
import {
  clinicLabel,
  decimalsOf,
  formatAge,
  formatBytes,
  formatDate,
  formatDelta,
  formatDuration,
  formatIdentifier,
  formatIsoText,
  formatMerged,
  formatNumber,
  formatUnit,
  isoDateToUs,
  patientName,
  withUnit,
} from './format';

describe('formatAge', () => {
  it('says "just now" under a minute and for clock skew', () => {
    expect(formatAge(59_000)).toBe('just now');
    expect(formatAge(-5_000)).toBe('just now');
  });
  it('counts minutes, hours, days, weeks', () => {
    expect(formatAge(12 * 60_000)).toBe('12 min');
    expect(formatAge(3 * 3600_000 + 5 * 60_000)).toBe('3 h 5 min');
    expect(formatAge(2 * 3600_000)).toBe('2 h');
    expect(formatAge((2 * 24 + 4) * 3600_000)).toBe('2 d 4 h');
    expect(formatAge(21 * 24 * 3600_000)).toBe('3 w');
    expect(formatAge(3 * 365.25 * 24 * 3600_000)).toBe('3 y');
  });
});

describe('formatDuration', () => {
  it('formats episode durations', () => {
    expect(formatDuration(45)).toBe('45 s');
    expect(formatDuration(380)).toBe('6 min 20 s');
    expect(formatDuration(6980)).toBe('1 h 56 min');
    expect(formatDuration(null)).toBe('—');
  });
});

describe('numbers', () => {
  it('keeps the decimals a value was written with', () => {
    expect(decimalsOf(2.69)).toBe(2);
    expect(decimalsOf(7)).toBe(0);
    expect(formatNumber(2.69)).toBe('2.69');
    expect(formatNumber(-20)).toBe('\u221220');
    expect(formatNumber(-0.001, 2)).toBe('0.00');
  });
  it('signs deltas', () => {
    expect(formatDelta(0.12, 2)).toBe('+0.12');
    expect(formatDelta(-30, 0)).toBe('\u221230');
    expect(formatDelta(0.0001, 2)).toBe('\u00b10');
  });
  it('formats bytes', () => {
    expect(formatBytes(980)).toBe('980 B');
    expect(formatBytes(21470)).toBe('21 KB');
    expect(formatBytes(3.4 * 1024 * 1024)).toBe('3.4 MB');
  });
});

describe('units', () => {
  it('reads UCUM as people do', () => {
    expect(formatUnit('Ohm')).toBe('Ω');
    expect(formatUnit('{beats}/min')).toBe('bpm');
    expect(formatUnit('{foo}')).toBe('foo');
    expect(withUnit('520', 'Ohm')).toBe('520 Ω');
    expect(withUnit('DDDR', undefined)).toBe('DDDR');
  });
});

describe('dates', () => {
  it('formats local dates from microseconds', () => {
    const us = new Date(2026, 8, 4, 3, 26).getTime() * 1000;
    expect(formatDate(us)).toBe('2026-09-04');
    expect(formatDate(null)).toBe('—');
  });
  it('shows sender date-times without seconds and keeps their zone', () => {
    expect(formatIsoText('2026-09-04T03:26:47')).toBe('2026-09-04 03:26');
    expect(formatIsoText('2016-06-28T14:26:21+00:00')).toBe('2016-06-28 14:26 UTC');
    expect(formatIsoText('2016-06-28T14:26:21-0500')).toBe('2016-06-28 14:26 -0500');
    expect(formatIsoText('2021-12-09')).toBe('2021-12-09');
    expect(formatIsoText('1910')).toBe('1910');
  });
  it('turns an ISO date into local-midnight microseconds', () => {
    expect(isoDateToUs('2021-12-09')).toBe(new Date(2021, 11, 9).getTime() * 1000);
    expect(isoDateToUs('')).toBeNull();
    expect(isoDateToUs('garbage')).toBeNull();
  });
});

describe('patientName', () => {
  it('puts the family name first in capitals', () => {
    expect(patientName('Smith', 'Chloé')).toBe('SMITH, Chloé');
    expect(patientName('', '')).toBe('(no name)');
    expect(patientName('Smith', '')).toBe('SMITH');
  });
});

describe('clinicLabel', () => {
  it('names the caller\'s clinics and numbers the others', () => {
    expect(clinicLabel({ '1': 'Device clinic North' }, 1)).toBe('Device clinic North');
    expect(clinicLabel({ '1': 'Device clinic North' }, 2)).toBe('Clinic 2');
    expect(clinicLabel(undefined, 3)).toBe('Clinic 3');
    expect(clinicLabel({ '4': '' }, 4)).toBe('Clinic 4');
  });
});

describe('identifiers and merged records', () => {
  it('writes an identifier with its kind and authority when known', () => {
    expect(formatIdentifier({ kind: 'MR', id: 'ADT500', authority: 'HOSP' })).toBe('MR ADT500 (HOSP)');
    expect(formatIdentifier({ kind: '', id: '42', authority: '' })).toBe('ID 42');
  });
  it('says which record, which message and when', () => {
    const us = new Date(2026, 2, 1, 9, 5).getTime() * 1000;
    expect(formatMerged({ merged_from: 12, merged_us: us, sender: 'EPIC|HOSP', control_id: 'M1' })).toBe('Record #12 merged by EPIC · HOSP message M1 on 2026-03-01 09:05');
    expect(formatMerged({ merged_from: 3, merged_us: us, sender: '', control_id: '' })).toBe('Record #3 merged by an unnamed sender on 2026-03-01 09:05');
  });
});
