/*
 * session.js — what both consoles do with a signed-in session: API calls that
 * carry the CSRF token and react to a lost session, the sign-in form, the
 * password-change form and the "confirm, call, show the outcome" of a row
 * action. console.js (customer) and admin.js (operator) differ only in the
 * parameters they pass here, so a rule changed for one changes for both.
 *
 * Served to the operator listener as www/admin/session.js, a relative symlink
 * to this file (see the top of api.js for why).
 */

import { apiGet, apiSend, errorText } from './api.js';
import {
  busy, clear, clearFieldErrors, confirmAction, fieldError, say, sayError, saySigninFailure,
  showFieldErrors, showView,
} from './ui.js';

/**
 * The session's API calls under `base` ('/api/v1' or '/admin/api/v1').
 * `signedIn()` says whether the page thinks it has a session (a 401 then
 * means it ended: `ended(result)` runs); `blocked` maps a 403 code that sends the
 * user elsewhere first (a pending password change, TOTP enrollment) to the
 * function that opens that view. The page sets `csrf` when a session body
 * arrives and clears it on sign-out.
 */
export function createSession({ base, signedIn, ended, blocked = {} }) {
  const session = { csrf: null };
  const afterCall = (result) => {
    const code = result.error?.code;
    if (result.status === 401 && signedIn()) ended(result);
    else if (result.status === 403 && Object.hasOwn(blocked, code)) blocked[code]();
    return result;
  };
  session.get = async (path) => afterCall(await apiGet(`${base}${path}`));
  session.send = async (method, path, body, headers) => afterCall(
    await apiSend(method, `${base}${path}`, body, session.csrf, headers));
  /** A failure the card or section shows itself (not one the session already answered). */
  session.ownFailure = (result) => result.status !== 401 && !Object.hasOwn(blocked, result.error?.code);
  /** The session body at page load; no reaction to a 401, which only means "signed out". */
  session.load = () => apiGet(`${base}/session`);
  session.signIn = (body) => apiSend('POST', `${base}/session`, body);
  /** Whatever the answer, the page forgets the session; a 401 means it had already ended. */
  session.signOut = () => apiSend('DELETE', `${base}/session`, undefined, session.csrf);
  return session;
}

/**
 * Why a 401 ended (or refused) a session, in the server's words when the
 * account was suspended or removed (error.account_status: its message names
 * the admin to contact); else `fallback`, or null for a plain 401.
 */
export function accountStateText(result, fallback = null) {
  return result.status === 401 && result.error?.account_status ? result.error.message : fallback;
}

/**
 * Wire a sign-in form: `login` is the name of its username-or-email input
 * (also the body key), `extra(body)` may add fields (the operator's code),
 * `refused(result, body)` may handle a failure itself and return true,
 * `opening()` runs each time the view opens. Returns {open({focus, flash, kind})}.
 */
export function signinForm({ form, errorNode, flashNode, login, session, enter, extra, refused, opening }) {
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(errorNode);
    clear(flashNode);
    const name = form.elements[login].value.trim();
    const password = form.elements.password.value;
    if (!name || !password) {
      say(errorNode, 'error', 'Enter your username or email and your password.');
      (name ? form.elements.password : form.elements[login]).focus();
      return;
    }
    const body = { [login]: name, password };
    extra?.(body);
    const result = await busy(e.submitter || form.querySelector('[type=submit]'), () => session.signIn(body));
    if (result.ok) {
      form.reset();
      enter(result.data);
      return;
    }
    if (refused?.(result, body)) return;
    saySigninFailure(errorNode, result);
    form.elements.password.value = '';
    form.elements.password.focus();
  });
  return {
    open({ focus = true, flash = null, kind = 'success' } = {}) {
      clear(errorNode);
      if (flash) say(flashNode, kind, flash);
      else clear(flashNode);
      opening?.();
      showView('signin', { focus });
      if (focus) form.elements[login].focus();
    },
  };
}

/**
 * Check a password-change form (current_password, new_password,
 * confirm_password) and send it; resolves to the new session body, or null
 * with the problem shown. `currentMissing` is the sentence for an empty
 * current password (it is the temporary one when the change is forced).
 */
export async function changePassword(form, errorNode, submitter, session,
  currentMissing = 'Enter your current password.') {
  clear(errorNode);
  clearFieldErrors(form);
  const current = form.elements.current_password.value;
  const next = form.elements.new_password.value;
  if (!current) {
    fieldError(form, 'current_password', currentMissing);
    return null;
  }
  if (!next) {
    fieldError(form, 'new_password', 'Choose a new password.');
    return null;
  }
  if (next !== form.elements.confirm_password.value) {
    fieldError(form, 'confirm_password', 'The two new passwords are not the same.');
    return null;
  }
  const result = await busy(submitter,
    () => session.send('POST', '/password', { current_password: current, new_password: next }));
  if (result.ok) {
    form.reset();
    return result.data;
  }
  if (!(result.status === 422 && showFieldErrors(form, result)) && session.ownFailure(result)) sayError(errorNode, result);
  return null;
}

/**
 * A row action: ask with `spec` ({title, message, confirm, danger, call(),
 * after(data)?, done}), call, then reload the list and say how it went in
 * `flash`. A 409 (last admin, seats, a change made meanwhile) or 404 shows
 * the server's words over a fresh list. Resolves true when the action was
 * done, so the caller can put focus back on the row.
 */
export async function runConfirmed(spec, { flash, reload, ownFailure, failureText = errorText }) {
  clear(flash);
  if (!await confirmAction(spec)) return false;
  const result = await spec.call();
  if (!result.ok) {
    if (!ownFailure(result)) return false;
    if (result.status === 409 || result.status === 404) await reload();
    say(flash, 'error', failureText(result));
    return false;
  }
  if (spec.after) await spec.after(result.data);
  await reload();
  say(flash, 'success', spec.done);
  return true;
}
