/*
 * customers.js — the operator console's Customers section (#customers):
 * search, seats used of the limit, Add customer (with the first admin's
 * signup link shown once) and per row "Users" and "Audit", which open those
 * sections filtered to the customer. One customer's page is customer.js.
 *
 * The dashboard's counts link here with a filter in the fragment
 * (#customers?item=sso&state=blocked, ?ready=true, ?over_seat_limit=true,
 * ?blocked_category=billing, ?review_waiting=true): the same keys go to
 * GET /customers, which applies the dashboard's own rules; the filters show
 * as removable chips with the number of customers that match.
 */

import { showAuditOf } from './audit.js';
import { ITEMS } from './customer.js';
import { customerIndex, loadCustomerIndex } from './customer-index.js';
import { rowButton, toggleForm } from './forms.js';
import { categoryLabel, stateLabel } from './setup-view.js';
import {
  busy, byId, clear, clearFieldErrors, el, fieldError, say, sayError, showFieldErrors, showOnce, timeCell,
} from './ui.js';
import { showUsersOf } from './users.js';

let ctx = null; // { get, send, ownFailure }

const customers = { q: '', filter: new URLSearchParams(), next: null, rows: [], more: false };

/** The drill-down filters GET /customers takes; item and state go together. */
const FILTER_KEYS = ['item', 'state', 'ready', 'over_seat_limit', 'blocked_category', 'review_waiting'];
const yes = (v) => v === 'true' || v === '1';

/** The chips of a filter: [text, keys it removes]. */
function chipsOf(filter) {
  const title = Object.fromEntries(ITEMS);
  const chips = [];
  if (filter.has('item') || filter.has('state')) {
    chips.push([`${title[filter.get('item')] || filter.get('item')}: ${stateLabel(filter.get('state') || '')}`, ['item', 'state']]);
  }
  if (filter.has('ready')) chips.push([yes(filter.get('ready')) ? 'Ready for a workspace' : 'Not ready yet', ['ready']]);
  if (filter.has('over_seat_limit')) {
    chips.push([yes(filter.get('over_seat_limit')) ? 'Over their seat limit' : 'Within their seat limit', ['over_seat_limit']]);
  }
  if (filter.has('blocked_category')) chips.push([`Blocked: ${categoryLabel(filter.get('blocked_category'))}`, ['blocked_category']]);
  if (filter.has('review_waiting')) {
    chips.push([yes(filter.get('review_waiting')) ? 'A review is waiting' : 'No review waiting', ['review_waiting']]);
  }
  return chips;
}

/** Only the known keys of a fragment's query, in a stable order. */
function filterFrom(query) {
  const given = new URLSearchParams(query || '');
  const filter = new URLSearchParams();
  for (const key of FILTER_KEYS) if (given.has(key)) filter.set(key, given.get(key));
  return filter;
}

function renderFilters(total) {
  const chips = chipsOf(customers.filter);
  byId('customers-filters').hidden = chips.length === 0;
  byId('customers-count').textContent = chips.length === 0 ? ''
    : `${total} ${total === 1 ? 'customer matches' : 'customers match'} these filters.`;
  byId('customers-chips').replaceChildren(...chips.map(([text, keys]) => el('li', { class: 'chip' },
    el('span', { text }),
    el('button', {
      type: 'button',
      class: 'chip__remove',
      text: '×',
      attrs: { 'aria-label': `Remove the filter ${text}` },
      on: {
        click: () => {
          const rest = new URLSearchParams(customers.filter);
          for (const key of keys) rest.delete(key);
          location.hash = rest.toString() ? `#customers?${rest}` : '#customers';
          byId('customers-title').focus();
        },
      },
    }))));
}

/** Wire the module to admin.js: {get, send, ownFailure}. */
export function initCustomers(calls) {
  ctx = calls;
}

/** The Customers section (#customers): search, the fragment's filters (query) and pages of 50. */
export async function loadCustomers({ append = false, query } = {}) {
  const c = customers;
  if (query !== undefined) c.filter = filterFrom(query);
  const params = new URLSearchParams({ limit: '50' });
  if (c.q) params.set('q', c.q);
  for (const [key, value] of c.filter) params.set(key, value);
  if (append && c.next) params.set('after', String(c.next));
  const result = await ctx.get(`/customers?${params}`);
  if (!result.ok) {
    if (ctx.ownFailure(result)) sayError(byId('customers-flash'), result);
    return;
  }
  const rows = result.data?.customers || [];
  c.rows = append ? [...c.rows, ...rows] : rows;
  c.next = result.data?.next_after || null;
  c.more = Boolean(c.next);
  for (const row of rows) customerIndex.set(String(row.id), row);
  byId('customers-rows').replaceChildren(...c.rows.map(customerRow));
  byId('customers-empty').hidden = c.rows.length > 0;
  renderFilters(Number(result.data?.total) || 0);
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

byId('customers-search-form').addEventListener('submit', (e) => {
  e.preventDefault();
  customers.q = byId('customers-search').value.trim();
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
  const result = await busy(e.submitter, () => ctx.send('POST', '/customers', body));
  if (!result.ok) {
    if (!((result.status === 422 || result.status === 409) && showFieldErrors(customerForm, result)) && ctx.ownFailure(result)) sayError(errorNode, result);
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
  await Promise.all([loadCustomers(), loadCustomerIndex(ctx.get)]);
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
