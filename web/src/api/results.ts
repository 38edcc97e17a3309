// Results out to the hospital EHR (serve --ehr-destination): signed results heartbase sends over
// HL7, listed by delivery state for the caller's clinics, and sending one again with a reason.
import { get, post } from './core';

/** dead: the receiver refused it (or it gave up); pending: still being sent; sent: acknowledged. */
export type ResultState = 'dead' | 'pending' | 'sent';

export interface ResultDelivery {
  id: number;
  interrogation_id: number;
  patient_id: number;
  clinic_id: number;
  /** The configured destination's name (serve --ehr-destination). */
  destination: string;
  /** MSH-10 of the message; a resend gets a new one. */
  control_id: string;
  state: ResultState;
  attempts: number;
  /** The receiver's MSA-1 (AA, AE, AR, CA, CE, CR), or empty when none came. */
  ack_code: string;
  /** The receiver's text, or ours for a timeout. May name the patient: shown, never put in an address. */
  error: string;
  updated_us: number;
  /** The newer result that sent this one again (a resend is a new message), or null. */
  resent_as: number | null;
}

/** How many rows the work list asks for (the server pages at 50 by default, 1000 at most). */
export const RESULTS_LIMIT = 200;
/** The server's bound on a resend reason, in bytes of UTF-8. */
export const MAX_RESEND_REASON_BYTES = 500;

/** Why a resend reason cannot be sent, or null when it can. Checked before anything is sent. */
export function resendReasonProblem(reason: string): string | null {
  const r = reason.trim();
  if (!r) return 'Give a reason: it is kept in the audit trail.';
  if (new TextEncoder().encode(r).length > MAX_RESEND_REASON_BYTES) return 'Shorten the reason (at most 500 characters).';
  return null;
}

export const resultsApi = {
  /** Results of the caller's clinics in one state, newest first. */
  results: (state: ResultState, limit: number = RESULTS_LIMIT) =>
    get<{ items: ResultDelivery[] }>('/results', { state, limit }).then((a) => a.items),
  /**
   * Send a result again as a new message; answers the new result's id. 409 while it is still
   * pending, 400 without a reason, 404 for a result of another clinic.
   */
  resendResult: (id: number, reason: string) => post<{ id: number }>(`/results/${id}/resend`, { reason: reason.trim() }),
};
