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
import { readFileSync } from 'node:fs';
import { saveScreenshot, seedCustomer, seedOperator, openSection, signInCustomer, suite, unique } from './lib.mjs';
import {
  approveAndActivate, card, controlClient, memberSignIn, passedTestResult, saveDraft, settingsReader, submitForReview, validate,
} from './sso-lib.mjs';

const idpSetting = settingsReader('ONRAMP_SAML_', 'the test IdP');

const IDP = {
  metadataUrl: idpSetting('METADATA_URL'),
  ssoUrl: idpSetting('SSO_URL'),
  port: Number(idpSetting('PORT')),
  ca: readFileSync(idpSetting('CA')),
  chromiumArgs: JSON.parse(idpSetting('CHROMIUM_ARGS')),
};

/** POST /__test/NAME on the IdP's loopback control API (tests/integration/saml_idp.py documents it). */
const idpControl = controlClient({ port: IDP.port, servername: new URL(IDP.ssoUrl).hostname, ca: IDP.ca, label: 'test IdP' });

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
  await saveDraft(cp);
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
  assert.equal(answer.status(), 303, `the ACS stored the result and sent the browser back: ${
    answer.status() === 303 ? '' : (await answer.text()).replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').slice(0, 400)}`);
  assert.match(answer.headers().location, /^\/#sso-test-\d+$/);
  const text = await passedTestResult(cp);
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
    await openSection(cp, 'sso');
    const metadataUrl = await cp.getByRole('textbox', { name: 'SAML service provider metadata URL', exact: true }).inputValue();
    assert.equal(metadataUrl, `${publicUrl}/api/v1/sso/saml/${cust.slug}/metadata`);
    await registerSaml(cp);
    await validate(cp);
    // The IdP's administrator registers onramp from the metadata URL the card shows.
    const sp = await idpControl('sp', { metadata_url: metadataUrl });
    assert.equal(sp.acs, `${publicUrl}${acsPath}`);
    await testSignIn(cp);
    await saveScreenshot(cp, 'sso-saml-test-result');
    await submitForReview(cp);

    const ops = await approveAndActivate(load, operatorUrl, operator, cust);

    await idpControl('user', member);
    const visitor = await memberSignIn({
      load, publicUrl, email: member.name_id, returnPath: acsPath, returnName: 'ACS', loginType: 'saml',
    });
    const mp = visitor.page;
    await saveScreenshot(mp, 'sso-saml-member');
    assert.deepEqual([...customer.problems, ...ops.problems, ...visitor.problems], []);
  });
});
