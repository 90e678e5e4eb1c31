/*
 * customer-index.js — the operator console's index of customers (id ->
 * customer), read once and kept fresh by the Customers list: the audit trail
 * shows customers by slug and the Add user and audit forms offer them in a
 * picker.
 */

import { byId, el } from './ui.js';

/** id (as a string) -> customer, as GET /customers returns it. */
export const customerIndex = new Map();

/** Read every customer (up to 200) into the index with `get` (the session's) and fill the pickers. */
export async function loadCustomerIndex(get) {
  const result = await get('/customers?limit=200');
  if (!result.ok) return false;
  customerIndex.clear();
  for (const c of result.data?.customers || []) customerIndex.set(String(c.id), c);
  fillCustomerPickers();
  return true;
}

/** The customer pickers of the Add user form and the audit filter, from the index. */
export function fillCustomerPickers() {
  const customers = [...customerIndex.values()].sort((a, b) => a.name.localeCompare(b.name));
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
