/*
 * audit.js — the operator console's Audit section (#audit): newest first,
 * filtered by customer, actor, action, object and time range; names instead
 * of ids; each edit as "field: before → after" (the server's `changes`);
 * "Show older entries" pages with next_before; the export links carry the
 * same filters.
 */

import { customerIndex, fillCustomerPickers, loadCustomerIndex } from './customer-index.js';
import { busy, byId, clear, el, formatTime, formatTimeShort, sayError } from './ui.js';

let ctx = null; // { get, ownFailure }

const API = '/admin/api/v1';
const FILTERS = ['customer', 'actor', 'action', 'object_type', 'object_id', 'after', 'before'];
const audit = { filters: {}, before: null, rows: [] };

/** Wire the module to admin.js: {get, ownFailure}. */
export function initAudit(calls) {
  ctx = calls;
}

/** Open the Audit section filtered to one customer. */
export function showAuditOf(id) {
  audit.filters = { customer: String(id) };
  location.hash = '#audit';
}

const auditFlash = byId('audit-flash');
const inputOf = (name) => byId(`audit-${name.replace('_', '-')}`);

/** A datetime-local value (the operator's own time) as RFC 3339 UTC, and back. */
const toIso = (local) => (local ? new Date(local).toISOString() : '');
function toLocal(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The Audit section (#audit): the filters, then the newest entries. */
export async function loadAuditSection() {
  if (customerIndex.size === 0) await loadCustomerIndex(ctx.get);
  else fillCustomerPickers();
  for (const name of FILTERS) {
    const v = audit.filters[name] || '';
    inputOf(name).value = name === 'after' || name === 'before' ? toLocal(v) : v;
  }
  await loadAudit();
}

/** The query of the current filters (without paging). */
function filterParams() {
  const params = new URLSearchParams();
  for (const name of FILTERS) if (audit.filters[name]) params.set(name, audit.filters[name]);
  return params;
}

function setExportLinks() {
  for (const format of ['csv', 'jsonl']) {
    const params = filterParams();
    params.set('format', format);
    byId(`audit-export-${format}`).href = `${API}/audit/export?${params}`;
  }
}

async function loadAudit({ append = false } = {}) {
  const a = audit;
  const params = filterParams();
  params.set('limit', '50');
  if (append && a.before) params.set('before_id', a.before);
  setExportLinks();
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

function show(v) {
  if (v === null || v === undefined || v === '') return '(empty)';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** An edit as one line per changed field; an event as what it recorded. */
function describeChange(e) {
  const changes = e.changes || [];
  if (changes.length) {
    return el('ul', { class: 'changes' }, ...changes.map((c) => el('li', {},
      el('span', { class: 'change-field', text: `${c.field}: ` }),
      c.redacted ? el('em', { text: 'changed' }) : `${show(c.before)} → ${show(c.after)}`)));
  }
  const obj = e.after && typeof e.after === 'object' ? e.after : e.before;
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return '';
  const prefix = obj === e.before ? 'was ' : '';
  return prefix + Object.entries(obj).map(([k, v]) => `${k}: ${show(v)}`).join('; ');
}

function objectCell(e) {
  if (!e.object_type) return '—';
  const name = e.object_label || (e.object_id ? `#${e.object_id}` : '');
  return [el('span', { class: 'wrap-any', text: name || e.object_type }),
    el('span', { class: 'sub', text: e.object_id ? `${e.object_type} ${e.object_id}` : e.object_type })];
}

function customerCell(e) {
  if (!e.customer_id) return '—';
  const known = customerIndex.get(String(e.customer_id));
  const name = e.customer_name || known?.name || `customer ${e.customer_id}`;
  const slug = e.customer_slug || known?.slug || '';
  return [el('span', { text: name }), slug ? el('span', { class: 'sub mono', text: slug }) : null];
}

function auditRow(e) {
  const rid = e.request_id || '';
  return el('tr', { data: { entryId: e.id } },
    el('td', { class: 'nowrap' }, el('time', { attrs: { datetime: e.at, title: formatTime(e.at) }, text: formatTimeShort(e.at) })),
    el('td', { class: 'wrap-any' }, el('span', { text: e.actor || '—' }), el('span', { class: 'sub', text: e.actor_type })),
    el('td', { class: 'mono nowrap', text: e.action }),
    el('td', {}, objectCell(e)),
    el('td', { class: 'wrap-any' }, customerCell(e)),
    el('td', { class: 'change' }, describeChange(e)),
    el('td', {}, el('span', { class: 'mono', text: e.client_addr || '—' }),
      // The first 12 characters find the request in the logs; the whole id is in the title.
      rid ? el('span', { class: 'sub mono', text: rid.length > 12 ? `${rid.slice(0, 12)}…` : rid, attrs: { title: `Request id ${rid}` } }) : null));
}

byId('audit-filter-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const f = {};
  for (const name of FILTERS) {
    const v = inputOf(name).value.trim();
    if (v) f[name] = name === 'after' || name === 'before' ? toIso(v) : v;
  }
  audit.filters = f;
  audit.before = null;
  busy(e.submitter, () => loadAudit());
});
byId('audit-more').addEventListener('click', (e) => busy(e.currentTarget, () => loadAudit({ append: true })));
