// Administration: the monitoring plans. A table of device types with the default intervals and
// a chosen clinic's override, a form to set that clinic's intervals for a device type, and "Use
// the default" to remove its override. Setting and removing need rules.admin and a step-up.
import { api, ApiError, type Clinic, type PlanRow } from '../api';
import { formatDeviceType } from '../lib/format';
import { PLAN_LIMITS } from '../lib/followups';
import { clinicCellText, clinicPlanFromForm, clinicPlanToForm, defaultCellText, planTableRows, type PlanTableRow } from '../lib/plans';
import { busy, clear, confirmDialog, field, h, select, showError, showInfo, statusBox, table } from './dom';
import type { ScreenContext } from './context';
import type { Panel } from './operations';
import { withStepUp } from './stepup';

/** `clinics()` answers the clinics the administration screen has loaded. */
export function plansPanel(ctx: ScreenContext, clinics: () => Clinic[]): Panel {
  const status = statusBox();
  const chooser = h('div');
  const box = h('div');
  const formBox = h('div');
  const section = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'plans-h', 'data-testid': 'plans-panel' },
    h('h2', { id: 'plans-h' }, 'Monitoring plans'),
    h('p', { class: 'muted' }, 'The default intervals for each device type, and a clinic’s own where it has set them. A patient’s own plan, set in the chart, comes before both.'),
    status,
    chooser,
    box,
    formBox,
  );
  let plans: PlanRow[] = [];
  let clinicId: number | null = null;
  let deviceType = 'pacemaker';

  const choices = () => clinics().filter((c) => c.id > 0);
  const clinicName = () => choices().find((c) => c.id === clinicId)?.name ?? `Clinic ${clinicId}`;

  function useDefault(r: PlanTableRow): HTMLButtonElement {
    const b = h('button', { type: 'button', class: 'small-button', 'data-testid': 'plan-use-default' }, 'Use the default');
    b.setAttribute('aria-label', `Use the default: ${formatDeviceType(r.device_type)}`);
    b.addEventListener('click', async () => {
      if (clinicId === null) return;
      const id = clinicId;
      const name = clinicName();
      if (!(await confirmDialog(`Remove ${name}’s plan for ${formatDeviceType(r.device_type)}? The default plan applies again.`, 'Use the default'))) return;
      void busy(b, async () => {
        try {
          await withStepUp(() => api.deleteClinicPlan(id, r.device_type));
        } catch (err) {
          // Removed meanwhile (by someone else): the reload below shows how things are.
          if (!(err instanceof ApiError && err.status === 404)) return showError(status, err);
        }
        if (await load()) showInfo(status, `${name} uses the default plan for ${formatDeviceType(r.device_type)}.`);
      });
    });
    return b;
  }

  function planRow(r: PlanTableRow): HTMLTableRowElement {
    return h(
      'tr',
      { 'data-testid': 'plan-row', 'data-device-type': r.device_type, 'data-override': r.clinic ? 'yes' : 'no' },
      h('th', { scope: 'row' }, formatDeviceType(r.device_type)),
      h('td', null, defaultCellText(r.default, 'remote_days')),
      h('td', null, defaultCellText(r.default, 'in_clinic_days')),
      clinicId === null ? null : h('td', null, clinicCellText(r.clinic, 'remote_days')),
      clinicId === null ? null : h('td', null, clinicCellText(r.clinic, 'in_clinic_days')),
      clinicId === null ? null : h('td', { class: 'actions-cell' }, r.clinic ? useDefault(r) : null),
    );
  }

  function planForm(rows: PlanTableRow[]): HTMLElement | null {
    if (clinicId === null) return null;
    const v = clinicPlanToForm(rows.find((r) => r.device_type === deviceType)?.clinic ?? null);
    const type = select(rows.map((r): [string, string] => [r.device_type, formatDeviceType(r.device_type)]), deviceType, { 'data-testid': 'clinic-plan-device-type' });
    const remote = h('input', { type: 'number', min: 1, max: PLAN_LIMITS.remoteDays, step: 1, inputmode: 'numeric', value: v.remote_days, class: 'days-input', 'data-testid': 'clinic-plan-remote' });
    const inClinic = h('input', { type: 'number', min: 1, max: PLAN_LIMITS.inClinicDays, step: 1, inputmode: 'numeric', value: v.in_clinic_days, class: 'days-input', 'data-testid': 'clinic-plan-in-clinic' });
    const save = h('button', { type: 'submit', class: 'primary', 'data-testid': 'clinic-plan-save' }, 'Save');
    const form = h(
      'form',
      { class: 'plan-form', 'aria-labelledby': 'clinic-plan-h', novalidate: true },
      h('h3', { id: 'clinic-plan-h' }, `Set ${clinicName()}’s plan`),
      h(
        'div',
        { class: 'filters' },
        field('Device type', type),
        field('Remote every … days', remote, `1 to ${PLAN_LIMITS.remoteDays}; empty: as the default.`),
        field('In clinic every … days', inClinic, `1 to ${PLAN_LIMITS.inClinicDays}; empty: as the default.`),
      ),
      h('div', { class: 'actions' }, save),
    );
    type.addEventListener('change', () => {
      deviceType = type.value;
      paint();
    });
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (clinicId === null) return;
      const r = clinicPlanFromForm({ remote_days: remote.value, in_clinic_days: inClinic.value });
      if ('problem' in r) return showError(status, new Error(r.problem));
      const id = clinicId;
      const name = clinicName();
      const t = type.value;
      void busy(save, async () => {
        try {
          await withStepUp(() => api.putClinicPlan(id, t, r.body));
        } catch (err) {
          return showError(status, err);
        }
        if (await load()) showInfo(status, `${name}’s plan for ${formatDeviceType(t)} is saved.`);
      });
    });
    return form;
  }

  function paint(): void {
    const cs = choices();
    if (clinicId !== null && !cs.some((c) => c.id === clinicId)) clinicId = null;
    clinicId ??= cs[0]?.id ?? null;
    const pick = cs.length
      ? select(cs.map((c): [string, string] => [String(c.id), c.name]), String(clinicId), { 'data-testid': 'plans-clinic' })
      : null;
    pick?.addEventListener('change', () => {
      clinicId = Number(pick.value);
      paint();
    });
    clear(chooser, pick ? h('div', { class: 'filters' }, field('Clinic', pick)) : h('p', { class: 'empty' }, 'Add a clinic first (Clinics, above) to give it its own plans.'));
    const rows = planTableRows(plans, clinicId);
    const cols = ['Device type', 'Default remote', 'Default in clinic', ...(clinicId === null ? [] : [`${clinicName()}: remote`, `${clinicName()}: in clinic`, ''])];
    clear(box, table(cols, rows.map(planRow), { testid: 'plans-table' }));
    clear(formBox, planForm(rows));
  }

  /** Reloads the plans; true when they are shown (false: the screen was left, or the error is shown). */
  async function load(): Promise<boolean> {
    try {
      const answer = await api.listPlans();
      if (!ctx.current()) return false;
      plans = answer.items;
      paint();
      return true;
    } catch (err) {
      if (ctx.current()) showError(status, err);
      return false;
    }
  }

  return {
    section,
    async load() {
      await load();
      return null;
    },
  };
}
