/*
 * reset-password.js — completes a password reset from the mailed link
 * (/reset-password#token=...).
 *
 * The token is read from the fragment once, then removed from the address
 * bar (history.replaceState), so it is not left in the history entry, a
 * bookmark or a screenshot; it stays only in this module's memory. A reload
 * therefore asks the user to open the mail link again. The token goes in the
 * body of POST /api/v1/password-resets/redeem, never in a URL (where proxies
 * and server logs would see it): 204 (done), 422 (password policy, shown at
 * the field) or 410 (expired, used, replaced or unknown: ask again).
 */

import { apiSend } from './api.js';
import { loadBanner } from './banner.js';
import { busy, byId, clear, clearFieldErrors, fieldError, say, sayError, showFieldErrors, showView } from './ui.js';

function takeToken() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const token = params.get('token');
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  return token && /^[A-Za-z0-9_-]{16,128}$/.test(token) ? token : null;
}

const token = takeToken();
const form = byId('reset-form');
const error = byId('reset-error');

loadBanner(byId('banner'));

if (!token) {
  showView('missing', { focus: false });
} else {
  byId('reset-new').focus();
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  clear(error);
  clearFieldErrors(form);
  const next = form.elements.new_password.value;
  const again = form.elements.confirm_password.value;
  if (!next) {
    fieldError(form, 'new_password', 'Choose a new password.');
    return;
  }
  if (next !== again) {
    fieldError(form, 'confirm_password', 'The two passwords are not the same.');
    return;
  }
  const result = await busy(e.submitter, () => apiSend('POST', '/api/v1/password-resets/redeem',
    { token, new_password: next }));
  if (result.ok) {
    form.reset();
    showView('done');
  } else if (result.status === 410) {
    form.reset();
    if (result.error?.message) say(byId('gone-message'), 'warning', result.error.message);
    showView('gone');
  } else if (result.status === 422 && showFieldErrors(form, result)) {
    // Shown next to the field.
  } else {
    sayError(error, result);
  }
});
