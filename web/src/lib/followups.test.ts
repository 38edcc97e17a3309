import { describe, expect, it } from 'vitest';
import type { FollowUpKind, FollowUpStatus } from '../api/followups';
import {
  bookingProblem,
  cancelReasonProblem,
  countsText,
  DEFAULT_STATUSES,
  EMPTY_FOLLOWUP_FILTERS,
  filtersProblem,
  FOLLOWUP_STATUSES,
  followUpQuery,
  formatDaysOverdue,
  formatInterval,
  isoDay,
  kindLabel,
  planFromForm,
  planSourceLabel,
  planToForm,
  sortFollowUps,
  statusBadgeClass,
  statusLabel,
  visitStateLabel,
} from './followups';

describe('days overdue', () => {
  it('says how late, in whole days', () => {
    expect(formatDaysOverdue(12)).toBe('12 days overdue');
    expect(formatDaysOverdue(1)).toBe('1 day overdue');
  });
  it('says how soon when not due yet (negative), and today at zero', () => {
    expect(formatDaysOverdue(-3)).toBe('due in 3 days');
    expect(formatDaysOverdue(-1)).toBe('due in 1 day');
    expect(formatDaysOverdue(0)).toBe('due today');
  });
  it('does not invent a number', () => {
    expect(formatDaysOverdue(Number.NaN)).toBe('—');
  });
});

describe('labels', () => {
  it('names every status, and shows an unknown one as the server spelled it', () => {
    expect(FOLLOWUP_STATUSES.map(statusLabel)).toEqual(['Missed', 'Overdue', 'Due', 'Booked', 'Upcoming']);
    expect(statusLabel('later')).toBe('later');
  });
  it('gives missed and overdue their warning colours, the rest quieter ones', () => {
    expect(statusBadgeClass('missed')).toBe('badge danger');
    expect(statusBadgeClass('overdue')).toBe('badge warn');
    expect(statusBadgeClass('due')).toBe('badge info');
    expect(statusBadgeClass('booked')).toBe('badge ok');
    expect(statusBadgeClass('upcoming')).toBe('badge');
    expect(statusBadgeClass('unknown')).toBe('badge');
  });
  it('names kinds, visit states, intervals and plan sources', () => {
    expect(kindLabel('remote')).toBe('Remote transmission');
    expect(kindLabel('in_clinic')).toBe('In-clinic check');
    expect(kindLabel('visit')).toBe('Booked visit');
    expect(visitStateLabel('cancelled')).toBe('Cancelled');
    expect(formatInterval(91)).toBe('every 91 days');
    expect(formatInterval(1)).toBe('every 1 day');
    expect(formatInterval(null)).toBe('none');
    expect(planSourceLabel('default')).toBe('default plan');
    expect(planSourceLabel('clinic')).toBe("clinic's plan");
    expect(planSourceLabel('patient')).toBe("patient's own plan");
  });
  it("names the in-clinic interval's source only as far as the answer tells", () => {
  });
});

describe('order of follow-ups', () => {
  const f = (patient_id: number, days_overdue: number, status: FollowUpStatus, kind: FollowUpKind) => ({ patient_id, days_overdue, status, kind });
  it('puts the most overdue first', () => {
    const sorted = sortFollowUps([f(1, -10, 'upcoming', 'remote'), f(2, 40, 'missed', 'remote'), f(3, 5, 'overdue', 'in_clinic')]);
    expect(sorted.map((x) => x.patient_id)).toEqual([2, 3, 1]);
  });
  it('is total: status, kind, then patient break ties; the input is left alone', () => {
    const input = [f(5, 3, 'overdue', 'remote'), f(4, 3, 'overdue', 'remote'), f(9, 3, 'overdue', 'visit'), f(1, 3, 'booked', 'in_clinic')];
    expect(sortFollowUps(input).map((x) => x.patient_id)).toEqual([9, 4, 5, 1]);
    expect(input.map((x) => x.patient_id)).toEqual([5, 4, 9, 1]);
  });
});

describe('counts', () => {
  it('lists the chosen statuses in a fixed order, absent counts as 0', () => {
    expect(countsText({ due: 3, overdue: 5 }, ['due', 'overdue', 'missed', 'booked'])).toBe('0 missed · 5 overdue · 3 due · 0 booked');
    expect(countsText({ upcoming: 2 }, ['upcoming'])).toBe('2 upcoming');
  });
});

describe('work-list filters', () => {
  it("start with the server's default statuses", () => {
    expect(EMPTY_FOLLOWUP_FILTERS.statuses).toEqual([...DEFAULT_STATUSES]);
    expect([...DEFAULT_STATUSES].sort()).toEqual(['booked', 'due', 'missed', 'overdue']);
  });
  it('need a status, and a whole number of days', () => {
    expect(filtersProblem({ ...EMPTY_FOLLOWUP_FILTERS, statuses: [] })).toMatch(/status/);
    expect(filtersProblem({ ...EMPTY_FOLLOWUP_FILTERS, min_overdue: '2.5' })).toMatch(/whole number/);
    expect(filtersProblem({ ...EMPTY_FOLLOWUP_FILTERS, min_overdue: 'ten' })).toMatch(/whole number/);
    expect(filtersProblem({ ...EMPTY_FOLLOWUP_FILTERS, min_overdue: '-14' })).toBeNull();
    expect(filtersProblem({ ...EMPTY_FOLLOWUP_FILTERS, min_overdue: ' 30 ' })).toBeNull();
    expect(filtersProblem(EMPTY_FOLLOWUP_FILTERS)).toBeNull();
  });
  it('become the query: numbers, statuses in a fixed order, empty ones null', () => {
    expect(followUpQuery({ clinic: '2', device_type: 'icd', statuses: ['booked', 'missed'], min_overdue: ' 30 ' }, 500)).toEqual({ clinic: 2, device_type: 'icd', status: ['missed', 'booked'], min_overdue: 30, limit: 500 });
    expect(followUpQuery(EMPTY_FOLLOWUP_FILTERS, 100)).toEqual({ clinic: null, device_type: null, status: ['missed', 'overdue', 'due', 'booked'], min_overdue: null, limit: 100 });
    expect(followUpQuery({ ...EMPTY_FOLLOWUP_FILTERS, min_overdue: '0' }, 1).min_overdue).toBe(0);
  });
});

describe('the own-plan form', () => {
  const empty = { remote_days: '', in_clinic_days: '', payer: '', ordering_physician: '' };
  it('sends whole numbers of days, trimmed text, and null for what is left empty', () => {
    expect(planFromForm({ remote_days: ' 30 ', in_clinic_days: '', payer: ' medicare ', ordering_physician: '' })).toEqual({ body: { remote_days: 30, in_clinic_days: null, payer: 'medicare', ordering_physician: null } });
    expect(planFromForm({ ...empty, ordering_physician: 'Dr A. Referrer' })).toEqual({ body: { remote_days: null, in_clinic_days: null, payer: null, ordering_physician: 'Dr A. Referrer' } });
  });
  it("keeps to the server's bounds", () => {
    expect(planFromForm({ ...empty, remote_days: '0' })).toEqual({ problem: expect.stringMatching(/Remote interval.*1 to 730/) });
    expect(planFromForm({ ...empty, remote_days: '731' })).toEqual({ problem: expect.stringMatching(/Remote/) });
    expect(planFromForm({ ...empty, remote_days: '30.5' })).toEqual({ problem: expect.stringMatching(/whole number/) });
    expect(planFromForm({ ...empty, in_clinic_days: '1100' })).toEqual({ body: expect.objectContaining({ in_clinic_days: 1100 }) });
    expect(planFromForm({ ...empty, in_clinic_days: '1101' })).toEqual({ problem: expect.stringMatching(/In-clinic/) });
    expect(planFromForm({ ...empty, payer: 'p'.repeat(41) })).toEqual({ problem: expect.stringMatching(/payer/) });
    expect(planFromForm({ ...empty, ordering_physician: 'd'.repeat(121) })).toEqual({ problem: expect.stringMatching(/ordering physician/) });
  });
  it('refuses an all-empty plan (removing it is the way to have none)', () => {
    expect(planFromForm({ ...empty, payer: '   ' })).toEqual({ problem: expect.stringMatching(/remove/) });
  });
  it('is filled from the own plan, or empty without one', () => {
    expect(planToForm(null)).toEqual(empty);
    expect(planToForm({ remote_days: 30, in_clinic_days: null, payer: null, ordering_physician: 'Dr X' })).toEqual({ ...empty, remote_days: '30', ordering_physician: 'Dr X' });
  });
});

describe('booking a visit', () => {
  it('takes a real day, today or later', () => {
    expect(bookingProblem('2026-12-07', '2026-12-07')).toBeNull();
    expect(bookingProblem('2027-01-12', '2026-12-07')).toBeNull();
    expect(bookingProblem('2026-12-06', '2026-12-07')).toMatch(/today or a later day/);
    expect(bookingProblem('', '2026-12-07')).toMatch(/Choose the day/);
    expect(bookingProblem('2027-02-30', '2026-12-07')).toMatch(/Choose the day/);
    expect(bookingProblem('12/01/2027', '2026-12-07')).toMatch(/Choose the day/);
  });
  it('writes a local day as the date input does', () => {
    expect(isoDay(new Date(2027, 0, 5))).toBe('2027-01-05');
    expect(isoDay(new Date(2026, 11, 31, 23, 59))).toBe('2026-12-31');
  });
});

describe('cancel reason', () => {
  it('is required, at most 500 bytes of UTF-8 once trimmed', () => {
    expect(cancelReasonProblem('  ')).toMatch(/reason/);
    expect(cancelReasonProblem('the patient moved away')).toBeNull();
    expect(cancelReasonProblem(` ${'a'.repeat(500)} `)).toBeNull();
    expect(cancelReasonProblem('a'.repeat(501))).toMatch(/Shorten/);
    expect(cancelReasonProblem('é'.repeat(251))).toMatch(/Shorten/);
  });
});
