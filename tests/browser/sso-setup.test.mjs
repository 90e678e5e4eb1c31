/*
 * sso-setup.test.mjs — IT-admin setup links in headless Chromium:
 *
 *  1. a customer admin sends a setup link from the single sign-on card
 *     ("Send a setup link to your IT admin") and sees it listed as active;
 *  2. the IT admin, in another browser, opens the mailed link: the token
 *     leaves the address bar, the page shows the console's SSO card (without
 *     the setup-links part) for that organisation, and the IT admin pastes
 *     SAML metadata, saves and validates the draft;
 *  3. the customer admin sees the saved draft, revokes the link, and the IT
 *     admin's next step ends the page with a sentence saying so.
 *
 * Names are unique per run; the test ends by asserting that no page logged a
 * console error, page error or CSP violation.
 */

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  seedCustomer, openSection, signInCustomer, suite, unique, waitForMail,
} from './lib.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const OKTA_XML = readFileSync(join(HERE, '..', 'corpus', 'saml', 'okta_trial-1022863_idp-metadata.xml'), 'utf8');

const tag = unique('ssolink');
const PW = 'Granite-Harbor-Willow-2041';
const domain = `${tag}.example`;
const org = {
  slug: `${tag}-org`,
  name: `Setup Link ${tag}`,
  admin: { username: `${tag}-admin`, role: 'customer_admin', password: PW },
};
const itAdmin = `it@${domain}`;

const { publicUrl, load } = suite({
  seed: () => seedCustomer({ slug: org.slug, name: org.name, seats: 10, users: [org.admin] }),
});

describe('IT-admin setup links', () => {
  test('send a link, the holder edits and validates the draft, revoking ends the page', async () => {
    const admin = await load(`${publicUrl}/`);
    const ap = admin.page;
    await signInCustomer(ap, org.admin.username, PW);
    await openSection(ap, 'sso');

    // 1. Send the link.
    const links = ap.locator('#sso-links');
    await links.getByLabel('Their email address').fill(itAdmin);
    await links.getByLabel(/Valid for/).fill('24');
    await links.getByRole('button', { name: 'Send setup link' }).click();
    await ap.locator('#sso-links-flash[data-kind="success"]').waitFor();
    const row = ap.locator(`#sso-links-rows tr[data-email="${itAdmin}"]`);
    assert.equal(await row.getAttribute('data-state'), 'active');
    const token = await waitForMail({ to: itAdmin, match: /\/sso-setup\.html#token=([A-Za-z0-9_-]{43})/ });

    // 2. The IT admin opens it in a browser of their own.
    const it = await load(`${publicUrl}/sso-setup.html#token=${token}`);
    const ip = it.page;
    await ip.locator('[data-view="setup"]:not([hidden])').waitFor();
    assert.equal(new URL(ip.url()).hash, '', 'the token left the address bar');
    assert.equal(await ip.locator('#setup-customer').textContent(), org.name);
    assert.equal(await ip.locator('#setup-email').textContent(), itAdmin);
    const card = ip.locator('#sso-card');
    await card.locator('#sso-review .badge').waitFor();
    assert.equal(await ip.locator('#sso-links').count(), 0, 'a link holder cannot send links');
    assert.equal(await ip.locator('#checklist-card, #members-card, #details-card').count(), 0);
    await card.getByLabel('SAML 2.0').check();
    await card.getByLabel('Pasted or uploaded XML').check();
    await card.getByLabel('Metadata XML', { exact: true }).fill(OKTA_XML);
    await card.getByLabel('Expected email domains').fill(domain);
    await card.getByLabel('Test users').fill(`alice@${domain}`);
    await ip.getByRole('button', { name: 'Save single sign-on details' }).click();
    await ip.locator('#sso-flash[data-kind="success"]').filter({ hasText: 'were saved' }).waitFor();
    await ip.getByRole('button', { name: 'Validate', exact: true }).click();
    await ip.locator('#sso-flash').filter({ hasText: 'Validation passed' }).waitFor();

    // 3. The admin sees the draft the IT admin saved, and revokes the link.
    await ap.reload();
    await ap.locator('#sso-protocol').filter({ hasText: 'SAML 2.0' }).waitFor();
    await row.getByRole('button', { name: 'Revoke' }).click();
    await ap.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await ap.locator('#sso-links-flash[data-kind="success"]').waitFor();
    assert.equal(await row.getAttribute('data-state'), 'revoked');

    // The holder's next step ends the page.
    await ip.getByRole('button', { name: 'Validate', exact: true }).click();
    await ip.locator('[data-view="gone"]:not([hidden])').waitFor();
    assert.match(await ip.locator('#gone-text').textContent(), /revoked or expired/);

    assert.deepEqual([...admin.problems, ...it.problems], []);
  });
});
