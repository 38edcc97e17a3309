// The quarantine console (administrators): every input the ingest refused, newest first, filtered
// by state and paged with "Older". An entry opens below the list with its facts and its input as
// text (an audited read; set as text only, one segment a line: the bytes are untrusted and may
// hold markup), to download as received, re-process with today's code, or discard with a reason.
import { api, ApiError, discardReasonProblem, MAX_DISCARD_REASON, QUARANTINE_PAGE, type QuarantineDetail, type QuarantineItem, type QuarantineState, type ReprocessResult } from '../api';
import { formatBytes, formatDateTime } from '../lib/format';
import { hl7Lines, isOpen, outcomeText, QUARANTINE_FILTERS, rawFileName, senderText, stateText, summaryText, whereText } from '../lib/quarantine';
import { busy, clear, confirmDialog, field, h, pageTitle, select, showError, showInfo, statusBox, table } from './dom';
import { reasonDialog } from './reason';
import type { ScreenContext } from './context';
import { withStepUp } from './stepup';

/** Ask for the reason and discard; resolves true when the entry was discarded. */
async function askDiscard(e: QuarantineItem): Promise<boolean> {
  const done = await reasonDialog({
    testid: 'discard',
    title: `Discard quarantine entry #${e.id}`,
    intro: `Entry #${e.id} is closed without storing anything. Its bytes stay in the quarantine, and the sender is not told.`,
    confirm: 'Discard',
    danger: true,
    maxLength: MAX_DISCARD_REASON,
    problem: discardReasonProblem,
    submit: async (reason) => {
      await withStepUp(() => api.discardQuarantined(e.id, reason));
      return true;
    },
    describeError,
  });
  return done === true;
}

/** The server's refusals in the words of this screen; anything else as the server says it. */
function describeError(err: unknown): unknown {
  if (!(err instanceof ApiError)) return err;
  if (err.status === 409) return new Error('This entry was already resolved (by someone else, or a moment ago). The list is refreshed.');
  if (err.status === 404) return new Error('There is no such entry any more.');
  return err;
}

/** A link to what a re-processing stored, when it has a page. */
function resultLink(r: { interrogation_id?: number | null }): HTMLElement | null {
  // The number, not a link: administrators do not read interrogations (the clinic's users find it
  // in their triage queue).
  return r.interrogation_id ? h('span', { 'data-testid': 'quarantine-interrogation' }, `Stored as interrogation #${r.interrogation_id}`) : null;
}

/** Save bytes under a name, through a short-lived Blob address (no data in any address). */
function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

export async function renderQuarantine(main: HTMLElement, ctx: ScreenContext): Promise<void> {
  document.title = 'Quarantine — heartbase';
  const status = statusBox();
  const summary = h('div', { class: 'status', role: 'status', 'aria-live': 'polite', 'data-testid': 'quarantine-summary' });
  const openCount = h('p', { class: 'summary', 'data-testid': 'quarantine-open-count' });
  const filter = select(
    QUARANTINE_FILTERS.map((f): [string, string] => [f.state, f.label]),
    'open',
    { 'data-testid': 'quarantine-state' },
  );
  const reprocessAll = h('button', { type: 'button', 'data-testid': 'quarantine-reprocess-all' }, 'Re-process all open');
  const listBox = h('div');
  const older = h('button', { type: 'button', hidden: true, 'data-testid': 'quarantine-older' }, 'Older');
  const detail = h('section', { class: 'panel quarantine-detail', hidden: true, 'aria-labelledby': 'quarantine-detail-h', 'data-testid': 'quarantine-detail' });

  let rows: QuarantineItem[] = [];
  let nextBefore: number | null = null;
  let openN = 0;
  let selected: number | null = null;
  let detailSeq = 0;

  function row(e: QuarantineItem): HTMLTableRowElement {
    const open = h('button', { type: 'button', class: 'link-button', 'data-testid': 'quarantine-open', 'aria-label': `Open quarantine entry #${e.id}` }, `#${e.id}`);
    open.addEventListener('click', () => void showEntry(e.id, true));
    const state = stateText(e);
    const tr = h(
      'tr',
      { 'data-testid': 'quarantine-entry', 'data-quarantine-id': e.id, 'data-state': state, class: `clickable${e.id === selected ? ' selected' : ''}`, 'aria-selected': e.id === selected ? 'true' : null },
      h('td', null, open),
      h('td', { class: 'nowrap' }, formatDateTime(e.received_us)),
      h('td', null, e.source),
      h('td', null, senderText(e.sender)),
      h('td', null, h('code', null, e.code)),
      h('td', { class: 'reason' }, e.reason),
      h('td', { class: 'nowrap' }, whereText(e)),
      h('td', { class: 'num nowrap' }, formatBytes(e.bytes)),
      h('td', null, h('span', { class: `badge ${isOpen(e) ? 'warn' : e.resolution === 'discarded' ? '' : 'ok'}` }, state)),
    );
    // The whole row is a pointer target too; the button in it is the keyboard's way in.
    tr.addEventListener('click', (ev) => {
      if ((ev.target as HTMLElement).closest('button, a')) return;
      void showEntry(e.id, true);
    });
    return tr;
  }

  function paintList(): void {
    const what = filter.value as QuarantineState;
    const empty = what === 'open' ? 'Nothing in quarantine: every input was stored.' : what === 'resolved' ? 'No entry has been resolved yet.' : 'Nothing has ever been quarantined.';
    clear(
      listBox,
      rows.length
        ? table(['Entry', 'Received', 'Channel', 'Sender', 'Code', 'Reason', 'Where', 'Size', 'State'], rows.map(row), { testid: 'quarantine-table', className: 'grid quarantine' })
        : h('p', { class: 'empty', 'data-testid': 'quarantine-empty' }, empty),
    );
    older.hidden = nextBefore === null;
    openCount.textContent = openN === 0 ? 'No entry is open.' : `${openN} open ${openN === 1 ? 'entry' : 'entries'}.`;
    reprocessAll.disabled = openN === 0;
  }

  async function loadList(append: boolean): Promise<void> {
    try {
      const page = await withStepUp(() => api.quarantine({ state: filter.value as QuarantineState, limit: QUARANTINE_PAGE, before: append ? nextBefore : null }));
      if (!ctx.current()) return;
      rows = append ? [...rows, ...page.items] : page.items;
      nextBefore = page.next_before;
      openN = page.open;
      paintList();
    } catch (err) {
      if (ctx.current()) showError(status, err);
    }
  }

  function fact(label: string, value: Node | string, testid?: string): HTMLElement {
    return h('div', null, h('dt', null, label), h('dd', { 'data-testid': testid }, value));
  }

  function paintDetail(d: QuarantineDetail, outcome: HTMLElement): void {
    const title = h('h2', { id: 'quarantine-detail-h', tabindex: '-1' }, `Quarantine entry #${d.id}`);
    const download = h('button', { type: 'button', 'data-testid': 'quarantine-download' }, 'Download as received');
    const reprocess = h('button', { type: 'button', class: 'primary', 'data-testid': 'quarantine-reprocess' }, 'Re-process');
    const discard = h('button', { type: 'button', class: 'danger', 'data-testid': 'quarantine-discard' }, 'Discard…');
    const close = h('button', { type: 'button', class: 'small-button', 'data-testid': 'quarantine-close' }, 'Close');
    const open = isOpen(d);

    download.addEventListener('click', () =>
      void busy(download, async () => {
        try {
          saveBlob(await withStepUp(() => api.quarantineRaw(d.id)), rawFileName(d.id));
        } catch (err) {
          showError(outcome, describeError(err));
        }
      }),
    );
    reprocess.addEventListener('click', () =>
      void busy(reprocess, async () => {
        try {
          const r = await withStepUp(() => api.reprocessQuarantined(d.id));
          if (!ctx.current()) return;
          await refreshAfter(d.id);
          showOutcome(r);
        } catch (err) {
          if (!ctx.current()) return;
          // 400: a feed's clinic scope refused this input; such input is never re-processed.
          const shown = err instanceof ApiError && err.status === 400 ? new Error(`Not re-processed: ${err.message}`) : describeError(err);
          if (err instanceof ApiError && err.status === 409) await refreshAfter(d.id);
          showError(activeOutcome(), shown);
        }
      }),
    );
    discard.addEventListener('click', async () => {
      if (!(await askDiscard(d)) || !ctx.current()) return;
      await refreshAfter(d.id);
      showInfo(activeOutcome(), `Entry #${d.id} discarded. The reason is kept in the audit trail.`);
    });
    close.addEventListener('click', () => {
      selected = null;
      detail.hidden = true;
      paintList();
      listBox.querySelector<HTMLElement>(`[data-quarantine-id="${d.id}"] button`)?.focus();
    });

    const resolvedLink = !open ? resultLink(d) : null;
    clear(
      detail,
      h('div', { class: 'section-head' }, title, close),
      h(
        'dl',
        { class: 'facts', 'data-testid': 'quarantine-facts' },
        fact('Received', formatDateTime(d.received_us)),
        fact('Channel', d.source),
        fact('Sender', senderText(d.sender)),
        fact('Code', h('code', null, d.code)),
        fact('Where', whereText(d)),
        fact('Size', formatBytes(d.bytes)),
        fact('State', stateText(d), 'quarantine-detail-state'),
        open ? null : fact('Resolved', formatDateTime(d.resolved_us)),
        d.adt_message_id ? fact('Hospital message', `#${d.adt_message_id}`) : null,
        resolvedLink ? fact('Stored as', resolvedLink) : null,
      ),
      h('p', { 'data-testid': 'quarantine-reason' }, h('strong', null, 'Reason: '), d.reason),
      h('div', { class: 'actions' }, download, open ? reprocess : null, open ? discard : null),
      outcome,
      h('h3', null, 'Input'),
      h('p', { class: 'muted small' }, d.raw_truncated ? `Shown as text up to 1 MiB, one segment a line; the input is ${formatBytes(d.bytes)}: download it for all of it.` : 'As text, one segment a line. Download gives the bytes exactly as received.'),
      rawBlock(d.raw),
    );
  }

  /** The input as text only: markup in it stays characters, never elements. */
  function rawBlock(raw: string): HTMLPreElement {
    const pre = h('pre', { class: 'hl7-raw', tabindex: '0', 'aria-label': 'Input as text', 'data-testid': 'quarantine-raw' });
    pre.textContent = hl7Lines(raw);
    return pre;
  }

  const activeOutcome = (): HTMLElement => detail.querySelector<HTMLElement>('[data-testid=quarantine-outcome]') ?? status;

  function showOutcome(r: ReprocessResult): void {
    const box = activeOutcome();
    box.className = `status ${r.outcome === 'quarantined' ? 'error' : 'info'}`;
    box.setAttribute('role', 'status');
    const link = r.outcome === 'quarantined' ? null : resultLink(r);
    clear(box, h('span', { 'data-testid': 'quarantine-outcome-text', 'data-outcome': r.outcome }, outcomeText(r)), link ? [' ', link] : null);
  }

  /** After an action on entry `id`: the list and the entry as they are now. */
  async function refreshAfter(id: number): Promise<void> {
    await loadList(false);
    await showEntry(id, false);
  }

  /** Open entry `id` below the list (an audited read). `focus`: move the keyboard there. */
  async function showEntry(id: number, focus: boolean): Promise<void> {
    const seq = ++detailSeq;
    selected = id;
    paintList();
    const outcome = h('div', { class: 'status', role: 'status', 'aria-live': 'polite', 'data-testid': 'quarantine-outcome' });
    try {
      const d = await withStepUp(() => api.quarantineEntry(id));
      if (!ctx.current() || seq !== detailSeq) return;
      paintDetail(d, outcome);
      detail.hidden = false;
      if (focus) {
        detail.scrollIntoView({ block: 'start' });
        detail.querySelector<HTMLElement>('h2')?.focus({ preventScroll: true });
      }
    } catch (err) {
      if (ctx.current() && seq === detailSeq) showError(status, describeError(err));
    }
  }

  filter.addEventListener('change', () => {
    clear(summary);
    void loadList(false);
  });
  older.addEventListener('click', () => void busy(older, () => loadList(true)));
  reprocessAll.addEventListener('click', async () => {
    const n = openN;
    if (!(await confirmDialog(`Re-process ${n === 1 ? 'the open entry' : `all ${n} open entries`} with today's code? What passes now is stored in its clinic; the rest stays open.`, 'Re-process all'))) return;
    void busy(reprocessAll, async () => {
      try {
        const s = await withStepUp(() => api.reprocessAllQuarantined());
        if (!ctx.current()) return;
        await loadList(false);
        if (selected !== null) await showEntry(selected, false);
        showInfo(summary, summaryText(s, openN));
      } catch (err) {
        if (ctx.current()) showError(summary, err);
      }
    });
  });

  clear(
    main,
    h('div', { class: 'page-head' }, pageTitle('Quarantine'), openCount, h('a', { class: 'head-links', href: '#/admin' }, 'Administration')),
    h('p', { class: 'muted subhead' }, 'Input the server refused: nothing of it was stored. Correct the sender or the mapping, then re-process; discard what should never be stored. Opening or downloading an entry is recorded in the audit trail as access to patient data.'),
    status,
    h('div', { class: 'filters' }, field('Show', filter), h('div', { class: 'field' }, reprocessAll)),
    summary,
    h('section', { 'aria-label': 'Quarantine entries' }, listBox, older),
    detail,
  );
  await loadList(false);
}
