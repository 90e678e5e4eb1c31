/*
 * sso-live.test.mjs — the go-live parts of the single sign-on card in
 * headless Chromium:
 *
 *  1. a customer admin sees what to register at the IdP (redirect URI, SAML
 *     entity ID, ACS and metadata URLs, each naming the customer's slug) and
 *     copies one (clipboard, or the selected text when the clipboard is
 *     refused); the OIDC form has the client ID field; "Require single
 *     sign-on for members" is saved and says it waits for go-live;
 *  2. the operator's customer page shows the activation facts (not live) and
 *     offers no Activate button while nothing is approved.
 *
 * The full path to a live configuration (test sign-in through an IdP) is the
 * OIDC browser test's; the activation rules are covered by
 * tests/integration/test_sso_live.py.
 */

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  openCustomer, saveScreenshot, seedCustomer, seedOperator, openSection, signInCustomer, signInOperator, suite, unique,
} from './lib.mjs';

const tag = unique('ssolive');
const PW = 'Granite-Harbor-Willow-2041';
const operator = { username: `${tag}-op`, password: PW };
const cust = {
  slug: `${tag}-c`,
  name: `SSO Live ${tag}`,
  admin: { username: `${tag}-admin`, role: 'customer_admin', password: PW },
};

const { publicUrl, operatorUrl, load } = suite({
  seed: () => {
    seedOperator(operator);
    seedCustomer({ slug: cust.slug, name: cust.name, seats: 10, users: [cust.admin] });
  },
});

describe('single sign-on go-live', () => {
  test('registration details with copy buttons, client ID, require SSO; the operator sees it is not live', async () => {
    const customer = await load(`${publicUrl}/`);
    const cp = customer.page;
    await signInCustomer(cp, cust.admin.username, PW);
    await openSection(cp, 'sso');
    const redirect = cp.getByRole('textbox', { name: 'OpenID Connect redirect URI', exact: true });
    await redirect.waitFor();
    assert.equal(await redirect.inputValue(), `${publicUrl}/api/v1/sso/oidc/callback/${cust.slug}`);
    assert.equal(await cp.getByRole('textbox', { name: 'SAML entity ID (audience)', exact: true }).inputValue(), `${publicUrl}/api/v1/sso/saml/${cust.slug}`);
    assert.equal(await cp.getByRole('textbox', { name: 'SAML assertion consumer service (ACS) URL', exact: true }).inputValue(),
      `${publicUrl}/api/v1/sso/saml/${cust.slug}/acs`);
    assert.equal(await cp.getByRole('textbox', { name: 'SAML service provider metadata URL', exact: true }).inputValue(),
      `${publicUrl}/api/v1/sso/saml/${cust.slug}/metadata`);
    await cp.getByRole('button', { name: 'Copy OpenID Connect redirect URI' }).click();
    await cp.locator('#sso-sp .copied').filter({ hasText: /Copied to the clipboard|Select the text/ }).first().waitFor();
    assert.match(await cp.locator('#sso-live-state').textContent(), /Not live/);
    assert.match(await cp.locator('#sso-approved').textContent(), /Nothing approved yet/);

    // The OIDC form asks for the client ID, and it is saved with the draft.
    await cp.locator('#sso-card').getByLabel('OpenID Connect (OIDC)').check();
    const clientId = cp.locator('#sso-card').getByLabel('Client ID');
    await clientId.fill('onramp-browser-client');
    await cp.locator('#sso-card').getByLabel('Discovery URL or issuer').fill('https://login.example.com');
    await cp.locator('#sso-card').getByLabel('Expected email domains').fill(`${tag}.example`);
    await cp.getByRole('button', { name: 'Save single sign-on details' }).click();
    await cp.locator('#sso-flash[data-kind="success"]').filter({ hasText: 'were saved' }).waitFor();
    await cp.reload();
    await cp.locator('#sso-card:not([hidden])').waitFor();
    await cp.getByRole('textbox', { name: 'OpenID Connect redirect URI', exact: true }).waitFor();
    assert.equal(await cp.locator('#sso-card').getByLabel('Client ID').inputValue(), 'onramp-browser-client');

    // Require SSO before go-live: kept, and the page says when it applies.
    const box = cp.getByLabel('Require single sign-on for members');
    await box.check();
    await cp.locator('#sso-live-flash[data-kind="success"]').filter({ hasText: 'once it is live' }).waitFor();
    assert.match(await cp.locator('#sso-require-hint').textContent(), /Takes effect once single sign-on is live/);
    await cp.reload();
    await cp.locator('#sso-card:not([hidden])').waitFor();
    await cp.getByRole('textbox', { name: 'OpenID Connect redirect URI', exact: true }).waitFor();
    assert.equal(await cp.getByLabel('Require single sign-on for members').isChecked(), true);
    await saveScreenshot(cp, 'sso-live-registration');

    const ops = await load(`${operatorUrl}/admin/`);
    const op = ops.page;
    await signInOperator(op, operator);
    await openCustomer(op, cust);
    const facts = op.locator('#cp-sso-golive');
    await facts.locator('dl').waitFor();
    assert.match(await facts.textContent(), /Live version\s*not live/);
    assert.match(await facts.textContent(), /Require SSO for members\s*yes/);
    assert.equal(await op.locator('#cp-sso-activate').isVisible(), false, 'nothing approved: no Activate button');
    assert.equal(await op.locator('#cp-sso-deactivate').isVisible(), false);
    assert.deepEqual([...customer.problems, ...ops.problems], []);
  });
});
