// The triage queue: everything not yet signed off, most severe and most overdue first.
import type { Severity } from '../lib/queue';
import { get, type Page } from './core';
import type { ReviewState } from './interrogations';

export interface QueueItem {
  interrogation_id: number;
  patient_id: number;
  patient_name: string;
  clinic_id: number;
  manufacturer: string;
  device_model?: string;
  device_type: string;
  session_type: string;
  /** "new" or "reviewed": the queue holds everything not yet signed off. */
  state?: ReviewState;
  received_us: number;
  severity: Severity;
  reasons: string[];
  assigned_to: string | null;
  due_us: number | null;
  overdue: boolean;
}

export const queueApi = {
  queue: (params: Record<string, string>) => get<Page<QueueItem>>('/queue', params),
};
