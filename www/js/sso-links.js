/*
 * sso-links.js — IT-admin setup links in the single sign-on card of the
 * public console (customer admins): the form that mails one
 * (POST /sso/setup-links {email, expires_in_hours}), the list with each
 * link's state (GET /sso/setup-links) and Revoke (DELETE /sso/setup-links/{id}),
 * which ends the holder's access at once. The link itself is never shown:
 * it goes only to the mailbox.
 *
 * setup.js wires it with the session's calls, like sso.js.
 */

import { errorText } from './api.js';
import { runConfirmed } from './session.js';
import {
  badge, busy, byId, clear, clearFieldErrors, duration, el, fieldError, formatTime, say, sayError,
  showFormErrors, timeCell,
} from './ui.js';

let calls = null; // { get, send, ownFailure }

const links = { rows: [], generation: 0 };

const STATE = {
  active: 'Active',
  expired: 'Expired',
  revoked: 'Revoked',
  used_up: 'Used up',
};

const form = byId('sso-link-form');
const formError = byId('sso-link-error');
const flash = byId('sso-links-flash');
const rowsNode = byId('sso-links-rows');

/** Wire the module: {get(path), send(method, path, body), ownFailure(result)}. */
export function initSsoLinks(sessionCalls) {
  calls = sessionCalls;
}

/** Load and show the customer's setup links. */
export async function loadSsoLinks() {
  const generation = links.generation;
  const result = await calls.get('/sso/setup-links');
  if (generation !== links.generation || !result) return false;
  if (!result.ok) {
    if (calls.ownFailure(result)) sayError(flash, result);
    return false;
  }
  links.rows = Array.isArray(result.data?.links) ? result.data.links : [];
  render();
  return true;
}

/** Forget what was shown for the user who signed out. */
export function resetSsoLinks() {
  links.generation += 1;
  links.rows = [];
  rowsNode.replaceChildren();
  form.reset();
  clearFieldErrors(form);
  clear(formError);
  clear(flash);
}

function linkRow(l) {
  const active = l.state === 'active';
  return el('tr', { data: { linkId: String(l.id), email: String(l.email ?? ''), state: String(l.state ?? '') } },
    el('td', { class: 'wrap-any' }, el('strong', { text: String(l.email ?? '') })),
    el('td', {}, badge(`link-${l.state}`, STATE[l.state] || String(l.state ?? '')),
      l.revoked_at ? el('span', { class: 'sub' }, `by ${l.revoked_by || '—'}, `, timeCell(l.revoked_at, '—')) : null),
    el('td', { class: 'nowrap' }, el('time', {
      attrs: { datetime: l.expires_at, title: formatTime(l.expires_at) }, text: formatTime(l.expires_at),
    })),
    el('td', {}, el('span', { text: `${Number(l.sessions_started) || 0} of ${Number(l.sessions_max) || 0}` }),
      l.last_used_at ? el('span', { class: 'sub' }, 'last ', timeCell(l.last_used_at)) : null),
    el('td', {}, el('span', { text: l.created_by || '—' }), el('span', { class: 'sub' }, timeCell(l.created_at, '—'))),
    el('td', { class: 'actions-cell' }, active ? el('button', {
      type: 'button',
      class: 'button button--small button--danger',
      text: 'Revoke',
      data: { action: 'revoke' },
      attrs: { 'aria-label': `Revoke the setup link sent to ${l.email}` },
      on: { click: () => revoke(l) },
    }) : null));
}

function render() {
  rowsNode.replaceChildren(...links.rows.map(linkRow));
  byId('sso-links-empty').hidden = links.rows.length > 0;
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  clear(formError);
  clear(flash);
  clearFieldErrors(form);
  const email = form.elements.email.value.trim();
  const hours = Number(form.elements.expires_in_hours.value);
  if (!email) {
    fieldError(form, 'email', 'Enter the email address of the person who runs your identity provider.');
    return;
  }
  const body = { email, expires_in_hours: hours };
  const result = await busy(e.submitter, () => calls.send('POST', '/sso/setup-links', body));
  if (result.ok) {
    const l = result.data?.link || {};
    form.reset();
    await loadSsoLinks();
    say(flash, 'success', `A setup link is on its way to ${l.email || email}. It works until ${formatTime(l.expires_at)}.`);
    return;
  }
  if (!calls.ownFailure(result)) return;
  if (result.status === 422) showFormErrors(form, formError, result);
  else if (result.status === 429) {
    const wait = result.retryAfter ? ` You can send more in ${duration(result.retryAfter)}.` : '';
    say(formError, 'error', `${errorText(result)}${wait}`);
  } else sayError(formError, result);
});

async function revoke(l) {
  const done = await runConfirmed({
    title: `Revoke the setup link sent to ${l.email}?`,
    message: ['The link stops working at once, and whoever opened it loses access on their next step.'],
    confirm: 'Revoke',
    danger: true,
    call: () => calls.send('DELETE', `/sso/setup-links/${encodeURIComponent(l.id)}`),
    done: `The setup link sent to ${l.email} was revoked.`,
  }, { flash, reload: () => loadSsoLinks(), ownFailure: calls.ownFailure });
  if (done) byId('sso-link-email').focus();
}
