/*
 * operators.js — the operator console's Operators section (#operators,
 * operator admins only): the list with two-factor state, Add operator (the
 * temporary password shown once) and Remove (never oneself).
 */

import { errorText } from './api.js';
import { rowButton, toggleForm } from './forms.js';
import {
  badge, busy, byId, clear, clearFieldErrors, confirmAction, el, fieldError, label, say, sayError, showFieldErrors,
  showOnce, timeCell,
} from './ui.js';

let ctx = null; // { get, send, ownFailure, operator }

/** Wire the module to admin.js: {get, send, ownFailure, operator()}. */
export function initOperators(calls) {
  ctx = calls;
}

const operatorsFlash = byId('operators-flash');

/** The Operators section (#operators, operator admins): the active operators. */
export async function loadOperators() {
  const result = await ctx.get('/operators');
  if (!result.ok) {
    if (ctx.ownFailure(result)) sayError(operatorsFlash, result);
    return;
  }
  const rows = (result.data?.operators || []).filter((op) => !op.deactivated_at);
  byId('operators-rows').replaceChildren(...rows.map(operatorRow));
}

function operatorRow(op) {
  const self = op.id === ctx.operator()?.id;
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
  const result = await ctx.send('DELETE', `/operators/${encodeURIComponent(op.id)}`);
  if (!result.ok) {
    if (ctx.ownFailure(result)) say(operatorsFlash, 'error', errorText(result));
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
  const result = await busy(e.submitter, () => ctx.send('POST', '/operators', body));
  if (!result.ok) {
    if (!((result.status === 422 || result.status === 409) && showFieldErrors(operatorForm, result)) && ctx.ownFailure(result)) sayError(errorNode, result);
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
