// Administration (user.admin, with a fresh step-up): users, clinics, the notification queue,
// feed problems, the store's health, the unassigned pool and moving a patient between clinics.
import { get, post, type Page } from './core';

export interface AdminUser {
  id: number;
  name: string;
  display_name?: string;
  mfa_required?: boolean;
  role: string;
  clinics: number[];
  disabled: boolean;
  mfa: boolean;
}

export interface Clinic {
  id: number;
  name: string;
}

/** The notification queue (heartbase notify), as administrators see it: no message content. */
export interface OutboxStatus {
  pending: number;
  leased: number;
  sent: number;
  dead: number;
  queue_age_us: number;
  alarm: boolean;
  dead_letters: { id: number; kind: string; channel: string; attempts: number; last_error: string; updated_us: number }[];
}

/** A sender that reused a control id for other bytes: such messages are stored and flagged. */
export interface ControlIdReuse {
  /** `MSH-3|MSH-4`. */
  sender: string;
  messages: number;
  last_interrogation_id: number;
  last_received_us: number;
}

/** A quarantined input: why it was refused, never its content. */
export interface QuarantineEntry {
  id: number;
  received_us: number;
  source: string;
  /** A reason code such as `parse_error`. */
  code: string;
  reason: string;
}

/** Feed problems; `alarm` when either list is not empty. */
export interface FeedStatus {
  control_id_reuse: ControlIdReuse[];
  /** The newest 50 unresolved entries. */
  quarantine: QuarantineEntry[];
  alarm: boolean;
}

/** The newest scheduled `store verify`, by place, never content. */
export interface Verification {
  finished_us: number;
  complete: boolean;
  problems: number;
  first_problem: string;
}

/** The store: while `damaged`, ingest is stopped until the database is restored (docs/recovery.md). */
export interface StoreStatus {
  damaged: boolean;
  reason?: string;
  last_verification: Verification | null;
  alarm: boolean;
}

/** An interrogation in the unassigned pool (a sender with no clinic): ids and times, no names. */
export interface UnassignedItem {
  id: number;
  patient_id: number;
  sender: string;
  received_us: number;
  session_us?: number;
}

export const adminApi = {
  users: () => get<{ items: AdminUser[] }>('/admin/users'),
  addUser: (u: { name: string; role: string; clinics: number[]; password?: string; display_name?: string }) =>
    post<unknown>('/admin/users', u),
  userAction: (id: number, action: 'disable' | 'enable' | 'reset-mfa') => post<unknown>(`/admin/users/${id}/${action}`),
  clinics: () => get<{ items: Clinic[] }>('/admin/clinics'),
  addClinic: (name: string) => post<unknown>('/admin/clinics', { name }),
  outbox: () => get<OutboxStatus>('/admin/outbox'),
  feeds: () => get<FeedStatus>('/admin/feeds'),
  store: () => get<StoreStatus>('/admin/store'),
  unassigned: (params: { cursor?: string | null; limit?: number } = {}) =>
    get<Page<UnassignedItem>>('/admin/unassigned', params),
  /** Route a patient (and everything that hangs off it) to a clinic; the reason is audited. */
  movePatient: (patientId: number, clinicId: number, reason: string) =>
    post<{ patient_id: number; clinic_id: number }>(`/admin/patients/${patientId}/move`, { clinic_id: clinicId, reason }),
};
