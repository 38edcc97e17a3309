// Patients: search, the unconfirmed patients from the hospital's ADT and resolving one (link), one
// patient's chart (devices, leads, identifiers, records merged into it) and its trend series.
import { get, post, type Page } from './core';
import type { LinkTarget } from './interrogations';

export interface PatientSummary {
  id: number;
  clinic_id: number;
  unmatched: boolean;
  family_name: string;
  given_name: string;
  birth_date: string;
  sex: string;
}

export interface Identifier {
  kind: string;
  id: string;
  authority: string;
}

export interface Device {
  id: number;
  manufacturer: string;
  type: string;
  model: string;
  serial: string;
  implant_date: string;
  /** Not sent by the server today; shown when present. */
  explant_date?: string | null;
  first_seen_us: number;
  last_seen_us: number;
}

export interface Lead {
  id: number;
  device_id: number;
  instance: number;
  manufacturer: string;
  location: string;
  model: string;
  serial: string;
  implant_date: string;
  /** Not sent by the server today; shown when present. */
  explant_date?: string | null;
  first_seen_us: number;
  last_seen_us: number;
}

/** A record merged into this patient by the hospital's ADT (A40/A39/A18), and which message asked. */
export interface MergedRecord {
  merged_from: number;
  merged_us: number;
  /** "APPLICATION|FACILITY" of the ADT message. */
  sender: string;
  control_id: string;
}

export interface Patient extends PatientSummary {
  identifiers: Identifier[];
  devices: Device[];
  leads: Lead[];
  /** Oldest first; absent from a server older than ADT merges. */
  merged?: MergedRecord[];
}

export interface TrendAnswer {
  patient_id: number;
  series: { code: number; points: [number, number][] }[];
}

export const patientsApi = {
  searchPatients: (q: string, limit = 50, cursor?: string | null) =>
    get<Page<PatientSummary>>('/patients', { q, limit, cursor }),
  /**
   * Patients the hospital's ADT created by updating an MRN nobody had registered (no interrogation),
   * waiting for a person to link or accept them. Never combined with a search (the server says 400).
   */
  unconfirmedPatients: (limit = 100, cursor?: string | null) =>
    get<Page<PatientSummary>>('/patients', { unconfirmed: true, limit, cursor }),
  /** Resolve an unconfirmed patient; only `patient_id` or `create` is sent, never a clinic. */
  linkPatient: (id: number, target: LinkTarget) =>
    post<{ patient_id: number }>(`/patients/${id}/link`, 'patient_id' in target ? { patient_id: target.patient_id } : { create: true }),
  patient: (id: number) => get<Patient>(`/patients/${id}`),
  trends: (id: number, terms: readonly string[], from?: number, to?: number) =>
    get<TrendAnswer>(`/patients/${id}/trends`, { code: terms.join(','), from, to }),
};

/** Map a 11073 numeric code from the trend endpoint back to the term asked for, by position. */
export function seriesByTerm(answer: TrendAnswer, asked: readonly string[]): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  answer.series.forEach((s, i) => {
    const term = asked[i];
    if (term !== undefined) out.set(term, s.points);
  });
  return out;
}
