import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, lastApiCallMs, seriesByTerm, setCsrfToken, setSessionLostHandler } from './index';
import { fakeFetch } from './testing';

afterEach(() => {
  vi.unstubAllGlobals();
  setSessionLostHandler(null);
  setCsrfToken('');
});

describe('api transport', () => {
  it('sends the CSRF token and JSON on POST', async () => {
    const calls = fakeFetch([{ status: 200, body: { review: { state: 'reviewed' } } }]);
    setCsrfToken('tok123');
    await api.review(7, 'ok');
    expect(calls[0]!.url).toBe('/api/v1/interrogations/7/review');
    const headers = calls[0]!.init.headers as Record<string, string>;
    expect(headers['X-CSRF-Token']).toBe('tok123');
    expect(headers['Content-Type']).toBe('application/json');
    expect(JSON.parse(calls[0]!.init.body as string)).toEqual({ note: 'ok' });
    expect(calls[0]!.init.credentials).toBe('same-origin');
  });

  it('sends the password again when it starts TOTP enrolment', async () => {
    const calls = fakeFetch([{ status: 200, body: { secret: 'ABC', otpauth_uri: 'otpauth://totp/x' } }]);
    await api.mfaEnroll('my password');
    expect(calls[0]!.url).toBe('/api/v1/auth/mfa/enroll');
    expect(JSON.parse(calls[0]!.init.body as string)).toEqual({ password: 'my password' });
  });

  it('sends no CSRF header on GET and builds the query without empty values', async () => {
    const calls = fakeFetch([{ status: 200, body: { items: [], next_cursor: null } }]);
    setCsrfToken('tok123');
    await api.audit({ patient: '', user: 'demo', action: undefined, limit: 100 });
    expect(calls[0]!.url).toBe('/api/v1/audit?user=demo&limit=100');
    expect((calls[0]!.init.headers as Record<string, string>)['X-CSRF-Token']).toBeUndefined();
  });

  it('turns an error body into an ApiError with code and correlation id', async () => {
    fakeFetch([{ status: 401, body: { error: 'reauth_failed', message: 'wrong password', correlation_id: 'c1' } }]);
    const lost = vi.fn();
    setSessionLostHandler(lost);
    const err = await api.signoff(3, 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 401, code: 'reauth_failed', correlationId: 'c1' });
    expect(lost).not.toHaveBeenCalled();
  });

  it('reports a lost session only for 401 unauthenticated', async () => {
    fakeFetch([{ status: 401, body: { error: 'unauthenticated', message: 'no session' } }]);
    const lost = vi.fn();
    setSessionLostHandler(lost);
    await expect(api.me()).rejects.toBeInstanceOf(ApiError);
    expect(lost).toHaveBeenCalledOnce();
  });

  it('retries a GET on 503 but never a POST', async () => {
    vi.useFakeTimers();
    try {
      let calls = fakeFetch([{ status: 503, body: { error: 'unavailable', message: 'busy' } }, { status: 200, body: { ok: 1 } }]);
      const p = api.patient(5);
      await vi.runAllTimersAsync();
      await expect(p).resolves.toEqual({ ok: 1 });
      expect(calls.length).toBe(2);
      calls = fakeFetch([{ status: 503, body: { error: 'unavailable', message: 'busy' } }]);
      const q = api.assign(5, true).catch((e: unknown) => e);
      await vi.runAllTimersAsync();
      expect(await q).toMatchObject({ status: 503 });
      expect(calls.length).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('records the time of the last answered call', async () => {
    fakeFetch([{ status: 200, body: {} }]);
    const before = Date.now();
    await api.me();
    expect(lastApiCallMs()).toBeGreaterThanOrEqual(before);
  });

  it('reads Retry-After on throttling', async () => {
    fakeFetch([{ status: 429, body: { error: 'throttled', message: 'slow down' }, headers: { 'Retry-After': '120' } }]);
    await expect(api.login('a', 'b')).rejects.toMatchObject({ code: 'throttled', retryAfterS: 120 });
  });
});

describe('seriesByTerm', () => {
  it('maps answers back to the terms asked, by position', () => {
    const m = seriesByTerm({ patient_id: 1, series: [{ code: 721344, points: [[1, 2.9]] }, { code: 721472, points: [] }] }, ['MDC_IDC_MSMT_BATTERY_VOLTAGE', 'MDC_IDC_MSMT_BATTERY_REMAINING_LONGEVITY']);
    expect(m.get('MDC_IDC_MSMT_BATTERY_VOLTAGE')).toEqual([[1, 2.9]]);
    expect(m.get('MDC_IDC_MSMT_BATTERY_REMAINING_LONGEVITY')).toEqual([]);
  });
});
