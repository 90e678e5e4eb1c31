/*
 * customer.js — one customer's Account Setup in the operator console
 * (#customer/ID): what the customer entered (read-only), seats used and the
 * seat limit (PATCH /customers/{id} raises it), the checklist as the
 * customer sees it, the operator context, internal notes, billing, the
 * workspace target, the provider setup, the blockers editor, and the review,
 * support and workspace request histories (GET /customers/{id}).
 *
 * Every form sends the version it was filled from: the three context forms
 * share the context's version, the notes have their own; a 409 reloads the
 * page's data and says someone else saved first. Roles that read only
 * (auditors) see no form at all: the forms are data-write and their text
 * views data-read (admin.js shows one or the other), and the operator
 * context list already holds what the billing, target and provider forms edit.
 */

import { errorText } from './api.js';
import {
  badge, busy, byId, clear, clearFieldErrors, el, fieldError, formatTime, formatTimeShort, say, sayError, showFormErrors,
  timeCell,
} from './ui.js';
import {
  CATEGORIES, categoryLabel, checklistItem, kindLabel, progressText, reviewBadge,
} from './setup-view.js';
import { centsToDecimal, formatCents, parseAmount } from './money.js';
import { draftNode, reportNode, testNode } from './sso-view.js';
import { initSsoActivation, renderSsoActivation } from './sso-activation.js';

let ctx = null; // { get, send, ownFailure, canWrite }

const page = { id: null, data: null, generation: 0 };

/** [key, title] of every checklist item, in order. */
export const ITEMS = [
  ['contacts', 'Company details and contacts'], ['admin_signin', 'A customer admin has signed in'],
  ['members', 'First members invited'], ['sso', 'Single sign-on'], ['billing', 'Billing or trial approved'],
  ['workspace_target', 'Workspace target ready'], ['provider_setup', 'AI provider set up'],
];
const BILLING = { none: 'None', trial_requested: 'Trial requested', trial_approved: 'Trial approved', verified: 'Verified', prepaid: 'Prepaid' };
const PROVIDERS = { none: 'None', managed: 'Managed AI', own_account: "Customer's own provider account" };

/** Wire the module to admin.js: {get, send, ownFailure, canWrite}. */
export function initCustomerPage(calls) {
  ctx = calls;
  initSsoActivation({ ...calls, reload: (id) => loadCustomerPage(id, { keepFlash: true }) });
}

/** Show the customer with this id (from #customer/ID). */
export async function loadCustomerPage(id, { keepFlash = false } = {}) {
  const generation = ++page.generation;
  const flash = byId('cp-flash');
  if (!keepFlash) clear(flash);
  if (page.id !== id) {
    page.id = id;
    page.data = null;
    byId('cp-body').hidden = true;
    byId('cp-title').textContent = 'Customer';
    byId('cp-subtitle').textContent = '';
    for (const form of document.querySelectorAll('[data-section="customer"] form')) resetForm(form);
  }
  const result = await ctx.get(`/customers/${encodeURIComponent(id)}`);
  if (generation !== page.generation) return;
  if (!result.ok) {
    if (ctx.ownFailure(result)) sayError(flash, result);
    return;
  }
  page.data = result.data;
  render(result.data);
}

function resetForm(form) {
  delete form.dataset.dirty;
  form.reset();
  clearFieldErrors(form);
  clear(form.querySelector('.alert'));
}

function render(c) {
  byId('cp-title').textContent = String(c.name ?? 'Customer');
  const seats = c.seats || {};
  byId('cp-subtitle').textContent = `${c.slug} · ${seatsText(seats)}`;
  renderSeats(seats);
  renderDetails(c.details || {});
  renderContext(c.context || {});
  const items = Array.isArray(c.checklist?.items) ? c.checklist.items : [];
  byId('cp-progress').textContent = items.length ? `${progressText(items)}${c.checklist?.ready ? ' · ready' : ''}` : '';
  byId('cp-checklist').replaceChildren(...items.map((item) => checklistItem(item, { level: 4, idPrefix: 'cp-item' })));
  renderSso(c.sso);
  renderSsoActivation(c.id, c.sso?.activation);
  fillNotes(c.internal_notes || {});
  fillContextForms(c.context || {});
  fillBlockers(Array.isArray(c.blockers) ? c.blockers : []);
  renderReviews(Array.isArray(c.reviews) ? c.reviews : []);
  renderSupport(Array.isArray(c.support_requests) ? c.support_requests : []);
  renderWorkspaces(Array.isArray(c.workspace_requests) ? c.workspace_requests : []);
  byId('cp-body').hidden = false;
}

function fact(term, value) {
  const dd = value instanceof Node ? el('dd', {}, value) : el('dd', { class: 'prewrap', text: value === null || value === undefined || value === '' ? '—' : String(value) });
  return el('div', { class: 'facts__row' }, el('dt', { text: term }), dd);
}

function renderDetails(d) {
  const contact = (x) => [x?.name, x?.email, x?.phone].filter(Boolean).join(' · ');
  byId('cp-details').replaceChildren(
    fact('Legal name', d.legal_name),
    fact('Operating name', d.operating_name),
    fact('Support contact', contact(d.support_contact)),
    fact('Billing contact', contact(d.billing_contact)),
    fact('Technical contact', contact(d.technical_contact)),
    fact('Repository or artifact notes', d.repository_notes),
    fact('AI preferences', d.ai_preferences),
    fact('AI provider', d.ai_provider ? PROVIDERS[d.ai_provider] || d.ai_provider : null),
    fact('Workspace preferences', d.workspace_preferences),
    fact('Target launch date', d.target_launch),
    fact('Saved', d.updated_at ? `${formatTime(d.updated_at)} (version ${d.version})` : 'never'));
}

const aliasesOf = (x) => (Array.isArray(x) ? x : String(x ?? '').split(',')).map((s) => String(s).trim()).filter(Boolean);
const yesNo = (v) => badge(v ? 'on' : 'off', v ? 'Yes' : 'No');

function renderContext(x) {
  byId('cp-context').replaceChildren(
    fact('Billing', BILLING[x.billing_state] || x.billing_state),
    fact('Prepaid balance', x.prepaid_balance_cents === null || x.prepaid_balance_cents === undefined ? null : formatCents(x.prepaid_balance_cents)),
    fact('Target name', x.target_name),
    fact('Runtime capacity', x.runtime_capacity),
    fact('Template aliases', aliasesOf(x.template_aliases).join(', ')),
    fact('Coder access', x.coder_access),
    fact('Target ready', yesNo(x.target_ready)),
    fact('Target review', reviewBadge(x.target_review)),
    fact('Provider mode', x.provider_mode ? PROVIDERS[x.provider_mode] || x.provider_mode : null),
    fact('Provider ready', yesNo(x.provider_ready)),
    fact('Provider review', reviewBadge(x.provider_review)),
    fact('Changed', x.updated_at ? `${formatTime(x.updated_at)} (version ${x.version})` : 'never'));
}

/* ---- single sign-on ------------------------------------------------------------- */

/** The customer's SSO draft and its last report (stale ones marked as such). */
function renderSso(sso) {
  byId('cp-sso').replaceChildren(sso ? draftNode(sso) : el('p', { class: 'empty', text: 'No single sign-on details.' }));
  const report = sso?.validation;
  byId('cp-sso-report-box').hidden = !report;
  byId('cp-sso-report').replaceChildren(...(report ? [reportNode(report, { level: 5, stale: !sso.validation_current })] : []));
  // Activation needs a passed test of the approved version: the latest one, as the customer saw it.
  const test = sso?.latest_test;
  byId('cp-sso-test-box').hidden = !test;
  byId('cp-sso-test').replaceChildren(...(test ? [testNode(test, { level: 5 })] : []));
}

/* ---- seats ------------------------------------------------------------------ */

/** "6 of 5 seats — over the limit", or "3 of 5 seats in use" (licensed: "3 of 5 licensed seats in use"). */
function seatsText(seats, licensed = false) {
  const base = `${seats.used ?? '?'} of ${seats.limit ?? '?'}`;
  if (Number(seats.over_by) > 0) return `${base} seats \u2014 over the limit`;
  return `${base}${licensed ? ' licensed' : ''} seats in use`;
}

function renderSeats(seats) {
  const full = typeof seats.used === 'number' && typeof seats.limit === 'number' && seats.used >= seats.limit;
  // Dormant users who sign in again take a seat even when none is free, so a customer can be over.
  byId('cp-seats-text').textContent = `${seatsText(seats, true)}.${Number(seats.over_by) > 0
    ? ` ${seats.over_by} over: new invites, acceptances and activations are refused until users are suspended or the limit is raised.`
    : full ? ' Every seat is taken: invites cannot be accepted and users cannot be activated until the limit is raised.' : ''}`;
  const form = byId('cp-seats-form');
  if (!form.dataset.dirty && typeof seats.limit === 'number') form.elements.seat_limit.value = seats.limit;
}

const seatsForm = byId('cp-seats-form');
seatsForm.addEventListener('input', () => { seatsForm.dataset.dirty = '1'; });
seatsForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const alert = seatsForm.querySelector('.alert');
  const id = page.id;
  clear(alert);
  clear(byId('cp-flash'));
  clearFieldErrors(seatsForm);
  const limit = Number(seatsForm.elements.seat_limit.value);
  if (!Number.isInteger(limit) || limit < 1) {
    fieldError(seatsForm, 'seat_limit', 'Enter a whole number of seats, at least 1.');
    return;
  }
  const body = { seat_limit: limit };
  if (typeof page.data?.version === 'number') body.version = page.data.version;
  const result = await busy(e.submitter, () => ctx.send('PATCH', `/customers/${encodeURIComponent(id)}`, body));
  if (id !== page.id) return;
  if (!result.ok) {
    if (!ctx.ownFailure(result)) return;
    if (result.status === 409) {
      say(alert, 'error', `${errorText(result)} The page now shows what was saved; make your change again.`);
      delete seatsForm.dataset.dirty;
      await loadCustomerPage(id, { keepFlash: true });
    } else if (result.status === 422 || result.status === 400) {
      showFormErrors(seatsForm, alert, result);
    } else {
      sayError(alert, result);
    }
    return;
  }
  delete seatsForm.dataset.dirty;
  await loadCustomerPage(id);
  const seats = result.data?.seats || {};
  say(byId('cp-flash'), 'success', `The seat limit is now ${seats.limit ?? limit} (${seats.used ?? '?'} in use).`);
});

/* ---- forms ------------------------------------------------------------------ */

function fillNotes(n) {
  const form = byId('cp-notes-form');
  if (!form.dataset.dirty) form.elements.body.value = n.body ?? '';
  byId('cp-notes-text').textContent = n.body ? String(n.body) : 'No internal notes.';
  form.querySelector('[data-saved]').textContent = n.updated_at ? `Saved ${formatTime(n.updated_at)}` : '';
}

/** The three context forms, each unless it holds unsaved edits. */
function fillContextForms(x) {
  const clean = (id) => !byId(id).dataset.dirty;
  if (clean('cp-billing-form')) fillBilling(x);
  if (clean('cp-target-form')) fillTarget(x);
  if (clean('cp-provider-form')) fillProvider(x);
}

function fillBilling(x) {
  const billing = byId('cp-billing-form').elements;
  billing.state.value = BILLING[x.billing_state] ? x.billing_state : 'none';
  billing.prepaid_balance_cents.value = centsToDecimal(x.prepaid_balance_cents ?? 0);
}

function fillTarget(x) {
  const target = byId('cp-target-form').elements;
  target.target_name.value = x.target_name ?? '';
  target.runtime_capacity.value = x.runtime_capacity ?? '';
  target.template_aliases.value = aliasesOf(x.template_aliases).join(', ');
  target.coder_access.value = x.coder_access ?? '';
  target.ready.checked = Boolean(x.target_ready);
}

function fillProvider(x) {
  const provider = byId('cp-provider-form').elements;
  provider.mode.value = x.provider_mode === 'managed' || x.provider_mode === 'own_account' ? x.provider_mode : '';
  provider.ready.checked = Boolean(x.provider_ready);
}

const contextVersion = () => page.data?.context?.version ?? 0;
const nullIfEmpty = (s) => (s.trim() === '' ? null : s.trim());

const FORMS = {
  'cp-notes-form': {
    path: 'internal-notes',
    body: (f) => ({ body: f.body.value, version: page.data?.internal_notes?.version ?? 0 }),
    done: 'The internal notes were saved.',
  },
  'cp-billing-form': {
    path: 'billing',
    body: (f) => ({ state: f.state.value, prepaid_balance_cents: parseAmount(f.prepaid_balance_cents.value || '0'), version: contextVersion() }),
    check: (form) => parseAmount(form.elements.prepaid_balance_cents.value || '0') !== null
      || fieldError(form, 'prepaid_balance_cents', 'Enter an amount in dollars with at most two decimals, e.g. 1234.50.'),
    done: 'Billing was saved.',
  },
  'cp-target-form': {
    path: 'workspace-target',
    body: (f) => ({
      target_name: nullIfEmpty(f.target_name.value),
      runtime_capacity: nullIfEmpty(f.runtime_capacity.value),
      template_aliases: aliasesOf(f.template_aliases.value),
      coder_access: nullIfEmpty(f.coder_access.value),
      ready: f.ready.checked,
      version: contextVersion(),
    }),
    done: 'The workspace target was saved.',
  },
  'cp-provider-form': {
    path: 'provider-setup',
    body: (f) => ({ mode: f.mode.value || null, ready: f.ready.checked, version: contextVersion() }),
    done: 'The provider setup was saved.',
  },
  'cp-blockers-form': {
    path: 'blockers',
    body: () => ({ blockers: blockerRows().map(readBlocker) }),
    done: 'The blockers were saved.',
  },
};

for (const [id, spec] of Object.entries(FORMS)) {
  const form = byId(id);
  form.addEventListener('input', () => { form.dataset.dirty = '1'; });
  form.addEventListener('submit', (e) => saveForm(e, form, spec));
}

async function saveForm(e, form, spec) {
  e.preventDefault();
  const alert = form.querySelector('.alert');
  const id = page.id;
  clear(alert);
  clear(byId('cp-flash'));
  clearFieldErrors(form);
  if (spec.check && !spec.check(form)) return;
  const result = await busy(e.submitter, () => ctx.send('PUT', `/customers/${encodeURIComponent(id)}/${spec.path}`, spec.body(form.elements)));
  if (id !== page.id) return;
  if (!result.ok) {
    if (!ctx.ownFailure(result)) return;
    if (result.status === 409) {
      say(alert, 'error', `${errorText(result)} The page now shows what was saved; make your change again.`);
      delete form.dataset.dirty;
      await loadCustomerPage(id, { keepFlash: true });
    } else if (result.status === 422 || result.status === 400) {
      showFormErrors(form, alert, result);
    } else {
      sayError(alert, result);
    }
    return;
  }
  delete form.dataset.dirty;
  await loadCustomerPage(id);
  say(byId('cp-flash'), 'success', spec.done);
}

/* ---- blockers editor ------------------------------------------------------------- */

const blockerRows = () => [...byId('cp-blocker-rows').querySelectorAll('.blocker-row')];

function readBlocker(row) {
  return {
    item: row.querySelector('[data-name="item"]').value,
    category: row.querySelector('[data-name="category"]').value,
    message: row.querySelector('[data-name="message"]').value.trim(),
    retryable: row.querySelector('[data-name="retryable"]').checked,
  };
}

/** The blockers as text, for roles that read only. */
function blockersText(blockers) {
  const title = Object.fromEntries(ITEMS);
  const rows = blockers.map((b) => fact(title[b.item] || String(b.item),
    `${categoryLabel(b.category)}: ${b.message ?? ''}${b.retryable ? ' (the customer may try again once resolved)' : ''}`));
  byId('cp-blockers-read').replaceChildren(...(rows.length ? rows : [fact('Blockers', 'No active blockers.')]));
}

function fillBlockers(blockers) {
  const form = byId('cp-blockers-form');
  blockersText(blockers);
  if (form.dataset.dirty) return;
  byId('cp-blocker-rows').replaceChildren(...blockers.map((b) => blockerRow(b)));
  renumberBlockers();
}

let blockerSeq = 0;

/**
 * One editable blocker. Inputs are named blockers[N].field (renumbered when a
 * row goes) so the API's field errors find them.
 */
function blockerRow(b = {}) {
  const uid = `cpb-${++blockerSeq}`;
  const select = (name, label, options, value) => el('div', { class: 'field' },
    el('label', { attrs: { for: `${uid}-${name}` }, text: label }),
    el('select', { id: `${uid}-${name}`, data: { name } },
      ...options.map(([v, t]) => el('option', { value: v, text: t, selected: v === value }))),
    el('p', { class: 'field-error', data: { errorSlot: name } }));
  const legend = el('legend');
  const remove = el('button', {
    type: 'button',
    class: 'button button--small button--danger',
    text: 'Remove',
    data: { write: '' },
    hidden: !ctx.canWrite(),
    on: {
      click: () => {
        row.remove();
        renumberBlockers();
        byId('cp-blockers-form').dataset.dirty = '1';
        byId('cp-blocker-new').focus();
      },
    },
  });
  const row = el('fieldset', { class: 'blocker-row' },
    legend,
    el('div', { class: 'form-grid' },
      select('item', 'Checklist item', ITEMS, b.item || 'billing'),
      select('category', 'Category', CATEGORIES.map((c) => [c, categoryLabel(c)]), b.category || 'other')),
    el('div', { class: 'field' },
      el('label', { attrs: { for: `${uid}-message` }, text: 'Text shown to the customer' }),
      el('textarea', { id: `${uid}-message`, rows: 2, maxLength: 1000, value: b.message ?? '', data: { name: 'message' } }),
      el('p', { class: 'field-error', data: { errorSlot: 'message' } })),
    el('label', { class: 'check' },
      el('input', { type: 'checkbox', checked: Boolean(b.retryable), data: { name: 'retryable' } }),
      'The customer may try again once it is resolved'),
    el('div', { class: 'actions' }, remove));
  return row;
}

function renumberBlockers() {
  const rows = blockerRows();
  rows.forEach((row, i) => {
    row.querySelector('legend').textContent = `Blocker ${i + 1}`;
    const remove = row.querySelector('.actions button');
    remove.setAttribute('aria-label', `Remove blocker ${i + 1}`);
    for (const input of row.querySelectorAll('[data-name]')) input.name = `blockers[${i}].${input.dataset.name}`;
    for (const slot of row.querySelectorAll('[data-error-slot]')) slot.dataset.errorFor = `blockers[${i}].${slot.dataset.errorSlot}`;
  });
  byId('cp-blockers-none').hidden = rows.length > 0;
}

byId('cp-blocker-new').addEventListener('click', () => {
  const row = blockerRow();
  byId('cp-blocker-rows').append(row);
  renumberBlockers();
  byId('cp-blockers-form').dataset.dirty = '1';
  row.querySelector('select').focus();
});

/* ---- histories ------------------------------------------------------------------- */

function renderReviews(reviews) {
  byId('cp-reviews').replaceChildren(...reviews.map((r) => el('tr', { data: { reviewId: String(r.id) } },
    el('td', { class: 'nowrap' }, el('span', { text: kindLabel(r.kind) }), el('span', { class: 'sub', text: `opened ${formatTimeShort(r.created_at)}` })),
    el('td', {}, reviewBadge(r.state)),
    el('td', { class: 'prewrap', text: String(r.summary ?? '') }),
    el('td', { class: 'prewrap', text: String(r.comment ?? '') }),
    el('td', { class: 'prewrap', text: String(r.internal_comment ?? '') }),
    el('td', { class: 'nowrap' }, r.decided_at ? timeCell(r.decided_at) : el('span', { class: 'muted-text', text: '—' }),
      r.decided_by ? el('span', { class: 'sub', text: String(r.decided_by) }) : null))));
  byId('cp-reviews-empty').hidden = reviews.length > 0;
}

function renderSupport(requests) {
  byId('cp-support').replaceChildren(...requests.map((s) => el('tr', { data: { supportId: String(s.id) } },
    el('td', { class: 'nowrap' }, timeCell(s.created_at, '—')),
    el('td', { text: String(s.username ?? s.requested_by ?? '—') }),
    el('td', { text: String(s.item_title ?? s.item ?? '') }),
    el('td', { class: 'prewrap', text: String(s.visible_message ?? '') }),
    el('td', {}, el('span', { class: 'mono', text: String(s.last_action ?? '—') }),
      s.last_action_at ? el('span', { class: 'sub', text: formatTimeShort(s.last_action_at) }) : null),
    el('td', { class: 'prewrap', text: String(s.message ?? '') }))));
  byId('cp-support-empty').hidden = requests.length > 0;
}

function renderWorkspaces(requests) {
  byId('cp-workspaces').replaceChildren(...requests.map((w) => el('tr', {},
    el('td', { class: 'mono', text: String(w.name ?? '') }),
    el('td', {}, badge(`workspace-${w.state}`, String(w.state ?? ''))),
    el('td', { text: String(w.requested_by ?? '—') }),
    el('td', { class: 'nowrap' }, timeCell(w.created_at, '—')))));
  byId('cp-workspaces-empty').hidden = requests.length > 0;
}
