// Triage queue logic: priority order, time since arrival, due/overdue text. Pure.
import { formatAge } from './format';

export type Severity = 'red' | 'yellow' | 'info' | 'none';

export interface QueueItemLike {
  interrogation_id: number;
  severity: Severity | string;
  received_us: number;
  due_us?: number | null;
  overdue?: boolean;
}

const RANK: Record<string, number> = { red: 0, yellow: 1, info: 2, none: 3 };

/** 0 = most urgent. Unknown severities sort after "none" rather than being hidden. */
export function severityRank(s: string): number {
  return RANK[s] ?? 4;
}

/**
 * Priority first (red, yellow, info, none), then the longest-waiting first, then the id so that
 * the order is total and stable between refreshes. Returns a new array.
 */
export function sortQueue<T extends QueueItemLike>(items: readonly T[]): T[] {
  return [...items].sort(
    (a, b) =>
      severityRank(a.severity) - severityRank(b.severity) ||
      a.received_us - b.received_us ||
      a.interrogation_id - b.interrogation_id,
  );
}

/** "3 h 5 min" since the transmission arrived. */
export function timeSinceArrival(receivedUs: number, nowMs: number): string {
  return formatAge(nowMs - receivedUs / 1000);
}

export interface DueState {
  overdue: boolean;
  text: string;
}

/**
 * Due text for a row: "overdue by 2 h", "due in 40 min", or "" without a due time. The server's
 * `overdue` flag wins when the clocks disagree (it decides the escalation), but the text follows
 * the browser clock so that it moves while the page is open.
 */
export function dueState(item: Pick<QueueItemLike, 'due_us' | 'overdue'>, nowMs: number): DueState {
  const due = item.due_us;
  if (due === null || due === undefined) return { overdue: !!item.overdue, text: item.overdue ? 'overdue' : '' };
  const diff = due / 1000 - nowMs;
  const overdue = item.overdue === true || diff < 0;
  if (overdue) return { overdue, text: diff < 0 ? `overdue by ${formatAge(-diff)}` : 'overdue' };
  return { overdue, text: `due in ${formatAge(diff)}` };
}

export interface QueueFilters {
  clinic: string;
  manufacturer: string;
  device_type: string;
  session_type: string;
  assignedToMe: boolean;
}

export const EMPTY_FILTERS: QueueFilters = {
  clinic: '',
  manufacturer: '',
  device_type: '',
  session_type: '',
  assignedToMe: false,
};

/** The query parameters GET /api/v1/queue takes for these filters (empty ones left out). */
export function queueParams(f: QueueFilters, limit: number, cursor?: string | null): Record<string, string> {
  const p: Record<string, string> = {};
  if (f.clinic) p.clinic = f.clinic;
  if (f.manufacturer) p.manufacturer = f.manufacturer;
  if (f.device_type) p.device_type = f.device_type;
  if (f.session_type) p.session_type = f.session_type;
  if (f.assignedToMe) p.assigned = 'me';
  p.limit = String(limit);
  if (cursor) p.cursor = cursor;
  return p;
}

/** Counts per severity for the queue header ("3 red · 12 yellow"). */
export function severityCounts(items: readonly QueueItemLike[]): Record<Severity, number> {
  const c: Record<Severity, number> = { red: 0, yellow: 0, info: 0, none: 0 };
  for (const i of items) {
    const s = (i.severity in c ? i.severity : 'none') as Severity;
    c[s]++;
  }
  return c;
}
