import { describe, expect, it } from 'vitest';
import { can, mayOpen, screensFor } from './roles';

describe('roles', () => {
  it('lets only physicians sign off', () => {
    expect(can('physician', 'interrogation.signoff')).toBe(true);
    expect(can('device_clinician', 'interrogation.signoff')).toBe(false);
    expect(can('device_clinician', 'interrogation.review')).toBe(true);
  });
  it('lets physicians and device clinicians send reports, nobody else', () => {
    expect(can('physician', 'report.send')).toBe(true);
    expect(can('device_clinician', 'report.send')).toBe(true);
    for (const role of ['viewer', 'biller', 'auditor', 'administrator', 'integration']) expect(can(role, 'report.send')).toBe(false);
  });
  it('gives the administrator no patient data and the auditor only the trail', () => {
    expect(screensFor('administrator').map((s) => s.screen)).toEqual(['admin', 'quarantine']);
    expect(screensFor('auditor').map((s) => s.screen)).toEqual(['audit']);
    expect(mayOpen('administrator', 'patient')).toBe(false);
    expect(mayOpen('auditor', 'interrogation')).toBe(false);
  });
  it('lands clinicians on the queue', () => {
    expect(screensFor('physician')[0]!.screen).toBe('queue');
    expect(screensFor('physician').map((s) => s.screen)).toEqual(['queue', 'patients', 'followups', 'unmatched', 'results']);
  });
  it('shows the EHR results work list to every role that reads interrogations, and nobody else', () => {
    for (const role of ['physician', 'device_clinician', 'viewer', 'integration']) {
      expect(screensFor(role).some((s) => s.screen === 'results')).toBe(true);
      expect(mayOpen(role, 'results')).toBe(true);
    }
    for (const role of ['biller', 'auditor', 'administrator']) {
      expect(screensFor(role).some((s) => s.screen === 'results')).toBe(false);
      expect(mayOpen(role, 'results')).toBe(false);
    }
  });
  it('keeps the biller out of interrogations', () => {
    expect(mayOpen('biller', 'patient')).toBe(true);
    expect(mayOpen('biller', 'interrogation')).toBe(false);
  });
  it('lets billers read and export charges (billing.export), as src/auth/policy.cpp does', () => {
    expect(can('biller', 'billing.read')).toBe(true);
    expect(can('biller', 'billing.export')).toBe(true);
    expect(can('biller', 'patient.read')).toBe(true);
    expect(can('biller', 'patient.write')).toBe(false);
    for (const role of ['physician', 'device_clinician', 'viewer', 'auditor', 'administrator', 'integration']) {
      expect(can(role, 'billing.read')).toBe(false);
      expect(can(role, 'billing.export')).toBe(false);
    }
  });
  it('lands billers on the charges, with the patients and their follow-ups, and nothing clinical', () => {
    expect(screensFor('biller').map((s) => s.screen)).toEqual(['charges', 'patients', 'followups']);
    expect(mayOpen('biller', 'charges')).toBe(true);
    for (const role of ['physician', 'device_clinician', 'viewer', 'auditor', 'administrator', 'integration']) expect(mayOpen(role, 'charges')).toBe(false);
  });
  it('shows the follow-up work list to every role that reads patients, and nobody else', () => {
    for (const role of ['physician', 'device_clinician', 'viewer', 'integration', 'biller']) expect(mayOpen(role, 'followups')).toBe(true);
    for (const role of ['auditor', 'administrator', 'root']) expect(mayOpen(role, 'followups')).toBe(false);
  });
  it('opens the quarantine console to administrators only (it shows raw input, audited)', () => {
    expect(mayOpen('administrator', 'quarantine')).toBe(true);
    for (const role of ['physician', 'device_clinician', 'viewer', 'biller', 'auditor', 'integration', 'root']) expect(mayOpen(role, 'quarantine')).toBe(false);
  });
  it('knows no unknown role', () => {
    expect(screensFor('root')).toEqual([]);
  });
});
