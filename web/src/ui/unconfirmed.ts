// Patients from the hospital awaiting confirmation: records the hospital's ADT feed created by
// updating (A08/A31) an MRN nobody had registered; they have no interrogation. A section of the
// Unmatched screen (unmatched.ts), sharing its detail panel: link each to the patient it is (who
// gains its identifiers; the record goes) or accept it as a new patient of its clinic.
import { api, type Patient, type PatientSummary } from '../api';
import { clinicLabel, formatIdentifier, patientName } from '../lib/format';
import { busy, clear, field, h, showError, statusBox, table } from './dom';
import type { ScreenContext } from './context';
import { patientRows } from './patients';

export interface UnconfirmedSection {
  el: HTMLElement;
  /** Loads the first page; answers how many wait, or null when the list could not be read. */
  load(): Promise<number | null>;
}

export function unconfirmedSection(ctx: ScreenContext, detailBox: HTMLElement): UnconfirmedSection {
  const status = statusBox();
  const listBox = h('div');
  const more = h('button', { type: 'button', hidden: true }, 'Load more');
  const el = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'unconfirmed-h', 'data-testid': 'unconfirmed-section' },
    h('h2', { id: 'unconfirmed-h' }, 'Patients from the hospital awaiting confirmation'),
    h('p', { class: 'muted small' }, 'The hospital’s records updated an MRN nobody had registered here, so these were created without any transmission. Link each to the patient it is, or accept it as a new patient.'),
    status,
    listBox,
    more,
  );
  let rows: PatientSummary[] = [];
  let cursor: string | null = null;

  function paint(): void {
    clear(
      listBox,
      rows.length
        ? table(
            ['Name', 'Born', 'Sex', 'Clinic', ''],
            rows.map((p) => {
              const name = patientName(p.family_name, p.given_name);
              const open = h('button', { type: 'button', class: 'small-button', 'data-testid': 'unconfirmed-open', 'aria-label': `Resolve ${name}, born ${p.birth_date || 'unknown'}` }, 'Resolve…');
              open.addEventListener('click', () => void busy(open, () => showDetail(p)));
              return h(
                'tr',
                { 'data-testid': 'unconfirmed-row', 'data-patient-id': p.id },
                h('td', null, name),
                h('td', null, p.birth_date || '—'),
                h('td', null, p.sex || '—'),
                h('td', null, clinicLabel(ctx.me.clinic_names, p.clinic_id)),
                h('td', null, open),
              );
            }),
            { testid: 'unconfirmed-table' },
          )
        : h('p', { class: 'empty', 'data-testid': 'unconfirmed-empty' }, 'No patient from the hospital is awaiting confirmation.'),
    );
    more.hidden = !cursor;
  }

  async function load(append: boolean): Promise<number | null> {
    try {
      const page = await api.unconfirmedPatients(100, append ? cursor : null);
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

  async function showDetail(u: PatientSummary): Promise<void> {
    let d: Patient;
    try {
      d = await api.patient(u.id);
    } catch (err) {
      if (ctx.current()) showError(status, err);
      return;
    }
    if (!ctx.current()) return;
    const st = statusBox();
    const q = h('input', { type: 'search', autocomplete: 'off', spellcheck: 'false', 'data-testid': 'unconfirmed-search' });
    const go = h('button', { type: 'submit' }, 'Search');
    const results = h('div');
    const searchForm = h('form', { class: 'filters', role: 'search' }, field('Find the patient it is (name, MRN, serial)', q), h('div', { class: 'field' }, go));
    const accept = h('button', { type: 'button', 'data-testid': 'unconfirmed-accept' }, 'Accept as a new patient');

    const resolved = (patientId: number, how: string) => {
      rows = rows.filter((x) => x.id !== u.id);
      paint();
      clear(detailBox, h('p', { class: 'status info', role: 'status' }, `${how} `, h('a', { href: `#/patient/${patientId}` }, 'Open the patient chart')));
    };
    const resolve = (b: HTMLButtonElement, target: { patient_id: number } | { create: true }, how: string) =>
      void busy(b, async () => {
        try {
          resolved((await api.linkPatient(u.id, target)).patient_id, how);
        } catch (err) {
          showError(st, err);
        }
      });
    const linkTo = (p: PatientSummary): HTMLElement => {
      // Linking never moves a patient between clinics (the server answers 409): say so instead.
      if (p.clinic_id !== d.clinic_id) return h('span', { class: 'muted small' }, 'another clinic');
      const b = h('button', { type: 'button', class: 'small-button', 'data-testid': 'unconfirmed-link' }, 'Link here');
      b.setAttribute('aria-label', `Link to ${patientName(p.family_name, p.given_name)}, born ${p.birth_date || 'unknown'}`);
      b.addEventListener('click', () => resolve(b, { patient_id: p.id }, 'Linked.'));
      return b;
    };
    searchForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (!q.value.trim()) return;
      void busy(go, async () => {
        try {
          const page = await api.searchPatients(q.value.trim(), 20);
          const found = page.items.filter((p) => p.id !== u.id);
          clear(results, found.length ? table(['Name', 'Born', 'Sex', 'Clinic', '', ''], patientRows(found, ctx.me.clinic_names, linkTo)) : h('p', { class: 'empty' }, 'No patient matches.'));
        } catch (err) {
          showError(st, err);
        }
      });
    });
    accept.addEventListener('click', () => resolve(accept, { create: true }, 'Accepted as a new patient.'));
    const ids = d.identifiers.map(formatIdentifier).join(' · ');
    clear(
      detailBox,
      h('h2', { tabindex: '-1' }, 'Patient from the hospital to confirm'),
      h(
        'dl',
        { class: 'facts' },
        h('div', null, h('dt', null, 'Name from the hospital'), h('dd', null, patientName(d.family_name, d.given_name))),
        h('div', null, h('dt', null, 'Born'), h('dd', null, d.birth_date || '—')),
        h('div', null, h('dt', null, 'Sex'), h('dd', null, d.sex || '—')),
        h('div', null, h('dt', null, 'Identifiers'), h('dd', { 'data-testid': 'unconfirmed-identifiers' }, ids || '—')),
        h('div', null, h('dt', null, 'Clinic'), h('dd', null, clinicLabel(ctx.me.clinic_names, d.clinic_id))),
      ),
      h('p', { class: 'muted small' }, 'Linking gives the patient you choose these identifiers and removes this record. Only patients of the same clinic can be chosen.'),
      searchForm,
      results,
      h('div', { class: 'actions' }, accept),
      st,
    );
    detailBox.hidden = false;
    detailBox.querySelector<HTMLElement>('h2')?.focus();
  }

  more.addEventListener('click', () => void busy(more, async () => void (await load(true))));
  return { el, load: () => load(false) };
}
