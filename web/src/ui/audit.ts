// The audit trail for auditors: who did what to which patient, filterable.
import { api, type AuditRecord } from '../api';
import { formatDateTime } from '../lib/format';
import { busy, clear, field, h, pageTitle, showError, statusBox, table } from './dom';
import type { ScreenContext } from './context';

const ACTIONS = [
  'patient.read',
  'patient.search',
  'trend.read',
  'interrogation.list',
  'queue.read',
  'interrogation.read',
  'interrogation.assign',
  'interrogation.review',
  'interrogation.signoff',
  'interrogation.link',
  'attachment.read',
  'audit.read',
  'login',
  'login.failed',
  'logout',
  'mfa.enroll',
  'mfa.confirm',
  'breakglass',
];

export async function renderAudit(main: HTMLElement, ctx: ScreenContext): Promise<void> {
  document.title = 'Audit trail — heartbase';
  const status = statusBox();
  const patient = h('input', { type: 'text', inputmode: 'numeric', pattern: '[0-9]*', 'data-testid': 'audit-patient' });
  const user = h('input', { type: 'text', autocomplete: 'off', 'data-testid': 'audit-user' });
  const action = h('input', { type: 'text', list: 'audit-actions', autocomplete: 'off', 'data-testid': 'audit-action' });
  const datalist = h('datalist', { id: 'audit-actions' }, ACTIONS.map((a) => h('option', { value: a })));
  const go = h('button', { type: 'submit', class: 'primary' }, 'Show');
  const body = h('div');
  const more = h('button', { type: 'button', hidden: true }, 'Load more');
  let items: AuditRecord[] = [];
  let cursor: string | null = null;

  function row(r: AuditRecord): HTMLTableRowElement {
    return h(
      'tr',
      { 'data-testid': 'audit-row', 'data-action': r.action, class: r.outcome !== 'success' ? 'denied' : null },
      h('td', { class: 'nowrap' }, formatDateTime(r.time_us)),
      h('td', null, r.user || '—', r.role ? h('div', { class: 'muted small' }, r.role) : null),
      h('td', { class: 'mono' }, r.action),
      h('td', null, r.object_type ? `${r.object_type} ${r.object_id}` : '—'),
      h('td', null, r.patient_id === null ? '—' : h('a', { href: `#/audit`, 'data-patient': r.patient_id, class: 'filter-link' }, String(r.patient_id))),
      h('td', null, r.outcome === 'success' ? 'success' : h('span', { class: 'badge danger' }, r.outcome)),
      h('td', { class: 'mono small' }, r.address),
      h('td', { class: 'small detail' }, r.detail),
    );
  }

  async function load(append: boolean): Promise<void> {
    if (patient.value && !/^[0-9]+$/.test(patient.value.trim())) {
      showError(status, new Error('The patient filter is a patient number.'));
      return;
    }
    try {
      const page = await api.audit({ patient: patient.value.trim(), user: user.value.trim(), action: action.value.trim(), limit: 100, cursor: append ? cursor : null });
      if (!ctx.current()) return;
      items = append ? [...items, ...page.items] : page.items;
      cursor = page.next_cursor;
      status.className = 'status';
      clear(status, `${items.length}${cursor ? '+' : ''} records.`);
      clear(body, items.length ? table(['Time', 'User', 'Action', 'Object', 'Patient', 'Outcome', 'Address', 'Detail'], items.map(row), { testid: 'audit-table', className: 'grid audit' }) : h('p', { class: 'empty' }, 'No record matches.'));
      more.hidden = !cursor;
    } catch (err) {
      if (ctx.current()) showError(status, err);
    }
  }

  const form = h('form', { class: 'filters' }, field('Patient number', patient), field('User', user), field('Action', action), datalist, h('div', { class: 'field' }, go));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void busy(go, () => load(false));
  });
  body.addEventListener('click', (ev) => {
    const a = (ev.target as HTMLElement).closest<HTMLAnchorElement>('a.filter-link');
    if (!a) return;
    ev.preventDefault();
    patient.value = a.dataset.patient ?? '';
    void load(false);
  });
  more.addEventListener('click', () => void busy(more, () => load(true)));
  clear(main, pageTitle('Audit trail'), h('p', { class: 'muted' }, 'Every access to patient data and every sign-in, in the order the server keeps them. Choose a patient number to see who accessed that patient.'), form, status, body, more);
  await load(false);
}
