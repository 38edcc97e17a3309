import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, resendReasonProblem, setCsrfToken } from './index';
import { bodyOf, fakeFetch, headersOf } from './testing';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
  setCsrfToken('');
});

const DEAD = { id: 1, interrogation_id: 5, patient_id: 2, clinic_id: 1, destination: 'epic', control_id: 'HB1', state: 'dead', attempts: 4, ack_code: 'AR', error: 'unknown MRN', updated_us: 1765000000000000, resent_as: null };

describe('results to the EHR: the list', () => {
  it('asks for one state with a plain GET and returns the items', async () => {
    const calls = fakeFetch([{ status: 200, body: { items: [DEAD] } }]);
    setCsrfToken('tok');
    await expect(api.results('dead')).resolves.toEqual([DEAD]);
    expect(calls[0]!.url).toBe('/api/v1/results?state=dead&limit=200');
    expect(calls[0]!.init.method).toBe('GET');
    expect(calls[0]!.init.body).toBeUndefined();
    expect(headersOf(calls[0]!)['X-CSRF-Token']).toBeUndefined();
  });

  it('spells every state as the server does, and passes a given limit', async () => {
    const calls = fakeFetch([{ status: 200, body: { items: [] } }]);
    await api.results('pending');
    await api.results('sent', 1000);
    expect(calls.map((c) => c.url)).toEqual(['/api/v1/results?state=pending&limit=200', '/api/v1/results?state=sent&limit=1000']);
  });

  it('puts no patient data in the address, only the state and the limit', async () => {
    const calls = fakeFetch([{ status: 200, body: { items: [DEAD] } }]);
    await api.results('dead');
    expect(calls[0]!.url).toMatch(/^\/api\/v1\/results\?state=(dead|pending|sent)&limit=\d+$/);
  });

  it('reports a role without interrogation.read as an ApiError (403)', async () => {
    fakeFetch([{ status: 403, body: { error: 'forbidden', message: 'not allowed' } }]);
    await expect(api.results('dead')).rejects.toMatchObject({ status: 403, code: 'forbidden' });
  });
});

describe('results to the EHR: resending', () => {
  it('posts the reason, trimmed, with the CSRF token, and answers the new id', async () => {
    const calls = fakeFetch([{ status: 200, body: { id: 9 } }]);
    setCsrfToken('tok');
    await expect(api.resendResult(1, '  MRN corrected in the EHR \n')).resolves.toEqual({ id: 9 });
    expect(calls[0]!.url).toBe('/api/v1/results/1/resend');
    expect(calls[0]!.init.method).toBe('POST');
    expect(headersOf(calls[0]!)['X-CSRF-Token']).toBe('tok');
    expect(headersOf(calls[0]!)['Content-Type']).toBe('application/json');
    expect(bodyOf(calls[0]!)).toEqual({ reason: 'MRN corrected in the EHR' });
  });

  it('is refused with 409 while the result is pending, and is never retried (not even on 503)', async () => {
    vi.useFakeTimers();
    const calls = fakeFetch([{ status: 409, body: { error: 'pending', message: 'the result is still being delivered' } }]);
    await expect(api.resendResult(1, 'why')).rejects.toMatchObject({ status: 409, code: 'pending' });
    expect(calls.length).toBe(1);
    const busy = fakeFetch([{ status: 503, body: { error: 'unavailable', message: 'busy' } }]);
    const p = api.resendResult(1, 'why').catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    expect(await p).toMatchObject({ status: 503 });
    expect(busy.length).toBe(1);
  });

  it("passes another clinic's 404 through as an ApiError", async () => {
    fakeFetch([{ status: 404, body: { error: 'not_found', message: 'no such resource' } }]);
    await expect(api.resendResult(77, 'why')).rejects.toMatchObject({ status: 404, code: 'not_found' });
  });
});

describe('resend reason', () => {
  it('is required (blank is not a reason)', () => {
    expect(resendReasonProblem('')).toMatch(/reason/);
    expect(resendReasonProblem('  \n ')).toMatch(/reason/);
    expect(resendReasonProblem('MRN corrected')).toBeNull();
  });

  it('holds at most 500 bytes of UTF-8 once trimmed, as the server counts', () => {
    expect(resendReasonProblem('a'.repeat(500))).toBeNull();
    expect(resendReasonProblem(` ${'a'.repeat(500)} `)).toBeNull();
    expect(resendReasonProblem('a'.repeat(501))).toMatch(/Shorten/);
    // 250 two-byte letters are 500 bytes; one more is too many.
    expect(resendReasonProblem('é'.repeat(250))).toBeNull();
    expect(resendReasonProblem('é'.repeat(251))).toMatch(/Shorten/);
  });
});
