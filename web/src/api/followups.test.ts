import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, setCsrfToken } from './index';
import { bodyOf, fakeFetch, headersOf } from './testing';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
  setCsrfToken('');
});

const ITEM = {
  patient_id: 4,
  clinic_id: 1,
  device_type: 'icd',
  kind: 'remote',
  status: 'overdue',
  due: '2026-11-20',
  days_overdue: 17,
  last: '2026-08-21',
  visit_id: null,
  interval_days: 91,
  family_name: 'Ruiz',
  given_name: 'Ana',
  birth_date: '1961-02-03',
};

describe('follow-ups: the work list', () => {
  it("asks with a plain GET and the default limit, leaving the statuses to the server's default", async () => {
    const answer = { total: 1, counts: { overdue: 1 }, items: [ITEM] };
    const calls = fakeFetch([{ status: 200, body: answer }]);
    setCsrfToken('tok');
    await expect(api.followups()).resolves.toEqual(answer);
    expect(calls[0]!.url).toBe('/api/v1/followups?limit=500');
    expect(calls[0]!.init.method).toBe('GET');
    expect(calls[0]!.init.body).toBeUndefined();
    expect(headersOf(calls[0]!)['X-CSRF-Token']).toBeUndefined();
  });

  it('passes every filter as the server spells it, statuses comma-separated', async () => {
    const calls = fakeFetch([{ status: 200, body: { total: 0, counts: {}, items: [] } }]);
    await api.followups({ clinic: 2, device_type: 'crt-d', status: ['overdue', 'missed'], min_overdue: 30, limit: 100 });
    await api.followups({ min_overdue: -14 });
    await api.followups({ min_overdue: 0 });
    expect(calls.map((c) => c.url)).toEqual([
      '/api/v1/followups?clinic=2&device_type=crt-d&status=overdue%2Cmissed&min_overdue=30&limit=100',
      '/api/v1/followups?min_overdue=-14&limit=500',
      '/api/v1/followups?min_overdue=0&limit=500',
    ]);
  });

  it('leaves out empty filters (no clinic, no device type, no status, no minimum)', async () => {
    const calls = fakeFetch([{ status: 200, body: { total: 0, counts: {}, items: [] } }]);
    await api.followups({ clinic: null, device_type: '', status: [], min_overdue: null });
    expect(calls[0]!.url).toBe('/api/v1/followups?limit=500');
  });

  it('puts no patient data in the address: ids, fixed words and numbers only', async () => {
    const calls = fakeFetch([{ status: 200, body: { total: 0, counts: {}, items: [] } }]);
    await api.followups({ clinic: 1, device_type: 'loop-recorder', status: ['due', 'overdue', 'missed', 'booked', 'upcoming'], min_overdue: 5 });
    expect(calls[0]!.url).toMatch(/^\/api\/v1\/followups\?clinic=\d+&device_type=[a-z-]+&status=[a-z%2C]+&min_overdue=-?\d+&limit=\d+$/);
  });

  it('reports a bad filter (400) and a role without patient.read (403) as ApiErrors', async () => {
    fakeFetch([{ status: 400, body: { error: 'bad_request', message: 'min_overdue= is a number of days', correlation_id: 'c3' } }]);
    const err = await api.followups({ min_overdue: 5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, code: 'bad_request', correlationId: 'c3' });
    fakeFetch([{ status: 403, body: { error: 'forbidden', message: 'not allowed' } }]);
    await expect(api.followups()).rejects.toMatchObject({ status: 403, code: 'forbidden' });
  });
});

describe("follow-ups: a patient's plan", () => {
  it('reads the plan with a plain GET', async () => {
    const plan = {
      patient_id: 4,
      device_type: 'icd',
      resolved: { remote_days: 91, in_clinic_days: 365, remote_from: 'default', in_clinic_from: 'default', payer: 'default', ordering_physician: '' },
      own: null,
      followups: [],
      visits: [{ id: 3, day: '2027-01-12', state: 'booked', clinic_id: 1, interrogation_id: null }],
    };
    const calls = fakeFetch([{ status: 200, body: plan }]);
    await expect(api.patientPlan(4)).resolves.toEqual(plan);
    expect(calls[0]!.url).toBe('/api/v1/patients/4/plan');
    expect(calls[0]!.init.method).toBe('GET');
  });

  it('sets the own plan with PUT, the CSRF token and JSON: the four fields only, blank text as null', async () => {
    const row = { scope: 'patient', clinic_id: 0, device_type: '*', remote_days: 30, in_clinic_days: null, payer: 'medicare', ordering_physician: null, version: 2, set_us: 1 };
    const calls = fakeFetch([{ status: 200, body: row }]);
    setCsrfToken('tok');
    const loose = { remote_days: 30, in_clinic_days: null, payer: ' medicare ', ordering_physician: '  ', patient_id: 9 };
    await expect(api.setPatientPlan(4, loose)).resolves.toEqual(row);
    expect(calls[0]!.url).toBe('/api/v1/patients/4/plan');
    expect(calls[0]!.init.method).toBe('PUT');
    expect(headersOf(calls[0]!)['X-CSRF-Token']).toBe('tok');
    expect(headersOf(calls[0]!)['Content-Type']).toBe('application/json');
    expect(bodyOf(calls[0]!)).toEqual({ remote_days: 30, in_clinic_days: null, payer: 'medicare', ordering_physician: null });
  });

  it('removes the own plan with DELETE and the CSRF token; 404 not_found when there is none', async () => {
    const calls = fakeFetch([{ status: 200, body: {} }]);
    setCsrfToken('tok');
    await expect(api.clearPatientPlan(4)).resolves.toEqual({});
    expect(calls[0]!.url).toBe('/api/v1/patients/4/plan');
    expect(calls[0]!.init.method).toBe('DELETE');
    expect(headersOf(calls[0]!)['X-CSRF-Token']).toBe('tok');
    fakeFetch([{ status: 404, body: { error: 'not_found', message: 'the patient has no plan of their own' } }]);
    await expect(api.clearPatientPlan(4)).rejects.toMatchObject({ status: 404, code: 'not_found' });
  });

  it('never retries a PUT, not even on 503', async () => {
    vi.useFakeTimers();
    const calls = fakeFetch([{ status: 503, body: { error: 'unavailable', message: 'busy' } }]);
    const p = api.setPatientPlan(4, { remote_days: 30, in_clinic_days: null, payer: null, ordering_physician: null }).catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    expect(await p).toMatchObject({ status: 503 });
    expect(calls.length).toBe(1);
  });
});

describe('follow-ups: visits', () => {
  it('books a visit on a day and answers its id (201)', async () => {
    const calls = fakeFetch([{ status: 201, body: { id: 12 } }]);
    setCsrfToken('tok');
    await expect(api.bookVisit(4, '2027-01-12')).resolves.toEqual({ id: 12 });
    expect(calls[0]!.url).toBe('/api/v1/patients/4/visits');
    expect(calls[0]!.init.method).toBe('POST');
    expect(headersOf(calls[0]!)['X-CSRF-Token']).toBe('tok');
    expect(bodyOf(calls[0]!)).toEqual({ day: '2027-01-12' });
  });

  it('cancels with the reason, trimmed', async () => {
    const calls = fakeFetch([{ status: 200, body: {} }]);
    await api.cancelVisit(12, '  the patient moved away \n');
    expect(calls[0]!.url).toBe('/api/v1/visits/12/cancel');
    expect(calls[0]!.init.method).toBe('POST');
    expect(bodyOf(calls[0]!)).toEqual({ reason: 'the patient moved away' });
  });

  it('is refused with 409 not_booked once done or cancelled, and is never retried', async () => {
    vi.useFakeTimers();
    const calls = fakeFetch([{ status: 409, body: { error: 'not_booked', message: 'the visit is cancelled' } }]);
    await expect(api.cancelVisit(12, 'why')).rejects.toMatchObject({ status: 409, code: 'not_booked' });
    expect(calls.length).toBe(1);
    const busy = fakeFetch([{ status: 503, body: { error: 'unavailable', message: 'busy' } }]);
    const p = api.bookVisit(4, '2027-01-12').catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    expect(await p).toMatchObject({ status: 503 });
    expect(busy.length).toBe(1);
  });
});

describe('follow-ups: monitoring plans', () => {
  const DEFAULT = { scope: 'default', clinic_id: 0, device_type: 'icd', remote_days: 91, in_clinic_days: 365, payer: 'default', ordering_physician: '', version: 1, set_us: 1 };
  const CLINIC = { ...DEFAULT, scope: 'clinic', clinic_id: 2, remote_days: 30, in_clinic_days: null, version: 3 };

  it('lists the default and clinic plans with a plain GET, no CSRF token', async () => {
    const calls = fakeFetch([{ status: 200, body: { items: [DEFAULT, CLINIC] } }]);
    setCsrfToken('tok');
    await expect(api.listPlans()).resolves.toEqual({ items: [DEFAULT, CLINIC] });
    expect(calls[0]!.url).toBe('/api/v1/plans');
    expect(calls[0]!.init.method).toBe('GET');
    expect(headersOf(calls[0]!)['X-CSRF-Token']).toBeUndefined();
  });

  it("sets a clinic's plan with PUT, the CSRF token and the two intervals only", async () => {
    const calls = fakeFetch([{ status: 200, body: CLINIC }]);
    setCsrfToken('tok');
    const loose = { remote_days: 30, in_clinic_days: null, payer: 'x' };
    await api.putClinicPlan(2, 'crt-d', loose);
    expect(calls[0]!.url).toBe('/api/v1/clinics/2/plans/crt-d');
    expect(calls[0]!.init.method).toBe('PUT');
    expect(headersOf(calls[0]!)['X-CSRF-Token']).toBe('tok');
    expect(headersOf(calls[0]!)['Content-Type']).toBe('application/json');
    expect(bodyOf(calls[0]!)).toEqual({ remote_days: 30, in_clinic_days: null });
  });

  it("removes a clinic's plan with DELETE; 404 not_found when it has none", async () => {
    const calls = fakeFetch([{ status: 200, body: {} }]);
    setCsrfToken('tok');
    await api.deleteClinicPlan(2, 'loop-recorder');
    expect(calls[0]!.url).toBe('/api/v1/clinics/2/plans/loop-recorder');
    expect(calls[0]!.init.method).toBe('DELETE');
    expect(headersOf(calls[0]!)['X-CSRF-Token']).toBe('tok');
    fakeFetch([{ status: 404, body: { error: 'not_found', message: 'no plan' } }]);
    await expect(api.deleteClinicPlan(2, 'icd')).rejects.toMatchObject({ status: 404, code: 'not_found' });
  });

  it('reports step_up_required (403) and an out-of-range value (400), and never retries a PUT', async () => {
    fakeFetch([{ status: 403, body: { error: 'step_up_required', message: 'confirm it is you' } }]);
    await expect(api.putClinicPlan(2, 'icd', { remote_days: 30, in_clinic_days: null })).rejects.toMatchObject({ status: 403, code: 'step_up_required' });
    fakeFetch([{ status: 400, body: { error: 'bad_request', message: 'remote_days is 1 to 730' } }]);
    const err = await api.putClinicPlan(2, 'icd', { remote_days: 999, in_clinic_days: null }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, code: 'bad_request' });
    vi.useFakeTimers();
    const calls = fakeFetch([{ status: 503, body: { error: 'unavailable', message: 'busy' } }]);
    const p = api.putClinicPlan(2, 'icd', { remote_days: 30, in_clinic_days: null }).catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    expect(await p).toMatchObject({ status: 503 });
    expect(calls.length).toBe(1);
  });
});
