/*
 * setup-view.js — how both consoles show Account Setup's checklist: item
 * states, blockers, review comments and the gates of a refused "Create"
 * (www/admin/setup-view.js is a symlink to this file, like ui.js).
 *
 * The titles, hints, blocker messages, comments and gate messages come from
 * the API and go in as text. The page adds only the words for the API's
 * fixed codes (states, blocker categories, review kinds).
 */

import { badge, el, formatTime } from './ui.js';

const STATE_LABELS = {
  todo: 'To do',
  in_progress: 'In progress',
  submitted: 'Submitted',
  in_review: 'Waiting for our review',
  done: 'Done',
  blocked: 'Blocked',
  not_required: 'Not required',
};

const CATEGORY_LABELS = {
  billing: 'Billing',
  prepaid_balance: 'Prepaid balance',
  sso: 'Single sign-on',
  target_readiness: 'Workspace target readiness',
  template_availability: 'Template availability',
  other: 'Other',
};

const REVIEW_LABELS = {
  none: 'Not submitted',
  draft: 'Draft',
  pending: 'Waiting for review',
  approved: 'Approved',
  changes_requested: 'Changes requested',
  rejected: 'Rejected',
  superseded: 'Superseded',
};

const KIND_LABELS = {
  billing: 'Billing',
  sso: 'Single sign-on',
  workspace_target: 'Workspace target',
  provider_setup: 'AI provider setup',
};

/** The state codes in checklist order of progress, and the blocker categories, for pickers and charts. */
export const ITEM_STATES = Object.freeze(Object.keys(STATE_LABELS));
export const CATEGORIES = Object.freeze(Object.keys(CATEGORY_LABELS));
export const REVIEW_KINDS = Object.freeze(Object.keys(KIND_LABELS));

const lookup = (table) => (code) => table[code] || String(code ?? '');
export const stateLabel = lookup(STATE_LABELS);
export const categoryLabel = lookup(CATEGORY_LABELS);
export const reviewLabel = lookup(REVIEW_LABELS);
export const kindLabel = lookup(KIND_LABELS);

/** A badge for a checklist state (coloured by the stylesheet through data-value). */
export function stateBadge(state) {
  return badge(`item-${state}`, stateLabel(state));
}

/** A badge for a review state. */
export function reviewBadge(state) {
  return badge(`review-${state || 'none'}`, reviewLabel(state || 'none'));
}

/** True when an item still stands between the customer and a workspace. */
export function unfinished(item) {
  return item.state !== 'done' && item.state !== 'not_required';
}

/** The operator's blocker on an item: category, message, and whether it may be retried. */
export function blockerNode(blocker) {
  return el('div', { class: 'blocker', data: { category: String(blocker.category ?? '') } },
    el('p', { class: 'blocker__head' },
      el('strong', { text: 'Blocked' }),
      blocker.category ? el('span', { class: 'blocker__category', text: ` · ${categoryLabel(blocker.category)}` }) : null),
    el('p', { class: 'blocker__message', text: String(blocker.message ?? '') }),
    blocker.retryable ? el('p', { class: 'hint', text: 'You can try again once this is resolved.' }) : null);
}

/** The comment an operator wrote for the customer with the latest decision on an item. */
export function reviewNode(review) {
  return el('div', { class: 'review-note', data: { state: String(review.state ?? '') } },
    el('p', { class: 'review-note__head' },
      el('strong', { text: `Review: ${reviewLabel(review.state)}` }),
      review.decided_at ? el('span', { class: 'muted-text', text: ` · ${formatTime(review.decided_at)}` }) : null),
    el('p', { class: 'review-note__comment', text: String(review.comment) }));
}

/**
 * One checklist item as an <li>: title (a heading of `level`), state badge,
 * hint, blocker, warning (an expiring SSO certificate), review comment, then
 * `extra` nodes (buttons, forms).
 */
export function checklistItem(item, { level = 3, idPrefix = 'item', extra = [] } = {}) {
  const titleId = `${idPrefix}-${item.key}-title`;
  return el('li', {
    class: 'checklist__item',
    data: { key: String(item.key), state: String(item.state) },
    attrs: { 'aria-labelledby': titleId },
  },
  el('div', { class: 'checklist__head' },
    el(`h${level}`, { id: titleId, class: 'checklist__title', text: String(item.title ?? item.key) }),
    stateBadge(item.state)),
  item.hint ? el('p', { class: 'hint', text: String(item.hint) }) : null,
  item.blocker ? blockerNode(item.blocker) : null,
  item.warning ? el('p', { class: 'alert item-warning', data: { kind: 'warning' }, text: String(item.warning) }) : null,
  item.review?.comment ? reviewNode(item.review) : null,
  ...extra);
}

/** "3 of 7 done" for a list of items. */
export function progressText(items) {
  const done = items.filter((i) => !unfinished(i)).length;
  return `${done} of ${items.length} done`;
}

/** One gate of a refused "Create" (409 setup_blocked) as an <li>. */
export function gateItem(gate) {
  return el('li', { class: 'gate', data: { key: String(gate.key ?? ''), state: String(gate.state ?? '') } },
    el('div', { class: 'checklist__head' },
      el('strong', { class: 'gate__title', text: String(gate.title ?? gate.key) }),
      gate.state ? stateBadge(gate.state) : null),
    el('p', { class: 'gate__message', text: String(gate.message ?? '') }),
    gate.category ? el('p', { class: 'hint', text: `Blocked by: ${categoryLabel(gate.category)}` }) : null,
    gate.retryable ? el('p', { class: 'hint', text: 'You can try again once this is resolved.' }) : null);
}
