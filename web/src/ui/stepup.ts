// Re-authentication dialogs: password (and code) asked again in a modal dialog, then handed to
// the action that needs them. Administration uses it as a step-up (403 step_up_required: confirm
// with the server, then run the refused call once more); sending a report passes the
// credentials with the request itself, as sign-off does.
import { api, ApiError, type StepUp } from '../api';
import { busy, field, h, showError, statusBox } from './dom';

export interface ReauthOptions<T> {
  title: string;
  intro: string;
  confirmLabel: string;
  /** Prefix of the data-testids: `<prefix>-dialog`, `-password`, `-totp`, `-confirm`. */
  testid: string;
  /** Fields shown above the password (e.g. the choice of a recipient). */
  fields?: HTMLElement[];
  /** Checks the other fields before anything is sent: a message to show, or null. */
  validate?: () => string | null;
  /** The action; the dialog closes with its answer, or stays open and shows its error. */
  submit: (credentials: StepUp) => Promise<T>;
  /** Wording of an error other than a wrong password or a missing code (null: the server's). */
  describe?: (err: unknown) => string | null;
}

/** Opens the dialog; resolves with the action's answer, or null when the user cancels. */
export function reauthDialog<T>(o: ReauthOptions<T>): Promise<T | null> {
  return new Promise((resolve) => {
    const pw = h('input', { type: 'password', autocomplete: 'current-password', required: true, 'data-testid': `${o.testid}-password` });
    const totp = h('input', { type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 8, 'data-testid': `${o.testid}-totp` });
    const ok = h('button', { type: 'submit', class: 'primary', 'data-testid': `${o.testid}-confirm` }, o.confirmLabel);
    const cancel = h('button', { type: 'button' }, 'Cancel');
    const status = statusBox();
    const titleId = `${o.testid}-title`;
    const form = h(
      'form',
      { class: 'stack' },
      h('p', null, o.intro),
      o.fields ?? [],
      field('Your password', pw),
      field('Authenticator code', totp, 'If your account uses one.'),
      h('div', { class: 'actions' }, ok, cancel),
      status,
    );
    const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': titleId, 'data-testid': `${o.testid}-dialog` }, h('h2', { id: titleId }, o.title), form);
    let answer: T | null = null;
    cancel.addEventListener('click', () => dlg.close());
    dlg.addEventListener('close', () => {
      pw.value = ''; // the password lives no longer than the dialog
      dlg.remove();
      resolve(answer);
    });
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const invalid = o.validate?.() ?? (pw.value ? null : 'Enter your password.');
      if (invalid) return showError(status, new Error(invalid));
      void busy(ok, async () => {
        try {
          answer = await o.submit({ password: pw.value, totp: totp.value.trim() || undefined });
          dlg.close();
        } catch (err) {
          pw.value = '';
          if (err instanceof ApiError && err.code === 'mfa_required') {
            showError(status, new Error('Enter the code from your authenticator app as well.'));
            totp.focus();
            return;
          }
          const wrong = err instanceof ApiError && (err.code === 'reauth_failed' || err.status === 401);
          const text = wrong ? 'The password or code is wrong.' : o.describe?.(err) ?? null;
          showError(status, text ? new Error(text) : err);
          pw.focus();
        }
      });
    });
    document.body.appendChild(dlg);
    dlg.showModal();
    (o.fields?.length ? form.querySelector<HTMLElement>('select, input, textarea') : pw)?.focus();
  });
}

function askStepUp(): Promise<boolean> {
  return reauthDialog({
    title: 'Confirm it is you',
    intro: 'Administration needs your password again (valid for a few minutes).',
    confirmLabel: 'Confirm',
    testid: 'stepup',
    submit: async (c) => {
      await api.stepUp(c.password, c.totp);
      return true;
    },
  }).then((confirmed) => confirmed === true);
}

/** Run `fn`; if the server asks for a step-up, ask the user, then run it once more. */
export async function withStepUp<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 'step_up_required')) throw err;
    if (!(await askStepUp())) throw err;
    return fn();
  }
}
