/*
 * sso.test.mjs — single sign-on setup end to end in headless Chromium, a
 * customer browser and an operator browser side by side:
 *
 *  1. a new customer admin (created with onrampctl) chooses SAML on Account
 *     Setup, uploads the metadata of a real IdP (tests/corpus, Okta, whose
 *     signing certificate runs until 2034) through the file input, fills
 *     domains, claims, groups and test users; a free-mail domain and a test
 *     user outside the domains come back next to their fields;
 *  2. saves, validates (each check and the summary with the certificate's
 *     SHA-256 fingerprint), edits (the page asks for a new validation and
 *     Submit is disabled), validates again and submits;
 *  3. an operator reads the draft and the report in the review queue and
 *     approves it; the customer's checklist shows the sso item done, and the
 *     operator's customer page shows the draft and the report.
 *
 * A second test: pasted metadata holding a PEM private key is refused at the
 * XML field and the key appears in no answer; metadata with an http SSO
 * location and an expired certificate (corpus, PingOne) validate with a
 * failing check shown, and Submit stays disabled.
 *
 * A third: an OIDC draft's write-only client secret is stored through its
 * own password field, which empties at once; the card then says when and by
 * whom it was set, never the value, which is in no answer the page received;
 * Remove clears it.
 *
 * Names are unique per run; every test ends by asserting that no page logged
 * a console error, page error or CSP violation.
 */

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  openCustomer, openTab, recordApiBodies, saveScreenshot, seedCustomer, seedOperator, unique,
  openSection, signInCustomer, signInOperator, suite,
} from './lib.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const CORPUS = join(HERE, '..', 'corpus', 'saml');
const OKTA_XML = readFileSync(join(CORPUS, 'okta_trial-1022863_idp-metadata.xml'), 'utf8');
const PING_EXPIRED_XML = readFileSync(join(CORPUS, 'pingone_idp-metadata_expired.xml'), 'utf8');
const OKTA_ENTITY = 'http://www.okta.com/exkdoocxa1VmjpXmX697';
const OKTA_FINGERPRINT = '21:D5:E6:FF:D3:60:7D:88:BD:8E:EE:5F:97:9F:CB:E9:C3:A3:08:BF:E8:E4:42:A4:41:36:AB:60:B9:21:6B:CF';

const tag = unique('sso');
const PW = 'Granite-Harbor-Willow-2041';
const operator = { username: `${tag}-op`, password: PW };
const domain = `${tag}.example`;

const flow = {
  slug: `${tag}-flow`,
  name: `SSO Flow ${tag}`,
  admin: { username: `${tag}-flow-admin`, role: 'customer_admin', password: PW },
};
const oidc = {
  slug: `${tag}-oidc`,
  name: `SSO OIDC ${tag}`,
  admin: { username: `${tag}-oidc-admin`, role: 'customer_admin', password: PW },
};
const checks = {
  slug: `${tag}-checks`,
  name: `SSO Checks ${tag}`,
  admin: { username: `${tag}-checks-admin`, role: 'customer_admin', password: PW },
};

/* load(url) opens `url` in a fresh browser context (no cookies shared). */
const { publicUrl, operatorUrl, load } = suite({
  seed: () => {
    seedOperator(operator);
    seedCustomer({ slug: flow.slug, name: flow.name, seats: 10, users: [flow.admin] });
    seedCustomer({ slug: checks.slug, name: checks.name, seats: 10, users: [checks.admin] });
    seedCustomer({ slug: oidc.slug, name: oidc.name, seats: 10, users: [oidc.admin] });
  },
});

/* ---- the customer console ---------------------------------------------- */

async function customerSignIn(page, username, password) {
  await signInCustomer(page, username, password);
  await openSection(page, 'sso');
}

async function reloadCustomer(page) {
  await page.reload();
  await page.getByRole('heading', { name: 'Account Setup', level: 1 }).waitFor();
  await page.locator('#checklist-items li').first().waitFor({ state: 'attached' });
  await page.locator('#sso-review .badge').waitFor();
}

const ssoCard = (page) => page.locator('#sso-card');

/** Choose SAML with pasted XML and put `xml` in the box. */
async function pasteSaml(page, xml) {
  const card = ssoCard(page);
  await card.getByLabel('SAML 2.0').check();
  await card.getByLabel('Pasted or uploaded XML').check();
  await card.getByLabel('Metadata XML', { exact: true }).fill(xml);
}

async function fillCommon(page, { domains, testUsers, adminGroups = 'onramp-admins', memberGroups = 'engineering\nsupport' }) {
  const card = ssoCard(page);
  await card.getByLabel('Expected email domains').fill(domains);
  await card.getByLabel('Test users').fill(testUsers);
  await card.getByLabel('Admin groups').fill(adminGroups);
  await card.getByLabel('Member groups').fill(memberGroups);
}

async function saveSso(page) {
  await page.getByRole('button', { name: 'Save single sign-on details' }).click();
  await page.locator('#sso-flash[data-kind="success"]').filter({ hasText: 'were saved' }).waitFor();
}

/**
 * Press Validate: the POST queues a job (202), the page polls it, and this waits for the
 * report of this validation.
 */
async function validate(page) {
  const flash = page.locator('#sso-flash');
  const queued = page.waitForResponse((r) => r.url().endsWith('/api/v1/sso/validate'));
  const polled = page.waitForResponse((r) => /\/api\/v1\/sso\/validations\/\d+$/.test(r.url()));
  await page.getByRole('button', { name: 'Validate', exact: true }).click();
  assert.equal((await queued).status(), 202, 'the validation is queued as a job');
  assert.equal((await polled).status(), 200, 'the page follows the job');
  await flash.filter({ hasText: /^Validation (passed|failed)/ }).waitFor();
  await page.locator('#sso-report:not([hidden]) .sso-report__content[data-stale="false"]').waitFor();
  return (await flash.textContent()).trim();
}

/* ---- the operator console ---------------------------------------------- */

const operatorSignIn = (page) => signInOperator(page, operator);

describe('single sign-on', () => {
  test('SAML metadata: validate, submit, the operator approves, the checklist item is done', async () => {
    const customer = await load(`${publicUrl}/`);
    const cp = customer.page;
    await customerSignIn(cp, flow.admin.username, PW);
    const card = ssoCard(cp);
    assert.equal(await cp.locator('#sso-protocol').textContent(), 'Not chosen yet');
    assert.equal(await cp.locator('#checklist-items > li[data-key="sso"]').getAttribute('data-state'), 'todo');
    // Nothing to save, validate or submit before a protocol is chosen.
    assert.equal(await card.getByRole('button', { name: 'Validate', exact: true }).isVisible(), false);

    // 1. SAML, metadata uploaded through the file input (read by FileReader into the box).
    await card.getByLabel('SAML 2.0').check();
    await card.getByLabel('Pasted or uploaded XML').check();
    assert.equal(await card.getByLabel('Metadata URL', { exact: true }).isVisible(), false);
    await card.getByLabel('Or upload the metadata file').setInputFiles({
      name: 'okta-metadata.xml', mimeType: 'application/xml', buffer: Buffer.from(OKTA_XML),
    });
    await cp.locator('#sso-flash').filter({ hasText: 'okta-metadata.xml was read' }).waitFor();
    assert.equal(await card.getByLabel('Metadata XML', { exact: true }).inputValue(), OKTA_XML);
    // Every field says what not to paste; the claim names start from the usual ones.
    for (const hint of ['#sso-metadata-xml-hint', '#sso-email-domains-hint', '#sso-test-users-hint', '#sso-groups-hint', '#sso-discovery-url-hint', '#sso-metadata-url-hint']) {
      assert.match(await cp.locator(hint).textContent(), /[Nn](o|ot|ever) /, hint);
    }
    assert.equal(await card.getByLabel('Username claim').inputValue(), 'preferred_username');
    assert.equal(await card.getByLabel('Email claim').inputValue(), 'email');
    assert.equal(await card.getByLabel('Groups claim').inputValue(), 'groups');

    // A free-mail domain and a test user outside the domains come back next to their fields.
    await fillCommon(cp, { domains: `${domain}, gmail.com`, testUsers: `alice@${domain}\nmallory@elsewhere.example` });
    await cp.getByRole('button', { name: 'Save single sign-on details' }).click();
    const domainsError = card.locator('[data-error-for="email_domains"]');
    await domainsError.filter({ hasText: 'gmail.com' }).waitFor();
    assert.match(await domainsError.textContent(), /free-mail/);
    assert.match(await card.locator('[data-error-for="test_users"]').textContent(), /mallory@elsewhere\.example.*expected domains/);
    assert.equal(await card.getByLabel('Expected email domains').getAttribute('aria-invalid'), 'true');
    assert.equal(await cp.locator('#sso-protocol').textContent(), 'Not chosen yet', 'nothing was saved');
    await saveScreenshot(cp, 'sso-field-errors');

    await fillCommon(cp, { domains: domain, testUsers: `alice@${domain}, bob@${domain}` });
    await saveSso(cp);
    assert.equal(await domainsError.textContent(), '');
    assert.equal(await cp.locator('#sso-protocol').textContent(), 'SAML 2.0');
    assert.match(await cp.locator('#sso-validation').textContent(), /Not validated yet/);
    assert.equal(await card.getByRole('button', { name: 'Submit for review' }).isDisabled(), true);
    assert.match(await cp.locator('#sso-submit-hint').textContent(), /passing validation/);

    // 2. Validate: every check, and the summary with the certificate.
    assert.equal(await validate(cp), 'Validation passed.');
    const report = cp.locator('#sso-report');
    const checkItems = report.locator('.sso-check');
    assert.ok(await checkItems.count() >= 3, 'several checks are listed');
    assert.equal(await report.locator('.sso-check[data-ok="false"][data-severity="error"]').count(), 0);
    assert.match(await report.locator('.sso-report__headline').textContent(), /Validation passed/);
    const summary = report.locator('.sso-summary');
    assert.match(await summary.textContent(), new RegExp(OKTA_ENTITY.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
    assert.match(await summary.textContent(), /https:\/\/trial-1022863\.okta\.com\/app\//);
    const cert = summary.locator('.sso-cert').first();
    assert.match(await cert.textContent(), /trial-1022863/);
    assert.match(await cert.textContent(), /RSA 2048 bits/);
    assert.match(await cert.textContent(), /2034/);
    const fingerprint = (await cert.locator('.facts__row').filter({ hasText: 'SHA-256 fingerprint' }).locator('dd').textContent()).trim();
    assert.ok(fingerprint.startsWith('21:D5:E6:FF'), fingerprint);
    assert.equal(fingerprint, OKTA_FINGERPRINT);
    assert.match(await cp.locator('#sso-validation').textContent(), /Passed/);
    const submit = card.getByRole('button', { name: 'Submit for review' });
    assert.equal(await submit.isEnabled(), true);
    await saveScreenshot(cp, 'sso-validated');

    // An edit: the page says the validation must run again and Submit is disabled.
    await card.getByLabel('Member groups').fill('engineering\nsupport\ndesign');
    await cp.locator('#sso-dirty:not([hidden])').waitFor();
    assert.match(await cp.locator('#sso-dirty').textContent(), /validate again/);
    assert.match(await cp.locator('#sso-validation').textContent(), /again/);
    assert.equal(await submit.isDisabled(), true);
    assert.equal(await report.locator('.sso-report__content').getAttribute('data-stale'), 'true');
    // Validate saves the edit first, then validates the new version.
    assert.equal(await validate(cp), 'Validation passed.');
    assert.equal(await cp.locator('#sso-dirty').isVisible(), false);
    assert.equal(await submit.isEnabled(), true);

    await submit.click();
    await cp.locator('#sso-flash').filter({ hasText: 'sent to us for review' }).waitFor();
    assert.equal((await cp.locator('#sso-review').textContent()).trim(), 'Waiting for review');
    assert.equal(await submit.isDisabled(), true);
    await cp.locator('#checklist-items > li[data-key="sso"][data-state="in_review"]').waitFor({ state: 'attached' });

    // 3. The operator reads the draft and the report in the review queue, and approves.
    const ops = await load(`${operatorUrl}/admin/`);
    const op = ops.page;
    await operatorSignIn(op);
    await openTab(op, 'Review queue');
    const title = `${flow.name}: Single sign-on`;
    const review = op.locator('#reviews-list article').filter({ has: op.getByRole('heading', { name: title, exact: true }) });
    await review.waitFor();
    const details = review.locator('.review__sso');
    await details.locator('.sso-report__content').waitFor();
    const detailsText = await details.textContent();
    assert.ok(detailsText.includes(domain), 'the draft shows the domains');
    assert.ok(detailsText.includes(`alice@${domain}`), 'the draft shows the test users');
    assert.ok(detailsText.includes('design'), 'the draft is the latest version');
    assert.ok(detailsText.includes(OKTA_ENTITY), 'the summary shows the entity ID');
    assert.ok(detailsText.includes(OKTA_FINGERPRINT), 'the summary shows the fingerprint');
    assert.match(detailsText, /Validation passed/);
    await saveScreenshot(op, 'sso-operator-review');
    await review.getByLabel('Comment for the customer').fill('Single sign-on approved; we will schedule the first sign-in.');
    await review.getByRole('button', { name: `Approve: ${title}` }).click();
    await op.locator('#reviews-flash').filter({ hasText: `Approved ${title}.` }).waitFor();

    // The customer's checklist shows the item done, with the comment.
    await reloadCustomer(cp);
    await cp.locator('#checklist-items > li[data-key="sso"][data-state="done"]').waitFor({ state: 'attached' });
    assert.equal((await cp.locator('#sso-review').textContent()).trim(), 'Approved');
    assert.match(await cp.locator('#sso-notes').textContent(), /we will schedule the first sign-in/);
    assert.equal(await card.getByLabel('Metadata XML', { exact: true }).inputValue(), OKTA_XML);
    assert.equal(await card.getByRole('button', { name: 'Submit for review' }).isDisabled(), true);
    await saveScreenshot(cp, 'sso-approved');

    // The operator's customer page shows the draft and the report.
    await openCustomer(op, flow);
    await op.locator('#cp-checklist > li[data-key="sso"][data-state="done"]').waitFor();
    const cpSso = op.locator('#cp-sso-card');
    assert.ok((await cpSso.textContent()).includes(domain));
    assert.ok((await cpSso.locator('#cp-sso-report').textContent()).includes(OKTA_FINGERPRINT));
    assert.match(await cpSso.textContent(), /Passed for the saved details/);
    assert.deepEqual([...customer.problems, ...ops.problems], []);
  });

  test('a private key in the XML is refused unseen; an http location or an expired certificate fails validation', async () => {
    const customer = await load(`${publicUrl}/`);
    const cp = customer.page;
    const bodies = recordApiBodies(cp);
    await customerSignIn(cp, checks.admin.username, PW);
    const card = ssoCard(cp);
    const submit = card.getByRole('button', { name: 'Submit for review' });

    // A PEM private key pasted with the metadata: refused at the XML field, never echoed.
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
    const keyLine = pem.split('\n')[5];
    const withKey = OKTA_XML.replace('</md:IDPSSODescriptor>', `</md:IDPSSODescriptor><!--\n${pem}-->`);
    await pasteSaml(cp, withKey);
    await fillCommon(cp, { domains: domain, testUsers: `carol@${domain}` });
    await cp.getByRole('button', { name: 'Save single sign-on details' }).click();
    const xmlError = card.locator('[data-error-for="metadata_xml"]');
    await xmlError.filter({ hasText: 'private key' }).waitFor();
    assert.equal(await card.getByLabel('Metadata XML', { exact: true }).getAttribute('aria-invalid'), 'true');
    assert.equal(await cp.locator('#sso-protocol').textContent(), 'Not chosen yet', 'nothing was saved');
    await saveScreenshot(cp, 'sso-secret-refused');

    // An http SSO location: saved, but the validation fails on it, and Submit stays disabled.
    const httpXml = OKTA_XML.replaceAll('Location="https://trial-1022863', 'Location="http://trial-1022863');
    await card.getByLabel('Metadata XML', { exact: true }).fill(httpXml);
    await saveSso(cp);
    assert.equal(await xmlError.textContent(), '');
    assert.match(await validate(cp), /^Validation failed/);
    const report = cp.locator('#sso-report');
    const failed = report.locator('.sso-check[data-ok="false"][data-severity="error"]');
    assert.ok(await failed.count() >= 1);
    assert.match(await failed.first().textContent(), /https|http/);
    // Failures come first.
    assert.equal(await report.locator('.sso-check').first().getAttribute('data-ok'), 'false');
    assert.equal(await submit.isDisabled(), true);
    assert.match(await cp.locator('#sso-validation').textContent(), /Failed/);
    await saveScreenshot(cp, 'sso-http-location');

    // An expired signing certificate (PingOne, expired 2024): a failing check, Submit disabled.
    await card.getByLabel('Metadata XML', { exact: true }).fill(PING_EXPIRED_XML);
    assert.match(await validate(cp), /^Validation failed/);
    const expired = report.locator('.sso-check[data-ok="false"][data-severity="error"]');
    assert.match((await expired.allTextContents()).join(' '), /expire/i);
    assert.match(await report.locator('.sso-summary').textContent(), /PingOne SSO Certificate/);
    assert.equal(await submit.isDisabled(), true);
    // The page still says why after a reload.
    await reloadCustomer(cp);
    await cp.locator('#sso-report:not([hidden])').waitFor();
    assert.match(await cp.locator('#sso-validation').textContent(), /Failed/);
    assert.equal(await submit.isDisabled(), true);

    // The key text is in no answer the page received.
    const all = await bodies.bodies();
    assert.ok(all.some((b) => b.url.endsWith('/api/v1/sso/validate')), 'the validation answers were read');
    const leaks = all.filter((b) => b.text.includes(keyLine) || b.text.includes('BEGIN PRIVATE KEY'));
    assert.deepEqual(leaks.map((b) => b.url), [], 'no answer holds the private key');
    assert.deepEqual(customer.problems, []);
  });

  test('the OIDC client secret goes in through its own field and is never shown again', async () => {
    const customer = await load(`${publicUrl}/`);
    const cp = customer.page;
    const bodies = recordApiBodies(cp);
    await customerSignIn(cp, oidc.admin.username, PW);
    const card = ssoCard(cp);
    const secretForm = cp.locator('#sso-secret-form');
    assert.equal(await secretForm.isHidden(), true, 'no secret field before OIDC is saved');
    await card.getByLabel('OpenID Connect (OIDC)').check();
    await card.getByLabel('Discovery URL or issuer').fill(`https://login.${domain}/`);
    await fillCommon(cp, { domains: domain, testUsers: `olly@${domain}` });
    await saveSso(cp);
    await secretForm.waitFor({ state: 'visible' });
    assert.equal(await cp.locator('#sso-secret-status').textContent(), 'Not set yet.');

    // A value the scanner refuses everywhere else is what this field is for.
    const secret = `ghp_${'Zq9'.repeat(12)}%:+/=`;
    const field = secretForm.getByLabel('New client secret');
    assert.equal(await field.getAttribute('type'), 'password');
    await field.fill(secret);
    await secretForm.getByRole('button', { name: 'Store client secret' }).click();
    await cp.locator('#sso-secret-flash[data-kind="success"]').waitFor();
    assert.equal(await field.inputValue(), '', 'the field empties at once');
    assert.match(await cp.locator('#sso-secret-status').textContent(), new RegExp(`^Set .* by ${oidc.admin.username}\\.`));
    assert.equal(await secretForm.getByRole('button', { name: 'Remove client secret' }).isVisible(), true);
    await saveScreenshot(cp, 'sso-client-secret-set');

    // After a reload the status is still there; the value is nowhere in the page.
    await reloadCustomer(cp);
    await cp.locator('#sso-secret-status').filter({ hasText: /^Set / }).waitFor();
    assert.ok(!(await cp.content()).includes(secret), 'the page never holds the secret');

    await secretForm.getByRole('button', { name: 'Remove client secret' }).click();
    await cp.locator('#sso-secret-status').filter({ hasText: 'Not set yet.' }).waitFor();

    const all = await bodies.bodies();
    assert.ok(all.some((b) => b.url.endsWith('/api/v1/sso')), 'the draft answers were read');
    const leaks = all.filter((b) => b.text.includes(secret) || b.text.includes('ghp_'));
    assert.deepEqual(leaks.map((b) => b.url), [], 'no answer holds the secret');
    assert.deepEqual(customer.problems, []);
  });
});
