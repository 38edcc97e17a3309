import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, setCsrfToken } from './index';
import { bodyOf, fakeFetch, headersOf } from './testing';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
  setCsrfToken('');
});

const CHARGE = {
  id: 7,
  patient_id: 4,
  family_name: 'Ruiz',
  given_name: 'Ana',
  clinic_id: 1,
  device_id: 2,
  code: '93295',
  modifier: '26',
  component: 'professional',
  period_start: '2026-08-01',
  period_end: '2026-10-29',
  service_date: '2026-10-29',
  payer: 'default',
  ordering_physician: 'Dr Phys',
  reading_physician: 'phys',
  interrogations: [11, 12],
  code_table: '2026.1',
  created_us: 1765000000000000,
  export_id: null,
};

describe('charges: the lists', () => {
  it('asks for charges waiting for export with a plain GET and returns the items', async () => {
    const calls = fakeFetch([{ status: 200, body: { items: [CHARGE] } }]);
    setCsrfToken('tok');
    await expect(api.charges({ exported: false })).resolves.toEqual([CHARGE]);
    expect(calls[0]!.url).toBe('/api/v1/charges?exported=false&limit=500');
    expect(calls[0]!.init.method).toBe('GET');
    expect(calls[0]!.init.body).toBeUndefined();
    expect(headersOf(calls[0]!)['X-CSRF-Token']).toBeUndefined();
  });

  it('passes dates, a patient, a batch and a limit, and leaves out empty ones', async () => {
    const calls = fakeFetch([{ status: 200, body: { items: [] } }]);
    await api.charges({ exported: true, from: '2026-01-01', to: '2026-06-30', patient: 4, export: 3, limit: 1000 });
    await api.charges({ from: '', to: null, patient: null });
    await api.charges();
    expect(calls.map((c) => c.url)).toEqual([
      '/api/v1/charges?exported=true&from=2026-01-01&to=2026-06-30&patient=4&export=3&limit=1000',
      '/api/v1/charges?limit=500',
      '/api/v1/charges?limit=500',
    ]);
  });

  it('reads the missed-charge report whole (total, code table, items with their reason)', async () => {
    const missed = { patient_id: 4, family_name: 'Ruiz', given_name: 'Ana', clinic_id: 1, device_id: 2, code: '93295', modifier: '26', component: 'professional', period_start: '2026-05-03', period_end: '2026-07-31', reason: 'no signed review', interrogations: [9] };
    const report = { total: 1, code_table: '2026.1', items: [missed] };
    const calls = fakeFetch([{ status: 200, body: report }]);
    await expect(api.missedCharges()).resolves.toEqual(report);
    expect(calls[0]!.url).toBe('/api/v1/charges/missed');
  });

  it('lists the export batches', async () => {
    const items = [{ id: 3, format: 'csv', charges: 12, sha256: 'ab'.repeat(32), created_us: 1 }];
    const calls = fakeFetch([{ status: 200, body: { items } }]);
    await expect(api.chargeExports()).resolves.toEqual(items);
    expect(calls[0]!.url).toBe('/api/v1/charges/exports');
  });

  it('reports a role without billing.read as an ApiError (403)', async () => {
    fakeFetch([{ status: 403, body: { error: 'forbidden', message: 'not allowed' } }]);
    await expect(api.charges({ exported: false })).rejects.toMatchObject({ status: 403, code: 'forbidden' });
    await expect(api.missedCharges()).rejects.toBeInstanceOf(ApiError);
  });
});

describe('charges: closing periods and exporting', () => {
  it('closes with an empty JSON body and the CSRF token', async () => {
    const answer = { created: 3, existing: 10, overlapping: 0, missed: 2, unmatched: 0, code_table: '2026.1' };
    const calls = fakeFetch([{ status: 200, body: answer }]);
    setCsrfToken('tok');
    await expect(api.closeCharges()).resolves.toEqual(answer);
    expect(calls[0]!.url).toBe('/api/v1/charges/close');
    expect(calls[0]!.init.method).toBe('POST');
    expect(headersOf(calls[0]!)['X-CSRF-Token']).toBe('tok');
    expect(headersOf(calls[0]!)['Content-Type']).toBe('application/json');
    expect(bodyOf(calls[0]!)).toEqual({});
  });

  it('exports in the format asked and answers the batch (201)', async () => {
    const calls = fakeFetch([{ status: 201, body: { id: 4, format: 'dft', charges: 5, sha256: 'cd'.repeat(32) } }]);
    setCsrfToken('tok');
    await expect(api.exportCharges('dft')).resolves.toMatchObject({ id: 4, format: 'dft', charges: 5 });
    await api.exportCharges('csv');
    expect(calls.map((c) => c.url)).toEqual(['/api/v1/charges/export', '/api/v1/charges/export']);
    expect(calls.map(bodyOf)).toEqual([{ format: 'dft' }, { format: 'csv' }]);
    expect(headersOf(calls[0]!)['X-CSRF-Token']).toBe('tok');
  });

  it('says nothing_to_export (404) when no charge waits, and never retries an export', async () => {
    vi.useFakeTimers();
    const calls = fakeFetch([{ status: 404, body: { error: 'nothing_to_export', message: 'no charge waits for export' } }]);
    await expect(api.exportCharges('csv')).rejects.toMatchObject({ status: 404, code: 'nothing_to_export' });
    expect(calls.length).toBe(1);
    const busy = fakeFetch([{ status: 503, body: { error: 'unavailable', message: 'busy' } }]);
    const p = api.exportCharges('csv').catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    expect(await p).toMatchObject({ status: 503 });
    expect(busy.length).toBe(1);
  });
});

describe('charges: the address of a batch file', () => {
  it('is the same-origin route with the id only', () => {
    expect(api.chargeExportUrl(4)).toBe('/api/v1/charges/exports/4');
    expect(api.chargeExportUrl(123456)).toMatch(/^\/api\/v1\/charges\/exports\/\d+$/);
  });
});
