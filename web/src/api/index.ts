// The heartbase REST API (docs/api.md) as typed functions, one module per resource over one
// request core (core.ts). Screens import from here: `api.<call>` and the shapes.
import { adminApi } from './admin';
import { auditApi } from './audit';
import { authApi } from './auth';
import { billingApi } from './billing';
import { followupsApi } from './followups';
import { healthApi } from './health';
import { interrogationsApi } from './interrogations';
import { patientsApi } from './patients';
import { quarantineApi } from './quarantine';
import { queueApi } from './queue';
import { reportsApi } from './reports';
import { resultsApi } from './results';

export { ApiError, lastApiCallMs, setCsrfToken, setSessionLostHandler, type Page } from './core';
export type * from './admin';
export type * from './audit';
export type * from './auth';
export type * from './billing';
export type * from './followups';
export type * from './health';
export type * from './interrogations';
export type * from './patients';
export type * from './quarantine';
export type * from './queue';
export type * from './reports';
export type * from './results';
export { MAX_RESEND_REASON_BYTES, resendReasonProblem, RESULTS_LIMIT } from './results';
export { seriesByTerm } from './patients';
export { CHARGES_LIMIT } from './billing';
export { FOLLOWUPS_LIMIT } from './followups';
export { discardReasonProblem, MAX_DISCARD_REASON, QUARANTINE_PAGE } from './quarantine';

export const api = {
  ...authApi,
  ...patientsApi,
  ...interrogationsApi,
  ...queueApi,
  ...reportsApi,
  ...resultsApi,
  ...followupsApi,
  ...billingApi,
  ...auditApi,
  ...adminApi,
  ...quarantineApi,
  ...healthApi,
};
