// Patients: search, one patient's chart (devices, leads, identifiers) and its trend series.
import { get, type Page } from './core';

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

export interface Patient extends PatientSummary {
  identifiers: Identifier[];
  devices: Device[];
  leads: Lead[];
}

export interface TrendAnswer {
  patient_id: number;
  series: { code: number; points: [number, number][] }[];
}

export const patientsApi = {
  searchPatients: (q: string, limit = 50, cursor?: string | null) =>
    get<Page<PatientSummary>>('/patients', { q, limit, cursor }),
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
