// Sign-in (with TOTP when the server asks), TOTP enrolment, first-administrator set-up.
import { api, ApiError, setCsrfToken } from '../api';
import { busy, clear, field, h, showError, showInfo, statusBox } from './dom';

// Whether this browser last needed a code: shows the field at once next time. Not patient data.
const TOTP_HINT_KEY = 'hb.totp';

export interface AuthCallbacks {
  /** Signed in with a full session (or one that must enrol MFA first). */
  signedIn(mfaEnrollmentRequired: boolean): void;
}

function card(title: string, ...content: (Node | null)[]): HTMLElement {
  return h(
    'div',
    { class: 'auth-page' },
    h('div', { class: 'auth-card' }, h('div', { class: 'brand-large' }, 'heartbase'), h('h1', { tabindex: '-1' }, title), ...content),
  );
}

export function renderLogin(root: HTMLElement, cb: AuthCallbacks, notice?: string, prefillName?: string): void {
  const status = statusBox();
  const name = h('input', { type: 'text', name: 'username', autocomplete: 'username', required: true, 'data-testid': 'login-name', value: prefillName ?? '' });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true, 'data-testid': 'login-password' });
  const totp = h('input', {
    type: 'text',
    name: 'totp',
    inputmode: 'numeric',
    autocomplete: 'one-time-code',
    pattern: '[0-9]{6,8}',
    maxlength: 8,
    'data-testid': 'login-totp',
  });
  const totpField = field('Authenticator code', totp, '6 digits from your authenticator app');
  let needTotp = localStorage.getItem(TOTP_HINT_KEY) === '1';
  totpField.hidden = !needTotp;
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'login-submit' }, 'Sign in');
  const form = h(
    'form',
    { class: 'stack', novalidate: true },
    field('User name', name),
    field('Password', password),
    totpField,
    submit,
    status,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!name.value || !password.value) {
      showError(status, new Error('Enter your user name and password.'));
      return;
    }
    void busy(submit, async () => {
      try {
        const ans = await api.login(name.value.trim(), password.value, needTotp && totp.value ? totp.value.trim() : undefined);
        setCsrfToken(ans.csrf_token);
        if (needTotp) localStorage.setItem(TOTP_HINT_KEY, '1');
        password.value = '';
        cb.signedIn(ans.mfa_enrollment_required);
      } catch (err) {
        if (err instanceof ApiError && err.code === 'mfa_required') {
          needTotp = true;
          localStorage.setItem(TOTP_HINT_KEY, '1');
          totpField.hidden = false;
          showInfo(status, 'Enter the code from your authenticator app.');
          totp.focus();
          return;
        }
        if (err instanceof ApiError && err.code === 'mfa_bad') {
          totp.value = '';
          totp.focus();
        }
        if (err instanceof ApiError && err.code === 'throttled' && err.retryAfterS) {
          showError(status, new Error(`Too many failed sign-ins. Try again in ${Math.ceil(err.retryAfterS / 60)} min.`));
          return;
        }
        showError(status, err);
      }
    });
  });
  clear(
    root,
    card(
      'Sign in',
      notice ? h('p', { class: 'status info', role: 'status' }, notice) : null,
      form,
      h('p', { class: 'muted small' }, 'New installation? ', h('a', { href: '#/setup' }, 'Set up the first administrator')),
    ),
  );
  (prefillName ? password : name).focus();
}

/** An account without a second factor: enrol, confirm with a code, then sign in again. */
export function renderMfaEnrollment(root: HTMLElement, onDone: (notice: string) => void, onSignOut: () => void): void {
  const status = statusBox();
  const area = h('div', { class: 'stack' });
  // The server asks for the password again, so a session alone cannot enrol an authenticator.
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true, 'data-testid': 'mfa-password' });
  const passwordField = field('Password', password, 'Your password again, to confirm it is you');
  const start = h('button', { type: 'submit', class: 'primary', 'data-testid': 'mfa-start' }, 'Set up authenticator');
  const startForm = h('form', { class: 'stack', novalidate: true }, passwordField, start);
  const signOut = h('button', { type: 'button', class: 'link-button', onclick: () => onSignOut() }, 'Sign out');
  startForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!password.value) {
      showError(status, new Error('Enter your password.'));
      return;
    }
    void busy(start, async () => {
      try {
        const e = await api.mfaEnroll(password.value);
        password.value = '';
        startForm.hidden = true;
        const code = h('input', { type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 8, required: true, 'data-testid': 'mfa-code' });
        const confirm = h('button', { type: 'submit', class: 'primary', 'data-testid': 'mfa-confirm' }, 'Confirm');
        const form = h('form', { class: 'stack' }, field('Code from the app', code), confirm);
        form.addEventListener('submit', (ev) => {
          ev.preventDefault();
          void busy(confirm, async () => {
            try {
              await api.mfaConfirm(code.value.trim());
              localStorage.setItem(TOTP_HINT_KEY, '1');
              onDone('Authenticator set up. Sign in again with your password and a code.');
            } catch (err) {
              showError(status, err);
            }
          });
        });
        clear(
          area,
          h('p', null, 'Add this account to your authenticator app (any TOTP app), either by typing the secret or by opening the address below, then enter the code it shows.'),
          h('dl', { class: 'kv' }, h('dt', null, 'Secret'), h('dd', null, h('code', { class: 'secret', 'data-testid': 'mfa-secret' }, e.secret)), h('dt', null, 'Address'), h('dd', null, h('code', { class: 'uri', 'data-testid': 'mfa-uri' }, e.otpauth_uri))),
          h('p', { class: 'muted small' }, 'The secret is shown only once. Do not store it beside your password.'),
          form,
        );
        code.focus();
      } catch (err) {
        showError(status, err);
      }
    });
  });
  clear(
    root,
    card(
      'Set up two-factor sign-in',
      h('p', null, 'This account needs an authenticator app code at sign-in before it can be used.'),
      startForm,
      area,
      status,
      h('p', { class: 'small' }, signOut),
    ),
  );
  password.focus();
}

/** First administrator, with the one-time bootstrap token printed by `heartbase init`. */
export function renderBootstrap(root: HTMLElement, onDone: (name: string) => void): void {
  const status = statusBox();
  const token = h('input', { type: 'password', autocomplete: 'off', required: true, 'data-testid': 'setup-token' });
  const name = h('input', { type: 'text', autocomplete: 'username', required: true, 'data-testid': 'setup-name' });
  const pw = h('input', { type: 'password', autocomplete: 'new-password', required: true, minlength: 12, 'data-testid': 'setup-password' });
  const pw2 = h('input', { type: 'password', autocomplete: 'new-password', required: true, 'data-testid': 'setup-password2' });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'setup-submit' }, 'Create administrator');
  const form = h(
    'form',
    { class: 'stack', novalidate: true },
    field('Set-up token', token, 'Printed once by the installation; it works only until the first administrator exists.'),
    field('Administrator user name', name),
    field('Password', pw, 'At least 12 characters; a passphrase of several words is best.'),
    field('Password again', pw2),
    submit,
    status,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!token.value || !name.value || !pw.value) return showError(status, new Error('Fill in every field.'));
    if (pw.value !== pw2.value) return showError(status, new Error('The two passwords differ.'));
    void busy(submit, async () => {
      try {
        await api.bootstrap(token.value.trim(), name.value.trim(), pw.value);
        onDone(name.value.trim());
      } catch (err) {
        showError(status, err);
      }
    });
  });
  clear(
    root,
    card(
      'Set up the first administrator',
      h('p', null, 'After this, sign in and set up an authenticator app: administrators always need one.'),
      form,
      h('p', { class: 'small' }, h('a', { href: '#/login' }, 'Back to sign-in')),
    ),
  );
  token.focus();
}
