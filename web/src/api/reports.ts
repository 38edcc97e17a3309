// Follow-up reports: the address of an interrogation's report (a draft until it is signed, then
// the stored signed report), the clinic's report recipients, and sending the signed report to one
// of them after a re-authentication (password and code, as for sign-off).
import { BASE, get, post } from './core';

/** A draft's paper size; a signed report always has the clinic's. */
export type PaperSize = 'a4' | 'letter';

export interface ReportOptions {
  /** Drafts only; absent = the clinic's paper size. */
  page?: PaperSize;
  /** Content-Disposition: attachment instead of inline. */
  download?: boolean;
  /** Drafts only: the manufacturer's PDFs appended as pages. */
  append?: boolean;
}

export interface ReportRecipient {
  id: number;
  clinic_id: number;
  name: string;
  channel: 'email' | 'fax';
  /** Masked by the server; shown only to tell recipients apart. */
  address: string;
}

/** The re-authentication a state-changing clinical action needs (sign-off, sending a report). */
export interface StepUp {
  password: string;
  /** The authenticator code, for accounts that have one. */
  totp?: string;
}

export interface SendAnswer {
  job_id: number;
  /** false: the same report was already queued for this recipient (the existing job's id). */
  created: boolean;
}

/**
 * Same-origin address of the report, for a frame or a link (the session cookie goes along).
 * Ids and fixed words only: no patient data ever goes into an address. Each fetch of it is one
 * audited view or download on the server, so callers use it on a user's action only.
 */
export function reportUrl(id: number, options: ReportOptions = {}): string {
  const q = new URLSearchParams();
  if (options.page) q.set('page', options.page);
  if (options.download) q.set('download', '1');
  if (options.append) q.set('append', '1');
  const s = q.toString();
  return `${BASE}/interrogations/${id}/report${s ? `?${s}` : ''}`;
}

/** The request body of a send: only the fields the server reads, the code only when given. */
export function sendBody(recipientId: number, stepUp: StepUp): { recipient_id: number; password: string; totp?: string } {
  const totp = stepUp.totp?.trim();
  return totp ? { recipient_id: recipientId, password: stepUp.password, totp } : { recipient_id: recipientId, password: stepUp.password };
}

export const reportsApi = {
  reportUrl,
  /** The report recipients of the caller's clinics. */
  recipients: () => get<{ items: ReportRecipient[] }>('/report-recipients').then((a) => a.items),
  /** Queue the signed report for a recipient; 409 when the interrogation has no signed report. */
  sendReport: (id: number, recipientId: number, stepUp: StepUp) =>
    post<SendAnswer>(`/interrogations/${id}/report/send`, sendBody(recipientId, stepUp)),
};
