// Administration: the unassigned pool (interrogations from senders mapped to no clinic), paged,
// and moving a row's patient to a clinic with a required reason. Once moved, the patient is in
// that clinic's unmatched work list. The pool shows ids and times only, never names.
import { api, type Clinic, type UnassignedItem } from '../api';
import { formatDateTime } from '../lib/format';
import { busy, clear, field, h, select, showError, showInfo, statusBox, table } from './dom';
import type { ScreenContext } from './context';
import type { Panel } from './operations';
import { withStepUp } from './stepup';

const PAGE = 50;
const MAX_REASON = 1000;

/** Ask for the clinic and the reason, and move; resolves with the clinic moved to, or null. */
function askMove(item: UnassignedItem, clinics: Clinic[]): Promise<Clinic | null> {
  return new Promise((resolve) => {
    const choose = select([['', 'Choose a clinic…'], ...clinics.map((c): [string, string] => [String(c.id), c.name])], '', { required: true, 'data-testid': 'move-clinic' });
    const reason = h('textarea', { rows: 3, required: true, maxlength: MAX_REASON, 'data-testid': 'move-reason' });
    const ok = h('button', { type: 'submit', class: 'primary', 'data-testid': 'move-confirm' }, 'Move');
    const cancel = h('button', { type: 'button', 'data-testid': 'move-cancel' }, 'Cancel');
    const status = statusBox();
    const title = `Move patient #${item.patient_id} to a clinic`;
    // Our own messages say what is missing (the browser's bubbles would not reach the status box).
    const form = h(
      'form',
      { class: 'stack', novalidate: true },
      h('p', null, `The patient and everything received for it (devices, interrogations) will belong to the clinic you choose, and appear in its unmatched list. Sender: ${item.sender.replace('|', ' · ')}.`),
      field('Clinic', choose),
      field('Reason', reason, 'Required. Kept (sealed) in the audit trail.'),
      h('div', { class: 'actions' }, ok, cancel),
      status,
    );
    const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': 'move-title', 'data-testid': 'move-dialog' }, h('h2', { id: 'move-title' }, title), form);
    let moved: Clinic | null = null;
    cancel.addEventListener('click', () => dlg.close());
    dlg.addEventListener('close', () => {
      dlg.remove();
      resolve(moved);
    });
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const clinic = clinics.find((c) => String(c.id) === choose.value);
      const why = reason.value.trim();
      if (!clinic) {
        showError(status, new Error('Choose the clinic the patient belongs to.'));
        choose.focus();
        return;
      }
      if (!why) {
        showError(status, new Error('Give a reason: it is kept in the audit trail.'));
        reason.focus();
        return;
      }
      void busy(ok, async () => {
        try {
          await withStepUp(() => api.movePatient(item.patient_id, clinic.id, why));
          moved = clinic;
          dlg.close();
        } catch (err) {
          showError(status, err);
        }
      });
    });
    document.body.appendChild(dlg);
    dlg.showModal();
    choose.focus();
  });
}

/** `clinics()` answers the clinics the administration screen has loaded. */
export function unassignedPanel(ctx: ScreenContext, clinics: () => Clinic[]): Panel {
  const box = h('div');
  const status = statusBox();
  const more = h('button', { type: 'button', hidden: true, 'data-testid': 'unassigned-more' }, 'Load more');
  const section = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'unassigned-h', 'data-testid': 'unassigned-panel' },
    h('h2', { id: 'unassigned-h' }, 'Unassigned'),
    h('p', { class: 'muted' }, 'Interrogations from senders not mapped to any clinic (serve --feed). Move each patient to the clinic it belongs to; it then waits in that clinic’s unmatched list.'),
    status,
    box,
    more,
  );
  let rows: UnassignedItem[] = [];
  let cursor: string | null = null;

  function row(r: UnassignedItem): HTMLTableRowElement {
    const move = h('button', { type: 'button', class: 'small-button', 'data-testid': 'unassigned-move' }, 'Move to clinic…');
    move.setAttribute('aria-label', `Move patient #${r.patient_id} to a clinic`);
    move.addEventListener('click', async () => {
      const choices = clinics().filter((c) => c.id > 0);
      if (!choices.length) return showError(status, new Error('Add a clinic first (Clinics, above).'));
      const to = await askMove(r, choices);
      if (!to || !ctx.current()) return;
      // Everything of the patient moved, so every pool row of it goes.
      rows = rows.filter((x) => x.patient_id !== r.patient_id);
      paint();
      showInfo(status, `Patient #${r.patient_id} moved to ${to.name}. It is now in that clinic’s unmatched list.`);
    });
    return h(
      'tr',
      { 'data-testid': 'unassigned-row', 'data-interrogation-id': r.id, 'data-patient-id': r.patient_id },
      h('td', null, formatDateTime(r.received_us)),
      h('td', null, r.session_us ? formatDateTime(r.session_us) : '—'),
      h('td', null, r.sender.replace('|', ' · ')),
      h('td', null, `#${r.patient_id}`),
      h('td', null, `#${r.id}`),
      h('td', { class: 'actions-cell' }, move),
    );
  }

  function paint(): void {
    clear(box, rows.length ? table(['Received', 'Session', 'Sender', 'Patient', 'Interrogation', ''], rows.map(row), { testid: 'unassigned-table' }) : h('p', { class: 'empty' }, 'The unassigned pool is empty: every sender is mapped to a clinic.'));
    more.hidden = !cursor;
  }

  async function load(append: boolean): Promise<string | null> {
    try {
      const page = await withStepUp(() => api.unassigned({ cursor: append ? cursor : null, limit: PAGE }));
      if (!ctx.current()) return null;
      rows = append ? [...rows, ...page.items] : page.items;
      cursor = page.next_cursor;
      paint();
    } catch (err) {
      if (ctx.current()) showError(status, err);
    }
    return null;
  }

  more.addEventListener('click', () => void busy(more, () => load(true)));
  return { section, load: () => load(false) };
}
