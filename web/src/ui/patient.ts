// Patient chart: demographics, the records the hospital's ADT merged into this one, devices and
// leads with their dates, the interrogation timeline, the follow-up plan (followplan.ts) and trend
// charts across device replacements.
import type uPlot from 'uplot';
import { api, seriesByTerm, type InterrogationRow, type Patient } from '../api';
import { deviceStatus } from '../lib/devices';
import { clinicLabel, formatDate, formatDeviceType, formatIdentifier, formatManufacturer, formatMerged, formatSessionType, patientName } from '../lib/format';
import { can } from '../lib/roles';
import { alignSeries, deviceChangeMarkers, termRequests, TREND_CHARTS } from '../lib/trends';
import { clear, h, pageTitle, showError, statusBox, table } from './dom';
import type { ScreenContext } from './context';
import { followUpPlanPanel } from './followplan';
import { trendChart, type TrendChart } from './trendchart';

const MAX_TIMELINE_PAGES = 10;

function demographics(p: Patient, clinicNames: Record<string, string> | undefined): HTMLElement {
  const ids = p.identifiers.map(formatIdentifier);
  return h(
    'dl',
    { class: 'facts', 'data-testid': 'demographics' },
    h('div', null, h('dt', null, 'Born'), h('dd', null, p.birth_date || '—')),
    h('div', null, h('dt', null, 'Sex'), h('dd', null, p.sex || '—')),
    h('div', null, h('dt', null, 'Identifiers'), h('dd', null, ids.length ? ids.join(' · ') : '—')),
    h('div', null, h('dt', null, 'Clinic'), h('dd', null, clinicLabel(clinicNames, p.clinic_id))),
    p.unmatched ? h('div', null, h('dt', null, 'Record'), h('dd', null, h('span', { class: 'badge warn' }, 'unmatched — not yet confirmed (see Unmatched)'))) : null,
  );
}

/** The records merged into this one by the hospital's ADT (A40/A39/A18), oldest first; none: nothing. */
function mergedSection(p: Patient): HTMLElement | null {
  const merged = p.merged ?? [];
  if (!merged.length) return null;
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'merged-h', 'data-testid': 'merged-records' },
    h('h2', { id: 'merged-h' }, 'Merged records'),
    h('ul', { class: 'small' }, merged.map((m) => h('li', { 'data-testid': 'merged-record', 'data-merged-from': m.merged_from }, formatMerged(m)))),
  );
}

function devicesSection(p: Patient): HTMLElement {
  const status = deviceStatus(p.devices);
  const byId = new Map(p.devices.map((d) => [d.id, d]));
  const devRows = [...p.devices]
    .sort((a, b) => (b.implant_date || '').localeCompare(a.implant_date || ''))
    .map((d) =>
      h(
        'tr',
        { 'data-testid': 'device-row', class: status.get(d.id) === 'current' ? 'current' : 'past' },
        h('td', null, h('div', null, d.model || '—'), h('div', { class: 'muted small' }, formatManufacturer(d.manufacturer))),
        h('td', null, formatDeviceType(d.type)),
        h('td', { class: 'mono' }, d.serial || '—'),
        h('td', null, d.implant_date || '—'),
        h('td', null, status.get(d.id) === 'current' ? h('span', { class: 'badge ok' }, 'current') : status.get(d.id) ?? ''),
      ),
    );
  const leadRows = [...p.leads]
    .sort((a, b) => (b.implant_date || '').localeCompare(a.implant_date || '') || a.location.localeCompare(b.location))
    .map((l) => {
      const dev = byId.get(l.device_id);
      const devStatus = dev ? status.get(dev.id) : undefined;
      return h(
        'tr',
        { 'data-testid': 'lead-row', class: devStatus === 'current' ? 'current' : 'past' },
        h('td', null, h('strong', null, l.location || '—')),
        h('td', null, h('div', null, l.model || '—'), h('div', { class: 'muted small' }, formatManufacturer(l.manufacturer))),
        h('td', { class: 'mono' }, l.serial || '—'),
        h('td', null, l.implant_date || '—'),
        h('td', null, l.explant_date ? `explanted ${l.explant_date}` : dev ? `on ${dev.model}${devStatus && devStatus !== 'current' ? ` (${devStatus})` : ''}` : '—'),
      );
    });
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'devices-h' },
    h('h2', { id: 'devices-h' }, 'Devices and leads'),
    devRows.length ? table(['Device', 'Type', 'Serial', 'Implanted', 'Status'], devRows, { testid: 'devices-table' }) : h('p', { class: 'empty' }, 'No device recorded.'),
    leadRows.length ? table(['Lead', 'Model', 'Serial', 'Implanted', 'Generator'], leadRows, { testid: 'leads-table' }) : null,
  );
}

function timelineSection(rows: InterrogationRow[], truncated: boolean): HTMLElement {
  const list = h('ol', { class: 'timeline', 'data-testid': 'timeline' });
  let year = '';
  for (const r of rows) {
    const t = r.session_us ?? r.received_us;
    const y = formatDate(t).slice(0, 4);
    if (y !== year) {
      year = y;
      list.appendChild(h('li', { class: 'year', 'aria-hidden': 'true' }, y));
    }
    list.appendChild(
      h(
        'li',
        { 'data-testid': 'timeline-item', 'data-interrogation-id': r.id },
        h('a', { href: `#/interrogation/${r.id}` }, h('span', { class: 'date' }, formatDate(t)), ' ', formatSessionType(r.session_type)),
        r.result_status && r.result_status !== 'final' ? h('span', { class: 'badge' }, r.result_status) : null,
        h('span', { class: 'muted small' }, ` ${r.sender.split('|')[0] ?? ''}`),
      ),
    );
  }
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'timeline-h' },
    h('h2', { id: 'timeline-h' }, `Interrogations (${rows.length}${truncated ? '+' : ''})`),
    rows.length ? list : h('p', { class: 'empty' }, 'No interrogation yet.'),
  );
}

export async function renderPatient(main: HTMLElement, ctx: ScreenContext, id: number): Promise<void> {
  document.title = 'Patient chart — heartbase';
  const p = await api.patient(id);
  if (!ctx.current()) return;
  const charts: TrendChart[] = [];
  ctx.onLeave(() => charts.forEach((c) => c.destroy()));

  const timelineBox = h('div', { class: 'timeline-box' });
  const trendsBox = h('div', { class: 'charts', 'data-testid': 'trend-charts' });
  const trendStatus = statusBox();
  const mayInterrogations = can(ctx.me.role, 'interrogation.read');
  const mayTrends = can(ctx.me.role, 'trend.read');
  const plan = followUpPlanPanel(ctx, id);

  const rangeButtons = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Time range' });
  const ranges: [string, number | null][] = [['All', null], ['5 years', 5], ['2 years', 2], ['1 year', 1]];
  for (const [label, years] of ranges) {
    const b = h('button', { type: 'button', 'aria-pressed': years === null ? 'true' : 'false' }, label);
    b.addEventListener('click', () => {
      for (const other of rangeButtons.querySelectorAll('button')) other.setAttribute('aria-pressed', 'false');
      b.setAttribute('aria-pressed', 'true');
      const max = Date.now() / 1000;
      for (const c of charts) c.setRange(years === null ? null : max - years * 365.25 * 86_400, years === null ? null : max);
    });
    rangeButtons.appendChild(b);
  }

  clear(
    main,
    h('div', { class: 'page-head' }, pageTitle(patientName(p.family_name, p.given_name)), h('a', { href: '#/patients', class: 'back' }, '← Patients')),
    demographics(p, ctx.me.clinic_names),
    mergedSection(p),
    h('div', { class: 'two-col' }, devicesSection(p), mayInterrogations ? timelineBox : null),
    plan.section,
    mayTrends
      ? h(
          'section',
          { class: 'panel', 'aria-labelledby': 'trends-h' },
          h('div', { class: 'section-head' }, h('h2', { id: 'trends-h' }, 'Trends'), h('span', { class: 'legend-note' }, h('span', { class: 'marker-swatch', 'aria-hidden': 'true' }), 'dashed line: device replaced'), rangeButtons),
          trendStatus,
          trendsBox,
        )
      : null,
  );

  const jobs: Promise<void>[] = [plan.load()];
  if (mayInterrogations) {
    jobs.push(
      (async () => {
        const rows: InterrogationRow[] = [];
        let cursor: string | null = null;
        let pages = 0;
        try {
          do {
            const page = await api.interrogations({ patient: id, limit: 1000, cursor });
            rows.push(...page.items);
            cursor = page.next_cursor;
            pages++;
          } while (cursor && pages < MAX_TIMELINE_PAGES && ctx.current());
          if (ctx.current()) clear(timelineBox, timelineSection(rows, !!cursor));
        } catch (err) {
          const box = statusBox();
          showError(box, err);
          clear(timelineBox, box);
        }
      })(),
    );
  }
  if (mayTrends) {
    jobs.push(
      (async () => {
        try {
          trendsBox.setAttribute('aria-busy', 'true');
          const requests = termRequests(TREND_CHARTS);
          const answers = await Promise.all(requests.map((terms) => api.trends(id, terms)));
          if (!ctx.current()) return;
          const byTerm = new Map<string, [number, number][]>();
          answers.forEach((a, i) => seriesByTerm(a, requests[i]!).forEach((v, k) => byTerm.set(k, v)));
          const markers = deviceChangeMarkers(p.devices);
          const empty: string[] = [];
          for (const def of TREND_CHARTS) {
            // Series without values (an LV lead the patient does not have) stay out of the legend.
            const present = { ...def, series: def.series.filter((s) => (byTerm.get(s.term) ?? []).length > 0) };
            const data = alignSeries(present.series.map((s) => byTerm.get(s.term) ?? []));
            const chart = trendChart(present, data as unknown as uPlot.AlignedData, markers);
            if (chart.points === 0) {
              empty.push(def.title);
              chart.destroy();
              continue;
            }
            charts.push(chart);
            trendsBox.appendChild(chart.el);
          }
          if (empty.length) trendsBox.appendChild(h('p', { class: 'muted small empty-charts', 'data-testid': 'trend-none' }, `No values recorded for: ${empty.join('; ')}.`));
        } catch (err) {
          showError(trendStatus, err);
        } finally {
          trendsBox.removeAttribute('aria-busy');
        }
      })(),
    );
  }
  await Promise.all(jobs);
}
