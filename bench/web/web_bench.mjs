// Time to interactive of the triage queue and of a patient chart, in Chromium against a real
// `heartbase serve`, and the size of the shipped JavaScript. Run by bench/web/run.
//
// "Interactive" (measured in the page, milliseconds from the navigation start, i.e.
// performance.now() relative to performance.timeOrigin of the document):
//   * triage queue (#/queue): the screen has finished loading — <main> no longer aria-busy, every
//     queue row of the first page (up to 200) in the DOM — and then two animation frames have run,
//     so the rows have been laid out and painted;
//   * patient chart (#/patient/ID): <main> no longer aria-busy, which the application clears only
//     after the demographics, the device table, the whole interrogation timeline and every trend
//     chart (uPlot canvases, one per chart with values) are built — and then two animation frames,
//     so uPlot's deferred draw and its resize to the column width have painted the canvases.
// A MutationObserver added before the application runs (page.addInitScript) watches for that state.
// Cold: a new browser context for every run (empty HTTP cache: HTML, JS, CSS and API all fetched),
// already signed in (session cookie; the tab's "signed in" flag in sessionStorage). Warm: reloads of
// one tab (content-hashed assets from the HTTP cache; the API answers are never cached).
// Usage: node web_bench.mjs HEARTBASE DIST DATA INFO_JSON RUNS WORKDIR
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { launchChromium, newContext, startServer, tail } from '../../tests/e2e/web/harness.mjs';

const [binary, dist, data, infoFile, runsArg, workdir] = process.argv.slice(2);
const runs = Number(runsArg);
const info = JSON.parse(fs.readFileSync(infoFile, 'utf8'));
const log = path.join(workdir, 'serve.log');

function median(v) {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

// ---- shipped JavaScript -----------------------------------------------------------------------
function sizes() {
  const rows = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(js|css|html)$/.test(e.name)) {
        const b = fs.readFileSync(p);
        rows.push({ file: path.relative(dist, p), raw: b.length, gzip: zlib.gzipSync(b, { level: 9 }).length });
      }
    }
  };
  walk(dist);
  const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8');
  for (const r of rows) r.initial = r.file === 'index.html' || html.includes(r.file.replace(/\\/g, '/'));
  return rows.sort((a, b) => a.file.localeCompare(b.file));
}

// ---- the page-side probe ----------------------------------------------------------------------
function probe() {
  const done = () => {
    const main = document.querySelector('main');
    if (!main || main.hasAttribute('aria-busy')) return false;
    const h = location.hash;
    if (h === '#/queue') return document.querySelector('[data-testid=queue-row]') !== null || document.querySelector('.empty') !== null;
    if (h.startsWith('#/patient/')) return document.querySelector('[data-testid=timeline]') !== null && document.querySelector('[data-testid=trend-canvas]') !== null;
    return false;
  };
  window.__hb = { ready: null, interactive: null };
  const obs = new MutationObserver(() => {
    if (window.__hb.ready !== null || !done()) return;
    window.__hb.ready = performance.now();
    obs.disconnect();
    requestAnimationFrame(() => requestAnimationFrame(() => (window.__hb.interactive = performance.now())));
  });
  obs.observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-busy'] });
  sessionStorage.setItem('hb.signed-in', '1');
}

async function measure(page, url, reload) {
  if (reload) await page.reload({ waitUntil: 'commit' });
  else await page.goto(url, { waitUntil: 'commit' });
  try {
    await page.waitForFunction(() => window.__hb && window.__hb.interactive !== null, null, { timeout: 120_000, polling: 50 });
  } catch (err) {
    const shot = path.join(workdir, `timeout-${Date.now()}.png`);
    await page.screenshot({ path: shot }).catch(() => {});
    const state = await page.evaluate(() => ({ url: location.href, hb: window.__hb, busy: document.querySelector('main')?.getAttribute('aria-busy'), h1: document.querySelector('h1')?.textContent })).catch((e) => String(e));
    throw new Error(`${url}: not interactive within 120 s: ${JSON.stringify(state)} (screenshot ${shot}; console: ${errors.slice(-3).join(' | ')})`, { cause: err });
  }
  return page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const res = performance.getEntriesByType('resource');
    const api = res.filter((r) => new URL(r.name).pathname.startsWith('/api/'));
    const js = res.filter((r) => r.name.endsWith('.js'));
    return {
      interactive: window.__hb.interactive,
      ready: window.__hb.ready,
      dcl: nav.domContentLoadedEventEnd,
      apiCalls: api.length,
      apiDone: api.length ? Math.max(...api.map((r) => r.responseEnd)) : 0,
      jsFiles: js.length,
      jsTransferred: js.reduce((n, r) => n + r.transferSize, 0),
      jsDecoded: js.reduce((n, r) => n + r.decodedBodySize, 0),
      rows: document.querySelectorAll('[data-testid=queue-row]').length,
      canvases: document.querySelectorAll('[data-testid=trend-canvas]').length,
      points: [...document.querySelectorAll('[data-testid=trend-canvas]')].reduce((n, c) => n + Number(c.getAttribute('data-points')), 0),
      timeline: document.querySelectorAll('[data-testid=timeline-item]').length,
    };
  });
}

const server = await startServer(binary, data, dist, log);
const browser = await launchChromium();
const errors = [];
try {
  // One sign-in; every context reuses its session cookie.
  const login = await newContext(browser);
  const r = await login.request.post(`${server.origin}/api/v1/auth/login`, {
    data: { name: 'bench', password: info.password },
    headers: { Origin: server.origin },
  });
  if (r.status() !== 200) throw new Error(`sign-in failed: ${r.status()} ${await r.text()}`);
  const found = await (await login.request.get(`${server.origin}/api/v1/patients?q=${info.chart_mrn}`)).json();
  const patientId = found.items[0].id;
  const queueTotal = (await (await login.request.get(`${server.origin}/api/v1/queue?limit=1000`)).json()).items.length;
  const state = await login.storageState();
  const urls = { queue: `${server.origin}/#/queue`, chart: `${server.origin}/#/patient/${patientId}` };

  const watch = (page) => {
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(String(e)));
  };
  const results = { queue: { cold: [], warm: [] }, chart: { cold: [], warm: [] } };
  // Cold, alternating queue and chart; a first unmeasured round warms the server and the disk cache.
  for (let i = -1; i < runs; i++) {
    for (const screen of ['queue', 'chart']) {
      const ctx = await newContext(browser);
      await ctx.addCookies(state.cookies);
      await ctx.addInitScript(probe);
      const page = await ctx.newPage();
      watch(page);
      const m = await measure(page, urls[screen], false);
      if (i >= 0) results[screen].cold.push(m);
      await ctx.close();
    }
  }
  // Warm: one tab per screen, reloaded.
  for (const screen of ['queue', 'chart']) {
    const ctx = await newContext(browser);
    await ctx.addCookies(state.cookies);
    await ctx.addInitScript(probe);
    const page = await ctx.newPage();
    watch(page);
    await measure(page, urls[screen], false);
    for (let i = 0; i < runs; i++) results[screen].warm.push(await measure(page, urls[screen], true));
    await ctx.close();
  }
  await login.close();

  // ---- report ------------------------------------------------------------------------------
  const q0 = results.queue.cold[0];
  const c0 = results.chart.cold[0];
  console.log(`== ${info.patients} patients, ${info.messages} interrogations over ${info.chart_first.slice(0, 4)}–${info.chart_last.slice(0, 4)}; ` +
    `history signed before ${info.cutoff}; queue ${queueTotal} items (${q0.rows} rows drawn, ${q0.apiCalls} API calls)`);
  console.log(`== chart: patient ${patientId}, ${info.chart_interrogations} interrogations ${info.chart_first} – ${info.chart_last}, ` +
    `${info.chart_devices} device(s); ${c0.timeline} timeline items, ${c0.canvases} trend charts, ${c0.points} points drawn, ${c0.apiCalls} API calls`);
  console.log(`== Chromium ${browser.version()} headless, 1366×768, --disable-gpu; server: release build, HTTPS on loopback; ${runs} runs each; ${(await import('node:os')).cpus().length} cores shared by server and browser\n`);
  const line = (cols) => console.log(cols.map((c, i) => (i === 0 ? String(c).padEnd(44) : String(c).padStart(10))).join(''));
  line(['time to interactive (ms from navigation)', 'median', 'min', 'max', 'DCL med', 'API done']);
  for (const screen of ['queue', 'chart']) {
    for (const kind of ['cold', 'warm']) {
      const v = results[screen][kind];
      const t = v.map((m) => m.interactive);
      line([`${screen === 'queue' ? 'triage queue' : 'patient chart (10 years)'}, ${kind}`, median(t).toFixed(0), Math.min(...t).toFixed(0), Math.max(...t).toFixed(0), median(v.map((m) => m.dcl)).toFixed(0), median(v.map((m) => m.apiDone)).toFixed(0)]);
    }
  }
  console.log('');
  const s = sizes();
  const sum = (rows, k) => rows.reduce((n, r) => n + r[k], 0);
  const kb = (b) => (b / 1024).toFixed(1);
  line(['shipped files (web/dist)', 'raw KiB', 'gzip KiB', 'initial']);
  for (const f of s) line([f.file, kb(f.raw), kb(f.gzip), f.initial ? 'yes' : 'lazy']);
  const js = s.filter((f) => f.file.endsWith('.js'));
  line(['all JavaScript', kb(sum(js, 'raw')), kb(sum(js, 'gzip')), '']);
  line(['JavaScript loaded before any screen', kb(sum(js.filter((f) => f.initial), 'raw')), kb(sum(js.filter((f) => f.initial), 'gzip')), '']);
  line(['JS transferred, queue cold (wire bytes)', kb(q0.jsTransferred), '', `${q0.jsFiles} files`]);
  line(['JS transferred, chart cold (wire bytes)', kb(c0.jsTransferred), '', `${c0.jsFiles} files`]);
  console.log('(heartbase serve sends files uncompressed: the wire bytes are the raw sizes plus headers)');
  if (errors.length) console.log(`\nconsole errors during the runs (${errors.length}): ${[...new Set(errors)].slice(0, 5).join(' | ')}`);
  fs.writeFileSync(path.join(workdir, 'web_bench.json'), JSON.stringify({ info: { ...info, password: undefined }, results, sizes: s }, null, 1));
} finally {
  await browser.close();
  const code = await server.stop();
  if (code !== 0) console.error(`server exited ${code}: ${tail(log)}`);
}
