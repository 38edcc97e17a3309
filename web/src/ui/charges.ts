// Charges (billing.read): the charges waiting for export and those exported, the missed-charge
// report (closed periods and visits that produce no charge, and why), and the export batches with
// their files. billing.export adds "Close periods now" and the CSV / HL7 DFT exports. Who, which
// code, which period: no measurement is ever shown here (none is in these answers).
import { api, ApiError, CHARGES_LIMIT, type Charge, type ChargeExport, type ChargeExportFormat, type MissedReport } from '../api';
import { CHARGE_TABS, closeSummary, codeText, componentLabel, emptyChargesText, exportSummary, formatLabel, mayExport, periodText, rangeProblem, shortHash, type ChargeTab } from '../lib/billing';
import { clinicLabel, formatDateTime, patientName } from '../lib/format';
import { busy, clear, confirmDialog, field, h, pageTitle, showError, showInfo, statusBox, table } from './dom';
import type { ScreenContext } from './context';

/** A patient's name, linking to the chart (billers read patients; the chart has no measurement for them). */
function patientCell(p: { patient_id: number; family_name: string; given_name: string }): HTMLElement {
  return h('td', null, h('a', { href: `#/patient/${p.patient_id}` }, patientName(p.family_name, p.given_name)));
}

const idsText = (ids: number[]) => (ids.length ? ids.map((i) => `#${i}`).join(', ') : '—');

/** The link to a batch's file: same origin, the session cookie goes along, an id only in it. */
function downloadLink(e: { id: number; format: string }): HTMLAnchorElement {
  const a = h('a', { class: 'button-link small', href: api.chargeExportUrl(e.id), download: '', 'data-testid': 'export-download' }, `Download ${formatLabel(e.format)}`);
  a.setAttribute('aria-label', `Download export #${e.id} (${formatLabel(e.format)})`);
  return a;
}

export async function renderCharges(main: HTMLElement, ctx: ScreenContext): Promise<void> {
  document.title = 'Charges — heartbase';
  const status = statusBox();
  status.setAttribute('data-testid', 'charges-status');
  const listBox = h('div', { 'data-testid': 'charges-list' });
  const tabs = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Charges', 'data-testid': 'charges-tabs' });
  const refresh = h('button', { type: 'button', class: 'small-button', 'data-testid': 'charges-refresh' }, 'Refresh');
  const several = ctx.me.clinics.length > 1;
  let tab: ChargeTab = CHARGE_TABS[0]!.tab;

  // Date of service, for the two charge lists (in memory, never in the address).
  const from = h('input', { type: 'date', 'data-testid': 'charges-from' });
  const to = h('input', { type: 'date', 'data-testid': 'charges-to' });
  const show = h('button', { type: 'submit' }, 'Show');
  const rangeForm = h('form', { class: 'filters', 'aria-label': 'Date of service', novalidate: true }, field('Service from', from), field('Service to', to), h('div', { class: 'field' }, show));

  function chargeRow(c: Charge): HTMLTableRowElement {
    return h(
      'tr',
      { 'data-testid': 'charge-row', 'data-charge-id': c.id, 'data-patient-id': c.patient_id },
      patientCell(c),
      h('td', { class: 'nowrap' }, c.service_date || '—'),
      h('td', { class: 'nowrap' }, periodText(c.period_start, c.period_end)),
      h('td', { class: 'mono nowrap' }, codeText(c.code, c.modifier), h('div', { class: 'muted small' }, `table ${c.code_table}`)),
      h('td', null, componentLabel(c.component)),
      h('td', null, c.payer || '—'),
      h('td', null, c.ordering_physician || '—', c.reading_physician ? h('div', { class: 'muted small' }, `read by ${c.reading_physician}`) : null),
      h('td', { class: 'small' }, idsText(c.interrogations)),
      several ? h('td', null, clinicLabel(ctx.me.clinic_names, c.clinic_id)) : null,
      h('td', { class: 'nowrap' }, c.export_id === null ? h('span', { class: 'badge warn' }, 'waiting') : `#${c.export_id}`),
    );
  }

  function chargesTable(items: Charge[]): HTMLElement[] {
    const cols = ['Patient', 'Service date', 'Period', 'Code', 'Component', 'Payer', 'Ordering physician', 'Interrogations', ...(several ? ['Clinic'] : []), 'Export'];
    return [
      table(cols, items.map(chargeRow), { testid: 'charges-table', className: 'grid charges' }),
      items.length >= CHARGES_LIMIT ? h('p', { class: 'muted small' }, `The newest ${CHARGES_LIMIT} are shown; choose dates of service to see others.`) : h('p', { class: 'muted small' }, `${items.length} charge${items.length === 1 ? '' : 's'}.`),
    ];
  }

  function missedTable(r: MissedReport): HTMLElement[] {
    const rows = r.items.map((m) =>
      h(
        'tr',
        { 'data-testid': 'missed-row', 'data-patient-id': m.patient_id },
        patientCell(m),
        h('td', { class: 'nowrap' }, periodText(m.period_start, m.period_end)),
        h('td', { class: 'mono nowrap' }, codeText(m.code, m.modifier)),
        h('td', null, componentLabel(m.component)),
        // The server's words, as text.
        h('td', { class: 'reason', 'data-testid': 'missed-reason' }, m.reason || '—'),
        h('td', { class: 'small' }, idsText(m.interrogations)),
        several ? h('td', null, clinicLabel(ctx.me.clinic_names, m.clinic_id)) : null,
      ),
    );
    return [
      h('p', { class: 'muted small', 'data-testid': 'missed-summary' }, `${r.total} missed with code table ${r.code_table}${r.total > r.items.length ? `; the newest ${r.items.length} are shown` : ''}. Computed now: a missed charge becomes a charge once its cause is fixed (a review signed, enough transmissions) and periods are closed.`),
      table(['Patient', 'Period', 'Code', 'Component', 'Why no charge', 'Interrogations', ...(several ? ['Clinic'] : [])], rows, { testid: 'missed-table', className: 'grid charges' }),
    ];
  }

  function batchesTable(items: ChargeExport[]): HTMLElement {
    const rows = items.map((e) =>
      h(
        'tr',
        { 'data-testid': 'export-row', 'data-export-id': e.id },
        h('td', null, `#${e.id}`),
        h('td', { class: 'nowrap' }, formatDateTime(e.created_us)),
        h('td', null, formatLabel(e.format)),
        h('td', { class: 'num' }, e.charges),
        h('td', { class: 'mono small', title: e.sha256 }, shortHash(e.sha256)),
        h('td', { class: 'actions-cell' }, downloadLink(e)),
      ),
    );
    return table(['Batch', 'Created', 'Format', 'Charges', 'SHA-256', ''], rows, { testid: 'exports-table' });
  }

  async function load(): Promise<void> {
    const asked = tab;
    const range = { from: from.value, to: to.value };
    if (asked === 'waiting' || asked === 'exported') {
      const problem = rangeProblem(range);
      if (problem) return showError(status, new Error(problem));
    }
    try {
      let content: HTMLElement | HTMLElement[];
      if (asked === 'waiting' || asked === 'exported') {
        const items = await api.charges({ exported: asked === 'exported', from: range.from, to: range.to });
        content = items.length ? chargesTable(items) : h('p', { class: 'empty', 'data-testid': 'charges-empty' }, emptyChargesText(asked));
      } else if (asked === 'missed') {
        const r = await api.missedCharges();
        content = r.items.length ? missedTable(r) : h('p', { class: 'empty', 'data-testid': 'charges-empty' }, emptyChargesText(asked));
      } else {
        const items = await api.chargeExports();
        content = items.length ? batchesTable(items) : h('p', { class: 'empty', 'data-testid': 'charges-empty' }, emptyChargesText(asked));
      }
      // A slower answer for a tab the user has already left must not paint over the new one.
      if (!ctx.current() || asked !== tab) return;
      clear(listBox, content);
    } catch (err) {
      if (ctx.current() && asked === tab) showError(status, err);
    }
  }

  function selectTab(next: ChargeTab): void {
    for (const b of tabs.querySelectorAll('button')) b.setAttribute('aria-pressed', b.dataset.tab === next ? 'true' : 'false');
    tab = next;
    rangeForm.hidden = next !== 'waiting' && next !== 'exported';
    clear(status); // the last tab's message does not belong to this one
    clear(listBox);
    void load();
  }

  for (const t of CHARGE_TABS) {
    const b = h('button', { type: 'button', 'aria-pressed': t.tab === tab ? 'true' : 'false', 'data-tab': t.tab, 'data-testid': `charges-tab-${t.tab}` }, t.label);
    b.addEventListener('click', () => {
      if (tab !== t.tab) selectTab(t.tab);
    });
    tabs.appendChild(b);
  }
  refresh.addEventListener('click', () => void busy(refresh, load));
  rangeForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void busy(show, load);
  });

  // ---- billing.export: close periods, export
  let actions: HTMLElement | null = null;
  if (mayExport(ctx.me.role)) {
    const close = h('button', { type: 'button', 'data-testid': 'charges-close' }, 'Close periods now');
    close.addEventListener('click', () =>
      void busy(close, async () => {
        try {
          const a = await api.closeCharges();
          if (!ctx.current()) return;
          await load();
          showInfo(status, closeSummary(a));
        } catch (err) {
          showError(status, err);
        }
      }),
    );
    const exportButton = (format: ChargeExportFormat, label: string) => {
      const b = h('button', { type: 'button', class: 'primary', 'data-testid': `charges-export-${format}` }, label);
      b.addEventListener('click', async () => {
        const sure = await confirmDialog(`Export every charge waiting as ${formatLabel(format)}? Each charge is exported once; the file stays downloadable under Export batches.`, 'Export');
        if (!sure) return;
        void busy(b, async () => {
          try {
            const a = await api.exportCharges(format);
            if (!ctx.current()) return;
            await load();
            showInfo(status, exportSummary(a));
            status.append(' ', downloadLink(a));
          } catch (err) {
            if (err instanceof ApiError && err.code === 'nothing_to_export') showInfo(status, 'No charge waits for export: nothing was exported.');
            else showError(status, err);
          }
        });
      });
      return b;
    };
    actions = h(
      'div',
      { class: 'actions charges-actions', 'data-testid': 'charges-actions' },
      close,
      exportButton('csv', 'Export CSV'),
      exportButton('dft', 'Export HL7 DFT'),
    );
  }

  clear(
    main,
    pageTitle('Charges'),
    h('p', { class: 'muted' }, 'Charges for remote monitoring periods and in-clinic checks of your clinics, by the code table. A period is charged once it has ended and its review is signed; each charge is exported to the billing system once.'),
    actions,
    h('div', { class: 'results-bar' }, tabs, refresh),
    rangeForm,
    status,
    listBox,
  );
  await load();
}
