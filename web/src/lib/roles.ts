// What each role sees. Mirrors the permission table in src/auth/policy.cpp; the server decides,
// this only hides what would be refused.

export type Role =
  | 'administrator'
  | 'physician'
  | 'device_clinician'
  | 'biller'
  | 'viewer'
  | 'auditor'
  | 'integration';

export type Permission =
  | 'patient.read'
  | 'patient.write'
  | 'interrogation.read'
  | 'interrogation.review'
  | 'interrogation.signoff'
  | 'trend.read'
  | 'billing.read'
  | 'billing.export'
  | 'audit.read'
  | 'user.admin'
  | 'unmatched.resolve'
  | 'report.send'
  | 'breakglass.use';

const PERMISSIONS: Record<Role, readonly Permission[]> = {
  administrator: ['user.admin'],
  physician: [
    'patient.read',
    'patient.write',
    'interrogation.read',
    'interrogation.review',
    'interrogation.signoff',
    'trend.read',
    'unmatched.resolve',
    'report.send',
    'breakglass.use',
  ],
  device_clinician: [
    'patient.read',
    'patient.write',
    'interrogation.read',
    'interrogation.review',
    'trend.read',
    'unmatched.resolve',
    'report.send',
    'breakglass.use',
  ],
  biller: ['patient.read', 'billing.read', 'billing.export'],
  viewer: ['patient.read', 'interrogation.read', 'trend.read'],
  auditor: ['audit.read'],
  integration: ['patient.read', 'interrogation.read', 'trend.read'],
};

export function can(role: string, p: Permission): boolean {
  return (PERMISSIONS[role as Role] ?? []).includes(p);
}

export type Screen = 'queue' | 'patients' | 'followups' | 'unmatched' | 'results' | 'charges' | 'audit' | 'admin' | 'quarantine';

export interface NavItem {
  screen: Screen;
  label: string;
}

/** The screens in the navigation bar for a role, in order; the first is the landing screen. */
export function screensFor(role: string): NavItem[] {
  const out: NavItem[] = [];
  if (can(role, 'interrogation.read')) out.push({ screen: 'queue', label: 'Triage queue' });
  // Billers land on the charges (no charge, missed-charge or export row holds a measurement).
  if (can(role, 'billing.read')) out.push({ screen: 'charges', label: 'Charges' });
  if (can(role, 'patient.read')) out.push({ screen: 'patients', label: 'Patients' });
  // Every role that reads patients sees whose follow-up is due (no measurement in it).
  if (can(role, 'patient.read')) out.push({ screen: 'followups', label: 'Follow-ups' });
  if (can(role, 'unmatched.resolve')) out.push({ screen: 'unmatched', label: 'Unmatched' });
  // Everyone who reads interrogations sees what did not reach the EHR; resending needs
  // interrogation.review (lib/results.ts mayResend).
  if (can(role, 'interrogation.read')) out.push({ screen: 'results', label: 'Results not delivered' });
  if (can(role, 'audit.read')) out.push({ screen: 'audit', label: 'Audit trail' });
  if (can(role, 'user.admin')) out.push({ screen: 'admin', label: 'Administration' });
  // Refused input, raw bytes included: the server audits each read as access to patient data.
  if (can(role, 'user.admin')) out.push({ screen: 'quarantine', label: 'Quarantine' });
  return out;
}

/** Whether a role may open a route at all (patient and interrogation pages included). */
export function mayOpen(role: string, route: string): boolean {
  switch (route) {
    case 'patient':
      return can(role, 'patient.read');
    case 'interrogation':
      return can(role, 'interrogation.read');
    case 'queue':
    case 'patients':
    case 'followups':
    case 'unmatched':
    case 'results':
    case 'charges':
    case 'audit':
    case 'admin':
    case 'quarantine':
      return screensFor(role).some((s) => s.screen === route);
    default:
      return true;
  }
}

export const ROLE_LABELS: Record<Role, string> = {
  administrator: 'Administrator',
  physician: 'Physician',
  device_clinician: 'Device clinician',
  biller: 'Biller',
  viewer: 'Viewer',
  auditor: 'Auditor',
  integration: 'Integration',
};

export const ROLES = Object.keys(ROLE_LABELS) as Role[];
