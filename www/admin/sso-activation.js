/*
 * sso-activation.js — the go-live part of a customer's single sign-on in the
 * operator console: approved and live versions, who activated it and when,
 * and the Activate / Turn off buttons (POST/DELETE
 * /customers/{id}/sso/activation; hidden for auditors via data-write). A 409
 * lists every missing precondition (approval, client secret, a passed test
 * sign-in of the approved version, a domain live elsewhere).
 */

import { errorText } from './api.js';
import { busy, byId, clear, confirmAction, el, formatTime, say } from './ui.js';

let ctx = null; // { send, ownFailure, canWrite, reload(id) }
let customerId = null;

/** Wire the module: {send, ownFailure, canWrite, reload(id)}. */
export function initSsoActivation(calls) {
  ctx = calls;
}

function fact(term, value) {
  return el('div', { class: 'facts__row' }, el('dt', { text: term }), el('dd', { text: value }));
}

/** Show the activation facts of GET /customers/{id}'s sso.activation for customer id. */
export function renderSsoActivation(id, a) {
  customerId = id;
  const x = a || {};
  byId('cp-sso-golive').replaceChildren(el('dl', { class: 'facts' },
    fact('Approved version', x.approved_version ? `${x.approved_version} (${formatTime(x.approved_at)})` : 'none'),
    fact('Live version', x.live_version ? String(x.live_version) : 'not live'),
    fact('Activated', x.live_version ? `${formatTime(x.activated_at)} by ${x.activated_by || 'unknown'}` : '—'),
    fact('Require SSO for members', x.require_sso ? 'yes' : 'no')));
  byId('cp-sso-activate').hidden = !ctx.canWrite() || !x.approved_version;
  byId('cp-sso-deactivate').hidden = !ctx.canWrite() || !x.live_version;
}

async function act(button, method) {
  const id = customerId;
  const alert = byId('cp-sso-activation-flash');
  clear(alert);
  if (method === 'DELETE' && !await confirmAction({
    title: 'Turn single sign-on off?',
    message: 'Sign-in through the identity provider stops at once for this customer.',
    confirm: 'Turn off',
    danger: true,
  })) return;
  const result = await busy(button, () => ctx.send(method, `/customers/${encodeURIComponent(id)}/sso/activation`));
  if (id !== customerId) return;
  if (!result.ok) {
    if (!ctx.ownFailure(result)) return;
    const missing = (result.error?.fields || []).map((f) => f.message).join(' ');
    say(alert, 'error', `${errorText(result)} ${missing}`.trim());
    return;
  }
  await ctx.reload(id);
  say(byId('cp-sso-activation-flash'), 'success', method === 'POST'
    ? `Version ${result.data.live_version} is live.` : 'Single sign-on is off for this customer.');
}

byId('cp-sso-activate').addEventListener('click', (e) => act(e.currentTarget, 'POST'));
byId('cp-sso-deactivate').addEventListener('click', (e) => act(e.currentTarget, 'DELETE'));
