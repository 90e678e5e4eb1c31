/*
 * banner.js — the site banner that operator admins set (GET .../banner).
 *
 * The message is operator-written text: it is inserted with textContent, so
 * HTML in it shows as characters and never becomes markup. Severity picks the
 * colour and symbol (data-severity, read by the stylesheet); a critical
 * banner is announced at once (role="alert"), the others politely.
 * (www/admin/banner.js is a symlink to this file.)
 */

import { apiGet } from './api.js';

const SEVERITY_LABEL = { info: 'Notice', warning: 'Warning', critical: 'Critical' };

/** Fill `container` (an element with class "banner") from a banner object, or hide it for null. */
export function renderBanner(container, banner) {
  if (!banner || !banner.message) {
    container.hidden = true;
    container.replaceChildren();
    container.removeAttribute('role');
    return;
  }
  const severity = SEVERITY_LABEL[banner.severity] ? banner.severity : 'info';
  container.dataset.severity = severity;
  container.setAttribute('role', severity === 'critical' ? 'alert' : 'status');
  const inner = document.createElement('div');
  inner.className = 'wrap banner__inner';
  const label = document.createElement('span');
  label.className = 'banner__label';
  label.textContent = SEVERITY_LABEL[severity];
  const message = document.createElement('span');
  message.className = 'banner__message';
  message.textContent = String(banner.message);
  inner.append(label, message);
  container.replaceChildren(inner);
  container.hidden = false;
}

/** Load the active banner into `container`; a failure leaves it hidden (the banner is optional). */
export async function loadBanner(container, path = '/api/v1/banner') {
  const result = await apiGet(path);
  renderBanner(container, result.ok ? result.data?.banner : null);
  return result;
}
