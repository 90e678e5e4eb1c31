/*
 * workspace.js — the Workspace card of Account Setup: what still stands in the
 * way of "Create", the name, a confirmation, POST /workspaces, and the
 * requests (GET /workspaces) with their states.
 *
 * The gates come from GET /checklist before any click: an item that is not
 * finished carries `gate` {message, retryable, cleared_by, next}, the same
 * words a refused Create (409 setup_blocked, error.gates) carries, so the page
 * has one rule for both (gatesOf). While a gate stands, Create is disabled and
 * says why (aria-describedby); retrying would only be refused again.
 *
 * One confirmed intent (a name, confirmed) gets one Idempotency-Key; a retry
 * after an answer that never arrived (network, 5xx, 429) reuses it, so the
 * request cannot be made twice; the server also answers a second Create of a
 * name already queued with that request (already_queued).
 */

import {
  badge, busy, byId, clear, clearFieldErrors, el, fieldError, formatTime, say, sayError, showFormErrors, timeCell,
} from './ui.js';
import { stateBadge } from './setup-view.js';

let calls = null; // { get, send, ownFailure, isAdmin, refreshChecklist, workspacesLoaded? }

const ws = {
  gates: [],
  ready: false,
  known: false, // a checklist answer arrived
  intent: null, // { name, key } of the confirmed Create whose answer is not known yet
  running: false,
};

// The server's rule (identity_slug_ok): 1–63 of a-z 0-9 -, no dash at either end.
const NAME_RULE = /^(?=.{1,63}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const NAME_MESSAGE = 'Use 1 to 63 lowercase letters, digits and dashes, not starting or ending with a dash.';
const CLEARED_BY = { you: 'you', operator: 'our operators' };

/**
 * Wire the card: {get, send(method, path, body, headers), ownFailure, isAdmin(), refreshChecklist(),
 * workspacesLoaded(n)?} — the last hears how many requests the list shows.
 */
export function initWorkspace(c) {
  calls = c;
}

/** The gates of a checklist's items (GET /checklist), in the shape of a 409's error.gates. */
export function gatesOf(items) {
  return (Array.isArray(items) ? items : []).filter((i) => i && i.gate).map((i) => ({
    key: i.key, title: i.title, state: i.state, category: i.blocker?.category, ...i.gate,
  }));
}

/** Show the card for a checklist answer ({items, ready}). */
export function showWorkspace(checklist) {
  ws.gates = gatesOf(checklist?.items);
  ws.ready = Boolean(checklist?.ready) && ws.gates.length === 0;
  ws.known = true;
  render();
}

/** Forget what was shown for the user who signed out. */
export function resetWorkspace() {
  Object.assign(ws, { gates: [], ready: false, known: false, intent: null, running: false });
  byId('workspace-gates-list').replaceChildren();
  byId('workspaces-rows').replaceChildren();
  byId('workspace-form').reset();
  clearFieldErrors(byId('workspace-form'));
  byId('workspace-confirm').hidden = true;
  clear(byId('workspace-flash'));
}

function gateNode(g) {
  const who = CLEARED_BY[g.cleared_by];
  return el('li', { class: 'gate', data: { key: String(g.key ?? ''), state: String(g.state ?? '') } },
    el('div', { class: 'checklist__head' },
      el('strong', { class: 'gate__title', text: String(g.title ?? g.key) }),
      g.state ? stateBadge(g.state) : null),
    el('p', { class: 'gate__message', text: String(g.message ?? '') }),
    el('p', { class: 'gate__next', text: `${g.next ?? ''}${who ? ` Who clears it: ${who}.` : ''}` }));
}

function whyText() {
  if (!ws.known) return 'Loading what still stands in the way…';
  if (ws.ready) return 'Everything is done: choose the name, then confirm.';
  const n = ws.gates.length;
  const retry = ws.gates.every((g) => g.retryable) ? 'Trying again may help once they are resolved.'
    : 'Retrying will not help until they are cleared.';
  return `Create is not available yet: ${n} item${n === 1 ? '' : 's'} above still stand${n === 1 ? 's' : ''} in the way. ${retry}`;
}

function render() {
  const admin = calls?.isAdmin();
  byId('workspace-gates-list').replaceChildren(...ws.gates.map(gateNode));
  byId('workspace-gates').hidden = ws.gates.length === 0;
  byId('workspace-form').hidden = !admin;
  byId('workspace-create-why').textContent = whyText();
  const blocked = !ws.ready;
  const button = byId('workspace-create');
  button.disabled = blocked || ws.running;
  button.classList.toggle('button--primary', !blocked);
  byId('workspace-name').disabled = blocked;
  if (blocked) byId('workspace-confirm').hidden = true;
}

/** The name as typed, checked with the server's rule; null (and the field's error shown) when wrong. */
function chosenName() {
  const form = byId('workspace-form');
  const name = byId('workspace-name').value.trim();
  clearFieldErrors(form);
  if (NAME_RULE.test(name)) return name;
  fieldError(form, 'name', name ? NAME_MESSAGE : `Enter a name. ${NAME_MESSAGE}`);
  return null;
}

byId('workspace-form').addEventListener('submit', (e) => {
  e.preventDefault();
  clear(byId('workspace-flash'));
  if (!ws.ready) return;
  const name = chosenName();
  if (!name) return;
  // A new name is a new intent; the same name keeps the key of an unanswered one.
  if (ws.intent?.name !== name) ws.intent = null;
  byId('workspace-confirm-text').textContent = `Create workspace ${name}?`;
  byId('workspace-confirm').dataset.name = name;
  byId('workspace-confirm').hidden = false;
  byId('workspace-confirm-yes').focus();
});

byId('workspace-name').addEventListener('input', () => {
  byId('workspace-confirm').hidden = true;
});

byId('workspace-confirm-no').addEventListener('click', () => {
  byId('workspace-confirm').hidden = true;
  ws.intent = null;
  byId('workspace-name').focus();
});

/** An answer that may not say what happened: the same intent is retried under the same key. */
const unknownOutcome = (result) => result.status === 0 || result.status === 429 || result.status >= 500;

byId('workspace-confirm-yes').addEventListener('click', async (e) => {
  if (ws.running) return;
  const name = byId('workspace-confirm').dataset.name;
  if (!ws.intent || ws.intent.name !== name) ws.intent = { name, key: crypto.randomUUID() };
  const { key } = ws.intent;
  ws.running = true;
  render();
  const result = await busy(e.currentTarget, () => calls.send('POST', '/workspaces', { name }, { 'Idempotency-Key': key }));
  ws.running = false;
  render();
  await answered(name, result);
});

async function answered(name, result) {
  const flash = byId('workspace-flash');
  if (!unknownOutcome(result)) ws.intent = null;
  if (result.ok) {
    byId('workspace-confirm').hidden = true;
    const w = result.data?.workspace_request || {};
    const since = w.created_at ? ` since ${formatTime(w.created_at)}` : '';
    say(flash, 'success', result.data?.already_queued
      ? `Workspace ${w.name ?? name} was already requested (${w.state ?? 'queued'}${since}): nothing new was created.`
      : `Workspace ${w.name ?? name} requested: it is ${w.state ?? 'queued'}${since}. We create it and the list below shows when it is ready.`);
    await Promise.all([loadWorkspaces(), calls.refreshChecklist()]);
    return;
  }
  if (!calls.ownFailure(result)) return;
  if (result.status === 409 && result.error?.code === 'setup_blocked') {
    byId('workspace-confirm').hidden = true;
    ws.gates = Array.isArray(result.error.gates) ? result.error.gates : [];
    ws.ready = false;
    render();
    say(flash, 'warning', `${result.error.message ?? ''} Retrying will not help until the items above are cleared.`);
    await calls.refreshChecklist();
    return;
  }
  if (result.status === 422) {
    byId('workspace-confirm').hidden = true;
    showFormErrors(byId('workspace-form'), flash, result);
    return;
  }
  sayError(flash, result);
  if (unknownOutcome(result)) {
    say(flash, 'error', `${flash.textContent} Press "Create workspace" again to retry: it is the same request, so it cannot create two.`);
  }
}

/** Load the workspace requests (GET /workspaces), newest first. */
export async function loadWorkspaces() {
  const result = await calls.get('/workspaces');
  if (!result) return;
  if (!result.ok) {
    if (calls.ownFailure(result)) sayError(byId('workspace-flash'), result);
    return;
  }
  const rows = Array.isArray(result.data?.workspace_requests) ? result.data.workspace_requests : [];
  byId('workspaces-rows').replaceChildren(...rows.map((w) => el('tr', { data: { requestId: String(w.id) } },
    el('td', {}, el('strong', { class: 'mono', text: String(w.name ?? '') })),
    el('td', {}, badge(`workspace-${w.state}`, String(w.state ?? ''))),
    el('td', { text: String(w.requested_by ?? '—') }),
    el('td', { class: 'nowrap' }, timeCell(w.created_at, '—')))));
  byId('workspaces-empty').hidden = rows.length > 0;
  calls.workspacesLoaded?.(rows.length);
}
