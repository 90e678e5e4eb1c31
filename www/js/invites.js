/*
 * invites.js — the invites part of the members card in the public console
 * (customer admins): the invite form (POST /invites), the list of invites
 * that GET /members returns under `invites`, and Resend
 * (POST /invites/{id}/resend) and Revoke (DELETE /invites/{id}) on pending
 * ones.
 *
 * Each invite shows its status (pending, accepted, expired, revoked) and,
 * while pending, its delivery: the latest mail is queued, sent, or failed
 * with the SMTP reason (its link then no longer works: resend). While a mail is queued the list refreshes itself a
 * few times, so "queued" turns into "sent" (or "failed") without a reload.
 * Emails, names and SMTP reasons come from the API and go in as text.
 *
 * console.js owns the session: it passes get/send (which handle a lost
 * session), the signed-in user, and a callback that reloads the checklist
 * (the members item turns done once someone is invited).
 */

import { errorText } from './api.js';
import { emailNode } from './email.js';
import { runConfirmed } from './session.js';
import {
  badge, busy, byId, clear, clearFieldErrors, duration, el, fieldError, formatTime, label, say,
  sayError, showFieldErrors, showFormErrors, timeCell,
} from './ui.js';

let calls = null; // { get, send, ownFailure, user, changed }

const invites = {
  rows: [],
  generation: 0, // bumped on sign-out: answers for the previous user are dropped
  timer: null,
  polls: 0,
  seats: null, // {used, limit, over_by} of the last GET /members
};

const POLL_MS = 2000;
const POLL_MAX = 15;

const STATUS = {
  pending: 'Pending',
  accepted: 'Accepted',
  expired: 'Expired',
  revoked: 'Revoked',
};

const DELIVERY = {
  queued: 'Mail queued',
  sent: 'Mail sent',
  failed: 'Delivery failed',
};

const form = byId('invite-form');
const formError = byId('invite-error');
const flash = byId('invites-flash');
const rowsNode = byId('invites-rows');

/** A failure the card should show (not a lost session or a pending password change, which console.js handles). */
const ownFailure = (result) => calls.ownFailure(result);

/** Wire the module to console.js: {get(path), send(method, path, body), ownFailure(result), user(), changed()}. */
export function initInvites(sessionCalls) {
  calls = sessionCalls;
}

/** The `invites` array of a GET /members answer, and its `seats` for the warning at the form. */
export function showInvites(list, seats) {
  invites.seats = seats || null;
  setRows(list);
  schedulePoll({ restart: true });
}

/*
 * Seats at the invite form, before sending.  Over the limit the server
 * refuses new invites: Send is disabled with that reason.  Full (or full once
 * the pending invites are accepted) it accepts the invite but the invitee
 * cannot join until a seat is free: a warning that says so and what to do.
 */
function seatsWarning() {
  const s = invites.seats;
  if (!s || typeof s.limit !== 'number') return { text: '', refuse: false };
  const pending = invites.rows.filter((v) => v.status === 'pending').length;
  const free = s.limit - s.used;
  const todo = 'Suspend a member who no longer needs access, or ask your onramp contact to raise the limit.';
  if (Number(s.over_by) > 0) {
    return { refuse: true, text: `You cannot send invites now: your organisation uses ${s.used} seats, over its limit of ${s.limit}. ${todo}` };
  }
  if (free <= 0) {
    return { refuse: false, text: `Every seat is in use (${s.used} of ${s.limit}). You can send the invite, but the person cannot join until a seat is free. ${todo}` };
  }
  if (pending >= free) {
    const waiting = pending === 1 ? '1 invite is' : `${pending} invites are`;
    return { refuse: false, text: `${waiting} waiting and ${free === 1 ? '1 seat is' : `${free} seats are`} free (${s.used} of ${s.limit} in use): `
      + `another invite means someone may not be able to join. ${todo}` };
  }
  return { text: '', refuse: false };
}

function renderSeatsWarning() {
  const node = byId('invite-seats');
  const { text, refuse } = seatsWarning();
  node.textContent = text;
  node.hidden = !text;
  node.dataset.kind = refuse ? 'error' : 'warning';
  const submit = form.querySelector('[type=submit]');
  submit.disabled = refuse;
  // The reason is read out with the button, not only shown by colour or position.
  if (text) submit.setAttribute('aria-describedby', 'invite-seats');
  else submit.removeAttribute('aria-describedby');
}

function setRows(list) {
  invites.rows = Array.isArray(list) ? list : [];
  render();
}

/** Forget what was shown for the user who signed out. */
export function resetInvites() {
  invites.generation += 1;
  invites.rows = [];
  invites.seats = null;
  stopPoll();
  rowsNode.replaceChildren();
  form.reset();
  clearFieldErrors(form);
  clear(formError);
  clear(flash);
}

/** Reload only the invites (GET /members with the smallest page of users). */
async function refresh({ poll = false } = {}) {
  const generation = invites.generation;
  const result = await calls.get('/members?limit=1');
  if (generation !== invites.generation) return false;
  if (!result.ok) {
    if (ownFailure(result) && !poll) sayError(flash, result);
    return false;
  }
  setRows(result.data?.invites);
  schedulePoll({ restart: !poll });
  return true;
}

/* ---- while a mail is queued, look again a few times ---------------------- */

function stopPoll() {
  if (invites.timer) clearTimeout(invites.timer);
  invites.timer = null;
}

function schedulePoll({ restart = false } = {}) {
  if (restart) invites.polls = 0;
  stopPoll();
  const queued = invites.rows.some((v) => v.status === 'pending' && v.delivery === 'queued');
  if (!queued || invites.polls >= POLL_MAX) return;
  invites.timer = setTimeout(async () => {
    invites.timer = null;
    invites.polls += 1;
    if (!calls.user() || byId('members-card').hidden) return;
    await refresh({ poll: true });
  }, POLL_MS);
}

/* ---- the list -------------------------------------------------------------- */

/** "user:ann" -> "ann"; "operator:olga" -> "olga (operator)"; "cli:root" -> "root (command line)". */
function actorName(actor) {
  if (!actor) return '—';
  const text = String(actor);
  const i = text.indexOf(':');
  if (i < 0) return text;
  const kind = text.slice(0, i);
  const name = text.slice(i + 1);
  if (kind === 'user') return name;
  if (kind === 'operator') return `${name} (operator)`;
  if (kind === 'cli') return `${name} (command line)`;
  return text;
}

/** The line under the status badge: delivery while pending, who and when once final. */
function statusDetail(v) {
  const sub = (...parts) => el('span', { class: 'sub' }, ...parts);
  switch (v.status) {
    case 'pending':
      if (v.delivery === 'failed') {
        // The failed mail's link no longer works: a resend mails a new one.
        return sub(el('strong', { text: DELIVERY.failed }), v.delivery_error ? `: ${v.delivery_error}` : '',
          ' — resend to mail a new link');
      }
      if (v.delivery) return sub(DELIVERY[v.delivery] || String(v.delivery));
      // Admin signup links are handed out by an operator and never mailed.
      return sub(v.kind === 'admin_signup' ? 'Signup link given to an operator' : 'Not mailed');
    case 'accepted':
      return sub(`by ${v.accepted_by || '—'}, `, timeCell(v.accepted_at, '—'));
    case 'revoked':
      return sub(`by ${actorName(v.revoked_by)}, `, timeCell(v.revoked_at, '—'));
    case 'expired':
      return sub(timeCell(v.expires_at, '—'));
    default:
      return null;
  }
}

/*
 * What the mails of an invite did, from sent_count (mails queued so far) and
 * delivery (the latest one's state, while pending): "Sent once" only once the
 * mailer delivered it, "Queued" while it waits, the reason when it failed.
 */
function mailsText(v) {
  const count = Number(v.sent_count) || 0;
  const times = count === 1 ? 'once' : `${count} times`;
  if (v.delivery === 'queued') return count > 1 ? `Mailed ${times}; the latest is queued, not sent yet` : 'Queued, not sent yet';
  if (v.delivery === 'failed') return `Delivery failed${v.delivery_error ? ` (${v.delivery_error})` : ''}`;
  if (v.delivery === 'sent') return `Sent ${times}`;
  return `Mailed ${times}`;
}

function mailsCell(v) {
  const count = Number(v.sent_count) || 0;
  if (count === 0) return el('td', {}, el('span', { class: 'muted-text', text: 'none' }));
  return el('td', { class: 'invite-mails', data: { delivery: String(v.delivery ?? '') } },
    el('span', { text: mailsText(v) }),
    v.last_sent_at ? el('span', { class: 'sub nowrap' }, 'last ', timeCell(v.last_sent_at)) : null);
}

function actionButton(text, action, v, extra = '') {
  return el('button', {
    type: 'button',
    class: `button button--small ${extra}`.trim(),
    text,
    data: { action },
    attrs: { 'aria-label': `${text} the invite to ${v.email}` },
    on: { click: () => runAction(action, v) },
  });
}

function inviteRow(v) {
  const pending = v.status === 'pending';
  return el('tr', { data: { inviteId: String(v.id), email: String(v.email ?? ''), status: String(v.status ?? '') } },
    el('td', { class: 'email-cell' },
      el('strong', {}, emailNode(v.email)),
      v.kind === 'admin_signup' ? el('span', { class: 'sub', text: 'First admin signup' }) : null),
    el('td', {}, badge(v.role)),
    el('td', { class: 'invite-status' },
      badge(`invite-${v.status}`, STATUS[v.status] || String(v.status ?? '')),
      statusDetail(v)),
    mailsCell(v),
    el('td', { class: 'nowrap' }, pending || v.status === 'expired'
      ? el('time', { attrs: { datetime: v.expires_at, title: formatTime(v.expires_at) }, text: formatTime(v.expires_at) })
      : el('span', { class: 'muted-text', text: '—' })),
    el('td', {}, el('span', { text: actorName(v.created_by) }), el('span', { class: 'sub' }, timeCell(v.created_at, '—'))),
    el('td', { class: 'actions-cell' }, pending
      ? [actionButton('Resend', 'resend', v), actionButton('Revoke', 'revoke', v, 'button--danger')]
      : null));
}

function render() {
  // Re-rendering must not lose the keyboard user's place in the table.
  const active = document.activeElement;
  const keep = rowsNode.contains(active) && active.dataset.action
    ? { id: active.closest('tr')?.dataset.inviteId, action: active.dataset.action } : null;
  rowsNode.replaceChildren(...invites.rows.map(inviteRow));
  byId('invites-empty').hidden = invites.rows.length > 0;
  renderSeatsWarning();
  if (keep) rowsNode.querySelector(`tr[data-invite-id="${CSS.escape(String(keep.id))}"] [data-action="${keep.action}"]`)?.focus();
}

/* ---- invite ------------------------------------------------------------------- */

/** 429: the server's sentence and how long to wait. */
function rateText(result) {
  const wait = result.retryAfter ? ` You can send more in ${duration(result.retryAfter)}.` : '';
  return `${errorText(result)}${wait}`;
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  clear(formError);
  clear(flash);
  clearFieldErrors(form);
  const email = form.elements.email.value.trim();
  const role = form.elements.role.value;
  if (!email) {
    fieldError(form, 'email', 'Enter the email address of the person to invite.');
    return;
  }
  const result = await busy(e.submitter, () => calls.send('POST', '/invites', { email, role }));
  if (result.ok) {
    const v = result.data?.invite || {};
    form.reset();
    await refresh();
    say(flash, 'success', `An invite to ${v.email || email} as ${label(v.role || role).toLowerCase()} is on its way. `
      + `Its link works until ${formatTime(v.expires_at)}.`);
    calls.changed();
    form.elements.email.focus();
    return;
  }
  if (!ownFailure(result)) return;
  if (result.status === 409) {
    // member_exists or invite_pending: the reason at the field, the server's sentence above.
    showFieldErrors(form, result);
    say(formError, 'error', errorText(result));
    if (result.error?.fields?.some((f) => f.code === 'invite_pending')) await refresh();
  } else if (result.status === 429) {
    say(formError, 'error', rateText(result));
  } else if (result.status === 422) {
    showFormErrors(form, formError, result);
  } else {
    sayError(formError, result);
  }
});

byId('invites-refresh').addEventListener('click', async (e) => {
  clear(flash);
  await busy(e.currentTarget, () => refresh());
});

/* ---- resend, revoke --------------------------------------------------------- */

const ACTIONS = {
  resend: (v) => ({
    title: `Resend the invite to ${v.email}?`,
    message: ['We email a new link; the link sent before stops working at once. The new link is valid for the full time again.'],
    confirm: 'Resend',
    call: () => calls.send('POST', `/invites/${encodeURIComponent(v.id)}/resend`),
    done: `A new invite was sent to ${v.email}; the earlier link no longer works.`,
  }),
  revoke: (v) => ({
    title: `Revoke the invite to ${v.email}?`,
    message: ['Its link stops working at once. You can invite the same address again later.'],
    confirm: 'Revoke',
    danger: true,
    call: () => calls.send('DELETE', `/invites/${encodeURIComponent(v.id)}`),
    done: `The invite to ${v.email} was revoked; its link no longer works.`,
  }),
};

async function runAction(action, v) {
  // A 409 here: accepted, revoked or replaced meanwhile.
  const done = await runConfirmed(ACTIONS[action](v), {
    flash,
    reload: () => refresh(),
    ownFailure,
    failureText: (result) => (result.status === 429 ? rateText(result) : errorText(result)),
  });
  if (!done) return;
  calls.changed();
  const row = rowsNode.querySelector(`tr[data-invite-id="${CSS.escape(String(v.id))}"]`);
  (row?.querySelector('button') || byId('invite-email')).focus();
}
