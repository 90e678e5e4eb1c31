/*
 * people.test.mjs — people's states, seats and the invite page (issue 16,
 * items 3, 5 and 9b-d), in headless Chromium against the real stack:
 *
 *  3. a member suspended mid-session sees, on the next request, that the
 *     account is suspended and whom to contact (not a bare sign-in form);
 *     signing in with the right password says the same, a wrong one only
 *     "not correct" (removed accounts: tests/integration/test_account_states.py);
 *  5. the invite form warns at a full seat limit (sending stays possible),
 *     disables Send with the reason when over it; the invitee refused for
 *     seats reads the inviting admin's name and email, and the typed
 *     username and passwords stay in the form;
 *  9b. an invite whose mail is still queued does not read "Sent once";
 *  9c. a bad members filter shows only its error (no "No members match");
 *  9d. at 390 px, email addresses in the members and invites tables break
 *     only after "@", before a dot or after a hyphen, never inside a word.
 */

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ctl, openSection, saveScreenshot, seedCustomer, signInCustomer, submitSignIn, suite, unique, waitForMail } from './lib.mjs';

const tag = unique('ppl');
const PW = 'Harbour-Quill-Meadow-2034';
const NEW_PW = 'Copper-Lantern-Thistle-58';
const LINK = /(https?:\/\/\S+\/invite#token=[A-Za-z0-9_-]+)/;

function org(key, seats, extra = []) {
  const slug = `${tag}-${key}`;
  const users = [
    { username: `${slug}-boss`, role: 'customer_admin', password: PW },
    { username: `${slug}-mem`, role: 'customer_member', password: PW },
    ...extra.map((u) => ({ role: 'customer_member', password: PW, ...u })),
  ];
  for (const u of users) u.email = u.email || `${u.username}@${slug}.example`;
  return { slug, name: `People ${key} ${tag}`, seats, users, boss: users[0], member: users[1] };
}

const states = org('st', 10);
const full = org('full', 1);
const over = org('over', 1);
const wide = org('wide', 10, [{ username: `${tag}-long`, email: `firstname.middlename.lastname@engineering.${tag}-wide.example` }]);

const { publicUrl, load } = suite({
  seed: () => {
    for (const o of [states, full, over, wide]) seedCustomer(o);
  },
});

/** Sign in on the console; the first sign-in of a seeded user is not forced to change the password. */
async function signedIn(user) {
  const tab = await load(`${publicUrl}/`);
  await signInCustomer(tab.page, user.username, user.password);
  return tab;
}

async function adminMembers(user) {
  const tab = await signedIn(user);
  await openSection(tab.page, 'members');
  await tab.page.locator('#members-rows tr').first().waitFor();
  return tab;
}

describe('people', () => {
  test('3: a suspended member is told so on the next request and at sign-in', async () => {
    const tab = await signedIn(states.member);
    const { page } = tab;
    ctl(['users', 'suspend', states.member.username, '--yes']);
    // The next request (here a reload) explains the end of the session.
    await page.reload();
    const flash = page.locator('#signin-flash');
    await flash.filter({ hasText: 'Your account is suspended' }).waitFor();
    const text = await flash.textContent();
    assert.match(text, new RegExp(`Contact your organisation's admin \\(${states.boss.username}, ${states.boss.email}\\) to be reactivated`));
    assert.equal(await page.locator('[data-view="signin"]').isVisible(), true);
    await saveScreenshot(page, 'people-suspended-session');

    // A wrong password learns nothing about the account.
    await submitSignIn(page, states.member.username, 'Wrong-Password-12345');
    const error = page.locator('#signin-error');
    await error.filter({ hasText: 'The sign-in details are not correct.' }).waitFor();
    assert.doesNotMatch(await error.textContent(), /suspended/);
    // The right one is told why, and whom to ask.
    await submitSignIn(page, states.member.username, states.member.password);
    await error.filter({ hasText: 'Your account is suspended' }).waitFor();
    assert.match(await error.textContent(), new RegExp(states.boss.email.replace(/\./g, '\\.')));

    assert.deepEqual(tab.problems.filter((p) => !/401/.test(String(p))), []);
  });

  test('3: a member suspended while the page is open reads why on the next call', async () => {
    const second = { username: `${states.slug}-mem2`, role: 'customer_member', password: PW };
    ctl(['users', 'create', '--customer', states.slug, '--username', second.username, '--email',
      `${second.username}@${states.slug}.example`, '--role', second.role, '--password-stdin'], { input: `${PW}\n` });
    const tab = await signedIn(second);
    const { page } = tab;
    ctl(['users', 'suspend', second.username, '--yes']);
    // No reload: the page's next API call (a password change) meets the ended session.
    await page.locator('#account-button').click();
    await page.locator('#menu-password').click();
    await page.locator('#password-current').fill(PW);
    await page.locator('#password-form input[name="new_password"]').fill(NEW_PW);
    await page.locator('#password-form input[name="confirm_password"]').fill(NEW_PW);
    await page.locator('#password-form').getByRole('button', { name: 'Change password' }).click();
    const flash = page.locator('#signin-flash');
    await flash.filter({ hasText: 'Your account is suspended' }).waitFor();
    assert.match(await flash.textContent(), new RegExp(`\\(${states.boss.username}, ${states.boss.email.replace(/\./g, '\\.')}\\)`));
    assert.doesNotMatch(await flash.textContent(), /session has ended/);
    assert.deepEqual(tab.problems.filter((p) => !/401/.test(String(p))), []);
  });

  test('5: the invite form warns at a full seat limit; the invitee is told who invited them; passwords stay', async () => {
    const admin = await adminMembers(full.boss);
    const { page } = admin;
    const warning = page.locator('#invite-seats');
    await warning.filter({ hasText: 'Every seat is in use (1 of 1)' }).waitFor();
    assert.equal(await warning.isVisible(), true);
    const send = page.locator('#invite-form').getByRole('button', { name: 'Send invite' });
    assert.equal(await send.isEnabled(), true, 'the server accepts invites at a full limit');
    assert.equal(await send.getAttribute('aria-describedby'), 'invite-seats');
    await saveScreenshot(page, 'people-seats-full');

    const email = `${tag}-newbie@${full.slug}.example`;
    await page.locator('#invite-form').getByLabel('Their email address', { exact: true }).fill(email);
    await send.click();
    await page.locator('#invites-flash[data-kind="success"]').waitFor();
    const link = await waitForMail({ to: email, match: LINK });

    const guest = await load(link);
    const form = guest.page.locator('#signup-form');
    await form.getByLabel('Username', { exact: true }).fill(`${tag}-newbie`);
    await form.getByLabel('Choose a password', { exact: true }).fill(NEW_PW);
    await form.getByLabel('Repeat the password', { exact: true }).fill(NEW_PW);
    await form.getByRole('button', { name: 'Create account and join' }).click();
    const refused = guest.page.locator('#signup-error');
    await refused.filter({ hasText: 'who invited you' }).waitFor();
    assert.match(await refused.textContent(), new RegExp(`Contact ${full.boss.username} \\(${full.boss.email.replace(/\./g, '\\.')}\\)`));
    assert.doesNotMatch(await refused.textContent(), /operator/);
    assert.equal(await form.getByLabel('Username', { exact: true }).inputValue(), `${tag}-newbie`);
    assert.equal(await form.getByLabel('Choose a password', { exact: true }).inputValue(), NEW_PW);
    assert.equal(await form.getByLabel('Repeat the password', { exact: true }).inputValue(), NEW_PW);
    await saveScreenshot(guest.page, 'people-invitee-seats');
    assert.deepEqual([...admin.problems, ...guest.problems].filter((p) => !/409/.test(String(p))), []);
  });

  test('5: over the seat limit, Send is disabled with the reason', async () => {
    // The member's first sign-in takes the customer to 2 of 1 seats.
    await (await signedIn(over.boss)).page.close();
    await (await signedIn(over.member)).page.close();
    const { page, problems } = await adminMembers(over.boss);
    const warning = page.locator('#invite-seats');
    await warning.filter({ hasText: 'You cannot send invites now' }).waitFor();
    assert.equal(await warning.getAttribute('data-kind'), 'error');
    assert.equal(await page.locator('#invite-form').getByRole('button', { name: 'Send invite' }).isDisabled(), true);
    assert.deepEqual(problems, []);
  });

  test('9b: a queued invite mail does not read "Sent once"', async () => {
    const { page, problems } = await adminMembers(states.boss);
    // The mailer is quick: hold the answer of GET /members to one where the latest mail waits.
    await page.route('**/api/v1/members?*', async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      body.invites = [{ id: 'x1', email: `q@${states.slug}.example`, role: 'customer_member', kind: 'member', status: 'pending',
        delivery: 'queued', delivery_error: null, sent_count: 1, last_sent_at: new Date().toISOString(),
        expires_at: new Date(Date.now() + 86_400_000).toISOString(), created_at: new Date().toISOString(), created_by: 'user:x' }];
      await route.fulfill({ response: res, json: body });
    });
    await page.locator('#invites-refresh').click();
    const row = page.locator('#invites-rows tr[data-invite-id="x1"]');
    await row.waitFor();
    assert.match(await row.locator('td').nth(3).textContent(), /Queued, not sent yet/);
    assert.doesNotMatch(await row.textContent(), /Sent once/);
    await page.unroute('**/api/v1/members?*');
    assert.deepEqual(problems, []);
  });

  test('9c: a bad members filter shows only its error', async () => {
    const { page, problems } = await adminMembers(states.boss);
    const filter = page.getByLabel('Filter', { exact: true });
    await filter.fill('zzz-nobody-matches');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.locator('#members-empty').filter({ hasText: 'No members match' }).waitFor();
    await filter.fill('colour:blue');
    await page.getByRole('button', { name: 'Apply' }).click();
    const error = page.locator('#members-filter-error');
    await error.filter({ hasText: 'colour' }).waitFor();
    assert.equal(await error.getAttribute('role'), 'alert');
    assert.match(await filter.getAttribute('aria-describedby'), /members-filter-error/);
    assert.equal(await filter.getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator('#members-empty').isVisible(), false, 'no empty-state next to the error');
    assert.equal(await page.locator('#members-rows tr').count(), 0);
    assert.deepEqual(problems.filter((p) => !/400/.test(String(p))), []);
  });

  test('9d: at 390 px emails break only after "@", before a dot or after a hyphen', async () => {
    const { page, problems } = await adminMembers(wide.boss);
    await page.locator('#invite-form').getByLabel('Their email address', { exact: true })
      .fill(`another.rather.long.name@subsidiary.${wide.slug}.example`);
    await page.locator('#invite-form').getByRole('button', { name: 'Send invite' }).click();
    await page.locator('#invites-flash[data-kind="success"]').waitFor();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('#members-rows tr').filter({ hasText: wide.users[2].username }).waitFor();
    // Where each address's lines break: the index of the first character of every line after the first.
    const cells = await page.evaluate(() => {
      const out = [];
      for (const td of document.querySelectorAll('#members-rows td, #invites-rows td')) {
        const text = td.textContent;
        if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text.trim())) continue;
        const walker = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
        const chars = [];
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
          for (let i = 0; i < n.data.length; i += 1) {
            const r = document.createRange();
            r.setStart(n, i);
            r.setEnd(n, i + 1);
            const rect = r.getClientRects()[0];
            chars.push({ c: n.data[i], top: rect ? Math.round(rect.top) : null });
          }
        }
        const breaks = [];
        for (let i = 1; i < chars.length; i += 1) if (chars[i].top !== null && chars[i - 1].top !== null && chars[i].top > chars[i - 1].top + 2) breaks.push(i);
        out.push({ text: chars.map((x) => x.c).join(''), breaks });
      }
      return out;
    });
    const long = cells.filter((c) => c.text.length > 30);
    assert.ok(long.length >= 2, `both long addresses rendered: ${JSON.stringify(cells)}`);
    for (const { text, breaks } of cells) {
      for (const i of breaks) {
        // After a hyphen is the browser's own line-break opportunity, as in running text.
        assert.ok(text[i - 1] === '@' || text[i] === '.' || text[i - 1] === '-', `"${text}" breaks inside a word at ${i}: "${text.slice(0, i)}|${text.slice(i)}"`);
      }
    }
    await saveScreenshot(page, 'people-emails-390');
    assert.deepEqual(problems, []);
  });
});
