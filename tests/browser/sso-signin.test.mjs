/*
 * sso-signin.test.mjs — single sign-on from registration to a member's
 * sign-in, in headless Chromium against the test OpenID Provider
 * (tests/idp/op.mjs, started by tests/browser/run.py because this file names
 * the ONRAMP_OP_ variables):
 *
 *  1. the customer admin registers the OP's client (client ID, discovery
 *     URL, domains, groups, a test user), stores the client secret,
 *     validates, runs a test sign-in (Chromium follows the redirect through
 *     the OP and back to onramp) and sees its result, then submits;
 *  2. the operator approves in the review queue and makes the approved
 *     version live on the customer's page;
 *  3. a member who has no account yet signs in with "Continue with single
 *     sign-on" and lands in the console; GET /session says login_type oidc.
 *
 * Every step waits for what it should change (a flash, a state, a count at
 * the OP) and checks the server's answer, so a step that silently does
 * nothing fails here. Chromium reaches the OP by its issuer host name through
 * --host-resolver-rules and trusts only the OP's leaf key (an SPKI pin).
 */

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { saveScreenshot, seedCustomer, seedOperator, openSection, signInCustomer, suite, unique } from './lib.mjs';
import {
  approveAndActivate, card, controlClient, memberSignIn, passedTestResult, saveDraft, settingsReader, submitForReview, validate,
} from './sso-lib.mjs';

const opSetting = settingsReader('ONRAMP_OP_', 'the test OP');

const OP = {
  issuer: opSetting('ISSUER'),
  port: Number(opSetting('PORT')),
  ca: readFileSync(opSetting('CA')),
  clientId: opSetting('CLIENT_ID'),
  clientSecret: opSetting('CLIENT_SECRET'),
  chromiumArgs: JSON.parse(opSetting('CHROMIUM_ARGS')),
};

/** POST /__test/NAME on the OP's loopback control API (tests/integration/oidc_op.py documents it). */
const opControl = controlClient({ port: OP.port, servername: new URL(OP.issuer).hostname, ca: OP.ca, label: 'test OP' });

const tag = unique('ssosign');
const PW = 'Granite-Harbor-Willow-2041';
const ADMIN_GROUP = 'onramp-admins';
const MEMBER_GROUP = 'onramp-users';
const operator = { username: `${tag}-op`, password: PW };
const cust = {
  slug: `${tag}-c`,
  name: `SSO Sign-in ${tag}`,
  admin: { username: `${tag}-admin`, role: 'customer_admin', password: PW },
};
const domain = `${cust.slug}.example`;
const tester = {
  sub: `tess-${tag}`, email: `tess@${domain}`, email_verified: true, groups: [ADMIN_GROUP], preferred_username: `tess-${tag}`,
};
const member = {
  sub: `mia-${tag}`, email: `mia@${domain}`, email_verified: true, groups: [MEMBER_GROUP], preferred_username: `mia-${tag}`,
};

const { publicUrl, operatorUrl, load } = suite({
  seed: () => {
    seedOperator(operator);
    seedCustomer({ slug: cust.slug, name: cust.name, seats: 10, users: [cust.admin] });
  },
  chromiumArgs: OP.chromiumArgs,
});

const callbackPath = `/api/v1/sso/oidc/callback/${cust.slug}`;

/** Fill the OIDC draft with the OP's client and save it; waits for the saved flash. */
async function registerClient(cp) {
  await card(cp).getByLabel('OpenID Connect (OIDC)').check();
  await card(cp).getByLabel('Client ID').fill(OP.clientId);
  await card(cp).getByLabel('Discovery URL or issuer').fill(`${OP.issuer}/.well-known/openid-configuration`);
  await card(cp).getByLabel('Expected email domains').fill(domain);
  await card(cp).getByLabel('Test users').fill(tester.email);
  await card(cp).getByLabel('Admin groups').fill(ADMIN_GROUP);
  await card(cp).getByLabel('Member groups').fill(MEMBER_GROUP);
  await saveDraft(cp);
}

/** Store the client secret through the write-only field; the field is emptied, the status says set. */
async function storeSecret(cp) {
  const form = cp.locator('#sso-secret-form:not([hidden])');
  await form.waitFor();
  await form.getByLabel('New client secret').fill(OP.clientSecret);
  const stored = cp.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith('/api/v1/sso/secret'));
  await form.getByRole('button', { name: 'Store client secret' }).click();
  assert.equal((await stored).status(), 204, 'the secret is stored');
  await cp.locator('#sso-secret-flash[data-kind="success"]').waitFor();
  assert.equal(await form.getByLabel('New client secret').inputValue(), '', 'the secret does not stay in the page');
  const sso = await (await cp.request.get(`${publicUrl}/api/v1/sso`)).json();
  assert.equal(sso.secret?.set, true, 'GET /sso says a secret is set');
}

/** Run a test sign-in as the test user: Chromium goes to the OP and back; the result is shown. */
async function testSignIn(cp) {
  await opControl('user', tester);
  const before = (await opControl('stats')).token;
  const leftForOp = cp.waitForRequest((r) => r.url().startsWith(`${OP.issuer}/`) && r.isNavigationRequest());
  const back = cp.waitForResponse((r) => new URL(r.url()).pathname === callbackPath, { timeout: 30_000 });
  await card(cp).getByRole('button', { name: 'Run a test sign-in' }).click();
  await leftForOp;
  const answer = await back;
  assert.equal(answer.status(), 303, 'the callback stored the result and sent the browser back');
  assert.match(answer.headers().location, /^\/#sso-test-\d+$/);
  const text = await passedTestResult(cp);
  assert.ok(text.includes(tester.sub), 'the subject the OP sent is shown');
  assert.ok(text.includes(tester.email), 'the email the OP sent is shown');
  assert.match(text, /Matched test user/);
  assert.match(text, /Customer admin/, 'the role the admin group gives');
  assert.equal((await opControl('stats')).token, before + 1, 'onramp exchanged the code at the OP once');
  // Consumed, and the address names the section it opened (issue 16).
  assert.equal(await cp.evaluate(() => location.hash), '#setup/sso', 'the #sso-test-<id> fragment is consumed');
}

describe('single sign-on through the test OpenID Provider', () => {
  test('register, test sign-in, approve, activate; a member signs in with SSO and lands in the console', async () => {
    // 1. The customer admin.
    const customer = await load(`${publicUrl}/`);
    const cp = customer.page;
    await signInCustomer(cp, cust.admin.username, PW);
    await openSection(cp, 'sso');
    const redirectUri = await cp.getByRole('textbox', { name: 'OpenID Connect redirect URI', exact: true }).inputValue();
    assert.equal(redirectUri, `${publicUrl}${callbackPath}`);
    // The admin registers that redirect URI at the IdP (here: the OP's control API).
    await opControl('redirect_uris', { redirect_uris: [redirectUri] });
    await registerClient(cp);
    await storeSecret(cp);
    await validate(cp);
    await testSignIn(cp);
    await saveScreenshot(cp, 'sso-signin-test-result');
    await submitForReview(cp);

    // 2. The operator approves, then makes the approved version live.
    const ops = await approveAndActivate(load, operatorUrl, operator, cust);
    const op = ops.page;
    assert.doesNotMatch(await op.locator('#cp-sso-golive').textContent(), /Live version\s*not live/);

    // 3. A member with no account yet signs in through the IdP.
    await opControl('user', member);
    const before = (await opControl('stats')).token;
    const visitor = await memberSignIn({
      load, publicUrl, email: member.email, returnPath: callbackPath, returnName: 'callback', loginType: 'oidc',
    });
    assert.equal((await opControl('stats')).token, before + 1, 'the sign-in exchanged one code at the OP');
    await saveScreenshot(visitor.page, 'sso-signin-member');
    assert.deepEqual([...customer.problems, ...ops.problems, ...visitor.problems], []);
  });
});
