/*
 * setup.test.mjs — Account Setup end to end in headless Chromium, with a
 * customer browser and an operator browser side by side:
 *
 *  1. a new customer admin signs in and finds the Account Setup cards;
 *  2. fills company details and contacts (a secret and a bad email come back
 *     next to their fields), a launch date in the future, AI provider "none";
 *  3. reads the checklist, including an item an operator blocked through the
 *     console's blockers editor, asks support about it, and sees it clear;
 *  4. marks single sign-on as not required;
 *  5. gets a first member, added by an operator;
 *  6. reads every gate still closed (billing, workspace target) in the
 *     workspace card, Create disabled meanwhile (issue 16: no click needed);
 *  7. after an operator approves billing and the workspace target from the
 *     review queue and marks the target ready, creates it (name, confirm): 202.
 *
 * A second test writes a canary into the internal notes and an internal
 * review comment, then has the customer's admin and a member go through every
 * view: the canary must be in no page and in no API answer they receive,
 * while the comment written for the customer is shown. Members see the
 * checklist but no editing controls.
 *
 * Names are unique per run (the stack is shared with the other suites), and
 * every test ends by asserting that no page logged a console error, page
 * error or CSP violation.
 */

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  openCustomer, openSection, openTab, recordApiBodies, saveScreenshot, seedCustomer, seedOperator, unique,
  signInCustomer, signInOperator, suite,
} from './lib.mjs';

const tag = unique('setup');
const PW = 'Lantern-Orchid-Basalt-2033';
const operator = { username: `${tag}-op`, password: PW };

const walk = {
  slug: `${tag}-walk`,
  name: `Walkthrough ${tag}`,
  admin: { username: `${tag}-walk-admin`, role: 'customer_admin', password: PW },
};
const canary = {
  slug: `${tag}-canary`,
  name: `Canary Co ${tag}`,
  admin: { username: `${tag}-canary-admin`, role: 'customer_admin', password: PW },
  member: { username: `${tag}-canary-member`, role: 'customer_member', password: PW },
};

/* load(url) opens `url` in a fresh browser context (no cookies shared). */
const { publicUrl, operatorUrl, load } = suite({
  seed: () => {
    seedOperator(operator);
    seedCustomer({ slug: walk.slug, name: walk.name, seats: 10, users: [walk.admin] });
    seedCustomer({ slug: canary.slug, name: canary.name, seats: 10, users: [canary.admin, canary.member] });
  },
});

/* ---- the customer console ---------------------------------------------- */

const customerSignIn = signInCustomer;

/** The checklist item with this title (the heading inside it). */
function item(page, title) {
  return page.locator('#checklist-items > li').filter({ has: page.getByRole('heading', { name: title, exact: true }) });
}

async function itemState(page, title) {
  return (await item(page, title).locator('.checklist__head .badge').textContent()).trim();
}

/** Reload the page and open the checklist section again (the session cookie survives). */
async function reloadCustomer(page) {
  await page.reload();
  await page.getByRole('heading', { name: 'Account Setup', level: 1 }).waitFor();
  await page.locator('#checklist-items li').first().waitFor({ state: 'attached' });
  await openSection(page, 'checklist');
}

const DETAILS = {
  legal: 'Example Widgets GmbH',
  operating: 'Widgets',
  contacts: {
    'Support contact': ['Sam Support', 'support@widgets.example', '+49 30 1234 5670'],
    'Billing contact': ['Bea Billing', 'billing@widgets.example', '+49 30 1234 5671'],
    'Technical contact': ['Tom Tech', 'tech@widgets.example', '+49 30 1234 5672'],
  },
};

function futureDate(days) {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

async function fillDetails(page, d = DETAILS) {
  await openSection(page, 'details');
  const form = page.locator('#details-form');
  await form.getByLabel('Legal name').fill(d.legal);
  await form.getByLabel('Operating name').fill(d.operating);
  for (const [group, [name, email, phone]] of Object.entries(d.contacts)) {
    const g = form.getByRole('group', { name: group });
    await g.getByLabel('Name', { exact: true }).fill(name);
    await g.getByLabel('Email', { exact: true }).fill(email);
    await g.getByLabel('Phone', { exact: true }).fill(phone);
  }
  await form.getByLabel('Repository or artifact notes').fill('Monorepo on our GitLab; release artifacts in our registry.');
  await form.getByLabel('AI preferences', { exact: true }).fill('No code leaves the EU.');
  await form.getByLabel('AI provider').selectOption('none');
  await form.getByLabel('Workspace preferences').fill('Python 3.12 and Node 20.');
  await form.getByLabel('Target launch date').fill(futureDate(60));
}

async function saveDetails(page) {
  await page.getByRole('button', { name: 'Save details' }).click();
  await page.locator('#details-flash').filter({ hasText: 'Your company details were saved.' }).waitFor();
}

/* ---- the operator console ---------------------------------------------- */

const operatorSignIn = (page) => signInOperator(page, operator);

/** The pending review card of a customer and kind in the review queue. */
async function pendingReview(page, customer, kind) {
  await openTab(page, 'Review queue');
  const card = page.locator('#reviews-list article').filter({
    has: page.getByRole('heading', { name: `${customer.name}: ${kind}`, exact: true }),
  });
  await card.waitFor();
  return card;
}

/* ---- response bodies, for the canary ------------------------------------- */

describe('account setup', () => {
  test('a new customer admin walks through Account Setup to a requested workspace', async () => {
    const customer = await load(`${publicUrl}/`);
    const cp = customer.page;

    // 1. Sign in: the Account Setup cards, with the checklist first.
    await customerSignIn(cp, walk.admin.username, PW);
    assert.equal(await cp.locator('#checklist-items > li').count(), 7);
    assert.equal(await itemState(cp, 'Company details and contacts'), 'To do');
    assert.equal(await itemState(cp, 'A customer admin has signed in'), 'Done');
    await openSection(cp, 'workspace');
    assert.equal(await cp.getByRole('button', { name: 'Create workspace…' }).isVisible(), true);
    await saveScreenshot(cp, 'setup-start');

    // 2. Details: a secret and a bad address come back next to their fields; nothing is saved.
    await fillDetails(cp);
    const form = cp.locator('#details-form');
    await form.getByLabel('Repository or artifact notes').fill('Clone with https://builder:Hunter2-Hunter2@git.widgets.example/app.git');
    await form.getByRole('group', { name: 'Billing contact' }).getByLabel('Email', { exact: true }).fill('billing at widgets');
    await cp.getByRole('button', { name: 'Save details' }).click();
    const notesError = cp.locator('[data-error-for="repository_notes"]');
    await notesError.filter({ hasText: 'looks like' }).waitFor();
    assert.equal(await form.getByLabel('Repository or artifact notes').getAttribute('aria-invalid'), 'true');
    assert.match(await cp.locator('[data-error-for="billing_contact.email"]').textContent(), /email address/);
    assert.equal(await cp.locator('#details-flash').textContent(), '');
    await saveScreenshot(cp, 'setup-details-errors');

    await form.getByLabel('Repository or artifact notes').fill('Monorepo on our GitLab; release artifacts in our registry.');
    await form.getByRole('group', { name: 'Billing contact' }).getByLabel('Email', { exact: true }).fill('billing@widgets.example');
    await saveDetails(cp);
    assert.equal(await notesError.textContent(), '');
    await cp.locator('#checklist-items > li[data-key="contacts"][data-state="done"]').waitFor({ state: 'attached' });
    await openSection(cp, 'checklist');
    // A complete save submits billing (a trial) and the workspace target for review; no AI, no provider setup.
    assert.equal(await itemState(cp, 'Billing or trial approved'), 'Waiting for our review');
    assert.equal(await itemState(cp, 'Workspace target ready'), 'Waiting for our review');
    assert.equal(await itemState(cp, 'AI provider set up'), 'Not required');
    const readiness = cp.locator('#readiness-items');
    assert.match(await readiness.textContent(), /Billing or trial approved.*Waiting for our review/s);
    // The saved values come back after a reload.
    await reloadCustomer(cp);
    await openSection(cp, 'details');
    assert.equal(await form.getByLabel('Legal name').inputValue(), DETAILS.legal);
    assert.equal(await form.getByLabel('Target launch date').inputValue(), futureDate(60));
    assert.equal(await form.getByLabel('AI provider').inputValue(), 'none');

    // Two tabs of the same admin: the second save from a stale version is refused and offers a reload.
    const second = await load(`${publicUrl}/`);
    await customerSignIn(second.page, walk.admin.username, PW);
    await second.page.waitForFunction((v) => document.getElementById('d-legal-name').value === v, DETAILS.legal);
    await openSection(second.page, 'details');
    await form.getByLabel('Operating name').fill('Widgets Europe');
    await saveDetails(cp);
    const stale = second.page.locator('#details-form');
    await stale.getByLabel('Operating name').fill('Widgets Worldwide');
    await second.page.getByRole('button', { name: 'Save details' }).click();
    const conflict = second.page.locator('#details-conflict');
    await conflict.waitFor();
    assert.match(await conflict.textContent(), /Reloading shows what was saved/);
    await saveScreenshot(second.page, 'setup-details-conflict');
    await conflict.getByRole('button', { name: 'Reload the saved details' }).click();
    await second.page.locator('#details-flash').filter({ hasText: 'The saved details were loaded.' }).waitFor();
    assert.equal(await stale.getByLabel('Operating name').inputValue(), 'Widgets Europe');
    assert.equal(await conflict.isVisible(), false);
    assert.deepEqual(second.problems, []);

    // 3. An operator blocks the workspace target through the blockers editor.
    const ops = await load(`${operatorUrl}/admin/`);
    const op = ops.page;
    await operatorSignIn(op);
    await op.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await op.locator('#dash-items-chart svg rect.chart__seg').first().waitFor();
    assert.ok(Number(await op.locator('#dash-customers').textContent()) >= 2);
    await saveScreenshot(op, 'setup-operator-dashboard');
    await openCustomer(op, walk);
    const blockerText = `The python-3.12 template is not available in your region yet (${tag}); we expect it next week.`;
    await op.getByRole('button', { name: 'Add blocker' }).click();
    const row = op.getByRole('group', { name: 'Blocker 1' });
    await row.getByLabel('Checklist item').selectOption('workspace_target');
    await row.getByLabel('Category').selectOption('template_availability');
    await row.getByLabel('Text shown to the customer').fill(blockerText);
    await op.getByRole('button', { name: 'Save blockers' }).click();
    await op.locator('#cp-flash').filter({ hasText: 'The blockers were saved.' }).waitFor();
    await op.locator('#cp-checklist > li[data-key="workspace_target"][data-state="blocked"]').waitFor();
    await saveScreenshot(op, 'setup-operator-customer');

    // The customer reads it on the checklist, with its category, and asks support about it.
    await reloadCustomer(cp);
    const target = item(cp, 'Workspace target ready');
    assert.equal(await itemState(cp, 'Workspace target ready'), 'Blocked');
    assert.equal(await target.locator('.blocker__message').textContent(), blockerText);
    assert.match(await target.locator('.blocker').textContent(), /Template availability/);
    await target.getByRole('button', { name: 'Contact support about Workspace target ready' }).click();
    const support = target.getByRole('form', { name: 'Contact support about Workspace target ready' });
    // A secret in the message is refused at the field.
    await support.getByLabel('Message to support (optional)').fill('Our CI uses https://ci:Hunter2-Hunter2@ci.widgets.example/hook');
    await support.getByRole('button', { name: 'Send to support' }).click();
    await support.locator('[data-error-for="message"]').filter({ hasText: 'looks like' }).waitFor();
    await support.getByLabel('Message to support (optional)').fill('Can we start with python-3.11 meanwhile?');
    await support.getByRole('button', { name: 'Send to support' }).click();
    const sent = target.locator('.support-sent');
    await sent.getByText('Your request was sent to support.').waitFor();
    const sentText = await sent.textContent();
    assert.match(sentText, new RegExp(`Organisation${walk.name}`));
    assert.match(sentText, /ItemWorkspace target ready/);
    assert.ok(sentText.includes(`What you see${blockerText}`), sentText);
    assert.match(sentText, /Last action\w/);
    assert.match(sentText, /Your messageCan we start with python-3\.11 meanwhile\?/);
    await saveScreenshot(cp, 'setup-blocked-support');

    // The operator sees the request, then lifts the blocker.
    await openCustomer(op, walk);
    await op.locator('#cp-support').filter({ hasText: 'Can we start with python-3.11 meanwhile?' }).waitFor();
    await op.getByRole('button', { name: 'Remove blocker 1' }).click();
    await op.getByRole('button', { name: 'Save blockers' }).click();
    await op.locator('#cp-flash').filter({ hasText: 'The blockers were saved.' }).waitFor();
    await op.locator('#cp-blockers-none:not([hidden])').waitFor();
    await reloadCustomer(cp);
    assert.equal(await itemState(cp, 'Workspace target ready'), 'Waiting for our review');
    assert.equal(await item(cp, 'Workspace target ready').locator('.blocker').count(), 0);

    // 4. Single sign-on is not required.
    await openSection(cp, 'sso');
    await cp.getByRole('button', { name: 'Mark single sign-on as not required' }).click();
    await cp.locator('#sso-flash').filter({ hasText: 'Single sign-on is marked as not required.' }).waitFor();
    assert.equal(await cp.locator('#sso-protocol').textContent(), 'Not required');
    await cp.locator('#checklist-items > li[data-key="sso"][data-state="not_required"]').waitFor({ state: 'attached' });

    // 5. An operator adds the first member.
    const member = `${walk.slug}-dev`;
    await openTab(op, 'Users');
    await op.getByRole('button', { name: 'Add user' }).click();
    const create = op.locator('#user-create');
    await create.getByLabel('Customer', { exact: true }).selectOption(walk.slug);
    await create.getByLabel('Username', { exact: true }).fill(member);
    await create.getByLabel('Email', { exact: true }).fill(`${member}@widgets.example`);
    await create.getByLabel('Role', { exact: true }).selectOption('customer_member');
    await create.getByLabel('Initial password (optional)').fill('Velvet-Signal-Copper-88');
    await create.getByRole('button', { name: 'Add user' }).click();
    await op.locator('#users-flash').filter({ hasText: `${member} was added to ${walk.slug}.` }).waitFor();
    await reloadCustomer(cp);
    assert.equal(await itemState(cp, 'First members invited'), 'Done');
    await openSection(cp, 'members');
    await cp.locator('#members-rows tr').filter({ hasText: member }).waitFor();

    // 6. Create: every gate still closed named on the page, Create disabled (issue 16: before any click).
    await openSection(cp, 'workspace');
    assert.equal(await cp.getByRole('button', { name: 'Create workspace…' }).isDisabled(), true);
    const gates = cp.locator('#workspace-gates-list > li');
    await gates.first().waitFor();
    const gateKeys = await gates.evaluateAll((lis) => lis.map((li) => li.dataset.key));
    assert.deepEqual(gateKeys.sort(), ['billing', 'workspace_target']);
    const billingGate = gates.filter({ hasText: 'Billing or trial approved' });
    assert.match(await billingGate.locator('.gate__message').textContent(), /\S/);
    assert.match(await gates.filter({ hasText: 'Workspace target ready' }).locator('.gate__message').textContent(), /\S/);
    assert.match(await cp.locator('#workspace-create-why').textContent(), /Retrying will not help/);
    await saveScreenshot(cp, 'setup-create-blocked');

    // 7. The operator approves billing and the target, and marks the target ready.
    let card = await pendingReview(op, walk, 'Billing');
    await card.getByLabel('Comment for the customer').fill('Trial approved for 30 days.');
    await card.getByRole('button', { name: `Approve: ${walk.name}: Billing` }).click();
    await op.locator('#reviews-flash').filter({ hasText: `Approved ${walk.name}: Billing.` }).waitFor();
    card = await pendingReview(op, walk, 'Workspace target');
    await saveScreenshot(op, 'setup-operator-reviews');
    await card.getByRole('button', { name: `Approve: ${walk.name}: Workspace target` }).click();
    await op.locator('#reviews-flash').filter({ hasText: `Approved ${walk.name}: Workspace target.` }).waitFor();

    await openCustomer(op, walk);
    const targetForm = op.locator('#cp-target-form');
    await targetForm.getByLabel('Target name').fill(`${walk.slug}-eu1`);
    await targetForm.getByLabel('Runtime capacity').fill('8 vCPU, 32 GiB');
    await targetForm.getByLabel('Template aliases').fill('python-3.12, node-20');
    await targetForm.getByLabel('Coder access').fill('enabled');
    await targetForm.getByLabel('The workspace target is ready').check();
    await targetForm.getByRole('button', { name: 'Save workspace target' }).click();
    await op.locator('#cp-flash').filter({ hasText: 'The workspace target was saved.' }).waitFor();
    assert.match(await op.locator('#cp-context').textContent(), /python-3\.12, node-20/);
    await op.locator('#cp-checklist > li[data-key="workspace_target"][data-state="done"]').waitFor();

    // The customer sees both done, with the comment written for them, and Create succeeds.
    await reloadCustomer(cp);
    assert.equal(await itemState(cp, 'Billing or trial approved'), 'Done');
    assert.equal(await itemState(cp, 'Workspace target ready'), 'Done');
    assert.equal(await item(cp, 'Billing or trial approved').locator('.review-note__comment').textContent(), 'Trial approved for 30 days.');
    assert.match(await cp.locator('#readiness-items').textContent(), /Billing or trial approved.*Done.*Workspace target ready.*Done/s);
    await openSection(cp, 'workspace');
    await cp.getByRole('button', { name: 'Create workspace…' }).click();
    await cp.getByRole('button', { name: 'Create workspace', exact: true }).click();
    await cp.locator('#workspace-flash[data-kind="success"]').filter({ hasText: 'Workspace first-workspace requested' }).waitFor();
    assert.equal(await cp.locator('#workspace-gates').isVisible(), false);
    await cp.locator('#workspaces-rows tr').filter({ hasText: 'first-workspace' }).waitFor();
    assert.match(await cp.locator('#checklist-progress').textContent(), /7 of 7 done/);
    await saveScreenshot(cp, 'setup-workspace-requested');

    // The operator's customer page lists the request.
    await openCustomer(op, walk);
    await op.locator('#cp-workspaces tr').filter({ hasText: 'first-workspace' }).waitFor();
    assert.deepEqual([...customer.problems, ...ops.problems], []);
  });

  test('internal notes and internal comments never reach the customer; members read without editing', async () => {
    // A word found nowhere else (not even in the customer's names, which hold the tag).
    const canaryWord = unique('canary');
    const secretWords = `${canaryWord} marmalade zeppelin`;
    const visibleComment = `Please confirm the billing contact (${tag}).`;

    // The admin saves complete details, which opens the reviews.
    const admin = await load(`${publicUrl}/`);
    const adminBodies = recordApiBodies(admin.page);
    await customerSignIn(admin.page, canary.admin.username, PW);
    await fillDetails(admin.page);
    await saveDetails(admin.page);

    // The operator writes the canary into the internal notes and an internal review comment.
    const ops = await load(`${operatorUrl}/admin/`);
    const op = ops.page;
    await operatorSignIn(op);
    await openCustomer(op, canary);
    await op.getByRole('textbox', { name: 'Internal notes', exact: true }).fill(`Watch out: ${secretWords}.`);
    await op.getByRole('button', { name: 'Save notes' }).click();
    await op.locator('#cp-flash').filter({ hasText: 'The internal notes were saved.' }).waitFor();
    const card = await pendingReview(op, canary, 'Billing');
    await card.getByLabel('Comment for the customer').fill(visibleComment);
    await card.getByLabel('Internal comment').fill(`Internal: ${secretWords}`);
    await card.getByRole('button', { name: `Request changes: ${canary.name}: Billing` }).click();
    await op.locator('#reviews-flash').filter({ hasText: `Changes requested for ${canary.name}: Billing.` }).waitFor();
    // The operator's own page has both (so the canary is really there to leak).
    await openCustomer(op, canary);
    assert.ok((await op.getByRole('textbox', { name: 'Internal notes', exact: true }).inputValue()).includes(secretWords));
    assert.ok((await op.locator('#cp-reviews').textContent()).includes(secretWords));

    // The admin goes through everything: checklist, details, SSO, members, workspace, support, Create.
    await reloadCustomer(admin.page);
    const billing = item(admin.page, 'Billing or trial approved');
    await billing.locator('.review-note__comment').filter({ hasText: visibleComment }).waitFor();
    assert.match(await billing.locator('.review-note').textContent(), /Changes requested/);
    await openSection(admin.page, 'members');
    await admin.page.locator('#members-rows tr').first().waitFor();
    await openSection(admin.page, 'checklist');
    await billing.getByRole('button', { name: 'Contact support about Billing or trial approved' }).click();
    await billing.getByRole('button', { name: 'Send to support' }).click();
    await billing.getByText('Your request was sent to support.').waitFor();
    await openSection(admin.page, 'workspace');
    await admin.page.locator('#workspace-gates-list > li').first().waitFor();
    await openSection(admin.page, 'sso');
    await admin.page.getByRole('button', { name: 'Mark single sign-on as not required' }).click();
    await admin.page.locator('#sso-flash').filter({ hasText: 'not required' }).waitFor();
    await saveScreenshot(admin.page, 'setup-canary-admin');
    assert.ok(!(await admin.page.content()).includes(canaryWord), 'the admin page shows no internal text');

    // A member: the checklist and the details, read-only; no Save, no Create, no SSO or members cards.
    const member = await load(`${publicUrl}/`);
    const memberBodies = recordApiBodies(member.page);
    await customerSignIn(member.page, canary.member.username, PW);
    const mp = member.page;
    assert.equal(await mp.locator('#checklist-items > li').count(), 7);
    await openSection(mp, 'checklist');
    await item(mp, 'Billing or trial approved').locator('.review-note__comment').filter({ hasText: visibleComment }).waitFor();
    await openSection(mp, 'details');
    await mp.locator('#details-readonly').filter({ hasText: DETAILS.legal }).waitFor();
    assert.equal(await mp.locator('#details-form').isVisible(), false);
    assert.equal(await mp.getByRole('button', { name: 'Save details' }).count(), 0);
    assert.equal(await mp.getByRole('button', { name: 'Create workspace' }).count(), 0);
    assert.equal(await mp.getByRole('button', { name: 'Mark single sign-on as not required' }).count(), 0);
    assert.equal(await mp.locator('#members-card').isVisible(), false);
    assert.equal(await mp.locator('#sso-card').isVisible(), false);
    assert.equal(await mp.locator('main input:visible, main textarea:visible, main select:visible').count(), 0,
      'a member has no editing controls');
    // Members may still ask support.
    await openSection(mp, 'checklist');
    const memberBilling = item(mp, 'Billing or trial approved');
    await memberBilling.getByRole('button', { name: 'Contact support about Billing or trial approved' }).click();
    await memberBilling.getByLabel('Message to support (optional)').fill('Who confirms the billing contact?');
    await memberBilling.getByRole('button', { name: 'Send to support' }).click();
    await memberBilling.getByText('Your request was sent to support.').waitFor();
    await saveScreenshot(mp, 'setup-canary-member');
    assert.ok(!(await mp.content()).includes(canaryWord), 'the member page shows no internal text');

    // No API answer either of them received holds the canary.
    for (const [who, recorder] of [['admin', adminBodies], ['member', memberBodies]]) {
      const bodies = await recorder.bodies();
      assert.ok(bodies.some((b) => b.url.includes('/api/v1/checklist')), `${who}: the checklist was read`);
      assert.ok(bodies.some((b) => b.text.includes(visibleComment)), `${who}: the customer comment arrived`);
      const leaks = bodies.filter((b) => b.text.includes(canaryWord) || b.text.includes('marmalade'));
      assert.deepEqual(leaks.map((b) => b.url), [], `${who}: no answer holds the canary`);
    }
    assert.deepEqual([...admin.problems, ...ops.problems, ...member.problems], []);
  });
});
