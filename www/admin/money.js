/*
 * money.js — money in the operator console. The API carries amounts as whole
 * cents (prepaid_balance_cents); people read and type currency amounts. The
 * data holds no currency, so every amount is in CURRENCY (US dollars), as
 * docs/api.md says. Typed amounts are parsed as text (digits, at most two
 * decimals), never through a float, so "0.29" is exactly 29 cents.
 */

/** The currency of every amount (the data names none). */
export const CURRENCY = 'USD';

const format = new Intl.NumberFormat('en-US', { style: 'currency', currency: CURRENCY });

/** Whole cents as "12345.60" without a float (cents a non-negative safe integer). */
export function centsToDecimal(cents) {
  const n = Math.trunc(Number(cents) || 0);
  return `${Math.trunc(n / 100)}.${String(n % 100).padStart(2, '0')}`;
}

/** Whole cents as currency text, e.g. 123450 -> "$1,234.50". */
export function formatCents(cents) {
  // A decimal string keeps the amount exact (Intl formats strings as decimals).
  return format.format(centsToDecimal(cents));
}

/**
 * A typed amount ("1,234.5", "$1234.50", "12") to whole cents, or null when it
 * is not an amount with at most two decimals.
 */
export function parseAmount(text) {
  const m = /^\$?\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{0,2}))?$/.exec(String(text).trim());
  if (!m) return null;
  const whole = m[1].replace(/,/g, '');
  if (whole.length > 13) return null;
  return Number(whole) * 100 + Number((m[2] || '').padEnd(2, '0'));
}
