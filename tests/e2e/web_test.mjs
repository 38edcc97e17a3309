#!/usr/bin/env node
// End-to-end test of the web application: playwright-core drives Debian's Chromium against a real
// `heartbase serve` (HTTPS with the self-signed certificate of `heartbase init`, OS-chosen
// loopback ports, --web-root web/dist) on a small generated demo clinic.
//
// Steps, each with assertions that can fail: first-administrator set-up with the bootstrap token
// and TOTP enrolment, administration behind a step-up; a physician enrols TOTP and signs in with
// it; the triage queue (rows, order, assignment, "assigned to me"); an interrogation showing
// values known from the generator's facts.jsonl; the patient chart whose trend charts drew as
// many points as the API stores; the patient list and search; sign-off re-asking for password and
// TOTP (after a deliberately wrong password); the interrogation leaves the queue and is locked;
// the signed result, refused for the EHR, on the "Results not delivered" work list and sent again
// with a reason; the follow-up work list (the demo clinic's due and overdue follow-ups, counts per
// status) opens a patient's chart on its "Follow-up plan"; sign-out; a physician of another
// clinic sees nothing of the patient (nor of its result); the auditor finds each step in the
// audit trail; the administrator reads the Database and Feeds panels (a quarantined
// file from the drop folder) and moves the patient of an interrogation in the unassigned pool (a
// sender mapped to no clinic) to clinic 1, where a device clinician finds it unmatched; the
// Database panel of a damaged server (its answers played to the browser) says why and what to do;
// a biller lands on the Charges screen (no triage queue), closes periods once the physician has
// accepted the queued patients and signed a review in a closed period (the counts shown are the
// API's; a second close writes nothing), sees CPT codes and no measurement, exports the waiting
// charges as CSV (the batch, its link and its file: one line per charge) and reads why each
// missed charge was missed. The administrator's quarantine console (reached from the Feeds
// panel) lists the refused file and an ORU without OBR that holds markup: its raw text is shown
// as characters (no element, no script run), downloaded byte for byte, re-processed (still
// refused, with today's reason), the other discarded only with a reason, "re-process all" sums up,
// and the auditor finds each read and action in the trail (this step runs before the biller's).
// Every page must stay free of console errors, uncaught exceptions, CSP violations, unexpected
// HTTP errors and requests to other origins; the only failures accepted are the ones a step
// provokes on purpose, declared before it provokes them.
//
// Usage: node web_test.mjs HEARTBASE_BINARY WEB_DIST [ARTIFACT_DIR]   (run by ctest as e2e_web)
// ARTIFACT_DIR (or $HB_WEB_ARTIFACTS) receives a screenshot of every screen. Exit 77 (skipped)
// when Chromium is not installed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Authenticator } from './web/totp.mjs';
import { CHROMIUM, launchChromium, newContext, runCli, startServer, tail, watchPage } from './web/harness.mjs';

const [binary, webRoot, artifactArg] = process.argv.slice(2);
if (!binary || !webRoot) {
  console.error('usage: web_test.mjs HEARTBASE_BINARY WEB_DIST [ARTIFACT_DIR]');
  process.exit(2);
}
if (!fs.existsSync(CHROMIUM)) {
  console.log(`e2e_web: skipped: ${CHROMIUM} is not installed (scripts/setup installs chromium)`);
  process.exit(77);
}
if (!fs.existsSync(path.join(webRoot, 'index.html'))) {
  console.error(`e2e_web: ${webRoot}/index.html is missing: build the web target first (cmake --build)`);
  process.exit(1);
}
const artifacts = path.resolve(process.env.HB_WEB_ARTIFACTS ?? artifactArg ?? 'artifacts/web');
fs.mkdirSync(artifacts, { recursive: true });
for (const f of fs.readdirSync(artifacts)) if (f.endsWith('.png')) fs.rmSync(path.join(artifacts, f)); // this run's only

// ---- the data set ----------------------------------------------------------------------------

const PASSWORDS = {
  admin: 'quarry lantern mosaic thimble',
  phys: 'copper heron drizzle atlas',
  audit: 'velvet canyon pillow tundra',
  other: 'saffron meadow pivot glacier',
  biller: 'ledger walnut sparrow harbour',
};
const OTHER_CLINIC = 'Northside device clinic';
const EHR = 'e2e-ehr';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-web-e2e-'));
const data = path.join(tmp, 'data');
const gen = path.join(tmp, 'gen');
const serverLog = path.join(tmp, 'serve.log');
// The drop folder (serve --watch) with no --feed: what lands here goes to the unassigned pool.
const drop = path.join(tmp, 'drop');

const results = [];
let failed = false;
let server = null;
let browser = null;

let setupFailed = false;
async function step(name, fn) {
  if (setupFailed) {
    results.push({ name, status: 'not run', ms: 0 });
    return;
  }
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, status: 'pass', ms: Date.now() - t0 });
    console.log(`ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (err) {
    failed = true;
    if (results.length === 0) setupFailed = true;
    results.push({ name, status: 'FAIL', ms: Date.now() - t0, error: err });
    console.log(`FAIL ${name}\n     ${String(err && err.stack ? err.stack : err).split('\n').join('\n     ')}`);
    for (const p of openPages) {
      try {
        await p.page.screenshot({ path: path.join(artifacts, `FAILED-${p.label}.png`), fullPage: true });
      } catch {
        /* the page may be gone */
      }
    }
  }
}

/** A step that builds on an earlier one says so when that one failed. */
function needs(cond, what) {
  if (!cond) throw new Error(`not run: needs ${what} (an earlier step failed)`);
}

function check(cond, message) {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}

function equal(actual, expected, message) {
  if (actual !== expected) throw new Error(`${message}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

const openPages = [];
let shotNo = 0;
async function shot(page, name, fullPage = true) {
  shotNo += 1;
  const file = path.join(artifacts, `${String(shotNo).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}

async function openPage(label) {
  const context = await newContext(browser);
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const watch = await watchPage(page, server.origin);
  openPages.push({ label, page });
  return { context, page, watch };
}

/** GET through the page's own session (the browser context's cookies). */
async function apiGet(page, p, expectStatus = 200) {
  const r = await page.context().request.get(`${server.origin}${p}`);
  equal(r.status(), expectStatus, `GET ${p} status`);
  return expectStatus === 200 ? r.json() : null;
}

async function apiPost(page, p, body, expectStatus) {
  const me = await apiGet(page, '/api/v1/auth/me');
  const r = await page.context().request.post(`${server.origin}${p}`, {
    data: body,
    headers: { 'X-CSRF-Token': me.csrf_token, Origin: server.origin },
  });
  equal(r.status(), expectStatus, `POST ${p} status (${await r.text()})`);
  return r;
}

const tid = (page, id) => page.getByTestId(id);

async function signIn(page, name, password, auth) {
  await tid(page, 'login-name').fill(name);
  await tid(page, 'login-password').fill(password);
  if (auth) {
    await tid(page, 'login-totp').waitFor({ state: 'visible' });
    await tid(page, 'login-totp').fill(await auth.next());
  }
  await tid(page, 'login-submit').click();
}

/** First sign-in of an account that must enrol TOTP: enrol through the UI, sign in with a code. */
async function enrolAndSignIn(page, name, password, screenshotName) {
  await signIn(page, name, password, null);
  await tid(page, 'mfa-password').fill(password);  // enrolment asks for the password again
  await tid(page, 'mfa-start').click();
  const secret = (await tid(page, 'mfa-secret').textContent()).trim();
  const uri = (await tid(page, 'mfa-uri').textContent()).trim();
  check(/^[A-Z2-7]{16,}=*$/.test(secret), `the TOTP secret is base32 (${secret.length} characters)`);
  check(uri.startsWith('otpauth://totp/') && uri.includes(`secret=${secret}`), 'the otpauth URI carries the secret');
  if (screenshotName) await shot(page, screenshotName);
  const auth = new Authenticator(secret);
  await tid(page, 'mfa-code').fill(await auth.next());
  await tid(page, 'mfa-confirm').click();
  // Back at the sign-in page, which now asks for the code at once.
  await tid(page, 'login-totp').waitFor({ state: 'visible' });
  await signIn(page, name, password, auth);
  return auth;
}

function factsTime(s) {
  // facts.session_time is the text of the message: with an offset, or local time without one
  // (taken as UTC here; the cut-off below keeps two days away from every session).
  return Date.parse(/[+-]\d\d:\d\d$|Z$/.test(s) ? s : `${s}Z`);
}

function isoDay(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

// ---- run -----------------------------------------------------------------------------------

const DAY = 86_400_000;
let facts = [];
let cutoff = '';
let queued = [];
let target = null; // the queued session the physician works on
let patientFacts = [];
let patientId = 0;
let interrogationId = 0;
let queueCount = 0;
let physAuth = null;
let attachmentPaths = [];
let otherClinic = 0;
let adminAuth = null;

try {
  await step('set-up: init, generate 12 patients × 3 years, import with history, serve', async () => {
    const init = runCli(binary, ['init', '--data', data]);
    const token = /hbb_[a-z0-9]+/.exec(init.stdout + init.stderr);
    check(token, 'init prints a bootstrap token');
    process.env.HB_E2E_BOOTSTRAP = token[0];
    runCli(binary, ['demo-data', 'generate', '--patients', '12', '--years', '3', '--seed', '1', '--pdf', '--out', gen]);
    facts = fs
      .readFileSync(path.join(gen, 'facts.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    check(facts.length > 50, `facts.jsonl lists the messages (${facts.length})`);
    // Sessions before the cut-off were signed in a "previous system": only recent ones are queued.
    const times = facts.map((f) => factsTime(f.session_time)).sort((a, b) => a - b);
    let c = Date.parse(`${isoDay(times[times.length - 1] - 60 * DAY)}T00:00:00Z`);
    while (times.some((t) => Math.abs(t - c) < 2 * DAY)) c -= DAY;
    cutoff = isoDay(c);
    queued = facts.filter((f) => factsTime(f.session_time) >= c);
    check(queued.length >= 3, `at least three sessions after ${cutoff} (${queued.length})`);
    const dirs = fs
      .readdirSync(gen, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => path.join(gen, d.name));
    const imp = runCli(binary, ['import', '--data', data, ...dirs, '--history-before', cutoff]);
    check(/ 0 quarantined, 0 failed/.test(imp.stdout), `import stored everything: ${imp.stdout.trim()}`);
    const signed = /(\d+) earlier interrogations marked as signed/.exec(imp.stdout);
    check(signed, `import reports the history it signed: ${imp.stdout.trim()}`);
    equal(Number(signed[1]), facts.length - queued.length, `interrogations signed as history before ${cutoff}`);


    // The physician's patient: one queued session with battery and RV lead values, preferably a
    // patient whose device was replaced (the trend charts then cross a device change).
    const perPatient = new Map();
    for (const f of facts) perPatient.set(f.patient, [...(perPatient.get(f.patient) ?? []), f]);
    const candidates = queued.filter((f) => f.battery_voltage !== null && f.rv_impedance !== null && queued.filter((q) => q.patient === f.patient).length === 1);
    check(candidates.length > 0, 'a queued session with battery and RV lead values');
    const serials = (p) => new Set(perPatient.get(p).map((f) => f.device_serial)).size;
    candidates.sort((a, b) => serials(b.patient) - serials(a.patient) || perPatient.get(b.patient).length - perPatient.get(a.patient).length);
    target = candidates[0];
    patientFacts = perPatient.get(target.patient);
    console.log(`     ${facts.length} messages, ${queued.length} queued after ${cutoff}; target patient ${target.patient} (${target.manufacturer} ${target.device_type}, ${patientFacts.length} sessions, ${serials(target.patient)} device(s))`);

    // The hospital's update (ADT A08) of an MRN nobody registered: an unconfirmed patient of clinic 1.
    const adt = path.join(tmp, 'adt-a08.hl7');
    fs.writeFileSync(adt, 'MSH|^~\\&|EPIC|HOSP|HEARTBASE|CLINIC|20260301090000+0000||ADT^A08^ADT_A01|E2E-U1|P|2.5.1\r' +
      'EVN|A08|20260301090000\rPID|||E2E-ADT-1^^^HOSP^MR||Okafor^Chidi||19590214|M\r');
    const adtImport = runCli(binary, ['import', '--data', data, adt]);
    check(/1 stored/.test(adtImport.stdout), `the ADT update was applied: ${adtImport.stdout.trim()}`);

    // One message of a patient the clinic does not know, and one file that is not HL7 at all.
    const pool = path.join(tmp, 'gen-pool');
    runCli(binary, ['demo-data', 'generate', '--patients', '1', '--years', '1', '--seed', '7', '--out', pool]);
    const poolMessages = fs.readdirSync(pool, { recursive: true }).filter((f) => f.endsWith('.hl7')).sort();
    check(poolMessages.length > 0, 'the second generator wrote messages');
    fs.mkdirSync(drop);
    fs.copyFileSync(path.join(pool, poolMessages[poolMessages.length - 1]), path.join(drop, 'pool.hl7'));
    fs.writeFileSync(path.join(drop, 'not-hl7.hl7'), 'this is not an HL7 message\r');

    // An EHR destination of an assigning authority no generated patient has: every signed result
    // is refused before any connection (dead at once, with heartbase's own text), which puts a
    // row on the results work list without a receiver. Port 9: nothing listens, nothing is sent.
    server = await startServer(binary, data, webRoot, serverLog, ['--watch', drop, '--watch-interval-ms', '200', '--first-scan-s', '20', '--ehr-destination', `name=${EHR},host=127.0.0.1,port=9,authority=E2E-NO-SUCH-AUTHORITY`]);
    browser = await launchChromium();
  });

  await step('first administrator: set-up with the bootstrap token, TOTP enrolment, administration', async () => {
    const { context, page, watch } = await openPage('admin');
    await page.goto(`${server.origin}/`);
    // A fresh installation goes straight to creating the first administrator.
    await tid(page, 'setup-token').waitFor();
    equal(new URL(page.url()).hash, '#/setup', 'address of the set-up page');
    await shot(page, 'setup');
    await tid(page, 'setup-token').fill(process.env.HB_E2E_BOOTSTRAP);
    await tid(page, 'setup-name').fill('admin');
    await tid(page, 'setup-password').fill(PASSWORDS.admin);
    await tid(page, 'setup-password2').fill(PASSWORDS.admin);
    await tid(page, 'setup-submit').click();
    await tid(page, 'login-password').waitFor();
    // The first account had to be the administrator; the others are made on the server's
    // command line, as an installer would (the server keeps running).
    const clinic = runCli(binary, ['clinic', 'add', '--data', data, '--name', OTHER_CLINIC]);
    otherClinic = Number(clinic.stdout.trim());
    check(otherClinic > 1, `clinic add prints the new clinic's id (${clinic.stdout.trim()})`);
    runCli(binary, ['clinic', 'add', '--data', data, '--name', OTHER_CLINIC], { check: 1 }); // names are unique
    runCli(binary, ['user', 'add', '--data', data, '--name', 'phys', '--display-name', 'Dr Phys', '--role', 'physician', '--mfa-required'], { input: `${PASSWORDS.phys}\n` });
    runCli(binary, ['user', 'add', '--data', data, '--name', 'audit', '--role', 'auditor'], { input: `${PASSWORDS.audit}\n` });
    runCli(binary, ['user', 'add', '--data', data, '--name', 'other', '--role', 'physician', '--clinic', String(otherClinic)], { input: `${PASSWORDS.other}\n` });
    // One notification waiting (heartbase notify is not running): administration shows it.
    runCli(binary, ['outbox', 'enqueue-test', '--data', data, '--to', 'oncall@clinic.example']);
    equal(await tid(page, 'login-name').inputValue(), 'admin', 'sign-in page prefilled with the new administrator');
    // Administrators always need TOTP: the first sign-in goes to enrolment.
    adminAuth = await enrolAndSignIn(page, 'admin', PASSWORDS.admin, 'mfa-enrolment');
    // Administration needs a re-authentication no older than five minutes; signing in with
    // password and code is one, so no step-up dialog is expected here.
    await page.getByRole('heading', { name: 'Administration' }).waitFor();
    equal(new URL(page.url()).hash, '#/admin', 'an administrator lands on administration');
    await page.locator('[data-testid=user-row]').nth(3).waitFor();
    const users = await page.locator('[data-testid=user-row] td:first-child').allTextContents();
    equal(users.slice().sort().join(','), 'admin,audit,other,phys', 'user rows');
    const clinics = await page.locator('[data-testid=clinic-row]').allTextContents();
    equal(clinics.length, 2, 'clinic rows');
    check(clinics.some((c) => c.includes(OTHER_CLINIC)), `the clinic made with "heartbase clinic add" is listed (${clinics.join(' | ')})`);
    const outbox = await tid(page, 'outbox-counts').textContent();
    check(/Waiting\s*1(?!\d)/.test(outbox) && /Failed for good\s*0(?!\d)/.test(outbox), `the notification queue shows one job waiting (${outbox})`);
    check((await page.locator('[data-testid=outbox-alarm]').count()) === 0, 'no notification alarm for a fresh job');
    await shot(page, 'admin');
    await tid(page, 'logout').click();
    await tid(page, 'login-name').waitFor();
    await watch.assertClean('administrator');
    await context.close();
  });

  let phys = null;
  await step('physician: signs in, enrols TOTP, signs in again with a code', async () => {
    phys = await openPage('physician');
    const { page, watch } = phys;
    await page.goto(`${server.origin}/`);
    await tid(page, 'login-name').waitFor();
    await shot(page, 'login');
    physAuth = await enrolAndSignIn(page, 'phys', PASSWORDS.phys, null);
    await page.getByRole('heading', { name: 'Triage queue' }).waitFor();
    equal(new URL(page.url()).hash, '#/queue', 'a physician lands on the triage queue');
    const me = await apiGet(page, '/api/v1/auth/me');
    equal(me.role, 'physician', 'role of the session');
    equal(me.mfa_enrollment_required ?? false, false, 'the session is a full one');
    check((await tid(page, 'current-user').textContent()).includes('phys'), 'the header names the user');
    // From now on the password alone is not enough, even from loopback.
    const bare = await browser.newContext({ ignoreHTTPSErrors: true });
    const r = await bare.request.post(`${server.origin}/api/v1/auth/login`, { data: { name: 'phys', password: PASSWORDS.phys }, headers: { Origin: server.origin } });
    equal(r.status(), 401, 'sign-in without the code');
    equal((await r.json()).error, 'mfa_required', 'refusal code');
    await bare.close();
    await watch.assertClean('physician sign-in');
  });

  await step('triage queue: rows, order, assign to me, "assigned to me" filter', async () => {
    needs(phys, 'the physician signed in');
    const { page, watch } = phys;
    const rows = page.locator('[data-testid=queue-row]');
    await rows.first().waitFor();
    queueCount = await rows.count();
    const apiQueue = await apiGet(page, '/api/v1/queue?limit=1000');
    equal(apiQueue.items.length, queued.length, `queue length from the API = sessions after ${cutoff} in facts.jsonl`);
    equal(queueCount, queued.length, 'queue rows on screen');
    const rank = { red: 0, yellow: 1, info: 2, none: 3 };
    const sev = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-severity')));
    check(sev.every((s) => s in rank), `severities are red/yellow/info/none (${sev.join(',')})`);
    check(sev.every((s, i) => i === 0 || rank[sev[i - 1]] <= rank[s]), `most severe first (${sev.join(',')})`);
    // Find the target session's interrogation through the API (same session as the page).
    const found = await apiGet(page, `/api/v1/patients?q=${encodeURIComponent(target.mrn)}`);
    equal(found.items.length, 1, `patients matching ${target.mrn}`);
    patientId = found.items[0].id;
    // Alerts from the generated values: a queued session with AT/AF burden well above the 10 %
    // threshold must not sit in the queue without an alert.
    for (const f of queued.filter((q) => q.at_burden !== null && q.at_burden >= 15)) {
      const pid = (await apiGet(page, `/api/v1/patients?q=${encodeURIComponent(f.mrn)}`)).items[0]?.id;
      const item = apiQueue.items.find((i) => i.patient_id === pid);
      check(item && (item.severity === 'red' || item.severity === 'yellow'), `AT/AF burden ${f.at_burden} % (${f.mrn}) raises an alert: ${JSON.stringify(item && { severity: item.severity, reasons: item.reasons })}`);
      const tr = page.locator(`[data-testid=queue-row][data-interrogation-id="${item.interrogation_id}"]`);
      equal(await tr.getAttribute('data-severity'), item.severity, 'severity shown in the row');
      check((await tr.textContent()).includes('AT/AF burden'), 'the row says why');
    }
    const mine = apiQueue.items.filter((i) => i.patient_id === patientId);
    equal(mine.length, 1, 'queue items of the target patient');
    interrogationId = mine[0].interrogation_id;
    const row = page.locator(`[data-testid=queue-row][data-interrogation-id="${interrogationId}"]`);
    await row.waitFor();
    const answer = page.waitForResponse((r) => r.url().endsWith(`/api/v1/interrogations/${interrogationId}/assign`));
    await row.getByTestId('queue-assign').click();
    const assignBody = await (await answer).json();
    // The row must show the assignment at once (checked now, reported after the server checks).
    let rowError = null;
    try {
      await row.getByTestId('queue-assign').filter({ hasText: 'Unassign' }).waitFor({ timeout: 5000 });
      equal((await row.locator('td[data-col=assigned]').textContent()).trim(), 'phys', 'assigned column');
    } catch (err) {
      rowError = `after "Assign to me" the row does not show the assignment (button "${(await row.getByTestId('queue-assign').textContent()).trim()}", assigned column "${(await row.locator('td[data-col=assigned]').textContent()).trim()}"); the server answered ${JSON.stringify(assignBody)}`;
    }
    await shot(page, 'queue');
    await tid(page, 'filter-assigned-me').check();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=queue-row]').length === 1);
    equal(await page.locator('[data-testid=queue-row]').first().getAttribute('data-interrogation-id'), String(interrogationId), 'the only row assigned to me');
    const assigned = await apiGet(page, '/api/v1/queue?assigned=me');
    equal(assigned.items.map((i) => i.interrogation_id).join(','), String(interrogationId), 'API queue assigned=me');
    await tid(page, 'filter-assigned-me').uncheck();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=queue-row]').length === n, queueCount);
    equal((await row.locator('td[data-col=assigned]').textContent()).trim(), 'phys', 'assigned column after reloading the queue');
    await watch.assertClean('queue');
    if (rowError) throw new Error(rowError);
  });

  await step('interrogation: values known from the generated data, review note', async () => {
    needs(phys && interrogationId, 'the queue step');
    const { page, watch } = phys;
    await page.locator(`[data-testid=queue-row][data-interrogation-id="${interrogationId}"] [data-testid=queue-open]`).click();
    const voltage = tid(page, 'value-MDC_IDC_MSMT_BATTERY_VOLTAGE');
    await voltage.waitFor();
    equal(new URL(page.url()).hash, `#/interrogation/${interrogationId}`, 'address of the interrogation');
    equal(Number(await voltage.getAttribute('data-value')), target.battery_voltage, 'battery voltage (facts.jsonl)');
    check((await voltage.textContent()).includes(String(target.battery_voltage)), 'the voltage is shown');
    const rv = tid(page, 'value-MDC_IDC_MSMT_LEADCHNL_RV_IMPEDANCE_VALUE');
    equal(Number(await rv.getAttribute('data-value')), target.rv_impedance, 'RV lead impedance (facts.jsonl)');
    if (target.battery_longevity_months !== null) {
      equal(Number(await tid(page, 'value-MDC_IDC_MSMT_BATTERY_REMAINING_LONGEVITY').getAttribute('data-value')), target.battery_longevity_months, 'remaining longevity (facts.jsonl)');
    }
    const summary = await tid(page, 'device-summary').textContent();
    check(summary.includes(target.device_serial), `the device summary shows serial ${target.device_serial}`);
    check(summary.includes(target.device_model), `the device summary shows model ${target.device_model}`);
    equal((await tid(page, 'review-state').first().textContent()).trim(), 'Not reviewed', 'review state');
    check((await tid(page, 'previous-session').textContent()).trim() !== 'no earlier interrogation', 'compared with the previous interrogation');
    await tid(page, 'review-note').fill('E2E: battery and RV lead within expected ranges.');
    await tid(page, 'review-button').click();
    await page.locator('[data-testid=review-state]', { hasText: /^Reviewed$/ }).first().waitFor();
    await page.locator('[data-testid=review-notes] li').first().waitFor();
    await shot(page, 'interrogation');
    await watch.assertClean('interrogation');
  });

  await step("interrogation: the manufacturer's PDF report and attachments", async () => {
    needs(phys && interrogationId, 'the queue step');
    const { page, watch } = phys;
    check(target.pdf, 'the target session carries a PDF report (facts.jsonl "pdf")');
    const links = page.locator('[data-testid=attachment-link]');
    await links.first().waitFor();
    // Every linked attachment (the report and any EGM strips) is served, as a PDF shown inline.
    attachmentPaths = [...new Set(await links.evaluateAll((as) => as.map((a) => a.getAttribute('href'))))];
    const served = [];
    for (const href of attachmentPaths) {
      check(/^\/api\/v1\/interrogations\/\d+\/attachments\/\d+$/.test(href), `attachment address carries ids only (${href})`);
      const r = await page.context().request.get(`${server.origin}${href}`);
      const body = await r.body();
      served.push(`${href} -> ${r.status()} ${r.headers()['content-type'] ?? ''} ${body.subarray(0, 5).toString() === '%PDF-' ? 'PDF' : `${body.length} bytes`}`);
    }
    await watch.assertClean('attachments');
    const labels = (await links.allTextContents()).map((t) => t.trim());
    const problems = [];
    if (!served.every((x) => / -> 200 application\/pdf PDF$/.test(x))) problems.push(`attachments served: ${served.join('; ')}`);
    if (!labels.every((t) => !/undefined|null|NaN/.test(t))) problems.push(`attachment labels are not readable: ${JSON.stringify(labels)}`);
    if (!labels.some((t) => t.startsWith("Manufacturer's report"))) problems.push(`no "Manufacturer's report" link: ${JSON.stringify(labels)}`);
    check(problems.length === 0, problems.join('\n     '));
  });

  await step('interrogation: the follow-up report (a draft) opens in a frame on request; download, print; no sending', async () => {
    needs(phys && interrogationId, 'the queue step');
    const { page, watch } = phys;
    const reportPath = `/api/v1/interrogations/${interrogationId}/report`;
    // Requests as the page sees them (Chromium's PDF viewer re-requests the framed address from
    // its own copy, which never reaches the server; the auditor step counts what did).
    const reportRequests = [];
    const onRequest = (r) => new URL(r.url()).pathname === reportPath && reportRequests.push(r.url());
    page.on('request', onRequest);
    try {
      await tid(page, 'report-panel').waitFor();
      equal((await tid(page, 'report-state').textContent()).trim(), 'Draft — not signed', 'report badge before sign-off');
      // Each fetch of the report is an audited view: nothing is fetched before the user asks.
      equal(await page.locator('[data-testid=report-frame]').count(), 0, 'report frames before "Show report"');
      check(await tid(page, 'report-send').isDisabled(), 'Send report… is disabled for an unsigned interrogation');
      await tid(page, 'report-paper').selectOption('letter');
      equal(await tid(page, 'report-download').getAttribute('href'), `${reportPath}?page=letter&download=1`, 'Download PDF link');
      check(await tid(page, 'report-print').isVisible(), 'the Print button is shown');
      equal(reportRequests.length, 0, 'report requests before "Show report"');
      const answer = page.waitForResponse((r) => new URL(r.url()).pathname === reportPath);
      await tid(page, 'report-open').click();
      const res = await answer;
      equal(await tid(page, 'report-frame').getAttribute('src'), `${reportPath}?page=letter`, 'the frame shows the report route (ids only)');
      equal(res.status(), 200, 'report status');
      equal(res.headers()['content-type'], 'application/pdf', 'report content type');
      equal(res.headers()['x-report-state'], 'draft', 'X-Report-State');
      // Chromium hands a framed PDF to its viewer, so the body is read in the page with the
      // session's cookie (one more audited view) rather than from the frame's navigation.
      const head = await page.evaluate(async (u) => {
        const r = await fetch(u, { credentials: 'same-origin' });
        const bytes = new Uint8Array(await r.arrayBuffer());
        return { type: r.headers.get('content-type'), magic: String.fromCharCode(...bytes.subarray(0, 5)), letter: new TextDecoder('latin1').decode(bytes).includes('/MediaBox [ 0 0 612 792 ]') };
      }, `${reportPath}?page=letter`);
      equal(`${head.type} ${head.magic}`, 'application/pdf %PDF-', 'the framed address answers a PDF');
      // Print reaches the same-origin frame's window: no fallback tab (and no second fetch: the
      // auditor step counts the report views). Headless
      // Chromium's renderer crashes when a PDF frame really prints (it has no print preview), so
      // the frame's print() is replaced by a recorder here; a headed browser opens its preview.
      await page.locator('[data-testid=report-frame]').evaluate((f) =>
        new Promise((r) => (f.dataset.loaded ? r() : f.addEventListener('load', r, { once: true }))).then(() => {
          f.contentWindow.print = () => (window.__hbPrinted = (window.__hbPrinted ?? 0) + 1);
        }),
      );
      const pages = page.context().pages().length;
      await tid(page, 'report-print').click();
      await page.waitForFunction(() => window.__hbPrinted === 1);
      equal(page.context().pages().length, pages, 'tabs after Print (no fallback tab)');
      await tid(page, 'report-panel').scrollIntoViewIfNeeded();
      await shot(page, 'report-draft', false);
      await watch.assertClean('follow-up report');
      check(head.letter, 'the draft was laid out on Letter paper (MediaBox 612 × 792)');
    } finally {
      page.off('request', onRequest);
    }
  });

  await step('patient chart: trend charts drew as many points as the API stores', async () => {
    needs(phys && patientId, 'the interrogation step');
    const { page, watch } = phys;
    await tid(page, 'open-chart').click();
    const battery = page.locator('[data-testid=trend-canvas][data-chart=battery]');
    await battery.waitFor();
    equal(new URL(page.url()).hash, `#/patient/${patientId}`, 'address of the chart');
    await page.waitForFunction(() => !document.querySelector('[data-testid=trend-charts][aria-busy]'));
    // Battery: every stored voltage and longevity value, from the API and from facts.jsonl.
    const terms = ['MDC_IDC_MSMT_BATTERY_VOLTAGE', 'MDC_IDC_MSMT_BATTERY_REMAINING_LONGEVITY'];
    const trend = await apiGet(page, `/api/v1/patients/${patientId}/trends?code=${terms.join(',')}`);
    const apiPoints = trend.series.reduce((n, s) => n + new Set(s.points.map((p) => p[0])).size, 0);
    const factPoints = patientFacts.filter((f) => f.battery_voltage !== null).length + patientFacts.filter((f) => f.battery_longevity_months !== null).length;
    equal(apiPoints, factPoints, 'battery values stored (API) vs messages generated (facts.jsonl)');
    equal(Number(await battery.getAttribute('data-points')), apiPoints, 'points drawn in the battery chart');
    // Lead impedance: RV and HV from the facts, all four terms from the API.
    const impTerms = ['MDC_IDC_MSMT_LEADCHNL_RA_IMPEDANCE_VALUE', 'MDC_IDC_MSMT_LEADCHNL_RV_IMPEDANCE_VALUE', 'MDC_IDC_MSMT_LEADCHNL_LV_IMPEDANCE_VALUE', 'MDC_IDC_MSMT_LEADHVCHNL_IMPEDANCE'];
    const imp = await apiGet(page, `/api/v1/patients/${patientId}/trends?code=${impTerms.join(',')}`);
    const byCode = (name) => imp.series.find((s, i) => impTerms[i] === name || s.code === name)?.points.length ?? 0;
    equal(byCode('MDC_IDC_MSMT_LEADCHNL_RV_IMPEDANCE_VALUE'), patientFacts.filter((f) => f.rv_impedance !== null).length, 'RV impedances stored vs facts');
    const impPoints = imp.series.reduce((n, s) => n + new Set(s.points.map((p) => p[0])).size, 0);
    equal(Number(await page.locator('[data-testid=trend-canvas][data-chart=impedance]').getAttribute('data-points')), impPoints, 'points drawn in the impedance chart');
    const devices = new Set(patientFacts.map((f) => f.device_serial)).size;
    equal(Number(await page.locator('[data-testid=trend-battery]').getAttribute('data-device-changes')), devices - 1, 'device changes marked');
    equal(await page.locator('[data-testid=device-row]').count(), devices, 'devices listed');
    equal(await page.locator('[data-testid=timeline-item]').count(), patientFacts.length, 'interrogations in the timeline');
    // The canvas really has the series drawn: pixels in the voltage colour (#0072b2).
    const inked = await battery.evaluate((c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - 0) < 40 && Math.abs(d[i + 1] - 114) < 40 && Math.abs(d[i + 2] - 178) < 40 && d[i + 3] > 200) n++;
      return n;
    });
    check(inked > 50, `the battery chart has the voltage line drawn (${inked} pixels)`);
    const charts = await page.locator('[data-testid=trend-canvas]').count();
    check(charts >= 4, `several trend charts drawn (${charts})`);
    await shot(page, 'chart');
    await watch.assertClean('patient chart');
  });

  await step('patient list and search by MRN', async () => {
    needs(phys && patientId, 'the queue step');
    const { page, watch } = phys;
    await tid(page, 'nav-patients').click();
    await page.locator('[data-testid=patient-row]').first().waitFor();
    const all = await page.locator('[data-testid=patient-row]').count();
    // The generated patients and the one the hospital's ADT update created (unconfirmed).
    equal(all, new Set(facts.map((f) => f.patient)).size + 1, 'patients of the clinic');
    await tid(page, 'patient-search').fill(target.mrn);
    await tid(page, 'patient-search').press('Enter');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=patient-row]').length === 1);
    equal(await page.locator('[data-testid=patient-row]').getAttribute('data-patient-id'), String(patientId), 'search by MRN');
    equal(new URL(page.url()).hash, '#/patients', 'the search term stays out of the address');
    await shot(page, 'patients');
    await watch.assertClean('patients');
  });

  await step('sign-off: a wrong password is refused, then password + TOTP sign and lock', async () => {
    needs(phys && interrogationId && physAuth, 'the queue step');
    const { page, watch } = phys;
    await page.evaluate((id) => (location.hash = `#/interrogation/${id}`), interrogationId);
    await tid(page, 'signoff-button').click();
    await tid(page, 'signoff-password').fill('not the password at all');
    watch.expectHttpError('POST', new RegExp(`^/api/v1/interrogations/${interrogationId}/signoff$`), 401);
    await tid(page, 'signoff-confirm').click();
    await page.locator('[data-testid=signoff-dialog] .status', { hasText: 'Nothing was signed' }).waitFor();
    const still = await apiGet(page, `/api/v1/interrogations/${interrogationId}`);
    equal(still.review.state, 'reviewed', 'state after the refused sign-off');
    await tid(page, 'signoff-password').fill(PASSWORDS.phys);
    await tid(page, 'signoff-totp').fill(await physAuth.next());
    await tid(page, 'signoff-note').fill('E2E interpretation: normal device function.');
    await shot(page, 'signoff', false);
    await tid(page, 'signoff-confirm').click();
    await tid(page, 'signed-banner').waitFor();
    equal((await tid(page, 'review-state').first().textContent()).trim(), 'Signed', 'review state');
    check((await tid(page, 'signed-banner').textContent()).includes('phys'), 'the banner names the signer');
    equal((await tid(page, 'report-state').textContent()).trim(), 'Signed', 'report badge after sign-off');
    check(await tid(page, 'report-send').isEnabled(), 'Send report… is enabled once signed');
    await shot(page, 'signed');
    const d = await apiGet(page, `/api/v1/interrogations/${interrogationId}`);
    equal(d.review.state, 'signed', 'state from the API');
    await watch.assertClean('sign-off');
  });

  await step('the signed interrogation left the queue and is locked', async () => {
    needs(phys && interrogationId, 'the queue step');
    const { page, watch } = phys;
    await tid(page, 'nav-queue').click();
    await page.locator('[data-testid=queue-row]').first().waitFor();
    equal(await page.locator('[data-testid=queue-row]').count(), queueCount - 1, 'queue rows after sign-off');
    equal(await page.locator(`[data-testid=queue-row][data-interrogation-id="${interrogationId}"]`).count(), 0, 'the signed row is gone');
    const q = await apiGet(page, '/api/v1/queue?limit=1000');
    check(!q.items.some((i) => i.interrogation_id === interrogationId), 'not in the API queue');
    const r = await apiPost(page, `/api/v1/interrogations/${interrogationId}/review`, { note: 'too late' }, 409);
    equal((await r.json()).error, 'locked', 'a change after sign-off');
    await shot(page, 'queue-after-signoff');
    await watch.assertClean('queue after sign-off');
  });

  await step('results to the EHR: the refused result is on the work list; Resend asks for a reason', async () => {
    needs(phys && interrogationId, 'the sign-off step');
    const { page, watch } = phys;
    const deadResults = async (n) => {
      const deadline = Date.now() + 30_000;
      let items = [];
      while (Date.now() < deadline) {
        items = (await apiGet(page, '/api/v1/results?state=dead')).items;
        if (items.length >= n) break;
        await page.waitForTimeout(200);
      }
      return items;
    };
    const dead = await deadResults(1);
    equal(dead.length, 1, 'dead results after the sign-off');
    equal(dead[0].interrogation_id, interrogationId, "the dead result is the signed interrogation's");
    equal(dead[0].destination, EHR, 'its destination');
    await tid(page, 'nav-results').click();
    await page.getByRole('heading', { name: 'Results not delivered' }).waitFor();
    const row = page.locator(`[data-testid=result-row][data-result-id="${dead[0].id}"]`);
    await row.waitFor();
    equal(await page.locator('[data-testid=result-row]').count(), 1, 'work list rows');
    equal(await row.getByTestId('result-error').textContent(), dead[0].error || '—', "the receiver's text, as text");
    equal(await row.getByRole('link', { name: `#${interrogationId}` }).getAttribute('href'), `#/interrogation/${interrogationId}`, 'the link to the interrogation');
    equal(new URL(page.url()).hash, '#/results', 'the address holds the screen only');
    await shot(page, 'results-dead', false);
    // The reason is required before anything is sent.
    await row.getByTestId('result-resend').click();
    await tid(page, 'resend-dialog').waitFor();
    await tid(page, 'resend-confirm').click();
    await page.locator('[data-testid=resend-dialog] .status', { hasText: 'Give a reason' }).waitFor();
    await tid(page, 'resend-reason').fill('E2E: the identifier was added to the patient record.');
    await shot(page, 'resend-dialog', false);
    await tid(page, 'resend-confirm').click();
    await tid(page, 'resend-dialog').waitFor({ state: 'detached' });
    await row.getByTestId('result-resent').waitFor();
    await page.locator('.status.info', { hasText: `is queued for ${EHR} again` }).waitFor();
    // The new message meets the same refusal: two dead results of the interrogation now.
    const again = await deadResults(2);
    equal(again.filter((r) => r.interrogation_id === interrogationId).length, 2, 'dead results after the resend');
    // Nothing reached the EHR: the Sent tab is empty, and says so.
    await tid(page, 'results-tab-sent').click();
    await tid(page, 'results-empty').waitFor();
    equal(await page.locator('[data-testid=result-row]').count(), 0, 'sent rows');
    await shot(page, 'results-sent-empty', false);
    await watch.assertClean('results');
  });

  await step('follow-ups: the work list shows due and overdue follow-ups; a row opens the chart with its plan', async () => {
    needs(phys, 'the physician signed in');
    const { page, watch } = phys;
    // The generated sessions end on 2026-11-01 and the server runs on today's date: remote
    // transmissions (every 91 days) and yearly in-clinic checks have come due since.
    const list = await apiGet(page, '/api/v1/followups');
    check(list.items.length > 0, `the demo clinic has due, overdue, missed or booked follow-ups (${JSON.stringify(list.counts)})`);
    await tid(page, 'nav-followups').click();
    await page.getByRole('heading', { name: 'Follow-ups', exact: true }).waitFor();
    const rows = page.locator('[data-testid=followup-row]');
    await rows.first().waitFor();
    equal(new URL(page.url()).hash, '#/followups', 'the address holds the screen only');
    equal(await rows.count(), list.items.length, 'work list rows = API items');
    equal(await rows.first().getAttribute('data-patient-id'), String(list.items[0].patient_id), 'most overdue first, as the API orders them');
    const labels = { due: 'Due', overdue: 'Overdue', missed: 'Missed', booked: 'Booked' };
    const first = list.items[0];
    check(first.status in labels, `the first item's status is one of the default filter's (${first.status})`);
    equal(await rows.first().getAttribute('data-status'), first.status, "the first row's status");
    equal((await rows.first().getByTestId('followup-status').textContent()).trim(), labels[first.status], 'the status badge of the first row');
    equal(await page.locator('[data-testid=followup-row] [data-testid=followup-status]').count(), list.items.length, 'a status badge on every row');
    for (const s of Object.keys(labels)) {
      equal(await tid(page, `followup-count-${s}`).getAttribute('data-count'), String(list.counts[s] ?? 0), `count of ${s}`);
    }
    await shot(page, 'followups');
    // A click on the row (not only on the name) opens the patient's chart.
    await rows.first().click();
    await tid(page, 'followup-plan').waitFor();
    equal(new URL(page.url()).hash, `#/patient/${first.patient_id}`, 'address of the chart');
    await page.getByRole('heading', { name: 'Follow-up plan' }).waitFor();
    await tid(page, 'plan-resolved').waitFor();
    const plan = await apiGet(page, `/api/v1/patients/${first.patient_id}/plan`);
    const planRows = page.locator('[data-testid=plan-followup-row]');
    equal(await planRows.count(), plan.followups.length, 'next follow-ups on the chart = API');
    const statuses = await planRows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-status')));
    check(statuses.includes(first.status), `the chart lists the work list's follow-up (${first.status} in ${statuses.join(',')})`);
    equal(await page.locator('[data-testid=visit-row]').count(), plan.visits.length, 'visits on the chart = API');
    // A physician (patient.write) may book a visit and set the patient's own plan.
    check(await tid(page, 'visit-day').isVisible(), 'the booking form is shown to a physician');
    check(await tid(page, 'plan-save').isVisible(), 'the own-plan form is shown to a physician');
    await tid(page, 'followup-plan').scrollIntoViewIfNeeded();
    await shot(page, 'followup-plan', false);
    await watch.assertClean('follow-ups');
  });

  await step('sign out: the session ends on the server', async () => {
    needs(phys, 'the physician signed in');
    const { page, watch, context } = phys;
    await tid(page, 'logout').click();
    await tid(page, 'login-name').waitFor();
    await apiGet(page, '/api/v1/auth/me', 401);
    await page.reload();
    await tid(page, 'login-name').waitFor();
    equal(await page.locator('[data-testid=queue-row]').count(), 0, 'no queue after reload');
    await watch.assertClean('sign-out');
    await context.close();
  });

  await step('a physician of another clinic cannot see the patient', async () => {
    needs(patientId && interrogationId, 'the queue step');
    const { context, page, watch } = await openPage('other-clinic');
    await page.goto(`${server.origin}/`);
    await signIn(page, 'other', PASSWORDS.other, null);
    await page.getByRole('heading', { name: 'Triage queue' }).waitFor();
    await page.locator('.empty', { hasText: 'The queue is empty' }).waitFor();
    equal(await page.locator('[data-testid=queue-row]').count(), 0, 'queue rows of the other clinic');
    equal((await apiGet(page, '/api/v1/queue?limit=1000')).items.length, 0, 'API queue');
    // The other clinic's results work list is empty: the refused result is not theirs.
    await tid(page, 'nav-results').click();
    await tid(page, 'results-empty').waitFor();
    equal(await page.locator('[data-testid=result-row]').count(), 0, 'results rows of the other clinic');
    equal((await apiGet(page, '/api/v1/results?state=dead')).items.length, 0, 'API dead results of the other clinic');
    await shot(page, 'other-clinic-results-empty', false);
    equal((await apiGet(page, `/api/v1/patients?q=${encodeURIComponent(target.mrn)}`)).items.length, 0, 'search by MRN');
    equal((await apiGet(page, '/api/v1/patients?limit=1000')).items.length, 0, 'patient list');
    await apiGet(page, `/api/v1/patients/${patientId}`, 404);
    await apiGet(page, `/api/v1/patients/${patientId}/trends?code=MDC_IDC_MSMT_BATTERY_VOLTAGE`, 404);
    await apiGet(page, `/api/v1/interrogations/${interrogationId}`, 404);
    for (const href of attachmentPaths) await apiGet(page, href, 404);
    equal((await apiGet(page, `/api/v1/interrogations?patient=${patientId}`)).items.length, 0, 'interrogations of the patient');
    watch.expectHttpError('GET', new RegExp(`^/api/v1/patients/${patientId}$`), 404);
    await page.evaluate((id) => (location.hash = `#/patient/${id}`), patientId);
    await page.getByRole('heading', { name: 'Could not load this page' }).waitFor();
    await shot(page, 'other-clinic-patient');
    watch.expectHttpError('GET', new RegExp(`^/api/v1/interrogations/${interrogationId}$`), 404);
    await page.evaluate((id) => (location.hash = `#/interrogation/${id}`), interrogationId);
    await page.getByRole('heading', { name: 'Could not load this page' }).waitFor();
    check(!(await page.content()).includes(target.mrn), 'the MRN appears nowhere on the page');
    await tid(page, 'logout').click();
    await tid(page, 'login-name').waitFor();
    await watch.assertClean('other clinic');
    await context.close();
  });

  await step('auditor: the audit trail shows each step', async () => {
    const { context, page, watch } = await openPage('auditor');
    await page.goto(`${server.origin}/`);
    await signIn(page, 'audit', PASSWORDS.audit, null);
    await page.locator('[data-testid=audit-row]').first().waitFor();
    equal(new URL(page.url()).hash, '#/audit', 'an auditor lands on the audit trail');
    await shot(page, 'audit');
    await tid(page, 'audit-user').fill('phys');
    await tid(page, 'audit-action').fill('interrogation.signoff');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=audit-row]')].every((r) => r.getAttribute('data-action') === 'interrogation.signoff'));
    equal(await page.locator('[data-testid=audit-row]').count(), 1, 'sign-off records of phys');
    await shot(page, 'audit-filtered');

    const records = [];
    let cursor = null;
    do {
      const pageOf = await apiGet(page, `/api/v1/audit?user=phys&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      records.push(...pageOf.items);
      cursor = pageOf.next_cursor;
    } while (cursor);
    const has = (action, outcome = 'success', pred = () => true) => records.some((r) => r.action === action && r.outcome === outcome && pred(r));
    const onIt = (r) => String(r.object_id) === String(interrogationId);
    const onPatient = (r) => r.patient_id === patientId;
    const expectations = [
      ['login', 'success', () => true],
      ['mfa.enroll', 'success', () => true],
      ['mfa.confirm', 'success', () => true],
      ['queue.read', 'success', () => true],
      ['interrogation.assign', 'success', onIt],
      ['interrogation.read', 'success', onIt],
      ['interrogation.review', 'success', onIt],
      ['patient.read', 'success', onPatient],
      ['trend.read', 'success', onPatient],
      ['interrogation.list', 'success', onPatient],
      ['patient.search', 'success', () => true],
      ['reauthenticate', 'denied', () => true],
      ['reauthenticate', 'success', () => true],
      ['interrogation.signoff', 'success', onIt],
      ['result.list', 'success', () => true],
      ['result.resend', 'success', onPatient],
      ['attachment.read', 'success', onIt],
      ['report.view', 'success', onIt],
      ['logout', 'success', () => true],
    ];
    const missing = expectations.filter(([a, o, p]) => !has(a, o, p)).map(([a, o]) => `${a} (${o})`);
    // One audited view per fetch: the frame opened once, and the test's own fetch of its address.
    const views = records.filter((r) => r.action === 'report.view' && onIt(r));
    const seen = [...new Set(records.map((r) => `${r.action}:${r.outcome}`))].sort();
    const problems = [];
    if (missing.length) problems.push(`audit records missing for phys: ${missing.join(', ')}; present: ${seen.join(' ')}`);
    if (views.length !== 2) problems.push(`report.view records of the interrogation: expected 2 (the frame, the test's fetch), got ${views.length}: ${JSON.stringify(views)}`);
    // The other clinic's attempts are recorded as denied, with the patient.
    const other = (await apiGet(page, `/api/v1/audit?user=other&limit=1000`)).items;
    if (!other.some((r) => r.outcome === 'denied' && (r.patient_id === patientId || onIt(r) || String(r.object_id) === String(patientId)))) problems.push(`no denied access of "other" to the patient (${[...new Set(other.map((r) => `${r.action}:${r.outcome}`))].join(' ')})`);
    // The clinic made on the command line is recorded as the system's doing.
    const made = (await apiGet(page, '/api/v1/audit?action=clinic.create&limit=100')).items;
    if (!made.some((r) => r.user === 'system:cli' && r.object_type === 'clinic' && String(r.object_id) === String(otherClinic))) problems.push(`no clinic.create by system:cli for clinic ${otherClinic}: ${JSON.stringify(made)}`);
    // "Who accessed this patient": the physician, nobody unexpected.
    const who = (await apiGet(page, `/api/v1/audit?patient=${patientId}&limit=1000`)).items;
    if (!who.some((r) => r.user === 'phys')) problems.push('the patient filter does not list the physician');
    await tid(page, 'logout').click();
    await tid(page, 'login-name').waitFor();
    await watch.assertClean('audit');
    await context.close();
    check(problems.length === 0, problems.join('\n     '));
  });

  // Last, so the moved interrogation (it joins clinic 1's queue) changes no count checked above.
  await step('administrator: Database and Feeds panels, moves an unassigned patient; a clinician finds it unmatched', async () => {
    needs(adminAuth, 'the administrator step');
    const deadline = Date.now() + 30_000;
    while (!(fs.existsSync(path.join(drop, 'done', 'pool.hl7')) && fs.existsSync(path.join(drop, 'failed', 'not-hl7.hl7'))) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    check(fs.existsSync(path.join(drop, 'done', 'pool.hl7')), 'the drop folder stored the message');
    check(fs.existsSync(path.join(drop, 'failed', 'not-hl7.hl7')), 'the drop folder refused the file that is not HL7');
    const { context, page, watch } = await openPage('admin-routing');
    await page.goto(`${server.origin}/`);
    // A new browser does not know the account has a second factor: the server asks for it.
    watch.expectHttpError('POST', /^\/api\/v1\/auth\/login$/, 401);
    await signIn(page, 'admin', PASSWORDS.admin, null);
    await signIn(page, 'admin', PASSWORDS.admin, adminAuth);
    await page.getByRole('heading', { name: 'Administration' }).waitFor();
    // Database: healthy, taking data.
    await tid(page, 'store-state').waitFor();
    equal((await tid(page, 'store-state').textContent()).trim(), 'healthy', 'database state');
    equal((await tid(page, 'store-ingest').textContent()).trim(), 'accepting data', 'ingest state (GET /ready)');
    equal(await page.locator('[data-testid=store-alarm]').count(), 0, 'no database alarm');
    // Feeds: the refused file is in quarantine with its reason code and message, and an alarm.
    const feeds = await apiGet(page, '/api/v1/admin/feeds');
    check(feeds.alarm && feeds.quarantine.length >= 1, `the API lists the quarantined file (${JSON.stringify(feeds.quarantine)})`);
    await tid(page, 'feeds-alarm').waitFor();
    // The summary at the top is drawn once the alarm-raising panels have answered.
    await page.locator('[data-testid=admin-attention]', { hasText: 'quarantine' }).waitFor({ timeout: 10_000 }).catch(() => {});
    check((await tid(page, 'admin-attention').textContent()).includes('quarantine'), 'the top of the page says the feeds need attention');
    // The pool message reuses a control id of the imported history (other generator, same
    // sender): stored and flagged, listed per sender.
    equal(await page.locator('[data-testid=reuse-row]').count(), feeds.control_id_reuse.length, 'control-id reuse rows');
    const qrows = page.locator('[data-testid=quarantine-row]');
    equal(await qrows.count(), feeds.quarantine.length, 'quarantine rows');
    const q0 = (await qrows.first().locator('td').allTextContents()).map((t) => t.trim());
    equal(q0[2], feeds.quarantine[0].code, 'reason code shown');
    equal(q0[3], feeds.quarantine[0].reason, 'reason shown as text');
    // The unassigned pool: the dropped message, with ids and sender only.
    const pool = await apiGet(page, '/api/v1/admin/unassigned');
    equal(pool.items.length, 1, 'interrogations in the unassigned pool');
    const item = pool.items[0];
    const rows = page.locator('[data-testid=unassigned-row]');
    await rows.first().waitFor();
    equal(await rows.count(), 1, 'unassigned rows');
    equal(await rows.first().getAttribute('data-interrogation-id'), String(item.id), 'the pool row');
    await shot(page, 'admin-operations');
    // Move it: the clinic and the reason are required before anything is sent.
    await rows.first().getByTestId('unassigned-move').click();
    await tid(page, 'move-dialog').waitFor();
    await tid(page, 'move-confirm').click();
    await page.locator('[data-testid=move-dialog] .status', { hasText: 'Choose the clinic' }).waitFor();
    await tid(page, 'move-clinic').selectOption('1');
    await tid(page, 'move-confirm').click();
    await page.locator('[data-testid=move-dialog] .status', { hasText: 'Give a reason' }).waitFor();
    await tid(page, 'move-reason').fill('E2E: this sender delivers for the main clinic.');
    await shot(page, 'move-dialog', false);
    await tid(page, 'move-confirm').click();
    await tid(page, 'move-dialog').waitFor({ state: 'detached' });
    await page.locator('[data-testid=unassigned-panel] .status.info', { hasText: `Patient #${item.patient_id} moved to` }).waitFor();
    equal(await rows.count(), 0, 'unassigned rows after the move');
    equal((await apiGet(page, '/api/v1/admin/unassigned')).items.length, 0, 'the API pool after the move');
    // A damaged database cannot be provoked cheaply here (fault_test damages one and checks
    // /ready; api_test the store route), so the browser gets the answers a damaged server gives
    // (docs/recovery.md) to show that screen.
    const reason = 'database disk image is malformed <b>not markup</b>';
    await page.route('**/api/v1/admin/store', (r) => r.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ damaged: true, reason, last_verification: { finished_us: Date.now() * 1000, complete: true, problems: 2, first_problem: 'blob id=7' }, alarm: true }) }));
    await page.route('**/api/v1/ready', (r) => r.fulfill({ status: 503, contentType: 'application/json', body: '{"status":"degraded","reason":"database damaged"}' }));
    watch.expectHttpError('GET', /^\/api\/v1\/ready$/, 503);
    await page.reload();
    await tid(page, 'store-alarm').waitFor();
    equal((await tid(page, 'store-reason').textContent()), reason, 'the reason, as text');
    equal((await tid(page, 'store-state').textContent()).trim(), 'damaged', 'database state when damaged');
    equal((await tid(page, 'store-ingest').textContent()).trim(), 'stopped', 'ingest state when GET /ready answers 503');
    check((await tid(page, 'store-recovery').textContent()).includes('heartbase store verify'), 'the banner says what to do');
    await page.locator('[data-testid=admin-attention]', { hasText: 'Database: The database is damaged' }).waitFor({ timeout: 10_000 }).catch(() => {});
    check((await tid(page, 'admin-attention').textContent()).includes('Database: The database is damaged'), 'the top of the page says so');
    await tid(page, 'store-panel').scrollIntoViewIfNeeded();
    await shot(page, 'admin-database-damaged', false);
    await page.unrouteAll();
    await tid(page, 'logout').click();
    await tid(page, 'login-name').waitFor();
    await watch.assertClean('administrator routing');
    await context.close();

    runCli(binary, ['user', 'add', '--data', data, '--name', 'nurse', '--role', 'device_clinician', '--clinic', '1'], { input: `${PASSWORDS.phys}\n` });
    const nurse = await openPage('clinician');
    await nurse.page.goto(`${server.origin}/`);
    await signIn(nurse.page, 'nurse', PASSWORDS.phys, null);
    await tid(nurse.page, 'nav-unmatched').click();
    await nurse.page.locator(`[data-testid=unmatched-row][data-interrogation-id="${item.id}"]`).waitFor();
    await shot(nurse.page, 'unmatched-after-move', false);
    // The hospital's update of an MRN nobody registered waits beside it; accepting it clears it.
    const waiting = nurse.page.locator('[data-testid=unconfirmed-row]');
    await waiting.first().waitFor();
    equal(await waiting.count(), 1, 'unconfirmed patients from the hospital');
    await waiting.first().getByTestId('unconfirmed-open').click();
    await tid(nurse.page, 'unconfirmed-identifiers').waitFor();
    check((await tid(nurse.page, 'unconfirmed-identifiers').textContent()).includes('E2E-ADT-1'), 'the unconfirmed patient shows its MRN');
    await shot(nurse.page, 'unconfirmed-patient', false);
    await tid(nurse.page, 'unconfirmed-accept').click();
    await tid(nurse.page, 'unconfirmed-empty').waitFor();
    equal((await apiGet(nurse.page, '/api/v1/patients?unconfirmed=true')).items.length, 0, 'no unconfirmed patient after accepting');
    await nurse.watch.assertClean('clinician unmatched');
    await nurse.context.close();
  });

  // After the administrator's routing step (a fresh TOTP step for this sign-in), before the biller:
  // re-processing here stores nothing, so no count checked later changes.
  await step('administrator: the quarantine console shows refused input as text, downloads it, re-processes and discards', async () => {
    needs(adminAuth, 'the administrator step');
    // An ORU without an OBR (the mapper refuses it), with markup in a field: it must stay text.
    const scriptName = 'script-oru.hl7';
    const scriptBytes = Buffer.from(
      'MSH|^~\\&|E2E-Q|QLAB|HEARTBASE|CLINIC|20260301090000+0000||ORU^R01^ORU_R01|E2E-Q1|P|2.6\r' +
        'PID|||E2E-Q-1^^^HOSP^MR||Quarantine^Jane||19700101|F\r' +
        'OBX|1|NM|721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC||<script>window.__pwned=1</script><b>bold</b>|V|||||F\r',
      'utf8',
    );
    // Written beside the folder and renamed in, so the watcher never sees half a file.
    fs.writeFileSync(path.join(tmp, scriptName), scriptBytes);
    fs.renameSync(path.join(tmp, scriptName), path.join(drop, scriptName));
    const deadline = Date.now() + 10_000;
    while (!fs.existsSync(path.join(drop, 'failed', scriptName)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    check(fs.existsSync(path.join(drop, 'failed', scriptName)), 'the drop folder refused the ORU without OBR');
    // A file may hold several messages: each is kept from "MSH" to the end of its last segment
    // (hl7/batch.h), so the message received is the file without its final terminator.
    const message = scriptBytes.subarray(0, scriptBytes.length - 1);

    const { context, page, watch } = await openPage('admin-quarantine');
    await page.goto(`${server.origin}/`);
    watch.expectHttpError('POST', /^\/api\/v1\/auth\/login$/, 401);
    await signIn(page, 'admin', PASSWORDS.admin, null);
    await signIn(page, 'admin', PASSWORDS.admin, adminAuth);
    await page.getByRole('heading', { name: 'Administration' }).waitFor();
    // The Feeds panel leads to the console; so does the navigation.
    await tid(page, 'open-quarantine').click();
    await page.getByRole('heading', { name: 'Quarantine', exact: true, level: 1 }).waitFor();
    equal(new URL(page.url()).hash, '#/quarantine', 'address of the console');
    check((await tid(page, 'nav-quarantine').getAttribute('aria-current')) === 'page', 'the navigation marks the console');

    const listed = await apiGet(page, '/api/v1/admin/quarantine?state=open&limit=50');
    const scriptEntry = listed.items.find((e) => e.sender === 'E2E-Q|QLAB');
    const notHl7 = listed.items.find((e) => e.sender === '' && e.bytes === 'this is not an HL7 message\r'.length);
    check(scriptEntry && notHl7, `the API lists both refused files (${JSON.stringify(listed.items.map((e) => [e.id, e.sender, e.bytes]))})`);
    equal(listed.open, 2, 'open entries');
    equal(scriptEntry.bytes, message.length, 'size of the refused ORU');
    const rowOf = (id) => page.locator(`[data-testid=quarantine-entry][data-quarantine-id="${id}"]`);
    await rowOf(scriptEntry.id).waitFor();
    equal(await page.locator('[data-testid=quarantine-entry]').count(), listed.items.length, 'rows = open entries of the API');
    const cells = (await rowOf(scriptEntry.id).locator('td').allTextContents()).map((t) => t.trim());
    equal(cells[3], 'E2E-Q · QLAB', 'sender shown');
    equal(cells[4], scriptEntry.code, 'reason code shown');
    equal(cells[5], scriptEntry.reason, 'reason shown as text');
    equal(cells[8], 'open', 'state shown');
    check((await tid(page, 'quarantine-open-count').textContent()).includes('2 open'), 'the open count');

    // The entry as text: the markup in it is characters, never elements, and never runs.
    await rowOf(scriptEntry.id).getByTestId('quarantine-open').click();
    await page.locator('[data-testid=quarantine-detail] h2', { hasText: `#${scriptEntry.id}` }).waitFor();
    const raw = await tid(page, 'quarantine-raw').textContent();
    check(raw.includes('<script>window.__pwned=1</script>') && raw.includes('<b>bold</b>'), `the raw text holds the markup as characters (${raw})`);
    equal(raw, message.toString('utf8').replace(/\r/g, '\n'), 'the raw text, one segment a line');
    equal(await page.evaluate(() => window.__pwned), undefined, 'the script in the message did not run');
    equal(await page.locator('[data-testid=quarantine-raw] *').count(), 0, 'no element inside the raw text (no <b>)');
    equal(await page.evaluate(() => [...document.scripts].filter((s) => (s.textContent ?? '').includes('__pwned')).length), 0, 'no script element was injected');
    equal((await tid(page, 'quarantine-detail-state').textContent()).trim(), 'open', 'state of the entry');

    // Download: the bytes exactly as received.
    const [download] = await Promise.all([page.waitForEvent('download'), tid(page, 'quarantine-download').click()]);
    equal(download.suggestedFilename(), `quarantine-${scriptEntry.id}.hl7`, 'name of the downloaded file');
    check(Buffer.compare(fs.readFileSync(await download.path()), message) === 0, 'the download is the message written, byte for byte');
    await shot(page, 'quarantine-console');

    // Re-process: today's code refuses it again, with its reason; the entry stays open.
    await tid(page, 'quarantine-reprocess').click();
    const refused = page.locator('[data-testid=quarantine-outcome-text][data-outcome=quarantined]');
    await refused.waitFor();
    const again = await apiGet(page, `/api/v1/admin/quarantine?state=open&limit=50`);
    const still = again.items.find((e) => e.id === scriptEntry.id);
    check(still && still.resolved_us === null && still.resolution === '', `the entry stays open (${JSON.stringify(still)})`);
    check((await refused.textContent()).includes(still.reason), `the outcome gives today's reason (${await refused.textContent()})`);

    // Discard the file that is not HL7: refused without a reason, done with one.
    await rowOf(notHl7.id).getByTestId('quarantine-open').click();
    await page.locator('[data-testid=quarantine-detail] h2', { hasText: `#${notHl7.id}` }).waitFor();
    equal(await tid(page, 'quarantine-raw').textContent(), 'this is not an HL7 message\n', 'raw text of the other entry (a file that is no message is kept whole)');
    await tid(page, 'quarantine-discard').click();
    await tid(page, 'discard-dialog').waitFor();
    await tid(page, 'discard-confirm').click();
    await page.locator('[data-testid=discard-dialog] .status', { hasText: 'Give a reason' }).waitFor();
    equal((await apiGet(page, `/api/v1/admin/quarantine/${notHl7.id}`)).resolution, '', 'nothing was sent without a reason');
    await tid(page, 'discard-reason').fill('E2E: a test file, not a message.');
    await tid(page, 'discard-confirm').click();
    await tid(page, 'discard-dialog').waitFor({ state: 'detached' });
    await page.locator('[data-testid=quarantine-detail-state]', { hasText: 'discarded' }).waitFor();
    const gone = await apiGet(page, `/api/v1/admin/quarantine/${notHl7.id}`);
    equal(gone.resolution, 'discarded', 'the API says discarded');
    check(gone.resolved_us !== null, 'the discarded entry is resolved');
    equal(await rowOf(notHl7.id).count(), 0, 'the discarded entry left the open list');

    // Re-process all open: the one left is refused again, and the summary says so.
    await tid(page, 'quarantine-reprocess-all').click();
    await tid(page, 'confirm-yes').click();
    await page.locator('[data-testid=quarantine-summary]', { hasText: 'Re-processed' }).waitFor();
    const sum = (await tid(page, 'quarantine-summary').textContent()).trim();
    check(sum.startsWith('Re-processed 1 entry: 0 stored, 0 duplicates, 1 still in quarantine.'), `the summary (${sum})`);
    // The resolved filter shows how the discarded entry was resolved.
    await tid(page, 'quarantine-state').selectOption('resolved');
    await rowOf(notHl7.id).waitFor();
    equal(await rowOf(notHl7.id).getAttribute('data-state'), 'discarded', 'state in the resolved list');
    equal(await rowOf(scriptEntry.id).count(), 0, 'the open entry is not in the resolved list');
    // Administrators have no audit.read: the auditor finds each of these reads and actions.
    await apiGet(page, '/api/v1/audit?limit=1', 403);
    await tid(page, 'logout').click();
    await tid(page, 'login-name').waitFor();
    await watch.assertClean('quarantine console');
    await context.close();
    const auditor = await browser.newContext({ ignoreHTTPSErrors: true });
    try {
      const login = await auditor.request.post(`${server.origin}/api/v1/auth/login`, { data: { name: 'audit', password: PASSWORDS.audit }, headers: { Origin: server.origin } });
      equal(login.status(), 200, 'the auditor signs in');
      const missing = [];
      for (const [action, id] of [['quarantine.read', scriptEntry.id], ['quarantine.download', scriptEntry.id], ['quarantine.reprocess', scriptEntry.id], ['quarantine.discard', notHl7.id], ['quarantine.reprocess_all', null]]) {
        const r = await auditor.request.get(`${server.origin}/api/v1/audit?action=${action}&limit=100`);
        equal(r.status(), 200, `GET /api/v1/audit?action=${action}`);
        const items = (await r.json()).items;
        if (!items.some((x) => x.user === 'admin' && x.outcome === 'success' && (id === null || String(x.object_id) === String(id)))) missing.push(`${action}${id === null ? '' : ` #${id}`}`);
      }
      check(missing.length === 0, `audit records of the console missing: ${missing.join(', ')}`);
    } finally {
      await auditor.close();
    }
  });

  // After the administrator's step: the physician accepts patients and signs one more
  // interrogation here, which would change the counts the steps above check.
  await step('biller: Charges screen; close periods, export CSV, export batches, missed charges', async () => {
    needs(physAuth && interrogationId, 'the physician and sign-off steps');
    // The physician signs in first: each TOTP step is used once, and the biller's part below
    // lets the clock reach the next one before the sign-off needs it.
    const phys2 = await openPage('physician-billing');
    await phys2.page.goto(`${server.origin}/`);
    phys2.watch.expectHttpError('POST', /^\/api\/v1\/auth\/login$/, 401);
    await signIn(phys2.page, 'phys', PASSWORDS.phys, null);
    await signIn(phys2.page, 'phys', PASSWORDS.phys, physAuth);
    await phys2.page.getByRole('heading', { name: 'Triage queue' }).waitFor();
    runCli(binary, ['user', 'add', '--data', data, '--name', 'biller', '--role', 'biller', '--clinic', '1'], { input: `${PASSWORDS.biller}\n` });
    const { context, page, watch } = await openPage('biller');
    await page.goto(`${server.origin}/`);
    await signIn(page, 'biller', PASSWORDS.biller, null);
    // Navigation: billers land on the charges; no triage queue, nothing that reads interrogations.
    await page.getByRole('heading', { name: 'Charges', exact: true }).waitFor();
    equal(new URL(page.url()).hash, '#/charges', 'a biller lands on the charges');
    equal((await apiGet(page, '/api/v1/auth/me')).role, 'biller', 'role of the session');
    const nav = await page.locator('nav [data-testid^=nav-]').evaluateAll((as) => as.map((a) => a.getAttribute('data-testid')));
    equal(nav[0], 'nav-charges', `the first screen of the navigation (${nav.join(',')})`);
    equal(await tid(page, 'nav-charges').getAttribute('aria-current'), 'page', 'Charges is the current screen');
    equal(await page.locator('[data-testid=nav-queue]').count(), 0, 'no triage queue in the navigation');
    equal(await page.locator('[data-testid=nav-results]').count(), 0, 'no results work list in the navigation');
    await apiGet(page, '/api/v1/queue', 403);
    await page.evaluate(() => (location.hash = '#/queue'));
    await page.getByRole('heading', { name: 'Not available' }).waitFor();
    await tid(page, 'nav-charges').click();
    await tid(page, 'charges-actions').waitFor();
    equal(await tid(page, 'charges-tab-waiting').getAttribute('aria-pressed'), 'true', 'the screen opens on "Waiting for export"');
    // serve's own close job runs 20 s after start here (--first-scan-s; then hourly) and writes
    // whatever is ready by then: wait for that pass, so that what "Close periods now" writes
    // below is known.
    const deadline = Date.now() + 180_000;
    const closePass = / billing\.close(_failed)? /;
    while (!closePass.test(tail(serverLog, 1 << 20)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    check(closePass.test(tail(serverLog, 1 << 20)), "serve's close job ran its first pass (billing.close in the server log)");
    // What serve's pass wrote (if anything) is listed after a refresh.
    await tid(page, 'charges-refresh').click();
    await page.waitForFunction(() => !document.querySelector('[data-testid=charges-refresh][aria-busy]'));
    const waitingBefore = (await apiGet(page, '/api/v1/charges?exported=false&limit=1000')).items;
    await page.locator('[data-testid=charge-row], [data-testid=charges-empty]').first().waitFor();
    equal(await page.locator('[data-testid=charge-row]').count(), waitingBefore.length, 'waiting rows before closing = API');
    await shot(page, 'charges-waiting', false);

    // The demo data charges nothing as it stands: every demo patient came from device messages
    // alone, so is unmatched, and unmatched patients are not charged until someone accepts or
    // links them (their periods wait on the missed-charge report; docs/billing.md); and serve's
    // pass has written
    // whatever else was ready. The physician accepts the patients of the queued sessions (the
    // sessions end on 2026-11-01: periods have closed since) as the Unmatched screen's "Create a
    // new patient" does, then signs one interrogation the missed-charge report names.
    let accepted = 0;
    for (const f of [...new Map(queued.map((q) => [q.mrn, q])).values()]) {
      // The pool's generator reuses MRNs: the birth date tells the demo patient apart.
      const found = (await apiGet(phys2.page, `/api/v1/patients?q=${encodeURIComponent(f.mrn)}`)).items.filter((p) => p.birth_date === f.birth_date);
      equal(found.length, 1, `patients with MRN ${f.mrn} born ${f.birth_date}`);
      if (!found[0].unmatched) continue;
      const its = (await apiGet(phys2.page, `/api/v1/interrogations?patient=${found[0].id}&limit=1`)).items;
      check(its.length === 1, `an interrogation of patient ${found[0].id}`);
      const r = await apiPost(phys2.page, `/api/v1/interrogations/${its[0].id}/link`, { create: true }, 200);
      equal((await r.json()).patient_id, found[0].id, 'the accepted patient keeps its id');
      accepted += 1;
    }
    const missedBefore = await apiGet(page, '/api/v1/charges/missed');
    console.log(`     ${waitingBefore.length} charge(s) waiting after serve's first pass; ${accepted} patient(s) accepted; ${missedBefore.total} missed now`);
    const unsigned = new Set((await apiGet(phys2.page, '/api/v1/queue?limit=1000')).items.map((i) => i.interrogation_id));
    const unsignedIn = (m) => m.interrogations.filter((i) => unsigned.has(i));
    const candidates = missedBefore.items
      .filter((m) => m.reason === 'no signed review' && unsignedIn(m).length > 0)
      .sort((a, b) => (a.component === 'professional' ? 0 : 1) - (b.component === 'professional' ? 0 : 1) || a.period_end.localeCompare(b.period_end));
    check(candidates.length > 0, `a closed period or past session of the queue lacks a signed review (missed: ${JSON.stringify(missedBefore.items.map((m) => [m.code, m.period_end, m.reason, m.interrogations]))})`);
    const chosen = candidates[0];
    const toSign = unsignedIn(chosen)[0];
    console.log(`     signing interrogation ${toSign}: ${chosen.code}${chosen.modifier ? `-${chosen.modifier}` : ''} ${chosen.component} ${chosen.period_start}–${chosen.period_end}`);
    await phys2.page.evaluate((id) => (location.hash = `#/interrogation/${id}`), toSign);
    await tid(phys2.page, 'signoff-button').click();
    await tid(phys2.page, 'signoff-password').fill(PASSWORDS.phys);
    await tid(phys2.page, 'signoff-totp').fill(await physAuth.next());
    await tid(phys2.page, 'signoff-note').fill('E2E interpretation for billing: normal device function.');
    await tid(phys2.page, 'signoff-confirm').click();
    await tid(phys2.page, 'signed-banner').waitFor();
    equal((await apiGet(phys2.page, `/api/v1/interrogations/${toSign}`)).review.state, 'signed', 'state of the newly signed interrogation');
    await tid(phys2.page, 'logout').click();
    await tid(phys2.page, 'login-name').waitFor();
    await phys2.watch.assertClean('physician signs for billing');
    await phys2.context.close();

    // Close periods now: the answer's counts, shown as they are; the new charges wait for export.
    const status = tid(page, 'charges-status');
    const closeOnce = async () => {
      const answer = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/charges/close' && r.request().method() === 'POST');
      await tid(page, 'charges-close').click();
      const res = await answer;
      equal(res.status(), 200, 'POST /api/v1/charges/close status');
      const a = await res.json();
      const plural = (n, one) => `${n} ${n === 1 ? one : `${one}s`}`;
      const waiting = a.unmatched > 0 ? `, ${a.unmatched} waiting for unmatched patients` : '';
      const text = `Periods closed: ${plural(a.created, 'new charge')}, ${a.existing} already stored, ${a.overlapping} overlapping (not written), ${a.missed} missed${waiting}. Code table ${a.code_table}.`;
      await page.locator('[data-testid=charges-status].info', { hasText: text }).waitFor();
      return a;
    };
    const first = await closeOnce();
    check(first.created > 0, `the first close writes the newly signed charge (${JSON.stringify(first)})`);
    equal(first.missed, missedBefore.total - missedBefore.unmatched - 1, 'missed after signing one = the report before, less the one signed');
    const waiting = (await apiGet(page, '/api/v1/charges?exported=false&limit=1000')).items;
    equal(waiting.length, waitingBefore.length + first.created, 'charges waiting = those before + created');
    check(
      waiting.some((c) => c.interrogations.includes(toSign) && c.code === chosen.code && c.modifier === chosen.modifier && c.period_start === chosen.period_start && c.reading_physician === 'Dr Phys'),
      `the signed period is charged, read by Dr Phys (${JSON.stringify(waiting.filter((c) => c.interrogations.includes(toSign)))})`,
    );
    const rows = page.locator('[data-testid=charge-row]');
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=charge-row]').length === n, waiting.length);
    const ids = await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-charge-id'))));
    equal(ids.slice().sort((a, b) => a - b).join(','), waiting.map((c) => c.id).sort((a, b) => a - b).join(','), 'waiting rows = API charges');
    // The code cell: "93294" or "93298-26", then the code table.
    const codes = await rows.evaluateAll((trs) => trs.map((tr) => tr.querySelector('td.mono')?.firstChild?.textContent ?? ''));
    check(codes.every((c) => /^\d{5}(-[A-Z0-9]{2})?$/.test(c)), `every waiting row shows a CPT code (${codes.join(' ')})`);
    check(waiting.every((c) => /^\d{5}$/.test(c.code) && c.code_table === first.code_table), 'the API charges carry CPT codes of the table the job used');
    check(waiting.every((c) => codes.includes(c.modifier ? `${c.code}-${c.modifier}` : c.code)), 'each charge shows its code');
    check(!(await page.content()).includes('MDC_IDC'), 'no measurement term on the Charges screen');
    await shot(page, 'charges-closed');
    // Again: idempotent, nothing new.
    const second = await closeOnce();
    equal(second.created, 0, 'charges created by a second close');
    equal(second.existing, first.existing + first.created, 'charges already stored on the second close');
    equal(second.overlapping, first.overlapping, 'overlapping on the second close');
    equal(second.missed, first.missed, 'missed on the second close');
    equal(await rows.count(), waiting.length, 'waiting rows after the second close');

    // Export CSV: one batch of every waiting charge; the list is empty afterwards.
    const exportAnswer = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/charges/export' && r.request().method() === 'POST');
    await tid(page, 'charges-export-csv').click();
    await tid(page, 'confirm-yes').click();
    const exportRes = await exportAnswer;
    equal(exportRes.status(), 201, 'POST /api/v1/charges/export status');
    const batch = await exportRes.json();
    equal(batch.format, 'csv', 'format of the batch');
    const shown = page.locator('[data-testid=charges-status].info', { hasText: `Export #${batch.id} (CSV):` });
    await shown.waitFor();
    const shownCount = /: (\d+) charges?\./.exec(await shown.textContent());
    check(shownCount, `the status gives the batch's count (${await shown.textContent()})`);
    equal(Number(shownCount[1]), waiting.length, 'charges in the batch shown = rows that were waiting');
    equal(batch.charges, waiting.length, 'charges in the batch (API)');
    equal(await status.getByTestId('export-download').getAttribute('href'), `/api/v1/charges/exports/${batch.id}`, 'the download link beside the status');
    await tid(page, 'charges-empty').waitFor();
    equal(await rows.count(), 0, 'waiting rows after the export');
    equal((await tid(page, 'charges-empty').textContent()).trim(), 'No charge waits for export.', 'what the empty list says');
    equal((await apiGet(page, '/api/v1/charges?exported=false')).items.length, 0, 'API charges waiting after the export');
    await shot(page, 'charges-exported', false);
    // Exported: the same charges, each with its batch.
    await tid(page, 'charges-tab-exported').click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=charge-row]').length === n, waiting.length);
    const batchCells = await rows.evaluateAll((trs) => trs.map((tr) => tr.lastElementChild.textContent.trim()));
    check(batchCells.every((t) => t === `#${batch.id}`), `every exported row names batch #${batch.id} (${[...new Set(batchCells)].join(' ')})`);

    // Export batches: the batch, its count and its file.
    await tid(page, 'charges-tab-batches').click();
    const exportRow = page.locator(`[data-testid=export-row][data-export-id="${batch.id}"]`);
    await exportRow.waitFor();
    equal(await page.locator('[data-testid=export-row]').count(), 1, 'export batches');
    equal((await exportRow.locator('td.num').textContent()).trim(), String(waiting.length), 'charges of the batch row');
    check((await exportRow.textContent()).includes('CSV'), 'the batch row names its format');
    const href = await exportRow.getByTestId('export-download').getAttribute('href');
    equal(href, `/api/v1/charges/exports/${batch.id}`, 'the download link of the batch');
    const file = await page.evaluate(async (u) => {
      const r = await fetch(u, { credentials: 'same-origin' });
      return { status: r.status, type: r.headers.get('content-type'), disposition: r.headers.get('content-disposition'), text: await r.text() };
    }, href);
    equal(file.status, 200, 'status of the batch file');
    check((file.type ?? '').startsWith('text/csv'), `the batch file is CSV (${file.type})`);
    check((file.disposition ?? '').startsWith('attachment'), `the batch file is an attachment (${file.disposition})`);
    const lines = file.text.split('\r\n').filter((l) => l !== '');
    check(lines[0].startsWith('batch,charge_id,patient_id,mrn,'), `the CSV header (${lines[0]})`);
    equal(lines.length - 1, waiting.length, 'CSV lines after the header = charges exported');
    const csvIds = lines.slice(1).map((l) => l.split(',', 2));
    check(csvIds.every(([b]) => b === String(batch.id)), 'every CSV line names the batch');
    equal(csvIds.map(([, c]) => Number(c)).sort((a, b) => a - b).join(','), waiting.map((c) => c.id).sort((a, b) => a - b).join(','), 'charge ids in the CSV = charges that were waiting');
    check(!file.text.includes('MDC_IDC'), 'no measurement term in the CSV');
    await shot(page, 'charges-batches', false);

    // Missed charges: each row says why.
    await tid(page, 'charges-tab-missed').click();
    const missed = await apiGet(page, '/api/v1/charges/missed');
    equal(missed.total - missed.unmatched, first.missed, "the report's total, less the unmatched patients' periods = missed of the close job");
    await page.locator('[data-testid=missed-row], [data-testid=charges-empty]').first().waitFor();
    equal(await page.locator('[data-testid=missed-row]').count(), missed.items.length, 'missed rows = API');
    const reasons = (await page.locator('[data-testid=missed-row] [data-testid=missed-reason]').allTextContents()).map((t) => t.trim());
    equal(reasons.length, missed.items.length, 'a reason cell on every missed row');
    check(reasons.every((r) => /^(no signed review|excluded: in-person evaluation on \d{4}-\d{2}-\d{2} by the same physician.*|fewer than \d+ transmissions|unmatched patient: link or accept the patient first)$/.test(r)), `every missed row says why (${[...new Set(reasons)].join(' | ')})`);
    equal(reasons.join('|'), missed.items.map((m) => m.reason).join('|'), "the reasons are the server's words");
    check(!missed.items.some((m) => m.interrogations.includes(toSign) && m.component === chosen.component && m.period_start === chosen.period_start), 'the signed period is no longer missed');
    check(!(await page.content()).includes('MDC_IDC'), 'no measurement term on the missed-charge tab');
    await shot(page, 'charges-missed');
    await tid(page, 'logout').click();
    await tid(page, 'login-name').waitFor();
    await watch.assertClean('charges');
    await context.close();
  });
} finally {
  if (browser) await browser.close().catch(() => {});
  if (server) {
    const code = await server.stop();
    if (code !== 0 && !failed) {
      failed = true;
      results.push({ name: 'server exits cleanly on SIGTERM', status: 'FAIL', ms: 0, error: new Error(`exit ${code}: ${tail(serverLog)}`) });
      console.log(`FAIL server exit ${code}\n${tail(serverLog)}`);
    }
  }
}

console.log('\n step                                                                                  result');
for (const r of results) console.log(` ${r.name.padEnd(86).slice(0, 86)} ${r.status}${r.ms ? ` (${(r.ms / 1000).toFixed(1)} s)` : ''}`);
console.log(`\nscreenshots: ${artifacts}`);
if (failed) {
  console.log(`server log (${serverLog}):\n${tail(serverLog)}`);
  console.log(`data kept in ${tmp}`);
  process.exit(1);
}
fs.rmSync(tmp, { recursive: true, force: true });
console.log('e2e_web: all steps passed');
