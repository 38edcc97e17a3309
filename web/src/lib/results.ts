// The EHR results work list: its tabs, what an acknowledgment code means, who may send a result
// again and when, and what an empty tab says. Pure; the screen is ui/results.ts.
import type { ResultDelivery, ResultState } from '../api/results';
import { can } from './roles';

/** The tabs in order; the first (what needs a person) is the one the screen opens on. */
export const RESULT_TABS: readonly { state: ResultState; label: string }[] = [
  { state: 'dead', label: 'Not delivered' },
  { state: 'pending', label: 'Sending' },
  { state: 'sent', label: 'Sent' },
];

// HL7 v2 MSA-1: A* original mode, C* enhanced mode (commit level); the meaning is the same here.
const ACK_MEANING: Record<string, string> = {
  AA: 'accepted',
  CA: 'accepted',
  AE: 'error',
  CE: 'error',
  AR: 'rejected',
  CR: 'rejected',
};

/** "AR (rejected)"; "none" when no acknowledgment came (timeout, refused before sending). */
export function ackLabel(code: string): string {
  if (!code) return 'none';
  const meaning = ACK_MEANING[code];
  return meaning ? `${code} (${meaning})` : code;
}

/**
 * Whether the Resend action is offered: the role needs interrogation.review (device clinicians
 * and physicians, as on the server), and a pending result cannot be sent again (the server says
 * 409) because it is still on its way.
 */
export function mayResend(role: string, r: Pick<ResultDelivery, 'state'>): boolean {
  return can(role, 'interrogation.review') && r.state !== 'pending';
}

/** What an empty tab says. */
export function emptyText(state: ResultState): string {
  switch (state) {
    case 'dead':
      return 'Every result was delivered or is still being sent: nothing needs a person.';
    case 'pending':
      return 'No result is waiting to be sent.';
    case 'sent':
      return 'No result has been delivered to the EHR yet.';
  }
}
