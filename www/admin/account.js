/*
 * account.js — the operator's own account (#account): two-factor sign-in
 * (TOTP) and the password change. The two-factor card also serves the
 * enrollment view that comes before anything else while the session says
 * totp_enrollment_required. The QR code is an <img> of the server's SVG as a
 * data: URI, which the CSP's img-src allows and which can never run script;
 * the key, the link and the code are dropped from the page once enrolled or
 * signed out.
 */

import { changePassword } from './session.js';
import {
  badge, busy, byId, clear, clearFieldErrors, el, fieldError, say, sayError, secretBox, showFieldErrors, showView,
} from './ui.js';

let ctx = null; // { send, ownFailure, operator, enter, setSession }

/** Wire the module to admin.js: {send, ownFailure, operator(), enter(body), setSession(body)}. */
export function initAccount(calls) {
  ctx = calls;
}

// One two-factor card: it lives in "Your account" and visits the enrollment view.
const totpCard = byId('totp-card');
const totpHome = { parent: totpCard.parentNode, next: totpCard.nextSibling };

/** The enrollment view, before anything else while the session says totp_enrollment_required. */
export function openEnroll({ focus = true } = {}) {
  byId('enroll-slot').append(totpCard);
  renderAccount();
  showView('enroll', { focus });
}

/** The two-factor card back home in #account. */
export function closeEnroll() {
  totpHome.parent.insertBefore(totpCard, totpHome.next);
}

/** Drop an unfinished enrollment (the key, the QR code) from the page (sign-out). */
export function forgetEnrollment() {
  closeEnroll();
  for (const id of ['totp-qr', 'totp-secret-box', 'totp-uri-box']) byId(id).replaceChildren();
  byId('totp-enroll').hidden = true;
}

/** The Account section (#account): who is signed in and the two-factor state. */
export function renderAccount() {
  const op = ctx.operator();
  byId('me-username').textContent = op.username;
  byId('me-email').textContent = op.email;
  byId('me-role').replaceChildren(badge(op.role));
  byId('me-totp').replaceChildren(op.totp_enabled ? badge('on', 'On') : badge('off', 'Off'));
  byId('totp-on').hidden = !op.totp_enabled;
  const enrolling = !byId('totp-enroll').hidden;
  byId('totp-off').hidden = op.totp_enabled || enrolling;
  if (op.totp_enabled) byId('totp-enroll').hidden = true;
}

/**
 * The server's QR code as an image. An SVG in <img> is rendered as a static
 * picture (no script, no external loads), and img-src allows data: URIs, so
 * nothing of it is parsed into the page.
 */
function qrImage(svg) {
  if (!svg.startsWith('<svg')) return null;
  let data;
  try {
    data = btoa(svg);
  } catch {
    return null; // not ASCII: not what the server sends
  }
  return el('img', {
    attrs: { src: `data:image/svg+xml;base64,${data}`, alt: 'QR code of the otpauth link: scan it with your authenticator app' },
  });
}

/** "JBSW Y3DP ..." for reading aloud or typing; apps ignore the spaces. */
function groupSecret(secret) {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}

byId('totp-start').addEventListener('click', async (e) => {
  const flash = byId('totp-flash');
  clear(flash);
  const result = await busy(e.currentTarget, () => ctx.send('POST', '/totp'));
  if (!result.ok) {
    if (ctx.ownFailure(result)) sayError(flash, result);
    return;
  }
  const secret = String(result.data?.secret || '');
  const uri = String(result.data?.otpauth_uri || '');
  byId('totp-qr').replaceChildren(qrImage(String(result.data?.qr_svg || '')));
  byId('totp-secret-box').replaceChildren(secretBox(secret, { label: 'Key', id: 'totp-secret', big: true, shown: groupSecret(secret) }));
  byId('totp-uri-box').replaceChildren(secretBox(uri, { label: 'Or this otpauth link, for apps and password managers that import links', id: 'totp-uri' }));
  byId('totp-off').hidden = true;
  byId('totp-enroll').hidden = false;
  byId('totp-secret').focus();
});

const totpForm = byId('totp-confirm-form');
totpForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const errorNode = byId('totp-error');
  clear(errorNode);
  clearFieldErrors(totpForm);
  const code = totpForm.elements.code.value.replace(/\s+/g, '');
  if (!/^\d{6,8}$/.test(code)) return fieldError(totpForm, 'code', 'Enter the 6-digit code your app shows.');
  const result = await busy(e.submitter, () => ctx.send('POST', '/totp/confirm', { code }));
  if (!result.ok) {
    if (!(result.status === 422 && showFieldErrors(totpForm, result)) && ctx.ownFailure(result)) sayError(errorNode, result);
    return;
  }
  totpForm.reset();
  byId('totp-qr').replaceChildren();
  byId('totp-secret-box').replaceChildren();
  byId('totp-uri-box').replaceChildren();
  byId('totp-enroll').hidden = true;
  if (totpCard.parentNode !== totpHome.parent) {
    // Enrolled at sign-in: on to the password change or the console.
    closeEnroll();
    ctx.enter(result.data);
    if (!result.data.must_change_password) {
      say(byId('console-flash'), 'success', 'Two-factor sign-in is on. From now on, sign-in asks for a code.');
    }
    return;
  }
  ctx.setSession(result.data);
  renderAccount();
  say(byId('totp-flash'), 'success', 'Two-factor sign-in is on. From now on, sign-in asks for a code.');
  byId('totp-title').setAttribute('tabindex', '-1');
  byId('totp-title').focus();
});

const pwForm = byId('pw-form');
pwForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  clear(byId('pw-flash'));
  const body = await changePassword(pwForm, byId('pw-error'), e.submitter, ctx);
  if (body) {
    ctx.setSession(body);
    pwForm.elements.username.value = ctx.operator().username;
    renderAccount();
    say(byId('pw-flash'), 'success', 'Your password was changed. Your other sessions were signed out.');
  }
});
