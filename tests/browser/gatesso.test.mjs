/*
 * gatesso.test.mjs — issue 16, items 6 and 7, in headless Chromium.
 *
 * 6. Create workspace: before any click the workspace card lists each gate
 *    of the checklist with its sentence and who clears it, says retrying will
 *    not help, and Create is disabled (not primary) with that reason tied to
 *    it. Once an operator has made the customer ready: a name checked with
 *    the server's rule, a confirmation ("Create workspace NAME?"), and a
 *    double click on the confirmation sends one request (with an
 *    Idempotency-Key) and queues one workspace (GET /workspaces).
 * 7. SSO messages: an OIDC validation against the test OP labels passed rows
 *    OK (never "Warning") and the headline's warning count equals the rows
 *    shown as warnings; a private key in pasted SAML XML is refused with one
 *    message about the XML (not "give either URL or XML"); after "not
 *    required" the card does not ask to validate.
 *
 * Every test ends by asserting that no page logged a console error, page
 * error or CSP violation.
 */

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ctl, openSection, seedCustomer, seedOperator, signInCustomer, signInOperator, suite, unique,
} from './lib.mjs';
import { settingsReader } from './sso-lib.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const OKTA_XML = readFileSync(join(HERE, '..', 'corpus', 'saml', 'okta_trial-1022863_idp-metadata.xml'), 'utf8');
const opSetting = settingsReader('ONRAMP_OP_', 'the test OP');

const tag = unique('gatesso');
const PW = 'Copper-Meadow-Lantern-2047';
const operator = { username: `${tag}-op`, password: PW };
const ws = {
  slug: `${tag}-ws`, name: `Gates ${tag}`,
  admin: { username: `${tag}-ws-admin`, role: 'customer_admin', password: PW },
};
const sso = {
  slug: `${tag}-sso`, name: `Messages ${tag}`,
  admin: { username: `${tag}-sso-admin`, role: 'customer_admin', password: PW },
};
const CONTACT = { name: 'Nora Admin', email: `nora@${ws.slug}.example`, phone: '+1 555 010 2030' };

const { publicUrl, operatorUrl, load } = suite({
  seed: () => {
    seedOperator(operator);
    seedCustomer({ slug: ws.slug, name: ws.name, seats: 10, users: [ws.admin] });
    seedCustomer({ slug: sso.slug, name: sso.name, seats: 10, users: [sso.admin] });
  },
});

/** A JSON call from inside a signed-in page (its cookie, its session's CSRF token), as the console makes it. */
function call(page, api, method, path, body) {
  return page.evaluate(async ({ api: base, method: m, path: p, body: b }) => {
    const session = await (await fetch(`${base}/session`)).json();
    const res = await fetch(`${base}${p}`, {
      method: m,
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': session.csrf_token },
      body: b === undefined ? undefined : JSON.stringify(b),
    });
    return { status: res.status, json: await res.json().catch(() => null) };
  }, {
    api, method, path, body,
  });
}

async function reloadConsole(page) {
  await page.reload();
  await page.locator('#checklist-items li').first().waitFor({ state: 'attached' });
}

/** Finish everything the customer does, then have the operator approve and ready what is theirs. */
async function makeReady(cp) {
  const launch = new Date(Date.now() + 30 * 86400_000).toISOString().slice(0, 10);
  let r = await call(cp, '/api/v1', 'PATCH', '/account', {
    version: 0, legal_name: `${ws.name} GmbH`, support_contact: CONTACT, billing_contact: CONTACT,
    technical_contact: CONTACT, ai_provider: 'none', workspace_preferences: 'One workspace.', target_launch: launch,
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  r = await call(cp, '/api/v1', 'PUT', '/sso', { protocol: 'not_required', version: 0 });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  ctl(['users', 'create', '--customer', ws.slug, '--username', `${tag}-member`, '--email', `member@${ws.slug}.example`,
    '--role', 'customer_member']);
  const ops = await load(`${operatorUrl}/admin/`);
  await signInOperator(ops.page, operator);
  const cust = (await call(ops.page, '/admin/api/v1', 'GET', `/customers?q=${ws.slug}`)).json.customers
    .find((c) => c.slug === ws.slug);
  const reviews = (await call(ops.page, '/admin/api/v1', 'GET', `/reviews?state=pending&customer=${cust.id}`)).json.reviews;
  for (const rv of reviews) {
    r = await call(ops.page, '/admin/api/v1', 'POST', `/reviews/${rv.id}/decision`, { decision: 'approve' });
    assert.equal(r.status, 200, JSON.stringify(r.json));
  }
  const ctx = (await call(ops.page, '/admin/api/v1', 'GET', `/customers/${cust.id}`)).json.context;
  r = await call(ops.page, '/admin/api/v1', 'PUT', `/customers/${cust.id}/workspace-target`, {
    target_name: 'pool-1', runtime_capacity: '8 vCPU', template_aliases: ['python-3.12'],
    coder_access: 'https://coder.vendor.test', ready: true, version: ctx.version,
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual(ops.problems, []);
}

describe('workspace creation and SSO messages (issue 16)', () => {
  test('gates before any click, Create disabled with its reason; then name, confirmation, one request', async () => {
    const customer = await load(`${publicUrl}/`);
    const cp = customer.page;
    await signInCustomer(cp, ws.admin.username, PW);
    await openSection(cp, 'workspace');

    // The gates, from GET /checklist, before any click.
    const gates = cp.locator('#workspace-gates-list > li');
    await gates.first().waitFor();
    assert.ok(await gates.count() >= 3, 'a new customer has several gates');
    const contacts = gates.filter({ has: cp.locator('.gate__title', { hasText: 'Company details and contacts' }) });
    assert.match(await contacts.locator('.gate__next').textContent(), /Retrying will not help until you finish this item\. Who clears it: you\./);
    const target = gates.filter({ has: cp.locator('.gate__title', { hasText: 'Workspace target ready' }) });
    assert.match(await target.locator('.gate__next').textContent(), /Who clears it: our operators\./);
    const create = cp.getByRole('button', { name: 'Create workspace…' });
    assert.equal(await create.isDisabled(), true);
    assert.equal(await create.evaluate((b) => b.classList.contains('button--primary')), false, 'not primary while blocked');
    const why = await create.getAttribute('aria-describedby');
    assert.match(await cp.locator(`#${why}`).textContent(), /Create is not available yet: \d+ items .* Retrying will not help/);

    // Ready: no gates, Create enabled and primary, the default name shown.
    await makeReady(cp);
    await reloadConsole(cp);
    await cp.locator('#workspace-create:not([disabled])').waitFor();
    assert.equal(await cp.locator('#workspace-gates').isVisible(), false);
    assert.equal(await create.evaluate((b) => b.classList.contains('button--primary')), true);
    const name = cp.getByLabel('Workspace name');
    assert.equal(await name.inputValue(), 'first-workspace');

    // The server's rule on the page: a bad name is refused next to the field, nothing is sent.
    const posts = [];
    cp.on('request', (req) => {
      if (req.method() === 'POST' && new URL(req.url()).pathname === '/api/v1/workspaces') posts.push(req);
    });
    await name.fill('-Bad Name');
    await create.click();
    await cp.locator('[data-error-for="name"]').filter({ hasText: 'lowercase letters, digits and dashes' }).waitFor();
    assert.equal(await name.getAttribute('aria-invalid'), 'true');
    assert.equal(await cp.locator('#workspace-confirm').isVisible(), false);

    // A good name, the confirmation, and a double click on it: one request, one workspace.
    await name.fill('team-alpha');
    await create.click();
    const confirm = cp.locator('#workspace-confirm');
    await confirm.waitFor();
    assert.equal(await cp.locator('#workspace-confirm-text').textContent(), 'Create workspace team-alpha?');
    await confirm.getByRole('button', { name: 'Create workspace', exact: true }).dblclick();
    await cp.locator('#workspace-flash[data-kind="success"]').filter({ hasText: 'Workspace team-alpha requested' }).waitFor();
    await cp.locator('#workspaces-rows tr').filter({ hasText: 'team-alpha' }).waitFor();
    assert.equal(posts.length, 1, 'a double click sends one request');
    assert.match(posts[0].headers()['idempotency-key'] ?? '', /^[0-9a-f-]{36}$/);
    const listed = (await call(cp, '/api/v1', 'GET', '/workspaces')).json.workspace_requests;
    assert.deepEqual(listed.map((w) => [w.name, w.state]), [['team-alpha', 'queued']]);
    assert.deepEqual(customer.problems, []);
  });

  test('passed rows are OK, counts match rows, the XML refusal is about the XML, not required asks nothing', async () => {
    const customer = await load(`${publicUrl}/`);
    const cp = customer.page;
    await signInCustomer(cp, sso.admin.username, PW);
    await openSection(cp, 'sso');
    const card = cp.locator('#sso-card');
    await card.waitFor();

    // OIDC against the test OP: its claims_supported lists the default claims, not "roles".
    await card.getByLabel('OpenID Connect (OIDC)').check();
    await card.getByLabel('Discovery URL or issuer').fill(`${opSetting('ISSUER')}/.well-known/openid-configuration`);
    await card.getByLabel('Client ID').fill(opSetting('CLIENT_ID'));
    await card.getByLabel('Expected email domains').fill(`${sso.slug}.example`);
    await card.getByLabel('Test users').fill(`tess@${sso.slug}.example`);
    await card.getByLabel('Groups claim').fill('roles');
    await card.getByRole('button', { name: 'Save single sign-on details' }).click();
    await cp.locator('#sso-flash[data-kind="success"]').filter({ hasText: 'were saved' }).waitFor();
    await card.getByRole('button', { name: 'Validate', exact: true }).click();
    const flash = cp.locator('#sso-flash').filter({ hasText: /^Validation (passed|failed)/ });
    await flash.waitFor({ timeout: 30_000 });
    const rows = cp.locator('#sso-report .sso-check');
    await rows.first().waitFor();
    const shown = await rows.evaluateAll((lis) => lis.map((li) => ({
      ok: li.dataset.ok, key: li.dataset.key, label: li.querySelector('.badge').textContent.trim(),
    })));
    const passed = shown.filter((r) => r.ok === 'true');
    assert.ok(passed.some((r) => r.key === 'oidc.claim.email'), JSON.stringify(shown));
    assert.deepEqual([...new Set(passed.map((r) => r.label))], ['OK'], 'every passed row reads OK');
    const warned = shown.filter((r) => r.label === 'Warning');
    assert.deepEqual(warned.map((r) => r.key), ['oidc.claim.groups'], JSON.stringify(shown));
    assert.match(await flash.textContent(), /^Validation passed\. 1 warning\./);
    // Long reports read as a summary: the warning in view, the passes behind "N checks passed".
    const passes = cp.locator('#sso-report details.sso-report__passed');
    assert.equal(await passes.getAttribute('open'), null);
    assert.equal((await passes.locator('summary').textContent()).trim(), `${passed.length} checks passed`);
    assert.equal(await passes.locator('.sso-check[data-ok="false"]').count(), 0);
    assert.equal(await cp.locator('#sso-report .sso-check[data-key="oidc.claim.groups"]').isVisible(), true);
    await passes.locator('summary').click();
    assert.equal(await passes.locator('.sso-check').first().isVisible(), true);

    // A private key in pasted XML: one message, about the XML.
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
    await card.getByLabel('SAML 2.0').check();
    await card.getByLabel('Pasted or uploaded XML').check();
    await card.getByLabel('Metadata XML', { exact: true })
      .fill(OKTA_XML.replace('</md:IDPSSODescriptor>', `</md:IDPSSODescriptor><!--\n${pem}-->`));
    await card.getByRole('button', { name: 'Save single sign-on details' }).click();
    const xmlError = card.locator('[data-error-for="metadata_xml"]');
    await xmlError.filter({ hasText: 'The metadata XML holds what looks like a private key' }).waitFor();
    assert.match(await xmlError.textContent(), /remove a private key from the XML/);
    const cardText = await card.innerText();
    assert.doesNotMatch(cardText, /either the metadata URL or the metadata XML/i);

    // Not required: the card says so and asks to validate nothing.
    await card.getByLabel('Not required').check();
    await card.getByRole('button', { name: 'Mark single sign-on as not required' }).click();
    await cp.locator('#sso-flash').filter({ hasText: 'not required' }).waitFor();
    await cp.locator('#sso-intro-none').waitFor();
    const text = await card.innerText();
    assert.doesNotMatch(text, /\bvalidate\b/i, text);
    assert.doesNotMatch(text, /Run a test sign-in/);
    assert.match(await cp.locator('#sso-validation').textContent(), /Not needed/);
    assert.deepEqual(customer.problems, []);
  });
});
