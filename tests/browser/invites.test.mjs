/*
 * invites.test.mjs — invites end to end in headless Chromium, with the real
 * SMTP sink (the links are read from its maildir):
 *
 *  a. a customer admin invites a member from the members card (a pending
 *     invite and a member's email come back as 409 at the field); the link
 *     from the mail, opened in a fresh browser, creates the account and lands
 *     in the console as that member; the admin's members view then shows the
 *     invite accepted;
 *  b. someone signed in as another user of the customer opens an invite: the
 *     page shows the identity-mismatch guidance, its button signs out and
 *     comes back to the same invite, and accepting then works;
 *  c. an operator creates a customer (one seat) with a first admin's email,
 *     copies the signup link shown once; signing up through it with another
 *     email shows the mismatch, with the invited email lands in the console
 *     as customer admin; that admin's first invite then hits the seat limit
 *     (409 on the page) until the operator raises it on the customer page;
 *  d. a revoked link, a link replaced by a resend, an unknown token, an
 *     expired invite (the 410 answer faked with page.route) and a page
 *     without a token each explain what happened and what to do;
 *  e. someone who already has an account with the invited email signs in on
 *     the invite page and accepts it for that account (raised to admin).
 *
 * Names are unique per run (the stack is shared with the other suites), and
 * every test ends by asserting that no page logged a console error, page
 * error or CSP violation.
 */

import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ctl, openSection, saveScreenshot, seedCustomer, seedOperator, unique, waitForMail,
  signInOperator, submitSignIn, suite,
} from './lib.mjs';

const tag = unique('inv');
const PW = 'Harbour-Quill-Meadow-2034';
const NEW_PW = 'Copper-Lantern-Thistle-58';
const operator = { username: `${tag}-op`, password: PW };
const acme = {
  slug: `${tag}-a`,
  name: `Invite Co ${tag}`,
  admin: { username: `${tag}-a-admin`, role: 'customer_admin', password: PW },
  other: { username: `${tag}-a-other`, role: 'customer_member', password: PW },
};
for (const u of [acme.admin, acme.other]) u.email = `${u.username}@${acme.slug}.example`;

const LINK = /(https?:\/\/\S+\/invite#token=[A-Za-z0-9_-]+)/;
const mailsSeen = new Set();

/* load(url) opens `url` in a fresh browser context (no cookies shared). */
const { publicUrl, operatorUrl, load } = suite({
  seed: () => {
    seedOperator(operator);
    seedCustomer({ slug: acme.slug, name: acme.name, seats: 10, users: [acme.admin, acme.other] });
  },
});
const signIn = submitSignIn;

/** The customer admin's console, signed in, with the members card loaded. */
async function adminConsole(user) {
  const tab = await load(`${publicUrl}/`);
  await signIn(tab.page, user.username, user.password);
  await openSection(tab.page, 'members');
  await tab.page.locator('#members-rows tr').first().waitFor();
  return tab;
}

function inviteRow(page, email) {
  return page.locator('#invites-rows tr').filter({ has: page.getByText(email, { exact: true }) });
}

/** Invite from the members card; resolves once the success flash is shown. */
async function invite(page, email, role = 'customer_member') {
  const form = page.locator('#invite-form');
  await form.getByLabel('Their email address', { exact: true }).fill(email);
  await form.getByLabel('Role', { exact: true }).selectOption(role);
  await form.getByRole('button', { name: 'Send invite' }).click();
  await page.locator('#invites-flash[data-kind="success"]').filter({ hasText: `An invite to ${email}` }).waitFor();
}

async function mailedLink(email) {
  return waitForMail({ to: email, match: LINK, skip: mailsSeen });
}

/** Create the account on the invite page (already showing the form). */
async function signUp(page, { username, password = NEW_PW, email = null }) {
  const form = page.locator('#signup-form');
  if (email !== null) await form.getByLabel('Your email address', { exact: true }).fill(email);
  await form.getByLabel('Username', { exact: true }).fill(username);
  await form.getByLabel('Choose a password', { exact: true }).fill(password);
  await form.getByLabel('Repeat the password', { exact: true }).fill(password);
  await form.getByRole('button', { name: 'Create account and join' }).click();
}

/** The console at / shows this user. */
async function inConsoleAs(page, username, roleLabel) {
  await page.waitForURL(`${publicUrl}/`);
  await page.getByRole('heading', { name: 'Account Setup', level: 1 }).waitFor();
  await page.locator('#me-username').filter({ hasText: username }).waitFor({ state: 'attached' });
  assert.equal(await page.locator('#me-role').textContent(), roleLabel);
}

function assertNoToken(page) {
  assert.ok(!page.url().includes('token'), `the token left the address bar (${page.url()})`);
}

describe('invites', () => {
  test('a customer admin invites a member, who creates the account from the mailed link', async () => {
    const admin = await adminConsole(acme.admin);
    const { page } = admin;
    const email = `${tag}-newbie@${acme.slug}.example`;
    const username = `${tag}-newbie`;

    // Someone who already is a user, and the role explanations.
    await page.locator('#invite-form').getByLabel('Their email address', { exact: true }).fill(acme.other.email);
    await page.locator('#invite-form').getByRole('button', { name: 'Send invite' }).click();
    await page.locator('#invite-form [data-error-for="email"]').filter({ hasText: 'already uses this email' }).waitFor();
    assert.match(await page.locator('#invite-error').textContent(), /already a user of your organisation/);
    assert.match(await page.locator('#invite-roles').textContent(), /manages account setup, invites and\s+usage/);

    await invite(page, email);
    assert.equal(await page.locator('#invite-error').textContent(), '');
    const row = inviteRow(page, email);
    await row.waitFor();
    assert.match(await row.textContent(), /Member.*Pending/);
    // The checklist's members item is done (a member exists here already; a pending invite counts too).
    await page.locator('#checklist-items > li[data-key="members"][data-state="done"]').waitFor({ state: 'attached' });

    // The same address again (in capitals): the pending invite is pointed at.
    await page.locator('#invite-form').getByLabel('Their email address', { exact: true }).fill(email.toUpperCase());
    await page.locator('#invite-form').getByRole('button', { name: 'Send invite' }).click();
    await page.locator('#invite-form [data-error-for="email"]').filter({ hasText: 'resend it instead' }).waitFor();
    assert.equal(await page.locator('#invite-email').getAttribute('aria-invalid'), 'true');

    const link = await mailedLink(email);
    // The members view turns "queued" into "sent" by itself once the mailer delivered.
    await row.filter({ hasText: 'Mail sent' }).waitFor({ timeout: 20_000 });
    assert.match(await row.textContent(), /Sent once/);
    assert.equal(await row.getByRole('button', { name: `Resend the invite to ${email}` }).count(), 1);
    await saveScreenshot(page, 'invites-members-card');

    // A fresh browser: the link creates the account.
    const guest = await load(link);
    assert.equal(guest.res.status(), 200);
    await guest.page.getByRole('heading', { name: `Join ${acme.name} as a member` }).waitFor();
    assertNoToken(guest.page);
    assert.equal(await guest.page.locator('#invite-email').textContent(), email);
    assert.equal(await guest.page.locator('#signup-email-field').isVisible(), false, 'a member invite fixes the email');
    await saveScreenshot(guest.page, 'invite-signup');

    // Joining through single sign-on is offered for a member invite; this organisation has no
    // live SSO, so the server's 404 becomes a sentence that points back to the password form.
    const sso = guest.page.getByRole('button', { name: 'Join with single sign-on' });
    assert.equal(await sso.isVisible(), true);
    await sso.click();
    await guest.page.locator('#invite-sso-error').filter({ hasText: 'not live for your organisation' }).waitFor();

    // The password policy is the server's: the message sits at the field.
    await signUp(guest.page, { username, password: 'too-short' });
    await guest.page.locator('[data-error-for="password"]').filter({ hasText: 'at least 12 characters' }).waitFor();
    // A taken username comes back at its field too, without saying where it is used (issue 11).
    await signUp(guest.page, { username: acme.other.username });
    await guest.page.locator('[data-error-for="username"]').filter({ hasText: 'This username is not available' }).waitFor();

    await signUp(guest.page, { username });
    await inConsoleAs(guest.page, username, 'Member');
    assert.equal(await guest.page.locator('#me-email').textContent(), email);
    assert.equal(await guest.page.locator('#members-card').isVisible(), false);
    await saveScreenshot(guest.page, 'invite-accepted-console');

    // The admin's members view, reloaded: accepted, by whom, and the new member listed.
    await page.reload();
    await page.locator('#invites-rows tr').first().waitFor();
    const accepted = inviteRow(page, email);
    assert.match(await accepted.textContent(), new RegExp(`Accepted.*by ${username}`));
    assert.equal(await accepted.getByRole('button').count(), 0, 'no actions on a final state');
    await page.locator('#members-rows tr').filter({ hasText: username }).waitFor();
    assert.deepEqual([...admin.problems, ...guest.problems], []);
  });

  test('signed in as someone else: the mismatch guidance, sign out and back, then accepting works', async () => {
    const admin = await adminConsole(acme.admin);
    const email = `${tag}-bea@${acme.slug}.example`;
    await invite(admin.page, email);
    const link = await mailedLink(email);

    // Another user of the customer is signed in in this browser.
    const other = await load(`${publicUrl}/`);
    const { page } = other;
    await signIn(page, acme.other.username, acme.other.password);
    await page.getByRole('heading', { name: 'Account Setup', level: 1 }).waitFor();

    await page.goto(link);
    await page.getByRole('heading', { name: 'You are signed in with another email' }).waitFor();
    assertNoToken(page);
    const panel = page.locator('#panel-mismatch');
    assert.match(await panel.textContent(), new RegExp(`signed in as ${acme.other.username} \\(${acme.other.email}\\)`));
    assert.match(await panel.textContent(), /Sign out of your identity provider and of this console/);
    assert.equal(await page.locator('#mismatch-guidance li').count(), 3);
    assert.equal(await page.getByRole('button', { name: 'Accept the invite' }).isVisible(), false);
    await saveScreenshot(page, 'invite-mismatch');

    // The button signs out and returns to the same invite (the token survives the reload).
    await page.getByRole('button', { name: 'Sign out and come back to this invite' }).click();
    await page.getByRole('heading', { name: 'Create your account' }).waitFor();
    await page.getByRole('heading', { name: `Join ${acme.name} as a member` }).waitFor();
    assertNoToken(page);
    const username = `${tag}-bea`;
    await signUp(page, { username });
    await inConsoleAs(page, username, 'Member');

    // The other user's session really ended.
    const session = await page.request.get(`${publicUrl}/api/v1/session`);
    assert.equal((await session.json()).user.username, username);
    assert.deepEqual([...admin.problems, ...other.problems], []);
  });

  test('an operator creates a customer with its first admin\'s signup link; seats are raised when full', async () => {
    const slug = `${tag}-c`;
    const name = `Signup Co ${tag}`;
    const bossEmail = `boss@${slug}.example`;
    const boss = `${tag}-c-boss`;

    const ops = await load(`${operatorUrl}/admin/#customers`);
    const op = ops.page;
    await ops.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: operatorUrl });
    await signInOperator(op, operator);
    await op.locator('#header-username').filter({ hasText: operator.username }).waitFor();
    await op.getByRole('heading', { name: 'Customers', exact: true }).waitFor();

    await op.getByRole('button', { name: 'Add customer' }).click();
    const create = op.locator('#customer-create');
    await create.getByLabel('Name', { exact: true }).fill(name);
    await create.getByLabel('Slug', { exact: true }).fill(slug);
    await create.getByLabel('Seat limit', { exact: true }).fill('1');
    await create.getByLabel("First admin's email").fill(bossEmail);
    await create.getByRole('button', { name: 'Add customer' }).click();

    // Shown once, with a copy button.
    const shown = op.getByRole('dialog', { name: `Signup link for the first admin of ${name}` });
    await shown.waitFor();
    const box = shown.getByRole('textbox', { name: 'Admin signup link' });
    const link = await box.inputValue();
    assert.match(link, /^http:\/\/127\.0\.0\.1:\d+\/invite#token=[A-Za-z0-9_-]{43}$/);
    assert.match(await shown.textContent(), /shown only (this )?once/);
    await shown.getByRole('button', { name: 'Copy Admin signup link' }).click();
    await shown.getByText('Copied to the clipboard.').waitFor();
    assert.equal(await op.evaluate(() => navigator.clipboard.readText()), link);
    await saveScreenshot(op, 'operator-admin-signup-link');
    await shown.getByRole('button', { name: 'Done' }).click();
    await shown.waitFor({ state: 'detached' });
    assert.equal(await op.getByText(link).count(), 0, 'the link is gone once closed');
    await op.locator('#customers-flash').filter({ hasText: `(${slug}) was added` }).waitFor();

    // The signup: another email is refused with the mismatch, the invited one (any case) works.
    const signup = await load(link);
    const { page } = signup;
    await page.getByRole('heading', { name: `Join ${name} as an admin` }).waitFor();
    assertNoToken(page);
    assert.equal(await page.locator('#signup-email-field').isVisible(), true);
    assert.equal(await page.locator('#invite-sso').isVisible(), false, 'an admin signup link has no email to start SSO with');
    await signUp(page, { username: boss, email: `someone-else@${slug}.example` });
    const mismatch = page.locator('#signup-mismatch');
    await mismatch.waitFor();
    assert.match(await mismatch.textContent(), /made for another email address than the one you entered/);
    await page.locator('[data-error-for="email"]').filter({ hasText: 'not the address' }).waitFor();
    await saveScreenshot(page, 'invite-admin-signup-mismatch');
    await signUp(page, { username: boss, email: bossEmail.toUpperCase() });
    await inConsoleAs(page, boss, 'Admin');
    await openSection(page, 'members');
    assert.equal(await page.locator('#members-card').isVisible(), true);
    await page.locator('#checklist-items > li[data-key="admin_signin"][data-state="done"]').waitFor({ state: 'attached' });

    // The new admin invites a member; with the only seat taken, accepting is refused naming the inviter (issue 16).
    const memberEmail = `dev@${slug}.example`;
    await page.locator('#invites-rows tr').first().waitFor();
    assert.match(await inviteRow(page, bossEmail).textContent(), /First admin signup.*Accepted/);
    assert.equal(await page.locator('#checklist-items > li[data-key="members"]').getAttribute('data-state'), 'todo');
    await invite(page, memberEmail);
    // A pending invite counts for the members item; the checklist follows without a reload.
    await page.locator('#checklist-items > li[data-key="members"][data-state="done"]').waitFor({ state: 'attached' });
    const memberLink = await mailedLink(memberEmail);
    const member = await load(memberLink);
    await member.page.getByRole('heading', { name: `Join ${name} as a member` }).waitFor();
    await signUp(member.page, { username: `${tag}-c-dev` });
    const refused = member.page.locator('#signup-error');
    await refused.filter({ hasText: 'who invited you' }).waitFor();
    await saveScreenshot(member.page, 'invite-seat-limit');

    // The operator raises the limit on the customer page.
    await op.getByRole('link', { name, exact: true }).click();
    await op.getByRole('heading', { name, exact: true }).waitFor();
    await op.locator('#cp-seats-text').filter({ hasText: '1 of 1 licensed seats in use' }).waitFor();
    const seats = op.locator('#cp-seats-form');
    assert.equal(await seats.getByLabel('Seat limit', { exact: true }).inputValue(), '1');
    await seats.getByLabel('Seat limit', { exact: true }).fill('2');
    await seats.getByRole('button', { name: 'Save seat limit' }).click();
    await op.locator('#cp-flash').filter({ hasText: 'The seat limit is now 2' }).waitFor();
    await op.locator('#cp-seats-text').filter({ hasText: '1 of 2 licensed seats in use' }).waitFor();
    assert.match(await op.locator('#cp-subtitle').textContent(), /1 of 2 seats in use/);
    await saveScreenshot(op, 'operator-customer-seats');

    // Now the member gets in.
    await signUp(member.page, { username: `${tag}-c-dev` });
    await inConsoleAs(member.page, `${tag}-c-dev`, 'Member');

    // A dormant user signing in takes a seat although none is free (issue 11): both consoles say so.
    const late = { username: `${tag}-c-late`, password: 'Late-Comer-Password-41' };
    ctl(['users', 'create', '--customer', slug, '--username', late.username, '--email', `late@${slug}.example`,
      '--role', 'customer_member', '--password-stdin'], { input: `${late.password}\n` });
    const signin = await fetch(`${publicUrl}/api/v1/session`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ login: late.username, password: late.password }),
    });
    assert.equal(signin.status, 200);
    await op.reload();
    await op.locator('#cp-seats-text').filter({ hasText: '3 of 2 seats \u2014 over the limit' }).waitFor();
    assert.match(await op.locator('#cp-subtitle').textContent(), /3 of 2 seats \u2014 over the limit/);
    await page.reload();
    await page.locator('#seats-text').filter({ hasText: '3 of 2 seats \u2014 over the limit' }).waitFor();
    assert.match(await page.locator('#seats-over').textContent(), /1 more seat than its limit of 2/);
    await saveScreenshot(page, 'members-over-seat-limit');
    await op.getByRole('link', { name: 'Dashboard', exact: true }).click();
    await op.locator('#dash-over-seats').filter({ hasText: /^[1-9]\d*$/ }).waitFor();
    assert.deepEqual([...ops.problems, ...signup.problems, ...member.problems], []);
  });

  test('revoked, replaced, unknown, expired and missing links explain themselves', async () => {
    const admin = await adminConsole(acme.admin);
    const { page } = admin;

    // Revoked from the members card.
    const revokedEmail = `${tag}-rex@${acme.slug}.example`;
    await invite(page, revokedEmail);
    const revokedLink = await mailedLink(revokedEmail);
    await inviteRow(page, revokedEmail).getByRole('button', { name: `Revoke the invite to ${revokedEmail}` }).click();
    await page.getByRole('dialog', { name: `Revoke the invite to ${revokedEmail}?` })
      .getByRole('button', { name: 'Revoke' }).click();
    await page.locator('#invites-flash').filter({ hasText: `The invite to ${revokedEmail} was revoked` }).waitFor();
    assert.match(await inviteRow(page, revokedEmail).textContent(), new RegExp(`Revoked.*by ${acme.admin.username}`));

    const revoked = await load(revokedLink);
    await revoked.page.getByRole('heading', { name: 'This invite was revoked' }).waitFor();
    assertNoToken(revoked.page);
    assert.match(await revoked.page.locator('#gone-message').textContent(), /revoked/);
    assert.match(await revoked.page.locator('#gone-todo').textContent(), /invite you again/);
    await saveScreenshot(revoked.page, 'invite-revoked');
    // Nothing left to resume: a reload asks for the link.
    await revoked.page.reload();
    await revoked.page.getByRole('heading', { name: 'Open the link from your invite' }).waitFor();

    // Resend: the first link stops working, the second one works.
    const resentEmail = `${tag}-res@${acme.slug}.example`;
    await invite(page, resentEmail);
    const first = await mailedLink(resentEmail);
    await inviteRow(page, resentEmail).getByRole('button', { name: `Resend the invite to ${resentEmail}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Resend' }).click();
    await page.locator('#invites-flash').filter({ hasText: `A new invite was sent to ${resentEmail}` }).waitFor();
    const second = await mailedLink(resentEmail);
    assert.notEqual(second, first);
    await inviteRow(page, resentEmail).filter({ hasText: 'Sent 2 times' }).waitFor({ timeout: 20_000 });
    const replaced = await load(first);
    await replaced.page.getByRole('heading', { name: 'This invite link no longer works' }).waitFor();
    assert.match(await replaced.page.locator('#gone-message').textContent(), /replaced by a newer one/);
    const fresh = await load(second);
    await fresh.page.getByRole('heading', { name: `Join ${acme.name} as a member` }).waitFor();

    // A token nobody issued.
    const unknown = await load(`${publicUrl}/invite#token=${randomBytes(32).toString('base64url')}`);
    await unknown.page.getByRole('heading', { name: 'This invite link no longer works' }).waitFor();
    assertNoToken(unknown.page);

    // Expired: the server's 410 (its expiry takes days, so the answer is played here).
    const expired = await load();
    await expired.page.route('**/api/v1/invite-lookups', (route) => route.fulfill({
      status: 410,
      contentType: 'application/json',
      body: JSON.stringify({ error: { code: 'gone', message: 'This invite expired. Ask your admin to resend it.', request_id: 'test-rid', invite_status: 'expired' } }),
    }));
    await expired.page.goto(`${publicUrl}/invite#token=${randomBytes(32).toString('base64url')}`);
    await expired.page.getByRole('heading', { name: 'This invite has expired' }).waitFor();
    assert.equal(await expired.page.locator('#gone-message').textContent(), 'This invite expired. Ask your admin to resend it.');
    assert.match(await expired.page.locator('#gone-todo').textContent(), /resend it/);
    await saveScreenshot(expired.page, 'invite-expired');

    // No token at all.
    const missing = await load(`${publicUrl}/invite`);
    await missing.page.getByRole('heading', { name: 'Open the link from your invite' }).waitFor();

    assert.deepEqual([admin, revoked, replaced, fresh, unknown, expired, missing].flatMap((t) => t.problems), []);
  });

  test('an existing account with the invited email signs in on the invite page and accepts', async () => {
    const admin = await adminConsole(acme.admin);
    const email = `${tag}-carl@${acme.slug}.example`;
    const username = `${tag}-carl`;
    await invite(admin.page, email, 'customer_admin');
    const link = await mailedLink(email);
    // The account appears after the invite (here through the CLI), as a member.
    ctl(['users', 'create', '--customer', acme.slug, '--username', username, '--email', email,
      '--role', 'customer_member', '--password-stdin'], { input: `${PW}\n` });

    const tab = await load(link);
    const { page } = tab;
    await page.getByRole('heading', { name: `Join ${acme.name} as an admin` }).waitFor();
    await page.getByText('I already have an account with this email').click();
    await page.getByLabel('Username or email', { exact: true }).fill(username);
    await page.getByLabel('Password', { exact: true }).fill(PW);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.locator('#accept-who').filter({ hasText: username }).waitFor();
    await saveScreenshot(page, 'invite-accept-signed-in');
    await page.getByRole('button', { name: 'Accept the invite' }).click();
    await inConsoleAs(page, username, 'Admin');
    await openSection(page, 'members');
    assert.equal(await page.locator('#members-card').isVisible(), true);
    assert.deepEqual([...admin.problems, ...tab.problems], []);
  });
});
