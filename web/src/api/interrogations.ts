// Interrogations: lists, one interrogation with its review, attachments, and the review actions
// (assign, review, sign-off) and resolving an unmatched one (link).
import type { Observation } from '../lib/compare';
import type { Severity } from '../lib/queue';
import { BASE, get, post, type Page } from './core';

export interface InterrogationRow {
  id: number;
  patient_id: number;
  clinic_id: number;
  device_id: number;
  sender: string;
  session_type: string;
  session_us: number | null;
  result_status: string;
  superseded_by: number | null;
  received_us: number;
  observation_count: number;
  warning_count: number;
  unmatched: boolean;
}

export interface ObservationGroup {
  instance: number;
  observations: Observation[];
}

export interface Episode {
  instance: number;
  id: string;
  onset: string;
  type: string;
  duration_s: number | null;
  observations: Observation[];
  /** Indices into the interrogation's attachments. */
  attachments: number[];
}

export interface IdcoInterrogation {
  message: { sending_application: string; sending_facility: string; control_id: string; version: string; time: string };
  patient: {
    device_model: string;
    device_serial: string;
    identifiers: { id: string; authority: string; type: string }[];
    family_name: string;
    given_name: string;
    middle_name: string;
    birth_date: string;
    sex: string;
  };
  session: { id: string; type: string; type_raw: string; time: string; status: string };
  device: { type: string; manufacturer: string; model: string; serial: string; implant_date: string; observations: Observation[] };
  leads: { instance: number; model: string; serial: string; manufacturer: string; location: string; implant_date: string; observations: Observation[] }[];
  session_observations: Observation[];
  measurements: Observation[];
  settings: Observation[];
  statistics: Observation[];
  zones: ObservationGroup[];
  episode_counters: ObservationGroup[];
  episodes: Episode[];
  attachments: { instance: number; media_type: string; bytes: number; reference?: string }[];
  other_observations: Observation[];
  notes: string[];
  warnings: string[];
}

export type ReviewState = 'new' | 'reviewed' | 'signed';

export interface Review {
  state: ReviewState;
  assigned_to?: string | null;
  notes: { author: string; kind?: string; time_us: number; text: string }[];
  reviewed_by?: string | null;
  reviewed_us?: number | null;
  signed_by?: string | null;
  signed_us?: number | null;
  severity?: Severity | string;
  due_us?: number | null;
  received_us?: number;
}

export interface Alert {
  rule: string;
  severity: Severity | string;
  reason: string;
  due_us?: number | null;
}

export interface AttachmentRef {
  index: number;
  kind: string;
  media_type: string;
  bytes: number;
}

export interface InterrogationDetail extends InterrogationRow {
  interrogation: IdcoInterrogation;
  review?: Review;
  previous_id?: number | null;
  alerts?: Alert[];
  attachments?: AttachmentRef[];
}
/**
 * How an unmatched interrogation is resolved: linked to a patient of its clinic, or accepted as a
 * new patient of its clinic. There is deliberately no clinic here: linking never moves a patient
 * between clinics (the server answers 400); an administrator moves patients (admin.ts).
 */
export type LinkTarget = { patient_id: number } | { create: true };

export const interrogationsApi = {
  interrogations: (params: { patient?: number; unmatched?: boolean; status?: string; limit?: number; cursor?: string | null }) =>
    get<Page<InterrogationRow>>('/interrogations', params),
  interrogation: (id: number) => get<InterrogationDetail>(`/interrogations/${id}`),
  /** Same-origin address of an attachment; opened as a link (the session cookie goes along). */
  attachmentUrl: (id: number, index: number) => `${BASE}/interrogations/${id}/attachments/${index}`,
  assign: (id: number, toMe: boolean) =>
    post<{ review: Review }>(`/interrogations/${id}/assign`, { assignee: toMe ? 'me' : null }).then(
      (a) => ({ assigned_to: a.review.assigned_to ?? null }),
    ),
  review: (id: number, note: string) => post<{ review: Review }>(`/interrogations/${id}/review`, { note }),
  signoff: (id: number, password: string, totp?: string, note?: string) => {
    const body: Record<string, string> = { password };
    if (totp) body.totp = totp;
    if (note) body.note = note;
    return post<{ review: Review }>(`/interrogations/${id}/signoff`, body);
  },
  /** Only `patient_id` or `create` is sent, whatever else the caller's object holds. */
  link: (id: number, target: LinkTarget) =>
    post<{ patient_id: number }>(`/interrogations/${id}/link`, 'patient_id' in target ? { patient_id: target.patient_id } : { create: true }),
};
