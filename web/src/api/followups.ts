// Follow-up scheduling (issue 23): the work list of due, overdue, missed and booked follow-ups of
// the caller's clinics, one patient's monitoring plan (what applies, their own plan, their next
// follow-ups and visits), setting or removing their own plan, booking and cancelling a visit; and
// the monitoring plans (the defaults and every clinic's; a clinic's set or removed by rules.admin).
import { del, get, post, put } from './core';

/** upcoming: not due yet; due: within 14 days; overdue: past; missed: past the grace; booked: a visit is booked. */
export type FollowUpStatus = 'upcoming' | 'due' | 'overdue' | 'missed' | 'booked';
/** remote: a transmission; in_clinic: the yearly check; visit: a booked visit. */
export type FollowUpKind = 'remote' | 'in_clinic' | 'visit';
/** Where the remote interval in force comes from (most specific wins). */
export type PlanSource = 'default' | 'clinic' | 'patient';
export type VisitState = 'booked' | 'done' | 'cancelled';

/** One follow-up of a patient, as the chart lists it. */
export interface FollowUp {
  patient_id: number;
  clinic_id: number;
  /** pacemaker, icd, crt-d, crt-p, loop-recorder, other, unknown (the current device's). */
  device_type: string;
  kind: FollowUpKind;
  status: FollowUpStatus;
  /** YYYY-MM-DD, the clinic's calendar. */
  due: string;
  /** Days past the due date; negative: due in that many days. */
  days_overdue: number;
  /** The last follow-up of this kind (YYYY-MM-DD), or null when there was none. */
  last: string | null;
  visit_id: number | null;
  interval_days: number | null;
}

/** A row of the work list: the follow-up and whose it is. */
export interface FollowUpItem extends FollowUp {
  family_name: string;
  given_name: string;
  birth_date: string;
}

export interface FollowUpList {
  /** Matching items before the limit. */
  total: number;
  /** Per status among the matching items; a status without items may be absent. */
  counts: Partial<Record<FollowUpStatus, number>>;
  /** Most overdue first. */
  items: FollowUpItem[];
}

export interface FollowUpQuery {
  clinic?: number | null;
  device_type?: string | null;
  /** Absent or empty: the server's default (due, overdue, missed, booked). */
  status?: readonly FollowUpStatus[];
  /** Only items at least this many days overdue (negative: due within that many days). */
  min_overdue?: number | null;
  limit?: number;
}

/** The plan in force for the patient. */
export interface ResolvedPlan {
  remote_days: number | null;
  in_clinic_days: number | null;
  remote_from: PlanSource;
  in_clinic_from: PlanSource;
  /** "default" unless a plan names one. */
  payer: string;
  /** Empty when no plan names one. */
  ordering_physician: string;
}

/** A stored plan row (the patient's own: scope "patient", device type "*"). */
export interface PlanRow {
  scope: PlanSource;
  clinic_id: number;
  device_type: string;
  remote_days: number | null;
  in_clinic_days: number | null;
  payer: string | null;
  ordering_physician: string | null;
  version: number;
  set_us: number;
}

/** What PUT /patients/{id}/plan takes: null = not set in the patient's own plan. */
export interface PlanBody {
  remote_days: number | null;
  in_clinic_days: number | null;
  payer: string | null;
  ordering_physician: string | null;
}

/** What PUT /clinics/{id}/plans/{device_type} takes: null = not set (the default applies). */
export interface ClinicPlanBody {
  remote_days: number | null;
  in_clinic_days: number | null;
}

export interface Visit {
  id: number;
  /** YYYY-MM-DD, the clinic's calendar. */
  day: string;
  state: VisitState;
  clinic_id: number;
  /** The in-clinic interrogation that closed it (state done). */
  interrogation_id: number | null;
}

export interface PatientPlan {
  patient_id: number;
  device_type: string;
  resolved: ResolvedPlan;
  own: PlanRow | null;
  followups: FollowUp[];
  visits: Visit[];
}

/** How many rows the work list asks for (the server returns 500 at most). */
export const FOLLOWUPS_LIMIT = 500;

/** The query of GET /followups: empty filters left out, statuses comma-separated. */
export function followUpParams(q: FollowUpQuery): Record<string, string | number | undefined> {
  return {
    clinic: q.clinic ?? undefined,
    device_type: q.device_type || undefined,
    status: q.status && q.status.length ? q.status.join(',') : undefined,
    min_overdue: q.min_overdue ?? undefined,
    limit: q.limit ?? FOLLOWUPS_LIMIT,
  };
}

/** Only the four fields the server reads, each trimmed text or null. */
export function planBody(p: PlanBody): PlanBody {
  const text = (s: string | null) => (s === null || s.trim() === '' ? null : s.trim());
  return { remote_days: p.remote_days, in_clinic_days: p.in_clinic_days, payer: text(p.payer), ordering_physician: text(p.ordering_physician) };
}

export const followupsApi = {
  /** The work list of the caller's clinics, most overdue first. */
  followups: (q: FollowUpQuery = {}) => get<FollowUpList>('/followups', followUpParams(q)),
  patientPlan: (patientId: number) => get<PatientPlan>(`/patients/${patientId}/plan`),
  /** Set the patient's own plan (each value overrides the clinic's and the default). */
  setPatientPlan: (patientId: number, plan: PlanBody) => put<PlanRow>(`/patients/${patientId}/plan`, planBody(plan)),
  /** Remove the patient's own plan; 404 not_found when there is none. */
  clearPatientPlan: (patientId: number) => del<Record<string, never>>(`/patients/${patientId}/plan`),
  /** The default plans (scope "default", clinic 0) and every clinic's override (scope "clinic"). */
  listPlans: () => get<{ items: PlanRow[] }>('/plans'),
  /** Set a clinic's plan for a device type (rules.admin, step-up). 400 bad_request out of range. */
  putClinicPlan: (clinicId: number, deviceType: string, body: ClinicPlanBody) =>
    put<unknown>(`/clinics/${clinicId}/plans/${encodeURIComponent(deviceType)}`, { remote_days: body.remote_days, in_clinic_days: body.in_clinic_days }),
  /** Remove a clinic's plan for a device type (back to the default); 404 not_found when it has none. */
  deleteClinicPlan: (clinicId: number, deviceType: string) => del<unknown>(`/clinics/${clinicId}/plans/${encodeURIComponent(deviceType)}`),
  /** Book an in-clinic visit on a day (YYYY-MM-DD); answers the visit's id (201). */
  bookVisit: (patientId: number, day: string) => post<{ id: number }>(`/patients/${patientId}/visits`, { day }),
  /** Cancel a booked visit; the reason (1–500 characters) is sealed in the audit trail. 409 not_booked once done or cancelled. */
  cancelVisit: (visitId: number, reason: string) => post<Record<string, never>>(`/visits/${visitId}/cancel`, { reason: reason.trim() }),
};
