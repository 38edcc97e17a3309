import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, setCsrfToken } from './index';
import { bodyOf, fakeFetch, headersOf } from './testing';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
  setCsrfToken('');
});

const RUIZ = { id: 31, clinic_id: 1, unmatched: true, family_name: 'Ruiz', given_name: 'Ana', birth_date: '1961-02-03', sex: 'F' };

describe('unconfirmed patients: the list', () => {
  it('asks for unconfirmed=true with a plain GET, never with a search, and returns the page', async () => {
    const page = { items: [RUIZ], next_cursor: '31' };
    const calls = fakeFetch([{ status: 200, body: page }]);
    setCsrfToken('tok');
    await expect(api.unconfirmedPatients(50)).resolves.toEqual(page);
    expect(calls[0]!.url).toBe('/api/v1/patients?unconfirmed=true&limit=50');
    expect(calls[0]!.init.method).toBe('GET');
    expect(calls[0]!.init.body).toBeUndefined();
    expect(headersOf(calls[0]!)['X-CSRF-Token']).toBeUndefined();
    expect(calls[0]!.url).not.toMatch(/[?&]q=/);
  });

  it('passes the cursor, leaves out an absent one, and has a default limit', async () => {
    const calls = fakeFetch([{ status: 200, body: { items: [], next_cursor: null } }]);
    await api.unconfirmedPatients(20, '31');
    await api.unconfirmedPatients(20, null);
    await api.unconfirmedPatients();
    expect(calls.map((c) => c.url)).toEqual([
      '/api/v1/patients?unconfirmed=true&limit=20&cursor=31',
      '/api/v1/patients?unconfirmed=true&limit=20',
      '/api/v1/patients?unconfirmed=true&limit=100',
    ]);
  });

  it('reports a refusal as an ApiError (400 when combined with a search, 403 without patient.read)', async () => {
    fakeFetch([{ status: 400, body: { error: 'bad_request', message: 'unconfirmed= lists; it does not search (q=)', correlation_id: 'c4' } }]);
    const err = await api.unconfirmedPatients().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, code: 'bad_request', correlationId: 'c4' });
    fakeFetch([{ status: 403, body: { error: 'forbidden', message: 'not allowed' } }]);
    await expect(api.unconfirmedPatients()).rejects.toMatchObject({ status: 403, code: 'forbidden' });
  });
});

describe('unconfirmed patients: linking or accepting one', () => {
  it('posts only the patient, or only create, with the CSRF token: never a clinic', async () => {
    const calls = fakeFetch([{ status: 200, body: { patient_id: 4 } }]);
    setCsrfToken('tok');
    await expect(api.linkPatient(31, { patient_id: 4 })).resolves.toEqual({ patient_id: 4 });
    // An object built elsewhere may carry more; the call must not pass it on.
    const loose = { create: true as const, clinic_id: 2 };
    await api.linkPatient(31, loose);
    expect(calls.map((c) => c.url)).toEqual(['/api/v1/patients/31/link', '/api/v1/patients/31/link']);
    expect(calls.map((c) => c.init.method)).toEqual(['POST', 'POST']);
    expect(headersOf(calls[0]!)['X-CSRF-Token']).toBe('tok');
    expect(headersOf(calls[0]!)['Content-Type']).toBe('application/json');
    expect(bodyOf(calls[0]!)).toEqual({ patient_id: 4 });
    expect(bodyOf(calls[1]!)).toEqual({ create: true });
  });

  it('is not the interrogation link: the address names the patient', async () => {
    const calls = fakeFetch([{ status: 200, body: { patient_id: 31 } }]);
    await api.linkPatient(31, { create: true });
    await api.link(31, { create: true });
    expect(calls.map((c) => c.url)).toEqual(['/api/v1/patients/31/link', '/api/v1/interrogations/31/link']);
  });

  it("turns 409 (already matched, itself, another clinic's target) into an ApiError, and never retries", async () => {
    vi.useFakeTimers();
    const calls = fakeFetch([{ status: 409, body: { error: 'conflict', message: 'the patient is already matched', correlation_id: 'c7' } }]);
    const err = await api.linkPatient(31, { create: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 409, code: 'conflict', message: 'the patient is already matched', correlationId: 'c7' });
    expect(calls.length).toBe(1);
    const busy = fakeFetch([{ status: 503, body: { error: 'unavailable', message: 'busy' } }]);
    const p = api.linkPatient(31, { patient_id: 4 }).catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    expect(await p).toMatchObject({ status: 503 });
    expect(busy.length).toBe(1);
  });

  it("passes another clinic's 404 and a bad body's 400 through as ApiErrors", async () => {
    fakeFetch([{ status: 404, body: { error: 'not_found', message: 'no such resource' } }]);
    await expect(api.linkPatient(77, { create: true })).rejects.toMatchObject({ status: 404, code: 'not_found' });
    fakeFetch([{ status: 400, body: { error: 'bad_request', message: 'patient_id or create' } }]);
    await expect(api.linkPatient(31, { patient_id: 4 })).rejects.toMatchObject({ status: 400, code: 'bad_request' });
  });
});

describe('a patient record', () => {
  it('carries the records merged into it, oldest first, as the server sent them', async () => {
    const merged = [
      { merged_from: 12, merged_us: 1772355600000000, sender: 'EPIC|HOSP', control_id: 'M1' },
      { merged_from: 15, merged_us: 1772442000000000, sender: 'EPIC|HOSP', control_id: 'M2' },
    ];
    const calls = fakeFetch([{ status: 200, body: { ...RUIZ, unmatched: false, identifiers: [], devices: [], leads: [], merged } }]);
    const p = await api.patient(31);
    expect(calls[0]!.url).toBe('/api/v1/patients/31');
    expect(p.merged).toEqual(merged);
  });
});
