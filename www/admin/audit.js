/*
 * audit.js — the operator console's Audit section (#audit): newest first,
 * optionally one customer; "Show older entries" pages with next_before.
 */

import { customerIndex, fillCustomerPickers, loadCustomerIndex } from './customer-index.js';
import { busy, byId, clear, el, formatTime, formatTimeShort, sayError } from './ui.js';

let ctx = null; // { get, ownFailure }

const audit = { customer: '', before: null, rows: [] };

/** Wire the module to admin.js: {get, ownFailure}. */
export function initAudit(calls) {
  ctx = calls;
}

/** Open the Audit section filtered to one customer. */
export function showAuditOf(id) {
  audit.customer = String(id);
  location.hash = '#audit';
}

const auditFlash = byId('audit-flash');

/** The Audit section (#audit): the customer picker, then the newest entries. */
export async function loadAuditSection() {
  if (customerIndex.size === 0) await loadCustomerIndex(ctx.get);
  else fillCustomerPickers();
  byId('audit-customer').value = audit.customer;
  await loadAudit();
}

async function loadAudit({ append = false } = {}) {
  const a = audit;
  const params = new URLSearchParams({ limit: '50' });
  if (a.customer) params.set('customer', a.customer);
  if (append && a.before) params.set('before', a.before);
  const result = await ctx.get(`/audit?${params}`);
  if (!result.ok) {
    if (ctx.ownFailure(result)) sayError(auditFlash, result);
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
  const customer = e.customer_id ? customerIndex.get(String(e.customer_id)) : null;
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
  audit.customer = byId('audit-customer').value;
  audit.before = null;
  busy(e.submitter, () => loadAudit());
});
byId('audit-more').addEventListener('click', (e) => busy(e.currentTarget, () => loadAudit({ append: true })));
