/*
 * users.js — the operator console's Users section (#users): every
 * customer's users, the filter box (the filter language, `customer:slug`
 * too), Suspend / Activate, Reset link (shown once), Deactivate, and Add user
 * (the temporary password shown once when no password is given).
 */

import { customerIndex, loadCustomerIndex } from './customer-index.js';
import { rowButton, toggleForm } from './forms.js';
import { runConfirmed } from './session.js';
import {
  badge, busy, byId, clear, clearFieldErrors, el, fieldError, formatTime, say, sayError, showFieldErrors, showOnce,
  timeCell,
} from './ui.js';

let ctx = null; // { get, send, ownFailure, canWrite }

const users = { q: '', after: null, rows: [] };

/** Wire the module to admin.js: {get, send, ownFailure, canWrite}. */
export function initUsers(calls) {
  ctx = calls;
}

/** Forget the filter and the rows (sign-out). */
export function resetUsers() {
  Object.assign(users, { q: '', after: null, rows: [] });
  byId('users-filter').value = '';
}

/** Open the Users section filtered to one customer. */
export function showUsersOf(slug) {
  users.q = `customer:${slug}`;
  byId('users-filter').value = users.q;
  location.hash = '#users';
}

const usersRows = byId('users-rows');
const usersFlash = byId('users-flash');
const usersFilter = byId('users-filter');
const usersFilterError = byId('users-filter-error');

/** The Users section (#users): the filter language, pages of 50. */
export async function loadUsers({ append = false } = {}) {
  const u = users;
  usersFilter.value = u.q;
  const params = new URLSearchParams({ limit: '50' });
  if (u.q) params.set('q', u.q);
  if (append && u.after) params.set('after', u.after);
  const result = await ctx.get(`/users?${params}`);
  if (!result.ok) {
    if (result.status === 400) {
      say(usersFilterError, 'error', result.error?.message ? `The filter is not valid: ${result.error.message}.` : 'The filter is not valid.');
      usersFilter.setAttribute('aria-invalid', 'true');
    } else if (ctx.ownFailure(result)) {
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
  if (ctx.canWrite() && u.status !== 'deactivated') {
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
    call: () => ctx.send('POST', `/users/${encodeURIComponent(u.id)}/suspend`),
    done: `${u.username} is suspended.`,
  }),
  activate: (u) => ({
    title: `Activate ${u.username}?`,
    message: [`${u.username} (${u.customer}) can sign in again and takes a licensed seat when active.`],
    confirm: 'Activate',
    call: () => ctx.send('POST', `/users/${encodeURIComponent(u.id)}/activate`),
    done: `${u.username} is active again.`,
  }),
  'reset-link': (u) => ({
    title: `Create a password reset link for ${u.username}?`,
    message: ['You get a link to send to the user. It works once and expires; their current password keeps working until they use it.'],
    confirm: 'Create link',
    call: () => ctx.send('POST', `/users/${encodeURIComponent(u.id)}/reset-password-link`),
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
    call: () => ctx.send('DELETE', `/users/${encodeURIComponent(u.id)}`),
    done: `${u.username} is deactivated.`,
  }),
};

async function userAction(action, user) {
  const done = await runConfirmed(USER_ACTIONS[action](user),
    { flash: usersFlash, reload: () => loadUsers(), ownFailure: ctx.ownFailure });
  if (!done) return;
  const row = [...usersRows.querySelectorAll('tr')].find((tr) => tr.dataset.userId === String(user.id));
  (row?.querySelector('button') || usersFilter).focus();
}

byId('users-filter-form').addEventListener('submit', (e) => {
  e.preventDefault();
  clear(usersFlash);
  users.q = usersFilter.value.trim();
  users.after = null;
  busy(e.submitter, () => loadUsers());
});
byId('users-filter-clear').addEventListener('click', async () => {
  users.q = '';
  users.after = null;
  clear(usersFlash);
  await loadUsers();
  usersFilter.focus();
});
byId('users-more').addEventListener('click', (e) => busy(e.currentTarget, () => loadUsers({ append: true })));

const userForm = byId('user-create');
byId('user-new').setAttribute('aria-controls', 'user-create');
byId('user-new').addEventListener('click', async () => {
  const open = userForm.hidden;
  if (open) await loadCustomerIndex(ctx.get);
  toggleForm(userForm, open);
  if (open && customerIndex.size === 0) {
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
  const result = await busy(e.submitter, () => ctx.send('POST', '/users', body));
  if (!result.ok) {
    if (!((result.status === 422 || result.status === 409) && showFieldErrors(userForm, result)) && ctx.ownFailure(result)) sayError(errorNode, result);
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
