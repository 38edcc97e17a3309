// Device history: which generator is current and when each earlier one stopped. Pure.
import { formatDate, isoDateToUs } from './format';

export interface DeviceDates {
  id: number;
  implant_date: string;
  explant_date?: string | null;
  first_seen_us: number;
}

/**
 * Per device id: "current" for the newest, "explanted <date>" when the server gives an explant
 * date, otherwise "replaced <next device's implant date>". Devices are ordered by implant date
 * (first seen when the date is missing).
 */
export function deviceStatus(devices: readonly DeviceDates[]): Map<number, string> {
  const start = (d: DeviceDates) => isoDateToUs(d.implant_date) ?? d.first_seen_us;
  const sorted = [...devices].sort((a, b) => start(a) - start(b) || a.id - b.id);
  const out = new Map<number, string>();
  sorted.forEach((d, i) => {
    const next = sorted[i + 1];
    if (d.explant_date) out.set(d.id, `explanted ${d.explant_date}`);
    else if (next) out.set(d.id, `replaced ${next.implant_date || formatDate(next.first_seen_us)}`);
    else out.set(d.id, 'current');
  });
  return out;
}
