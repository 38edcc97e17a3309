import { describe, expect, it } from 'vitest';
import { ackLabel, emptyText, mayResend, RESULT_TABS } from './results';

describe('EHR results work list', () => {
  it('opens on the results that need a person, then the ones on their way, then the sent', () => {
    expect(RESULT_TABS.map((t) => t.state)).toEqual(['dead', 'pending', 'sent']);
    expect(RESULT_TABS[0]!.label).toBe('Not delivered');
  });

  it('says what an acknowledgment code means, in both HL7 modes', () => {
    expect(ackLabel('AR')).toBe('AR (rejected)');
    expect(ackLabel('CR')).toBe('CR (rejected)');
    expect(ackLabel('AE')).toBe('AE (error)');
    expect(ackLabel('AA')).toBe('AA (accepted)');
    expect(ackLabel('')).toBe('none');
    expect(ackLabel('ZZ')).toBe('ZZ');
  });

  it('offers Resend to device clinicians and physicians only', () => {
    expect(mayResend('physician', { state: 'dead' })).toBe(true);
    expect(mayResend('device_clinician', { state: 'dead' })).toBe(true);
    for (const role of ['viewer', 'integration', 'biller', 'auditor', 'administrator', 'nobody']) expect(mayResend(role, { state: 'dead' })).toBe(false);
  });

  it('never offers Resend for a result still being sent (the server answers 409)', () => {
    expect(mayResend('physician', { state: 'pending' })).toBe(false);
    expect(mayResend('physician', { state: 'sent' })).toBe(true);
  });

  it('has an empty-state text for every tab', () => {
    const texts = RESULT_TABS.map((t) => emptyText(t.state));
    expect(texts.every((t) => t.length > 10)).toBe(true);
    expect(new Set(texts).size).toBe(3);
  });
});
