/*
 * ui.js — DOM helpers shared by the consoles (www/admin/ui.js is a symlink
 * to this file, like api.js; see the top of api.js for why).
 *
 * Everything the pages show that came from the server or a user goes in as
 * text (textContent, attribute values), never as markup, so a name or a
 * banner holding HTML reads as the characters it is. Nothing here writes
 * inline styles: state is shown by attributes the stylesheet reads
 * (data-kind, data-value, hidden), which the strict CSP requires anyway.
 */

import { errorText } from './api.js';

/** document.getElementById, throwing when a page lacks an element a script needs. */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`missing element #${id}`);
  return node;
}

/**
 * Create an element. `props` keys: class, text, attrs (object of attributes),
 * data (dataset), on (object of event listeners); other keys are set as
 * properties (type, value, disabled, ...). Children are nodes or strings.
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = String(value);
    else if (key === 'attrs') for (const [a, v] of Object.entries(value)) { if (v !== null && v !== undefined) node.setAttribute(a, String(v)); }
    else if (key === 'data') Object.assign(node.dataset, value);
    else if (key === 'on') for (const [ev, fn] of Object.entries(value)) node.addEventListener(ev, fn);
    else node[key] = value;
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Show a message in an .alert element: kind is error, success, info or warning. */
export function say(node, kind, text) {
  node.dataset.kind = kind;
  node.textContent = text;
  node.hidden = false;
}

/** Show a failed API result in an .alert element. */
export function sayError(node, result) {
  say(node, 'error', errorText(result));
}

/* A failed sign-in in words: throttled (with the wait), refused, or another error. */
export function saySigninFailure(node, result) {
  if (result.status === 429) {
    const wait = result.retryAfter ? ` Try again in ${duration(result.retryAfter)}.` : ' Try again later.';
    say(node, 'error', `Too many failed sign-in attempts.${wait}`);
  } else if (result.status === 401) {
    say(node, 'error', result.error?.message || 'The sign-in details are not correct.');
  } else {
    sayError(node, result);
  }
}

export function clear(node) {
  node.textContent = '';
  delete node.dataset.kind;
}

/**
 * Field errors of a 422 next to their inputs. Each input named NAME in the
 * form may have an element with data-error-for="NAME"; the input gets
 * aria-invalid and points at the message with aria-describedby. Returns true
 * when at least one field error found its input; the caller shows the
 * general message otherwise.
 */
export function showFieldErrors(form, result) {
  clearFieldErrors(form);
  let placed = false;
  let first = null;
  for (const f of result.error?.fields || []) {
    const input = form.elements.namedItem(f.field);
    const slot = form.querySelector(`[data-error-for="${CSS.escape(f.field)}"]`);
    if (!input || !slot) continue;
    slot.textContent = slot.textContent ? `${slot.textContent} ${f.message}` : f.message;
    if (input instanceof HTMLElement) {
      input.setAttribute('aria-invalid', 'true');
      if (!slot.id) slot.id = `${form.id || 'form'}-${f.field}-error`;
      const described = (input.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
      if (!described.includes(slot.id)) input.setAttribute('aria-describedby', [...described, slot.id].join(' '));
      first = first || input;
    }
    placed = true;
  }
  first?.focus();
  return placed;
}

/**
 * A failed form submission: each field error next to its input, and in
 * `alertNode` the errors that have no input here (or the general message
 * when the answer named no field), so no message is ever dropped.
 */
export function showFormErrors(form, alertNode, result) {
  clear(alertNode);
  const fields = Array.isArray(result.error?.fields) ? result.error.fields : [];
  if (fields.length === 0) {
    clearFieldErrors(form);
    sayError(alertNode, result);
    return;
  }
  showFieldErrors(form, result);
  const placed = (f) => form.elements.namedItem(f.field) && form.querySelector(`[data-error-for="${CSS.escape(f.field)}"]`);
  const rest = fields.filter((f) => !placed(f));
  if (rest.length > 0) say(alertNode, 'error', rest.map((f) => `${f.field}: ${f.message}`).join(' '));
  else errorSummary(form, alertNode, fields);
}

/* The field's visible label (without a "(required)" hint), or its name. */
function fieldLabel(input, name) {
  const text = input.labels?.[0]?.textContent.replace(/\s*\(.*?\)\s*/g, ' ').trim();
  return text || name;
}

/*
 * The summary of a failed submit, in the form's alert (a live region, so it
 * is read out): one link per field error that moves focus to the field. The
 * links focus rather than follow their #id, because the consoles route on
 * the location hash.
 */
function errorSummary(form, alertNode, fields) {
  if (!alertNode.getAttribute('role')) alertNode.setAttribute('role', 'alert');
  const links = [];
  for (const f of fields) {
    const input = form.elements.namedItem(f.field);
    if (!(input instanceof HTMLElement)) continue;
    if (!input.id) input.id = `${form.id || 'form'}-${f.field}`;
    links.push(el('a', {
      attrs: { href: `#${input.id}` }, text: `${fieldLabel(input, f.field)}: ${f.message}`,
      on: { click: (ev) => { ev.preventDefault(); input.focus(); } },
    }));
  }
  say(alertNode, 'error', links.length === 1 ? 'One value needs a change: ' : 'Some values need a change: ');
  links.forEach((a, i) => alertNode.append(i ? '; ' : '', a));
}

/**
 * Narrow screens show each table row as a card whose cells carry their
 * column's name (CSS reads data-label). This copies each header's text into
 * the cells of its column whenever rows are added to any .table, so the
 * scripts that render rows need not know about it. A cell spanning several
 * columns (an empty-state row) gets no label.
 */
export function labelTable(table) {
  const heads = [...(table.tHead?.rows[0]?.cells || [])].map((th) => th.textContent.trim());
  for (const body of table.tBodies) {
    for (const row of body.rows) {
      let col = 0;
      for (const cell of row.cells) {
        // A row header (th) titles its card and needs no caption.
        if (cell.tagName === 'TD' && cell.colSpan === 1 && heads[col] && !cell.hasAttribute('data-label')) {
          cell.dataset.label = heads[col];
        }
        col += cell.colSpan;
      }
    }
  }
}

function labelTablesAlways() {
  const all = () => document.querySelectorAll('table.table').forEach(labelTable);
  // A page has a handful of tables of at most a few hundred rows: relabelling
  // them all per batch of changes is cheaper than working out which changed.
  new MutationObserver(all).observe(document.documentElement, { childList: true, subtree: true });
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', all);
  else all();
}

labelTablesAlways();

export function clearFieldErrors(form) {
  for (const slot of form.querySelectorAll('[data-error-for]')) slot.textContent = '';
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
}

/** Set one field's error from the page itself (e.g. passwords that differ). */
export function fieldError(form, name, message) {
  showFieldErrors(form, { error: { fields: [{ field: name, message }] } });
}

/** Run fn with the button disabled (and aria-busy on the form), whatever fn does. */
export async function busy(button, fn) {
  const form = button?.form;
  // Disabling the focused button drops focus to the page's start; a keyboard
  // user gets it back on the button (unless fn moved it somewhere on purpose).
  const hadFocus = button && document.activeElement === button;
  if (button) button.disabled = true;
  form?.setAttribute('aria-busy', 'true');
  try {
    return await fn();
  } finally {
    if (button) button.disabled = false;
    form?.removeAttribute('aria-busy');
    if (hadFocus && button.isConnected && !button.hidden
        && (document.activeElement === document.body || document.activeElement === null)) button.focus();
  }
}

/** Show exactly one of the views (elements with data-view) and focus its heading when asked. */
export function showView(name, { focus = true } = {}) {
  for (const view of document.querySelectorAll('[data-view]')) view.hidden = view.dataset.view !== name;
  const view = document.querySelector(`[data-view="${name}"]`);
  if (focus) {
    const heading = view?.querySelector('h1, h2');
    if (heading) {
      heading.setAttribute('tabindex', '-1');
      heading.focus({ preventScroll: false });
    }
  }
  return view;
}

/* ---- times -------------------------------------------------------------- */

const DATE_TIME = new Intl.DateTimeFormat(undefined, {
  year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
});

/** "12 Mar 2026, 14:05" in the browser's zone; `fallback` when there is no time. */
export function formatTime(iso, fallback = '—') {
  if (!iso) return fallback;
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? String(iso) : DATE_TIME.format(t);
}

const SHORT = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

/** "23 Nov, 19:18" (the year only when it is not this year), for dense tables. */
export function formatTimeShort(iso, fallback = '—') {
  if (!iso) return fallback;
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return String(iso);
  return t.getFullYear() === new Date().getFullYear() ? SHORT.format(t) : DATE_TIME.format(t);
}

/** "3 minutes ago", "in 2 hours"; `fallback` when there is no time. */
export function relativeTime(iso, fallback = 'never') {
  if (!iso) return fallback;
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return String(iso);
  const seconds = Math.round((t - Date.now()) / 1000);
  const abs = Math.abs(seconds);
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  if (abs < 45) return 'just now';
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), 'minute');
  if (abs < 86400) return rtf.format(Math.round(seconds / 3600), 'hour');
  if (abs < 86400 * 45) return rtf.format(Math.round(seconds / 86400), 'day');
  return formatTime(iso);
}

/** A <time> element showing a relative time, the exact one in its title. */
export function timeCell(iso, fallback = 'never') {
  if (!iso) return el('span', { class: 'muted-text', text: fallback });
  return el('time', { attrs: { datetime: iso, title: formatTime(iso) }, text: relativeTime(iso, fallback) });
}

/** "15 minutes", "40 seconds", "2 hours" for a wait in seconds. */
export function duration(seconds) {
  const s = Math.max(1, Math.round(seconds));
  if (s < 90) return `${s} second${s === 1 ? '' : 's'}`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} minute${m === 1 ? '' : 's'}`;
  const h = Math.round(m / 60);
  return `${h} hour${h === 1 ? '' : 's'}`;
}

/* ---- labels ------------------------------------------------------------- */

const LABELS = {
  customer_admin: 'Admin',
  customer_member: 'Member',
  operator_admin: 'Operator admin',
  operator: 'Operator',
  auditor: 'Auditor',
  active: 'Active',
  dormant: 'Dormant',
  suspended: 'Suspended',
  deactivated: 'Deactivated',
};

export function label(value) {
  return LABELS[value] || String(value ?? '');
}

/** A badge whose colour follows its value (status, role, on/off). */
export function badge(value, text = label(value)) {
  return el('span', { class: 'badge', data: { value: String(value) }, text });
}

/* ---- clipboard and dialogs --------------------------------------------- */

/** Copy text; falls back to selecting an input's contents when the Clipboard API refuses. */
export async function copyText(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (input) {
      input.focus();
      input.select();
      try {
        // execCommand is deprecated but is the only fallback outside a secure context.
        return document.execCommand('copy');
      } catch {
        return false;
      }
    }
    return false;
  }
}

/**
 * A read-only value with a Copy button and a live "Copied" note. `shown`
 * (optional) is what the box displays, e.g. a secret grouped for reading;
 * Copy always copies `value` itself.
 */
export function secretBox(value, { label: text, id, big = false, shown } = {}) {
  const inputId = id || `secret-${Math.random().toString(36).slice(2)}`;
  // Long values (links) wrap in a text area so all of them is visible.
  const long = (shown ?? value).length > 48;
  const input = el(long ? 'textarea' : 'input', {
    id: inputId,
    class: `secret__value${big && !long ? ' secret__value--big' : ''}${long ? ' secret__value--long' : ''}`,
    type: long ? undefined : 'text',
    readOnly: true,
    value: shown ?? value,
    rows: long ? 3 : undefined,
    attrs: { spellcheck: 'false', autocomplete: 'off', 'data-value': value },
  });
  const note = el('p', { class: 'copied', attrs: { role: 'status', 'aria-live': 'polite' } });
  const button = el('button', {
    type: 'button',
    class: 'button',
    text: 'Copy',
    attrs: { 'aria-label': `Copy ${text || 'value'}` },
    on: {
      click: async () => {
        const ok = await copyText(value, input);
        note.textContent = ok ? 'Copied to the clipboard.' : 'Select the text and copy it yourself.';
      },
    },
  });
  const wrap = el('div', {},
    text ? el('label', { class: 'label', attrs: { for: inputId }, text }) : null,
    el('div', { class: 'secret' }, input, button),
    note);
  return wrap;
}

/**
 * Open a modal <dialog> built from `content` nodes and buttons; resolves with
 * the value of the button pressed (Escape resolves with 'cancel'). The dialog
 * is removed afterwards and focus returns to where it was.
 */
export function openDialog({ title, content = [], buttons, labelledBy }) {
  return new Promise((resolve) => {
    const returnTo = document.activeElement;
    const titleId = labelledBy || `dialog-title-${Math.random().toString(36).slice(2)}`;
    const actions = el('div', { class: 'modal__actions' });
    const dialog = el('dialog', { class: 'modal', attrs: { 'aria-labelledby': titleId } },
      el('div', { class: 'modal__body' }, el('h2', { id: titleId, text: title }), ...content),
      actions);
    let settled = false;
    const finish = (value) => {
      if (settled) return;
      settled = true;
      dialog.close();
      dialog.remove();
      if (returnTo instanceof HTMLElement && returnTo.isConnected) returnTo.focus();
      resolve(value);
    };
    let autofocus = null;
    for (const b of buttons) {
      const button = el('button', {
        type: 'button',
        class: b.class || 'button',
        text: b.text,
        on: { click: () => finish(b.value) },
      });
      if (b.autofocus) autofocus = button;
      actions.append(button);
    }
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      finish('cancel');
    });
    document.body.append(dialog);
    dialog.showModal();
    (autofocus || actions.lastElementChild)?.focus();
  });
}

/** Ask before a change; resolves true when confirmed. */
export async function confirmAction({ title, message, confirm, danger = false }) {
  const answer = await openDialog({
    title,
    content: (Array.isArray(message) ? message : [message]).map((m) => (m instanceof Node ? m : el('p', { text: m }))),
    buttons: [
      { text: 'Cancel', value: 'cancel', class: 'button', autofocus: true },
      { text: confirm, value: 'ok', class: danger ? 'button button--danger button--primary' : 'button button--primary' },
    ],
  });
  return answer === 'ok';
}

/** Show a value that the server returns once (temporary password, reset link, TOTP secret). */
export async function showOnce({ title, intro, value, valueLabel, note }) {
  await openDialog({
    title,
    content: [
      intro ? el('p', { text: intro }) : null,
      secretBox(value, { label: valueLabel, big: value.length < 40 }),
      note ? el('p', { class: 'hint', text: note }) : null,
    ].filter(Boolean),
    buttons: [{ text: 'Done', value: 'done', class: 'button button--primary' }],
  });
}
