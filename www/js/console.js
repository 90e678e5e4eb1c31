/*
 * console.js — entry module of the public Account Setup console.
 *
 * One page with views (see index.html): sign-in, forgot password, password
 * change (forced while the session says must_change_password, else chosen
 * from the account menu) and the console itself: the signed-in account and,
 * for customer admins, the members of their organisation with seats, the
 * filter language and the suspend / activate / reset / role actions. The
 * Account Setup cards (checklist, details, single sign-on, readiness,
 * workspace) live in setup.js and the invites of the members card in
 * invites.js; both call the API through get/send here. What the operator
 * console does alike (session calls, sign-in, password change, confirmed row
 * actions) lives in session.js.
 *
 * The session lives in an HttpOnly cookie; this module keeps only the CSRF
 * token from the session body, sent on every change. The banner and the
 * service status card show whatever the view.
 */

import { apiGet, apiSend, errorText } from './api.js';
import { loadBanner } from './banner.js';
import { emailNode } from './email.js';
import { initInvites, resetInvites, showInvites } from './invites.js';
import {
  accountStateText, changePassword, createSession, runConfirmed, signinForm,
} from './session.js';
import {
  initSetup, loadSetup, refreshChecklist, resetSetup,
} from './setup.js';
import {
  defaultSection, initNav, resetNav, sectionFromHash, showSection, startNav,
} from './setup-nav.js';
import {
  badge, busy, byId, clear, clearFieldErrors, el, fieldError,
  say, sayError, showFieldErrors, showOnce, showView, timeCell,
} from './ui.js';

const API = '/api/v1';

const state = {
  user: null,
  forced: false,
  members: { q: '', after: null, rows: [] },
};

/* ---- service status (GET /healthz) ------------------------------------- */

const badgeEl = byId('health-status');
const checkedAt = byId('health-checked');
const retry = byId('health-retry');

function showHealth(stateName, text) {
  badgeEl.dataset.state = stateName;
  badgeEl.textContent = text;
}

async function checkHealth() {
  showHealth('pending', 'checking…');
  retry.disabled = true;
  const result = await apiGet('/healthz');
  if (result.ok && result.data?.status === 'ok') {
    showHealth('ok', 'ok');
  } else if (result.ok) {
    // 200 but not the documented body: a wrong upstream, not a healthy service.
    showHealth('error', `Unexpected health answer (request id ${result.requestId || 'unknown'})`);
  } else {
    showHealth('error', errorText(result));
  }
  checkedAt.textContent = `Last checked ${new Date().toLocaleTimeString()}`;
  retry.disabled = false;
}

retry.addEventListener('click', checkHealth);

/* ---- talking to the API with the session -------------------------------- */

/* After any call: a lost session goes back to sign-in; a pending password change to its form. */
const session = createSession({
  base: API,
  signedIn: () => Boolean(state.user),
  ended: (result) => signedOut(accountStateText(result, 'Your session has ended. Sign in again to continue.'), 'warning'),
  blocked: {
    password_change_required: () => {
      state.forced = true;
      openPassword();
    },
  },
});
const { get, send } = session;

initNav();
initSetup({ get, send, ownFailure: session.ownFailure, user: () => state.user });
initInvites({ get, send, ownFailure: session.ownFailure, user: () => state.user, changed: () => refreshChecklist() });

/* ---- account menu -------------------------------------------------------- */

const menu = byId('account-menu');
const menuButton = byId('account-button');
const menuPanel = byId('account-panel');

function setMenu(open) {
  menuPanel.hidden = !open;
  menuButton.setAttribute('aria-expanded', String(open));
}

menuButton.addEventListener('click', () => {
  const open = menuPanel.hidden;
  setMenu(open);
  if (open) menuPanel.querySelector('button')?.focus();
});
menu.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && !menuPanel.hidden) {
    setMenu(false);
    menuButton.focus();
  }
});
document.addEventListener('click', (e) => {
  if (!menu.contains(e.target)) setMenu(false);
});
// Tabbing out of the open menu closes it, as clicking elsewhere does.
menu.addEventListener('focusout', (e) => {
  if (e.relatedTarget && !menu.contains(e.relatedTarget)) setMenu(false);
});
byId('menu-password').addEventListener('click', () => {
  setMenu(false);
  state.forced = false;
  openPassword();
});
byId('menu-signout').addEventListener('click', () => {
  setMenu(false);
  signOut();
});
// The same two actions in "Your account", where a member's home points.
byId('me-password').addEventListener('click', () => {
  state.forced = false;
  openPassword();
});
byId('me-signout').addEventListener('click', () => signOut());

function renderAccount() {
  const u = state.user;
  menu.hidden = !u;
  if (!u) return;
  byId('account-name').textContent = u.display_name || u.username;
  byId('account-who').textContent = u.display_name ? `${u.display_name} (${u.username})` : u.username;
  byId('account-email').textContent = u.email;
}

/* ---- sign in, sign out ---------------------------------------------------- */

const signinError = byId('signin-error');
const signin = signinForm({
  form: byId('signin-form'),
  errorNode: signinError,
  flashNode: byId('signin-flash'),
  login: 'login',
  session,
  enter: (body) => enter(body),
});
const openSignin = (options) => signin.open(options);

/* Single sign-on: the work email's company, if its SSO is live, sends the browser to its IdP. */
const ssoForm = byId('sso-signin-form');
ssoForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const error = byId('sso-signin-error');
  clear(error);
  clearFieldErrors(ssoForm);
  const email = ssoForm.elements.email.value.trim();
  if (!email) {
    fieldError(ssoForm, 'email', 'Enter your work email address.');
    return;
  }
  const result = await busy(e.submitter, () => apiSend('POST', `${API}/sso/start`, { email }));
  if (result.ok) {
    location.assign(result.data.redirect_url);
  } else if (result.status === 422 && showFieldErrors(ssoForm, result)) {
    // Shown next to the field.
  } else {
    sayError(error, result);
  }
});

function signedOut(message, kind = 'success') {
  state.user = null;
  session.csrf = null;
  state.forced = false;
  state.members = { q: '', after: null, rows: [] };
  byId('members-rows').replaceChildren();
  resetSetup();
  resetInvites();
  byId('members-filter').value = '';
  resetNav();
  renderAccount();
  openSignin({ flash: message, kind });
}

async function signOut() {
  await session.signOut();
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  signedOut('You are signed out.');
}

/** A session body arrived (sign-in, password change, reload): show what it allows. */
function enter(body, { focus = true, flash = null } = {}) {
  if (location.hash === '#forgot' || location.hash === '#signin') {
    history.replaceState(null, '', location.pathname + location.search);
  }
  state.user = body.user;
  session.csrf = body.csrf_token;
  state.forced = Boolean(body.must_change_password);
  renderAccount();
  if (state.forced) openPassword({ focus });
  else openConsole({ focus, flash });
}

/* ---- forgot password ---------------------------------------------------- */

const forgotForm = byId('forgot-form');
const forgotError = byId('forgot-error');

function openForgot({ focus = true } = {}) {
  clear(forgotError);
  clearFieldErrors(forgotForm);
  byId('forgot-ask').hidden = false;
  byId('forgot-sent').hidden = true;
  showView('forgot', { focus });
  if (focus) byId('forgot-email').focus();
}

forgotForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  clear(forgotError);
  clearFieldErrors(forgotForm);
  const email = forgotForm.elements.email.value.trim();
  if (!email) {
    fieldError(forgotForm, 'email', 'Enter the email address of your account.');
    return;
  }
  const result = await busy(e.submitter, () => apiSend('POST', `${API}/password-resets`, { email }));
  if (result.ok) {
    forgotForm.reset();
    byId('forgot-ask').hidden = true;
    byId('forgot-sent').hidden = false;
    say(byId('forgot-done'), 'success', result.data?.message
      || 'If an account uses this address, a link to reset its password is on its way.');
    byId('forgot-back').focus();
  } else if (result.status === 422 && showFieldErrors(forgotForm, result)) {
    // Shown next to the field.
  } else {
    sayError(forgotError, result);
  }
});

function route() {
  if (state.user) {
    // A section link, back or forward: show that section (the console itself when another view is up).
    // Back to the plain address (before the first section link) is the default section.
    const section = sectionFromHash(location.hash) || (location.hash === '' ? defaultSection() : null);
    if (!section || state.forced) return;
    if (byId('main').querySelector('[data-view="console"]').hidden) openConsole({ section });
    else showSection(section);
    return;
  }
  if (location.hash === '#forgot') openForgot();
  else if (location.hash === '#signin' || location.hash === '') openSignin();
}

window.addEventListener('hashchange', route);

/* ---- password change ---------------------------------------------------- */

const passwordForm = byId('password-form');
const passwordError = byId('password-error');
const passwordCancel = byId('password-cancel');

function openPassword({ focus = true } = {}) {
  passwordForm.reset();
  passwordForm.elements.username.value = state.user?.username || '';
  clear(passwordError);
  clearFieldErrors(passwordForm);
  byId('password-forced').hidden = !state.forced;
  byId('password-title').textContent = state.forced ? 'Choose a new password' : 'Change your password';
  byId('password-current-label').textContent = state.forced ? 'Temporary password' : 'Current password';
  passwordCancel.textContent = state.forced ? 'Sign out' : 'Cancel';
  showView('password', { focus });
  if (focus) byId('password-current').focus();
}

passwordCancel.addEventListener('click', () => {
  if (state.forced) signOut();
  else openConsole();
});

passwordForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const body = await changePassword(passwordForm, passwordError, e.submitter, session, state.forced
    ? 'Enter the temporary password you signed in with.' : 'Enter your current password.');
  if (body) enter(body, { flash: 'Your password was changed. Other sessions of your account were signed out.' });
});

/* ---- the console: own account and members ------------------------------ */

const flash = byId('console-flash');

function openConsole({ focus = true, flash: message = null, section = null } = {}) {
  const u = state.user;
  if (message) say(flash, 'success', message);
  else clear(flash);
  byId('me-username').textContent = u.username;
  byId('me-name').textContent = u.display_name || '—';
  byId('me-email').textContent = u.email;
  byId('me-role').replaceChildren(badge(u.role));
  byId('me-status').replaceChildren(badge(u.status));
  const admin = u.role === 'customer_admin';
  byId('me-note').textContent = admin
    ? ''
    : "Your organisation's admins manage members and seats; ask one of them to change your role.";
  byId('members-card').hidden = !admin;
  startNav(admin);
  // Read before loadSetup: a test sign-in's return (#sso-test-<id>) is taken off the address there.
  const wanted = section || sectionFromHash(location.hash) || defaultSection();
  showView('console', { focus: focus && !section });
  loadSetup();
  showSection(wanted, { focus: Boolean(section) });
  if (admin) loadMembers();
}

const membersRows = byId('members-rows');
const membersFlash = byId('members-flash');
const filterForm = byId('members-filter-form');
const filterInput = byId('members-filter');
const filterError = byId('members-filter-error');
const moreButton = byId('members-more');

async function loadMembers({ append = false } = {}) {
  const m = state.members;
  const params = new URLSearchParams();
  if (m.q) params.set('q', m.q);
  params.set('limit', '50');
  if (append && m.after) params.set('after', m.after);
  const result = await get(`/members?${params}`);
  if (!result.ok) {
    if (result.status === 400) {
      say(filterError, 'error', result.error?.message ? `The filter is not valid: ${result.error.message}.` : 'The filter is not valid.');
      filterInput.setAttribute('aria-invalid', 'true');
      // Only the error: rows of an earlier filter or "No members match" would answer a question not asked.
      m.rows = [];
      m.after = null;
      membersRows.replaceChildren();
      byId('members-empty').hidden = true;
      moreButton.hidden = true;
    } else if (result.status !== 401 && result.error?.code !== 'password_change_required') {
      sayError(membersFlash, result);
    }
    return false;
  }
  clear(filterError);
  filterInput.removeAttribute('aria-invalid');
  const users = Array.isArray(result.data?.users) ? result.data.users : [];
  m.rows = append ? [...m.rows, ...users] : users;
  m.after = result.data?.next_after || null;
  renderMembers();
  renderSeats(result.data?.seats);
  if (!append) showInvites(result.data?.invites, result.data?.seats);
  return true;
}

function renderSeats(seats) {
  const box = byId('seats');
  if (!seats || typeof seats.limit !== 'number') {
    box.hidden = true;
    return;
  }
  const over = Number(seats.over_by) > 0;
  byId('seats-text').textContent = over ? `${seats.used} of ${seats.limit} seats \u2014 over the limit`
    : `${seats.used} of ${seats.limit} in use`;
  const meter = byId('seats-meter');
  meter.max = Math.max(seats.limit, 1);
  meter.high = Math.max(seats.limit - 1, 0.5);
  meter.optimum = 0;
  meter.value = seats.used;
  box.hidden = false;
  // Dormant members who sign in again take a seat even when none is free; say what that blocks.
  const note = byId('seats-over');
  note.textContent = over ? `Your organisation uses ${seats.over_by} more ${seats.over_by === 1 ? 'seat' : 'seats'} than its limit of ${seats.limit}. `
    + 'New invites, accepting invites and activating members are refused until you suspend members or an operator raises the limit.' : '';
  note.hidden = !over;
}

function actionButton(text, action, user, extraClass = '') {
  return el('button', {
    type: 'button',
    class: `button button--small ${extraClass}`.trim(),
    text,
    data: { action },
    attrs: { 'aria-label': `${text}: ${user.username}` },
    on: { click: () => runAction(action, user) },
  });
}

function memberRow(u) {
  const self = u.id === state.user?.id;
  const who = el('td', {},
    el('strong', { text: u.username }),
    self ? el('span', { class: 'you', text: '(you)' }) : null,
    u.display_name ? el('span', { class: 'sub', text: u.display_name }) : null);
  const status = el('td', {}, badge(u.status),
    u.must_change_password && u.status !== 'deactivated'
      ? el('span', { class: 'sub', text: 'Must change password' }) : null);
  const actions = el('td', { class: 'actions-cell' });
  if (!self && u.status !== 'deactivated') {
    actions.append(
      u.status === 'suspended'
        ? actionButton('Activate', 'activate', u)
        : actionButton('Suspend', 'suspend', u, 'button--danger'),
      actionButton('Reset password', 'reset', u),
      u.role === 'customer_admin'
        ? actionButton('Make member', 'make-member', u)
        : actionButton('Make admin', 'make-admin', u),
    );
  }
  return el('tr', { data: { userId: u.id, username: u.username } },
    who,
    el('td', { class: 'email-cell' }, emailNode(u.email)),
    el('td', {}, badge(u.role)),
    status,
    el('td', { class: 'nowrap' }, timeCell(u.last_seen_at)),
    actions);
}

function renderMembers() {
  const m = state.members;
  membersRows.replaceChildren(...m.rows.map(memberRow));
  byId('members-empty').hidden = m.rows.length > 0;
  byId('members-empty').textContent = m.q ? 'No members match this filter.' : 'No members yet.';
  moreButton.hidden = !m.after;
}

filterForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  clear(membersFlash);
  state.members.q = filterInput.value.trim();
  state.members.after = null;
  await busy(e.submitter, () => loadMembers());
});

byId('members-filter-clear').addEventListener('click', async () => {
  filterInput.value = '';
  state.members.q = '';
  state.members.after = null;
  clear(membersFlash);
  await loadMembers();
  filterInput.focus();
});

moreButton.addEventListener('click', () => busy(moreButton, () => loadMembers({ append: true })));

const ACTIONS = {
  suspend: (u) => ({
    title: `Suspend ${u.username}?`,
    message: [`${u.username} is signed out at once and cannot sign in until an admin activates the account again.`,
      'A suspended member holds no licensed seat.'],
    confirm: 'Suspend',
    danger: true,
    call: () => send('POST', `/users/${encodeURIComponent(u.id)}/suspend`),
    done: `${u.username} is suspended.`,
  }),
  activate: (u) => ({
    title: `Activate ${u.username}?`,
    message: [`${u.username} can sign in again. An active member takes a licensed seat.`],
    confirm: 'Activate',
    call: () => send('POST', `/users/${encodeURIComponent(u.id)}/activate`),
    done: `${u.username} is active again.`,
  }),
  reset: (u) => ({
    title: `Reset the password of ${u.username}?`,
    message: [`Their current password stops working and they are signed out everywhere.`,
      'You get a temporary password to give them; they must choose a new one when they next sign in.'],
    confirm: 'Reset password',
    danger: true,
    call: () => send('POST', `/users/${encodeURIComponent(u.id)}/reset-password`),
    after: (data) => showOnce({
      title: `Temporary password for ${u.username}`,
      intro: `Give this password to ${u.username} through a channel you trust. It is shown only this once.`,
      value: String(data?.temporary_password || ''),
      valueLabel: 'Temporary password',
      note: 'They must choose a new password at their next sign-in.',
    }),
    done: `The password of ${u.username} was reset; they must change it at their next sign-in.`,
  }),
  'make-admin': (u) => ({
    title: `Make ${u.username} an admin?`,
    message: [`Admins manage members, seats and your organisation's setup.`],
    confirm: 'Make admin',
    call: () => send('PATCH', `/users/${encodeURIComponent(u.id)}`, { role: 'customer_admin', version: u.version }),
    done: `${u.username} is now an admin.`,
  }),
  'make-member': (u) => ({
    title: `Make ${u.username} a member?`,
    message: [`${u.username} will no longer be able to manage members or your organisation's setup.`],
    confirm: 'Make member',
    call: () => send('PATCH', `/users/${encodeURIComponent(u.id)}`, { role: 'customer_member', version: u.version }),
    done: `${u.username} is now a member.`,
  }),
};

async function runAction(action, user) {
  const done = await runConfirmed(ACTIONS[action](user),
    { flash: membersFlash, reload: () => loadMembers(), ownFailure: session.ownFailure });
  if (done) refocus(user.id);
}

/** After the table re-rendered, put focus back on the same member's first action. */
function refocus(userId) {
  const row = [...membersRows.querySelectorAll('tr')].find((tr) => tr.dataset.userId === String(userId));
  const target = row?.querySelector('button');
  if (target) target.focus();
}

/* ---- start -------------------------------------------------------------- */

async function start() {
  checkHealth();
  loadBanner(byId('banner'));
  const result = await session.load();
  if (result.ok) {
    enter(result.data, { focus: false });
  } else if (location.hash === '#forgot') {
    openForgot({ focus: false });
  } else {
    // A session ended by a suspension or removal says so instead of a bare sign-in form.
    const why = accountStateText(result);
    openSignin({ focus: false, flash: why, kind: 'warning' });
    if (result.status !== 401) sayError(signinError, result);
  }
}

start();
