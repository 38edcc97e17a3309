import { describe, expect, it } from 'vitest';
import { CHARGE_TABS, closeSummary, codeText, componentLabel, emptyChargesText, exportSummary, formatLabel, mayExport, periodText, rangeProblem, shortHash } from './billing';

describe('the Charges screen', () => {
  it('opens on what the next export sends, then the exported, the missed, the batches', () => {
    expect(CHARGE_TABS.map((t) => t.tab)).toEqual(['waiting', 'exported', 'missed', 'batches']);
    const texts = CHARGE_TABS.map((t) => emptyChargesText(t.tab));
    expect(new Set(texts).size).toBe(4);
  });

  it('lets billers close and export, nobody else', () => {
    expect(mayExport('biller')).toBe(true);
    for (const role of ['physician', 'device_clinician', 'viewer', 'auditor', 'administrator', 'integration', 'nobody']) expect(mayExport(role)).toBe(false);
  });

  it('writes codes, components, formats and periods as people read them', () => {
    expect(codeText('93295', '26')).toBe('93295-26');
    expect(codeText('93296', '')).toBe('93296');
    expect(componentLabel('technical')).toBe('Technical');
    expect(componentLabel('other')).toBe('other');
    expect(formatLabel('csv')).toBe('CSV');
    expect(formatLabel('dft')).toBe('HL7 DFT');
    expect(periodText('2026-08-01', '2026-10-29')).toBe('2026-08-01 – 2026-10-29');
    expect(periodText('2026-10-29', '2026-10-29')).toBe('2026-10-29');
    expect(periodText('', '')).toBe('—');
  });

  it('says what the close job did', () => {
    expect(closeSummary({ created: 1, existing: 10, overlapping: 0, missed: 2, unmatched: 0, code_table: '2026.1' })).toBe(
      'Periods closed: 1 new charge, 10 already stored, 0 overlapping (not written), 2 missed. Code table 2026.1.',
    );
    expect(closeSummary({ created: 1, existing: 0, overlapping: 0, missed: 0, unmatched: 3, code_table: '2026.1' })).toBe(
      'Periods closed: 1 new charge, 0 already stored, 0 overlapping (not written), 0 missed, 3 waiting for unmatched patients. Code table 2026.1.',
    );
    expect(closeSummary({ created: 0, existing: 0, overlapping: 0, missed: 0, unmatched: 0, code_table: 'x' })).toMatch(/^Periods closed: 0 new charges,/);
  });

  it('says what an export did', () => {
    expect(exportSummary({ id: 4, format: 'dft', charges: 5, sha256: 'x' })).toBe('Export #4 (HL7 DFT): 5 charges. It is listed under Export batches.');
    expect(exportSummary({ id: 5, format: 'csv', charges: 1, sha256: 'x' })).toMatch(/: 1 charge\./);
  });

  it('shortens a hash for the table', () => {
    expect(shortHash('ab'.repeat(32))).toBe('abababababab…');
    expect(shortHash('abc')).toBe('abc');
  });

  it('checks a date-of-service range before asking', () => {
    expect(rangeProblem({ from: '', to: '' })).toBeNull();
    expect(rangeProblem({ from: '2026-01-01', to: '' })).toBeNull();
    expect(rangeProblem({ from: '2026-01-01', to: '2026-01-01' })).toBeNull();
    expect(rangeProblem({ from: '2026-02-01', to: '2026-01-01' })).toMatch(/after/);
    expect(rangeProblem({ from: '1/2/2026', to: '' })).toMatch(/YYYY-MM-DD/);
  });
});
