/*
 * dashboard.js — the operator console's landing section (#dashboard): how
 * many customers there are, how many are ready for a workspace and how many
 * are over their seat limit, where
 * customers stand on each checklist item (one stacked bar per item, one
 * segment per state) and how many are blocked in each category
 * (GET /dashboard).
 *
 * The charts are inline SVG built with createElementNS (role=group, not img:
 * their bar segments are links); colours come from
 * the stylesheet through data-state (the CSP allows no inline styles), and
 * every number is also in a table under the charts for screen readers and
 * for copying.
 *
 * Every count, bar segment and table number links to the customers behind it
 * (#customers?FILTER, customers.js); GET /customers derives those lists by
 * the dashboard's own rules, so a count and its list agree. The review queue
 * count links to the queue itself (#reviews).
 */

import { byId, clear, duration, el, sayError } from './ui.js';
import { CATEGORIES, ITEM_STATES, categoryLabel, stateLabel } from './setup-view.js';

const SVG = 'http://www.w3.org/2000/svg';

let ctx = null; // { get, ownFailure }

/** Wire the module to admin.js: {get, ownFailure}. */
export function initDashboard(calls) {
  ctx = calls;
}

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined) node.setAttribute(key, String(value));
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export async function loadDashboard() {
  const flash = byId('dashboard-flash');
  const result = await ctx.get('/dashboard');
  if (!result.ok) {
    if (ctx.ownFailure(result)) sayError(flash, result);
    return;
  }
  clear(flash);
  const d = result.data || {};
  byId('dash-customers').replaceChildren(countLink(d.customers, '', 'customers'));
  byId('dash-ready').replaceChildren(countLink(d.ready, 'ready=true', 'customers ready for a workspace'));
  byId('dash-sso-certs').textContent = String(d.sso_certificates_expiring ?? 0);
  byId('dash-sso-live').textContent = String(d.sso_live ?? 0);
  byId('dash-over-seats').replaceChildren(countLink(d.customers_over_seat_limit, 'over_seat_limit=true', 'customers over their seat limit'));
  renderReviewsWaiting(d.reviews_waiting || {}, d.customers_review_waiting);
  const items = Array.isArray(d.items) ? d.items : [];
  byId('dash-legend').replaceChildren(...ITEM_STATES.map((s) => el('li', {},
    el('span', { class: 'legend__swatch', data: { state: s }, attrs: { 'aria-hidden': 'true' } }), stateLabel(s))));
  byId('dash-items-chart').replaceChildren(itemsChart(items, Number(d.customers) || 0));
  byId('dash-blocked-chart').replaceChildren(categoryChart(d.blocked_by_category || {}));
  renderTable(items, d.blocked_by_category || {});
}

/** The customers list filtered as query says ('' = every customer). */
export const customersHref = (query) => (query ? `#customers?${query}` : '#customers');

function countLink(n, query, what) {
  const count = Number(n) || 0;
  return el('a', { href: customersHref(query), text: String(count), attrs: { 'aria-label': `${count} ${what}: show them` } });
}

function renderReviewsWaiting(w, customers) {
  const n = Number(w.count) || 0;
  byId('dash-reviews').replaceChildren(el('a', { href: '#reviews', text: String(n), attrs: { 'aria-label': `${n} reviews waiting: open the review queue` } }));
  byId('dash-reviews-oldest').textContent = n > 0 && typeof w.oldest_waiting_seconds === 'number'
    ? `the oldest has waited ${duration(w.oldest_waiting_seconds)}` : 'none waiting';
  byId('dash-reviews-customers').replaceChildren(countLink(customers, 'review_waiting=true', 'customers with a review waiting'));
}

/** An SVG link (keyboard-focusable) around a bar segment. */
function segLink(href, label, ...children) {
  return svg('a', { href, 'aria-label': label, class: 'chart__link' }, ...children);
}

const LABEL_W = 250;
const BAR_W = 560;
const ROW_H = 30;
const BAR_H = 20;
const WIDTH = LABEL_W + BAR_W + 60;

/** One horizontal stacked bar per checklist item; the full width is every customer. */
function itemsChart(items, customers) {
  const total = Math.max(customers, ...items.map((i) => ITEM_STATES.reduce((n, s) => n + (Number(i.states?.[s]) || 0), 0)), 1);
  const height = items.length * ROW_H + 10;
  const chart = svg('svg', {
    class: 'chart', viewBox: `0 0 ${WIDTH} ${height}`, width: '100%', role: 'group', 'aria-labelledby': 'dash-items-title dash-items-desc',
  }, svg('desc', { id: 'dash-items-desc' }, `Stacked bars, one per checklist item, of ${customers} customers by state; the table below has every number.`));
  items.forEach((item, row) => {
    const y = row * ROW_H + 5;
    const g = svg('g', { class: 'chart__row', 'data-key': item.key });
    g.append(svg('text', { x: LABEL_W - 8, y: y + BAR_H / 2, 'text-anchor': 'end', 'dominant-baseline': 'central' }, String(item.title ?? item.key)));
    g.append(svg('rect', { class: 'chart__track', x: LABEL_W, y, width: BAR_W, height: BAR_H, rx: 3 }));
    let x = LABEL_W;
    for (const state of ITEM_STATES) {
      const n = Number(item.states?.[state]) || 0;
      if (n === 0) continue;
      const w = (n / total) * BAR_W;
      const text = `${item.title ?? item.key}: ${n} ${stateLabel(state).toLowerCase()}`;
      const link = segLink(customersHref(`item=${encodeURIComponent(item.key)}&state=${state}`), `${text}: show them`,
        svg('rect', { class: 'chart__seg', 'data-state': state, 'data-count': n, x, y, width: w, height: BAR_H }, svg('title', {}, text)));
      if (w >= 18) {
        link.append(svg('text', { class: 'chart__count', x: x + w / 2, y: y + BAR_H / 2, 'text-anchor': 'middle', 'dominant-baseline': 'central', 'aria-hidden': 'true' }, String(n)));
      }
      g.append(link);
      x += w;
    }
    chart.append(g);
  });
  return chart;
}

/** One bar per blocker category, scaled to the largest. */
function categoryChart(byCategory) {
  const max = Math.max(1, ...CATEGORIES.map((c) => Number(byCategory[c]) || 0));
  const height = CATEGORIES.length * ROW_H + 10;
  const chart = svg('svg', {
    class: 'chart', viewBox: `0 0 ${WIDTH} ${height}`, width: '100%', role: 'group', 'aria-labelledby': 'dash-blocked-title dash-blocked-desc',
  }, svg('desc', { id: 'dash-blocked-desc' }, 'Bars of blocked customers per blocker category; the table below has every number.'));
  CATEGORIES.forEach((category, row) => {
    const y = row * ROW_H + 5;
    const n = Number(byCategory[category]) || 0;
    const w = (n / max) * BAR_W;
    const g = svg('g', { class: 'chart__row', 'data-category': category });
    g.append(svg('text', { x: LABEL_W - 8, y: y + BAR_H / 2, 'text-anchor': 'end', 'dominant-baseline': 'central' }, categoryLabel(category)));
    g.append(svg('rect', { class: 'chart__track', x: LABEL_W, y, width: BAR_W, height: BAR_H, rx: 3 }));
    if (n > 0) {
      g.append(segLink(customersHref(`blocked_category=${category}`), `${categoryLabel(category)}: ${n} blocked: show them`,
        svg('rect', { class: 'chart__seg', 'data-state': 'category', 'data-count': n, x: LABEL_W, y, width: w, height: BAR_H },
          svg('title', {}, `${categoryLabel(category)}: ${n} blocked`))));
    }
    g.append(svg('text', { class: 'chart__total', x: LABEL_W + w + 6, y: y + BAR_H / 2, 'dominant-baseline': 'central' }, String(n)));
    chart.append(g);
  });
  return chart;
}

function renderTable(items, byCategory) {
  byId('dash-table-head').replaceChildren(el('th', { attrs: { scope: 'col' }, text: 'Item' }),
    ...ITEM_STATES.map((s) => el('th', { attrs: { scope: 'col' }, text: stateLabel(s) })));
  const rows = items.map((item) => el('tr', { data: { key: String(item.key) } },
    el('th', { attrs: { scope: 'row' }, text: String(item.title ?? item.key) }),
    ...ITEM_STATES.map((s) => el('td', {}, el('a', {
      href: customersHref(`item=${encodeURIComponent(item.key)}&state=${s}`),
      text: String(Number(item.states?.[s]) || 0),
      attrs: { 'aria-label': `${item.title ?? item.key}, ${stateLabel(s).toLowerCase()}: ${Number(item.states?.[s]) || 0}` },
    })))));
  rows.push(el('tr', {},
    el('th', { attrs: { scope: 'row' }, text: 'Blocked by category' }),
    el('td', { attrs: { colspan: ITEM_STATES.length } }, ...CATEGORIES.flatMap((c, i) => [i ? ' · ' : '',
      el('a', { href: customersHref(`blocked_category=${c}`), text: `${categoryLabel(c)}: ${Number(byCategory[c]) || 0}` })]))));
  byId('dash-table-rows').replaceChildren(...rows);
}

byId('dashboard-refresh').addEventListener('click', () => loadDashboard());
