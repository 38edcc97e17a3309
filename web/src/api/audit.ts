// The audit trail (auditors and administrators).
import { get, type Page } from './core';

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

export const auditApi = {
  audit: (params: { patient?: string; user?: string; action?: string; limit?: number; cursor?: string | null }) =>
    get<Page<AuditRecord>>('/audit', params),
};
