// Follow-ups: the work list of the caller's clinics — whose remote transmission or in-clinic check
// is due, overdue or missed, and who has a visit booked — most overdue first, with the counts per
// status. Each row opens the patient's chart (its "Follow-up plan" section books visits).
import { api, FOLLOWUPS_LIMIT, type FollowUpItem, type FollowUpList, type FollowUpStatus } from '../api';
import { clinicLabel, DEVICE_TYPE_CODES, formatDeviceType, patientName } from '../lib/format';
import {
  countsText,
  EMPTY_FOLLOWUP_FILTERS,
  filtersProblem,
  FOLLOWUP_STATUSES,
  followUpQuery,
  formatDaysOverdue,
  kindLabel,
  statusBadgeClass,
  statusLabel,
  type FollowUpFilters,
} from '../lib/followups';
import { clear, field, h, pageTitle, select, showError, statusBox, table } from './dom';
import type { ScreenContext } from './context';

// Filters live in memory for the browser tab (never in the address).
let filters: FollowUpFilters = { ...EMPTY_FOLLOWUP_FILTERS, statuses: [...EMPTY_FOLLOWUP_FILTERS.statuses] };

/** A status as a badge: the label always, the colour as a second signal. */
export function statusBadge(s: string): HTMLElement {
  return h('span', { class: statusBadgeClass(s), 'data-testid': 'followup-status' }, statusLabel(s));
}

export async function renderFollowUps(main: HTMLElement, ctx: ScreenContext): Promise<void> {
  document.title = 'Follow-ups — heartbase';
  const status = statusBox();
  const summary = h('p', { class: 'summary', 'aria-live': 'polite', 'data-testid': 'followup-summary' });
  const counts = h('div', { class: 'followup-counts', 'data-testid': 'followup-counts' });
  const body = h('div');
  const several = ctx.me.clinics.length > 1;
  let asked: FollowUpFilters = filters;

  const clinic = select([['', 'All my clinics'], ...ctx.me.clinics.map((c): [string, string] => [String(c), clinicLabel(ctx.me.clinic_names, c)])], filters.clinic, { 'data-testid': 'followup-clinic' });
  const deviceType = select([['', 'All'], ...[...DEVICE_TYPE_CODES, 'unknown'].map((t): [string, string] => [t, formatDeviceType(t)])], filters.device_type, { 'data-testid': 'followup-device-type' });
  const boxes = FOLLOWUP_STATUSES.map((s) => h('input', { type: 'checkbox', value: s, checked: filters.statuses.includes(s), 'data-testid': `followup-filter-${s}` }));
  const statusSet = h('fieldset', { class: 'checks' }, h('legend', null, 'Status'), FOLLOWUP_STATUSES.map((s, i) => h('label', { class: 'check' }, boxes[i]!, ` ${statusLabel(s)}`)));
  const minOverdue = h('input', { type: 'number', step: 1, min: -365, max: 3650, inputmode: 'numeric', value: filters.min_overdue, class: 'days-input', 'data-testid': 'followup-min-overdue' });
  const refresh = h('button', { type: 'button', 'data-testid': 'followup-refresh' }, 'Refresh');
  const filterBar = h(
    'form',
    { class: 'filters', 'aria-label': 'Follow-up filters' },
    several ? field('Clinic', clinic) : null,
    field('Device type', deviceType),
    statusSet,
    field('At least … days overdue', minOverdue, 'Negative: due within that many days.'),
    h('div', { class: 'field' }, refresh),
  );

  function readFilters(): FollowUpFilters {
    return {
      clinic: clinic.value,
      device_type: deviceType.value,
      statuses: FOLLOWUP_STATUSES.filter((_, i) => boxes[i]!.checked),
      min_overdue: minOverdue.value.trim(),
    };
  }

  function row(it: FollowUpItem): HTMLTableRowElement {
    const href = `#/patient/${it.patient_id}`;
    const tr = h(
      'tr',
      { 'data-testid': 'followup-row', 'data-patient-id': it.patient_id, 'data-status': it.status, class: `clickable${it.status === 'missed' || it.status === 'overdue' ? ' overdue' : ''}` },
      h('td', null, h('a', { href, 'data-testid': 'followup-open' }, patientName(it.family_name, it.given_name)), h('div', { class: 'muted small' }, it.birth_date ? `born ${it.birth_date}` : '')),
      h('td', null, formatDeviceType(it.device_type)),
      h('td', null, kindLabel(it.kind), it.interval_days ? h('div', { class: 'muted small' }, `every ${it.interval_days} days`) : null),
      h('td', { class: 'nowrap' }, it.due),
      h('td', null, statusBadge(it.status)),
      h('td', { class: 'nowrap', 'data-col': 'days' }, formatDaysOverdue(it.days_overdue)),
      h('td', { class: 'nowrap' }, it.last ?? h('span', { class: 'muted' }, 'never')),
      several ? h('td', null, clinicLabel(ctx.me.clinic_names, it.clinic_id)) : null,
    );
    // The whole row opens the chart; the name stays the link for keyboards and screen readers.
    tr.addEventListener('click', (ev) => {
      if ((ev.target as HTMLElement).closest('a, button, input, select')) return;
      location.hash = href;
    });
    return tr;
  }

  function paint(list: FollowUpList, f: FollowUpFilters): void {
    const statuses = followUpQuery(f, FOLLOWUPS_LIMIT).status;
    summary.textContent = list.total === 0 ? 'No follow-up matches.' : `${list.total} follow-up${list.total === 1 ? '' : 's'}: ${countsText(list.counts, statuses)}.`;
    clear(
      counts,
      statuses.map((s: FollowUpStatus) =>
        h('span', { class: 'count', 'data-testid': `followup-count-${s}`, 'data-count': list.counts[s] ?? 0 }, h('span', { class: statusBadgeClass(s) }, statusLabel(s)), ` ${list.counts[s] ?? 0}`),
      ),
    );
    const cols = ['Patient', 'Device', 'Follow-up', 'Due', 'Status', 'When', 'Last', ...(several ? ['Clinic'] : [])];
    clear(
      body,
      list.items.length
        ? [
            table(cols, list.items.map(row), { testid: 'followup-table', className: 'grid followups' }),
            list.total > list.items.length ? h('p', { class: 'muted small' }, `The ${list.items.length} most overdue of ${list.total} are shown; narrow the filters to see the others.`) : null,
          ]
        : h('p', { class: 'empty', 'data-testid': 'followup-empty' }, 'No follow-up matches these filters.'),
    );
  }

  async function load(): Promise<void> {
    const f = readFilters();
    const problem = filtersProblem(f);
    if (problem) return showError(status, new Error(problem));
    filters = f;
    asked = f;
    try {
      const list = await api.followups(followUpQuery(f, FOLLOWUPS_LIMIT));
      // A slower answer for filters already changed must not paint over the newer one.
      if (!ctx.current() || asked !== f) return;
      clear(status);
      status.className = 'status';
      paint(list, f);
    } catch (err) {
      if (ctx.current() && asked === f) showError(status, err);
    }
  }

  filterBar.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void load();
  });
  for (const c of [clinic, deviceType, minOverdue, ...boxes]) c.addEventListener('change', () => void load());
  refresh.addEventListener('click', () => void load());

  clear(
    main,
    h('div', { class: 'page-head' }, pageTitle('Follow-ups'), summary),
    h('p', { class: 'muted' }, 'Remote transmissions and in-clinic checks of your clinics by the plan in force for each patient: due from 14 days before the date, overdue after it, missed when far past it. Open a patient to book a visit or change their plan.'),
    filterBar,
    counts,
    status,
    body,
  );
  await load();
}
