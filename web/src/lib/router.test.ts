import { describe, expect, it } from 'vitest';
import { formatRoute, parseRoute } from './router';

describe('parseRoute', () => {
  it('reads screens and numeric ids', () => {
    expect(parseRoute('#/queue')).toEqual({ name: 'queue' });
    expect(parseRoute('#/followups')).toEqual({ name: 'followups' });
    expect(parseRoute('#/charges')).toEqual({ name: 'charges' });
    expect(parseRoute('#/quarantine')).toEqual({ name: 'quarantine' });
    expect(parseRoute('#/patient/123')).toEqual({ name: 'patient', id: 123 });
    expect(parseRoute('#/interrogation/9/')).toEqual({ name: 'interrogation', id: 9 });
    expect(parseRoute('')).toEqual({ name: 'default' });
    expect(parseRoute('#/')).toEqual({ name: 'default' });
  });
  it('refuses anything that is not an opaque id', () => {
    expect(parseRoute('#/patient/SMITH')).toEqual({ name: 'not_found' });
    expect(parseRoute('#/patient/0')).toEqual({ name: 'not_found' });
    expect(parseRoute('#/patient/1e3')).toEqual({ name: 'not_found' });
    expect(parseRoute('#/patient/12/extra')).toEqual({ name: 'not_found' });
    expect(parseRoute('#/queue/1')).toEqual({ name: 'not_found' });
    // The results tab (a filter) stays in memory, like every other filter.
    expect(parseRoute('#/results/dead')).toEqual({ name: 'not_found' });
    // So do the follow-up and charge filters: never a status, a date or a patient in the address.
    expect(parseRoute('#/followups/overdue')).toEqual({ name: 'not_found' });
    expect(parseRoute('#/charges/2026-11-01')).toEqual({ name: 'not_found' });
    // An entry opens in memory, never in the address.
    expect(parseRoute('#/quarantine/7')).toEqual({ name: 'not_found' });
    expect(parseRoute('#/patient/99999999999999999')).toEqual({ name: 'not_found' });
  });
});

describe('formatRoute', () => {
  it('round-trips', () => {
    for (const h of ['#/queue', '#/patient/5', '#/interrogation/77', '#/results', '#/followups', '#/charges', '#/admin', '#/quarantine']) {
      expect(formatRoute(parseRoute(h))).toBe(h);
    }
  });
});
