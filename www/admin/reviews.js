/*
 * reviews.js — the review queue of the operator console (#reviews): what
 * customers submitted for review (billing, single sign-on, workspace target,
 * provider setup), oldest first, each with Approve / Request changes /
 * Reject, a comment the customer sees on their checklist and an internal
 * comment that stays with operators (GET /reviews, POST /reviews/{id}/decision).
 * Decided reviews can be listed too, read-only.
 */

import { errorText } from './api.js';
import {
  busy, byId, clear, clearFieldErrors, el, formatTime, say, sayError, showFormErrors,
} from './ui.js';
import { kindLabel, reviewBadge } from './setup-view.js';
import { draftNode, reportNode } from './sso-view.js';

let ctx = null; // { get, send, ownFailure, canWrite }

const queue = { state: 'pending', after: null, rows: [] };

const DONE = {
  approve: 'Approved',
  request_changes: 'Changes requested for',
  reject: 'Rejected',
};

/** Wire the module to admin.js: {get, send, ownFailure, canWrite}. */
export function initReviews(calls) {
  ctx = calls;
}

/** Load the queue (or the next page of it). */
export async function loadReviews({ append = false } = {}) {
  const params = new URLSearchParams({ state: queue.state, limit: '50' });
  if (append && queue.after) params.set('after', String(queue.after));
  const result = await ctx.get(`/reviews?${params}`);
  if (!result.ok) {
    if (ctx.ownFailure(result)) sayError(byId('reviews-flash'), result);
    return false;
  }
  const rows = Array.isArray(result.data?.reviews) ? result.data.reviews : [];
  queue.rows = append ? [...queue.rows, ...rows] : rows;
  queue.after = result.data?.next_after || null;
  byId('reviews-list').replaceChildren(...queue.rows.map(reviewCard));
  byId('reviews-empty').hidden = queue.rows.length > 0;
  byId('reviews-empty').textContent = queue.state === 'pending' ? 'Nothing waiting for review.' : 'No reviews in this state.';
  byId('reviews-more').hidden = !queue.after;
  return true;
}

function reviewCard(r) {
  const id = `review-${r.id}`;
  const customer = r.customer || {};
  const title = `${customer.name ?? customer.slug ?? 'Customer'}: ${kindLabel(r.kind)}`;
  const pending = r.state === 'pending';
  return el('article', { class: 'review', data: { reviewId: String(r.id), kind: String(r.kind), customer: String(customer.slug ?? '') }, attrs: { 'aria-labelledby': `${id}-title` } },
    el('div', { class: 'checklist__head' }, el('h3', { id: `${id}-title`, text: title }), reviewBadge(r.state)),
    el('p', { class: 'review__meta' },
      el('a', { href: `#customer/${encodeURIComponent(customer.id ?? '')}`, text: String(customer.slug ?? '') }),
      ` · ${kindLabel(r.kind)} · submitted ${formatTime(r.created_at)}`),
    r.summary ? el('p', { class: 'review__summary', text: String(r.summary) }) : null,
    r.kind === 'sso' && pending ? ssoDetails(r, id) : null,
    pending ? (ctx.canWrite() ? decisionForm(r, id, title) : null) : decided(r));
}

/**
 * What an SSO review is about: the customer's draft, the last validation
 * report and its summary (GET /customers/{id}, member `sso`), loaded into
 * the card as it is shown.
 */
function ssoDetails(r, id) {
  const body = el('div', { class: 'review__sso-body', attrs: { 'aria-live': 'polite' } },
    el('p', { class: 'muted-text', text: 'Loading the single sign-on details…' }));
  const box = el('section', { class: 'review__sso inset', attrs: { 'aria-labelledby': `${id}-sso-title` } },
    el('h4', { id: `${id}-sso-title`, text: 'Single sign-on details' }), body);
  loadSsoDetails(r, body);
  return box;
}

async function loadSsoDetails(r, body) {
  const customerId = r.customer?.id;
  if (!customerId) {
    body.replaceChildren(el('p', { class: 'empty', text: 'No customer for this review.' }));
    return;
  }
  const result = await ctx.get(`/customers/${encodeURIComponent(customerId)}`);
  if (!result.ok) {
    const alert = el('p', { class: 'alert', attrs: { role: 'alert' } });
    if (ctx.ownFailure(result)) sayError(alert, result);
    body.replaceChildren(alert);
    return;
  }
  const sso = result.data?.sso;
  if (!sso) {
    body.replaceChildren(el('p', { class: 'empty', text: 'The customer has no single sign-on details.' }));
    return;
  }
  const report = sso.validation;
  body.replaceChildren(
    draftNode(sso),
    report
      ? el('div', { class: 'review__sso-report' }, el('h5', { text: 'Validation report' }),
        reportNode(report, { level: 5, stale: !sso.validation_current }))
      : el('p', { class: 'empty', text: 'No validation report.' }));
}

function decided(r) {
  return el('dl', { class: 'facts wide-facts' },
    row('Comment for the customer', r.comment),
    row('Internal comment', r.internal_comment),
    row('Decided', r.decided_at ? `${formatTime(r.decided_at)}${r.decided_by ? ` by ${r.decided_by}` : ''}` : null));
}

function row(term, value) {
  return el('div', { class: 'facts__row' }, el('dt', { text: term }), el('dd', { class: 'prewrap', text: value ? String(value) : '—' }));
}

function decisionForm(r, id, title) {
  const alert = el('p', { class: 'alert', data: { kind: 'error' }, attrs: { role: 'alert' } });
  const area = (name, label, hint) => el('div', { class: 'field' },
    el('label', { attrs: { for: `${id}-${name}` }, text: label }),
    el('textarea', { id: `${id}-${name}`, name, rows: 2, maxLength: 4000, attrs: { 'aria-describedby': `${id}-${name}-hint` } }),
    el('p', { id: `${id}-${name}-hint`, class: 'hint', text: hint }),
    el('p', { class: 'field-error', data: { errorFor: name } }));
  const button = (decision, text, extra = '') => el('button', {
    type: 'submit',
    class: `button ${extra}`.trim(),
    value: decision,
    text,
    attrs: { 'aria-label': `${text}: ${title}` },
  });
  const form = el('form', { attrs: { novalidate: '', 'aria-label': `Decide on ${title}` } },
    alert,
    el('div', { class: 'form-grid' },
      area('comment', 'Comment for the customer', 'Shown on their checklist. Needed to request changes or reject.'),
      area('internal_comment', 'Internal comment', 'Operators only.')),
    el('div', { class: 'actions' },
      button('approve', 'Approve', 'button--primary'),
      button('request_changes', 'Request changes'),
      button('reject', 'Reject', 'button--danger')));
  form.addEventListener('submit', (e) => decide(e, r, form, alert, title));
  return form;
}

async function decide(e, r, form, alert, title) {
  e.preventDefault();
  const decision = e.submitter?.value || 'approve';
  clear(alert);
  clearFieldErrors(form);
  const body = { decision };
  const comment = form.elements.comment.value.trim();
  const internal = form.elements.internal_comment.value.trim();
  if (comment) body.comment = comment;
  if (internal) body.internal_comment = internal;
  const result = await busy(e.submitter, () => ctx.send('POST', `/reviews/${encodeURIComponent(r.id)}/decision`, body));
  if (!result.ok) {
    if (!ctx.ownFailure(result)) return;
    if (result.status === 409) {
      await loadReviews();
      say(byId('reviews-flash'), 'error', `${title}: ${errorText(result)}`);
    } else if (result.status === 422) {
      showFormErrors(form, alert, result);
    } else {
      sayError(alert, result);
    }
    return;
  }
  await loadReviews();
  say(byId('reviews-flash'), 'success', `${DONE[decision]} ${title}.`);
  byId('reviews-title').setAttribute('tabindex', '-1');
  byId('reviews-title').focus();
}

byId('reviews-filter-form').addEventListener('submit', (e) => {
  e.preventDefault();
  clear(byId('reviews-flash'));
  queue.state = byId('reviews-state').value;
  queue.after = null;
  busy(e.submitter, () => loadReviews());
});
byId('reviews-more').addEventListener('click', (e) => busy(e.currentTarget, () => loadReviews({ append: true })));
