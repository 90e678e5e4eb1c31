/*
 * phone.test.mjs — the main pages at 390 px wide (issue 16, item 16).
 *
 * Each page, opened at PHONE size: nothing scrolls sideways
 * (document.documentElement.scrollWidth <= 390), and every table shows as a
 * stack of cards whose cells are captioned with their column's name. The
 * axe-core check of lib.mjs runs on each state at this width too.
 *
 * The customer console's sections are found through its navigation when it
 * has one, so the pass covers the sections as the console lays them out.
 */

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  customerApi, openCustomer, openSection, openTab, PHONE, seedCustomer, seedOperator, sidewaysOverflow, signInCustomer,
  signInOperator, submitDetailsForReview, suite, unique, waitForMail,
} from './lib.mjs';

const tag = unique('phone');
const customer = { slug: tag, name: `Phone ${tag} Incorporated With A Long Name` };
const admin = {
  username: `${tag}-admin`, role: 'customer_admin', password: `Ph-Admin-${tag}-pw`,
  email: `a-rather-long-mailbox-name-${tag}@${tag}.example`,
};
const operator = { username: `${tag}-ops`, password: `Ph-Operator-${tag}-pw` };

const { publicUrl, operatorUrl, load } = suite({
  seed: () => {
    seedOperator(operator);
    seedCustomer({ ...customer, users: [admin] });
  },
});

/** A fresh tab at phone size, then `url`. */
async function phone(url) {
  const tab = await load();
  await tab.page.setViewportSize(PHONE);
  await tab.page.goto(url);
  return tab;
}

/** Nothing on the page reaches past the 390 px viewport. */
async function fits(page, what) {
  const o = await sidewaysOverflow(page);
  assert.ok(o.scrollWidth <= PHONE.width,
    `${what} scrolls sideways at ${PHONE.width} px: scrollWidth ${o.scrollWidth}; too wide: ${o.widest.join(', ')}`);
}

/**
 * Every visible table with rows is a stack: rows are blocks and each labelled
 * cell shows its column's name before its value. Returns how many tables.
 */
async function tablesStack(page, what) {
  const tables = await page.evaluate(() => [...document.querySelectorAll('table')]
    .filter((t) => t.getClientRects().length > 0 && t.tBodies[0]?.rows.length > 0)
    .map((t) => {
      const heads = [...(t.tHead?.rows[0]?.cells || [])].map((th) => th.textContent.trim());
      const row = t.tBodies[0].rows[0];
      // Data cells by column (a row header th titles the card and has no caption).
      const cols = [];
      let col = 0;
      for (const c of row.cells) {
        if (c.tagName === 'TD' && c.colSpan === 1) cols.push(col);
        col += c.colSpan;
      }
      const cells = cols.map((i) => [...row.cells].find((c, k, all) => all.slice(0, k).reduce((n, x) => n + x.colSpan, 0) === i));
      return {
        id: t.id || t.className,
        rowDisplay: getComputedStyle(row).display,
        captions: cells.map((c) => getComputedStyle(c, '::before').content.replace(/^"|"$/g, '')),
        heads: cols.map((i) => heads[i]),
      };
    }));
  for (const t of tables) {
    assert.equal(t.rowDisplay, 'block', `${what}: table ${t.id} rows are not cards at ${PHONE.width} px`);
    assert.deepEqual(t.captions.filter((c, i) => t.heads[i]), t.heads.filter(Boolean),
      `${what}: table ${t.id} cells are not captioned with their column names`);
  }
  return tables.length;
}

/** The link a mail to `to` carries (path and token). */
async function mailedLink(to, pathRe) {
  return waitForMail({ to, match: new RegExp(`https?://[^/\\s]+(${pathRe}#token=[A-Za-z0-9_-]+)`) });
}

describe('phone size (390 px)', () => {
  test('the public pages and the link pages fit', async () => {
    const signin = await phone(`${publicUrl}/`);
    await signin.page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
    await fits(signin.page, 'sign-in');
    await signin.page.getByRole('link', { name: 'Forgot your password?' }).click();
    await signin.page.getByRole('heading', { name: 'Reset your password', level: 1 }).waitFor();
    await fits(signin.page, 'forgot password');

    const call = await customerApi(admin.username, admin.password);
    const invitee = `invitee-${tag}@${tag}.example`;
    assert.equal((await call('POST', '/invites', { email: invitee, role: 'customer_member' })).status, 201);
    const invite = await phone(`${publicUrl}${await mailedLink(invitee, '/invite[^#\\s]*')}`);
    await invite.page.getByRole('heading', { name: /^Join /, level: 1 }).waitFor();
    await fits(invite.page, 'invite page');

    const itAdmin = `it-${tag}@${tag}.example`;
    assert.equal((await call('POST', '/sso/setup-links', { email: itAdmin, expires_in_hours: 24 })).status, 201);
    const setup = await phone(`${publicUrl}${await mailedLink(itAdmin, '/sso-setup[^#\\s]*')}`);
    await setup.page.getByRole('heading', { name: /^Single sign-on for / }).waitFor();
    await setup.page.waitForLoadState('networkidle');
    await fits(setup.page, 'SSO setup page');
    await tablesStack(setup.page, 'SSO setup page');

    assert.equal((await call('POST', '/password-resets', { email: admin.email })).status, 202);
    const reset = await phone(`${publicUrl}${await mailedLink(admin.email, '/reset-password[^#\\s]*')}`);
    await reset.page.getByRole('heading', { name: 'Choose a new password', level: 1 }).waitFor();
    await fits(reset.page, 'reset password page');
  });

  test('the customer console fits, section by section, and its tables are cards', async () => {
    const { page } = await phone(`${publicUrl}/`);
    await signInCustomer(page, admin.username, admin.password);
    await openSection(page, 'members');
    await page.locator('#members-rows tr').first().waitFor();
    await page.waitForLoadState('networkidle');
    await fits(page, 'customer console');
    let tables = await tablesStack(page, 'customer console');
    // A console with a section navigation: each section in turn.
    const links = page.getByRole('navigation').getByRole('link');
    for (let i = 0; i < await links.count(); i += 1) {
      const link = links.nth(i);
      if (!(await link.isVisible()) || !(await link.getAttribute('href'))?.startsWith('#')) continue;
      const name = (await link.textContent()).trim();
      await link.click();
      await page.waitForLoadState('networkidle');
      await fits(page, `customer console, ${name}`);
      tables += await tablesStack(page, `customer console, ${name}`);
    }
    assert.ok(tables > 0, 'the members table was checked');
  });

  test('the operator console fits: dashboard, customers, a customer, users, audit', async () => {
    // Reviews waiting: the customer page then shows their (long) state badges too.
    await submitDetailsForReview(admin.username, admin.password, customer);
    const { page } = await phone(`${operatorUrl}/admin/`);
    await page.getByRole('heading', { name: 'Operator sign-in', level: 1 }).waitFor();
    await fits(page, 'operator sign-in');
    await signInOperator(page, operator);
    await page.waitForLoadState('networkidle');
    await fits(page, 'operator dashboard');
    let tables = await tablesStack(page, 'operator dashboard');
    for (const name of ['Customers', 'Users', 'Audit']) {
      await openTab(page, name);
      await page.locator('[data-section]:not([hidden]) h2').first().waitFor();
      await page.waitForLoadState('networkidle');
      await fits(page, `operator ${name}`);
      tables += await tablesStack(page, `operator ${name}`);
    }
    await openCustomer(page, customer);
    await page.waitForLoadState('networkidle');
    await fits(page, 'operator customer page');
    tables += await tablesStack(page, 'operator customer page');
    assert.ok(tables > 0, 'the operator tables were checked');
  });
});
