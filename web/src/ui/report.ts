// The follow-up report of an interrogation, inside the interrogation view: a draft (any paper
// size) until sign-off, then the stored signed report; shown in a same-origin frame on request,
// downloaded, printed, and (signed only) sent to a recipient of the clinic after re-authentication.
import { api, ApiError, type PaperSize, type ReportRecipient, type ReviewState, type SendAnswer } from '../api';
import { can } from '../lib/roles';
import { field, h, select, showError, showInfo, statusBox } from './dom';
import type { ScreenContext } from './context';
import { reauthDialog } from './stepup';

export interface ReportPanel {
  element: HTMLElement;
  /** The review state changed (sign-off in this view): badge, controls, and an open frame. */
  setState(state: ReviewState): void;
}

const PAPER: [string, string][] = [
  ['', "Clinic's paper size"],
  ['a4', 'A4'],
  ['letter', 'Letter'],
];

export function reportPanel(ctx: ScreenContext, interrogationId: number, clinicId: number, initial: ReviewState): ReportPanel {
  let signed = initial === 'signed';
  const badge = h('span', { 'data-testid': 'report-state' });
  const paper = select(PAPER, '', { 'data-testid': 'report-paper' });
  const paperField = field('Paper size (draft)', paper);
  const open = h('button', { type: 'button', class: 'primary', 'data-testid': 'report-open' }, 'Show report');
  const download = h('a', { class: 'button-link', 'data-testid': 'report-download', download: '' }, 'Download PDF');
  const print = h('button', { type: 'button', 'data-testid': 'report-print' }, 'Print');
  const maySend = can(ctx.me.role, 'report.send');
  const send = h('button', { type: 'button', class: 'report-send', 'data-testid': 'report-send' }, 'Send report…');
  const sendHint = h('span', { class: 'muted small', 'data-testid': 'report-send-hint' });
  const frameSlot = h('div', { class: 'report-frame-slot' });
  const status = statusBox();
  let frame: HTMLIFrameElement | null = null;

  /** The options of the current choice: a signed report has the clinic's paper size only. */
  const options = (): { page?: PaperSize } => (!signed && paper.value ? { page: paper.value as PaperSize } : {});

  function paint(): void {
    badge.className = `badge ${signed ? 'state-signed' : 'state-new'}`;
    badge.textContent = signed ? 'Signed' : 'Draft — not signed';
    paperField.hidden = signed;
    download.href = api.reportUrl(interrogationId, { ...options(), download: true });
    send.disabled = !signed;
    sendHint.textContent = signed ? '' : 'A report can be sent once it is signed.';
  }

  /**
   * Shows the report in a frame: one request, made here on the user's action only (each fetch is
   * an audited view). No `sandbox` attribute: Chromium refuses to run its PDF viewer in a
   * sandboxed frame (tried with Chromium 156 and the server's CSP: any `sandbox` value, even
   * "allow-same-origin allow-scripts", gives an error page; without it the viewer draws the
   * report), and a sandbox would buy nothing here. The frame is
   * same-origin on purpose (Print reaches its window), its address is fixed by this code (ids
   * only), and the server answers it with `Content-Type: application/pdf`, nosniff and a CSP of
   * `default-src 'none'` (no script can run in it), framed by this origin only.
   */
  function showFrame(): HTMLIFrameElement {
    const f = h('iframe', {
      class: 'report-frame',
      title: signed ? 'Signed follow-up report' : 'Draft follow-up report',
      src: api.reportUrl(interrogationId, options()),
      'data-testid': 'report-frame',
    });
    f.addEventListener('load', () => (f.dataset.loaded = '1'), { once: true });
    frame = f;
    frameSlot.replaceChildren(f);
    open.textContent = 'Reload report';
    return f;
  }

  function closeFrame(): void {
    frame = null;
    frameSlot.replaceChildren();
    open.textContent = 'Show report';
  }

  /** Print the framed PDF; a frame that cannot be printed from here opens in a new tab. */
  async function printReport(): Promise<void> {
    const f = frame ?? showFrame();
    if (!f.dataset.loaded) await loaded(f);
    if (f !== frame) return; // closed or replaced meanwhile
    try {
      const w = f.contentWindow;
      if (!w) throw new Error('the frame has no window');
      w.focus();
      w.print();
    } catch {
      window.open(f.src, '_blank', 'noopener');
      showInfo(status, 'The report opened in a new tab: print it from there.');
    }
  }

  open.addEventListener('click', () => void showFrame());
  paper.addEventListener('change', () => {
    paint();
    // The frame shows the chosen size at once; that is the user's action, one request.
    if (frame) showFrame();
  });
  print.addEventListener('click', () => void printReport());
  send.addEventListener('click', () => void openSend(interrogationId, clinicId, status));
  ctx.onLeave(closeFrame);

  paint();
  const element = h(
    'section',
    { class: 'panel report', 'aria-labelledby': 'report-h', 'data-testid': 'report-panel' },
    h('div', { class: 'section-head' }, h('h2', { id: 'report-h' }, 'Follow-up report'), badge),
    h('div', { class: 'report-controls' }, paperField, h('div', { class: 'actions' }, open, download, print, maySend ? send : null, maySend ? sendHint : null)),
    status,
    frameSlot,
  );
  return {
    element,
    setState(state) {
      const now = state === 'signed';
      if (now === signed) return;
      signed = now;
      paint();
      // A framed draft must not pass for the signed report: the user opens that one anew.
      if (frame) {
        closeFrame();
        showInfo(status, 'Signed. Show the report again to see the signed version.');
      }
    },
  };
}

const LOAD_WAIT_MS = 20_000;

/** Resolves when the frame has loaded, or after a while (a browser may download it instead). */
function loaded(f: HTMLIFrameElement): Promise<void> {
  return new Promise((resolve) => {
    const t = window.setTimeout(resolve, LOAD_WAIT_MS);
    f.addEventListener('load', () => {
      window.clearTimeout(t);
      resolve();
    }, { once: true });
  });
}

/** Whether an error means the server has no report sending yet (an older server). */
function notAvailable(err: unknown): boolean {
  return err instanceof ApiError && (err.status === 404 || err.status === 405 || err.status === 501);
}

/** Recipients of this interrogation's clinic, or a message saying why there are none. */
async function recipientsOf(clinicId: number): Promise<ReportRecipient[] | string> {
  try {
    const all = await api.recipients();
    const mine = all.filter((r) => r.clinic_id === clinicId);
    return mine.length ? mine : 'This clinic has no report recipient yet; an administrator adds them.';
  } catch (err) {
    if (notAvailable(err)) return 'Sending reports is not available on this server yet.';
    throw err;
  }
}

async function openSend(interrogationId: number, clinicId: number, status: HTMLElement): Promise<void> {
  let recipients: ReportRecipient[] | string;
  try {
    recipients = await recipientsOf(clinicId);
  } catch (err) {
    return showError(status, err);
  }
  if (typeof recipients === 'string') return showError(status, new Error(recipients));
  const choices: [string, string][] = [['', 'Choose…'], ...recipients.map((r): [string, string] => [String(r.id), `${r.name} (${r.channel === 'fax' ? 'fax' : 'email'} ${r.address})`])];
  const recipient = select(choices, recipients.length === 1 ? String(recipients[0]!.id) : '', { 'data-testid': 'send-recipient', required: true });
  const answer = await reauthDialog<SendAnswer>({
    title: 'Send the signed report',
    intro: 'The signed report goes to the recipient you choose. Sending needs your password again.',
    confirmLabel: 'Send',
    testid: 'send',
    fields: [field('Recipient', recipient)],
    validate: () => (recipient.value ? null : 'Choose the recipient.'),
    submit: (c) => api.sendReport(interrogationId, Number(recipient.value), c),
    describe: (err) => {
      if (err instanceof ApiError && err.status === 409) return 'This interrogation has no signed report yet. Nothing was sent.';
      if (notAvailable(err)) return 'Sending reports is not available on this server yet. Nothing was sent.';
      return null;
    },
  });
  if (!answer) return;
  showInfo(status, answer.created ? `Report queued for sending (job ${answer.job_id}).` : `This report was already queued for that recipient (job ${answer.job_id}).`);
  status.setAttribute('data-testid', 'report-send-result');
}
