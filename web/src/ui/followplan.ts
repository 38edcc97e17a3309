// The "Follow-up plan" section of the patient chart: the intervals in force and where they come
// from, the patient's next follow-ups, their booked, done and cancelled visits, and (patient.write)
// booking a visit, cancelling one with a reason, and setting or removing the patient's own plan.
import { api, ApiError, type PatientPlan, type PlanRow, type Visit } from '../api';
import { clinicLabel, formatDateTime, formatDeviceType } from '../lib/format';
import {
  bookingProblem,
  cancelReasonProblem,
  formatDaysOverdue,
  formatInterval,
  isoDay,
  kindLabel,
  PLAN_LIMITS,
  planFromForm,
  planSourceLabel,
  planToForm,
  sortFollowUps,
  visitBadgeClass,
  visitStateLabel,
} from '../lib/followups';
import { can, mayOpen } from '../lib/roles';
import { busy, clear, confirmDialog, field, h, showError, showInfo, statusBox, table } from './dom';
import type { ScreenContext } from './context';
import { statusBadge } from './followups';
import { reasonDialog } from './reason';

export interface PlanPanel {
  section: HTMLElement;
  load(): Promise<void>;
}

/** Ask for the reason and cancel the visit; resolves true once cancelled. */
async function askCancel(visit: Visit): Promise<boolean> {
  const done = await reasonDialog({
    testid: 'cancel-visit',
    title: `Cancel the visit of ${visit.day}`,
    confirm: 'Cancel the visit',
    cancel: 'Keep it',
    cancelId: 'back',
    danger: true,
    maxLength: 500,
    problem: cancelReasonProblem,
    submit: async (reason) => {
      await api.cancelVisit(visit.id, reason);
      return true;
    },
    describeError: (err) =>
      err instanceof ApiError && err.status === 409 ? new Error('This visit is no longer booked (it was done or cancelled meanwhile). Close this and look again.') : err,
  });
  return done === true;
}

function ownPlanText(own: PlanRow | null): string {
  return own ? `The patient has a plan of their own (version ${own.version}, set ${formatDateTime(own.set_us)}); empty fields follow the clinic's or the default plan.` : 'No plan of their own: the clinic’s and the default plans apply.';
}

export function followUpPlanPanel(ctx: ScreenContext, patientId: number): PlanPanel {
  const mayWrite = can(ctx.me.role, 'patient.write');
  const mayInterrogations = mayOpen(ctx.me.role, 'interrogation');
  const status = statusBox();
  const body = h('div', { 'aria-busy': 'true' });
  const section = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'followup-plan-h', 'data-testid': 'followup-plan' },
    h('h2', { id: 'followup-plan-h' }, 'Follow-up plan'),
    status,
    body,
  );

  function facts(p: PatientPlan): HTMLElement {
    const r = p.resolved;
    const item = (label: string, value: string, note?: string, testid?: string) =>
      h('div', { 'data-testid': testid }, h('dt', null, label), h('dd', null, value, note ? h('span', { class: 'muted small' }, ` (${note})`) : null));
    return h(
      'dl',
      { class: 'plan-facts', 'data-testid': 'plan-resolved' },
      item('Device', formatDeviceType(p.device_type)),
      item('Remote follow-up', formatInterval(r.remote_days), planSourceLabel(r.remote_from), 'plan-remote-days'),
      item('In-clinic check', formatInterval(r.in_clinic_days), planSourceLabel(r.in_clinic_from), 'plan-in-clinic-days'),
      item('Payer', r.payer || '—'),
      item('Ordering physician', r.ordering_physician || '—'),
    );
  }

  function followUpsTable(p: PatientPlan): HTMLElement {
    const rows = sortFollowUps(p.followups).map((f) =>
      h(
        'tr',
        { 'data-testid': 'plan-followup-row', 'data-status': f.status, 'data-kind': f.kind },
        h('td', null, kindLabel(f.kind)),
        h('td', { class: 'nowrap' }, f.due),
        h('td', null, statusBadge(f.status)),
        h('td', { class: 'nowrap' }, formatDaysOverdue(f.days_overdue)),
        h('td', { class: 'nowrap' }, f.last ?? h('span', { class: 'muted' }, 'never')),
      ),
    );
    return rows.length
      ? table(['Follow-up', 'Due', 'Status', 'When', 'Last'], rows, { testid: 'plan-followups', className: 'grid compact', caption: 'Next follow-ups' })
      : h('p', { class: 'empty' }, 'No follow-up scheduled (no device, or the plan has no interval).');
  }

  function visitsTable(p: PatientPlan): HTMLElement {
    const visits = [...p.visits].sort((a, b) => b.day.localeCompare(a.day) || b.id - a.id);
    const rows = visits.map((v) => {
      const actions = h('td', { class: 'actions-cell' });
      if (mayWrite && v.state === 'booked') {
        const b = h('button', { type: 'button', class: 'small-button', 'data-testid': 'visit-cancel' }, 'Cancel…');
        b.setAttribute('aria-label', `Cancel the visit of ${v.day}`);
        b.addEventListener('click', async () => {
          if (!(await askCancel(v)) || !ctx.current()) return;
          await load();
          showInfo(status, `The visit of ${v.day} is cancelled.`);
        });
        actions.appendChild(b);
      }
      const session = v.interrogation_id === null ? '—' : mayInterrogations ? h('a', { href: `#/interrogation/${v.interrogation_id}` }, `#${v.interrogation_id}`) : `#${v.interrogation_id}`;
      return h(
        'tr',
        { 'data-testid': 'visit-row', 'data-visit-id': v.id, 'data-state': v.state, class: v.state === 'cancelled' ? 'past' : null },
        h('td', { class: 'nowrap' }, v.day),
        h('td', null, h('span', { class: visitBadgeClass(v.state) }, visitStateLabel(v.state))),
        h('td', null, clinicLabel(ctx.me.clinic_names, v.clinic_id)),
        h('td', null, session),
        actions,
      );
    });
    return rows.length
      ? table(['Day', 'State', 'Clinic', 'Interrogation', ''], rows, { testid: 'visits-table', className: 'grid compact', caption: 'Visits' })
      : h('p', { class: 'empty', 'data-testid': 'visits-empty' }, 'No visit booked.');
  }

  function bookForm(): HTMLElement {
    const today = isoDay(new Date());
    const day = h('input', { type: 'date', min: today, required: true, 'data-testid': 'visit-day' });
    const book = h('button', { type: 'submit', class: 'primary', 'data-testid': 'visit-book' }, 'Book visit');
    const form = h('form', { class: 'filters', 'aria-label': 'Book an in-clinic visit', novalidate: true }, field('Book an in-clinic visit on', day), h('div', { class: 'field' }, book));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const problem = bookingProblem(day.value, isoDay(new Date()));
      if (problem) return showError(status, new Error(problem));
      const chosen = day.value;
      void busy(book, async () => {
        try {
          const a = await api.bookVisit(patientId, chosen);
          if (!ctx.current()) return;
          await load();
          showInfo(status, `Visit booked for ${chosen} (visit #${a.id}). An in-clinic interrogation within a day of it closes it.`);
        } catch (err) {
          showError(status, err);
        }
      });
    });
    return form;
  }

  function planForm(p: PatientPlan): HTMLElement {
    const v = planToForm(p.own);
    const remote = h('input', { type: 'number', min: 1, max: PLAN_LIMITS.remoteDays, step: 1, inputmode: 'numeric', value: v.remote_days, class: 'days-input', 'data-testid': 'plan-remote' });
    const inClinic = h('input', { type: 'number', min: 1, max: PLAN_LIMITS.inClinicDays, step: 1, inputmode: 'numeric', value: v.in_clinic_days, class: 'days-input', 'data-testid': 'plan-in-clinic' });
    const payer = h('input', { type: 'text', maxlength: PLAN_LIMITS.payer, autocomplete: 'off', value: v.payer, 'data-testid': 'plan-payer' });
    const ordering = h('input', { type: 'text', maxlength: PLAN_LIMITS.orderingPhysician, autocomplete: 'off', value: v.ordering_physician, 'data-testid': 'plan-ordering' });
    const save = h('button', { type: 'submit', class: 'primary', 'data-testid': 'plan-save' }, p.own ? 'Save own plan' : 'Set own plan');
    const remove = p.own ? h('button', { type: 'button', 'data-testid': 'plan-clear' }, 'Remove own plan') : null;
    const form = h(
      'form',
      { class: 'plan-form', 'aria-labelledby': 'own-plan-h', novalidate: true },
      h('h3', { id: 'own-plan-h' }, 'The patient’s own plan'),
      h('p', { class: 'muted small', 'data-testid': 'plan-own' }, ownPlanText(p.own)),
      h(
        'div',
        { class: 'filters' },
        field('Remote every … days', remote, `1 to ${PLAN_LIMITS.remoteDays}; empty: as planned.`),
        field('In clinic every … days', inClinic, `1 to ${PLAN_LIMITS.inClinicDays}; empty: as planned.`),
        field('Payer', payer),
        field('Ordering physician', ordering),
      ),
      h('div', { class: 'actions' }, save, remove),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const r = planFromForm({ remote_days: remote.value, in_clinic_days: inClinic.value, payer: payer.value, ordering_physician: ordering.value });
      if ('problem' in r) return showError(status, new Error(r.problem));
      void busy(save, async () => {
        try {
          const row = await api.setPatientPlan(patientId, r.body);
          if (!ctx.current()) return;
          await load();
          showInfo(status, `The patient’s own plan is saved (version ${row.version}).`);
        } catch (err) {
          showError(status, err);
        }
      });
    });
    remove?.addEventListener('click', async () => {
      if (!(await confirmDialog('Remove the patient’s own plan? The clinic’s and the default plans apply again.', 'Remove'))) return;
      void busy(remove, async () => {
        try {
          await api.clearPatientPlan(patientId);
        } catch (err) {
          // Removed meanwhile (by someone else): the answer below shows how things are.
          if (!(err instanceof ApiError && err.status === 404)) return showError(status, err);
        }
        if (!ctx.current()) return;
        await load();
        showInfo(status, 'The patient’s own plan is removed.');
      });
    });
    return form;
  }

  async function load(): Promise<void> {
    try {
      const p = await api.patientPlan(patientId);
      if (!ctx.current()) return;
      clear(status);
      status.className = 'status';
      clear(
        body,
        facts(p),
        h('div', { class: 'two-col' }, followUpsTable(p), visitsTable(p)),
        mayWrite ? [bookForm(), planForm(p)] : null,
      );
    } catch (err) {
      if (ctx.current()) showError(status, err);
    } finally {
      body.removeAttribute('aria-busy');
    }
  }

  return { section, load };
}
