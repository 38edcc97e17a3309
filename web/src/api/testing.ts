// A fake `fetch` for the API unit tests: answers from a list (the last one repeats) and records
// every call.
import { vi } from 'vitest';

export type Call = { url: string; init: RequestInit };
export type FakeAnswer = { status: number; body?: unknown; headers?: Record<string, string> };

export function fakeFetch(responses: FakeAnswer[]): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    const r = responses[Math.min(calls.length - 1, responses.length - 1)]!;
    return new Response(r.body === undefined ? '' : JSON.stringify(r.body), { status: r.status, headers: r.headers });
  });
  return calls;
}

export const headersOf = (c: Call) => c.init.headers as Record<string, string>;
export const bodyOf = (c: Call): unknown => JSON.parse(c.init.body as string);
