import { describe, expect, it } from 'vitest';
import type { PlanRow } from '../api/followups';
import { clinicCellText, clinicPlanFromForm, clinicPlanToForm, defaultCellText, PLAN_DEVICE_TYPES, planTableRows } from './plans';

const row = (scope: 'default' | 'clinic', clinic_id: number, device_type: string, remote_days: number | null, in_clinic_days: number | null): PlanRow => ({
  scope,
  clinic_id,
  device_type,
  remote_days,
  in_clinic_days,
  payer: 'default',
  ordering_physician: '',
  version: 1,
  set_us: 1,
});

const PLANS: PlanRow[] = [
  row('default', 0, 'icd', 91, 365),
  row('default', 0, 'loop-recorder', 31, null),
  row('clinic', 2, 'icd', 30, null),
  row('clinic', 3, 'icd', 60, 180),
  row('clinic', 2, 'pacemaker', null, 400),
];

describe('plan table rows', () => {
  it('lists every device type once, in a fixed order, with the default and the chosen clinic’s override', () => {
    const rows = planTableRows(PLANS, 2);
    expect(rows.map((r) => r.device_type)).toEqual([...PLAN_DEVICE_TYPES]);
    expect(rows.find((r) => r.device_type === 'icd')).toEqual({ device_type: 'icd', default: { remote_days: 91, in_clinic_days: 365 }, clinic: { remote_days: 30, in_clinic_days: null } });
    expect(rows.find((r) => r.device_type === 'pacemaker')).toEqual({ device_type: 'pacemaker', default: null, clinic: { remote_days: null, in_clinic_days: 400 } });
    expect(rows.find((r) => r.device_type === 'crt-d')).toEqual({ device_type: 'crt-d', default: null, clinic: null });
  });

  it('takes only the chosen clinic’s overrides, and none when no clinic is chosen', () => {
    expect(planTableRows(PLANS, 3).find((r) => r.device_type === 'icd')!.clinic).toEqual({ remote_days: 60, in_clinic_days: 180 });
    expect(planTableRows(PLANS, 9).every((r) => r.clinic === null)).toBe(true);
    expect(planTableRows(PLANS, null).every((r) => r.clinic === null)).toBe(true);
  });

  it('keeps a device type the panel does not know, after the known ones', () => {
    const rows = planTableRows([...PLANS, row('default', 0, 'wcd', 7, null), row('clinic', 2, 'wcd', 14, null)], 2);
    expect(rows.map((r) => r.device_type)).toEqual([...PLAN_DEVICE_TYPES, 'wcd']);
    expect(rows.at(-1)!.clinic).toEqual({ remote_days: 14, in_clinic_days: null });
  });

  it('says what each cell means', () => {
    expect(defaultCellText({ remote_days: 91, in_clinic_days: null }, 'remote_days')).toBe('every 91 days');
    expect(defaultCellText({ remote_days: 91, in_clinic_days: null }, 'in_clinic_days')).toBe('none');
    expect(defaultCellText(null, 'remote_days')).toBe('—');
    expect(clinicCellText({ remote_days: 30, in_clinic_days: null }, 'remote_days')).toBe('every 30 days');
    expect(clinicCellText({ remote_days: 30, in_clinic_days: null }, 'in_clinic_days')).toBe('as default');
    expect(clinicCellText(null, 'remote_days')).toBe('as default');
  });
});

describe('clinic plan form', () => {
  it('turns empty fields into null and numbers into days', () => {
    expect(clinicPlanFromForm({ remote_days: ' 30 ', in_clinic_days: '' })).toEqual({ body: { remote_days: 30, in_clinic_days: null } });
    expect(clinicPlanFromForm({ remote_days: '', in_clinic_days: '1100' })).toEqual({ body: { remote_days: null, in_clinic_days: 1100 } });
    expect(clinicPlanFromForm({ remote_days: '1', in_clinic_days: '1' })).toEqual({ body: { remote_days: 1, in_clinic_days: 1 } });
  });

  it('refuses values out of the server’s range, fractions, text and a form with nothing in it', () => {
    expect(clinicPlanFromForm({ remote_days: '731', in_clinic_days: '' })).toEqual({ problem: 'Remote interval is a whole number of days from 1 to 730.' });
    expect(clinicPlanFromForm({ remote_days: '0', in_clinic_days: '' })).toHaveProperty('problem');
    expect(clinicPlanFromForm({ remote_days: '2.5', in_clinic_days: '' })).toHaveProperty('problem');
    expect(clinicPlanFromForm({ remote_days: '-3', in_clinic_days: '' })).toHaveProperty('problem');
    expect(clinicPlanFromForm({ remote_days: '30', in_clinic_days: '1101' })).toEqual({ problem: 'In-clinic interval is a whole number of days from 1 to 1100.' });
    expect(clinicPlanFromForm({ remote_days: 'abc', in_clinic_days: '' })).toHaveProperty('problem');
    expect(clinicPlanFromForm({ remote_days: ' ', in_clinic_days: '' })).toEqual({ problem: 'Fill in at least one interval, or use the default instead.' });
  });

  it('is filled from the clinic’s override, empty when it has none', () => {
    expect(clinicPlanToForm({ remote_days: 30, in_clinic_days: null })).toEqual({ remote_days: '30', in_clinic_days: '' });
    expect(clinicPlanToForm(null)).toEqual({ remote_days: '', in_clinic_days: '' });
  });
});
