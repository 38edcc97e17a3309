import { describe, expect, it } from 'vitest';
import { deviceStatus } from './devices';

describe('deviceStatus', () => {
  it('calls the newest current and the others replaced on the next implant date', () => {
    const s = deviceStatus([
      { id: 2, implant_date: '2023-08-19', first_seen_us: 0 },
      { id: 1, implant_date: '2015-09-06', first_seen_us: 0 },
    ]);
    expect(s.get(2)).toBe('current');
    expect(s.get(1)).toBe('replaced 2023-08-19');
  });
  it('prefers an explant date when the server gives one', () => {
    const s = deviceStatus([{ id: 1, implant_date: '2015-09-06', explant_date: '2020-01-02', first_seen_us: 0 }]);
    expect(s.get(1)).toBe('explanted 2020-01-02');
  });
  it('orders undated devices by when they were first seen', () => {
    const s = deviceStatus([
      { id: 1, implant_date: '', first_seen_us: 2e15 },
      { id: 2, implant_date: '', first_seen_us: 1e15 },
    ]);
    expect(s.get(1)).toBe('current');
    expect(s.get(2)).toMatch(/^replaced \d{4}-\d{2}-\d{2}$/);
  });
});
