// The dialog every action that needs a reason shares (discard a quarantine entry, cancel a visit,
// send a result again): a required reason checked here before anything is sent, the server's
// refusal shown in the dialog, nothing sent on Cancel. The reason is sealed in the audit trail.
import { busy, clear, field, h, showError, statusBox } from './dom';

export interface ReasonDialogOptions<T> {
  /** Test ids are `${testid}-dialog`, `-reason`, `-confirm` and `-${cancelId}`. */
  testid: string;
  title: string;
  /** What happens, said before it does. */
  intro?: string;
  confirm: string;
  cancel?: string;
  cancelId?: string;
  danger?: boolean;
  maxLength: number;
  /** Why the reason cannot be sent, or null. */
  problem(reason: string): string | null;
  /** Sends it; its result resolves the dialog. */
  submit(reason: string): Promise<T>;
  /** The server's refusals in the words of the screen. */
  describeError?(err: unknown): unknown;
}

/** Resolves with what `submit` returned, or null when the dialog was closed without it. */
export function reasonDialog<T>(o: ReasonDialogOptions<T>): Promise<T | null> {
  return new Promise((resolve) => {
    const reason = h('textarea', { rows: 3, required: true, maxlength: o.maxLength, 'data-testid': `${o.testid}-reason` });
    const ok = h('button', { type: 'submit', class: o.danger ? 'danger' : 'primary', 'data-testid': `${o.testid}-confirm` }, o.confirm);
    const cancel = h('button', { type: 'button', 'data-testid': `${o.testid}-${o.cancelId ?? 'cancel'}` }, o.cancel ?? 'Cancel');
    const status = statusBox();
    const titleId = `${o.testid}-title`;
    // novalidate: our own messages go to the status box, where the browser's bubbles would not.
    const form = h(
      'form',
      { class: 'stack', novalidate: true },
      o.intro ? h('p', null, o.intro) : null,
      field('Reason', reason, `Required, at most ${o.maxLength} characters. Kept (sealed) in the audit trail.`),
      h('div', { class: 'actions' }, ok, cancel),
      status,
    );
    const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': titleId, 'data-testid': `${o.testid}-dialog` }, h('h2', { id: titleId }, o.title), form);
    let result: T | null = null;
    // A message about the reason is stale once the reason changes.
    reason.addEventListener('input', () => clear(status));
    cancel.addEventListener('click', () => dlg.close());
    dlg.addEventListener('close', () => {
      dlg.remove();
      resolve(result);
    });
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const problem = o.problem(reason.value);
      if (problem) {
        showError(status, new Error(problem));
        reason.focus();
        return;
      }
      void busy(ok, async () => {
        try {
          result = await o.submit(reason.value);
          dlg.close();
        } catch (err) {
          showError(status, o.describeError ? o.describeError(err) : err);
        }
      });
    });
    document.body.appendChild(dlg);
    dlg.showModal();
    reason.focus();
  });
}
