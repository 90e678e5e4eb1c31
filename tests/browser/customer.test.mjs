/*
 * customer.test.mjs — the customer console end to end in headless Chromium:
 * signing in, the members table of a customer admin (seats, the filter
 * language, a bad filter, suspend, reset), the forced password change after
 * an admin reset, and forgot-password through the mailed link.
 *
 * The stack starts empty (run.py), so the suite creates its own customer and
 * users with onrampctl, under names no other test uses. Every test ends by
 * asserting that the pages logged no console error, page error or CSP
 * violation (lib.mjs ignores Chromium's "Failed to load resource" lines for
 * API calls only, since a 401 or 410 there is an answer the page shows).
 */

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ctl, openSection, saveScreenshot, seedCustomer, submitSignIn, suite, unique, waitForMail,
} from './lib.mjs';

const slug = unique('cust');
const PW = 'Grey-Harbour-Lantern-41';
const people = {
  admin: { username: `${slug}-admin`, role: 'customer_admin', password: PW },
  admin2: { username: `${slug}-admin2`, role: 'customer_admin', password: PW },
  member: { username: `${slug}-member`, role: 'customer_member', password: PW },
  member2: { username: `${slug}-member2`, role: 'customer_member', password: PW },
  forgetful: { username: `${slug}-forgetful`, role: 'customer_member', password: PW },
};
for (const p of Object.values(people)) p.email = `${p.username}@${slug}.example`;

const stack = suite({
  seed: () => seedCustomer({ slug, name: `Customer ${slug}`, seats: 10, users: Object.values(people) }),
});
const { publicUrl } = stack;

/** A fresh browser context (no cookies shared) on `path` of the public console. */
const load = (path = '/') => stack.load(`${publicUrl}${path}`);
const signIn = submitSignIn;

function memberRow(page, username) {
  return page.locator('#members-rows tr').filter({ has: page.getByText(username, { exact: true }) });
}

async function memberNames(page) {
  return (await page.locator('#members-rows tr strong').allTextContents()).sort();
}

describe('customer console', () => {
  test('a customer admin sees members and seats, filters, and suspends a member', async () => {
    const { page, problems } = await load();
    await signIn(page, people.admin.username, PW);
    await openSection(page, 'members');

    await page.locator('#members-rows tr').first().waitFor();
    assert.deepEqual(await memberNames(page),
      Object.values(people).map((p) => p.username).sort(), 'every user of the customer is listed');
    // Only the admin has signed in: the others are dormant and hold no seat.
    assert.equal(await page.locator('#seats-text').textContent(), '1 of 10 in use');
    assert.equal(await memberRow(page, people.member.username).locator('.badge').nth(1).textContent(), 'Dormant');
    await saveScreenshot(page, 'customer-members');

    // The filter language: only admins.
    await page.getByLabel('Filter', { exact: true }).fill('role:customer_admin');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForFunction(() => document.querySelectorAll('#members-rows tr').length === 2);
    assert.deepEqual(await memberNames(page), [people.admin.username, people.admin2.username].sort());

    // A bad term: the server's 400 names it, and only that shows (issue 16: no rows, no empty-state).
    await page.getByLabel('Filter', { exact: true }).fill('role:customer_admin colour:blue');
    await page.getByRole('button', { name: 'Apply' }).click();
    const filterError = page.locator('#members-filter-error');
    await filterError.filter({ hasText: 'colour' }).waitFor();
    assert.match(await filterError.textContent(), /not valid: unknown filter key "colour" in term "colour:blue"/);
    assert.equal(await page.getByLabel('Filter', { exact: true }).getAttribute('aria-invalid'), 'true');
    await saveScreenshot(page, 'customer-members-bad-filter');

    // Clearing brings everyone back and removes the error.
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.waitForFunction((n) => document.querySelectorAll('#members-rows tr').length === n,
      Object.keys(people).length);
    assert.equal(await filterError.textContent(), '');

    // Suspend a member, with confirmation; the row shows the new status.
    await page.getByRole('button', { name: `Suspend: ${people.member.username}`, exact: true }).click();
    const dialog = page.getByRole('dialog', { name: `Suspend ${people.member.username}?` });
    await dialog.waitFor();
    await saveScreenshot(page, 'customer-confirm-suspend');
    await dialog.getByRole('button', { name: 'Suspend' }).click();
    await page.locator('#members-flash').filter({ hasText: `${people.member.username} is suspended.` }).waitFor();
    const row = memberRow(page, people.member.username);
    assert.equal(await row.locator('.badge').nth(1).textContent(), 'Suspended');
    assert.equal(await row.getByRole('button', { name: `Activate: ${people.member.username}`, exact: true }).count(), 1);
    // The server agrees.
    const listed = JSON.parse(ctl(['users', 'list', '--filter', `customer:${slug} status:suspended`, '--json']));
    assert.deepEqual(listed.map((u) => u.username), [people.member.username]);

    // Cancelling a confirmation changes nothing.
    await page.getByRole('button', { name: `Activate: ${people.member.username}`, exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await row.locator('.badge').nth(1).textContent(), 'Suspended');

    assert.deepEqual(problems, []);
  });

  test('a reset by the admin shows the temporary password once; a 409 shows the server\'s message', async () => {
    const { page, problems } = await load();
    await signIn(page, people.admin.username, PW);
    await openSection(page, 'members');
    await page.locator('#members-rows tr').first().waitFor();

    await page.getByRole('button', { name: `Reset password: ${people.admin2.username}`, exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Reset password' }).click();
    const shown = page.getByRole('dialog', { name: `Temporary password for ${people.admin2.username}` });
    await shown.waitFor();
    const temporary = await shown.getByRole('textbox', { name: 'Temporary password' }).inputValue();
    assert.ok(temporary.length >= 12, 'a temporary password is shown');
    assert.equal(await shown.getByRole('button', { name: 'Copy Temporary password' }).count(), 1);
    await saveScreenshot(page, 'customer-temporary-password');
    await shown.getByRole('button', { name: 'Done' }).click();
    await shown.waitFor({ state: 'detached' });
    assert.equal(await page.getByText(temporary).count(), 0, 'the password is gone once closed');
    await memberRow(page, people.admin2.username).getByText('Must change password').waitFor();

    // A conflict: someone else changed member2 after the page loaded it (here the CLI
    // suspends and re-activates it), so the role change carries a stale version.
    ctl(['users', 'suspend', people.member2.username, '--yes']);
    ctl(['users', 'activate', people.member2.username, '--yes']);
    await page.getByRole('button', { name: `Make admin: ${people.member2.username}`, exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Make admin' }).click();
    const flash = page.locator('#members-flash[data-kind="error"]');
    await flash.waitFor();
    assert.match(await flash.textContent(), /^Someone else changed this since you loaded it\. Reload and try again\. \(request id \w+\)$/);
    assert.equal(await memberRow(page, people.member2.username).locator('.badge').first().textContent(), 'Member');
    await saveScreenshot(page, 'customer-conflict');
    assert.deepEqual(problems, []);
  });

  test('after an admin reset the member must choose a new password, then lands in the console', async () => {
    const out = ctl(['reset-password', people.member2.username]);
    const temporary = out.match(/: (\S+)\s*$/)[1];

    const { page, problems } = await load();
    await signIn(page, people.member2.username, temporary);
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    assert.equal(await page.locator('#password-forced').isVisible(), true);
    await saveScreenshot(page, 'customer-forced-password');

    // The policy is the server's: a short password gets the field message.
    await page.getByLabel('Temporary password', { exact: true }).fill(temporary);
    await page.getByLabel('New password', { exact: true }).fill('short-pw');
    await page.getByLabel('Repeat the new password', { exact: true }).fill('short-pw');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.locator('[data-error-for="new_password"]').filter({ hasText: 'at least 12 characters' }).waitFor();
    assert.equal(await page.getByLabel('New password', { exact: true }).getAttribute('aria-invalid'), 'true');

    const fresh = 'Quiet-Meadow-Compass-77';
    await page.getByLabel('New password', { exact: true }).fill(fresh);
    await page.getByLabel('Repeat the new password', { exact: true }).fill(fresh);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('heading', { name: 'Account Setup', level: 1 }).waitFor();
    assert.match(await page.locator('#console-flash').textContent(), /Your password was changed/);
    assert.equal(await page.locator('#me-username').textContent(), people.member2.username);
    // A member sees their own account only.
    assert.equal(await page.locator('#members-card').isVisible(), false);
    await saveScreenshot(page, 'customer-member-console');

    // Sign out from the account menu, sign in with the new password: straight to the console.
    await page.getByRole('button', { name: /Account menu/ }).click();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('#signin-flash').filter({ hasText: 'You are signed out.' }).waitFor();
    await signIn(page, people.member2.username, fresh);
    await page.getByRole('heading', { name: 'Account Setup', level: 1 }).waitFor();
    assert.equal(await page.locator('[data-view="password"]').isVisible(), false);
    assert.deepEqual(problems, []);
  });

  test('forgot password: the mailed link sets a new password once', async () => {
    const who = people.forgetful;
    const { page, problems } = await load();
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByRole('heading', { name: 'Reset your password' }).waitFor();
    await page.getByLabel('Email address', { exact: true }).fill(who.email);
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await page.locator('#forgot-done').filter({ hasText: 'link to reset its password is on its way' }).waitFor();
    await saveScreenshot(page, 'customer-forgot-sent');

    const link = await waitForMail({ to: who.email, match: /(https?:\/\/\S+\/reset-password#token=[A-Za-z0-9_-]+)/ });
    const { token } = Object.fromEntries(new URLSearchParams(new URL(link).hash.slice(1)));
    // nginx maps /reset-password to reset-password.html; until it does, the file itself.
    const probe = await fetch(`${publicUrl}/reset-password`);
    const path = probe.status === 200 ? '/reset-password' : '/reset-password.html';

    const reset = await load(`${path}#token=${token}`);
    assert.equal(reset.res.status(), 200);
    await reset.page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    assert.ok(!reset.page.url().includes('token'), 'the token is cleared from the address bar');
    const urls = [];
    reset.page.on('request', (r) => urls.push(r.url()));
    const fresh = 'Copper-Valley-Orchard-58';
    await reset.page.getByLabel('New password', { exact: true }).fill(fresh);
    await reset.page.getByLabel('Repeat the new password', { exact: true }).fill(fresh);
    await saveScreenshot(reset.page, 'customer-reset-form');
    await reset.page.getByRole('button', { name: 'Set new password' }).click();
    await reset.page.getByRole('heading', { name: 'Password changed' }).waitFor();
    // The token went in the body (POST /password-resets/redeem): no URL carries it.
    assert.ok(urls.some((u) => u.endsWith('/api/v1/password-resets/redeem')), urls.join(' '));
    assert.ok(urls.every((u) => !u.includes(token)), 'no request URL carries the token');

    // The new password works.
    await reset.page.getByRole('link', { name: 'Sign in' }).click();
    await signIn(reset.page, who.email, fresh);
    await reset.page.getByRole('heading', { name: 'Account Setup', level: 1 }).waitFor();

    // The same link again: expired or used, with a way to ask again.
    const again = await load(`${path}#token=${token}`);
    await again.page.getByLabel('New password', { exact: true }).fill('Another-Garden-Parcel-93');
    await again.page.getByLabel('Repeat the new password', { exact: true }).fill('Another-Garden-Parcel-93');
    await again.page.getByRole('button', { name: 'Set new password' }).click();
    await again.page.getByRole('heading', { name: 'This link no longer works' }).waitFor();
    assert.match(await again.page.locator('#gone-message').textContent(), /expired or was already used/);
    assert.equal(await again.page.getByRole('link', { name: 'Ask for a new link' }).getAttribute('href'), '/#forgot');
    await saveScreenshot(again.page, 'customer-reset-gone');

    assert.deepEqual([...problems, ...reset.problems, ...again.problems], []);
  });

  test('sign-in: one generic message for wrong details, and the wait time when throttled', async () => {
    const { page, problems } = await load();
    await signIn(page, `${slug}-nobody`, 'Not-The-Password-123');
    const error = page.locator('#signin-error');
    await error.filter({ hasText: 'The sign-in details are not correct.' }).waitFor();
    assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '', 'the password is cleared');

    await page.route('**/api/v1/session', (route) => (route.request().method() === 'POST'
      ? route.fulfill({
        status: 429,
        headers: { 'Retry-After': '840' },
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'rate_limited', message: 'Too many failed sign-in attempts. Try again later.', request_id: 'r' } }),
      })
      : route.continue()));
    await signIn(page, people.admin.username, 'whatever-it-is-now');
    await error.filter({ hasText: 'Try again in 14 minutes.' }).waitFor();
    await saveScreenshot(page, 'customer-signin-throttled');
    assert.deepEqual(problems, []);
  });

  test('a page opened without a token asks for the mail link', async () => {
    const { page, problems } = await load('/reset-password.html');
    await page.getByRole('heading', { name: 'Open the link from your email' }).waitFor();
    assert.deepEqual(problems, []);
  });
});
