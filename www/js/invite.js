/*
 * invite.js — accepting an invite from its link (/invite#token=...).
 *
 * The token is read from the fragment once and removed from the address bar
 * (history.replaceState), so it is not left in the history entry, a bookmark
 * or a screenshot. It is kept in this tab's sessionStorage (never a cookie,
 * never sent but in request bodies) so the page survives a reload, and in
 * particular the "sign out and come back" reload; it is dropped once the
 * invite is accepted or answers 410.
 *
 * Then: POST /invite-lookups {token} says whom the invite is for, and
 * GET /session whether someone is signed in here.
 *  - not signed in: a form creates the account (POST /invite-acceptances
 *    {token, username, password, email?}); admin signup links also need the
 *    invited email typed again;
 *  - signed in with the invited email: "Accept" (POST /invite-acceptances
 *    {token} with X-CSRF-Token) applies it to that account;
 *  - signed in with another email, or when the server answers 403
 *    identity_mismatch: the guidance, and a button that signs out
 *    (DELETE /session) and reloads this page with the same invite.
 * Accepted (201/200): on to the console, signed in. 410 explains why the link
 * no longer works (accepted, revoked, expired, replaced) and what to do.
 */

import { apiGet, apiSend, errorText } from './api.js';
import { loadBanner } from './banner.js';
import {
  busy, byId, clear, clearFieldErrors, el, fieldError, formatTime, label, say, sayError, saySigninFailure,
  showFieldErrors, showView,
} from './ui.js';

const API = '/api/v1';
const STORE_KEY = 'onramp.invite-token';
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{16,128}$/;

const ROLE_TEXT = {
  customer_admin: 'As an admin you manage your organisation\'s account setup, invites and usage, and use its workspaces.',
  customer_member: 'As a member you use your organisation\'s workspaces.',
};

const LOCAL_MISMATCH = 'This invite is for another email address than the account you are signed in with.';
const LOCAL_GUIDANCE = '1. Sign out of your identity provider and of this console. 2. Open the invite link again. '
  + '3. Accept it, then open the console.';

const state = {
  token: null,
  invite: null,
  session: null, // {user, csrf_token, must_change_password} or null
};

/* ---- the token ------------------------------------------------------------ */

function storage(action, value) {
  try {
    if (action === 'get') return sessionStorage.getItem(STORE_KEY);
    if (action === 'set') sessionStorage.setItem(STORE_KEY, value);
    if (action === 'drop') sessionStorage.removeItem(STORE_KEY);
  } catch {
    // Storage disabled: the token lives in memory only (see signOutAndReturn).
  }
  return null;
}

/** The token from the fragment (then removed from the address bar), else the one this tab kept. */
function takeToken() {
  const fromHash = new URLSearchParams(location.hash.replace(/^#/, '')).get('token');
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  if (fromHash !== null) {
    if (!TOKEN_SHAPE.test(fromHash)) return null;
    storage('set', fromHash);
    return fromHash;
  }
  const kept = storage('get');
  return kept && TOKEN_SHAPE.test(kept) ? kept : null;
}

/* ---- start: look the invite up, see who is signed in ---------------------- */

async function start() {
  if (!state.token) {
    showView('missing', { focus: false });
    return;
  }
  showView('loading', { focus: false });
  const [lookup, session] = await Promise.all([
    apiSend('POST', `${API}/invite-lookups`, { token: state.token }),
    apiGet(`${API}/session`),
  ]);
  if (!lookup.ok) {
    if (lookup.status === 410) {
      gone(lookup);
    } else {
      sayError(byId('problem-message'), lookup);
      showView('problem');
    }
    return;
  }
  state.invite = lookup.data?.invite || {};
  state.session = session.ok ? session.data : null;
  renderInvite();
  clear(byId('invite-flash'));
  if (!session.ok && session.status !== 401) sayError(byId('invite-flash'), session);
  showPanel({ focus: false });
}

const article = (role) => (role === 'customer_admin' ? 'an admin' : 'a member');

function renderInvite() {
  const v = state.invite;
  const name = String(v.customer_name ?? 'your organisation');
  byId('invite-title').textContent = `Join ${name} as ${article(v.role)}`;
  byId('invite-role-text').textContent = ROLE_TEXT[v.role] || '';
  byId('invite-customer').textContent = name;
  byId('invite-email').textContent = String(v.email ?? v.email_hint ?? '');
  byId('invite-role').textContent = label(v.role);
  byId('invite-expires').textContent = formatTime(v.expires_at);
  document.title = `onramp — Join ${name}`;
}

const sameEmail = (a, b) => String(a ?? '').trim().toLowerCase() === String(b ?? '').trim().toLowerCase();

/** Show the panel that fits the session: sign up, accept, or the mismatch guidance. */
function showPanel({ focus = true, mismatch = null } = {}) {
  const v = state.invite;
  const s = state.session;
  let panel;
  // An admin signup lookup hides the address (email is null): the server compares on accept.
  if (s && (mismatch || (v.email && !sameEmail(s.user?.email, v.email)))) panel = 'mismatch';
  else if (s) panel = 'accept';
  else panel = 'signup';
  for (const name of ['signup', 'accept', 'mismatch']) byId(`panel-${name}`).hidden = name !== panel;
  showView('invite', { focus });

  if (panel === 'signup') {
    openSignup({ focus });
    showSsoOption();
  }
  if (panel === 'accept') {
    byId('accept-who').textContent = `${s.user.username} (${s.user.email})`;
    clear(byId('accept-error'));
    if (focus) byId('accept-button').focus();
  }
  if (panel === 'mismatch') openMismatch(mismatch, { focus });
}

/* ---- not signed in: create the account -------------------------------------- */

const signupForm = byId('signup-form');
const signupError = byId('signup-error');

function openSignup({ focus = true } = {}) {
  const admin = state.invite.kind === 'admin_signup';
  byId('signup-email-field').hidden = !admin;
  byId('signup-intro').textContent = admin
    ? `Confirm the email address this link was made for, then choose a username and password.`
    : `Your account uses the invited address, ${state.invite.email}. Choose a username and password.`;
  clear(signupError);
  byId('signup-mismatch').hidden = true;
  clearFieldErrors(signupForm);
  if (focus) (admin ? byId('signup-email') : byId('signup-username')).focus();
}

/*
 * Joining through single sign-on: POST /sso/start with the invite's email and
 * token; the IdP's answer comes back to onramp, which accepts this invite for
 * the identity the IdP vouched for (or shows the identity-mismatch guidance and
 * keeps the invite usable). An admin signup link has no email to start with.
 */
function showSsoOption() {
  const sso = byId('invite-sso');
  sso.hidden = state.invite.kind === 'admin_signup' || !state.invite.email;
  clear(byId('invite-sso-error'));
}

byId('invite-sso-button').addEventListener('click', async (e) => {
  const error = byId('invite-sso-error');
  clear(error);
  const result = await busy(e.currentTarget, () => apiSend('POST', `${API}/sso/start`,
    { email: state.invite.email, invite_token: state.token }));
  if (result.ok) {
    location.assign(result.data.redirect_url);
  } else if (result.status === 404) {
    say(error, 'error', 'Single sign-on is not live for your organisation yet. Create an account with a '
      + 'password above, or ask the person who invited you.');
  } else {
    sayError(error, result);
  }
});

/** "1. Do this. 2. Then that." as list items; anything else as one item. */
function fillSteps(list, guidance) {
  const text = String(guidance || '').trim();
  const steps = /^1\.\s/.test(text) ? text.split(/\s*\b\d+\.\s+/).filter(Boolean) : [text];
  list.replaceChildren(...steps.filter(Boolean).map((step) => el('li', { text: step })));
}

/**
 * Field errors at their inputs. The server's sentence goes above the form for
 * a 409 (seat limit, taken username or email) and whenever a field has no
 * visible input here (a taken email on a member invite), so nothing is dropped.
 */
function showSignupErrors(result) {
  const fields = Array.isArray(result.error?.fields) ? result.error.fields : [];
  showFieldErrors(signupForm, result);
  const visible = (f) => {
    const input = signupForm.elements.namedItem(f.field);
    return input instanceof HTMLElement && !input.closest('[hidden]');
  };
  const rest = fields.filter((f) => !visible(f)).map((f) => String(f.message ?? ''));
  if (fields.length === 0 || rest.length > 0 || result.status === 409) {
    say(signupError, 'error', [errorText(result), ...rest].join(' '));
  }
  if (fields.length > 0 && fields.length === rest.length) signupForm.elements.username.focus();
}

signupForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  clear(signupError);
  clearFieldErrors(signupForm);
  byId('signup-mismatch').hidden = true;
  const f = signupForm.elements;
  const admin = state.invite.kind === 'admin_signup';
  const body = { token: state.token, username: f.username.value.trim(), password: f.password.value };
  if (admin) {
    body.email = f.email.value.trim();
    if (!body.email) return fieldError(signupForm, 'email', 'Enter the email address this signup link was made for.');
  }
  if (!body.username) return fieldError(signupForm, 'username', 'Choose a username.');
  if (!body.password) return fieldError(signupForm, 'password', 'Choose a password.');
  if (body.password !== f.confirm_password.value) {
    return fieldError(signupForm, 'confirm_password', 'The two passwords are not the same.');
  }
  const result = await busy(e.submitter, () => apiSend('POST', `${API}/invite-acceptances`, body));
  if (result.ok) {
    accepted();
    return;
  }
  if (result.status === 410) {
    gone(result);
  } else if (result.status === 403 && result.error?.code === 'identity_mismatch') {
    // Only an admin signup takes an email, and the one typed is not the invited one. Nobody is
    // signed in here, so the server's signed-in guidance does not apply: the page says what does.
    byId('signup-mismatch').hidden = false;
    if (admin) fieldError(signupForm, 'email', 'This is not the address the signup link was made for.');
  } else if (result.status === 403 && result.error?.code === 'csrf_failed') {
    // Signed in meanwhile (another tab): look again and offer what fits that session.
    await start();
    say(byId('invite-flash'), 'info', 'You are signed in now in this browser; continue below.');
  } else if (result.status === 409 || result.status === 422) {
    showSignupErrors(result);
  } else {
    sayError(signupError, result);
  }
  // The typed username and passwords stay: whatever the server said, retyping them helps nothing.
});

/* ---- an existing account: sign in here, then accept -------------------------- */

const signinForm = byId('signin-form');

signinForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const error = byId('signin-error');
  clear(error);
  const login = signinForm.elements.login.value.trim();
  const password = signinForm.elements.password.value;
  if (!login || !password) {
    say(error, 'error', 'Enter your username or email and your password.');
    (login ? signinForm.elements.password : signinForm.elements.login).focus();
    return;
  }
  const result = await busy(e.submitter, () => apiSend('POST', `${API}/session`, { login, password }));
  if (!result.ok) {
    saySigninFailure(error, result);
    // Only a refused password is cleared; after any other error the typed one is still right.
    if (result.status === 401) signinForm.elements.password.value = '';
    signinForm.elements.password.focus();
    return;
  }
  signinForm.reset();
  byId('signin-details').open = false;
  state.session = result.data;
  showPanel();
  say(byId('invite-flash'), 'success', `You are signed in as ${result.data?.user?.username ?? ''}.`);
});

/* ---- signed in with the invited email: accept -------------------------------- */

byId('accept-button').addEventListener('click', async (e) => {
  const error = byId('accept-error');
  clear(error);
  const result = await busy(e.currentTarget,
    () => apiSend('POST', `${API}/invite-acceptances`, { token: state.token }, state.session?.csrf_token));
  if (result.ok) {
    accepted();
  } else if (result.status === 410) {
    gone(result);
  } else if (result.status === 403 && result.error?.code === 'identity_mismatch') {
    showPanel({ mismatch: result.error });
  } else if (result.status === 401 || result.status === 422 || result.error?.code === 'csrf_failed') {
    // The session ended meanwhile (the server then wanted a new account's fields): start over.
    await start();
    say(byId('invite-flash'), 'warning', 'Your session ended. Create an account or sign in to accept the invite.');
  } else {
    sayError(error, result);
  }
});

/* ---- signed in with another email: guidance, sign out and come back ---------- */

function openMismatch(error, { focus = true } = {}) {
  const s = state.session;
  byId('mismatch-message').textContent = String(error?.message || LOCAL_MISMATCH);
  const who = error?.signed_in_as || s?.user?.email || '';
  byId('mismatch-who').textContent = `You are signed in as ${s?.user?.username ?? ''} (${who}); `
    + `this invite is for ${state.invite.email ?? state.invite.email_hint}.`;
  fillSteps(byId('mismatch-guidance'), error?.guidance || LOCAL_GUIDANCE);
  clear(byId('mismatch-error'));
  if (focus) byId('mismatch-signout').focus();
}

byId('mismatch-signout').addEventListener('click', async (e) => {
  const result = await busy(e.currentTarget,
    () => apiSend('DELETE', `${API}/session`, undefined, state.session?.csrf_token));
  // 401: the session had already ended, which is what we wanted.
  if (!result.ok && result.status !== 401) {
    sayError(byId('mismatch-error'), result);
    return;
  }
  // Back to this invite: the token is in this tab's storage; without storage, in the fragment again.
  storage('set', state.token);
  if (storage('get') !== state.token) {
    history.replaceState(null, '', `${location.pathname}#token=${encodeURIComponent(state.token)}`);
  }
  location.reload();
});

/* ---- the end states -------------------------------------------------------- */

function accepted() {
  storage('drop');
  state.token = null;
  location.assign('/');
}

const GONE = {
  accepted: ['This invite was already used',
    'If you accepted it, sign in with the account you created. If someone else did, tell your organisation\'s admin.'],
  revoked: ['This invite was revoked',
    'Ask your organisation\'s admin to invite you again; the new invite arrives by email.'],
  expired: ['This invite has expired',
    'Invite links work for a limited time. Ask your organisation\'s admin to resend it: a new link arrives by email.'],
  unknown: ['This invite link no longer works',
    'If you received a newer invite email, use the link in that one. Otherwise ask your organisation\'s admin for a new invite.'],
};

function gone(result) {
  storage('drop');
  const status = result.error?.invite_status;
  const [title, todo] = GONE[status] || GONE.unknown;
  const view = byId('gone-title').closest('[data-view]');
  view.dataset.inviteStatus = status || 'unknown';
  byId('gone-title').textContent = title;
  say(byId('gone-message'), 'warning', String(result.error?.message || 'This invite link no longer works.'));
  byId('gone-todo').textContent = todo;
  byId('gone-signin').textContent = status === 'accepted' ? 'Sign in' : 'Go to sign in';
  showView('gone');
}

byId('problem-retry').addEventListener('click', (e) => busy(e.currentTarget, () => start()));

loadBanner(byId('banner'));
state.token = takeToken();
start();
