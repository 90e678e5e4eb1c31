/*
 * sso-saml.test.mjs — SAML single sign-on in headless Chromium against the
 * test SAML IdP (tests/idp/saml.mjs, samlify; started by tests/browser/run.py
 * because this file names the ONRAMP_SAML_ variables):
 *
 *  1. the customer admin chooses SAML 2.0 with the IdP's metadata URL,
 *     domains, attribute names, groups and a test user, validates; the IdP
 *     registers the SP from the metadata URL the SSO card shows; the admin
 *     runs a test sign-in (Chromium goes to the IdP, whose page posts the
 *     response to the ACS) and sees its result, then submits;
 *  2. the operator approves and makes the version live;
 *  3. a member with no account signs in with "Continue with single sign-on"
 *     through the IdP and lands in the console; GET /session says saml.
 *
 * Chromium reaches the IdP by its host name through --host-resolver-rules and
 * trusts only the IdP's leaf key (an SPKI pin).
 */

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import {
  openCustomer, openTab, saveScreenshot, seedCustomer, seedOperator, signInCustomer, signInOperator, suite, unique,
} from './lib.mjs';

function idpSetting(name) {
  const value = process.env[`ONRAMP_SAML_${name}`];
  if (!value) throw new Error(`ONRAMP_SAML_${name} is not set: run through tests/browser/run.py (it starts the test IdP)`);
  return value;
}

const IDP = {
  metadataUrl: idpSetting('METADATA_URL'),
  ssoUrl: idpSetting('SSO_URL'),
  port: Number(idpSetting('PORT')),
  ca: readFileSync(idpSetting('CA')),
  chromiumArgs: JSON.parse(idpSetting('CHROMIUM_ARGS')),
};

/** POST /__test/NAME on the IdP's loopback control API (tests/integration/saml_idp.py documents it). */
function idpControl(name, body = {}) {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port: IDP.port, servername: new URL(IDP.ssoUrl).hostname, ca: IDP.ca,
      method: 'POST', path: `/__test/${name}`,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => (res.statusCode === 200
        ? resolve(JSON.parse(text))
        : reject(new Error(`test IdP ${name}: ${res.statusCode} ${text.slice(0, 300)}`))));
    });
    req.on('error', reject);
    req.end(data);
  });
}

const tag = unique('ssosaml');
const PW = 'Granite-Harbor-Willow-2041';
const ADMIN_GROUP = 'onramp-admins';
const MEMBER_GROUP = 'onramp-users';
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const operator = { username: `${tag}-op`, password: PW };
const cust = {
  slug: `${tag}-c`,
  name: `SAML Sign-in ${tag}`,
  admin: { username: `${tag}-admin`, role: 'customer_admin', password: PW },
};
const domain = `${cust.slug}.example`;
const samlUser = (email, groups, username) => ({
  name_id: email, name_id_format: EMAIL_FORMAT, attributes: { email: [email], groups, username: [username] },
});
const tester = samlUser(`tess@${domain}`, ['other-group', ADMIN_GROUP], `tess-${tag}`);
const member = samlUser(`mia@${domain}`, [MEMBER_GROUP], `mia-${tag}`);

const { publicUrl, operatorUrl, load } = suite({
  seed: () => {
    seedOperator(operator);
    seedCustomer({ slug: cust.slug, name: cust.name, seats: 10, users: [cust.admin] });
  },
  chromiumArgs: IDP.chromiumArgs,
});

const card = (page) => page.locator('#sso-card');
const acsPath = `/api/v1/sso/saml/${cust.slug}/acs`;

async function registerSaml(cp) {
  await card(cp).getByLabel('SAML 2.0').check();
  await card(cp).getByLabel('From a metadata URL').check();
  await card(cp).getByLabel('Metadata URL', { exact: true }).fill(IDP.metadataUrl);
  await card(cp).getByLabel('Expected email domains').fill(domain);
  await card(cp).getByLabel('Test users').fill(tester.name_id);
  await card(cp).getByLabel('Username claim').fill('username');
  await card(cp).getByLabel('Email claim').fill('email');
  await card(cp).getByLabel('Groups claim').fill('groups');
  await card(cp).getByLabel('Admin groups').fill(ADMIN_GROUP);
  await card(cp).getByLabel('Member groups').fill(MEMBER_GROUP);
  const saved = cp.waitForResponse((r) => r.request().method() === 'PUT' && new URL(r.url()).pathname === '/api/v1/sso');
  await cp.getByRole('button', { name: 'Save single sign-on details' }).click();
  assert.equal((await saved).status(), 200, 'the draft is saved');
  await cp.locator('#sso-flash[data-kind="success"]').filter({ hasText: 'were saved' }).waitFor();
}

async function validate(cp) {
  const queued = cp.waitForResponse((r) => r.url().endsWith('/api/v1/sso/validate'));
  await cp.getByRole('button', { name: 'Validate', exact: true }).click();
  assert.equal((await queued).status(), 202, 'the validation is queued');
  const flash = cp.locator('#sso-flash').filter({ hasText: /^Validation (passed|failed)/ });
  await flash.waitFor({ timeout: 30_000 });
  assert.match(await flash.textContent(), /^Validation passed/, await cp.locator('#sso-report').textContent());
}

/** A test sign-in as the test user: Chromium goes to the IdP, its page posts to the ACS. */
async function testSignIn(cp) {
  await idpControl('user', tester);
  const before = (await idpControl('stats')).authn_requests;
  const leftForIdp = cp.waitForRequest((r) => r.url().startsWith(IDP.ssoUrl) && r.isNavigationRequest());
  const back = cp.waitForResponse((r) => new URL(r.url()).pathname === acsPath, { timeout: 30_000 });
  await card(cp).getByRole('button', { name: 'Run a test sign-in' }).click();
  await leftForIdp;
  const answer = await back;
  assert.equal(answer.request().method(), 'POST');
  assert.equal(answer.status(), 303, 'the ACS stored the result and sent the browser back');
  assert.match(answer.headers().location, /^\/#sso-test-\d+$/);
  const result = cp.locator('#sso-test-result:not([hidden]) .sso-test__content');
  await result.waitFor({ timeout: 30_000 });
  assert.equal(await result.getAttribute('data-state'), 'passed', await result.textContent());
  const text = await result.textContent();
  assert.ok(text.includes(tester.name_id), 'the NameID and email the IdP sent are shown');
  assert.match(text, /Matched test user/);
  assert.match(text, /Customer admin/, 'the role the admin group gives');
  assert.equal((await idpControl('stats')).authn_requests, before + 1, 'one AuthnRequest reached the IdP');
}

describe('single sign-on through the test SAML IdP', () => {
  test('SAML draft, test sign-in, approve, activate; a member signs in through the IdP', async () => {
    const customer = await load(`${publicUrl}/`);
    const cp = customer.page;
    await signInCustomer(cp, cust.admin.username, PW);
    await cp.locator('#sso-card:not([hidden])').waitFor();
    const metadataUrl = await cp.getByRole('textbox', { name: 'SAML service provider metadata URL', exact: true }).inputValue();
    assert.equal(metadataUrl, `${publicUrl}/api/v1/sso/saml/${cust.slug}/metadata`);
    await registerSaml(cp);
    await validate(cp);
    // The IdP's administrator registers onramp from the metadata URL the card shows.
    const sp = await idpControl('sp', { metadata_url: metadataUrl });
    assert.equal(sp.acs, `${publicUrl}${acsPath}`);
    await testSignIn(cp);
    await saveScreenshot(cp, 'sso-saml-test-result');
    await cp.locator('#sso-card').getByRole('button', { name: 'Submit for review' }).click();
    await cp.locator('#sso-flash').filter({ hasText: 'sent to us for review' }).waitFor();

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

    await idpControl('user', member);
    const visitor = await load(`${publicUrl}/`);
    const mp = visitor.page;
    await mp.getByLabel('Work email').fill(member.name_id);
    const started = mp.waitForResponse((r) => r.url().endsWith('/api/v1/sso/start'));
    const acs = mp.waitForResponse((r) => new URL(r.url()).pathname === acsPath, { timeout: 30_000 });
    await mp.getByRole('button', { name: 'Continue with single sign-on' }).click();
    assert.equal((await started).status(), 200, 'POST /sso/start found the live configuration');
    assert.equal((await acs).status(), 303, 'the ACS signed the member in');
    await mp.getByRole('heading', { name: 'Account Setup', level: 1 }).waitFor({ timeout: 30_000 });
    assert.equal(new URL(mp.url()).pathname, '/');
    const session = await mp.request.get(`${publicUrl}/api/v1/session`);
    assert.equal(session.status(), 200);
    const me = await session.json();
    assert.equal(me.login_type, 'saml');
    assert.equal(me.user.email, member.name_id);
    assert.equal(me.user.role, 'customer_member');
    await saveScreenshot(mp, 'sso-saml-member');
    assert.deepEqual([...customer.problems, ...ops.problems, ...visitor.problems], []);
  });
});
