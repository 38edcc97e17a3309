// A small DOM builder. Text goes in as text nodes, never as HTML; there is no way to pass an
// inline style or an innerHTML through it (the server's CSP forbids both, and data is untrusted).

type Child = Node | string | number | null | undefined | false | Child[];

export type Attrs = {
  [key: string]: string | number | boolean | null | undefined | ((ev: Event) => void);
};

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'style' || k === 'innerHTML' || k === 'srcdoc') throw new Error(`attribute ${k} is not allowed`);
      if (typeof v === 'function') {
        if (!k.startsWith('on')) throw new Error(`function for ${k}`);
        el.addEventListener(k.slice(2).toLowerCase(), v);
      } else if (k === 'class') {
        el.className = String(v);
      } else if (k === 'value' && 'value' in el) {
        (el as HTMLInputElement).value = String(v);
      } else if (k === 'checked' && 'checked' in el) {
        (el as HTMLInputElement).checked = v === true;
      } else {
        el.setAttribute(k, v === true ? '' : String(v));
      }
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else if (typeof c === 'string' || typeof c === 'number') parent.appendChild(document.createTextNode(String(c)));
    else parent.appendChild(c);
  }
}

/** Replace an element's content. */
export function clear(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A labelled form field: <label for> + control, wrapped. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  if (!control.id) control.id = uid('f');
  const parts: Child[] = [h('label', { for: control.id }, label), control];
  if (hint) {
    const hintId = uid('hint');
    control.setAttribute('aria-describedby', hintId);
    parts.push(h('div', { class: 'hint', id: hintId }, hint));
  }
  return h('div', { class: 'field' }, ...parts);
}

let counter = 0;
export function uid(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** A message area that screen readers announce. */
export function statusBox(): HTMLElement {
  return h('div', { class: 'status', role: 'status', 'aria-live': 'polite' });
}

export function showError(box: HTMLElement, err: unknown): void {
  box.className = 'status error';
  box.setAttribute('role', 'alert');
  clear(box, errorText(err));
}

export function showInfo(box: HTMLElement, text: string): void {
  box.className = 'status info';
  box.setAttribute('role', 'status');
  clear(box, text);
}

export function errorText(err: unknown): string {
  if (err && typeof err === 'object' && 'message' in err) {
    const e = err as { message: string; correlationId?: string | null; status?: number };
    const ref = e.correlationId ? ` (reference ${e.correlationId})` : '';
    return `${e.message}${ref}`;
  }
  return 'Something went wrong.';
}

/** Disable a button while an action runs; re-enable afterwards. */
export async function busy<T>(button: HTMLButtonElement, fn: () => Promise<T>): Promise<T> {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await fn();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

/** A table with a header row. `cols` are header labels. */
export function table(cols: string[], rows: HTMLTableRowElement[], opts: { caption?: string; testid?: string; className?: string } = {}): HTMLTableElement {
  return h(
    'table',
    { class: opts.className ?? 'grid', 'data-testid': opts.testid },
    opts.caption ? h('caption', null, opts.caption) : null,
    h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', null, rows),
  );
}

export function select(options: [string, string][], value: string, attrs: Attrs = {}): HTMLSelectElement {
  const s = h('select', attrs, options.map(([v, label]) => h('option', { value: v }, label)));
  s.value = value;
  return s;
}

/** The page heading; focused after navigation so keyboard and screen-reader users land on it. */
export function pageTitle(text: string): HTMLHeadingElement {
  return h('h1', { tabindex: '-1', class: 'page-title' }, text);
}

/** A modal yes/no question in a native <dialog> (keyboard and screen-reader friendly). */
export function confirmDialog(question: string, yes: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ok = h('button', { type: 'button', class: 'danger', 'data-testid': 'confirm-yes' }, yes);
    const no = h('button', { type: 'button', 'data-testid': 'confirm-no' }, 'Cancel');
    const dlg = h('dialog', { class: 'dialog', role: 'alertdialog', 'aria-label': question }, h('p', null, question), h('div', { class: 'actions' }, ok, no));
    let answer = false;
    ok.addEventListener('click', () => {
      answer = true;
      dlg.close();
    });
    no.addEventListener('click', () => dlg.close());
    dlg.addEventListener('close', () => {
      dlg.remove();
      resolve(answer);
    });
    document.body.appendChild(dlg);
    dlg.showModal();
    no.focus();
  });
}
