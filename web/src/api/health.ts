// The public readiness probe: whether this server takes data (docs/recovery.md).
import { probe } from './core';

export type Readiness = { status: 'ready' } | { status: 'degraded'; reason: string };

export const healthApi = {
  /** 503 `degraded` (a damaged database stops ingest) is an answer here, not an error; not retried. */
  ready: () => probe<Readiness>('/ready', [503]),
};
