// The one request core every resource module uses: base path, session cookie, X-CSRF-Token on
// state-changing calls, JSON in and out, errors as ApiError, a brief retry of GETs on 503, and
// the time of the last answered call (it feeds the idle-session warning).

/** One page of a keyset-paginated list. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly correlationId: string | null,
    readonly retryAfterS: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const BASE = '/api/v1';
let csrfToken = '';
let lastCallMs = Date.now();
let onSessionLost: (() => void) | null = null;

/** The CSRF token of the current session (from login or /auth/me); kept in memory only. */
export function setCsrfToken(t: string): void {
  csrfToken = t;
}

/** Time of the last answered API call: the server's idle clock restarts with each. */
export function lastApiCallMs(): number {
  return lastCallMs;
}

/** Called when the server says the session is gone (401 unauthenticated) during use. */
export function setSessionLostHandler(fn: (() => void) | null): void {
  onSessionLost = fn;
}

function query(params?: Record<string, string | number | boolean | null | undefined>): string {
  if (!params) return '';
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
const RETRY_DELAYS_MS = [200, 600];

/** GETs are retried briefly on 503 (the server sheds load or hits a busy database); POSTs never. */
export async function request<T>(method: Method, path: string, body?: unknown): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await requestOnce<T>(method, path, body);
    } catch (err) {
      const delay = RETRY_DELAYS_MS[attempt];
      if (method !== 'GET' || !(err instanceof ApiError) || err.status !== 503 || delay === undefined) throw err;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** One call. `answers`: error statuses whose JSON body is the answer (returned, not thrown). */
async function requestOnce<T>(method: Method, path: string, body?: unknown, answers: readonly number[] = []): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (method !== 'GET') {
    if (method === 'POST' || method === 'PUT') headers['Content-Type'] = 'application/json';
    if (csrfToken) headers['X-CSRF-Token'] = csrfToken;
  }
  let res: Response;
  try {
    res = await fetch(BASE + path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      body: body === undefined ? (method === 'POST' ? '{}' : undefined) : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'The server cannot be reached. Check the connection and try again.', null);
  }
  lastCallMs = Date.now();
  const text = await res.text();
  let json: unknown = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  if (!res.ok && !answers.includes(res.status)) {
    const e = (json ?? {}) as { error?: string; message?: string; correlation_id?: string };
    const retry = res.headers.get('Retry-After');
    const err = new ApiError(
      res.status,
      e.error ?? `http_${res.status}`,
      e.message ?? `The server answered ${res.status}.`,
      e.correlation_id ?? res.headers.get('X-Correlation-Id'),
      retry !== null && /^\d+$/.test(retry) ? Number(retry) : null,
    );
    if (res.status === 401 && err.code === 'unauthenticated' && onSessionLost) onSessionLost();
    throw err;
  }
  return json as T;
}

export const get = <T>(path: string, params?: Record<string, string | number | boolean | null | undefined>) =>
  request<T>('GET', path + query(params));
export const post = <T>(path: string, body?: unknown) => request<T>('POST', path, body);
export const put = <T>(path: string, body: unknown) => request<T>('PUT', path, body);
export const del = <T>(path: string) => request<T>('DELETE', path);
/** A GET tried once, for probes whose error statuses are answers (readiness: 503 `degraded`). */
export const probe = <T>(path: string, answers: readonly number[]) => requestOnce<T>('GET', path, undefined, answers);
