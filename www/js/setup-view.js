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

/* Each review outcome's own look: an icon and a word (the stylesheet adds colour, never alone). */
const OUTCOMES = {
  approved: { icon: '\u2713', word: 'Approved' },
  changes_requested: { icon: '\u270E', word: 'Changes requested' },
  rejected: { icon: '\u2715', word: 'Rejected' },
  pending: { icon: '\u25F7', word: 'Waiting for our review' },
};

/* What the customer does next, per reviewed item and outcome; the defaults cover the rest. */
const NEXT_STEPS = {
  billing: {
    changes_requested: 'Change the billing contact and save again: that resubmits it.',
    rejected: 'We cannot accept this billing setup as it is. Contact support to agree on how your organisation pays.',
  },
  workspace_target: {
    changes_requested: 'Change your workspace preferences or target launch date as the comment asks, and save the '
      + 'company details again: that resubmits them.',
    rejected: 'We cannot prepare this workspace target. Contact support to agree on one we can.',
  },
  provider_setup: {
    changes_requested: 'Change the AI provider or your AI preferences as the comment asks, and save the company '
      + 'details again: that resubmits them.',
    rejected: 'We cannot set up this AI provider. Choose another one in the company details, or contact support.',
  },
  sso: {
    changes_requested: 'Correct the single sign-on details as the comment asks, validate them and submit them for '
      + 'review again.',
    rejected: 'We cannot accept this single sign-on setup. Contact support, or mark single sign-on as not required.',
  },
};
const DEFAULT_STEPS = {
  approved: 'Nothing more to do here.',
  pending: 'Nothing to do now: we review it and the outcome shows here.',
  changes_requested: 'Make the changes the comment asks for and send it again.',
  rejected: 'This cannot go ahead as it is. Contact support to find out what can.',
};

/**
 * The review outcome an item shows: "pending" while it waits for our review
 * (also after a resubmission, whatever the earlier decision was), else the
 * latest decision, or null when it was never reviewed.
 */
export function reviewOutcome(item) {
  if (item.state === 'in_review' || item.state === 'submitted') return 'pending';
  const state = item.review?.state;
  return OUTCOMES[state] ? state : null;
}

/** True when the latest review failed (changes requested or rejected) and nothing was resubmitted. */
export function reviewFailed(item) {
  const outcome = reviewOutcome(item);
  return outcome === 'changes_requested' || outcome === 'rejected';
}

/** The next-step sentence for an item's review outcome. */
export function nextStepText(itemKey, outcome) {
  return NEXT_STEPS[itemKey]?.[outcome] || DEFAULT_STEPS[outcome] || '';
}

/**
 * The latest decision on an item with the comment an operator wrote for the
 * customer. With `outcome` (the customer console), the box takes that
 * outcome's look and, with `next`, says what to do next.
 */
export function reviewNode(review, { outcome = null, next = null } = {}) {
  const shown = OUTCOMES[outcome || review?.state];
  const earlier = outcome === 'pending' && review?.state && review.state !== 'pending';
  const comment = review?.comment ? String(review.comment) : '';
  return el('div', { class: 'review-note', data: { state: String(outcome || review?.state || '') } },
    el('p', { class: 'review-note__head' },
      shown && outcome ? el('span', { class: 'review-note__icon', attrs: { 'aria-hidden': 'true' }, text: shown.icon }) : null,
      el('strong', { text: `Review: ${outcome ? shown.word : reviewLabel(review.state)}` }),
      review?.decided_at && !earlier ? el('span', { class: 'muted-text', text: ` · ${formatTime(review.decided_at)}` }) : null),
    comment && !outcome ? el('p', { class: 'review-note__comment', text: comment }) : null,
    comment && outcome ? el('p', { class: 'review-note__said' },
      el('span', { class: 'review-note__label', text: earlier ? 'Our comment on the earlier version: ' : 'Our comment: ' }),
      el('span', { class: 'review-note__comment', text: comment })) : null,
    next ? el('p', { class: 'review-note__next', text: next }) : null);
}

/**
 * One checklist item as an <li>: title (a heading of `level`), state badge,
 * hint, blocker, warning (an expiring SSO certificate), review comment, then
 * `extra` nodes (buttons, forms). With `guide` (the customer console) every
 * review outcome shows, in its own look, with the customer's next step.
 */
export function checklistItem(item, {
  level = 3, idPrefix = 'item', extra = [], guide = false,
} = {}) {
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
  guide ? guidedReview(item) : (item.review?.comment ? reviewNode(item.review) : null),
  ...extra);
}

/* The customer's view of an item's review: its outcome's look and the next step. */
function guidedReview(item) {
  const outcome = reviewOutcome(item);
  if (!outcome) return null;
  return reviewNode(item.review, { outcome, next: nextStepText(item.key, outcome) });
}

/** "3 of 7 done" for a list of items. */
export function progressText(items) {
  const done = items.filter((i) => !unfinished(i)).length;
  return `${done} of ${items.length} done`;
}
