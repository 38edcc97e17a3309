// Results to the EHR: the clinic's signed results heartbase sends over HL7 (serve
// --ehr-destination), by delivery state. A result the receiver refused waits here for a person to
// fix the cause (often the patient's identifier in the EHR) and send it again with a reason.
import { api, ApiError, resendReasonProblem, RESULTS_LIMIT, type ResultDelivery, type ResultState } from '../api';
import { formatDateTime } from '../lib/format';
import { ackLabel, emptyText, mayResend, RESULT_TABS } from '../lib/results';
import { busy, clear, h, pageTitle, showError, showInfo, statusBox, table } from './dom';
import type { ScreenContext } from './context';
import { reasonDialog } from './reason';

/** Ask for the reason and send the result again; resolves with the new result's id, or null. */
function askResend(r: ResultDelivery): Promise<number | null> {
  return reasonDialog({
    testid: 'resend',
    title: `Send the result of interrogation #${r.interrogation_id} again`,
    // A delivered result sent again is a second copy in the EHR: say so before it happens.
    intro:
      r.state === 'sent'
        ? `The EHR (${r.destination}) acknowledged this result. Sending it again gives the EHR a second copy, as a new message.`
        : `Fix the cause first (the receiver’s text says what it refused), then send the result to ${r.destination} again as a new message.`,
    confirm: 'Send again',
    maxLength: 500,
    problem: resendReasonProblem,
    submit: async (reason) => (await api.resendResult(r.id, reason)).id,
    describeError: describeResendError,
  });
}

/** The server's refusals in the words of this screen; anything else as the server says it. */
function describeResendError(err: unknown): unknown {
  if (!(err instanceof ApiError)) return err;
  if (err.status === 409) return new Error('This result is being sent right now. Wait until it is delivered or refused.');
  if (err.status === 404) return new Error('This result is no longer there (or belongs to another clinic). Refresh the list.');
  return err;
}

export async function renderResults(main: HTMLElement, ctx: ScreenContext): Promise<void> {
  document.title = 'Results not delivered — heartbase';
  const status = statusBox();
  const listBox = h('div', { 'data-testid': 'results-list' });
  const tabs = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Delivery state', 'data-testid': 'results-state' });
  const refresh = h('button', { type: 'button', class: 'small-button', 'data-testid': 'results-refresh' }, 'Refresh');
  let state: ResultState = RESULT_TABS[0]!.state;
  let rows: ResultDelivery[] = [];
  // Sent again while this screen is open (the server also says so on the old row, resent_as, once
  // the list is read again).
  const resent = new Map<number, number>();

  function actionCell(r: ResultDelivery): HTMLElement {
    const again = resent.get(r.id) ?? r.resent_as ?? undefined;
    if (again !== undefined) return h('td', { class: 'actions-cell' }, h('span', { class: 'badge ok', 'data-testid': 'result-resent' }, `Sent again as #${again}`));
    if (!mayResend(ctx.me.role, r)) return h('td', { class: 'actions-cell' });
    const b = h('button', { type: 'button', class: 'small-button', 'data-testid': 'result-resend' }, 'Resend…');
    b.setAttribute('aria-label', `Send the result of interrogation #${r.interrogation_id} to ${r.destination} again`);
    b.addEventListener('click', async () => {
      const id = await askResend(r);
      if (id === null || !ctx.current()) return;
      resent.set(r.id, id);
      paint();
      showInfo(status, `The result of interrogation #${r.interrogation_id} is queued for ${r.destination} again (result #${id}); follow it under Sending.`);
    });
    return h('td', { class: 'actions-cell' }, b);
  }

  function row(r: ResultDelivery): HTMLTableRowElement {
    return h(
      'tr',
      { 'data-testid': 'result-row', 'data-result-id': r.id, 'data-interrogation-id': r.interrogation_id },
      h('td', null, r.destination, h('div', { class: 'muted small mono', title: 'Message control id (MSH-10)' }, r.control_id)),
      h('td', null, h('a', { href: `#/interrogation/${r.interrogation_id}` }, `#${r.interrogation_id}`)),
      h('td', { class: 'num' }, r.attempts),
      h('td', { class: 'nowrap' }, ackLabel(r.ack_code)),
      // The receiver's text is shown as text (dom.ts makes text nodes): it is untrusted.
      h('td', { class: 'receiver-text', 'data-testid': 'result-error' }, r.error || '—'),
      h('td', { class: 'nowrap' }, formatDateTime(r.updated_us)),
      actionCell(r),
    );
  }

  function paint(): void {
    clear(
      listBox,
      rows.length
        ? [
            table(['Destination', 'Interrogation', 'Attempts', 'ACK code', 'Receiver’s text', 'Last update', ''], rows.map(row), { testid: 'results-table', className: 'grid results' }),
            rows.length >= RESULTS_LIMIT ? h('p', { class: 'muted small' }, `The newest ${RESULTS_LIMIT} are shown.`) : null,
          ]
        : h('p', { class: 'empty', 'data-testid': 'results-empty' }, emptyText(state)),
    );
  }

  async function load(): Promise<void> {
    const asked = state;
    try {
      const items = await api.results(asked);
      // A slower answer for a tab the user has already left must not paint over the new one.
      if (!ctx.current() || asked !== state) return;
      rows = items;
      paint();
    } catch (err) {
      if (ctx.current() && asked === state) showError(status, err);
    }
  }

  for (const t of RESULT_TABS) {
    const b = h('button', { type: 'button', 'aria-pressed': t.state === state ? 'true' : 'false', 'data-testid': `results-tab-${t.state}` }, t.label);
    b.addEventListener('click', () => {
      if (state === t.state) return;
      for (const other of tabs.querySelectorAll('button')) other.setAttribute('aria-pressed', 'false');
      b.setAttribute('aria-pressed', 'true');
      state = t.state;
      clear(status); // the last tab's message does not belong to this one
      rows = [];
      clear(listBox);
      void load();
    });
    tabs.appendChild(b);
  }
  refresh.addEventListener('click', () => void busy(refresh, load));

  clear(
    main,
    pageTitle('Results not delivered'),
    h('p', { class: 'muted' }, 'Signed results are sent to the hospital EHR over HL7. A result the EHR refused, or one that could not be sent at all, waits here: fix the cause (often the patient’s identifier), then send it again with a reason.'),
    h('div', { class: 'results-bar' }, tabs, refresh),
    status,
    listBox,
  );
  await load();
}
