/*
 * admin.js — entry module of the operator console.
 *
 * Signed out: the sign-in form (the authentication-code field appears when
 * the server answers 401 with totp_required). Signed in: two-factor
 * enrollment first while the session says totp_enrollment_required (the
 * QR code is an <img> of the server's SVG as a data: URI, which the CSP's
 * img-src allows and which can never run script), then a forced password
 * change while it says must_change_password, else the sections
 * chosen by the address fragment — the Account Setup dashboard (the landing
 * section, dashboard.js), the review queue (reviews.js), customers and one
 * customer's page (#customer/ID, customer.js), users of every customer,
 * operators (operator admins only), the customer-console banner, the audit
 * trail and the operator's own account (TOTP enrollment, password).
 * Auditors read everything and change nothing, so their pages have no
 * buttons that change state.
 *
 * The system status cards at the bottom show liveness (/healthz) and
 * readiness (/readyz) whatever the view. A 503 from /readyz still carries the
 * checks, so the page names the failing ones ("not ready: database") instead
 * of a bare error; only when no checks came back (nginx or the network
 * failed) does it fall back to the error message.
 */

import { apiGet, apiSend, errorText } from './api.js';
import { renderBanner } from './banner.js';
import { initCustomerPage, loadCustomerPage } from './customer.js';
import { initDashboard, loadDashboard } from './dashboard.js';
import { initReviews, loadReviews } from './reviews.js';
import {
  badge, busy, byId, clear, clearFieldErrors, confirmAction, el, fieldError, formatTime, formatTimeShort,
  label, say, sayError, saySigninFailure, secretBox, showFieldErrors, showOnce, showView, timeCell,
} from './ui.js';

const API = '/admin/api/v1';

const state = {
  op: null,
  csrf: null,
  tab: null,
  users: { q: '', after: null, rows: [] },
  customers: { q: '', next: null, rows: [], more: false },
  customerIndex: new Map(), // id -> customer, for names in the audit trail and the create form
  audit: { customer: '', before: null, rows: [] },
};

const isAdmin = () => state.op?.role === 'operator_admin';
const canWrite = () => Boolean(state.op) && state.op.role !== 'auditor';

/* ---- system status -------------------------------------------------------- */

const health = byId('health-status');
const ready = byId('ready-status');
const checkList = byId('ready-checks');
const checkedAt = byId('checked');
const refresh = byId('refresh');

function show(node, stateName, text) {
  node.dataset.state = stateName;
  node.textContent = text;
}

async function checkHealth() {
  const result = await apiGet('/healthz');
  if (result.ok && result.data?.status === 'ok') show(health, 'ok', 'ok');
  else if (result.ok) show(health, 'error', `Unexpected health answer (request id ${result.requestId || 'unknown'})`);
  else show(health, 'error', errorText(result));
}

function renderChecks(checks) {
  checkList.replaceChildren(...checks.map((check) => el('li', { data: { ok: String(Boolean(check.ok)) } },
    el('span', { class: 'checks__name', text: String(check.name) }),
    el('span', { class: 'checks__message', text: String(check.message ?? '') }))));
}

async function checkReady() {
  const result = await apiGet('/readyz');
  const checks = Array.isArray(result.data?.checks) ? result.data.checks : [];
  renderChecks(checks);
  const failing = checks.filter((check) => !check.ok).map((check) => check.name);
  if (result.ok && failing.length === 0) show(ready, 'ok', 'ready');
  else if (failing.length > 0) show(ready, 'error', `not ready: ${failing.join(', ')}`);
  else show(ready, 'error', `not ready: ${errorText(result)}`);
}

async function refreshAll() {
  refresh.disabled = true;
  show(health, 'pending', 'checking…');
  show(ready, 'pending', 'checking…');
  await Promise.all([checkHealth(), checkReady()]);
  checkedAt.textContent = `Last checked ${new Date().toLocaleTimeString()}`;
  refresh.disabled = false;
}

refresh.addEventListener('click', refreshAll);

/* ---- API calls with the session ----------------------------------------- */

function afterCall(result) {
  if (result.status === 401 && state.op) {
    signedOut('Your session has ended. Sign in again to continue.', 'warning');
  } else if (result.status === 403 && result.error?.code === 'password_change_required') {
    openForced();
  } else if (result.status === 403 && result.error?.code === 'totp_enrollment_required') {
    openEnroll();
  }
  return result;
}

async function get(path) {
  return afterCall(await apiGet(`${API}${path}`));
}

async function send(method, path, body) {
  return afterCall(await apiSend(method, `${API}${path}`, body, state.csrf));
}

/** A failure the section should show itself (not a lost session, a pending password change or enrollment). */
function ownFailure(result) {
  return result.status !== 401 && result.error?.code !== 'password_change_required'
    && result.error?.code !== 'totp_enrollment_required';
}

const sectionCalls = { get, send, ownFailure, canWrite };
initDashboard(sectionCalls);
initReviews(sectionCalls);
initCustomerPage(sectionCalls);

/* ---- sign in, sign out ---------------------------------------------------- */

const signinForm = byId('signin-form');
const signinError = byId('signin-error');
const signinFlash = byId('signin-flash');
const totpField = byId('signin-totp-field');

function openSignin({ focus = true, flash = null, kind = 'success' } = {}) {
  clear(signinError);
  if (flash) say(signinFlash, kind, flash);
  else clear(signinFlash);
  totpField.hidden = true;
  signinForm.reset();
  showView('signin', { focus });
  if (focus) byId('signin-username').focus();
}

signinForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  clear(signinError);
  clear(signinFlash);
  const username = signinForm.elements.username.value.trim();
  const password = signinForm.elements.password.value;
  const totp = signinForm.elements.totp.value.replace(/\s+/g, '');
  if (!username || !password) {
    say(signinError, 'error', 'Enter your username or email and your password.');
    (username ? signinForm.elements.password : signinForm.elements.username).focus();
    return;
  }
  const body = { username, password };
  if (!totpField.hidden && totp) body.totp = totp;
  const result = await busy(e.submitter, () => apiSend('POST', `${API}/session`, body));
  if (result.ok) {
    signinForm.reset();
    totpField.hidden = true;
    enter(result.data);
    return;
  }
  const input = signinForm.elements.totp;
  if (result.status === 401 && result.data?.totp_required) {
    const first = totpField.hidden || !body.totp;
    totpField.hidden = false;
    input.value = '';
    if (first) say(signinError, 'info', 'Enter the 6-digit code from your authenticator app to finish signing in.');
    else say(signinError, 'error', `${result.error?.message || 'The sign-in details are not correct.'} Check the code and try again.`);
    input.focus();
    return;
  }
  saySigninFailure(signinError, result);
  signinForm.elements.password.value = '';
  signinForm.elements.password.focus();
});

function signedOut(message, kind = 'success') {
  // Nothing of an unfinished enrollment (the key, the QR code) stays in the page.
  closeEnroll();
  for (const id of ['totp-qr', 'totp-secret-box', 'totp-uri-box']) byId(id).replaceChildren();
  byId('totp-enroll').hidden = true;
  state.op = null;
  state.csrf = null;
  state.tab = null;
  state.users = { q: '', after: null, rows: [] };
  byId('users-filter').value = '';
  byId('header-session').hidden = true;
  openSignin({ flash: message, kind });
}

async function signOut() {
  await apiSend('DELETE', `${API}/session`, undefined, state.csrf);
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
  state.csrf = body.csrf_token;
  byId('header-username').textContent = state.op.username;
  byId('header-role').textContent = label(state.op.role);
  byId('header-session').hidden = false;
  byId('tab-operators').hidden = !isAdmin();
  for (const node of document.querySelectorAll('[data-write]')) node.hidden = !canWrite();
  for (const input of document.querySelectorAll('input[name="username"][autocomplete="username"][hidden]')) {
    input.value = state.op.username;
  }
}

/* ---- two-factor enrollment before anything else ---------------------------- */

// One two-factor card: it lives in "Your account" and visits the enrollment view.
const totpCard = byId('totp-card');
const totpHome = { parent: totpCard.parentNode, next: totpCard.nextSibling };

function openEnroll({ focus = true } = {}) {
  byId('enroll-slot').append(totpCard);
  renderAccount();
  showView('enroll', { focus });
}

function closeEnroll() {
  totpHome.parent.insertBefore(totpCard, totpHome.next);
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

/** Shared by the forced form and the account section's form. */
async function changePassword(form, errorNode, submitter) {
  clear(errorNode);
  clearFieldErrors(form);
  const current = form.elements.current_password.value;
  const next = form.elements.new_password.value;
  if (!current) {
    fieldError(form, 'current_password', 'Enter your current password.');
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
  const result = await busy(submitter, () => send('POST', '/password', { current_password: current, new_password: next }));
  if (result.ok) {
    form.reset();
    return result.data;
  }
  if (!(result.status === 422 && showFieldErrors(form, result)) && ownFailure(result)) sayError(errorNode, result);
  return null;
}

forcedForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const body = await changePassword(forcedForm, byId('forced-error'), e.submitter);
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

/** The section and its argument from the fragment: #users, #customer/42, ... */
function currentTab() {
  const [name, ...rest] = location.hash.replace(/^#/, '').split('/');
  let arg = rest.join('/');
  try {
    arg = decodeURIComponent(arg);
  } catch {
    // A malformed escape stays as typed; the API answers 404 for it.
  }
  if (!TABS.includes(name)) return { tab: 'dashboard', arg: '' };
  if (name === 'operators' && !isAdmin()) return { tab: 'dashboard', arg: '' };
  if (name === 'customer' && !arg) return { tab: 'customers', arg: '' };
  return { tab: name, arg };
}

function route({ focus = true } = {}) {
  if (!state.op || !state.op.totp_enabled || state.op.must_change_password) return;
  const { tab, arg } = currentTab();
  const changed = `${tab}/${arg}` !== state.tab;
  state.tab = `${tab}/${arg}`;
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
  LOADERS[tab](arg);
}

window.addEventListener('hashchange', () => route());

const LOADERS = {
  dashboard: () => loadDashboard(),
  reviews: () => loadReviews(),
  customer: (id) => loadCustomerPage(id),
  users: () => loadUsers(),
  customers: () => loadCustomers(),
  operators: () => loadOperators(),
  banner: () => loadBannerSection(),
  audit: () => loadAuditSection(),
  account: () => renderAccount(),
};

/** Open/close an inline create form; Cancel buttons inside carry data-close-form. */
function toggleForm(form, open, focusTarget) {
  form.hidden = !open;
  if (open) {
    clearFieldErrors(form);
    clear(form.querySelector('.alert'));
    form.querySelector('input, select')?.focus();
  } else {
    form.reset();
    focusTarget?.focus();
  }
}

for (const cancel of document.querySelectorAll('[data-close-form]')) {
  cancel.addEventListener('click', () => {
    const form = cancel.closest('form');
    toggleForm(form, false, document.querySelector(`[aria-controls="${form.id}"]`));
  });
}

function rowButton(text, onClick, subject, extra = '') {
  return el('button', {
    type: 'button',
    class: `button button--small ${extra}`.trim(),
    text,
    attrs: { 'aria-label': `${text}: ${subject}` },
    on: { click: onClick },
  });
}

/* ---- customers (also feeds the pickers) ---------------------------------- */

async function loadCustomerIndex() {
  const result = await get('/customers?limit=200');
  if (!result.ok) return false;
  state.customerIndex = new Map((result.data?.customers || []).map((c) => [String(c.id), c]));
  fillCustomerPickers();
  return true;
}

function fillCustomerPickers() {
  const customers = [...state.customerIndex.values()].sort((a, b) => a.name.localeCompare(b.name));
  const create = byId('uc-customer');
  const keep = create.value;
  create.replaceChildren(...customers.map((c) => el('option', { value: c.slug, text: `${c.name} (${c.slug})` })));
  if (keep) create.value = keep;
  const audit = byId('audit-customer');
  const keepAudit = audit.value;
  audit.replaceChildren(el('option', { value: '', text: 'All customers' }),
    ...customers.map((c) => el('option', { value: String(c.id), text: `${c.name} (${c.slug})` })));
  audit.value = keepAudit;
}

async function loadCustomers({ append = false } = {}) {
  const c = state.customers;
  const params = new URLSearchParams({ limit: '50' });
  if (c.q) params.set('q', c.q);
  if (append && c.next) params.set('after', String(c.next));
  const result = await get(`/customers?${params}`);
  if (!result.ok) {
    if (ownFailure(result)) sayError(byId('customers-flash'), result);
    return;
  }
  const rows = result.data?.customers || [];
  c.rows = append ? [...c.rows, ...rows] : rows;
  c.next = result.data?.next_after || null;
  c.more = Boolean(c.next);
  for (const row of rows) state.customerIndex.set(String(row.id), row);
  byId('customers-rows').replaceChildren(...c.rows.map(customerRow));
  byId('customers-empty').hidden = c.rows.length > 0;
  byId('customers-more').hidden = !c.more;
}

function customerRow(c) {
  const seats = c.seats || {};
  return el('tr', { data: { customerId: c.id } },
    el('td', {}, el('strong', {}, el('a', { href: `#customer/${encodeURIComponent(c.id)}`, text: c.name }))),
    el('td', { class: 'mono', text: c.slug }),
    el('td', { class: 'nowrap', text: `${seats.used ?? '?'} of ${seats.limit ?? '?'}` }),
    el('td', { class: 'nowrap' }, timeCell(c.created_at, '—')),
    el('td', { class: 'actions-cell' },
      rowButton('Users', () => showUsersOf(c.slug), c.slug),
      rowButton('Audit', () => showAuditOf(c.id), c.slug)));
}

function showUsersOf(slug) {
  state.users.q = `customer:${slug}`;
  byId('users-filter').value = state.users.q;
  location.hash = '#users';
}

function showAuditOf(id) {
  state.audit.customer = String(id);
  location.hash = '#audit';
}

byId('customers-search-form').addEventListener('submit', (e) => {
  e.preventDefault();
  state.customers.q = byId('customers-search').value.trim();
  busy(e.submitter, () => loadCustomers());
});
byId('customers-more').addEventListener('click', (e) => busy(e.currentTarget, () => loadCustomers({ append: true })));

const customerForm = byId('customer-create');
byId('customer-new').setAttribute('aria-controls', 'customer-create');
byId('customer-new').addEventListener('click', () => toggleForm(customerForm, customerForm.hidden));

customerForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const errorNode = byId('customer-create-error');
  clear(errorNode);
  clearFieldErrors(customerForm);
  const f = customerForm.elements;
  const body = { name: f.name.value.trim(), slug: f.slug.value.trim(), seat_limit: Number(f.seat_limit.value) };
  const adminEmail = f.admin_email.value.trim();
  if (adminEmail) body.admin_email = adminEmail;
  if (!body.name) return fieldError(customerForm, 'name', 'Enter the customer name.');
  if (!body.slug) return fieldError(customerForm, 'slug', 'Choose a slug.');
  if (!Number.isInteger(body.seat_limit) || body.seat_limit < 1) return fieldError(customerForm, 'seat_limit', 'Enter a whole number of seats, at least 1.');
  const result = await busy(e.submitter, () => send('POST', '/customers', body));
  if (!result.ok) {
    if (!((result.status === 422 || result.status === 409) && showFieldErrors(customerForm, result)) && ownFailure(result)) sayError(errorNode, result);
    return;
  }
  const created = result.data.customer;
  toggleForm(customerForm, false, byId('customer-new'));
  delete byId('cc-slug').dataset.edited;
  const link = result.data.admin_invite_link;
  if (link) {
    // Answered once and never mailed: the operator copies it and sends it to the first admin.
    await showOnce({
      title: `Signup link for the first admin of ${created.name}`,
      intro: String(result.data.admin_invite_message
        || "Send this link to the customer's first admin; it is shown only once. Signing up needs the same email."),
      value: String(link),
      valueLabel: 'Admin signup link',
      note: `It is shown only this once: copy it before closing. Signing up through it needs ${adminEmail}.`,
    });
  }
  await Promise.all([loadCustomers(), loadCustomerIndex()]);
  say(byId('customers-flash'), 'success', `Customer ${created.name} (${created.slug}) was added.`
    + (link ? ` The signup link for ${adminEmail} was shown once.` : ''));
});

// Suggest a slug from the name until the slug is edited by hand.
byId('cc-name').addEventListener('input', () => {
  const slug = byId('cc-slug');
  if (slug.dataset.edited) return;
  slug.value = byId('cc-name').value.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
});
byId('cc-slug').addEventListener('input', () => { byId('cc-slug').dataset.edited = '1'; });

/* ---- users ---------------------------------------------------------------- */

const usersRows = byId('users-rows');
const usersFlash = byId('users-flash');
const usersFilter = byId('users-filter');
const usersFilterError = byId('users-filter-error');

async function loadUsers({ append = false } = {}) {
  const u = state.users;
  usersFilter.value = u.q;
  const params = new URLSearchParams({ limit: '50' });
  if (u.q) params.set('q', u.q);
  if (append && u.after) params.set('after', u.after);
  const result = await get(`/users?${params}`);
  if (!result.ok) {
    if (result.status === 400) {
      say(usersFilterError, 'error', result.error?.message ? `The filter is not valid: ${result.error.message}.` : 'The filter is not valid.');
      usersFilter.setAttribute('aria-invalid', 'true');
    } else if (ownFailure(result)) {
      sayError(usersFlash, result);
    }
    return false;
  }
  clear(usersFilterError);
  usersFilter.removeAttribute('aria-invalid');
  const rows = result.data?.users || [];
  u.rows = append ? [...u.rows, ...rows] : rows;
  u.after = result.data?.next_after || null;
  usersRows.replaceChildren(...u.rows.map(userRow));
  byId('users-empty').hidden = u.rows.length > 0;
  byId('users-empty').textContent = u.q ? 'No users match this filter.' : 'No users yet.';
  byId('users-more').hidden = !u.after;
  return true;
}

function userRow(u) {
  const actions = el('td', { class: 'actions-cell' });
  if (canWrite() && u.status !== 'deactivated') {
    actions.append(
      u.status === 'suspended'
        ? rowButton('Activate', () => userAction('activate', u), u.username)
        : rowButton('Suspend', () => userAction('suspend', u), u.username, 'button--danger'),
      rowButton('Reset link', () => userAction('reset-link', u), u.username),
      rowButton('Deactivate', () => userAction('deactivate', u), u.username, 'button--danger'));
  }
  return el('tr', { data: { userId: u.id, username: u.username } },
    el('td', {}, el('strong', { text: u.username }), u.display_name ? el('span', { class: 'sub', text: u.display_name }) : null),
    el('td', { class: 'mono', text: u.customer || u.customer_id || '' }),
    el('td', { text: u.email }),
    el('td', {}, badge(u.role)),
    el('td', {}, badge(u.status),
      u.must_change_password && u.status !== 'deactivated' ? el('span', { class: 'sub', text: 'Must change password' }) : null),
    el('td', { class: 'nowrap' }, timeCell(u.last_seen_at)),
    actions);
}

const USER_ACTIONS = {
  suspend: (u) => ({
    title: `Suspend ${u.username}?`,
    message: [`${u.username} (${u.customer}) is signed out at once and cannot sign in until activated again.`],
    confirm: 'Suspend',
    danger: true,
    call: () => send('POST', `/users/${encodeURIComponent(u.id)}/suspend`),
    done: `${u.username} is suspended.`,
  }),
  activate: (u) => ({
    title: `Activate ${u.username}?`,
    message: [`${u.username} (${u.customer}) can sign in again and takes a licensed seat when active.`],
    confirm: 'Activate',
    call: () => send('POST', `/users/${encodeURIComponent(u.id)}/activate`),
    done: `${u.username} is active again.`,
  }),
  'reset-link': (u) => ({
    title: `Create a password reset link for ${u.username}?`,
    message: ['You get a link to send to the user. It works once and expires; their current password keeps working until they use it.'],
    confirm: 'Create link',
    call: () => send('POST', `/users/${encodeURIComponent(u.id)}/reset-password-link`),
    after: (data) => showOnce({
      title: `Reset link for ${u.username}`,
      intro: `Send this link to ${u.email} through a channel you trust. It is shown only this once and works once.`,
      value: String(data?.reset_link || ''),
      valueLabel: 'Reset link',
      note: data?.expires_at ? `It expires ${formatTime(data.expires_at)}.` : null,
    }),
    done: `A reset link for ${u.username} was created.`,
  }),
  deactivate: (u) => ({
    title: `Deactivate ${u.username}?`,
    message: [`${u.username} (${u.customer}) can never sign in again. The account is kept for the audit trail; this cannot be undone.`],
    confirm: 'Deactivate',
    danger: true,
    call: () => send('DELETE', `/users/${encodeURIComponent(u.id)}`),
    done: `${u.username} is deactivated.`,
  }),
};

async function userAction(action, user) {
  const spec = USER_ACTIONS[action](user);
  clear(usersFlash);
  if (!await confirmAction(spec)) return;
  const result = await spec.call();
  if (!result.ok) {
    if (ownFailure(result)) {
      if (result.status === 409 || result.status === 404) await loadUsers();
      say(usersFlash, 'error', errorText(result));
    }
    return;
  }
  if (spec.after) await spec.after(result.data);
  await loadUsers();
  say(usersFlash, 'success', spec.done);
  const row = [...usersRows.querySelectorAll('tr')].find((tr) => tr.dataset.userId === String(user.id));
  (row?.querySelector('button') || usersFilter).focus();
}

byId('users-filter-form').addEventListener('submit', (e) => {
  e.preventDefault();
  clear(usersFlash);
  state.users.q = usersFilter.value.trim();
  state.users.after = null;
  busy(e.submitter, () => loadUsers());
});
byId('users-filter-clear').addEventListener('click', async () => {
  state.users.q = '';
  state.users.after = null;
  clear(usersFlash);
  await loadUsers();
  usersFilter.focus();
});
byId('users-more').addEventListener('click', (e) => busy(e.currentTarget, () => loadUsers({ append: true })));

const userForm = byId('user-create');
byId('user-new').setAttribute('aria-controls', 'user-create');
byId('user-new').addEventListener('click', async () => {
  const open = userForm.hidden;
  if (open) await loadCustomerIndex();
  toggleForm(userForm, open);
  if (open && state.customerIndex.size === 0) {
    say(byId('user-create-error'), 'warning', 'There are no customers yet: add a customer first.');
  }
});

userForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const errorNode = byId('user-create-error');
  clear(errorNode);
  clearFieldErrors(userForm);
  const f = userForm.elements;
  const body = {
    customer: f.customer.value,
    username: f.username.value.trim(),
    email: f.email.value.trim(),
    role: f.role.value,
  };
  if (f.display_name.value.trim()) body.display_name = f.display_name.value.trim();
  if (f.password.value) body.password = f.password.value;
  if (!body.customer) return fieldError(userForm, 'customer', 'Choose a customer.');
  if (!body.username) return fieldError(userForm, 'username', 'Enter a username.');
  if (!body.email) return fieldError(userForm, 'email', 'Enter an email address.');
  const result = await busy(e.submitter, () => send('POST', '/users', body));
  if (!result.ok) {
    if (!((result.status === 422 || result.status === 409) && showFieldErrors(userForm, result)) && ownFailure(result)) sayError(errorNode, result);
    return;
  }
  const created = result.data.user;
  toggleForm(userForm, false, byId('user-new'));
  if (result.data.temporary_password) {
    await showOnce({
      title: `Temporary password for ${created.username}`,
      intro: `Give this password to ${created.username} through a channel you trust. It is shown only this once.`,
      value: String(result.data.temporary_password),
      valueLabel: 'Temporary password',
      note: 'They must choose a new password at their first sign-in.',
    });
  }
  await loadUsers();
  say(usersFlash, 'success', `${created.username} was added to ${created.customer}.`);
});

/* ---- operators (operator admins) ---------------------------------------- */

const operatorsFlash = byId('operators-flash');

async function loadOperators() {
  const result = await get('/operators');
  if (!result.ok) {
    if (ownFailure(result)) sayError(operatorsFlash, result);
    return;
  }
  const rows = (result.data?.operators || []).filter((op) => !op.deactivated_at);
  byId('operators-rows').replaceChildren(...rows.map(operatorRow));
}

function operatorRow(op) {
  const self = op.id === state.op?.id;
  return el('tr', { data: { operatorId: op.id, username: op.username } },
    el('td', {}, el('strong', { text: op.username }), self ? el('span', { class: 'you', text: '(you)' }) : null,
      op.display_name ? el('span', { class: 'sub', text: op.display_name }) : null),
    el('td', { text: op.email }),
    el('td', {}, badge(op.role)),
    el('td', {}, op.totp_enabled ? badge('on', 'On') : badge('off', 'Off')),
    el('td', { class: 'nowrap' }, timeCell(op.last_seen_at)),
    el('td', { class: 'actions-cell' },
      self ? null : rowButton('Remove', () => removeOperator(op), op.username, 'button--danger')));
}

async function removeOperator(op) {
  clear(operatorsFlash);
  const ok = await confirmAction({
    title: `Remove ${op.username}?`,
    message: [`${op.username} is signed out and can no longer sign in to the operator console. Their audit entries stay.`],
    confirm: 'Remove',
    danger: true,
  });
  if (!ok) return;
  const result = await send('DELETE', `/operators/${encodeURIComponent(op.id)}`);
  if (!result.ok) {
    if (ownFailure(result)) say(operatorsFlash, 'error', errorText(result));
    return;
  }
  await loadOperators();
  say(operatorsFlash, 'success', `${op.username} was removed.`);
  byId('operator-new').focus();
}

const operatorForm = byId('operator-create');
byId('operator-new').setAttribute('aria-controls', 'operator-create');
byId('operator-new').addEventListener('click', () => toggleForm(operatorForm, operatorForm.hidden));

operatorForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const errorNode = byId('operator-create-error');
  clear(errorNode);
  clearFieldErrors(operatorForm);
  const f = operatorForm.elements;
  const body = { username: f.username.value.trim(), email: f.email.value.trim(), role: f.role.value };
  if (f.password.value) body.password = f.password.value;
  if (!body.username) return fieldError(operatorForm, 'username', 'Enter a username.');
  if (!body.email) return fieldError(operatorForm, 'email', 'Enter an email address.');
  const result = await busy(e.submitter, () => send('POST', '/operators', body));
  if (!result.ok) {
    if (!((result.status === 422 || result.status === 409) && showFieldErrors(operatorForm, result)) && ownFailure(result)) sayError(errorNode, result);
    return;
  }
  const created = result.data.operator;
  toggleForm(operatorForm, false, byId('operator-new'));
  if (result.data.temporary_password) {
    await showOnce({
      title: `Temporary password for ${created.username}`,
      intro: `Give this password to ${created.username} in person or through a channel you trust. It is shown only this once.`,
      value: String(result.data.temporary_password),
      valueLabel: 'Temporary password',
      note: 'They must choose a new password at their first sign-in, then set up two-factor sign-in.',
    });
  }
  await loadOperators();
  say(operatorsFlash, 'success', `${created.username} was added as ${label(created.role).toLowerCase()}.`);
});

/* ---- banner ------------------------------------------------------------- */

const bannerForm = byId('banner-form');
const bannerFlash = byId('banner-flash');

/** RFC 3339 (UTC) to the value of a datetime-local input, in the browser's zone. */
function toLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local value (browser's zone) to RFC 3339 UTC without fractions; '' stays ''. */
function fromLocalInput(value) {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function showCurrentBanner(banner) {
  renderBanner(byId('banner-current'), banner);
  byId('banner-none').hidden = Boolean(banner?.message);
}

function fillBannerForm(banner) {
  const f = bannerForm.elements;
  f.message.value = banner?.message || '';
  f.severity.value = banner?.severity || 'info';
  f.starts_at.value = toLocalInput(banner?.starts_at);
  f.ends_at.value = toLocalInput(banner?.ends_at);
}

/** The preview shows the banner customers see now; the form starts from it unless being edited. */
async function loadBannerSection({ fillForm = true } = {}) {
  const admin = isAdmin();
  bannerForm.hidden = !admin;
  byId('banner-readonly').hidden = admin;
  const result = await get('/banner');
  if (!result.ok) {
    if (ownFailure(result)) sayError(bannerFlash, result);
    return null;
  }
  const banner = result.data?.banner || null;
  showCurrentBanner(banner);
  if (admin && fillForm && !bannerForm.dataset.dirty) fillBannerForm(banner);
  return banner;
}

bannerForm.addEventListener('input', () => { bannerForm.dataset.dirty = '1'; });

async function putBanner(body, submitter, done) {
  clear(bannerFlash);
  clear(byId('banner-error'));
  clearFieldErrors(bannerForm);
  const result = await busy(submitter, () => send('PUT', '/banner', body));
  if (!result.ok) {
    if (!(result.status === 422 && showFieldErrors(bannerForm, result)) && ownFailure(result)) sayError(byId('banner-error'), result);
    return;
  }
  delete bannerForm.dataset.dirty;
  // The form keeps what was saved (a banner whose window has not started is not "showing now").
  const saved = result.data?.banner || null;
  fillBannerForm(saved);
  const showing = await loadBannerSection({ fillForm: false });
  let note = '';
  if (saved && !showing) {
    note = saved.starts_at && new Date(saved.starts_at) > new Date()
      ? ` It starts showing ${formatTime(saved.starts_at)}.` : ' It is outside its time window, so it is not showing.';
  }
  say(bannerFlash, 'success', done + note);
}

bannerForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const f = bannerForm.elements;
  const body = { message: f.message.value.trim(), severity: f.severity.value };
  const starts = fromLocalInput(f.starts_at.value);
  const ends = fromLocalInput(f.ends_at.value);
  if (starts) body.starts_at = starts;
  if (ends) body.ends_at = ends;
  putBanner(body, e.submitter, body.message ? 'The banner was saved.' : 'The banner was cleared.');
});

byId('banner-clear').addEventListener('click', async (e) => {
  const button = e.currentTarget;
  const ok = await confirmAction({
    title: 'Clear the banner?',
    message: ['The customer console stops showing it at once.'],
    confirm: 'Clear banner',
    danger: true,
  });
  if (!ok) return;
  bannerForm.reset();
  await putBanner({ message: '' }, button, 'The banner was cleared.');
});

/* ---- audit -------------------------------------------------------------- */

const auditFlash = byId('audit-flash');

async function loadAuditSection() {
  if (state.customerIndex.size === 0) await loadCustomerIndex();
  else fillCustomerPickers();
  byId('audit-customer').value = state.audit.customer;
  await loadAudit();
}

async function loadAudit({ append = false } = {}) {
  const a = state.audit;
  const params = new URLSearchParams({ limit: '50' });
  if (a.customer) params.set('customer', a.customer);
  if (append && a.before) params.set('before', a.before);
  const result = await get(`/audit?${params}`);
  if (!result.ok) {
    if (ownFailure(result)) sayError(auditFlash, result);
    return;
  }
  clear(auditFlash);
  const rows = result.data?.entries || [];
  a.rows = append ? [...a.rows, ...rows] : rows;
  a.before = result.data?.next_before || null;
  byId('audit-rows').replaceChildren(...a.rows.map(auditRow));
  byId('audit-empty').hidden = a.rows.length > 0;
  byId('audit-more').hidden = !a.before;
}

function describeChange(before, after) {
  const isObj = (v) => v && typeof v === 'object' && !Array.isArray(v);
  const show = (v) => (typeof v === 'string' ? v : JSON.stringify(v));
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    const changed = keys.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
    return changed.map((k) => `${k}: ${show(before[k])} → ${show(after[k])}`).join('; ');
  }
  if (isObj(after)) return Object.entries(after).map(([k, v]) => `${k}: ${show(v)}`).join('; ');
  if (isObj(before)) return `was ${Object.entries(before).map(([k, v]) => `${k}: ${show(v)}`).join('; ')}`;
  return '';
}

function auditRow(e) {
  const customer = e.customer_id ? state.customerIndex.get(String(e.customer_id)) : null;
  const rid = e.request_id || '';
  return el('tr', { data: { entryId: e.id } },
    el('td', { class: 'nowrap' }, el('time', { attrs: { datetime: e.at, title: formatTime(e.at) }, text: formatTimeShort(e.at) })),
    el('td', { class: 'wrap-any' }, el('span', { text: e.actor || '—' }), el('span', { class: 'sub', text: e.actor_type })),
    el('td', { class: 'mono nowrap', text: e.action }),
    el('td', { class: 'nowrap' }, `${e.object_type}${e.object_id ? ` ${e.object_id}` : ''}`),
    el('td', { class: 'mono wrap-any', text: customer ? customer.slug : (e.customer_id || '—') }),
    el('td', { class: 'change', text: describeChange(e.before, e.after) }),
    el('td', {}, el('span', { class: 'mono', text: e.client_addr || '—' }),
      // The first 12 characters find the request in the logs; the whole id is in the title.
      rid ? el('span', { class: 'sub mono', text: rid.length > 12 ? `${rid.slice(0, 12)}…` : rid, attrs: { title: `Request id ${rid}` } }) : null));
}

byId('audit-filter-form').addEventListener('submit', (e) => {
  e.preventDefault();
  state.audit.customer = byId('audit-customer').value;
  state.audit.before = null;
  busy(e.submitter, () => loadAudit());
});
byId('audit-more').addEventListener('click', (e) => busy(e.currentTarget, () => loadAudit({ append: true })));

/* ---- own account: TOTP and password ----------------------------------- */

function renderAccount() {
  const op = state.op;
  byId('me-username').textContent = op.username;
  byId('me-email').textContent = op.email;
  byId('me-role').replaceChildren(badge(op.role));
  byId('me-totp').replaceChildren(op.totp_enabled ? badge('on', 'On') : badge('off', 'Off'));
  byId('totp-on').hidden = !op.totp_enabled;
  const enrolling = !byId('totp-enroll').hidden;
  byId('totp-off').hidden = op.totp_enabled || enrolling;
  if (op.totp_enabled) byId('totp-enroll').hidden = true;
}

/**
 * The server's QR code as an image. An SVG in <img> is rendered as a static
 * picture (no script, no external loads), and img-src allows data: URIs, so
 * nothing of it is parsed into the page.
 */
function qrImage(svg) {
  if (!svg.startsWith('<svg')) return null;
  let data;
  try {
    data = btoa(svg);
  } catch {
    return null; // not ASCII: not what the server sends
  }
  return el('img', {
    attrs: { src: `data:image/svg+xml;base64,${data}`, alt: 'QR code of the otpauth link: scan it with your authenticator app' },
  });
}

/** "JBSW Y3DP ..." for reading aloud or typing; apps ignore the spaces. */
function groupSecret(secret) {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}

byId('totp-start').addEventListener('click', async (e) => {
  const flash = byId('totp-flash');
  clear(flash);
  const result = await busy(e.currentTarget, () => send('POST', '/totp'));
  if (!result.ok) {
    if (ownFailure(result)) sayError(flash, result);
    return;
  }
  const secret = String(result.data?.secret || '');
  const uri = String(result.data?.otpauth_uri || '');
  byId('totp-qr').replaceChildren(qrImage(String(result.data?.qr_svg || '')));
  byId('totp-secret-box').replaceChildren(secretBox(secret, { label: 'Key', id: 'totp-secret', big: true, shown: groupSecret(secret) }));
  byId('totp-uri-box').replaceChildren(secretBox(uri, { label: 'Or this otpauth link, for apps and password managers that import links', id: 'totp-uri' }));
  byId('totp-off').hidden = true;
  byId('totp-enroll').hidden = false;
  byId('totp-secret').focus();
});

const totpForm = byId('totp-confirm-form');
totpForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const errorNode = byId('totp-error');
  clear(errorNode);
  clearFieldErrors(totpForm);
  const code = totpForm.elements.code.value.replace(/\s+/g, '');
  if (!/^\d{6,8}$/.test(code)) return fieldError(totpForm, 'code', 'Enter the 6-digit code your app shows.');
  const result = await busy(e.submitter, () => send('POST', '/totp/confirm', { code }));
  if (!result.ok) {
    if (!(result.status === 422 && showFieldErrors(totpForm, result)) && ownFailure(result)) sayError(errorNode, result);
    return;
  }
  totpForm.reset();
  byId('totp-qr').replaceChildren();
  byId('totp-secret-box').replaceChildren();
  byId('totp-uri-box').replaceChildren();
  byId('totp-enroll').hidden = true;
  if (totpCard.parentNode !== totpHome.parent) {
    // Enrolled at sign-in: on to the password change or the console.
    closeEnroll();
    enter(result.data);
    if (!result.data.must_change_password) {
      say(byId('console-flash'), 'success', 'Two-factor sign-in is on. From now on, sign-in asks for a code.');
    }
    return;
  }
  setSession(result.data);
  renderAccount();
  say(byId('totp-flash'), 'success', 'Two-factor sign-in is on. From now on, sign-in asks for a code.');
  byId('totp-title').setAttribute('tabindex', '-1');
  byId('totp-title').focus();
});

const pwForm = byId('pw-form');
pwForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  clear(byId('pw-flash'));
  const body = await changePassword(pwForm, byId('pw-error'), e.submitter);
  if (body) {
    setSession(body);
    pwForm.elements.username.value = state.op.username;
    renderAccount();
    say(byId('pw-flash'), 'success', 'Your password was changed. Your other sessions were signed out.');
  }
});

/* ---- start -------------------------------------------------------------- */

async function start() {
  refreshAll();
  const result = await apiGet(`${API}/session`);
  if (result.ok) {
    enter(result.data, { focus: false });
  } else {
    openSignin({ focus: false });
    if (result.status !== 401) sayError(signinError, result);
  }
}

start();
