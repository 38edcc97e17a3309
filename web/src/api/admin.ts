// Administration (user.admin, with a fresh step-up): users, clinics, the notification queue.
import { get, post } from './core';

export interface AdminUser {
  id: number;
  name: string;
  display_name?: string;
  mfa_required?: boolean;
  role: string;
  clinics: number[];
  disabled: boolean;
  mfa: boolean;
}

export interface Clinic {
  id: number;
  name: string;
}

/** The notification queue (heartbase notify), as administrators see it: no message content. */
export interface OutboxStatus {
  pending: number;
  leased: number;
  sent: number;
  dead: number;
  queue_age_us: number;
  alarm: boolean;
  dead_letters: { id: number; kind: string; channel: string; attempts: number; last_error: string; updated_us: number }[];
}

export const adminApi = {
  users: () => get<{ items: AdminUser[] }>('/admin/users'),
  addUser: (u: { name: string; role: string; clinics: number[]; password?: string; display_name?: string }) =>
    post<unknown>('/admin/users', u),
  userAction: (id: number, action: 'disable' | 'enable' | 'reset-mfa') => post<unknown>(`/admin/users/${id}/${action}`),
  clinics: () => get<{ items: Clinic[] }>('/admin/clinics'),
  addClinic: (name: string) => post<unknown>('/admin/clinics', { name }),
  outbox: () => get<OutboxStatus>('/admin/outbox'),
};
