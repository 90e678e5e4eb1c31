/*
 * banner-section.js — the operator console's Banner section (#banner): what
 * customers see now (rendered by banner.js, as text) and, for operator
 * admins, the form: message, severity, optional start and end in the
 * browser's time zone (sent as UTC).
 */

import { renderBanner } from './banner.js';
import {
  busy, byId, clear, clearFieldErrors, confirmAction, formatTime, say, sayError, showFieldErrors,
} from './ui.js';

let ctx = null; // { get, send, ownFailure, isAdmin }

/** Wire the module to admin.js: {get, send, ownFailure, isAdmin()}. */
export function initBannerSection(calls) {
  ctx = calls;
}

const bannerForm = byId('banner-form');
const bannerFlash = byId('banner-flash');

/** RFC 3339 (UTC) to the value of a datetime-local input, in the browser's zone. */
function toLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local value (browser's zone) to RFC 3339 UTC without fractions; '' stays ''. */
function fromLocalInput(value) {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function showCurrentBanner(banner) {
  renderBanner(byId('banner-current'), banner);
  byId('banner-none').hidden = Boolean(banner?.message);
}

function fillBannerForm(banner) {
  const f = bannerForm.elements;
  f.message.value = banner?.message || '';
  f.severity.value = banner?.severity || 'info';
  f.starts_at.value = toLocalInput(banner?.starts_at);
  f.ends_at.value = toLocalInput(banner?.ends_at);
}

/** The preview shows the banner customers see now; the form starts from it unless being edited. */
export async function loadBannerSection({ fillForm = true } = {}) {
  const admin = ctx.isAdmin();
  bannerForm.hidden = !admin;
  byId('banner-readonly').hidden = admin;
  const result = await ctx.get('/banner');
  if (!result.ok) {
    if (ctx.ownFailure(result)) sayError(bannerFlash, result);
    return null;
  }
  const banner = result.data?.banner || null;
  showCurrentBanner(banner);
  if (admin && fillForm && !bannerForm.dataset.dirty) fillBannerForm(banner);
  return banner;
}

bannerForm.addEventListener('input', () => { bannerForm.dataset.dirty = '1'; });

async function putBanner(body, submitter, done) {
  clear(bannerFlash);
  clear(byId('banner-error'));
  clearFieldErrors(bannerForm);
  const result = await busy(submitter, () => ctx.send('PUT', '/banner', body));
  if (!result.ok) {
    if (!(result.status === 422 && showFieldErrors(bannerForm, result)) && ctx.ownFailure(result)) sayError(byId('banner-error'), result);
    return;
  }
  delete bannerForm.dataset.dirty;
  // The form keeps what was saved (a banner whose window has not started is not "showing now").
  const saved = result.data?.banner || null;
  fillBannerForm(saved);
  const showing = await loadBannerSection({ fillForm: false });
  let note = '';
  if (saved && !showing) {
    note = saved.starts_at && new Date(saved.starts_at) > new Date()
      ? ` It starts showing ${formatTime(saved.starts_at)}.` : ' It is outside its time window, so it is not showing.';
  }
  say(bannerFlash, 'success', done + note);
}

bannerForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const f = bannerForm.elements;
  const body = { message: f.message.value.trim(), severity: f.severity.value };
  const starts = fromLocalInput(f.starts_at.value);
  const ends = fromLocalInput(f.ends_at.value);
  if (starts) body.starts_at = starts;
  if (ends) body.ends_at = ends;
  putBanner(body, e.submitter, body.message ? 'The banner was saved.' : 'The banner was cleared.');
});

byId('banner-clear').addEventListener('click', async (e) => {
  const button = e.currentTarget;
  const ok = await confirmAction({
    title: 'Clear the banner?',
    message: ['The customer console stops showing it at once.'],
    confirm: 'Clear banner',
    danger: true,
  });
  if (!ok) return;
  bannerForm.reset();
  await putBanner({ message: '' }, button, 'The banner was cleared.');
});
