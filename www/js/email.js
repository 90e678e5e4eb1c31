/*
 * email.js — an email address in a narrow table cell. Breaking anywhere
 * (overflow-wrap:anywhere) let a table squeeze an address column down to a
 * few letters and cut "example" into "exam|ple". Here the address may break
 * only after the "@" and before a dot (<wbr>), the points a reader expects;
 * the .email style breaks inside a part only when that part alone is wider
 * than the cell (a last resort that does not shrink the column).
 */

import { el } from './ui.js';

/** A span.email of address with break opportunities after "@" and before each dot. */
export function emailNode(address) {
  const text = String(address ?? '');
  const parts = [];
  let start = 0;
  for (let i = 0; i < text.length; i += 1) {
    const at = text[i] === '@';
    const dot = text[i] === '.' && i > 0;
    if (!at && !dot) continue;
    const cut = at ? i + 1 : i;
    if (cut > start) parts.push(text.slice(start, cut), el('wbr'));
    start = cut;
  }
  parts.push(text.slice(start));
  const node = el('span', { class: 'email' }, ...parts);
  node.setAttribute('data-email', text);
  return node;
}
