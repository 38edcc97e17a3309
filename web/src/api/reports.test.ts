import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, setCsrfToken } from './index';
import { bodyOf, fakeFetch, headersOf } from './testing';

afterEach(() => {
  vi.unstubAllGlobals();
  setCsrfToken('');
});

describe('report address', () => {
  it('is the bare report route by default (inline, the clinic paper size)', () => {
    expect(api.reportUrl(42)).toBe('/api/v1/interrogations/42/report');
    expect(api.reportUrl(42, {})).toBe('/api/v1/interrogations/42/report');
  });

  it('carries the paper size, download and append as the server spells them', () => {
    expect(api.reportUrl(7, { page: 'letter' })).toBe('/api/v1/interrogations/7/report?page=letter');
    expect(api.reportUrl(7, { download: true })).toBe('/api/v1/interrogations/7/report?download=1');
    expect(api.reportUrl(7, { page: 'a4', download: true, append: true })).toBe('/api/v1/interrogations/7/report?page=a4&download=1&append=1');
  });

  it('leaves out options that are off', () => {
    expect(api.reportUrl(7, { page: undefined, download: false, append: false })).toBe('/api/v1/interrogations/7/report');
  });

  it('holds ids and fixed words only', () => {
    const url = api.reportUrl(123456, { page: 'a4', download: true, append: true });
    expect(url).toMatch(/^\/api\/v1\/interrogations\/\d+\/report(\?(page=(a4|letter)|download=1|append=1)(&(page=(a4|letter)|download=1|append=1))*)?$/);
  });
});

describe('report recipients', () => {
  it('lists them with a plain GET and returns the items', async () => {
    const items = [{ id: 1, clinic_id: 1, name: 'Dr. A. Referrer', channel: 'email', address: 'a***@example.org' }];
    const calls = fakeFetch([{ status: 200, body: { items } }]);
    await expect(api.recipients()).resolves.toEqual(items);
    expect(calls[0]!.url).toBe('/api/v1/report-recipients');
    expect(calls[0]!.init.method).toBe('GET');
  });

  it('reports a server without the route as an ApiError the screen can recognise', async () => {
    fakeFetch([{ status: 404, body: { error: 'not_found', message: 'no such route' } }]);
    await expect(api.recipients()).rejects.toMatchObject({ status: 404, code: 'not_found' });
  });
});

describe('sending a report', () => {
  it('posts the recipient, password and code with the CSRF token', async () => {
    const calls = fakeFetch([{ status: 200, body: { job_id: 31, created: true } }]);
    setCsrfToken('tok');
    await expect(api.sendReport(9, 4, { password: 'pw words', totp: '123456' })).resolves.toEqual({ job_id: 31, created: true });
    expect(calls[0]!.url).toBe('/api/v1/interrogations/9/report/send');
    expect(calls[0]!.init.method).toBe('POST');
    expect(headersOf(calls[0]!)['X-CSRF-Token']).toBe('tok');
    expect(headersOf(calls[0]!)['Content-Type']).toBe('application/json');
    expect(bodyOf(calls[0]!)).toEqual({ recipient_id: 4, password: 'pw words', totp: '123456' });
  });

  it('leaves out an empty or blank code and trims a given one', async () => {
    const calls = fakeFetch([{ status: 200, body: { job_id: 31, created: false } }]);
    await api.sendReport(9, 4, { password: 'pw' });
    await api.sendReport(9, 4, { password: 'pw', totp: '  ' });
    await api.sendReport(9, 4, { password: 'pw', totp: ' 654321 ' });
    expect(calls.map(bodyOf)).toEqual([
      { recipient_id: 4, password: 'pw' },
      { recipient_id: 4, password: 'pw' },
      { recipient_id: 4, password: 'pw', totp: '654321' },
    ]);
  });

  it('sends nothing but the recipient and the credentials', async () => {
    const calls = fakeFetch([{ status: 200, body: { job_id: 1, created: true } }]);
    const stepUp = { password: 'pw', totp: '1', note: 'not for the server' } as { password: string; totp: string };
    await api.sendReport(9, 4, stepUp);
    expect(Object.keys(bodyOf(calls[0]!) as object).sort()).toEqual(['password', 'recipient_id', 'totp']);
  });

  it('is refused with 409 when there is no signed report, and is never retried', async () => {
    const calls = fakeFetch([{ status: 409, body: { error: 'conflict', message: 'not signed' } }]);
    await expect(api.sendReport(9, 4, { password: 'pw' })).rejects.toMatchObject({ status: 409, code: 'conflict' });
    expect(calls.length).toBe(1);
  });
});
