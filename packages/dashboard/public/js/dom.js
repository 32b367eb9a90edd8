// @ts-check
// DOM building for the dashboard page, where every server value becomes text. h() creates
// elements, puts strings in text nodes and sets only allow-listed attributes: never markup, never
// on* attributes (listeners go through addEventListener, under the `on` key).

/** @typedef {string | number | Node | null | undefined | false | readonly unknown[]} Child */
/** @template {string} N @typedef {N extends keyof HTMLElementTagNameMap ? HTMLElementTagNameMap[N] : HTMLElement} Tag */
/** @typedef {{ [name: string]: string | number | boolean | null | undefined | Record<string, EventListener> }} Attrs */

const ALLOWED = new Set(
  'id class href type name value placeholder for title role tabindex scope colspan min max step rows required checked selected autocomplete spellcheck datetime hidden list'.split(
    ' ',
  ),
);
/** A URL with a scheme (javascript:, data:…): h() only makes relative links. */
const SCHEME = /^\s*[a-z][\w+.-]*:/i;

/**
 * `h('td.num', { title: 'x' }, '42')`: a tag with optional `.class` suffixes, then optional
 * attributes, then children (strings become text nodes, arrays are flattened, null/false skipped).
 * @template {string} T
 * @param {T} tag
 * @param {...(Attrs | Child)} rest
 * @returns {Tag<T extends `${infer N}.${string}` ? N : T>}
 */
export function h(tag, ...rest) {
  const [name = 'div', ...classes] = tag.split('.');
  const el = document.createElement(name);
  if (classes.length) el.className = classes.join(' ');
  const first = rest[0];
  if (first && typeof first === 'object' && !(first instanceof Node) && !Array.isArray(first)) {
    rest.shift();
    for (const [key, value] of Object.entries(/** @type {Attrs} */ (first))) {
      if (key === 'on') {
        for (const [type, fn] of Object.entries(/** @type {Record<string, EventListener>} */ (value))) {
          el.addEventListener(type, fn);
        }
      } else if (value === null || value === undefined || value === false) {
        // left out
      } else if (key === 'class') {
        el.classList.add(...String(value).split(' ').filter(Boolean));
      } else if (
        (!ALLOWED.has(key) && !/^(data|aria)-/.test(key)) ||
        (key === 'href' && SCHEME.test(String(value)))
      ) {
        throw new Error(`h(): attribute ${key}=${String(value)} is not allowed`);
      } else {
        el.setAttribute(key, value === true ? '' : String(value));
      }
    }
  }
  append(el, /** @type {Child[]} */ (rest));
  return /** @type {any} */ (el);
}

/** @param {Node} parent @param {Child[]} children */
export function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * Replace an element's children. When the focused control is rebuilt, focus goes to its
 * successor with the same `data-key`: a live refresh must not throw a keyboard user to the top.
 * @param {Element} parent @param {...Child} children
 */
export function replace(parent, ...children) {
  const active = document.activeElement;
  const key = active instanceof HTMLElement && parent.contains(active) ? active.dataset.key : undefined;
  parent.replaceChildren();
  append(parent, children);
  const again = key === undefined ? null : parent.querySelector(`[data-key="${CSS.escape(key)}"]`);
  if (again instanceof HTMLElement) again.focus();
}

/** A message line for errors and notices near a form, announced politely. @param {string} testid */
export function messageBox(testid) {
  const el = h('p.msg', { 'aria-live': 'polite', 'data-testid': testid });
  return {
    el,
    /** @param {string} text @param {'error' | 'ok'} [kind] */
    show(text, kind = 'error') {
      el.className = `msg msg--${kind}`;
      el.textContent = text;
    },
    clear() {
      el.className = 'msg';
      el.textContent = '';
    },
  };
}

/** A label bound to its control (which must have an id), and an optional hint. */
export function field(/** @type {string} */ label, /** @type {HTMLElement} */ control, hint = '') {
  if (hint) control.setAttribute('aria-describedby', `${control.id}-hint`);
  return h(
    'div.field',
    h('label', { for: control.id }, label),
    control,
    hint && h('span.hint', { id: `${control.id}-hint` }, hint),
  );
}

/**
 * A table that scrolls sideways inside its container on narrow screens.
 * @param {string} testid @param {string} caption for screen readers @param {string[]} columns
 * @param {...Child} bodies
 */
export function table(testid, caption, columns, ...bodies) {
  return h(
    'div.table-wrap',
    h(
      'table',
      { 'data-testid': testid },
      h('caption.sr-only', caption),
      h(
        'thead',
        h(
          'tr',
          columns.map((c) => h('th', { scope: 'col' }, c)),
        ),
      ),
      bodies,
    ),
  );
}

/** Label chips, `service=api` each. @param {Record<string, unknown> | undefined} labels */
export function chips(labels) {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return h('span.muted', '—');
  return h(
    'span.chips',
    entries.map(([k, v]) => h('span.chip', `${k}=${String(v)}`)),
  );
}
