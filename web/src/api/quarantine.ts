// The quarantine console (administrators, with a fresh step-up): inputs the ingest refused, each
// with why and where; its raw bytes (an audited read of patient data); re-processing one or every
// open entry with today's code; discarding one with a reason that is sealed in the audit trail.
import { ApiError, BASE, get, post } from './core';

export type QuarantineState = 'open' | 'resolved' | 'all';
export type QuarantineResolution = '' | 'reprocessed' | 'discarded';
/** stored: a new interrogation or ADT message; duplicate: already stored; quarantined: refused again. */
export type ReprocessOutcome = 'stored' | 'duplicate' | 'quarantined';

/** One refused input: the facts of it, never its content (that is `QuarantineDetail.raw`). */
export interface QuarantineItem {
  id: number;
  received_us: number;
  /** The channel it came by: `file`, `mllp 127.0.0.1`, … */
  source: string;
  /** `MSH-3|MSH-4`, or empty when the input had no readable MSH. */
  sender: string;
  /** A reason code such as `malformed` or `unsupported`. */
  code: string;
  reason: string;
  /** The segment the reason points at (`OBX`), or empty. */
  segment: string;
  field: number | null;
  byte_offset: number | null;
  /** Size of the input in bytes. */
  bytes: number;
  resolved_us: number | null;
  resolution: QuarantineResolution;
  interrogation_id: number | null;
  adt_message_id: number | null;
}

/** An entry with its input as text (decrypted, at most 1 MiB). Each read is audited. */
export interface QuarantineDetail extends QuarantineItem {
  raw: string;
  raw_truncated: boolean;
}

export interface QuarantinePage {
  items: QuarantineItem[];
  /** How many entries are open (whatever the filter). */
  open: number;
  /** Pass as `before` for the next (older) page; null on the last page. */
  next_before: number | null;
}

export interface ReprocessResult {
  id: number;
  outcome: ReprocessOutcome;
  interrogation_id?: number;
  adt_message_id?: number;
  /** When still quarantined: today's reason (the entry stays open). */
  reason?: string;
}

export interface ReprocessAllSummary {
  reprocessed: number;
  stored: number;
  duplicate: number;
  still_quarantined: number;
  skipped: number;
  results: ReprocessResult[];
}

/** The server's bound on a discard reason, in bytes of UTF-8. */
export const MAX_DISCARD_REASON = 500;
/** How many entries a page asks for. */
export const QUARANTINE_PAGE = 50;

/** Why a discard reason cannot be sent, or null when it can. Checked before anything is sent. */
export function discardReasonProblem(reason: string): string | null {
  const r = reason.trim();
  if (!r) return 'Give a reason: it is kept (sealed) in the audit trail.';
  if (new TextEncoder().encode(r).length > MAX_DISCARD_REASON) return `Shorten the reason (at most ${MAX_DISCARD_REASON} characters; accented letters count as two).`;
  return null;
}

/** Same-origin address of an entry's bytes as received (an attachment named quarantine-ID.hl7). */
export function quarantineRawUrl(id: number): string {
  return `${BASE}/admin/quarantine/${id}/raw`;
}

/**
 * The bytes as received, with the session; refusals as ApiError (403 step_up_required included,
 * so `withStepUp` can ask and try again). Not retried: each fetch is one audited read.
 */
async function quarantineRaw(id: number): Promise<Blob> {
  let res: Response;
  try {
    res = await fetch(quarantineRawUrl(id), { method: 'GET', credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/octet-stream' } });
  } catch {
    throw new ApiError(0, 'network', 'The server cannot be reached. Check the connection and try again.', null);
  }
  if (res.ok) return res.blob();
  let e: { error?: string; message?: string; correlation_id?: string } = {};
  try {
    e = (await res.json()) as typeof e;
  } catch {
    /* no JSON body: the status says enough */
  }
  throw new ApiError(res.status, e.error ?? `http_${res.status}`, e.message ?? `The server answered ${res.status}.`, e.correlation_id ?? res.headers.get('X-Correlation-Id'));
}

export const quarantineApi = {
  /** Entries newest first; `before` is the previous page's `next_before`. */
  quarantine: (params: { state?: QuarantineState; limit?: number; before?: number | null } = {}) =>
    get<QuarantinePage>('/admin/quarantine', { state: params.state, limit: params.limit, before: params.before }),
  /** One entry with its input as text (an audited read of patient data). */
  quarantineEntry: (id: number) => get<QuarantineDetail>(`/admin/quarantine/${id}`),
  quarantineRaw,
  quarantineRawUrl,
  /**
   * Run one entry through today's code. 409 when it was already resolved; 400 for input a feed's
   * clinic scope refused (never re-processed).
   */
  reprocessQuarantined: (id: number) => post<ReprocessResult>(`/admin/quarantine/${id}/reprocess`, {}),
  /** Every open entry (up to 500 per call). */
  reprocessAllQuarantined: () => post<ReprocessAllSummary>('/admin/quarantine/reprocess', {}),
  /** Close an entry without storing it; the reason is sealed in the audit trail. 409 when resolved. */
  discardQuarantined: (id: number, reason: string) =>
    post<{ id: number; resolution: 'discarded' }>(`/admin/quarantine/${id}/discard`, { reason: reason.trim() }),
};
