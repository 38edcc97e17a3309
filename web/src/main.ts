// Entry: restores or starts a session, draws the shell for the signed-in role, routes hash
// changes to screens, and runs the idle-session warning.
import './styles.css';
import { api, ApiError, lastApiCallMs, setCsrfToken, setSessionLostHandler, type Me } from './api';
import { formatCountdown, idleState } from './lib/idle';
import { formatRoute, parseRoute, type Route } from './lib/router';
import { can, mayOpen, ROLE_LABELS, screensFor, type Role } from './lib/roles';
import { formatDateTime } from './lib/format';
import { renderBootstrap, renderLogin, renderMfaEnrollment } from './ui/auth';
import { busy, clear, field, h, pageTitle, showError, statusBox } from './ui/dom';
import type { ScreenContext } from './ui/context';

// Set after a sign-in, cleared on sign-out: saves a 401 round trip on a fresh visit.
const SIGNED_IN_KEY = 'hb.signed-in';

const root = document.getElementById('app')!;
let me: Me | null = null;
let leaveFns: (() => void)[] = [];
let renderSeq = 0;
let idleTimer: number | undefined;

function leaveScreen(): void {
  const fns = leaveFns;
  leaveFns = [];
  for (const f of fns) {
    try {
      f();
    } catch {
      /* a failing clean-up must not block navigation */
    }
  }
}

function stopIdleTimer(): void {
  if (idleTimer !== undefined) window.clearInterval(idleTimer);
  idleTimer = undefined;
}

function showLogin(notice?: string, prefill?: string): void {
  leaveScreen();
  stopIdleTimer();
  me = null;
  setCsrfToken('');
  sessionStorage.removeItem(SIGNED_IN_KEY);
  document.title = 'Sign in — heartbase';
  if (location.hash !== '' && location.hash !== '#/login' && location.hash !== '#/setup') {
    // Keep where the user was going (ids only) for after sign-in.
    sessionStorage.setItem('hb.return', location.hash);
  }
  if (parseRoute(location.hash).name === 'setup') {
    renderBootstrap(root, (name) => {
      history.replaceState(null, '', '#/login');
      showLogin('Administrator created. Sign in, then set up an authenticator app.', name);
    });
    return;
  }
  renderLogin(root, { signedIn: (mfa) => void afterSignIn(mfa) }, notice, prefill);
}

async function afterSignIn(mfaEnrollmentRequired: boolean): Promise<void> {
  sessionStorage.setItem(SIGNED_IN_KEY, '1');
  if (mfaEnrollmentRequired) {
    renderMfaEnrollment(root, (notice) => showLogin(notice), () => void signOut());
    return;
  }
  try {
    me = await api.me();
    if (me.csrf_token) setCsrfToken(me.csrf_token);
  } catch (err) {
    showLogin(err instanceof ApiError ? err.message : 'Sign-in failed.');
    return;
  }
  const back = sessionStorage.getItem('hb.return');
  sessionStorage.removeItem('hb.return');
  if (back && location.hash !== back) {
    history.replaceState(null, '', back);
  } else if (parseRoute(location.hash).name === 'login' || parseRoute(location.hash).name === 'setup') {
    history.replaceState(null, '', '#/');
  }
  startIdleTimer();
  route();
}

/** Sign out on the server and show the sign-in page. `keepPlace`: come back here afterwards. */
async function signOut(notice?: string, keepPlace = false): Promise<void> {
  try {
    await api.logout();
  } catch {
    /* the session may already be gone; the screen is cleared either way */
  }
  showLogin(notice ?? 'You have signed out.');
  if (!keepPlace) sessionStorage.removeItem('hb.return');
}

// ---- idle warning -----------------------------------------------------------------------

let idleDialog: HTMLDialogElement | null = null;
let idleCountdown: HTMLElement | null = null;

function ensureIdleDialog(): HTMLDialogElement {
  if (idleDialog) return idleDialog;
  idleCountdown = h('strong', { 'data-testid': 'idle-countdown' }, '');
  const stay = h('button', { type: 'button', class: 'primary', 'data-testid': 'idle-stay' }, 'Stay signed in');
  const leave = h('button', { type: 'button', 'data-testid': 'idle-signout' }, 'Sign out now');
  const status = statusBox();
  stay.addEventListener('click', () => {
    void busy(stay, async () => {
      try {
        const m = await api.me();
        if (m.csrf_token) setCsrfToken(m.csrf_token);
        idleDialog?.close();
      } catch (err) {
        showError(status, err);
      }
    });
  });
  leave.addEventListener('click', () => {
    idleDialog?.close();
    void signOut();
  });
  idleDialog = h(
    'dialog',
    { class: 'dialog', 'aria-labelledby': 'idle-title', 'data-testid': 'idle-dialog' },
    h('h2', { id: 'idle-title' }, 'Still there?'),
    h('p', null, 'For patient privacy you will be signed out in ', idleCountdown, ' because nothing has been loaded or saved for a while.'),
    h('div', { class: 'actions' }, stay, leave),
    status,
  );
  // Escape must not dismiss the warning silently: it means "stay".
  idleDialog.addEventListener('cancel', (ev) => {
    ev.preventDefault();
    stay.click();
  });
  document.body.appendChild(idleDialog);
  return idleDialog;
}

function startIdleTimer(): void {
  stopIdleTimer();
  idleTimer = window.setInterval(() => {
    if (!me) return;
    const s = idleState(lastApiCallMs(), Date.now());
    if (s.kind === 'warning') {
      const d = ensureIdleDialog();
      if (idleCountdown) idleCountdown.textContent = formatCountdown(s.remainingMs);
      if (!d.open) d.showModal();
    } else if (s.kind === 'expired') {
      idleDialog?.close();
      void signOut('You were signed out after 15 minutes without activity.', true);
    } else if (idleDialog?.open) {
      idleDialog.close();
    }
  }, 1000);
}

// ---- shell and routing ------------------------------------------------------------------

function breakGlassButton(m: Me): HTMLElement | null {
  if (!can(m.role, 'breakglass.use')) return null;
  const active = m.break_glass_until_us > Date.now() * 1000;
  if (active) {
    const end = h('button', { type: 'button', class: 'small-button', 'data-testid': 'breakglass-end' }, 'End');
    end.addEventListener('click', () =>
      void busy(end, async () => {
        try {
          await api.endBreakGlass();
          me = await api.me();
          route();
        } catch {
          /* the header keeps showing the grant; the server ends it on time anyway */
        }
      }),
    );
    return h(
      'span',
      { class: 'breakglass' },
      h('span', { class: 'badge danger', title: 'Emergency access to every clinic is on' }, `Emergency access until ${formatDateTime(m.break_glass_until_us)}`),
      end,
    );
  }
  const btn = h('button', { type: 'button', class: 'small-button' }, 'Emergency access');
  btn.addEventListener('click', () => openBreakGlass());
  return btn;
}

function openBreakGlass(): void {
  const reason = h('textarea', { rows: 3, required: true, minlength: 10 });
  const status = statusBox();
  const ok = h('button', { type: 'submit', class: 'danger' }, 'Open emergency access');
  const cancel = h('button', { type: 'button' }, 'Cancel');
  const form = h(
    'form',
    { class: 'stack' },
    h('p', null, 'Emergency ("break-glass") access shows patients of every clinic for a limited time. It is recorded with your reason and reviewed.'),
    field('Reason', reason),
    h('div', { class: 'actions' }, ok, cancel),
    status,
  );
  const dlg = h('dialog', { class: 'dialog', 'aria-label': 'Emergency access' }, h('h2', null, 'Emergency access'), form);
  cancel.addEventListener('click', () => dlg.close());
  dlg.addEventListener('close', () => dlg.remove());
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (reason.value.trim().length < 10) return showError(status, new Error('Give a reason of at least a few words.'));
    void busy(ok, async () => {
      try {
        await api.breakGlass(reason.value.trim());
        me = await api.me();
        dlg.close();
        route();
      } catch (err) {
        showError(status, err);
      }
    });
  });
  document.body.appendChild(dlg);
  dlg.showModal();
  reason.focus();
}

function shell(m: Me, active: string): HTMLElement {
  const main = h('main', { id: 'main', tabindex: '-1' });
  const skip = h('a', { class: 'skip', href: '#main' }, 'Skip to content');
  skip.addEventListener('click', (ev) => {
    ev.preventDefault();
    main.focus();
  });
  const logout = h('button', { type: 'button', class: 'small-button', 'data-testid': 'logout' }, 'Sign out');
  logout.addEventListener('click', () => void signOut());
  const nav = h(
    'nav',
    { 'aria-label': 'Main' },
    h(
      'ul',
      null,
      screensFor(m.role).map((s) =>
        h('li', null, h('a', { href: formatRoute({ name: s.screen } as Route), 'aria-current': s.screen === active ? 'page' : null, 'data-testid': `nav-${s.screen}` }, s.label)),
      ),
    ),
  );
  const header = h(
    'header',
    { class: 'topbar' },
    h('a', { class: 'brand', href: '#/' }, 'heartbase'),
    nav,
    h(
      'div',
      { class: 'user' },
      breakGlassButton(m),
      h('span', { class: 'who', 'data-testid': 'current-user' }, m.user, h('span', { class: 'role' }, ROLE_LABELS[m.role as Role] ?? m.role)),
      logout,
    ),
  );
  clear(root, skip, header, main);
  return main;
}

async function loadScreen(r: Route, main: HTMLElement, ctx: ScreenContext): Promise<void> {
  switch (r.name) {
    case 'queue':
      return (await import('./ui/queue')).renderQueue(main, ctx);
    case 'patients':
      return (await import('./ui/patients')).renderPatients(main, ctx);
    case 'patient':
      return (await import('./ui/patient')).renderPatient(main, ctx, r.id);
    case 'interrogation':
      return (await import('./ui/interrogation')).renderInterrogation(main, ctx, r.id);
    case 'followups':
      return (await import('./ui/followups')).renderFollowUps(main, ctx);
    case 'unmatched':
      return (await import('./ui/unmatched')).renderUnmatched(main, ctx);
    case 'results':
      return (await import('./ui/results')).renderResults(main, ctx);
    case 'charges':
      return (await import('./ui/charges')).renderCharges(main, ctx);
    case 'audit':
      return (await import('./ui/audit')).renderAudit(main, ctx);
    case 'admin':
      return (await import('./ui/admin')).renderAdmin(main, ctx);
    case 'quarantine':
      return (await import('./ui/quarantine')).renderQuarantine(main, ctx);
    default:
      clear(main, pageTitle('Not found'), h('p', null, 'There is no such page. ', h('a', { href: '#/' }, 'Go to the start page')));
  }
}

function route(): void {
  if (!me) return;
  leaveScreen();
  const seq = ++renderSeq;
  let r = parseRoute(location.hash);
  if (r.name === 'default' || r.name === 'login' || r.name === 'setup') {
    const first = screensFor(me.role)[0];
    if (!first) {
      const main = shell(me, '');
      clear(main, pageTitle('No screens for this role'), h('p', null, 'This account has no access to the web application.'));
      return;
    }
    history.replaceState(null, '', formatRoute({ name: first.screen } as Route));
    r = { name: first.screen } as Route;
  }
  const active = r.name === 'patient' ? 'patients' : r.name === 'interrogation' ? 'queue' : r.name;
  const main = shell(me, active);
  if (r.name !== 'not_found' && !mayOpen(me.role, r.name)) {
    clear(main, pageTitle('Not available'), h('p', null, 'Your role does not include this page.'));
    return;
  }
  const ctx: ScreenContext = {
    me,
    onLeave: (fn) => leaveFns.push(fn),
    current: () => seq === renderSeq,
  };
  main.setAttribute('aria-busy', 'true');
  loadScreen(r, main, ctx)
    .catch((err: unknown) => {
      if (!ctx.current()) return;
      const box = statusBox();
      showError(box, err);
      clear(main, pageTitle('Could not load this page'), box);
    })
    .finally(() => {
      main.removeAttribute('aria-busy');
      if (ctx.current()) main.querySelector<HTMLElement>('h1')?.focus({ preventScroll: true });
    });
}

async function start(): Promise<void> {
  setSessionLostHandler(() => {
    if (me) showLogin('Your session has ended. Sign in again to continue.');
  });
  window.addEventListener('hashchange', () => {
    if (me) route();
    else if (['setup', 'login'].includes(parseRoute(location.hash).name)) showLogin();
  });
  if (sessionStorage.getItem(SIGNED_IN_KEY) !== '1') {
    showLogin();
    // A fresh installation goes straight to creating the first administrator.
    api
      .bootstrapNeeded()
      .then((b) => {
        if (b.needed && !me && parseRoute(location.hash).name !== 'setup') location.hash = '#/setup';
      })
      .catch(() => {});
    return;
  }
  try {
    const m = await api.me();
    if (m.csrf_token) setCsrfToken(m.csrf_token);
    if (m.mfa_enrollment_required) {
      renderMfaEnrollment(root, (notice) => showLogin(notice), () => void signOut());
      return;
    }
    me = m;
    startIdleTimer();
    route();
  } catch {
    showLogin();
  }
}

void start();
