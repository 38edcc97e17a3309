import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, setCsrfToken } from './index';
import { bodyOf, fakeFetch, headersOf } from './testing';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
  setCsrfToken('');
});

describe('administration: feeds, store, unassigned pool', () => {
  it('reads feed problems with a plain GET', async () => {
    const answer = {
      control_id_reuse: [{ sender: 'APP|FAC', messages: 2, last_interrogation_id: 9, last_received_us: 1 }],
      quarantine: [{ id: 3, received_us: 2, source: 'mllp', code: 'parse_error', reason: 'no MSH segment' }],
      alarm: true,
    };
    const calls = fakeFetch([{ status: 200, body: answer }]);
    setCsrfToken('tok');
    await expect(api.feeds()).resolves.toEqual(answer);
    expect(calls[0]!.url).toBe('/api/v1/admin/feeds');
    expect(calls[0]!.init.method).toBe('GET');
    expect(calls[0]!.init.body).toBeUndefined();
    expect(headersOf(calls[0]!)['X-CSRF-Token']).toBeUndefined();
  });

  it('reads the store status', async () => {
    const calls = fakeFetch([{ status: 200, body: { damaged: true, reason: 'file is not a database', last_verification: null, alarm: true } }]);
    const s = await api.store();
    expect(calls[0]!.url).toBe('/api/v1/admin/store');
    expect(s).toMatchObject({ damaged: true, reason: 'file is not a database', last_verification: null });
  });

  it('pages the unassigned pool with cursor and limit, leaving out an absent cursor', async () => {
    const calls = fakeFetch([{ status: 200, body: { items: [], next_cursor: null } }]);
    await api.unassigned({ limit: 50 });
    await api.unassigned({ cursor: '41', limit: 50 });
    await api.unassigned();
    expect(calls.map((c) => c.url)).toEqual(['/api/v1/admin/unassigned?limit=50', '/api/v1/admin/unassigned?cursor=41&limit=50', '/api/v1/admin/unassigned']);
  });

  it('asks for a step-up like every administration call (403 step_up_required)', async () => {
    fakeFetch([{ status: 403, body: { error: 'step_up_required', message: 'confirm your password', correlation_id: 'c9' } }]);
    await expect(api.feeds()).rejects.toMatchObject({ status: 403, code: 'step_up_required', correlationId: 'c9' });
  });
});

describe('administration: moving a patient', () => {
  it('posts the clinic and the reason with the CSRF token', async () => {
    const calls = fakeFetch([{ status: 200, body: { patient_id: 12, clinic_id: 1 } }]);
    setCsrfToken('tok');
    await expect(api.movePatient(12, 1, 'sender belongs to the main clinic')).resolves.toEqual({ patient_id: 12, clinic_id: 1 });
    expect(calls[0]!.url).toBe('/api/v1/admin/patients/12/move');
    expect(calls[0]!.init.method).toBe('POST');
    expect(headersOf(calls[0]!)['X-CSRF-Token']).toBe('tok');
    expect(headersOf(calls[0]!)['Content-Type']).toBe('application/json');
    expect(bodyOf(calls[0]!)).toEqual({ clinic_id: 1, reason: 'sender belongs to the main clinic' });
  });

  it("turns a refusal into an ApiError carrying the server's message, and never retries", async () => {
    vi.useFakeTimers();
    const calls = fakeFetch([{ status: 400, body: { error: 'bad_request', message: 'no such clinic', correlation_id: 'c2' } }]);
    const err = await api.movePatient(12, 99, 'why').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, code: 'bad_request', message: 'no such clinic', correlationId: 'c2' });
    const busy = fakeFetch([{ status: 503, body: { error: 'unavailable', message: 'busy' } }]);
    const p = api.movePatient(12, 1, 'why').catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    expect(await p).toMatchObject({ status: 503 });
    expect(calls.length).toBe(1);
    expect(busy.length).toBe(1);
  });
});

describe('readiness', () => {
  it('answers ready on 200', async () => {
    const calls = fakeFetch([{ status: 200, body: { status: 'ready' } }]);
    await expect(api.ready()).resolves.toEqual({ status: 'ready' });
    expect(calls[0]!.url).toBe('/api/v1/ready');
  });

  it('gives 503 degraded back as an answer, once, without retrying', async () => {
    const calls = fakeFetch([{ status: 503, body: { status: 'degraded', reason: 'database damaged' } }]);
    await expect(api.ready()).resolves.toEqual({ status: 'degraded', reason: 'database damaged' });
    expect(calls.length).toBe(1);
  });

  it('still throws on other errors', async () => {
    fakeFetch([{ status: 500, body: { error: 'internal', message: 'boom' } }]);
    await expect(api.ready()).rejects.toMatchObject({ status: 500, code: 'internal' });
  });
});

describe('linking an unmatched interrogation', () => {
  it('sends only the patient, or only create: never a clinic', async () => {
    const calls = fakeFetch([{ status: 200, body: { patient_id: 4 } }]);
    await api.link(8, { patient_id: 4 });
    // An object built elsewhere may carry more; the call must not pass it on.
    const loose = { create: true as const, clinic_id: 2 };
    await api.link(8, loose);
    expect(calls.map((c) => c.url)).toEqual(['/api/v1/interrogations/8/link', '/api/v1/interrogations/8/link']);
    expect(bodyOf(calls[0]!)).toEqual({ patient_id: 4 });
    expect(bodyOf(calls[1]!)).toEqual({ create: true });
  });
});
