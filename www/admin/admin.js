/*
 * admin.js — entry module of the operator console.
 *
 * Signed out: the sign-in form (the authentication-code field appears when
 * the server answers 401 with totp_required). Signed in: two-factor
 * enrollment first while the session says totp_enrollment_required
 * (account.js), then a forced password change while it says
 * must_change_password, else the sections chosen by the address fragment.
 * This file holds the session, sign-in and that routing; each section is its
 * own module: the Account Setup dashboard (the landing section,
 * dashboard.js), the review queue (reviews.js), customers (customers.js) and
 * one customer's page (#customer/ID, customer.js), users of every customer
 * (users.js), operators (operator admins only, operators.js), the
 * customer-console banner (banner-section.js), the audit trail (audit.js) and
 * the operator's own account (TOTP enrollment, password; account.js). What
 * the customer console does alike (session calls, sign-in, password change,
 * confirmed row actions) lives in session.js. Auditors read everything and
 * change nothing, so their pages have no buttons that change state.
 *
 * The system status cards at the bottom (status.js) show liveness and
 * readiness whatever the view.
 */

import {
  forgetEnrollment, initAccount, openEnroll, renderAccount,
} from './account.js';
import { initAudit, loadAuditSection } from './audit.js';
import { initBannerSection, loadBannerSection } from './banner-section.js';
import { initCustomerPage, loadCustomerPage } from './customer.js';
import { initCustomers, loadCustomers } from './customers.js';
import { initDashboard, loadDashboard } from './dashboard.js';
import { initOperators, loadOperators } from './operators.js';
import { initReviews, loadReviews } from './reviews.js';
import {
  accountStateText, changePassword, createSession, signinForm,
} from './session.js';
import { refreshAll } from './status.js';
import {
  byId, clear, clearFieldErrors, label, say, sayError, showView,
} from './ui.js';
import { initUsers, loadUsers, resetUsers } from './users.js';

const API = '/admin/api/v1';

const state = {
  op: null,
  tab: null,
};

const isAdmin = () => state.op?.role === 'operator_admin';
const canWrite = () => Boolean(state.op) && state.op.role !== 'auditor';

/* ---- API calls with the session ----------------------------------------- */

const session = createSession({
  base: API,
  signedIn: () => Boolean(state.op),
  // A removed operator's session says why (error.account_status); any other end, the plain sentence.
  ended: (result) => signedOut(accountStateText(result, 'Your session has ended. Sign in again to continue.'), 'warning'),
  blocked: {
    password_change_required: () => openForced(),
    totp_enrollment_required: () => openEnroll(),
  },
});

const sectionCalls = {
  get: session.get, send: session.send, ownFailure: session.ownFailure, canWrite, isAdmin, operator: () => state.op,
};
initDashboard(sectionCalls);
initReviews(sectionCalls);
initCustomerPage(sectionCalls);
initCustomers(sectionCalls);
initUsers(sectionCalls);
initOperators(sectionCalls);
initBannerSection(sectionCalls);
initAudit(sectionCalls);
initAccount({ ...sectionCalls, enter: (body) => enter(body), setSession: (body) => setSession(body) });

/* ---- sign in, sign out ---------------------------------------------------- */

const signinError = byId('signin-error');
const totpField = byId('signin-totp-field');
const form = byId('signin-form');

const signin = signinForm({
  form,
  errorNode: signinError,
  flashNode: byId('signin-flash'),
  login: 'username',
  session,
  extra: (body) => {
    const totp = form.elements.totp.value.replace(/\s+/g, '');
    if (!totpField.hidden && totp) body.totp = totp;
  },
  refused: (result, body) => {
    if (!(result.status === 401 && result.data?.totp_required)) return false;
    const input = form.elements.totp;
    const first = totpField.hidden || !body.totp;
    totpField.hidden = false;
    input.value = '';
    if (first) say(signinError, 'info', 'Enter the 6-digit code from your authenticator app to finish signing in.');
    else say(signinError, 'error', `${result.error?.message || 'The sign-in details are not correct.'} Check the code and try again.`);
    input.focus();
    return true;
  },
  opening: () => {
    totpField.hidden = true;
    form.reset();
  },
  enter: (body) => {
    totpField.hidden = true;
    enter(body);
  },
});
const openSignin = (options) => signin.open(options);

function signedOut(message, kind = 'success') {
  // Nothing of an unfinished enrollment (the key, the QR code) stays in the page.
  forgetEnrollment();
  state.op = null;
  session.csrf = null;
  state.tab = null;
  resetUsers();
  byId('header-session').hidden = true;
  openSignin({ flash: message, kind });
}

async function signOut() {
  await session.signOut();
  signedOut('You are signed out.');
}

byId('signout').addEventListener('click', signOut);
byId('forced-signout').addEventListener('click', signOut);
byId('enroll-signout').addEventListener('click', signOut);

/** A session body arrived: remember it, show the header, then the view it allows. */
function enter(body, { focus = true } = {}) {
  setSession(body);
  if (body.totp_enrollment_required) openEnroll({ focus });
  else if (body.must_change_password) openForced({ focus });
  else openConsole({ focus });
}

function setSession(body) {
  state.op = body.operator;
  session.csrf = body.csrf_token;
  byId('header-username').textContent = state.op.username;
  byId('header-role').textContent = label(state.op.role);
  byId('header-session').hidden = false;
  byId('tab-operators').hidden = !isAdmin();
  for (const node of document.querySelectorAll('[data-write]')) node.hidden = !canWrite();
  // Roles that read only see text where others see forms: typing into a form that cannot be saved is lost.
  for (const node of document.querySelectorAll('[data-read]')) node.hidden = canWrite();
  for (const input of document.querySelectorAll('input[name="username"][autocomplete="username"][hidden]')) {
    input.value = state.op.username;
  }
}

/* ---- forced password change -------------------------------------------- */

const forcedForm = byId('forced-form');

function openForced({ focus = true } = {}) {
  forcedForm.reset();
  forcedForm.elements.username.value = state.op?.username || '';
  clear(byId('forced-error'));
  clearFieldErrors(forcedForm);
  showView('password', { focus });
  if (focus) byId('forced-current').focus();
}

forcedForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const body = await changePassword(forcedForm, byId('forced-error'), e.submitter, session);
  if (body) {
    enter(body);
    say(byId('console-flash'), 'success', 'Your password was changed.');
  }
});

/* ---- the console and its sections --------------------------------------- */

const TABS = ['dashboard', 'reviews', 'customers', 'customer', 'users', 'operators', 'banner', 'audit', 'account'];

function openConsole({ focus = true } = {}) {
  clear(byId('console-flash'));
  showView('console', { focus: false });
  route({ focus });
}

/** The section, its argument and its query from the fragment: #users, #customer/42, #customers?ready=true ... */
function currentTab() {
  const fragment = location.hash.replace(/^#/, '');
  const cut = fragment.indexOf('?');
  const query = cut < 0 ? '' : fragment.slice(cut + 1);
  const [name, ...rest] = (cut < 0 ? fragment : fragment.slice(0, cut)).split('/');
  let arg = rest.join('/');
  try {
    arg = decodeURIComponent(arg);
  } catch {
    // A malformed escape stays as typed; the API answers 404 for it.
  }
  if (!TABS.includes(name)) return { tab: 'dashboard', arg: '', query: '' };
  if (name === 'operators' && !isAdmin()) return { tab: 'dashboard', arg: '', query: '' };
  if (name === 'customer' && !arg) return { tab: 'customers', arg: '', query: '' };
  return { tab: name, arg, query };
}

function route({ focus = true } = {}) {
  if (!state.op || !state.op.totp_enabled || state.op.must_change_password) return;
  const { tab, arg, query } = currentTab();
  const changed = `${tab}/${arg}?${query}` !== state.tab;
  state.tab = `${tab}/${arg}?${query}`;
  // One customer's page belongs under the Customers tab.
  const navTab = tab === 'customer' ? 'customers' : tab;
  for (const link of document.querySelectorAll('[data-tab]')) {
    if (link.dataset.tab === navTab) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  for (const section of document.querySelectorAll('[data-section]')) section.hidden = section.dataset.section !== tab;
  if (changed) clear(byId('console-flash'));
  const heading = document.querySelector(`[data-section="${tab}"] h2`);
  if (focus && heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus();
  }
  LOADERS[tab](arg, query);
}

window.addEventListener('hashchange', () => route());

const LOADERS = {
  dashboard: () => loadDashboard(),
  reviews: () => loadReviews(),
  customer: (id) => loadCustomerPage(id),
  users: () => loadUsers(),
  customers: (arg, query) => loadCustomers({ query }),
  operators: () => loadOperators(),
  banner: () => loadBannerSection(),
  audit: () => loadAuditSection(),
  account: () => renderAccount(),
};

/* ---- start -------------------------------------------------------------- */

async function start() {
  refreshAll();
  const result = await session.load();
  if (result.ok) {
    enter(result.data, { focus: false });
  } else {
    openSignin({ focus: false });
    if (result.status !== 401) sayError(signinError, result);
  }
}

start();
