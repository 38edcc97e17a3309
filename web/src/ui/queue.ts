// Triage queue: every interrogation not yet reviewed, most urgent and longest waiting first.
import { api, type QueueItem } from '../api';
import { clinicLabel, formatDateTime, formatDeviceType, formatManufacturer, formatSessionType, DEVICE_TYPE_CODES, MANUFACTURER_CODES, SESSION_TYPE_CODES } from '../lib/format';
import { dueState, EMPTY_FILTERS, queueParams, severityCounts, sortQueue, timeSinceArrival, type QueueFilters } from '../lib/queue';
import { can } from '../lib/roles';
import { busy, clear, field, h, pageTitle, select, showError, statusBox, table } from './dom';
import { queueMemory, type ScreenContext } from './context';

const PAGE = 200;
// Filters live in memory for the browser tab (never in the address).
let filters: QueueFilters = { ...EMPTY_FILTERS };

const SEVERITY_TEXT: Record<string, string> = { red: 'Red', yellow: 'Yellow', info: 'Info', none: 'None' };

export function severityChip(s: string): HTMLElement {
  return h('span', { class: `sev sev-${s in SEVERITY_TEXT ? s : 'none'}` }, SEVERITY_TEXT[s] ?? s);
}

export async function renderQueue(main: HTMLElement, ctx: ScreenContext): Promise<void> {
  document.title = 'Triage queue — heartbase';
  const status = statusBox();
  const summary = h('p', { class: 'summary', 'aria-live': 'polite' });
  const body = h('div');
  const more = h('button', { type: 'button', hidden: true }, 'Load more');
  let items: QueueItem[] = [];
  let cursor: string | null = null;
  const mayAssign = can(ctx.me.role, 'interrogation.review');

  const clinicOptions: [string, string][] = [['', 'All my clinics'], ...ctx.me.clinics.map((c): [string, string] => [String(c), clinicLabel(ctx.me.clinic_names, c)])];
  const clinic = select(clinicOptions, filters.clinic, { 'data-testid': 'filter-clinic' });
  const manufacturer = select([['', 'All'], ...MANUFACTURER_CODES.map((m): [string, string] => [m, formatManufacturer(m)])], filters.manufacturer, { 'data-testid': 'filter-manufacturer' });
  const deviceType = select([['', 'All'], ...DEVICE_TYPE_CODES.map((t): [string, string] => [t, formatDeviceType(t)])], filters.device_type, { 'data-testid': 'filter-device-type' });
  const sessionType = select([['', 'All'], ...SESSION_TYPE_CODES.map((t): [string, string] => [t, formatSessionType(t)])], filters.session_type, { 'data-testid': 'filter-session-type' });
  const mine = h('input', { type: 'checkbox', checked: filters.assignedToMe, 'data-testid': 'filter-assigned-me' });
  const mineLabel = h('label', { class: 'check' }, mine, ' Assigned to me');
  const refresh = h('button', { type: 'button' }, 'Refresh');

  const filterBar = h(
    'form',
    { class: 'filters', 'aria-label': 'Queue filters' },
    ctx.me.clinics.length > 1 ? field('Clinic', clinic) : null,
    field('Manufacturer', manufacturer),
    field('Device type', deviceType),
    field('Session', sessionType),
    h('div', { class: 'field check-field' }, mineLabel),
    h('div', { class: 'field' }, refresh),
  );
  filterBar.addEventListener('submit', (ev) => ev.preventDefault());
  const onFilter = () => {
    filters = {
      clinic: clinic.value,
      manufacturer: manufacturer.value,
      device_type: deviceType.value,
      session_type: sessionType.value,
      assignedToMe: mine.checked,
    };
    void load(false);
  };
  for (const c of [clinic, manufacturer, deviceType, sessionType, mine]) c.addEventListener('change', onFilter);
  refresh.addEventListener('click', () => void load(false));
  more.addEventListener('click', () => void busy(more, () => load(true)));

  function row(it: QueueItem): HTMLTableRowElement {
    const now = Date.now();
    const due = dueState(it, now);
    const assigned = h('td', { 'data-col': 'assigned' }, it.assigned_to ?? '—');
    const actions = h('td', { class: 'actions-cell' });
    if (mayAssign) {
      const mineNow = it.assigned_to === ctx.me.user;
      const btn = h('button', { type: 'button', class: 'small-button', 'data-testid': 'queue-assign' }, mineNow ? 'Unassign' : 'Assign to me');
      btn.setAttribute('aria-label', `${mineNow ? 'Unassign' : 'Assign to me'}: ${it.patient_name}`);
      btn.addEventListener('click', () =>
        void busy(btn, async () => {
          try {
            const a = await api.assign(it.interrogation_id, !mineNow);
            it.assigned_to = a.assigned_to;
            tr.replaceWith(row(it));
          } catch (err) {
            showError(status, err);
          }
        }),
      );
      actions.appendChild(btn);
    }
    const tr = h(
      'tr',
      {
        'data-testid': 'queue-row',
        'data-interrogation-id': it.interrogation_id,
        'data-severity': it.severity,
        class: due.overdue ? 'overdue' : null,
      },
      h('td', null, severityChip(it.severity)),
      h(
        'td',
        null,
        h('a', { href: `#/interrogation/${it.interrogation_id}`, 'data-testid': 'queue-open' }, it.patient_name || '(no name)'),
        it.state === 'reviewed' ? h('div', null, h('span', { class: 'badge state-reviewed' }, 'reviewed, awaiting sign-off')) : null,
      ),
      h('td', { class: 'reasons' }, (it.reasons ?? []).length ? it.reasons.join(' · ') : h('span', { class: 'muted' }, '—')),
      h('td', null, h('div', null, formatManufacturer(it.manufacturer)), h('div', { class: 'muted small' }, [formatDeviceType(it.device_type), it.device_model].filter(Boolean).join(' · '))),
      h('td', null, formatSessionType(it.session_type)),
      h('td', { 'data-col': 'age', 'data-received-us': it.received_us, title: `Received ${formatDateTime(it.received_us)}` }, timeSinceArrival(it.received_us, now)),
      h('td', { 'data-col': 'due' }, due.overdue ? h('span', { class: 'badge danger', 'data-testid': 'overdue' }, due.text || 'overdue') : h('span', { class: 'muted' }, due.text)),
      assigned,
      actions,
    );
    return tr;
  }

  function paint(): void {
    const sorted = sortQueue(items);
    queueMemory.ids = sorted.map((i) => i.interrogation_id);
    const c = severityCounts(sorted);
    summary.textContent =
      sorted.length === 0
        ? 'Nothing waiting for review.'
        : `${sorted.length}${cursor ? '+' : ''} waiting: ${c.red} red, ${c.yellow} yellow, ${c.info} info, ${c.none} without alert.`;
    clear(
      body,
      sorted.length === 0
        ? h('p', { class: 'empty' }, 'The queue is empty for these filters.')
        : table(['Priority', 'Patient', 'Why', 'Device', 'Session', 'Waiting', 'Due', 'Assigned', ''], sorted.map(row), { testid: 'queue-table', className: 'grid queue' }),
    );
    more.hidden = !cursor;
  }

  async function load(append: boolean): Promise<void> {
    try {
      const page = await api.queue(queueParams(filters, PAGE, append ? cursor : null));
      if (!ctx.current()) return;
      items = append ? [...items, ...page.items] : page.items;
      cursor = page.next_cursor;
      clear(status);
      status.className = 'status';
      paint();
    } catch (err) {
      if (ctx.current()) showError(status, err);
    }
  }

  clear(main, h('div', { class: 'page-head' }, pageTitle('Triage queue'), summary), filterBar, status, body, more);
  await load(false);
  // Waiting times move while the page is open.
  const tick = window.setInterval(() => {
    const now = Date.now();
    for (const td of body.querySelectorAll<HTMLElement>('td[data-col="age"]')) {
      td.textContent = timeSinceArrival(Number(td.dataset.receivedUs), now);
    }
  }, 60_000);
  ctx.onLeave(() => window.clearInterval(tick));
}
