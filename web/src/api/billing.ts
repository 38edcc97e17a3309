// Charges (issue 23): the charges stored for the caller's clinics (waiting for export or
// exported), the missed-charge report, the close job, exports to the hospital's billing system
// (CSV or HL7 DFT^P03) and the export batches with the address of each one's file. Who, which
// code, which period, which device: never a measurement.
import { BASE, get, post } from './core';

export type ChargeComponent = 'professional' | 'technical' | 'global';
export type ChargeExportFormat = 'csv' | 'dft';

export interface Charge {
  id: number;
  patient_id: number;
  family_name: string;
  given_name: string;
  clinic_id: number;
  device_id: number;
  /** The billing code (e.g. a CPT code) from the code table. */
  code: string;
  modifier: string;
  component: ChargeComponent;
  /** YYYY-MM-DD. */
  period_start: string;
  period_end: string;
  service_date: string;
  payer: string;
  ordering_physician: string;
  reading_physician: string;
  /** The interrogations the charge rests on. */
  interrogations: number[];
  /** The code table's version. */
  code_table: string;
  created_us: number;
  /** The export batch, or null while waiting for export. */
  export_id: number | null;
}

/** A closed period or in-person session that produces no charge, and why. */
export interface MissedCharge {
  patient_id: number;
  family_name: string;
  given_name: string;
  clinic_id: number;
  device_id: number;
  code: string;
  modifier: string;
  component: ChargeComponent;
  period_start: string;
  period_end: string;
  /** The server's words (no signed review, excluded, too few transmissions…). */
  reason: string;
  interrogations: number[];
}

export interface MissedReport {
  total: number;
  /** Of total: periods of patients not linked or accepted yet (they wait for the match). */
  unmatched: number;
  code_table: string;
  /** Newest period first. */
  items: MissedCharge[];
}

export interface CloseAnswer {
  created: number;
  existing: number;
  overlapping: number;
  missed: number;
  /** Periods and sessions waiting for their patient to be linked or accepted. */
  unmatched: number;
  code_table: string;
}

export interface ExportAnswer {
  id: number;
  format: ChargeExportFormat;
  charges: number;
  sha256: string;
}

export interface ChargeExport extends ExportAnswer {
  created_us: number;
}

export interface ChargeQuery {
  exported?: boolean;
  /** YYYY-MM-DD, dates of service. */
  from?: string | null;
  to?: string | null;
  patient?: number | null;
  export?: number | null;
  limit?: number;
}

/** How many charges a list asks for (the server returns 1000 at most). */
export const CHARGES_LIMIT = 500;

/** The query of GET /charges, empty filters left out. */
export function chargeParams(q: ChargeQuery): Record<string, string | number | boolean | undefined> {
  return {
    exported: q.exported,
    from: q.from || undefined,
    to: q.to || undefined,
    patient: q.patient ?? undefined,
    export: q.export ?? undefined,
    limit: q.limit ?? CHARGES_LIMIT,
  };
}

/**
 * Same-origin address of an export batch's file, for a plain link (the session cookie goes
 * along; the server answers it as an attachment). An id only: no patient data in an address.
 * Each fetch is audited as an access to every patient in the batch: fetched on a user's click.
 */
export function chargeExportUrl(id: number): string {
  return `${BASE}/charges/exports/${id}`;
}

export const billingApi = {
  /** Stored charges, newest date of service first. */
  charges: (q: ChargeQuery = {}) => get<{ items: Charge[] }>('/charges', chargeParams(q)).then((a) => a.items),
  /** Computed now over the caller's clinics. */
  missedCharges: () => get<MissedReport>('/charges/missed'),
  /** Write every charge that has become ready (idempotent; the server also does it hourly). */
  closeCharges: () => post<CloseAnswer>('/charges/close', {}),
  /** Export every charge waiting, in one batch (201); 404 nothing_to_export when none waits. */
  exportCharges: (format: ChargeExportFormat) => post<ExportAnswer>('/charges/export', { format }),
  /** The batches, newest first. */
  chargeExports: () => get<{ items: ChargeExport[] }>('/charges/exports').then((a) => a.items),
  chargeExportUrl,
};
