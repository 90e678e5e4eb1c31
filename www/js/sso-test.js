/*
 * sso-test.js — "Run a test sign-in" in the single sign-on card (customer
 * admins, and the IT admin on sso-setup.html): POST /sso/tests answers the
 * identity provider's URL and the browser goes there; the provider sends it
 * back to onramp's redirect URI, which stores the result and sends the
 * browser to this page with #sso-test-<id>. Then GET /sso/tests/{id} is shown
 * with sso-view.js's testNode: claims, matched test user, role, checks. A test
 * never signs anyone in.
 */

import { busy, byId, clear, sayError } from './ui.js';
import { testNode } from './sso-view.js';

let calls = null; // { get, send, ownFailure }

const HASH = /^#sso-test-(\d{1,19})$/;

/** The test id the callback sent the browser back with (and the fragment removed), or null. */
export function takeTestId() {
  const m = HASH.exec(location.hash);
  if (!m) return null;
  history.replaceState(null, '', location.pathname + location.search);
  return m[1];
}

/** Wire the module: {get(path), send(method, path, body), ownFailure(result)}. */
export function initSsoTest(sessionCalls) {
  calls = sessionCalls;
  const run = byId('sso-test-run');
  if (run) run.addEventListener('click', (e) => runTest(e.currentTarget));
}

async function runTest(button) {
  const flash = byId('sso-test-flash');
  clear(flash);
  const result = await busy(button, () => calls.send('POST', '/sso/tests'));
  if (!result) return;
  if (!result.ok) {
    if (calls.ownFailure(result)) sayError(flash, result);
    return;
  }
  // The identity provider's page, then back to onramp: a full navigation, as a real sign-in.
  location.assign(result.data.redirect_url);
}

/** Show test id (from takeTestId), when there is one. */
export async function loadSsoTest(id) {
  const box = byId('sso-test-result');
  if (!id || !box) return;
  const result = await calls.get(`/sso/tests/${id}`);
  if (!result) return;
  if (!result.ok) {
    if (calls.ownFailure(result)) sayError(byId('sso-test-flash'), result);
    return;
  }
  box.replaceChildren(testNode(result.data));
  box.hidden = false;
  box.scrollIntoView({ block: 'start' });
  box.focus();
}

/** Forget the result shown for the user who signed out. */
export function resetSsoTest() {
  const box = byId('sso-test-result');
  if (box) {
    box.replaceChildren();
    box.hidden = true;
  }
}
