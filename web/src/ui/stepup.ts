// Administration needs a fresh re-authentication (403 step_up_required): ask for the password
// (and code) in a dialog, confirm it with the server, then run the refused call once more.
import { api, ApiError } from '../api';
import { busy, field, h, showError, statusBox } from './dom';

function askStepUp(): Promise<boolean> {
  return new Promise((resolve) => {
    const pw = h('input', { type: 'password', autocomplete: 'current-password', required: true, 'data-testid': 'stepup-password' });
    const totp = h('input', { type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 8, 'data-testid': 'stepup-totp' });
    const ok = h('button', { type: 'submit', class: 'primary', 'data-testid': 'stepup-confirm' }, 'Confirm');
    const cancel = h('button', { type: 'button' }, 'Cancel');
    const status = statusBox();
    const form = h(
      'form',
      { class: 'stack' },
      h('p', null, 'Administration needs your password again (valid for a few minutes).'),
      field('Your password', pw),
      field('Authenticator code', totp),
      h('div', { class: 'actions' }, ok, cancel),
      status,
    );
    const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': 'stepup-title', 'data-testid': 'stepup-dialog' }, h('h2', { id: 'stepup-title' }, 'Confirm it is you'), form);
    let confirmed = false;
    cancel.addEventListener('click', () => dlg.close());
    dlg.addEventListener('close', () => {
      pw.value = '';
      dlg.remove();
      resolve(confirmed);
    });
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void busy(ok, async () => {
        try {
          await api.stepUp(pw.value, totp.value.trim() || undefined);
          confirmed = true;
          dlg.close();
        } catch (err) {
          pw.value = '';
          showError(status, err instanceof ApiError && err.status === 401 ? new Error('The password or code is wrong.') : err);
          pw.focus();
        }
      });
    });
    document.body.appendChild(dlg);
    dlg.showModal();
    pw.focus();
  });
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
