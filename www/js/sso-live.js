/*
 * sso-live.js — the go-live part of the single sign-on card: what the IT
 * admin registers at the identity provider (GET /sso/sp, each value with a
 * Copy button that falls back to selecting the text), which version is
 * approved and which is live (from GET /sso), and the "require single
 * sign-on" setting (PUT /sso/require), which applies only while SSO is live.
 * sso.js owns the draft form and hands every GET/PUT /sso answer here.
 */

import { badge, byId, clear, el, formatTime, say, sayError, secretBox } from './ui.js';

let calls = null; // { get, send, ownFailure }

/** Wire the module: the same session-aware calls sso.js gets. */
export function initSsoLive(sessionCalls) {
  calls = sessionCalls;
}

/** Load the URLs to register at the IdP. */
export async function loadSsoSp() {
  const result = await calls.get('/sso/sp');
  if (!result || !result.ok) {
    if (result && calls.ownFailure(result)) sayError(byId('sso-live-flash'), result);
    return;
  }
  const sp = result.data || {};
  byId('sso-sp-values').replaceChildren(
    secretBox(String(sp.oidc?.redirect_uri ?? ''), { label: 'OpenID Connect redirect URI', id: 'sso-sp-redirect' }),
    secretBox(String(sp.saml?.entity_id ?? ''), { label: 'SAML entity ID (audience)', id: 'sso-sp-entity' }),
    secretBox(String(sp.saml?.acs_url ?? ''), { label: 'SAML assertion consumer service (ACS) URL', id: 'sso-sp-acs' }),
    secretBox(String(sp.saml?.metadata_url ?? ''), { label: 'SAML service provider metadata URL', id: 'sso-sp-metadata' }));
}

/** Show the approved and live versions and the require-SSO setting of a GET/PUT /sso answer. */
export function showSsoLive(d) {
  const data = d || {};
  byId('sso-approved').replaceChildren(data.approved_version
    ? el('span', { text: `Version ${data.approved_version}, approved ${formatTime(data.approved_at)}` })
    : el('span', { class: 'muted-text', text: 'Nothing approved yet' }));
  byId('sso-live-state').replaceChildren(data.live
    ? badge('review-approved', `Live: version ${data.live.version} since ${formatTime(data.live.activated_at)}`)
    : el('span', { class: 'muted-text', text: 'Not live: we activate the approved version after a passing test sign-in' }));
  byId('sso-pending').hidden = !data.pending_changes;
  byId('sso-require').checked = Boolean(data.require_sso);
  requireHint(Boolean(data.require_sso), Boolean(data.live));
}

/** Forget the previous user's state. */
export function resetSsoLive() {
  byId('sso-sp-values').replaceChildren();
  byId('sso-require').checked = false;
  clear(byId('sso-live-flash'));
  showSsoLive(null);
}

function requireHint(required, live) {
  let text = 'Members then sign in only through your identity provider; customer admins keep their password as a fallback.';
  if (required && live) text = 'Members sign in only with single sign-on; customer admins keep their password as a fallback.';
  else if (required) text = 'Takes effect once single sign-on is live.';
  byId('sso-require-hint').textContent = text;
}

byId('sso-require').addEventListener('change', async (e) => {
  const box = e.target;
  const want = box.checked;
  box.disabled = true;
  const result = await calls.send('PUT', '/sso/require', { require_sso: want });
  box.disabled = false;
  if (!result) return;
  if (!result.ok) {
    box.checked = !want;
    if (calls.ownFailure(result)) sayError(byId('sso-live-flash'), result);
    return;
  }
  requireHint(result.data.require_sso, result.data.in_effect || !result.data.require_sso);
  say(byId('sso-live-flash'), 'success', result.data.require_sso
    ? (result.data.in_effect ? 'Single sign-on is now required for members.' : 'Saved: single sign-on will be required for members once it is live.')
    : 'Members may sign in with a password again.');
});
