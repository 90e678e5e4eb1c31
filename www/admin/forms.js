/*
 * forms.js — what the operator sections' lists and inline forms share: the
 * create forms that open in place (Add customer, Add user, Add operator) and
 * the row buttons whose accessible name carries the row's subject
 * ("Suspend: alice").
 */

import { clear, clearFieldErrors, el } from './ui.js';

/** Open/close an inline create form; Cancel buttons inside carry data-close-form. */
export function toggleForm(form, open, focusTarget) {
  form.hidden = !open;
  if (open) {
    clearFieldErrors(form);
    clear(form.querySelector('.alert'));
    form.querySelector('input, select')?.focus();
  } else {
    form.reset();
    focusTarget?.focus();
  }
}

for (const cancel of document.querySelectorAll('[data-close-form]')) {
  cancel.addEventListener('click', () => {
    const form = cancel.closest('form');
    toggleForm(form, false, document.querySelector(`[aria-controls="${form.id}"]`));
  });
}

/** A small button in a table row, named for its subject. */
export function rowButton(text, onClick, subject, extra = '') {
  return el('button', {
    type: 'button',
    class: `button button--small ${extra}`.trim(),
    text,
    attrs: { 'aria-label': `${text}: ${subject}` },
    on: { click: onClick },
  });
}
