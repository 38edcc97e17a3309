// What every screen gets: who is signed in, and a place to register clean-up (timers, charts,
// listeners) that runs when the user navigates away.
import type { Me } from '../api';

export interface ScreenContext {
  me: Me;
  /** Runs when the screen is left. */
  onLeave(fn: () => void): void;
  /** Whether this render is still the current one (a slow answer must not paint over a newer screen). */
  current(): boolean;
}

/** Ids of the queue as last shown, so the interrogation view can offer "next in queue". */
export const queueMemory: { ids: number[] } = { ids: [] };
