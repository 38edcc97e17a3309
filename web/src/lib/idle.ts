// The idle-session clock. The server ends a session 15 minutes after its last request; the
// browser warns 2 minutes before and signs out at the end. Pure: the caller passes the time of
// the last API call and "now".

export interface IdleConfig {
  /** Server-side idle timeout. */
  timeoutMs: number;
  /** How long before the timeout the warning shows. */
  warnBeforeMs: number;
  /**
   * Margin for the server's coarse last-use bookkeeping and clock skew: the browser signs out
   * this much before the server would, so the user never acts on a session that is already gone.
   */
  marginMs: number;
}

export const DEFAULT_IDLE: IdleConfig = { timeoutMs: 15 * 60_000, warnBeforeMs: 2 * 60_000, marginMs: 5_000 };

export type IdleState =
  | { kind: 'active'; warnInMs: number }
  | { kind: 'warning'; remainingMs: number }
  | { kind: 'expired' };

export function idleState(lastCallMs: number, nowMs: number, cfg: IdleConfig = DEFAULT_IDLE): IdleState {
  const end = lastCallMs + cfg.timeoutMs - cfg.marginMs;
  const remaining = end - nowMs;
  if (remaining <= 0) return { kind: 'expired' };
  if (remaining <= cfg.warnBeforeMs) return { kind: 'warning', remainingMs: remaining };
  return { kind: 'active', warnInMs: remaining - cfg.warnBeforeMs };
}

/** "1:59" for the warning's countdown. */
export function formatCountdown(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
