// The monitoring plans as administration shows them: one row per device type with the default
// intervals and a chosen clinic's override (if any), and the clinic plan form's check. Pure; the
// panel is ui/plans.ts.
import type { ClinicPlanBody, PlanRow } from '../api/followups';
import { formatInterval, PLAN_LIMITS } from './followups';

/** Every device type a plan can name, in the order the panel lists them. */
export const PLAN_DEVICE_TYPES: readonly string[] = ['pacemaker', 'crt-p', 'icd', 'crt-d', 'loop-recorder', 'other', 'unknown'];

/** Intervals in days; null: none (a default) or not set (a clinic's: the default applies). */
export interface Intervals {
  remote_days: number | null;
  in_clinic_days: number | null;
}

export interface PlanTableRow {
  device_type: string;
  /** The default plan, or null when the server has none for this type. */
  default: Intervals | null;
  /** The chosen clinic's override, or null when it has none. */
  clinic: Intervals | null;
}

const intervals = (p: PlanRow): Intervals => ({ remote_days: p.remote_days, in_clinic_days: p.in_clinic_days });

/** One row per device type (known types first, then any other the server names), for `clinicId` (null: none chosen). */
export function planTableRows(plans: readonly PlanRow[], clinicId: number | null): PlanTableRow[] {
  const extra = plans.map((p) => p.device_type).filter((t, i, all) => !PLAN_DEVICE_TYPES.includes(t) && all.indexOf(t) === i);
  return [...PLAN_DEVICE_TYPES, ...extra].map((t) => {
    const d = plans.find((p) => p.scope === 'default' && p.device_type === t);
    const c = clinicId === null ? undefined : plans.find((p) => p.scope === 'clinic' && p.clinic_id === clinicId && p.device_type === t);
    return { device_type: t, default: d ? intervals(d) : null, clinic: c ? intervals(c) : null };
  });
}

/** A default cell: "every 91 days", "none"; "—" when there is no default plan. */
export function defaultCellText(d: Intervals | null, key: keyof Intervals): string {
  return d ? formatInterval(d[key]) : '—';
}

/** A clinic cell: "every 30 days"; "as default" when the clinic has no plan or leaves it unset. */
export function clinicCellText(c: Intervals | null, key: keyof Intervals): string {
  const v = c?.[key];
  return v === null || v === undefined ? 'as default' : formatInterval(v);
}

export interface ClinicPlanForm {
  remote_days: string;
  in_clinic_days: string;
}

/** The form filled from a clinic's override (empty when it has none). */
export function clinicPlanToForm(c: Intervals | null): ClinicPlanForm {
  const n = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));
  return { remote_days: n(c?.remote_days), in_clinic_days: n(c?.in_clinic_days) };
}

function days(text: string, label: string, max: number): number | null | string {
  const t = text.trim();
  if (!t) return null;
  if (!/^\d+$/.test(t) || Number(t) < 1 || Number(t) > max) return `${label} is a whole number of days from 1 to ${max}.`;
  return Number(t);
}

/** The form as the request body, or the first problem with it. An empty field is "not set" (null). */
export function clinicPlanFromForm(f: ClinicPlanForm): { body: ClinicPlanBody } | { problem: string } {
  const remote = days(f.remote_days, 'Remote interval', PLAN_LIMITS.remoteDays);
  if (typeof remote === 'string') return { problem: remote };
  const inClinic = days(f.in_clinic_days, 'In-clinic interval', PLAN_LIMITS.inClinicDays);
  if (typeof inClinic === 'string') return { problem: inClinic };
  if (remote === null && inClinic === null) return { problem: 'Fill in at least one interval, or use the default instead.' };
  return { body: { remote_days: remote, in_clinic_days: inClinic } };
}
