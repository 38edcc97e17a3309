// Unmatched interrogations: transmissions whose patient could not be identified. Link each to an
// existing patient (search) or create a patient from the message. Below them, the patients from the
// hospital awaiting confirmation (unconfirmed.ts), resolved in the same detail panel.
import { api, type InterrogationDetail, type InterrogationRow, type PatientSummary } from '../api';
import { formatDateTime, formatIsoText, formatSessionType, patientName } from '../lib/format';
import { can } from '../lib/roles';
import { busy, clear, field, h, pageTitle, showError, showInfo, statusBox, table } from './dom';
import type { ScreenContext } from './context';
import { patientRows } from './patients';
import { unconfirmedSection } from './unconfirmed';

export async function renderUnmatched(main: HTMLElement, ctx: ScreenContext): Promise<void> {
  document.title = 'Unmatched — heartbase';
  const status = statusBox();
  const listBox = h('div');
  const detailBox = h('div', { class: 'panel', hidden: true, 'aria-live': 'polite' });
  const more = h('button', { type: 'button', hidden: true }, 'Load more');
  let rows: InterrogationRow[] = [];
  let cursor: string | null = null;

  function paint(): void {
    clear(
      listBox,
      rows.length
        ? table(
            ['Received', 'Session', 'Sender', ''],
            rows.map((r) => {
              const open = h('button', { type: 'button', class: 'small-button', 'data-testid': 'unmatched-open' }, 'Resolve…');
              open.addEventListener('click', () => void busy(open, () => showDetail(r)));
              return h(
                'tr',
                { 'data-testid': 'unmatched-row', 'data-interrogation-id': r.id },
                h('td', null, formatDateTime(r.received_us)),
                h('td', null, formatSessionType(r.session_type), r.session_us ? h('div', { class: 'muted small' }, formatDateTime(r.session_us)) : null),
                h('td', null, r.sender.replace('|', ' · ')),
                h('td', null, open),
              );
            }),
            { testid: 'unmatched-table' },
          )
        : h('p', { class: 'empty' }, 'Every transmission is matched to a patient.'),
    );
    more.hidden = !cursor;
  }

  /** Answers how many transmissions wait, or null when the list could not be read. */
  async function load(append: boolean): Promise<number | null> {
    try {
      const page = await api.interrogations({ unmatched: true, limit: 100, cursor: append ? cursor : null });
      if (!ctx.current()) return null;
      rows = append ? [...rows, ...page.items] : page.items;
      cursor = page.next_cursor;
      paint();
      return rows.length;
    } catch (err) {
      if (ctx.current()) showError(status, err);
      return null;
    }
  }

  async function showDetail(r: InterrogationRow): Promise<void> {
    let d: InterrogationDetail;
    try {
      d = await api.interrogation(r.id);
    } catch (err) {
      showError(status, err);
      return;
    }
    const i = d.interrogation;
    const st = statusBox();
    const q = h('input', { type: 'search', autocomplete: 'off', 'data-testid': 'unmatched-search' });
    const go = h('button', { type: 'submit' }, 'Search');
    const results = h('div');
    const searchForm = h('form', { class: 'filters', role: 'search' }, field('Find the patient (name, MRN, serial)', q), h('div', { class: 'field' }, go));
    const create = h('button', { type: 'button', 'data-testid': 'unmatched-create' }, 'Create a new patient from this transmission');

    const linked = (patientId: number) => {
      rows = rows.filter((x) => x.id !== r.id);
      paint();
      clear(detailBox, h('p', { class: 'status info', role: 'status' }, 'Linked. ', h('a', { href: `#/patient/${patientId}` }, 'Open the patient chart')));
    };
    const linkTo = (p: PatientSummary) => {
      const b = h('button', { type: 'button', class: 'small-button', 'data-testid': 'unmatched-link' }, 'Link here');
      b.setAttribute('aria-label', `Link to ${patientName(p.family_name, p.given_name)}, born ${p.birth_date}`);
      b.addEventListener('click', () =>
        void busy(b, async () => {
          try {
            linked((await api.link(r.id, { patient_id: p.id })).patient_id);
          } catch (err) {
            showError(st, err);
          }
        }),
      );
      return b;
    };
    searchForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (!q.value.trim()) return;
      void busy(go, async () => {
        try {
          const page = await api.searchPatients(q.value.trim(), 20);
          const found = page.items.filter((p) => p.id !== d.patient_id);
          clear(results, found.length ? table(['Name', 'Born', 'Sex', 'Clinic', '', ''], patientRows(found, ctx.me.clinic_names, linkTo)) : h('p', { class: 'empty' }, 'No patient matches.'));
        } catch (err) {
          showError(st, err);
        }
      });
    });
    create.addEventListener('click', () =>
      void busy(create, async () => {
        try {
          linked((await api.link(r.id, { create: true })).patient_id);
        } catch (err) {
          showError(st, err);
        }
      }),
    );
    const ids = i.patient.identifiers.map((x) => `${x.type || 'ID'} ${x.id}${x.authority ? ` (${x.authority})` : ''}`).join(' · ');
    clear(
      detailBox,
      h('h2', { tabindex: '-1' }, 'Transmission to resolve'),
      h(
        'dl',
        { class: 'facts' },
        h('div', null, h('dt', null, 'Name in message'), h('dd', null, patientName(i.patient.family_name, i.patient.given_name))),
        h('div', null, h('dt', null, 'Born'), h('dd', null, i.patient.birth_date || '—')),
        h('div', null, h('dt', null, 'Sex'), h('dd', null, i.patient.sex || '—')),
        h('div', null, h('dt', null, 'Identifiers'), h('dd', null, ids || '—')),
        h('div', null, h('dt', null, 'Device'), h('dd', null, `${i.device.model} · serial ${i.device.serial}`)),
        h('div', null, h('dt', null, 'Session'), h('dd', null, `${formatSessionType(i.session.type)}, ${formatIsoText(i.session.time)}`)),
      ),
      h('p', null, h('a', { href: `#/interrogation/${r.id}` }, 'Open the interrogation')),
      searchForm,
      results,
      h('div', { class: 'actions' }, create),
      st,
    );
    detailBox.hidden = false;
    detailBox.querySelector<HTMLElement>('h2')?.focus();
  }

  more.addEventListener('click', () => void busy(more, async () => void (await load(true))));
  // Every role that resolves holds patient.read today; the section stays out for one that would not.
  const unconfirmed = can(ctx.me.role, 'patient.read') ? unconfirmedSection(ctx, detailBox) : null;
  clear(
    main,
    pageTitle('Unmatched'),
    status,
    h(
      'div',
      { class: 'two-col' },
      h(
        'div',
        null,
        h(
          'section',
          { class: 'panel', 'aria-labelledby': 'unmatched-h' },
          h('h2', { id: 'unmatched-h' }, 'Unmatched transmissions'),
          h('p', { class: 'muted small' }, 'These arrived without a patient the system could identify. Link each to the right patient, or create one.'),
          listBox,
          more,
        ),
        unconfirmed?.el,
      ),
      detailBox,
    ),
  );
  const [transmissions, patients] = await Promise.all([load(false), unconfirmed ? unconfirmed.load() : Promise.resolve(0)]);
  // Only when both lists were read and both are empty: an unreadable list is not an empty one.
  if (ctx.current() && transmissions === 0 && patients === 0) showInfo(status, 'Nothing to resolve.');
}
