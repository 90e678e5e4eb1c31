/*
 * sso-setup.js — the page an IT-admin setup link opens (sso-setup.html).
 *
 * The token is read from the fragment once and removed from the address bar
 * (history.replaceState), then redeemed: POST /sso/setup-sessions {token}
 * gives a setup-link session (its own cookie, sent only to /api/v1/sso). A
 * reload without a token picks the session up again (GET /sso/setup-session).
 * Every call says X-Onramp-Realm: sso_setup (api.js useRealm), so a browser
 * that also holds a customer session acts here with the link's session.
 *
 * The single sign-on card is the console's own: its markup is taken from
 * index.html (parsed inert, no script runs; the setup-links part, which a
 * link holder cannot use, is dropped) and driven by the same js/sso.js, so
 * the two pages cannot drift. A 401 on any call (the link was revoked or
 * expired) ends the page with a sentence saying so.
 */

import {
  apiGet, apiSend, errorText, useRealm,
} from './api.js';
import { createSession } from './session.js';
import {
  busy, byId, formatTime, say, showView,
} from './ui.js';

const API = '/api/v1';
useRealm('sso_setup');

const state = { link: null };

function gone(text) {
  state.link = null;
  byId('setup-leave').hidden = true;
  byId('setup-card').replaceChildren();
  byId('gone-text').textContent = text;
  showView('gone');
}

const session = createSession({
  base: API,
  signedIn: () => Boolean(state.link),
  ended: () => gone('Your setup session has ended: the link was revoked or expired. '
    + 'Ask the admin who sent it for a new one.'),
});

/** Put the console's single sign-on card into this page; false when it cannot be loaded. */
async function mountCard() {
  let text;
  try {
    const res = await fetch('/index.html', { credentials: 'same-origin', cache: 'no-store' });
    if (!res.ok) return false;
    text = await res.text();
  } catch {
    return false;
  }
  const card = new DOMParser().parseFromString(text, 'text/html').getElementById('sso-card');
  if (!card) return false;
  card.querySelector('#sso-links')?.remove();
  card.hidden = false;
  byId('setup-card').replaceChildren(document.adoptNode(card));
  return true;
}

function showLink(data) {
  state.link = data;
  session.csrf = data?.csrf_token || null;
  byId('setup-customer').textContent = String(data?.customer?.name ?? '');
  byId('setup-email').textContent = String(data?.link?.email ?? '');
  byId('setup-expires').textContent = formatTime(data?.link?.expires_at);
  byId('setup-expires').setAttribute('datetime', String(data?.link?.expires_at ?? ''));
  byId('setup-leave').hidden = false;
}

async function start() {
  // Back from a test sign-in (#sso-test-<id>), or a fresh link (#token=...).
  const testId = /^#sso-test-(\d{1,19})$/.exec(location.hash)?.[1] || null;
  const token = new URLSearchParams(location.hash.replace(/^#/, '')).get('token');
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  const result = token
    ? await apiSend('POST', `${API}/sso/setup-sessions`, { token })
    : await apiGet(`${API}/sso/setup-session`);
  if (!result.ok) {
    if (!token && result.status === 401) gone('Open the setup link from your mail to continue.');
    else gone(errorText(result));
    return;
  }
  showLink(result.data);
  if (!await mountCard()) {
    gone('The single sign-on section could not be loaded. Reload the page to try again.');
    return;
  }
  // sso.js finds its elements when it is evaluated, so it is loaded once the card is in place.
  const sso = await import('./sso.js');
  sso.initSso({
    get: session.get, send: session.send, ownFailure: session.ownFailure, refreshChecklist: async () => {},
  });
  const test = await import('./sso-test.js');
  test.initSsoTest({ get: session.get, send: session.send, ownFailure: session.ownFailure });
  showView('setup');
  await Promise.all([sso.loadSso(), test.loadSsoTest(testId)]);
}

byId('setup-leave').addEventListener('click', async (e) => {
  const result = await busy(e.currentTarget, () => apiSend('DELETE', `${API}/sso/setup-session`, undefined, session.csrf));
  if (result.ok || result.status === 401) {
    gone('You left the single sign-on setup. Open the link from your mail again to continue while it is valid.');
    return;
  }
  say(byId('setup-flash'), 'error', errorText(result));
});

start();
