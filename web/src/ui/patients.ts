// Patient list and search (name, MRN or any identifier, device or lead serial).
import { api, type PatientSummary } from '../api';
import { clinicLabel, patientName } from '../lib/format';
import { busy, clear, field, h, pageTitle, showError, statusBox, table } from './dom';
import type { ScreenContext } from './context';

// The last search, kept in memory for "back" (never in the address: it may be a name).
let lastQuery = '';

export function patientRows(items: PatientSummary[], clinicNames: Record<string, string> | undefined, action?: (p: PatientSummary) => HTMLElement): HTMLTableRowElement[] {
  return items.map((p) =>
    h(
      'tr',
      { 'data-testid': 'patient-row', 'data-patient-id': p.id },
      h('td', null, h('a', { href: `#/patient/${p.id}` }, patientName(p.family_name, p.given_name))),
      h('td', null, p.birth_date || '—'),
      h('td', null, p.sex || '—'),
      h('td', null, clinicLabel(clinicNames, p.clinic_id)),
      h('td', null, p.unmatched ? h('span', { class: 'badge warn' }, 'unmatched') : ''),
      action ? h('td', null, action(p)) : null,
    ),
  );
}

export async function renderPatients(main: HTMLElement, ctx: ScreenContext): Promise<void> {
  document.title = 'Patients — heartbase';
  const status = statusBox();
  const q = h('input', { type: 'search', value: lastQuery, autocomplete: 'off', spellcheck: 'false', 'data-testid': 'patient-search' });
  const go = h('button', { type: 'submit', class: 'primary' }, 'Search');
  const results = h('div');
  const more = h('button', { type: 'button', hidden: true }, 'Load more');
  let items: PatientSummary[] = [];
  let cursor: string | null = null;

  const form = h('form', { class: 'filters', role: 'search' }, field('Name, MRN or device serial', q), h('div', { class: 'field' }, go));

  async function load(append: boolean): Promise<void> {
    try {
      const page = await api.searchPatients(lastQuery, 50, append ? cursor : null);
      if (!ctx.current()) return;
      items = append ? [...items, ...page.items] : page.items;
      cursor = page.next_cursor;
      status.className = 'status';
      clear(status, lastQuery ? `${items.length}${cursor ? '+' : ''} found.` : '');
      clear(results, items.length ? table(['Name', 'Born', 'Sex', 'Clinic', ''], patientRows(items, ctx.me.clinic_names), { testid: 'patient-table' }) : h('p', { class: 'empty' }, 'No patient matches.'));
      more.hidden = !cursor;
    } catch (err) {
      if (ctx.current()) showError(status, err);
    }
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    lastQuery = q.value.trim();
    void busy(go, () => load(false));
  });
  more.addEventListener('click', () => void busy(more, () => load(true)));
  clear(main, pageTitle('Patients'), form, status, results, more);
  await load(false);
}
