import { describe, expect, it } from 'vitest';
import { DEFAULT_IDLE, formatCountdown, idleState } from './idle';

const MIN = 60_000;
const cfg = { ...DEFAULT_IDLE, marginMs: 0 };

describe('idleState', () => {
  it('is active until two minutes before the timeout', () => {
    expect(idleState(0, 12 * MIN, cfg)).toEqual({ kind: 'active', warnInMs: MIN });
  });
  it('warns in the last two minutes with the time left', () => {
    expect(idleState(0, 13 * MIN, cfg)).toEqual({ kind: 'warning', remainingMs: 2 * MIN });
    expect(idleState(0, 14.5 * MIN, cfg)).toEqual({ kind: 'warning', remainingMs: 0.5 * MIN });
  });
  it('expires at fifteen minutes', () => {
    expect(idleState(0, 15 * MIN, cfg)).toEqual({ kind: 'expired' });
  });
  it('signs out a little early by the margin', () => {
    expect(idleState(0, 15 * MIN - 1000, { ...cfg, marginMs: 5000 })).toEqual({ kind: 'expired' });
  });
  it('restarts from the last API call', () => {
    expect(idleState(10 * MIN, 15 * MIN, cfg).kind).toBe('active');
  });
});

describe('formatCountdown', () => {
  it('shows minutes and seconds', () => {
    expect(formatCountdown(119_001)).toBe('2:00');
    expect(formatCountdown(61_000)).toBe('1:01');
    expect(formatCountdown(-5)).toBe('0:00');
  });
});
