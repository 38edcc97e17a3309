// Shared pieces of the browser end-to-end test and the web benchmark: the heartbase binary (CLI
// and a real `heartbase serve` on OS-chosen loopback ports), Chromium through playwright-core,
// and a watch on every page for console errors, uncaught exceptions, CSP violations and failed
// HTTP answers. Failures the test provokes on purpose are declared beforehand with
// `watch.expectHttpError(method, path, status)`: exactly that answer and the console error
// Chromium prints for it are then accepted, once.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, '../../..');
export const CHROMIUM = process.env.HB_CHROMIUM ?? '/usr/bin/chromium';
/** The built-in extension that draws PDFs (fixed id across Chromium builds). */
const PDF_VIEWER_ID = 'mhjfbmdgcfjbbpaeojofohoefgiehjai';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** playwright-core is a devDependency of web/ (web/node_modules), not of this folder. */
export function loadPlaywright() {
  const require = createRequire(path.join(REPO, 'web', 'package.json'));
  return require('playwright-core');
}

export function runCli(binary, args, { input, check = 0, timeoutMs = 600_000 } = {}) {
  const p = spawnSync(binary, args, {
    input: input ?? '',
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 << 20,
    env: { ...process.env, ASAN_OPTIONS: process.env.ASAN_OPTIONS ?? 'detect_leaks=0' },
  });
  if (p.error) throw p.error;
  if (check !== null && p.status !== check) {
    throw new Error(`heartbase ${args.join(' ')} exited ${p.status} (expected ${check}): ${(p.stderr || '').slice(-2000)}`);
  }
  return p;
}

/** `heartbase serve` on 127.0.0.1 with OS-chosen ports; stderr goes to `logFile`. */
export async function startServer(binary, data, webRoot, logFile, extra = []) {
  const log = fs.openSync(logFile, 'a');
  // In sanitizer builds, freed memory waits in a quarantine and would look like growth.
  const env = { ...process.env, ASAN_OPTIONS: process.env.ASAN_OPTIONS ?? 'quarantine_size_mb=0:detect_leaks=0' };
  const proc = spawn(
    binary,
    ['serve', '--data', data, '--mllp-listen', '127.0.0.1:0', '--https-listen', '127.0.0.1:0', '--web-root', webRoot, ...extra],
    { stdio: ['ignore', 'pipe', log], env },
  );
  fs.closeSync(log);
  const port = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start in 120 s: ${out}`)), 120_000);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited ${code} before listening: ${out} ${tail(logFile)}`));
    });
    proc.stdout.on('data', (chunk) => {
      out += chunk.toString();
      const m = /listening https 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  proc.stdout.resume();
  return {
    proc,
    port,
    origin: `https://localhost:${port}`,
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      const done = new Promise((r) => proc.once('exit', (code, signal) => r(code ?? signal)));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 60_000);
      const code = await done;
      clearTimeout(t);
      return code;
    },
  };
}

export function tail(file, bytes = 3000) {
  try {
    const s = fs.readFileSync(file, 'utf8');
    return s.slice(-bytes);
  } catch {
    return '';
  }
}

export async function launchChromium() {
  const { chromium } = loadPlaywright();
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** A browser context as a clinic workstation: 1366×768, the self-signed certificate accepted. */
export async function newContext(browser) {
  return browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1366, height: 768 }, locale: 'en-GB', timezoneId: 'UTC' });
}

/**
 * Watches one page. `problems()` lists everything unexpected so far; `assertClean(label)` throws
 * if anything is listed or an expected failure did not happen.
 */
export async function watchPage(page, origin) {
  const events = [];
  const expected = [];
  const seenConsole = [];
  await page.exposeBinding('__hbCspViolation', (_source, v) => {
    events.push({ kind: 'csp', text: `${v.directive} blocked ${v.blocked} in ${v.source}:${v.line}` });
  });
  // Runs in every document before the application: records CSP violations as they are reported.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      // eslint-disable-next-line no-undef
      window.__hbCspViolation({ directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber });
    });
  });
  page.on('pageerror', (err) => events.push({ kind: 'pageerror', text: String(err && err.stack ? err.stack : err) }));
  page.on('crash', () => events.push({ kind: 'crash', text: 'the page crashed' }));
  page.on('console', (msg) => {
    if (msg.type() !== 'error' && msg.type() !== 'assert') return;
    const text = msg.text();
    const url = msg.location()?.url ?? '';
    // Chromium reports an HTTP error answer as "Failed to load resource: … status of 401 (…)".
    const m = /Failed to load resource: the server responded with a status of (\d{3})/.exec(text);
    if (m) {
      const e = expected.find((x) => !x.consoleSeen && x.status === Number(m[1]) && x.path.test(pathOf(url)));
      if (e) {
        e.consoleSeen = true;
        seenConsole.push(text);
        return;
      }
    }
    events.push({ kind: 'console', text: `${text}${url ? ` (${url})` : ''}` });
  });
  page.on('response', (res) => {
    if (res.status() < 400) return;
    const req = res.request();
    const e = expected.find((x) => !x.responseSeen && x.status === res.status() && x.method === req.method() && x.path.test(pathOf(res.url())));
    if (e) {
      e.responseSeen = true;
      return;
    }
    events.push({ kind: 'http', text: `${req.method()} ${res.url()} -> ${res.status()}` });
  });
  page.on('requestfailed', (req) => {
    const f = req.failure()?.errorText ?? '';
    // A navigation away from a page may abort its pending requests; nothing else should fail.
    if (f === 'net::ERR_ABORTED') return;
    events.push({ kind: 'requestfailed', text: `${req.method()} ${req.url()}: ${f}` });
  });
  page.on('request', (req) => {
    const u = new URL(req.url());
    if (u.protocol === 'data:' || u.protocol === 'blob:') return;
    // Chromium's own PDF viewer (a framed report) loads its code from the browser itself.
    if (u.protocol === 'chrome:' || (u.protocol === 'chrome-extension:' && u.host === PDF_VIEWER_ID)) return;
    if (u.origin !== origin) events.push({ kind: 'offsite', text: `request to ${req.url()}` });
  });
  // No patient data in the address: the application's routes carry opaque ids only.
  page.on('framenavigated', (frame) => {
    if (frame !== page.mainFrame()) return;
    const u = frame.url();
    if (u === 'about:blank') return;
    if (!/^https:\/\/localhost:\d+\/(#\/([a-z]+(\/\d+)?)?)?$/.test(u)) events.push({ kind: 'address', text: `unexpected address ${u}` });
  });
  return {
    events,
    expectHttpError(method, pathRe, status) {
      expected.push({ method, path: pathRe, status, responseSeen: false, consoleSeen: false });
    },
    problems() {
      return events.map((e) => `${e.kind}: ${e.text}`);
    },
    async assertClean(label) {
      // Console messages can arrive a moment after the answer that caused them.
      const deadline = Date.now() + 3000;
      while (expected.some((e) => !e.responseSeen || !e.consoleSeen) && Date.now() < deadline) {
        await page.waitForTimeout(100);
      }
      const missing = expected.filter((e) => !e.responseSeen || !e.consoleSeen);
      const p = this.problems();
      expected.length = 0;
      events.length = 0;
      if (missing.length) {
        p.push(...missing.map((e) => `expected failure did not happen: ${e.method} ${e.path} ${e.status} (answer ${e.responseSeen}, console ${e.consoleSeen})`));
      }
      if (p.length) throw new Error(`${label}: ${p.length} problem(s) in the page:\n  ${p.join('\n  ')}`);
    },
  };
}

function pathOf(url) {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}
