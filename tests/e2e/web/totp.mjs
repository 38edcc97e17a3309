// TOTP (RFC 6238: HMAC-SHA1, 30 s steps, 6 digits) for the end-to-end tests, the way an
// authenticator app computes it. The server accepts one step either side of its own and each step
// only once per user, so `Authenticator.next()` hands out strictly increasing steps and waits for
// the clock when the next unused step would be outside the server's window.
import { createHmac } from 'node:crypto';

const STEP_S = 30;

export function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = text.replace(/[\s=-]/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    const v = alphabet.indexOf(ch);
    if (v < 0) throw new Error(`not base32: ${JSON.stringify(ch)}`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 4226 HOTP value of `counter`, `digits` decimal digits with leading zeros. */
export function hotp(secret, counter, digits = 6) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', secret).update(msg).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const bin = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
  return String(bin % 10 ** digits).padStart(digits, '0');
}

export function stepAt(ms) {
  return Math.floor(ms / 1000 / STEP_S);
}

/** One enrolled account's authenticator: single-use codes, oldest usable step first. */
export class Authenticator {
  constructor(base32Secret) {
    this.secret = base32Decode(base32Secret);
    this.lastStep = -1;
  }

  /** A code the server has not seen yet and will accept now (waits up to one step if needed). */
  async next() {
    for (;;) {
      const now = stepAt(Date.now());
      const step = Math.max(this.lastStep + 1, now);
      if (step <= now + 1) {
        this.lastStep = step;
        return hotp(this.secret, step);
      }
      const waitMs = (now + 1) * STEP_S * 1000 - Date.now() + 50;
      await new Promise((r) => setTimeout(r, Math.max(waitMs, 50)));
    }
  }
}
