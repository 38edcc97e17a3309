import { describe, expect, it } from 'vitest';
import { hl7Lines, isOpen, outcomeText, rawFileName, senderText, stateText, summaryText, whereText } from './quarantine';

describe('quarantine wording', () => {
  it('says where the reason points: segment-field, byte, or nowhere', () => {
    expect(whereText({ segment: 'OBX', field: 5, byte_offset: 312 })).toBe('OBX-5, byte 312');
    expect(whereText({ segment: 'PID', field: null, byte_offset: null })).toBe('PID');
    expect(whereText({ segment: '', field: null, byte_offset: 0 })).toBe('byte 0');
    expect(whereText({ segment: '', field: 3, byte_offset: null })).toBe('field 3');
    expect(whereText({ segment: '', field: null, byte_offset: null })).toBe('—');
  });

  it('shows a sender as MSH-3 · MSH-4, and none as a dash', () => {
    expect(senderText('CARELINK|MDT')).toBe('CARELINK · MDT');
    expect(senderText('')).toBe('—');
  });

  it('names the state from resolved_us and the resolution', () => {
    expect(stateText({ resolved_us: null, resolution: '' })).toBe('open');
    expect(stateText({ resolved_us: 5, resolution: 'reprocessed' })).toBe('re-processed');
    expect(stateText({ resolved_us: 5, resolution: 'discarded' })).toBe('discarded');
    expect(stateText({ resolved_us: 5, resolution: '' })).toBe('resolved');
    expect(isOpen({ resolved_us: null })).toBe(true);
    expect(isOpen({ resolved_us: 0 })).toBe(false);
  });

  it('says what a re-processing did, with today’s reason when still refused', () => {
    expect(outcomeText({ id: 1, outcome: 'stored', interrogation_id: 31 })).toBe('Stored as interrogation #31.');
    expect(outcomeText({ id: 1, outcome: 'stored', adt_message_id: 4 })).toBe('Stored as hospital message #4.');
    expect(outcomeText({ id: 1, outcome: 'duplicate', interrogation_id: 31 })).toMatch(/^Already stored, as interrogation #31/);
    expect(outcomeText({ id: 1, outcome: 'quarantined', reason: 'message has no OBR segment' })).toBe('Still refused: message has no OBR segment. The entry stays open.');
  });

  it('sums up "re-process all", saying when more are left than this call took', () => {
    const s = { reprocessed: 3, stored: 1, duplicate: 0, still_quarantined: 2, skipped: 0, results: [] };
    expect(summaryText(s)).toBe('Re-processed 3 entries: 1 stored, 0 duplicates, 2 still in quarantine.');
    expect(summaryText(s, 2)).toBe('Re-processed 3 entries: 1 stored, 0 duplicates, 2 still in quarantine.');
    expect(summaryText({ ...s, reprocessed: 500, stored: 498 }, 40)).toMatch(/40 are still open: run it again for the rest\.$/);
    expect(summaryText({ ...s, reprocessed: 1, stored: 0, duplicate: 1, still_quarantined: 0, skipped: 1 })).toBe(
      "Re-processed 1 entry: 0 stored, 1 duplicate, 0 still in quarantine. 1 entry skipped (refused by a feed's clinic scope; never re-processed).",
    );
    expect(summaryText({ reprocessed: 0, stored: 0, duplicate: 0, still_quarantined: 0, skipped: 0, results: [] })).toMatch(/^Nothing to re-process/);
  });

  it('lays HL7 out one segment a line, keeping every other character as it is', () => {
    expect(hl7Lines('MSH|^~\\&|A\rPID|||<script>x</script>\r')).toBe('MSH|^~\\&|A\nPID|||<script>x</script>\n');
    expect(hl7Lines('MSH|a\r\nPID|b\nOBX|c')).toBe('MSH|a\nPID|b\nOBX|c');
    expect(hl7Lines('not HL7 at all')).toBe('not HL7 at all');
  });

  it('names the downloaded file as the server does', () => {
    expect(rawFileName(7)).toBe('quarantine-7.hl7');
  });
});
