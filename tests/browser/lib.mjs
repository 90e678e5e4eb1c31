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
 * e.g. from tools/stack.py), CHROMIUM (default /usr/bin/chromium), and
 * ONRAMP_SCREENSHOT_DIR (optional; screenshots are saved there when set).
 */

import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

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
 * browser gets CHROMIUM_FLAGS, the fresh profile, and the debugging pipe that
 * Playwright drives it through — nothing else. close() also removes the profile.
 */
export async function launchBrowser() {
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
      args: [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, '--remote-debugging-pipe'],
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
  const page = await context.newPage();
  const problems = [];
  const responses = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
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
