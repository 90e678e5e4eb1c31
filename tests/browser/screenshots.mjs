/*
 * screenshots.mjs — the main pages of both consoles at 1280 px and 390 px,
 * for reviewers: `./dev screenshots [DIR]` (default build/screenshots) runs it
 * against the dev stack with its demo data. Not a test: it asserts nothing,
 * and the images are not committed.
 *
 *   node screenshots.mjs DIR
 *
 * Environment: ONRAMP_PUBLIC_URL, ONRAMP_OPERATOR_URL (the dev stack) and
 * ONRAMP_DEMO_TOTP_FILE (the demo operator's TOTP key, var/demo-operator-totp).
 */

import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  baseUrl, launchBrowser, openCustomer, openPage, openTab, PHONE, signInCustomer, signInOperator,
} from './lib.mjs';

const DESKTOP = { width: 1280, height: 800 };
const WIDTHS = [['1280', DESKTOP], ['390', PHONE]];
// The demo data of tools/stack.py (seed_demo): ./dev up loads it.
const ADMIN = { login: 'acme-admin', password: 'Acme-Admin-Demo-2026' };
const OPERATOR = { username: 'ops-admin', password: 'Operator-Demo-2026' };
const CUSTOMER = { slug: 'acme', name: 'Acme Corporation' };
// A link token nobody holds: the pages show what a person with a dead link sees.
const DEAD_TOKEN = 'screenshot-0000000000000000000000000000';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node screenshots.mjs DIR');
const pub = baseUrl('ONRAMP_PUBLIC_URL');
const ops = baseUrl('ONRAMP_OPERATOR_URL');

/** Save the page (full length) as NAME-WIDTH.png at both widths. */
async function shoot(page, name) {
  for (const [label, size] of WIDTHS) {
    await page.setViewportSize(size);
    await page.waitForTimeout(150); // let layout settle after the resize
    const path = join(dir, `${name}-${label}.png`);
    await page.screenshot({ path, fullPage: true });
    console.log(path);
  }
  await page.setViewportSize(DESKTOP);
}

/** Open URL in a fresh tab, wait for `ready` (a selector) and shoot it. */
async function page(browser, url, ready, name) {
  const tab = await openPage(browser);
  await tab.page.goto(url);
  await tab.page.locator(ready).filter({ visible: true }).first().waitFor();
  await shoot(tab.page, name);
  await tab.context.close();
}

async function customerPages(browser) {
  await page(browser, `${pub}/`, '[data-view="signin"]', 'customer-signin');
  await page(browser, `${pub}/#forgot`, '[data-view="forgot"]', 'customer-forgot');
  await page(browser, `${pub}/reset-password#token=${DEAD_TOKEN}`, 'main h1', 'reset-password');
  await page(browser, `${pub}/invite#token=${DEAD_TOKEN}`, 'main h1', 'invite');
  await page(browser, `${pub}/sso-setup.html#token=${DEAD_TOKEN}`, 'main h1', 'sso-setup');
  const tab = await openPage(browser);
  await tab.page.goto(`${pub}/`);
  await signInCustomer(tab.page, ADMIN.login, ADMIN.password);
  await tab.page.waitForLoadState('networkidle');
  await shoot(tab.page, 'customer-console');
  await tab.context.close();
}

async function operatorPages(browser) {
  const op = { ...OPERATOR, totpSecret: (await readFile(process.env.ONRAMP_DEMO_TOTP_FILE, 'utf8')).trim() };
  await page(browser, `${ops}/admin/`, '[data-view="signin"]', 'operator-signin');
  const tab = await openPage(browser);
  await tab.page.goto(`${ops}/admin/`);
  await signInOperator(tab.page, op);
  for (const [tabName, name] of [['Dashboard', 'operator-dashboard'], ['Review queue', 'operator-reviews'],
    ['Customers', 'operator-customers'], ['Users', 'operator-users'], ['Audit', 'operator-audit']]) {
    await openTab(tab.page, tabName);
    await tab.page.waitForLoadState('networkidle');
    await shoot(tab.page, name);
  }
  await openCustomer(tab.page, CUSTOMER);
  await tab.page.waitForLoadState('networkidle');
  await shoot(tab.page, 'operator-customer');
  await tab.context.close();
}

await mkdir(dir, { recursive: true });
const chrome = await launchBrowser();
try {
  await customerPages(chrome.browser);
  await operatorPages(chrome.browser);
} finally {
  await chrome.close();
}
