// Interrogation view: device summary, measurements and statistics beside the previous
// interrogation, settings changes, zones, episodes and attachments, review and sign-off, and the
// follow-up report (report.ts).
import { api, ApiError, type AttachmentRef, type InterrogationDetail, type Review } from '../api';
import { compareGroups, compareObservations, observationText, summarize, type CompareRow, type Observation } from '../lib/compare';
import {
  formatBytes,
  formatDateTime,
  formatDeviceType,
  formatDuration,
  formatIsoText,
  formatManufacturer,
  formatSessionType,
  patientName,
  withUnit,
} from '../lib/format';
import { can } from '../lib/roles';
import { busy, clear, field, h, pageTitle, showError, showInfo, statusBox, table } from './dom';
import { queueMemory, type ScreenContext } from './context';
import { severityChip } from './queue';
import { reportPanel } from './report';

const RANGE_TEXT: Record<string, string> = { low: 'low', high: 'high', abnormal: 'abnormal' };

function testKey(key: string): string {
  return key.replace(/[^A-Za-z0-9_]+/g, '-');
}

/** Rows of a measurement/statistics table: value, previous, delta, flags. */
function valueRows(rows: CompareRow[], prefix: string): HTMLTableRowElement[] {
  return rows.map((r) => {
    const flags: HTMLElement[] = [];
    if (r.outOfRange) flags.push(h('span', { class: 'badge danger' }, RANGE_TEXT[r.outOfRange] ?? 'check'));
    if (r.bigChange) flags.push(h('span', { class: 'badge warn' }, 'large change'));
    if (r.removed) flags.push(h('span', { class: 'badge' }, 'not reported now'));
    const cls = [r.outOfRange ? 'out-of-range' : '', r.bigChange ? 'big-change' : ''].filter(Boolean).join(' ');
    return h(
      'tr',
      { class: cls || null, 'data-term': r.term },
      h('th', { scope: 'row' }, r.label, r.instance > 1 ? h('span', { class: 'muted' }, ` #${r.instance}`) : null),
      h(
        'td',
        { class: 'num value', 'data-testid': `${prefix}-${testKey(r.key)}`, 'data-value': r.numeric ?? r.value, 'data-out-of-range': r.outOfRange ? 'true' : null },
        r.value === '—' ? '—' : withUnit(r.value, r.unit),
      ),
      h('td', { class: 'num prev' }, r.previous === null ? '' : r.previous === '—' ? '—' : withUnit(r.previous, r.unit)),
      h('td', { class: `num delta${r.deltaValue && r.deltaValue > 0 ? ' up' : r.deltaValue && r.deltaValue < 0 ? ' down' : ''}` }, r.delta),
      h('td', { class: 'flags' }, flags),
    );
  });
}

function settingRows(rows: CompareRow[], prefix: string): HTMLTableRowElement[] {
  return rows.map((r) =>
    h(
      'tr',
      { class: r.changed ? 'changed' : null, 'data-term': r.term },
      h('th', { scope: 'row' }, r.label),
      h('td', { class: 'value', 'data-testid': `${prefix}-${testKey(r.key)}` }, r.value === '—' ? '—' : withUnit(r.value, r.unit)),
      h('td', { class: 'prev' }, r.previous === null ? '' : r.previous === '—' ? '—' : withUnit(r.previous, r.unit)),
      h('td', { class: 'flags' }, r.changed && r.previous !== null ? h('span', { class: 'badge warn' }, r.removed ? 'removed' : 'changed') : r.changed ? h('span', { class: 'badge' }, 'new') : ''),
    ),
  );
}

function obsValue(list: readonly Observation[], term: string): string {
  const o = list.find((x) => x.term === term);
  return o ? withUnit(observationText(o), o.unit === 'mo' ? 'months' : o.unit) : '—';
}

function section(title: string, id: string, ...content: (Node | null)[]): HTMLElement {
  return h('section', { class: 'panel', 'aria-labelledby': id }, h('h2', { id }, title), ...content);
}

function attachmentsOf(d: InterrogationDetail): AttachmentRef[] {
  if (d.attachments) return d.attachments;
  return (d.interrogation.attachments ?? []).map((a, i) => ({
    index: i,
    kind: a.instance === 0 ? 'report' : 'egm',
    media_type: a.media_type,
    bytes: a.bytes,
  }));
}

function attachmentLink(id: number, a: AttachmentRef, label: string): HTMLElement {
  const kind = a.media_type === 'application/pdf' ? 'PDF' : a.media_type || 'file';
  return h(
    'a',
    { href: api.attachmentUrl(id, a.index), target: '_blank', rel: 'noopener', 'data-testid': 'attachment-link', 'data-index': a.index, class: 'attachment' },
    `${label} (${kind}, ${formatBytes(a.bytes)})`,
  );
}

export async function renderInterrogation(main: HTMLElement, ctx: ScreenContext, id: number): Promise<void> {
  document.title = 'Interrogation — heartbase';
  const d = await api.interrogation(id);
  if (!ctx.current()) return;
  let prev: InterrogationDetail | null = null;
  if (d.previous_id) {
    try {
      prev = await api.interrogation(d.previous_id);
    } catch {
      prev = null; // shown without comparison
    }
    if (!ctx.current()) return;
  }
  const i = d.interrogation;
  const p = prev?.interrogation ?? null;
  const name = patientName(i.patient.family_name, i.patient.given_name);
  const prevWhen = prev ? formatIsoText(p!.session.time) : null;

  // ---- header and summary
  const attachments = attachmentsOf(d);
  const manufacturerReport = attachments.find((a) => a.kind === 'report');
  const alerts = d.alerts ?? [];
  const next = (() => {
    const idx = queueMemory.ids.indexOf(id);
    return idx >= 0 && idx + 1 < queueMemory.ids.length ? queueMemory.ids[idx + 1]! : null;
  })();

  const head = h(
    'div',
    { class: 'page-head' },
    pageTitle(name),
    h(
      'div',
      { class: 'head-links' },
      h('a', { href: `#/patient/${d.patient_id}`, 'data-testid': 'open-chart' }, 'Patient chart and trends'),
      h('a', { href: '#/queue' }, 'Queue'),
      next ? h('a', { href: `#/interrogation/${next}`, 'data-testid': 'next-in-queue' }, 'Next in queue →') : null,
    ),
  );

  const summary = h(
    'dl',
    { class: 'facts', 'data-testid': 'device-summary' },
    h('div', null, h('dt', null, 'Session'), h('dd', null, `${formatSessionType(i.session.type)}, ${formatIsoText(i.session.time)}`)),
    h('div', null, h('dt', null, 'Received'), h('dd', null, formatDateTime(d.received_us))),
    h('div', null, h('dt', null, 'Device'), h('dd', null, `${formatManufacturer(i.device.manufacturer)} ${i.device.model} (${formatDeviceType(i.device.type)})`)),
    h('div', null, h('dt', null, 'Serial'), h('dd', { class: 'mono' }, i.device.serial || '—')),
    h('div', null, h('dt', null, 'Implanted'), h('dd', null, i.device.implant_date || '—')),
    h('div', null, h('dt', null, 'Battery'), h('dd', null, `${obsValue(i.measurements, 'MDC_IDC_MSMT_BATTERY_STATUS')}, ${obsValue(i.measurements, 'MDC_IDC_MSMT_BATTERY_REMAINING_LONGEVITY')} left`)),
    h('div', null, h('dt', null, 'Leads'), h('dd', null, i.leads.length ? i.leads.map((l) => `${l.location || '?'} ${l.model}`).join(' · ') : 'none')),
    h('div', null, h('dt', null, 'Born'), h('dd', null, i.patient.birth_date || '—')),
    h('div', null, h('dt', null, 'Compared with'), h('dd', { 'data-testid': 'previous-session' }, prev ? h('a', { href: `#/interrogation/${prev.id}` }, `${formatSessionType(p!.session.type)}, ${prevWhen}`) : 'no earlier interrogation')),
    d.result_status !== 'final' ? h('div', null, h('dt', null, 'Status'), h('dd', null, h('span', { class: 'badge warn' }, d.result_status))) : null,
    d.superseded_by ? h('div', null, h('dt', null, 'Version'), h('dd', null, h('a', { href: `#/interrogation/${d.superseded_by}` }, 'a newer version exists'))) : null,
  );

  const alertBox = alerts.length
    ? h(
        'section',
        { class: 'alerts', 'aria-label': 'Alerts', 'data-testid': 'alerts' },
        h('ul', null, alerts.map((a) => h('li', null, severityChip(a.severity), ' ', a.reason))),
      )
    : null;

  // ---- measurements, statistics, settings, zones
  const measurements = compareObservations(i.measurements, p ? p.measurements : null);
  const statistics = compareObservations(i.statistics, p ? p.statistics : null);
  const settings = compareObservations(i.settings, p ? p.settings : null);
  const zones = compareGroups(i.zones, p ? p.zones : null);
  const ms = summarize(measurements);
  const ss = summarize([...settings, ...zones.flatMap((z) => z.rows)]);
  const cols = ['', 'This session', prev ? `Previous (${prevWhen})` : 'Previous', 'Change', ''];

  const measurementsSection = section(
    'Measurements',
    'msmt-h',
    h('p', { class: 'muted small' }, `${ms.outOfRange} outside limits, ${ms.bigChange} with a large change.`),
    measurements.length ? table(cols, valueRows(measurements, 'value'), { testid: 'measurements-table', className: 'grid values' }) : h('p', { class: 'empty' }, 'No measurements in this transmission.'),
  );
  const statisticsSection = statistics.length
    ? section('Counters and statistics', 'stat-h', table(cols, valueRows(statistics, 'value'), { testid: 'statistics-table', className: 'grid values' }))
    : null;
  const settingsSection = section(
    'Programmed settings',
    'set-h',
    h('p', { class: 'muted small', 'data-testid': 'settings-changes' }, prev ? (ss.changed ? `${ss.changed} change(s) since the previous interrogation.` : 'No change since the previous interrogation.') : 'No earlier interrogation to compare with.'),
    settings.length ? table(['', 'This session', 'Previous', ''], settingRows(settings, 'setting'), { testid: 'settings-table', className: 'grid values' }) : h('p', { class: 'empty' }, 'No settings in this transmission.'),
    zones.length
      ? h(
          'div',
          { class: 'zones' },
          zones.map((z) => {
            const typeRow = z.rows.find((r) => r.term === 'MDC_IDC_SET_ZONE_TYPE');
            return table(['', 'This session', 'Previous', ''], settingRows(z.rows.filter((r) => r !== typeRow), `zone${z.instance}`), {
              caption: `Zone ${z.instance}${typeRow ? `: ${typeRow.value.replace(/^Zone /, '')}` : ''}`,
              className: 'grid values compact',
            });
          }),
        )
      : null,
  );

  // ---- episodes and attachments
  const episodeRows = i.episodes.map((e) => {
    const details = e.observations.find((o) => o.term === 'MDC_IDC_EPISODE_DETECTION_THERAPY_DETAILS');
    const result = e.observations.find((o) => o.term === 'MDC_IDC_EPISODE_THERAPY_RESULT');
    const cycle = e.observations.find((o) => o.term === 'MDC_IDC_EPISODE_VENTRICULAR_INTERVAL_AT_DETECTION');
    const links = e.attachments
      .map((ix) => attachments.find((a) => a.index === ix))
      .filter((a): a is AttachmentRef => !!a)
      .map((a) => attachmentLink(id, a, 'EGM'));
    return h(
      'tr',
      { 'data-testid': 'episode-row' },
      h('td', null, e.id || String(e.instance)),
      h('td', null, formatIsoText(e.onset)),
      h('td', null, (e.type || '').replace(/^Epis_/, '').replace(/_/g, '/')),
      h('td', { class: 'num' }, formatDuration(e.duration_s)),
      h('td', null, cycle ? withUnit(observationText(cycle), cycle.unit) : '—'),
      h('td', null, details ? observationText(details) : '—', result ? h('div', { class: 'muted small' }, observationText(result)) : null),
      h('td', null, links.length ? links : '—'),
    );
  });
  const counters = i.episode_counters.map((g) => {
    const type = g.observations.find((o) => o.term === 'MDC_IDC_STAT_EPISODE_TYPE');
    const recent = g.observations.find((o) => o.term === 'MDC_IDC_STAT_EPISODE_RECENT_COUNT');
    const total = g.observations.find((o) => o.term === 'MDC_IDC_STAT_EPISODE_TOTAL_COUNT');
    return h(
      'tr',
      null,
      h('th', { scope: 'row' }, type ? observationText(type).replace(/^Epis /, '') : `#${g.instance}`),
      h('td', { class: 'num' }, recent ? observationText(recent) : '—'),
      h('td', { class: 'num' }, total ? observationText(total) : '—'),
    );
  });
  const episodesSection = section(
    `Episodes (${i.episodes.length})`,
    'epi-h',
    counters.length ? table(['Episode type', 'Since last', 'Total'], counters, { className: 'grid compact counters' }) : null,
    episodeRows.length
      ? table(['ID', 'Onset', 'Type', 'Duration', 'Cycle length', 'Therapy', 'EGM'], episodeRows, { testid: 'episodes-table' })
      : h('p', { class: 'empty' }, 'No episode stored in this transmission.'),
  );
  const attachmentsSection = section(
    'Reports and attachments',
    'att-h',
    attachments.length
      ? h(
          'ul',
          { class: 'attachments' },
          attachments.map((a) => h('li', null, attachmentLink(id, a, a.kind === 'report' ? "Manufacturer's report" : a.kind === 'egm' ? `EGM ${a.index}` : `${a.kind} ${a.index}`))),
        )
      : h('p', { class: 'empty' }, 'No attachment.'),
    i.notes.length ? h('div', null, h('h3', null, 'Notes from the sender'), h('ul', null, i.notes.map((n) => h('li', { class: 'pre' }, n)))) : null,
    i.warnings.length ? h('div', null, h('h3', null, 'Mapping warnings'), h('ul', { class: 'muted' }, i.warnings.map((w) => h('li', null, w)))) : null,
  );

  // ---- the follow-up report: its state is the review's, known here without asking for the PDF
  const report = reportPanel(ctx, id, d.clinic_id, d.review?.state ?? 'new');

  // ---- review and sign-off
  const reviewBox = h('section', { class: 'panel review', 'aria-labelledby': 'review-h', 'data-testid': 'review-panel' });
  const topState = h('span', { class: 'state-slot' });

  function paintReview(review: Review | undefined): void {
    const r: Review = review ?? { state: 'new', assigned_to: null, notes: [], signed_by: null, signed_us: null };
    const state = h('span', { class: `badge state-${r.state}`, 'data-testid': 'review-state' }, r.state === 'new' ? 'Not reviewed' : r.state === 'reviewed' ? 'Reviewed' : 'Signed');
    clear(topState, state.cloneNode(true));
    report.setState(r.state);
    const status = statusBox();
    const notes = r.notes.length
      ? h('ol', { class: 'notes', 'data-testid': 'review-notes' }, r.notes.map((n) => h('li', null, h('div', { class: 'muted small' }, `${n.author}, ${formatDateTime(n.time_us)}${n.kind && n.kind !== 'note' ? ` (${n.kind})` : ''}`), h('div', { class: 'pre' }, n.text))))
      : h('p', { class: 'muted' }, 'No note yet.');
    const parts: (Node | null)[] = [
      h('div', { class: 'section-head' }, h('h2', { id: 'review-h' }, 'Review'), state),
      r.assigned_to ? h('p', null, `Assigned to ${r.assigned_to}.`) : null,
      r.reviewed_by ? h('p', { class: 'muted small' }, `Reviewed by ${r.reviewed_by}${r.reviewed_us ? `, ${formatDateTime(r.reviewed_us)}` : ''}.`) : null,
      notes,
    ];
    if (r.state === 'signed') {
      parts.push(h('p', { class: 'locked', 'data-testid': 'signed-banner' }, `Signed by ${r.signed_by ?? '—'} on ${formatDateTime(r.signed_us)}. This interrogation is locked.`));
    } else {
      const mayReview = can(ctx.me.role, 'interrogation.review');
      const maySign = can(ctx.me.role, 'interrogation.signoff');
      if (mayReview) {
        const mine = r.assigned_to === ctx.me.user;
        const assign = h('button', { type: 'button', 'data-testid': 'assign-button' }, mine ? 'Unassign me' : 'Assign to me');
        assign.addEventListener('click', () =>
          void busy(assign, async () => {
            try {
              const a = await api.assign(id, !mine);
              paintReview({ ...r, assigned_to: a.assigned_to });
            } catch (err) {
              showError(status, err);
            }
          }),
        );
        const note = h('textarea', { rows: 4, 'data-testid': 'review-note', maxlength: 4000 });
        const reviewed = h('button', { type: 'submit', class: 'primary', 'data-testid': 'review-button' }, r.state === 'reviewed' ? 'Add note' : 'Mark reviewed');
        const form = h('form', { class: 'stack' }, field('Clinical note', note, 'Findings and actions; visible to the clinic and kept with the audit trail.'), h('div', { class: 'actions' }, reviewed, assign));
        form.addEventListener('submit', (ev) => {
          ev.preventDefault();
          if (!note.value.trim() && r.state === 'reviewed') return showError(status, new Error('Write a note first.'));
          void busy(reviewed, async () => {
            try {
              const ans = await api.review(id, note.value.trim());
              paintReview(ans.review);
              showInfo(reviewBox.querySelector('.status') as HTMLElement, 'Saved.');
            } catch (err) {
              showError(status, err);
            }
          });
        });
        parts.push(form);
      }
      if (maySign) {
        const sign = h('button', { type: 'button', class: 'sign', 'data-testid': 'signoff-button' }, 'Sign off…');
        sign.addEventListener('click', () => openSignoff((rv) => paintReview(rv)));
        parts.push(h('div', { class: 'actions signoff-row' }, sign, h('span', { class: 'muted small' }, 'Signing asks for your password again and locks the interrogation.')));
      }
    }
    parts.push(status);
    clear(reviewBox, ...parts);
  }

  function openSignoff(done: (r: Review) => void): void {
    const pw = h('input', { type: 'password', autocomplete: 'current-password', required: true, 'data-testid': 'signoff-password' });
    const totp = h('input', { type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 8, 'data-testid': 'signoff-totp' });
    const note = h('textarea', { rows: 3, 'data-testid': 'signoff-note', maxlength: 4000 });
    const status = statusBox();
    const ok = h('button', { type: 'submit', class: 'primary', 'data-testid': 'signoff-confirm' }, 'Sign and lock');
    const cancel = h('button', { type: 'button' }, 'Cancel');
    const form = h(
      'form',
      { class: 'stack' },
      h('p', null, `You are signing the ${formatSessionType(i.session.type).toLowerCase()} interrogation of ${name} from ${formatIsoText(i.session.time)}.`),
      field('Your password', pw),
      field('Authenticator code', totp, 'If your account uses one.'),
      field('Interpretation (optional)', note),
      h('div', { class: 'actions' }, ok, cancel),
      status,
    );
    const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': 'signoff-title', 'data-testid': 'signoff-dialog' }, h('h2', { id: 'signoff-title' }, 'Physician sign-off'), form);
    cancel.addEventListener('click', () => dlg.close());
    dlg.addEventListener('close', () => {
      pw.value = '';
      dlg.remove();
    });
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (!pw.value) return showError(status, new Error('Enter your password.'));
      void busy(ok, async () => {
        try {
          const ans = await api.signoff(id, pw.value, totp.value.trim() || undefined, note.value.trim() || undefined);
          dlg.close();
          done(ans.review);
        } catch (err) {
          pw.value = '';
          if (err instanceof ApiError && err.code === 'reauth_failed') {
            showError(status, new Error('The password or code is wrong. Nothing was signed.'));
          } else if (err instanceof ApiError && err.code === 'mfa_required') {
            showError(status, new Error('Enter the code from your authenticator app as well.'));
            totp.focus();
            return;
          } else {
            showError(status, err);
          }
          pw.focus();
        }
      });
    });
    ctx.onLeave(() => dlg.isConnected && dlg.close());
    document.body.appendChild(dlg);
    dlg.showModal();
    pw.focus();
  }

  paintReview(d.review);
  clear(
    main,
    head,
    h('div', { class: 'subhead' }, topState, d.review?.assigned_to ? h('span', { class: 'muted' }, ` assigned to ${d.review.assigned_to}`) : null, manufacturerReport ? h('span', null, ' · ', attachmentLink(id, manufacturerReport, "Manufacturer's report")) : null),
    alertBox,
    summary,
    h('div', { class: 'two-col wide-left' }, h('div', null, measurementsSection, statisticsSection), h('div', null, reviewBox, settingsSection)),
    report.element,
    episodesSection,
    attachmentsSection,
  );
}
