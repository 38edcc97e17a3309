// Administration: user accounts (add, disable, enable, reset MFA), clinics, the notification
// queue (counts, age, dead letters), feeds and the database (operations.ts), the unassigned
// pool (unassigned.ts) and the monitoring plans (plans.ts). A panel that needs attention shows a
// banner, summed up at the top.
import { api, type AdminUser, type Clinic, type OutboxStatus } from '../api';
import { formatDateTime, formatDuration } from '../lib/format';
import { ROLE_LABELS, ROLES, type Role } from '../lib/roles';
import { busy, clear, confirmDialog, field, h, pageTitle, select, showError, showInfo, statusBox, table } from './dom';
import type { ScreenContext } from './context';
import { feedsPanel, storePanel } from './operations';
import { plansPanel } from './plans';
import { withStepUp } from './stepup';
import { unassignedPanel } from './unassigned';

export async function renderAdmin(main: HTMLElement, ctx: ScreenContext): Promise<void> {
  document.title = 'Administration — heartbase';
  const status = statusBox();
  const usersBox = h('div');
  const clinicsBox = h('div');
  let users: AdminUser[] = [];
  let clinics: Clinic[] = [];

  const clinicName = (id: number) => clinics.find((c) => c.id === id)?.name ?? `Clinic ${id}`;

  function userRow(u: AdminUser): HTMLTableRowElement {
    const actions = h('td', { class: 'actions-cell' });
    const act = (label: string, action: 'disable' | 'enable' | 'reset-mfa', confirmText?: string) => {
      const b = h('button', { type: 'button', class: 'small-button', 'data-testid': `user-${action}` }, label);
      b.setAttribute('aria-label', `${label}: ${u.name}`);
      b.addEventListener('click', async () => {
        if (confirmText && !(await confirmDialog(confirmText, label))) return;
        void busy(b, async () => {
          try {
            await withStepUp(() => api.userAction(u.id, action));
            showInfo(status, `${label}: done for ${u.name}.`);
            await loadUsers();
          } catch (err) {
            showError(status, err);
          }
        });
      });
      actions.appendChild(b);
    };
    if (u.id !== ctx.me.user_id) {
      if (u.disabled) act('Enable', 'enable');
      else act('Disable', 'disable', `Disable ${u.name}? Their sessions end at once.`);
    }
    if (u.mfa) act('Reset MFA', 'reset-mfa', `Reset the authenticator of ${u.name}? They must set up a new one at the next sign-in.`);
    return h(
      'tr',
      { 'data-testid': 'user-row', 'data-user-id': u.id, class: u.disabled ? 'disabled' : null },
      h('td', null, u.name),
      h('td', null, ROLE_LABELS[u.role as Role] ?? u.role),
      h('td', null, u.clinics.length ? u.clinics.map(clinicName).join(', ') : '—'),
      h('td', null, u.mfa ? 'yes' : h('span', { class: 'muted' }, 'not set up')),
      h('td', null, u.disabled ? h('span', { class: 'badge danger' }, 'disabled') : 'active'),
      actions,
    );
  }

  async function loadUsers(): Promise<void> {
    users = (await withStepUp(() => api.users())).items;
    if (!ctx.current()) return;
    clear(usersBox, table(['Name', 'Role', 'Clinics', 'Authenticator', 'Status', ''], users.map(userRow), { testid: 'users-table' }));
  }

  async function loadClinics(): Promise<void> {
    clinics = (await withStepUp(() => api.clinics())).items;
    if (!ctx.current()) return;
    clear(clinicsBox, clinics.length ? table(['Number', 'Name'], clinics.map((c) => h('tr', { 'data-testid': 'clinic-row' }, h('td', null, String(c.id)), h('td', null, c.name)))) : h('p', { class: 'empty' }, 'No clinic yet.'));
    paintUserForm();
  }

  // ---- add user
  const formBox = h('div');
  function paintUserForm(): void {
    const name = h('input', { type: 'text', autocomplete: 'off', required: true, 'data-testid': 'new-user-name' });
    const role = select(ROLES.map((r): [string, string] => [r, ROLE_LABELS[r]]), 'device_clinician', { 'data-testid': 'new-user-role' });
    const pw = h('input', { type: 'password', autocomplete: 'new-password', required: true, minlength: 12, 'data-testid': 'new-user-password' });
    const boxes = clinics.map((c) => h('input', { type: 'checkbox', value: c.id }));
    const clinicSet = h('fieldset', { class: 'checks' }, h('legend', null, 'Clinics'), clinics.length ? clinics.map((c, i) => h('label', { class: 'check' }, boxes[i]!, ` ${c.name}`)) : h('span', { class: 'muted' }, 'Add a clinic first.'));
    const add = h('button', { type: 'submit', class: 'primary' }, 'Add user');
    const st = statusBox();
    const form = h('form', { class: 'stack narrow', 'aria-labelledby': 'add-user-h' }, h('h3', { id: 'add-user-h' }, 'Add a user'), field('User name', name), field('Role', role), clinicSet, field('Initial password', pw, 'At least 12 characters. Tell it to the user in person; they sign in and set up an authenticator.'), add, st);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (!name.value.trim() || !pw.value) return showError(st, new Error('Give a name and an initial password.'));
      const chosen = boxes.filter((b) => b.checked).map((b) => Number(b.value));
      void busy(add, async () => {
        try {
          await withStepUp(() => api.addUser({ name: name.value.trim(), role: role.value, clinics: chosen, password: pw.value }));
          pw.value = '';
          showInfo(st, `User ${name.value.trim()} added.`);
          name.value = '';
          await loadUsers();
        } catch (err) {
          showError(st, err);
        }
      });
    });
    clear(formBox, form);
  }

  // ---- notification queue
  const outboxBox = h('div');
  async function loadOutbox(): Promise<string | null> {
    const o: OutboxStatus = await withStepUp(() => api.outbox());
    if (!ctx.current()) return null;
    const counts = h(
      'dl',
      { class: 'facts', 'data-testid': 'outbox-counts' },
      ...([['Waiting', o.pending], ['Being sent', o.leased], ['Sent', o.sent], ['Failed for good', o.dead]] as const).map(([label, n]) =>
        h('div', null, h('dt', null, label), h('dd', null, String(n))),
      ),
      h('div', null, h('dt', null, 'Oldest waiting'), h('dd', null, o.queue_age_us > 0 ? formatDuration(o.queue_age_us / 1e6) : '—')),
    );
    const banner = o.alarm
      ? h(
          'p',
          { class: 'status error', role: 'alert', 'data-testid': 'outbox-alarm' },
          o.dead > 0
            ? `${o.dead} notification${o.dead === 1 ? '' : 's'} could not be delivered. Check heartbase notify's configuration and log.`
            : 'Notifications have been waiting for more than 15 minutes: is heartbase notify running?',
        )
      : null;
    const dead = o.dead_letters.length
      ? table(
          ['Job', 'Kind', 'Channel', 'Attempts', 'Last error', 'Failed'],
          o.dead_letters.map((j) =>
            h('tr', { 'data-testid': 'dead-letter' }, h('td', null, String(j.id)), h('td', null, j.kind), h('td', null, j.channel), h('td', null, String(j.attempts)), h('td', null, j.last_error || '—'), h('td', null, formatDateTime(j.updated_us))),
          ),
        )
      : null;
    clear(outboxBox, banner, counts, dead);
    return o.alarm ? 'Notifications: some could not be delivered or are waiting too long.' : null;
  }

  // ---- add clinic
  const clinicInput = h('input', { type: 'text', required: true, 'data-testid': 'new-clinic-name' });
  const addClinic = h('button', { type: 'submit' }, 'Add clinic');
  const clinicStatus = statusBox();
  const clinicForm = h('form', { class: 'filters' }, field('New clinic', clinicInput), h('div', { class: 'field' }, addClinic));
  clinicForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!clinicInput.value.trim()) return;
    void busy(addClinic, async () => {
      try {
        await withStepUp(() => api.addClinic(clinicInput.value.trim()));
        clinicInput.value = '';
        await loadClinics();
        await loadUsers();
        await plans.load(); // the new clinic can have plans of its own
      } catch (err) {
        showError(clinicStatus, err);
      }
    });
  });

  const store = storePanel(ctx);
  const feeds = feedsPanel(ctx);
  const unassigned = unassignedPanel(ctx, () => clinics);
  const plans = plansPanel(ctx, () => clinics);
  // One line per panel that needs attention, so nothing further down the page goes unseen (the
  // panels' own banners are the alerts; this summary is announced politely).
  const attention = h('div', { 'data-testid': 'admin-attention' });

  clear(
    main,
    pageTitle('Administration'),
    attention,
    status,
    h('section', { class: 'panel', 'aria-labelledby': 'users-h' }, h('h2', { id: 'users-h' }, 'Users'), usersBox, formBox),
    h('section', { class: 'panel', 'aria-labelledby': 'clinics-h' }, h('h2', { id: 'clinics-h' }, 'Clinics'), clinicsBox, clinicForm, clinicStatus),
    h('section', { class: 'panel', 'aria-labelledby': 'outbox-h' }, h('h2', { id: 'outbox-h' }, 'Notifications'), outboxBox),
    store.section,
    feeds.section,
    unassigned.section,
    plans.section,
  );
  const alarms: (string | null)[] = [];
  try {
    await loadClinics();
    await loadUsers();
    alarms.push(await loadOutbox());
  } catch (err) {
    showError(status, err);
    return;
  }
  // Each of these shows its own failure in its panel.
  const storeAlarm = await store.load();
  const feedsAlarm = await feeds.load();
  alarms.unshift(storeAlarm && `Database: ${storeAlarm}`, feedsAlarm && `Feeds: ${feedsAlarm}`);
  if (!ctx.current()) return;
  // The summary is drawn as soon as the panels that raise alarms have answered, not after the
  // remaining panels.
  const lines = alarms.filter((a): a is string => a !== null);
  clear(attention, lines.length ? h('div', { class: 'status error', role: 'status' }, h('strong', null, 'Needs attention'), h('ul', null, lines.map((l) => h('li', null, l)))) : null);
  await unassigned.load();
  await plans.load();
}
