/*
 * lib.mjs — shared plumbing of the browser tests.
 *
 * Launches the machine's Chromium (no Playwright browser download) headless
 * with a fixed, short flag list and a fresh profile per run, so a result
 * never depends on Playwright's own defaults or on state left by an earlier
 * run. Pages opened here record every console error, uncaught exception and
 * CSP violation, because the consoles' CSP is strict and a blocked script or
 * style fails quietly: a test asserts the list is empty instead of hoping.
 *
 * Environment: ONRAMP_PUBLIC_URL and ONRAMP_OPERATOR_URL (a running stack,
 * e.g. from tools/stack.py), CHROMIUM (default /usr/bin/chromium),
 * ONRAMP_SCREENSHOT_DIR (optional; screenshots are saved there when set),
 * and for tests that create their own accounts and read mail: ONRAMP_CTL (a
 * shell command prefix running onrampctl against the stack, e.g.
 * `/path/onrampctl -c /stack/onramp.conf`) and ONRAMP_MAILDIR (the maildir
 * the stack's SMTP sink writes). tests/browser/run.py sets all of them.
 */

import { createHmac, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before } from 'node:test';
import { chromium } from 'playwright-core';
import { a11yReport, axeStats, hookA11y, takeA11yFindings, watchMutations } from './a11y.mjs';

export { assertFocusVisible, checkA11y, focusState, PHONE, sidewaysOverflow, tabTo } from './a11y.mjs';

export const CHROMIUM_FLAGS = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]);

/** Base URL from the environment, without a trailing slash; throws a clear message when unset. */
export function baseUrl(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: start a stack (tools/stack.py up) and point ${name} at it`);
  }
  return value.replace(/\/+$/, '');
}

/**
 * Start Chromium. ignoreDefaultArgs drops all of Playwright's switches, so the
 * browser gets CHROMIUM_FLAGS, a suite's own `args` (e.g. the test OP's host
 * mapping and certificate pin), the fresh profile, and the debugging pipe that
 * Playwright drives it through — nothing else. close() also removes the profile.
 */
export async function launchBrowser({ args = [] } = {}) {
  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(`Chromium not found at ${executablePath} (Debian package "chromium", or set CHROMIUM)`);
  }
  const profile = await mkdtemp(join(tmpdir(), 'onramp-browser-'));
  let browser;
  try {
    browser = await chromium.launch({
      executablePath,
      headless: true,
      ignoreDefaultArgs: true,
      args: [...CHROMIUM_FLAGS, ...args, `--user-data-dir=${profile}`, '--remote-debugging-pipe'],
    });
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
  return {
    browser,
    async close() {
      await browser.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Open a page in its own context (no cookies or routes shared between tests).
 * `problems` collects console errors, page errors and CSP violations as
 * strings; `responses` every response the page received, for header checks.
 */
export async function openPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await watchMutations(context);
  const page = await context.newPage();
  hookA11y(page);
  const problems = [];
  const responses = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    // Chromium logs every 4xx/5xx answer as "Failed to load resource". For
    // API calls that is the page's business (a wrong password is a 401 the
    // page shows); a static file that fails to load is still a problem.
    const url = msg.location()?.url || '';
    if (/^Failed to load resource: the server responded with a status of (4|5)\d\d/.test(msg.text())
        && isApiUrl(url)) return;
    problems.push(`console error: ${msg.text()}${url ? ` (${url})` : ''}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('response', (res) => responses.push(res));
  // Chromium also logs violations to the console, but the DOM event is the
  // specified signal and names the directive, so record it directly.
  await page.exposeFunction('__onrampCspViolation', (text) => problems.push(`CSP violation: ${text}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__onrampCspViolation(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'}`);
    });
  });
  return { context, page, problems, responses };
}

/** Wait until a status element leaves "pending"; returns {state, text}. */
export async function settledStatus(page, id) {
  const el = page.locator(`#${id}:not([data-state="pending"])`);
  await el.waitFor({ timeout: 10_000 });
  return { state: await el.getAttribute('data-state'), text: (await el.textContent()).trim() };
}

/** Save a full-page screenshot as NAME.png in ONRAMP_SCREENSHOT_DIR, if set. */
export async function saveScreenshot(page, name) {
  const dir = process.env.ONRAMP_SCREENSHOT_DIR;
  if (!dir) return null;
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** True for the two APIs' URLs, whose error statuses the pages handle themselves. */
export function isApiUrl(url) {
  try {
    return /^\/(admin\/)?api\/v1\//.test(new URL(url).pathname);
  } catch {
    return false;
  }
}

/** A name no other test (or earlier run against the same stack) uses: prefix-xxxxxx. */
export function unique(prefix) {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/**
 * Run onrampctl against the stack (ONRAMP_CTL is a shell command prefix);
 * returns stdout, throws with stderr when it exits non-zero. `input` goes to
 * stdin (for --password-stdin).
 */
export function ctl(args, { input } = {}) {
  const prefix = process.env.ONRAMP_CTL;
  if (!prefix) throw new Error('ONRAMP_CTL is not set: run through tests/browser/run.py or set it');
  try {
    return execFileSync('/bin/sh', ['-c', `${prefix} "$@"`, 'onrampctl', ...args], {
      input: input ?? '', encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: 30_000,
    });
  } catch (err) {
    throw new Error(`onrampctl ${args.join(' ')} failed: ${err.stderr || err.message}`);
  }
}

/** Create a customer and users in it through onrampctl; users: [{username, role, password}]. */
export function seedCustomer({ slug, name, seats = 10, users = [] }) {
  ctl(['customers', 'create', '--slug', slug, '--name', name, '--seats', String(seats)]);
  for (const u of users) {
    ctl(['users', 'create', '--customer', slug, '--username', u.username, '--email', u.email || `${u.username}@${slug}.example`,
      '--role', u.role, '--password-stdin'], { input: `${u.password}\n` });
  }
}

/** Create an operator (admin unless admin: false) with a known password. */
export function seedOperator({ username, email, password, admin = true }) {
  ctl(['operators', 'create', '--username', username, '--email', email || `${username}@vendor.example`,
    ...(admin ? ['--admin'] : []), '--password-stdin'], { input: `${password}\n` });
}

/** Every message file in the maildir (new/ and cur/), as {name, text}. */
async function maildirMessages(dir) {
  const out = [];
  for (const sub of ['new', 'cur']) {
    let names = [];
    try {
      names = await readdir(join(dir, sub));
    } catch {
      continue;
    }
    for (const name of names) {
      try {
        out.push({ name, text: await readFile(join(dir, sub, name), 'utf8') });
      } catch {
        // Moved between new/ and cur/ while we looked: the next poll finds it.
      }
    }
  }
  return out;
}

/**
 * Wait (polling every 100 ms, up to `timeout` ms) for a mail to `to` whose
 * text matches `match` (a RegExp); resolves with the first capture group, or
 * the whole match. `skip` holds message file names already consumed.
 */
export async function waitForMail({ to, match, timeout = 15_000, skip = new Set() }) {
  const dir = process.env.ONRAMP_MAILDIR;
  if (!dir) throw new Error('ONRAMP_MAILDIR is not set: run through tests/browser/run.py or set it');
  const deadline = Date.now() + timeout;
  const toLine = new RegExp(`^To:.*${to.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'mi');
  while (Date.now() < deadline) {
    for (const msg of await maildirMessages(dir)) {
      if (skip.has(msg.name) || !toLine.test(msg.text)) continue;
      const m = msg.text.match(match);
      if (m) {
        skip.add(msg.name);
        return m[1] ?? m[0];
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no mail to ${to} matching ${match} within ${timeout} ms`);
}

/** RFC 4648 base32 (spaces and padding ignored) to bytes. */
export function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = text.toUpperCase().replace(/[\s=]/g, '');
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    const v = alphabet.indexOf(ch);
    if (v < 0) throw new Error(`not base32: ${ch}`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The RFC 6238 code (HMAC-SHA1, 30 s steps, 6 digits) of a base32 secret at `atMs`. */
export function totpCode(secretBase32, atMs = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(atMs / 1000 / 30)));
  const mac = createHmac('sha1', base32Decode(secretBase32)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const bin = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
  return String(bin % 1_000_000).padStart(6, '0');
}

/**
 * A suite's browser tabs: load(url) opens `url` in a fresh context (no
 * shared cookies) and records the response as tab.res (load() opens a blank
 * page); track(context) adds
 * one opened by hand; closeAll() ends every
 * context opened so far (call it in afterEach).
 */
export function tabs(getBrowser) {
  const open = [];
  return {
    async load(url) {
      const tab = await openPage(getBrowser());
      open.push(tab.context);
      if (url !== undefined) tab.res = await tab.page.goto(url);
      return tab;
    },
    /** Close this context with the others (for a tab opened by hand). */
    track(context) {
      open.push(context);
    },
    async closeAll() {
      await Promise.all(open.splice(0).map((ctx) => ctx.close()));
    },
    /** The contexts open now (for the end-of-test checks). */
    contexts() {
      return [...open];
    },
  };
}

/**
 * What every suite does around its tests, as hooks registered here: before()
 * runs `seed` (the suite's customers, users and operators through onrampctl)
 * and starts Chromium (with `chromiumArgs` added to its flags), after() closes
 * it, afterEach() closes every tab the
 * test opened. Call it once at the top level of a suite file; it returns
 * {publicUrl, operatorUrl, load(url), track(context)} (load and track as in
 * tabs()).
 */
export function suite({ seed, chromiumArgs = [] } = {}) {
  const urls = { publicUrl: baseUrl('ONRAMP_PUBLIC_URL'), operatorUrl: baseUrl('ONRAMP_OPERATOR_URL') };
  let chrome;
  const pool = tabs(() => chrome.browser);
  before(async () => {
    seed?.();
    chrome = await launchBrowser({ args: chromiumArgs });
  });
  after(async () => {
    await chrome?.close();
    const s = axeStats();
    process.stderr.write(`axe: ${s.runs} runs (${s.skipped} unchanged states skipped), ${s.ms} ms, `
      + `${s.runs ? Math.round(s.ms / s.runs) : 0} ms a run\n`);
  });
  // Every state the test settled on was checked with axe (a11y.mjs); its final
  // states are checked here, and a serious or critical violation fails the test.
  afterEach(async () => {
    let found;
    try {
      found = await takeA11yFindings(pool.contexts());
    } finally {
      await pool.closeAll();
    }
    if (found.length > 0) throw new Error(a11yReport(found));
  });
  return { ...urls, load: (url) => pool.load(url), track: (context) => pool.track(context) };
}

/** Fill and submit the sign-in form of either console. */
export async function submitSignIn(page, login, password) {
  await page.locator('[data-view="signin"]').waitFor();
  await page.getByLabel('Username or email', { exact: true }).fill(login);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

// The server accepts the previous, current and next 30 s step, each once per operator.
const usedSteps = new Map(); // base32 secret -> last step this process sent

/**
 * A TOTP code for the earliest step this process has not used for `secret`
 * that the server still accepts (the previous step only while the current one
 * has 5 s or more to run). Waits for the next step only when all three are
 * used, which the suites' few sign-ins per operator do not reach.
 */
export async function nextTotp(secret) {
  const now = Date.now() / 1000;
  const cur = Math.floor(now / 30);
  const first = now - cur * 30 < 25 ? cur - 1 : cur;
  const step = Math.max(first, (usedSteps.get(secret) ?? first - 1) + 1);
  if (step > cur + 1) {
    const waitMs = ((step - 1) * 30 - now) * 1000 + 200;
    console.warn(`nextTotp: every step in the window is used; waiting ${Math.round(waitMs)} ms`);
    await new Promise((r) => setTimeout(r, waitMs));
  }
  usedSteps.set(secret, step);
  return totpCode(secret, step * 30_000);
}

/**
 * Sign a customer user in and wait for the Account Setup console with its
 * checklist loaded (shown or not: a member lands on their home section).
 */
export async function signInCustomer(page, login, password) {
  await submitSignIn(page, login, password);
  await page.getByRole('heading', { name: 'Account Setup', level: 1 }).waitFor();
  await page.locator('#checklist-items li').first().waitFor({ state: 'attached' });
}

/**
 * Sign an operator in on the console's sign-in form, as a person would: the
 * password, then the code from the authenticator. Every operator must enroll
 * in TOTP; the first time (no `op.totpSecret` yet) the console shows the
 * enrollment step, and this enrolls there and keeps the key in op.totpSecret.
 * Resolves once the console (or the forced password change) shows, with the
 * operator's name in the header.
 */
export async function signInOperator(page, op) {
  await submitSignIn(page, op.username, op.password);
  const code = page.getByLabel('Authentication code');
  const enroll = page.locator('[data-view="enroll"]');
  await Promise.race([code.waitFor(), enroll.waitFor()]);
  if (await enroll.isVisible()) {
    await page.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
    const key = page.getByRole('textbox', { name: 'Key' });
    await key.waitFor();
    op.totpSecret = (await key.inputValue()).replace(/\s+/g, '');
    await page.getByLabel('Enter the code the app shows').fill(await nextTotp(op.totpSecret));
    await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
  } else {
    if (!op.totpSecret) throw new Error(`${op.username} has TOTP on, but this process does not know its key`);
    await code.fill(await nextTotp(op.totpSecret));
    await page.getByLabel('Password', { exact: true }).fill(op.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await page.locator('[data-view="console"], [data-view="password"]').filter({ visible: true }).first().waitFor();
  // Attached, not visible: a phone-size header hides the name.
  await page.locator('#header-username').filter({ hasText: op.username }).waitFor({ state: 'attached' });
}

/** Open an operator console section through its tab, as a keyboard or mouse user would. */
export async function openTab(page, name) {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name, exact: true }).click();
}

/** In the operator console, find the customer through the Customers search and open its page. */
export async function openCustomer(page, customer) {
  await openTab(page, 'Customers');
  await page.getByLabel('Search', { exact: true }).fill(customer.slug);
  await page.locator('#customers-search-form').getByRole('button', { name: 'Search' }).click();
  // Reopening the customer shown last keeps its old body visible until the fresh answer
  // renders, so wait for that answer rather than for the body alone.
  const loaded = page.waitForResponse((r) => r.request().method() === 'GET'
    && /^\/admin\/api\/v1\/customers\/[^/]+$/.test(new URL(r.url()).pathname));
  await page.getByRole('link', { name: customer.name, exact: true }).click();
  await (await loaded).finished();
  await page.getByRole('heading', { name: customer.name, level: 2 }).waitFor();
  await page.locator('#cp-body:not([hidden])').waitFor();
}

/** Record the body of every API answer a page receives; `bodies()` waits for the reads to finish. */
export function recordApiBodies(page) {
  const reads = [];
  page.on('response', (res) => {
    if (!/^\/(admin\/)?api\//.test(new URL(res.url()).pathname)) return;
    reads.push(res.text().then((text) => ({ url: res.url(), text }), () => ({ url: res.url(), text: '' })));
  });
  return { bodies: () => Promise.all(reads) };
}

/**
 * Open a section of the customer's Account Setup (details, checklist, sso,
 * members, readiness, workspace, account; home for members) through its
 * navigation, as a person would (on a phone the bar opens the list first).
 */
export async function openSection(page, key) {
  const toggle = page.locator('#setup-nav-toggle');
  if (await toggle.isVisible() && (await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
  await page.locator(`#setup-nav-list a[data-section="${key}"]`).click();
  await page.locator(`[data-section="${key}"][data-current]`).waitFor();
}

/**
 * A customer API session from Node (for a test's set-up, not its subject):
 * signs in and returns call(method, path, body) → {status, body}, carrying the
 * session cookie and the CSRF token.
 */
export async function customerApi(login, password) {
  const api = `${baseUrl('ONRAMP_PUBLIC_URL')}/api/v1`;
  const signin = await fetch(`${api}/session`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ login, password }),
  });
  if (signin.status !== 200) throw new Error(`sign-in of ${login} answered ${signin.status}`);
  const cookie = signin.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const { csrf_token: csrf } = await signin.json();
  return async function call(method, path, body) {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf, Cookie: cookie },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
}

/**
 * A customer's complete details, saved through the API as its admin: that
 * sends billing and the workspace target to the operators' review queue (as
 * tools/stack.py's demo does), for tests that need a review to decide or a
 * customer page with reviews waiting.
 */
export async function submitDetailsForReview(login, password, { slug, name }) {
  const call = await customerApi(login, password);
  const contact = (who) => ({ name: `${who} Person`, email: `${who.toLowerCase()}@${slug}.example`, phone: '+1 555 010 4477' });
  const res = await call('PATCH', '/account', {
    version: 0, legal_name: `${name} Inc.`, operating_name: name,
    support_contact: contact('Support'), billing_contact: contact('Billing'), technical_contact: contact('Tech'),
    repository_notes: 'Monorepo on GitHub.', workspace_preferences: 'Linux, EU region.',
    target_launch: new Date(Date.now() + 45 * 86_400_000).toISOString().slice(0, 10),
  });
  if (res.status !== 200) throw new Error(`saving ${slug}'s details answered ${res.status}: ${JSON.stringify(res.body)}`);
}
