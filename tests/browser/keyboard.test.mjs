/*
 * keyboard.test.mjs — both consoles with the keyboard alone (issue 16, item 15).
 *
 * A customer admin signs in, edits and saves the company details, opens
 * single sign-on, sends an invite (first a wrong address: the error is
 * announced, tied to its field and takes focus) and signs out; an operator
 * signs in with a TOTP code, opens a customer, approves a review and signs
 * out. Only Tab, Shift+Tab, Enter, Space, arrows and typing: no click. At
 * every stop of every Tab press focus must be visible (tabTo in a11y.mjs:
 * :focus-visible with an outline or box-shadow drawn).
 *
 * The customer console is found by roles and accessible names, not ids, so
 * the test holds when the console's layout changes (a section navigation
 * is followed when there is one).
 */

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  assertFocusVisible, seedCustomer, submitDetailsForReview, seedOperator, signInOperator, suite, tabTo, unique, nextTotp,
} from './lib.mjs';

const tag = unique('kb');
const customer = { slug: tag, name: `Keyboard ${tag}` };
const admin = { username: `${tag}-admin`, role: 'customer_admin', password: `Kb-Admin-${tag}-pw` };
const reviewing = { slug: `${tag}-r`, name: `Reviewed ${tag}` };
const reviewer = { username: `${tag}-radmin`, role: 'customer_admin', password: `Kb-Radmin-${tag}-pw` };
const operator = { username: `${tag}-ops`, password: `Kb-Operator-${tag}-pw` };

const { publicUrl, operatorUrl, load } = suite({
  seed: () => {
    seedOperator(operator);
    seedCustomer({ ...customer, users: [admin] });
    seedCustomer({ ...reviewing, users: [reviewer] });
  },
});

/** Type into the focused field, replacing what it holds. */
async function typeOver(page, text) {
  await page.keyboard.press('Control+A');
  await page.keyboard.type(text);
}

/** Follow a section navigation link named `name` when the console has one (its layout may change). */
async function openSection(page, name) {
  const link = page.getByRole('navigation').getByRole('link', { name });
  if (await link.count() === 0 || !(await link.first().isVisible())) return;
  await tabTo(page, link);
  await page.keyboard.press('Enter');
}

/** Sign in on either console's form by keyboard: Tab to each field, type, Enter. */
async function keyboardSignIn(page, login, password) {
  await page.getByRole('heading', { name: /sign[ -]in$/i, level: 1 }).waitFor();
  await tabTo(page, page.getByRole('textbox', { name: 'Username or email' }));
  await page.keyboard.type(login);
  await tabTo(page, page.getByLabel('Password', { exact: true }));
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
}

describe('keyboard only', () => {
  test('a customer admin signs in, saves details, opens single sign-on, invites and signs out without a mouse', async () => {
    const { page } = await load(`${publicUrl}/`);
    await keyboardSignIn(page, admin.username, admin.password);
    await page.getByRole('heading', { name: 'Account Setup', level: 1 }).waitFor();

    // Details: change the legal name and save with Enter on the button.
    await openSection(page, /company details/i);
    await tabTo(page, page.getByRole('textbox', { name: 'Legal name' }));
    await typeOver(page, `${customer.name} Ltd`);
    await tabTo(page, page.getByRole('button', { name: 'Save details' }));
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Your company details were saved.' }).waitFor();
    await assertFocusVisible(page, 'after saving the details');

    // Single sign-on: open it and pick a protocol with the arrow keys.
    await openSection(page, /single sign-on/i);
    await page.getByRole('heading', { name: 'Single sign-on', level: 2 }).waitFor();
    const oidc = page.getByRole('radio', { name: 'OpenID Connect (OIDC)' });
    const saml = page.getByRole('radio', { name: 'SAML 2.0' });
    await tabTo(page, page.getByRole('group', { name: 'Protocol' }).getByRole('radio'));
    await page.keyboard.press('Space');
    const picked = await oidc.isChecked() ? saml : oidc;
    await page.keyboard.press(picked === saml ? 'ArrowDown' : 'ArrowUp');
    assert.equal(await picked.isChecked(), true, 'an arrow key moves the protocol choice');

    // Members: a wrong address first. The error is announced (role=alert), tied to the
    // field (aria-invalid, aria-describedby), links to it, and focus goes to the field.
    await openSection(page, /members/i);
    const invite = page.getByRole('form', { name: 'Invite someone' });
    const email = invite.getByRole('textbox', { name: 'Their email address' });
    await tabTo(page, email);
    await page.keyboard.type('not-an-address');
    await page.keyboard.press('Enter');
    const summary = invite.getByRole('alert').filter({ hasText: /needs? a change/ });
    await summary.waitFor();
    assert.equal(await email.getAttribute('aria-invalid'), 'true');
    const describedBy = (await email.getAttribute('aria-describedby')).split(/\s+/);
    const fieldMessage = (await page.evaluate((ids) => ids.map((id) => document.getElementById(id)?.textContent || '').join(' '),
      describedBy)).trim();
    assert.match(fieldMessage, /\S/, 'the field points at its error message');
    assert.equal(await email.evaluate((node) => node === document.activeElement), true, 'focus moves to the invalid field');
    const link = summary.getByRole('link', { name: /^Their email address: / });
    assert.equal(await link.count(), 1, 'the summary links to the field');
    assert.match(await link.textContent(), new RegExp(fieldMessage.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    await tabTo(page, link);
    await page.keyboard.press('Enter');
    assert.equal(await email.evaluate((node) => node === document.activeElement), true, 'the summary link focuses the field');

    // Then a real one, as an admin (the role with the arrow keys).
    const address = `${tag}-new@${customer.slug}.example`;
    await typeOver(page, address);
    await tabTo(page, invite.getByRole('combobox', { name: 'Role' }));
    await page.keyboard.press('ArrowDown');
    assert.equal(await invite.getByRole('combobox', { name: 'Role' }).inputValue(), 'customer_admin');
    await tabTo(page, invite.getByRole('button', { name: 'Send invite' }));
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: `An invite to ${address} as admin` }).waitFor();
    assert.equal(await email.getAttribute('aria-invalid'), null, 'a good submit clears the error');

    // Sign out through the account menu: Enter opens it, focus goes into it.
    await tabTo(page, page.getByRole('button', { name: /account menu/i, expanded: false }));
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await tabTo(page, page.getByRole('button', { name: 'Sign out' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
  });

  test('an operator signs in with a code, opens a customer, approves a review and signs out without a mouse', async () => {
    await submitDetailsForReview(reviewer.username, reviewer.password, reviewing);
    // Set-up, not the flow: a new operator enrolls in TOTP first (the lib's usual sign-in).
    const first = await load(`${operatorUrl}/admin/`);
    await signInOperator(first.page, operator);
    await first.context.close();

    const { page } = await load(`${operatorUrl}/admin/`);
    await keyboardSignIn(page, operator.username, operator.password);
    const code = page.getByRole('textbox', { name: 'Authentication code' });
    await code.waitFor();
    await tabTo(page, code);
    await page.keyboard.type(await nextTotp(operator.totpSecret));
    await tabTo(page, page.getByLabel('Password', { exact: true }));
    await typeOver(page, operator.password);
    await page.keyboard.press('Enter');
    await page.locator('#header-username').filter({ hasText: operator.username }).waitFor();
    const sections = page.getByRole('navigation', { name: 'Sections' });

    // Open the customer: the Customers section, a search, its link.
    await tabTo(page, sections.getByRole('link', { name: 'Customers', exact: true }));
    await page.keyboard.press('Enter');
    await tabTo(page, page.getByLabel('Search', { exact: true }));
    await page.keyboard.type(reviewing.slug);
    await page.keyboard.press('Enter');
    const link = page.getByRole('link', { name: reviewing.name, exact: true });
    await tabTo(page, link);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: reviewing.name, level: 2 }).waitFor();

    // Decide its billing review in the review queue.
    await tabTo(page, sections.getByRole('link', { name: 'Review queue', exact: true }));
    await page.keyboard.press('Enter');
    const decide = page.getByRole('form', { name: `Decide on ${reviewing.name}: Billing` });
    await tabTo(page, decide.getByRole('textbox', { name: 'Comment for the customer' }));
    await page.keyboard.type('Approved by keyboard.');
    await tabTo(page, decide.getByRole('button', { name: `Approve: ${reviewing.name}: Billing` }));
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: `Approved ${reviewing.name}: Billing.` }).waitFor();

    await tabTo(page, page.getByRole('button', { name: 'Sign out' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Operator sign-in', level: 1 }).waitFor();
  });
});
