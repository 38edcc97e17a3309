// Sign-in, session, second factor, first-administrator set-up, break-glass and step-up.
import { del, get, post } from './core';

export interface LoginAnswer {
  user: string;
  csrf_token: string;
  mfa_enrollment_required: boolean;
}

export interface Me {
  user: string;
  user_id: number;
  role: string;
  clinics: number[];
  /** The names of the caller's clinics, by id. */
  clinic_names?: Record<string, string>;
  csrf_token?: string;
  mfa_enrollment_required?: boolean;
  break_glass_until_us: number;
}

export interface MfaEnrollment {
  secret: string;
  otpauth_uri: string;
}
export const authApi = {
  login: (name: string, password: string, totp?: string) =>
    post<LoginAnswer>('/auth/login', totp ? { name, password, totp } : { name, password }),
  logout: () => post<{ signed_out: boolean }>('/auth/logout'),
  me: () => get<Me>('/auth/me'),
  /** Start TOTP enrolment; the server asks for the password again. */
  mfaEnroll: (password: string) => post<MfaEnrollment>('/auth/mfa/enroll', { password }),
  mfaConfirm: (code: string) => post<{ enrolled: boolean; sign_in_again: boolean }>('/auth/mfa/confirm', { code }),
  bootstrap: (token: string, name: string, password: string) =>
    post<{ user: unknown }>('/auth/bootstrap', { token, name, password }),
  bootstrapNeeded: () => get<{ needed: boolean }>('/auth/bootstrap'),
  breakGlass: (reason: string) => post<{ until_us: number }>('/auth/break-glass', { reason }),
  endBreakGlass: () => del<unknown>('/auth/break-glass'),
  /** Re-authenticate for administration (allowed for a few minutes afterwards). */
  stepUp: (password: string, totp?: string) =>
    post<{ step_up_until_us: number }>('/auth/step-up', totp ? { password, totp } : { password }),
};
