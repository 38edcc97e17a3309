// The heartbase REST API (docs/api.md) as typed functions: the one place that knows paths and
// JSON shapes. Session cookie + X-CSRF-Token on every POST; the time of the last call feeds the
// idle-session warning.
import type { Observation } from './lib/compare';
import type { Severity } from './lib/queue';

// ---- shapes -----------------------------------------------------------------------------

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface LoginAnswer {
  user: string;
  csrf_token: string;
  mfa_enrollment_required: boolean;
}

export interface Me {
  user: string;
  user_id: number;
  role: string;
  clinics: number[];
  /** The names of the caller's clinics, by id. */
  clinic_names?: Record<string, string>;
  csrf_token?: string;
  mfa_enrollment_required?: boolean;
  break_glass_until_us: number;
}

export interface MfaEnrollment {
  secret: string;
  otpauth_uri: string;
}

export interface PatientSummary {
  id: number;
  clinic_id: number;
  unmatched: boolean;
  family_name: string;
  given_name: string;
  birth_date: string;
  sex: string;
}

export interface Identifier {
  kind: string;
  id: string;
  authority: string;
}

export interface Device {
  id: number;
  manufacturer: string;
  type: string;
  model: string;
  serial: string;
  implant_date: string;
  /** Not sent by the server today; shown when present. */
  explant_date?: string | null;
  first_seen_us: number;
  last_seen_us: number;
}

export interface Lead {
  id: number;
  device_id: number;
  instance: number;
  manufacturer: string;
  location: string;
  model: string;
  serial: string;
  implant_date: string;
  /** Not sent by the server today; shown when present. */
  explant_date?: string | null;
  first_seen_us: number;
  last_seen_us: number;
}

export interface Patient extends PatientSummary {
  identifiers: Identifier[];
  devices: Device[];
  leads: Lead[];
}

export interface TrendAnswer {
  patient_id: number;
  series: { code: number; points: [number, number][] }[];
}

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

export interface QueueItem {
  interrogation_id: number;
  patient_id: number;
  patient_name: string;
  clinic_id: number;
  manufacturer: string;
  device_model?: string;
  device_type: string;
  session_type: string;
  /** "new" or "reviewed": the queue holds everything not yet signed off. */
  state?: ReviewState;
  received_us: number;
  severity: Severity;
  reasons: string[];
  assigned_to: string | null;
  due_us: number | null;
  overdue: boolean;
}

export interface AuditRecord {
  seq: number;
  time_us: number;
  user: string;
  role: string;
  address: string;
  action: string;
  object_type: string;
  object_id: string;
  patient_id: number | null;
  outcome: string;
  detail: string;
  has_note: boolean;
}

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

// ---- transport --------------------------------------------------------------------------

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly correlationId: string | null,
    readonly retryAfterS: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const BASE = '/api/v1';
let csrfToken = '';
let lastCallMs = Date.now();
let onSessionLost: (() => void) | null = null;

/** The CSRF token of the current session (from login or /auth/me); kept in memory only. */
export function setCsrfToken(t: string): void {
  csrfToken = t;
}

/** Time of the last answered API call: the server's idle clock restarts with each. */
export function lastApiCallMs(): number {
  return lastCallMs;
}

/** Called when the server says the session is gone (401 unauthenticated) during use. */
export function setSessionLostHandler(fn: (() => void) | null): void {
  onSessionLost = fn;
}

function query(params?: Record<string, string | number | boolean | null | undefined>): string {
  if (!params) return '';
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

type Method = 'GET' | 'POST' | 'DELETE';
const RETRY_DELAYS_MS = [200, 600];

/** GETs are retried briefly on 503 (the server sheds load or hits a busy database); POSTs never. */
async function request<T>(method: Method, path: string, body?: unknown): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await requestOnce<T>(method, path, body);
    } catch (err) {
      const delay = RETRY_DELAYS_MS[attempt];
      if (method !== 'GET' || !(err instanceof ApiError) || err.status !== 503 || delay === undefined) throw err;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

async function requestOnce<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (method !== 'GET') {
    if (method === 'POST') headers['Content-Type'] = 'application/json';
    if (csrfToken) headers['X-CSRF-Token'] = csrfToken;
  }
  let res: Response;
  try {
    res = await fetch(BASE + path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      body: body === undefined ? (method === 'POST' ? '{}' : undefined) : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'The server cannot be reached. Check the connection and try again.', null);
  }
  lastCallMs = Date.now();
  const text = await res.text();
  let json: unknown = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  if (!res.ok) {
    const e = (json ?? {}) as { error?: string; message?: string; correlation_id?: string };
    const retry = res.headers.get('Retry-After');
    const err = new ApiError(
      res.status,
      e.error ?? `http_${res.status}`,
      e.message ?? `The server answered ${res.status}.`,
      e.correlation_id ?? res.headers.get('X-Correlation-Id'),
      retry !== null && /^\d+$/.test(retry) ? Number(retry) : null,
    );
    if (res.status === 401 && err.code === 'unauthenticated' && onSessionLost) onSessionLost();
    throw err;
  }
  return json as T;
}

const get = <T>(path: string, params?: Record<string, string | number | boolean | null | undefined>) =>
  request<T>('GET', path + query(params));
const post = <T>(path: string, body?: unknown) => request<T>('POST', path, body);
const del = <T>(path: string) => request<T>('DELETE', path);

// ---- auth -------------------------------------------------------------------------------

export const api = {
  login: (name: string, password: string, totp?: string) =>
    post<LoginAnswer>('/auth/login', totp ? { name, password, totp } : { name, password }),
  logout: () => post<{ signed_out: boolean }>('/auth/logout'),
  me: () => get<Me>('/auth/me'),
  /** Start TOTP enrolment; the server asks for the password again. */
  mfaEnroll: (password: string) => post<MfaEnrollment>('/auth/mfa/enroll', { password }),
  mfaConfirm: (code: string) => post<{ enrolled: boolean; sign_in_again: boolean }>('/auth/mfa/confirm', { code }),
  bootstrap: (token: string, name: string, password: string) =>
    post<{ user: unknown }>('/auth/bootstrap', { token, name, password }),
  bootstrapNeeded: () => get<{ needed: boolean }>('/auth/bootstrap'),
  breakGlass: (reason: string) => post<{ until_us: number }>('/auth/break-glass', { reason }),
  endBreakGlass: () => del<unknown>('/auth/break-glass'),
  /** Re-authenticate for administration (allowed for a few minutes afterwards). */
  stepUp: (password: string, totp?: string) =>
    post<{ step_up_until_us: number }>('/auth/step-up', totp ? { password, totp } : { password }),

  // ---- clinical ---------------------------------------------------------------------------

  queue: (params: Record<string, string>) => get<Page<QueueItem>>('/queue', params),
  searchPatients: (q: string, limit = 50, cursor?: string | null) =>
    get<Page<PatientSummary>>('/patients', { q, limit, cursor }),
  patient: (id: number) => get<Patient>(`/patients/${id}`),
  trends: (id: number, terms: readonly string[], from?: number, to?: number) =>
    get<TrendAnswer>(`/patients/${id}/trends`, { code: terms.join(','), from, to }),
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
  link: (id: number, target: { patient_id: number } | { create: true; clinic_id?: number }) =>
    post<{ patient_id: number }>(`/interrogations/${id}/link`, target),

  // ---- audit and administration -------------------------------------------------------------

  audit: (params: { patient?: string; user?: string; action?: string; limit?: number; cursor?: string | null }) =>
    get<Page<AuditRecord>>('/audit', params),
  users: () => get<{ items: AdminUser[] }>('/admin/users'),
  addUser: (u: { name: string; role: string; clinics: number[]; password?: string; display_name?: string }) =>
    post<unknown>('/admin/users', u),
  userAction: (id: number, action: 'disable' | 'enable' | 'reset-mfa') => post<unknown>(`/admin/users/${id}/${action}`),
  clinics: () => get<{ items: Clinic[] }>('/admin/clinics'),
  addClinic: (name: string) => post<unknown>('/admin/clinics', { name }),
  outbox: () => get<OutboxStatus>('/admin/outbox'),
};

/** Map a 11073 numeric code from the trend endpoint back to the term asked for, by position. */
export function seriesByTerm(answer: TrendAnswer, asked: readonly string[]): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  answer.series.forEach((s, i) => {
    const term = asked[i];
    if (term !== undefined) out.set(term, s.points);
  });
  return out;
}
