// Follow-up scheduling logic: status and kind labels, the order of the work list, "12 days
// overdue" / "due in 3 days", the work list's filters, and checking the plan, booking and cancel
// forms before anything is sent. Pure; the screens are ui/followups.ts and ui/followplan.ts.
import type { FollowUp, FollowUpStatus, PlanBody, PlanSource, VisitState } from '../api/followups';

/** Every status, in the order the screens show them (filters, counts). */
export const FOLLOWUP_STATUSES: readonly FollowUpStatus[] = ['missed', 'overdue', 'due', 'booked', 'upcoming'];
/** What the work list shows when nothing else is chosen (the server's default too). */
export const DEFAULT_STATUSES: readonly FollowUpStatus[] = ['missed', 'overdue', 'due', 'booked'];

const STATUS_LABELS: Record<FollowUpStatus, string> = {
  upcoming: 'Upcoming',
  due: 'Due',
  overdue: 'Overdue',
  missed: 'Missed',
  booked: 'Booked',
};

/** "Overdue"; an unknown status as the server spelled it. */
export function statusLabel(s: string): string {
  return STATUS_LABELS[s as FollowUpStatus] ?? s;
}

/** The badge class of a status (its label always goes with it: colour is never the only signal). */
export function statusBadgeClass(s: string): string {
  switch (s) {
    case 'missed':
      return 'badge danger';
    case 'overdue':
      return 'badge warn';
    case 'due':
      return 'badge info';
    case 'booked':
      return 'badge ok';
    default:
      return 'badge';
  }
}

const KIND_LABELS: Record<string, string> = {
  remote: 'Remote transmission',
  in_clinic: 'In-clinic check',
  visit: 'Booked visit',
};

export function kindLabel(k: string): string {
  return KIND_LABELS[k] ?? k;
}

const VISIT_LABELS: Record<VisitState, string> = { booked: 'Booked', done: 'Done', cancelled: 'Cancelled' };

export function visitStateLabel(s: string): string {
  return VISIT_LABELS[s as VisitState] ?? s;
}

export function visitBadgeClass(s: string): string {
  return s === 'booked' ? 'badge ok' : s === 'cancelled' ? 'badge' : 'badge info';
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "12 days overdue", "1 day overdue", "due today", "due in 3 days". */
export function formatDaysOverdue(days: number): string {
  if (!Number.isFinite(days)) return '—';
  if (days > 0) return `${plural(days, 'day')} overdue`;
  if (days === 0) return 'due today';
  return `due in ${plural(-days, 'day')}`;
}

/** "every 91 days"; "none" when the plan has no such follow-up (a loop recorder's visits). */
export function formatInterval(days: number | null | undefined): string {
  if (days === null || days === undefined) return 'none';
  return `every ${plural(days, 'day')}`;
}

const SOURCE_LABELS: Record<PlanSource, string> = {
  default: 'default plan',
  clinic: "clinic's plan",
  patient: "patient's own plan",
};

export function planSourceLabel(s: string): string {
  return SOURCE_LABELS[s as PlanSource] ?? s;
}

const STATUS_RANK: Record<string, number> = { missed: 0, overdue: 1, due: 2, booked: 3, upcoming: 4 };
const KIND_RANK: Record<string, number> = { visit: 0, in_clinic: 1, remote: 2 };

/** Most overdue first, then by status, kind and patient, so the order is total. Returns a new array. */
export function sortFollowUps<T extends Pick<FollowUp, 'days_overdue' | 'status' | 'kind' | 'patient_id'>>(items: readonly T[]): T[] {
  return [...items].sort(
    (a, b) =>
      b.days_overdue - a.days_overdue ||
      (STATUS_RANK[a.status] ?? 9) - (STATUS_RANK[b.status] ?? 9) ||
      (KIND_RANK[a.kind] ?? 9) - (KIND_RANK[b.kind] ?? 9) ||
      a.patient_id - b.patient_id,
  );
}

/** "2 missed · 5 overdue · 3 due · 1 booked" for the chosen statuses (absent counts are 0). */
export function countsText(counts: Partial<Record<FollowUpStatus, number>>, statuses: readonly FollowUpStatus[]): string {
  return FOLLOWUP_STATUSES.filter((s) => statuses.includes(s))
    .map((s) => `${counts[s] ?? 0} ${statusLabel(s).toLowerCase()}`)
    .join(' · ');
}

// ---- the work list's filters (in memory for the tab, never in the address) ----

export interface FollowUpFilters {
  clinic: string;
  device_type: string;
  statuses: FollowUpStatus[];
  /** The text of the "at least N days overdue" field; empty = any. */
  min_overdue: string;
}

export const EMPTY_FOLLOWUP_FILTERS: FollowUpFilters = { clinic: '', device_type: '', statuses: [...DEFAULT_STATUSES], min_overdue: '' };

/** Why the filters cannot be asked for, or null. */
export function filtersProblem(f: FollowUpFilters): string | null {
  if (f.statuses.length === 0) return 'Choose at least one status.';
  const m = f.min_overdue.trim();
  if (m && !/^-?\d{1,4}$/.test(m)) return 'Days overdue is a whole number of days (negative: due within that many days).';
  return null;
}

/** The work-list query for valid filters: the statuses in a fixed order, empty filters left out. */
export function followUpQuery(f: FollowUpFilters, limit: number): { clinic: number | null; device_type: string | null; status: FollowUpStatus[]; min_overdue: number | null; limit: number } {
  const m = f.min_overdue.trim();
  return {
    clinic: f.clinic ? Number(f.clinic) : null,
    device_type: f.device_type || null,
    status: FOLLOWUP_STATUSES.filter((s) => f.statuses.includes(s)),
    min_overdue: m ? Number(m) : null,
    limit,
  };
}

// ---- forms on the chart ----

/** The server's bounds (the database's for remote days). */
export const PLAN_LIMITS = { remoteDays: 730, inClinicDays: 1100, payer: 40, orderingPhysician: 120 } as const;
/** The server's bound on a cancel reason, in bytes of UTF-8. */
export const MAX_CANCEL_REASON_BYTES = 500;

export interface PlanForm {
  remote_days: string;
  in_clinic_days: string;
  payer: string;
  ordering_physician: string;
}

function days(text: string, label: string, max: number): number | null | string {
  const t = text.trim();
  if (!t) return null;
  if (!/^\d+$/.test(t) || Number(t) < 1 || Number(t) > max) return `${label} is a whole number of days from 1 to ${max}.`;
  return Number(t);
}

/** The plan form as the request body, or the first problem with it. Empty fields are "not set here". */
export function planFromForm(f: PlanForm): { body: PlanBody } | { problem: string } {
  const remote = days(f.remote_days, 'Remote interval', PLAN_LIMITS.remoteDays);
  if (typeof remote === 'string') return { problem: remote };
  const inClinic = days(f.in_clinic_days, 'In-clinic interval', PLAN_LIMITS.inClinicDays);
  if (typeof inClinic === 'string') return { problem: inClinic };
  const payer = f.payer.trim();
  if (payer.length > PLAN_LIMITS.payer) return { problem: `Shorten the payer (at most ${PLAN_LIMITS.payer} characters).` };
  const ordering = f.ordering_physician.trim();
  if (ordering.length > PLAN_LIMITS.orderingPhysician) return { problem: `Shorten the ordering physician (at most ${PLAN_LIMITS.orderingPhysician} characters).` };
  if (remote === null && inClinic === null && !payer && !ordering) {
    return { problem: 'Fill in at least one field, or remove the own plan instead.' };
  }
  return { body: { remote_days: remote, in_clinic_days: inClinic, payer: payer || null, ordering_physician: ordering || null } };
}

/** The plan form filled from the patient's own plan (empty when they have none). */
export function planToForm(own: Partial<PlanBody> | null): PlanForm {
  const n = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));
  return { remote_days: n(own?.remote_days), in_clinic_days: n(own?.in_clinic_days), payer: own?.payer ?? '', ordering_physician: own?.ordering_physician ?? '' };
}

/** A local calendar day as YYYY-MM-DD (the date input's value). */
export function isoDay(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** Why a visit cannot be booked on `day` (the date input's value), or null. `today`: YYYY-MM-DD. */
export function bookingProblem(day: string, today: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return 'Choose the day of the visit.';
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (d.getFullYear() !== Number(m[1]) || d.getMonth() !== Number(m[2]) - 1 || d.getDate() !== Number(m[3])) return 'Choose the day of the visit.';
  if (day < today) return 'Choose today or a later day.';
  return null;
}

/** Why a cancel reason cannot be sent, or null. Checked before anything is sent. */
export function cancelReasonProblem(reason: string): string | null {
  const r = reason.trim();
  if (!r) return 'Give a reason: it is kept in the audit trail.';
  if (new TextEncoder().encode(r).length > MAX_CANCEL_REASON_BYTES) return 'Shorten the reason (at most 500 characters).';
  return null;
}
