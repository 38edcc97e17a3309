// Administration panels that watch the service: feed problems (senders reusing control ids,
// quarantined input, with a link to the quarantine console, ui/quarantine.ts) and the database (damaged or healthy, the newest verification). Each shows a
// banner when it needs attention and says what to do; every server text goes in as text.
import { api, type FeedStatus, type Readiness, type StoreStatus } from '../api';
import { formatDateTime } from '../lib/format';
import { clear, h, showError, statusBox, table } from './dom';
import type { ScreenContext } from './context';
import { withStepUp } from './stepup';

/** A panel of the administration screen: its section, and a loader that answers its alarm (or null). */
export interface Panel {
  section: HTMLElement;
  load(): Promise<string | null>;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const senderText = (s: string) => s.replace('|', ' · ');

export function feedsPanel(ctx: ScreenContext): Panel {
  const box = h('div');
  const status = statusBox();
  const section = h('section', { class: 'panel', 'aria-labelledby': 'feeds-h', 'data-testid': 'feeds-panel' }, h('h2', { id: 'feeds-h' }, 'Feeds'), status, box);

  function paint(f: FeedStatus): string | null {
    const reuse = f.control_id_reuse;
    const quarantined = f.quarantine;
    const problems: string[] = [];
    if (reuse.length) problems.push(`${plural(reuse.length, 'sender')} reused a control id for different content; those messages were stored and flagged, not dropped. Ask the sender's vendor why.`);
    if (quarantined.length) problems.push(`${plural(quarantined.length, 'input')} ${quarantined.length === 1 ? 'is' : 'are'} in quarantine and stored nothing: correct the sender or the file (the reason is below) and send again.`);
    const alarm = f.alarm ? problems.join(' ') || 'The feeds need attention.' : null;
    clear(
      box,
      alarm ? h('p', { class: 'status error', role: 'alert', 'data-testid': 'feeds-alarm' }, alarm) : h('p', { class: 'status info', 'data-testid': 'feeds-ok' }, 'No feed problems.'),
      h('h3', null, 'Control ids reused'),
      reuse.length
        ? table(
            ['Sender', 'Messages flagged', 'Newest interrogation', 'Received'],
            reuse.map((r) =>
              h('tr', { 'data-testid': 'reuse-row' }, h('td', null, senderText(r.sender)), h('td', null, String(r.messages)), h('td', null, `#${r.last_interrogation_id}`), h('td', null, formatDateTime(r.last_received_us))),
            ),
            { testid: 'reuse-table' },
          )
        : h('p', { class: 'empty' }, 'No sender has reused a control id.'),
      h('h3', null, 'Quarantine (newest 50)'),
      h('p', null, h('a', { href: '#/quarantine', 'data-testid': 'open-quarantine' }, 'Open the quarantine console'), h('span', { class: 'muted' }, ' to read an entry, re-process it or discard it.')),
      quarantined.length
        ? table(
            ['Received', 'Source', 'Reason code', 'Reason'],
            quarantined.map((q) =>
              h('tr', { 'data-testid': 'quarantine-row', 'data-quarantine-id': q.id }, h('td', null, formatDateTime(q.received_us)), h('td', null, q.source), h('td', null, h('code', null, q.code)), h('td', null, q.reason)),
            ),
            { testid: 'quarantine-table' },
          )
        : h('p', { class: 'empty' }, 'Nothing in quarantine.'),
    );
    return alarm;
  }

  return {
    section,
    async load() {
      try {
        const f = await withStepUp(() => api.feeds());
        return ctx.current() ? paint(f) : null;
      } catch (err) {
        if (ctx.current()) showError(status, err);
        return null;
      }
    },
  };
}

/** What to do with a damaged database (docs/recovery.md), in short. */
function recoverySteps(): HTMLElement {
  return h(
    'ol',
    { 'data-testid': 'store-recovery' },
    h('li', null, 'Stop heartbase serve. Senders keep every message that was not acknowledged.'),
    h('li', null, 'Keep the damaged data directory for analysis (rename it, e.g. ', h('code', null, 'DIR.damaged'), ').'),
    h('li', null, 'Restore the newest backup, then run ', h('code', null, 'heartbase store verify'), ' and ', h('code', null, 'heartbase audit verify'), ': both must say intact.'),
    h('li', null, 'Start heartbase serve again and re-import what was received after the backup.'),
    h('li', null, 'The full procedure is in docs/recovery.md.'),
  );
}

export function storePanel(ctx: ScreenContext): Panel {
  const box = h('div');
  const status = statusBox();
  const section = h('section', { class: 'panel', 'aria-labelledby': 'store-h', 'data-testid': 'store-panel' }, h('h2', { id: 'store-h' }, 'Database'), status, box);

  function paint(s: StoreStatus, ready: Readiness | null): string | null {
    const v = s.last_verification;
    let alarm: string | null = null;
    let banner: HTMLElement | null = null;
    if (s.damaged) {
      alarm = 'The database is damaged: ingest is stopped and senders are told to send again later, until the database is restored.';
      banner = h('div', { class: 'status error', role: 'alert', 'data-testid': 'store-alarm' }, h('p', null, alarm), s.reason ? h('p', null, 'Reason: ', h('span', { 'data-testid': 'store-reason' }, s.reason)) : null, h('p', null, 'What to do:'), recoverySteps());
    } else if (s.alarm) {
      alarm = v && v.problems > 0 ? `The last verification found ${plural(v.problems, 'problem')}. Run heartbase store verify on the server and see docs/recovery.md.` : 'The database needs attention.';
      banner = h('p', { class: 'status error', role: 'alert', 'data-testid': 'store-alarm' }, alarm);
    }
    const state = s.damaged ? h('span', { class: 'badge danger' }, 'damaged') : h('span', { class: 'badge ok' }, 'healthy');
    const ingest = ready === null ? '—' : ready.status === 'ready' ? 'accepting data' : 'stopped';
    const fact = (label: string, value: HTMLElement | string, testid?: string) => h('div', null, h('dt', null, label), h('dd', { 'data-testid': testid }, value));
    clear(
      box,
      banner,
      h(
        'dl',
        { class: 'facts', 'data-testid': 'store-facts' },
        fact('State', state, 'store-state'),
        fact('Ingest', ingest, 'store-ingest'),
        fact('Last verification', v ? formatDateTime(v.finished_us) : 'none yet', 'store-verified'),
        v ? fact('Covered', v.complete ? 'the whole database' : 'part of the database') : null,
        v ? fact('Problems found', String(v.problems), 'store-problems') : null,
        v && v.problems > 0 && v.first_problem ? fact('First problem', v.first_problem) : null,
      ),
      v ? null : h('p', { class: 'muted' }, 'The server verifies the whole database in the background (first some minutes after start-up, then daily).'),
    );
    return alarm;
  }

  return {
    section,
    async load() {
      try {
        const s = await withStepUp(() => api.store());
        // Readiness is what monitors see; shown beside the store's own account, never fatal here.
        const ready = await api.ready().catch(() => null);
        return ctx.current() ? paint(s, ready) : null;
      } catch (err) {
        if (ctx.current()) showError(status, err);
        return null;
      }
    },
  };
}
