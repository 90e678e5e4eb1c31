/*
 * sso-secret.js — the write-only OIDC client secret on the single sign-on
 * card: a password field that is sent once (PUT /sso/secret) and emptied at
 * once, whatever the answer; the status GET /sso reports (set, when, by
 * whom), never the value, which nobody can read back; and Remove (DELETE
 * /sso/secret). Shown while the saved draft's protocol is OpenID Connect.
 * sso.js passes each saved draft here; PUT /sso answers carry no secret
 * status, so the last one seen is kept.
 */

import {
  busy, byId, clear, formatTime, say, sayError, showFieldErrors, clearFieldErrors,
} from './ui.js';

let calls = null; // { get, send, ownFailure }
let status = null; // the last {set, set_at, set_by} seen

const form = byId('sso-secret-form');
const input = byId('sso-client-secret');
const flash = byId('sso-secret-flash');

/** Wire the module: {get(path), send(method, path, body), ownFailure(result)}. */
export function initSsoSecret(sessionCalls) {
  calls = sessionCalls;
}

/** Show the secret part for a saved draft (GET /sso answers carry `secret`). */
export function showSsoSecret(saved) {
  if (saved && saved.secret) status = saved.secret;
  form.hidden = saved?.protocol !== 'oidc';
  const text = byId('sso-secret-status');
  if (status?.set) {
    text.textContent = `Set ${formatTime(status.set_at)}${status.set_by ? ` by ${status.set_by}` : ''}. `
      + 'It cannot be shown again: enter it anew to replace it.';
  } else {
    text.textContent = 'Not set yet.';
  }
  byId('sso-secret-remove').hidden = !status?.set;
}

/** Forget the previous user's status. */
export function resetSsoSecret() {
  status = null;
  form.reset();
  form.hidden = true;
  clear(flash);
  clearFieldErrors(form);
}

/* Reload only the secret's status: the draft form may hold unsaved edits. */
async function refresh() {
  const result = await calls.get('/sso');
  if (result?.ok) showSsoSecret(result.data);
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  clear(flash);
  clearFieldErrors(form);
  const value = input.value;
  input.value = ''; // never kept in the page, whatever the answer
  const result = await busy(byId('sso-secret-save'), () => calls.send('PUT', '/sso/secret', { client_secret: value }));
  if (result.ok) {
    await refresh();
    say(flash, 'success', 'The client secret was stored. Nobody can read it back, not even you.');
    return;
  }
  if (!calls.ownFailure(result)) return;
  if (!showFieldErrors(form, result)) sayError(flash, result);
});

byId('sso-secret-remove').addEventListener('click', async (e) => {
  clear(flash);
  const result = await busy(e.currentTarget, () => calls.send('DELETE', '/sso/secret'));
  if (result.ok) {
    await refresh();
    say(flash, 'success', 'The client secret was removed.');
    return;
  }
  if (calls.ownFailure(result)) sayError(flash, result);
});
