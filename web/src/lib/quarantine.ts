// The quarantine console's wording: where in the input the reason points, an entry's state, what
// a re-processing did, the summary of "re-process all", and the raw input laid out one segment a
// line. Pure; the screen is ui/quarantine.ts.
import type { QuarantineItem, QuarantineState, ReprocessAllSummary, ReprocessResult } from '../api/quarantine';

/** The filter choices in order; the first (what needs a person) is the one the screen opens on. */
export const QUARANTINE_FILTERS: readonly { state: QuarantineState; label: string }[] = [
  { state: 'open', label: 'Open' },
  { state: 'resolved', label: 'Resolved' },
  { state: 'all', label: 'All' },
];

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "OBX-5, byte 312", "PID", "byte 0", or "—" when the reason points nowhere in particular. */
export function whereText(e: Pick<QuarantineItem, 'segment' | 'field' | 'byte_offset'>): string {
  const parts: string[] = [];
  if (e.segment) parts.push(e.field !== null && e.field !== undefined ? `${e.segment}-${e.field}` : e.segment);
  else if (e.field !== null && e.field !== undefined) parts.push(`field ${e.field}`);
  if (e.byte_offset !== null && e.byte_offset !== undefined) parts.push(`byte ${e.byte_offset}`);
  return parts.length ? parts.join(', ') : '—';
}

/** "CARELINK · MDT", or "—" for an input without a readable MSH. */
export function senderText(sender: string): string {
  return sender ? sender.replace('|', ' · ') : '—';
}

/** The state as words: open, re-processed or discarded. */
export function stateText(e: Pick<QuarantineItem, 'resolved_us' | 'resolution'>): string {
  if (e.resolved_us === null || e.resolved_us === undefined) return 'open';
  if (e.resolution === 'reprocessed') return 're-processed';
  if (e.resolution === 'discarded') return 'discarded';
  return 'resolved';
}

export const isOpen = (e: Pick<QuarantineItem, 'resolved_us'>): boolean => e.resolved_us === null || e.resolved_us === undefined;

/** What one re-processing did, in a sentence (the link to the result is the screen's). */
export function outcomeText(r: ReprocessResult): string {
  switch (r.outcome) {
    case 'stored':
      return r.interrogation_id ? `Stored as interrogation #${r.interrogation_id}.` : r.adt_message_id ? `Stored as hospital message #${r.adt_message_id}.` : 'Stored.';
    case 'duplicate':
      return r.interrogation_id ? `Already stored, as interrogation #${r.interrogation_id}: nothing new was stored.` : 'Already stored: nothing new was stored.';
    case 'quarantined':
      return `Still refused${r.reason ? `: ${r.reason}` : ''}. The entry stays open.`;
    default:
      return `Outcome: ${String(r.outcome)}.`;
  }
}

/** "Re-processed 3 entries: 1 stored, 0 duplicates, 2 still in quarantine." (+ skipped, + more). */
export function summaryText(s: ReprocessAllSummary, openAfter: number | null = null): string {
  if (s.reprocessed === 0 && s.skipped === 0) return 'Nothing to re-process: no entry is open.';
  let text = `Re-processed ${plural(s.reprocessed, 'entry', 'entries')}: ${s.stored} stored, ${plural(s.duplicate, 'duplicate')}, ${s.still_quarantined} still in quarantine.`;
  if (s.skipped) text += ` ${plural(s.skipped, 'entry', 'entries')} skipped (refused by a feed's clinic scope; never re-processed).`;
  if (openAfter !== null && openAfter > s.still_quarantined + s.skipped) text += ` ${openAfter} ${openAfter === 1 ? 'is' : 'are'} still open: run it again for the rest.`;
  return text;
}

/** HL7 v2 ends each segment with a carriage return: one segment a line, as text. */
export function hl7Lines(raw: string): string {
  return raw.replace(/\r\n?/g, '\n');
}

/** The name the downloaded bytes are saved under (the server's, for the same entry). */
export function rawFileName(id: number): string {
  return `quarantine-${id}.hl7`;
}
