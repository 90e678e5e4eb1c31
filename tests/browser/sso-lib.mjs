/*
 * sso-lib.mjs — the single sign-on go-live walk both protocol suites share
 * (sso-signin.test.mjs for OIDC, sso-saml.test.mjs for SAML): reading the
 * test IdP's settings, its loopback control API, saving and validating the
 * draft, checking a test sign-in's result, the operator's approve and
 * activate, and a member's first sign-in. The protocol-specific steps (what
 * the draft holds, which request comes back from the IdP) stay in the suites.
 */

import assert from 'node:assert/strict';
import { request } from 'node:https';
import { openCustomer, openTab, signInOperator } from './lib.mjs';

/**
 * A reader of the test IdP's settings PREFIX<name> (e.g. ONRAMP_OP_ISSUER).
 * The suite passes the prefix literally: tests/browser/run.py starts an IdP
 * only for suite files whose text names it.
 */
export function settingsReader(prefix, idpName) {
  return (name) => {
    const value = process.env[`${prefix}${name}`];
    if (!value) throw new Error(`${prefix}${name} is not set: run through tests/browser/run.py (it starts ${idpName})`);
    return value;
  };
}

/** A caller of POST /__test/NAME on the IdP's loopback control API (tests/integration/*_op.py, saml_idp.py document it). */
export function controlClient({ port, servername, ca, label }) {
  return (name, body = {}) => {
    const data = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request({
        host: '127.0.0.1', port, servername, ca,
        method: 'POST', path: `/__test/${name}`,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) },
      }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => { text += chunk; });
        res.on('end', () => (res.statusCode === 200
          ? resolve(JSON.parse(text))
          : reject(new Error(`${label} ${name}: ${res.statusCode} ${text.slice(0, 300)}`))));
      });
      req.on('error', reject);
      req.end(data);
    });
  };
}

export const card = (page) => page.locator('#sso-card');

/** Save the filled draft; waits for the saved flash. */
export async function saveDraft(cp) {
  const saved = cp.waitForResponse((r) => r.request().method() === 'PUT' && new URL(r.url()).pathname === '/api/v1/sso');
  await cp.getByRole('button', { name: 'Save single sign-on details' }).click();
  assert.equal((await saved).status(), 200, 'the draft is saved');
  await cp.locator('#sso-flash[data-kind="success"]').filter({ hasText: 'were saved' }).waitFor();
}

/** Queue a validation and wait until it passed. */
export async function validate(cp) {
  const queued = cp.waitForResponse((r) => r.url().endsWith('/api/v1/sso/validate'));
  await cp.getByRole('button', { name: 'Validate', exact: true }).click();
  assert.equal((await queued).status(), 202, 'the validation is queued');
  const flash = cp.locator('#sso-flash').filter({ hasText: /^Validation (passed|failed)/ });
  await flash.waitFor({ timeout: 30_000 });
  assert.match(await flash.textContent(), /^Validation passed/, await cp.locator('#sso-report').textContent());
}

/** The shown result of a test sign-in that passed; returns its text for the protocol's own checks. */
export async function passedTestResult(cp) {
  const result = cp.locator('#sso-test-result:not([hidden]) .sso-test__content');
  await result.waitFor({ timeout: 30_000 });
  assert.equal(await result.getAttribute('data-state'), 'passed', await result.textContent());
  return result.textContent();
}

/** The customer admin submits the draft for review. */
export async function submitForReview(cp) {
  await cp.locator('#sso-card').getByRole('button', { name: 'Submit for review' }).click();
  await cp.locator('#sso-flash').filter({ hasText: 'sent to us for review' }).waitFor();
}

/** The operator approves the customer's submitted version and makes it live; returns the operator's tab. */
export async function approveAndActivate(load, operatorUrl, operator, cust) {
  const ops = await load(`${operatorUrl}/admin/`);
  const op = ops.page;
  await signInOperator(op, operator);
  await openTab(op, 'Review queue');
  const title = `${cust.name}: Single sign-on`;
  const review = op.locator('#reviews-list article').filter({ has: op.getByRole('heading', { name: title, exact: true }) });
  await review.waitFor();
  await review.getByRole('button', { name: `Approve: ${title}` }).click();
  await op.locator('#reviews-flash').filter({ hasText: `Approved ${title}.` }).waitFor();
  await openCustomer(op, cust);
  const activate = op.locator('#cp-sso-activate');
  await activate.waitFor();
  await activate.click();
  await op.locator('#cp-sso-activation-flash[data-kind="success"]').filter({ hasText: /Version \d+ is live\./ }).waitFor();
  return ops;
}

/**
 * A member with no account signs in with "Continue with single sign-on" and
 * lands in the console. returnPath is the path the IdP sends the browser
 * back to (callback or ACS), returnName names it in the message. Returns the
 * visitor's tab.
 */
export async function memberSignIn({ load, publicUrl, email, returnPath, returnName, loginType }) {
  const visitor = await load(`${publicUrl}/`);
  const mp = visitor.page;
  await mp.getByLabel('Work email').fill(email);
  const started = mp.waitForResponse((r) => r.url().endsWith('/api/v1/sso/start'));
  const back = mp.waitForResponse((r) => new URL(r.url()).pathname === returnPath, { timeout: 30_000 });
  await mp.getByRole('button', { name: 'Continue with single sign-on' }).click();
  assert.equal((await started).status(), 200, 'POST /sso/start found the live configuration');
  assert.equal((await back).status(), 303, `the ${returnName} signed the member in`);
  await mp.getByRole('heading', { name: 'Account Setup', level: 1 }).waitFor({ timeout: 30_000 });
  assert.equal(new URL(mp.url()).pathname, '/');
  const session = await mp.request.get(`${publicUrl}/api/v1/session`);
  assert.equal(session.status(), 200);
  const me = await session.json();
  assert.equal(me.login_type, loginType);
  assert.equal(me.user.email, email);
  assert.equal(me.user.role, 'customer_member');
  return visitor;
}
