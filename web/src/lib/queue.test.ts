import { describe, expect, it } from 'vitest';
import { dueState, EMPTY_FILTERS, queueParams, severityCounts, sortQueue, timeSinceArrival } from './queue';

const item = (id: number, severity: string, received_s: number) => ({ interrogation_id: id, severity, received_us: received_s * 1e6 });

describe('sortQueue', () => {
  it('orders by priority, then longest waiting, then id', () => {
    const sorted = sortQueue([item(1, 'none', 10), item(2, 'yellow', 50), item(3, 'red', 90), item(4, 'yellow', 20), item(5, 'red', 90), item(6, 'info', 1)]);
    expect(sorted.map((i) => i.interrogation_id)).toEqual([3, 5, 4, 2, 6, 1]);
  });
  it('keeps unknown severities, last', () => {
    expect(sortQueue([item(1, 'purple', 1), item(2, 'none', 2)]).map((i) => i.interrogation_id)).toEqual([2, 1]);
  });
  it('does not modify its input', () => {
    const input = [item(1, 'none', 1), item(2, 'red', 2)];
    sortQueue(input);
    expect(input[0]!.interrogation_id).toBe(1);
  });
});

describe('time and due', () => {
  const now = Date.UTC(2026, 0, 1, 12, 0);
  it('gives the time since arrival', () => {
    expect(timeSinceArrival((now - 90 * 60_000) * 1000, now)).toBe('1 h 30 min');
  });
  it('says overdue by how much', () => {
    expect(dueState({ due_us: (now - 2 * 3600_000) * 1000, overdue: true }, now)).toEqual({ overdue: true, text: 'overdue by 2 h' });
  });
  it('says when it is due', () => {
    expect(dueState({ due_us: (now + 40 * 60_000) * 1000, overdue: false }, now)).toEqual({ overdue: false, text: 'due in 40 min' });
  });
  it('believes the server when it says overdue before the browser clock does', () => {
    expect(dueState({ due_us: (now + 60_000) * 1000, overdue: true }, now).overdue).toBe(true);
  });
  it('has no text without a due time', () => {
    expect(dueState({ due_us: null, overdue: false }, now)).toEqual({ overdue: false, text: '' });
  });
});

describe('queueParams', () => {
  it('leaves out empty filters and maps "assigned to me"', () => {
    expect(queueParams({ ...EMPTY_FILTERS, manufacturer: 'MDT', assignedToMe: true }, 100)).toEqual({ manufacturer: 'MDT', assigned: 'me', limit: '100' });
    expect(queueParams(EMPTY_FILTERS, 50, 'abc')).toEqual({ limit: '50', cursor: 'abc' });
  });
});

describe('severityCounts', () => {
  it('counts each severity', () => {
    expect(severityCounts([item(1, 'red', 1), item(2, 'red', 1), item(3, 'info', 1)])).toEqual({ red: 2, yellow: 0, info: 1, none: 0 });
  });
});
