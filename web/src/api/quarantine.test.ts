import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, discardReasonProblem, MAX_DISCARD_REASON, setCsrfToken } from './index';
import { bodyOf, fakeFetch, headersOf } from './testing';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
  setCsrfToken('');
});

const ENTRY = {
  id: 7,
  received_us: 1765000000000000,
  source: 'mllp 127.0.0.1',
  sender: 'CARELINK|MDT',
  code: 'malformed',
  reason: 'message has no OBR segment',
  segment: 'PID',
  field: 3,
  byte_offset: 87,
  bytes: 212,
  resolved_us: null,
  resolution: '',
  interrogation_id: null,
  adt_message_id: null,
};

describe('quarantine: the list', () => {
  it('asks for a state and a page size with a plain GET, leaving out an absent cursor', async () => {
    const answer = { items: [ENTRY], open: 1, next_before: null };
    const calls = fakeFetch([{ status: 200, body: answer }]);
    setCsrfToken('tok');
    await expect(api.quarantine({ state: 'open', limit: 50 })).resolves.toEqual(answer);
    expect(calls[0]!.url).toBe('/api/v1/admin/quarantine?state=open&limit=50');
    expect(calls[0]!.init.method).toBe('GET');
    expect(calls[0]!.init.body).toBeUndefined();
    expect(headersOf(calls[0]!)['X-CSRF-Token']).toBeUndefined();
  });

  it('pages with next_before as `before`, and sends nothing it was not given', async () => {
    const calls = fakeFetch([{ status: 200, body: { items: [], open: 0, next_before: null } }]);
    await api.quarantine({ state: 'all', limit: 50, before: 41 });
    await api.quarantine({ state: 'resolved', before: null });
    await api.quarantine();
    expect(calls.map((c) => c.url)).toEqual(['/api/v1/admin/quarantine?state=all&limit=50&before=41', '/api/v1/admin/quarantine?state=resolved', '/api/v1/admin/quarantine']);
  });

  it('asks for a step-up like every administration call (403 step_up_required)', async () => {
    fakeFetch([{ status: 403, body: { error: 'step_up_required', message: 'confirm your password', correlation_id: 'c9' } }]);
    await expect(api.quarantine({ state: 'open' })).rejects.toMatchObject({ status: 403, code: 'step_up_required', correlationId: 'c9' });
  });
});

describe('quarantine: one entry and its bytes', () => {
  it('reads an entry with its input as text', async () => {
    const detail = { ...ENTRY, raw: 'MSH|^~\\&|CARELINK|MDT\rPID|||<script>x</script>\r', raw_truncated: false };
    const calls = fakeFetch([{ status: 200, body: detail }]);
    await expect(api.quarantineEntry(7)).resolves.toEqual(detail);
    expect(calls[0]!.url).toBe('/api/v1/admin/quarantine/7');
    expect(calls[0]!.init.method).toBe('GET');
  });

  it('fetches the raw bytes with the session and answers them as a Blob, byte for byte', async () => {
    const bytes = new Uint8Array([0x4d, 0x53, 0x48, 0x7c, 0x0d, 0xc3, 0xa9, 0x00, 0xff]);
    const calls: { url: string; init: RequestInit }[] = [];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response(bytes, { status: 200, headers: { 'Content-Type': 'application/octet-stream', 'Content-Disposition': 'attachment; filename=quarantine-7.hl7' } });
    });
    const blob = await api.quarantineRaw(7);
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(bytes);
    expect(calls[0]!.url).toBe('/api/v1/admin/quarantine/7/raw');
    expect(calls[0]!.url).toBe(api.quarantineRawUrl(7));
    expect(calls[0]!.init.credentials).toBe('same-origin');
    expect(calls[0]!.init.method).toBe('GET');
  });

  it('turns a refused raw read into an ApiError (so a step-up can be asked), once', async () => {
    const calls = fakeFetch([{ status: 403, body: { error: 'step_up_required', message: 'confirm your password', correlation_id: 'c3' } }]);
    const err = await api.quarantineRaw(7).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 403, code: 'step_up_required', correlationId: 'c3' });
    const gone = fakeFetch([{ status: 404 }]);
    await expect(api.quarantineRaw(8)).rejects.toMatchObject({ status: 404, code: 'http_404' });
    expect(calls.length).toBe(1);
    expect(gone.length).toBe(1);
  });

  it('says the server cannot be reached when the fetch itself fails', async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(api.quarantineRaw(7)).rejects.toMatchObject({ status: 0, code: 'network' });
  });
});

describe('quarantine: re-process and discard', () => {
  it('re-processes one entry with a POST of {} and the CSRF token', async () => {
    const calls = fakeFetch([{ status: 200, body: { id: 7, outcome: 'quarantined', reason: 'message has no OBR segment' } }]);
    setCsrfToken('tok');
    await expect(api.reprocessQuarantined(7)).resolves.toEqual({ id: 7, outcome: 'quarantined', reason: 'message has no OBR segment' });
    expect(calls[0]!.url).toBe('/api/v1/admin/quarantine/7/reprocess');
    expect(calls[0]!.init.method).toBe('POST');
    expect(headersOf(calls[0]!)['X-CSRF-Token']).toBe('tok');
    expect(bodyOf(calls[0]!)).toEqual({});
  });

  it('reports an entry already resolved as 409 already_exists, and never retries a POST', async () => {
    vi.useFakeTimers();
    const calls = fakeFetch([{ status: 409, body: { error: 'already_exists', message: 'entry 7 is already resolved' } }]);
    const p = api.reprocessQuarantined(7).catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    expect(await p).toMatchObject({ status: 409, code: 'already_exists', message: 'entry 7 is already resolved' });
    const busy = fakeFetch([{ status: 503, body: { error: 'unavailable', message: 'busy' } }]);
    const q = api.reprocessAllQuarantined().catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    expect(await q).toMatchObject({ status: 503 });
    expect(calls.length).toBe(1);
    expect(busy.length).toBe(1);
  });

  it('re-processes every open entry and answers the counts', async () => {
    const summary = { reprocessed: 2, stored: 1, duplicate: 0, still_quarantined: 1, skipped: 0, results: [{ id: 7, outcome: 'quarantined', reason: 'x' }, { id: 8, outcome: 'stored', interrogation_id: 31 }] };
    const calls = fakeFetch([{ status: 200, body: summary }]);
    await expect(api.reprocessAllQuarantined()).resolves.toEqual(summary);
    expect(calls[0]!.url).toBe('/api/v1/admin/quarantine/reprocess');
    expect(calls[0]!.init.method).toBe('POST');
    expect(bodyOf(calls[0]!)).toEqual({});
  });

  it('discards with the reason, trimmed', async () => {
    const calls = fakeFetch([{ status: 200, body: { id: 7, resolution: 'discarded' } }]);
    setCsrfToken('tok');
    await expect(api.discardQuarantined(7, '  test file from the vendor  ')).resolves.toEqual({ id: 7, resolution: 'discarded' });
    expect(calls[0]!.url).toBe('/api/v1/admin/quarantine/7/discard');
    expect(headersOf(calls[0]!)['X-CSRF-Token']).toBe('tok');
    expect(bodyOf(calls[0]!)).toEqual({ reason: 'test file from the vendor' });
  });

  it('checks a discard reason before anything is sent: required, at most 500 bytes as the server counts', () => {
    expect(discardReasonProblem('')).toMatch(/Give a reason/);
    expect(discardReasonProblem('  \n ')).toMatch(/Give a reason/);
    expect(discardReasonProblem('duplicate test message')).toBeNull();
    expect(discardReasonProblem('x'.repeat(MAX_DISCARD_REASON))).toBeNull();
    expect(discardReasonProblem('x'.repeat(MAX_DISCARD_REASON + 1))).toMatch(/at most 500/);
    // The server counts bytes of UTF-8: 250 accented letters fit, 251 do not.
    expect(discardReasonProblem('é'.repeat(MAX_DISCARD_REASON / 2))).toBeNull();
    expect(discardReasonProblem('é'.repeat(MAX_DISCARD_REASON / 2 + 1))).toMatch(/at most 500/);
    // Surrounding blanks are not sent, so they do not count.
    expect(discardReasonProblem(`  ${'x'.repeat(MAX_DISCARD_REASON)}  `)).toBeNull();
  });
});
