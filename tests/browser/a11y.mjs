/*
 * a11y.mjs — the accessibility checks every browser test gets without asking.
 *
 * axe-core runs on each state a test settles on: after every page.goto,
 * locator.waitFor, page.waitForURL and page.waitForFunction (the points where
 * a test says "the page now shows X"), and on every open page when the test
 * ends. Serious and critical violations of WCAG 2.1 A/AA are collected with
 * the page URL, the viewport width and the state's label; suite()'s afterEach
 * fails the test that saw them. A new test is covered because it waits for
 * what it asserts on, not because it remembers to call a check.
 *
 * Cost: axe runs only when the DOM changed since the page's last run (a
 * MutationObserver counts changes), and only on the stack's own pages (not the
 * test IdPs' sign-in pages). axeStats() says how many runs and how long; each
 * suite prints it on stderr when it ends.
 *
 * Also here: the keyboard helpers (focus visible, Tab until a control has
 * focus) and the phone-size helpers (390 px viewport, no sideways scroll).
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** What axe checks: WCAG 2.1 A and AA; a violation fails a test at these impacts. */
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const FAILING_IMPACTS = new Set(['serious', 'critical']);
/** How many elements of one violation the failure message names. */
const TARGETS_SHOWN = 4;

export const PHONE = Object.freeze({ width: 390, height: 844 });

const findings = [];
const stats = { runs: 0, skipped: 0, ms: 0 };
const lastRun = new WeakMap(); // page -> state key of its last axe run
const queue = new WeakMap(); // page -> promise of the run in progress (axe runs one at a time)

/** The origins of the stack under test (public and operator listener). */
function stackOrigins() {
  return ['ONRAMP_PUBLIC_URL', 'ONRAMP_OPERATOR_URL'].map((name) => process.env[name])
    .filter(Boolean).map((url) => new URL(url).origin);
}

/**
 * Installed on every context by openPage(): on the stack's pages (top frame),
 * axe-core itself — an init script is not subject to the pages' strict CSP and
 * costs far less than evaluating axe's 500 KB into a page that is already
 * loaded — and a count of DOM changes, so an unchanged page is not checked twice.
 */
export async function watchMutations(context) {
  const origins = JSON.stringify(stackOrigins());
  await context.addInitScript(pageFocusState);
  await context.addInitScript({
    content: `if (window.top === window && ${origins}.includes(location.origin)) {
${AXE_SOURCE}
window.__onrampMutations = 0;
const start = () => new MutationObserver(() => { window.__onrampMutations += 1; })
  .observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
if (document.documentElement) start(); else document.addEventListener('DOMContentLoaded', start);
}`,
  });
}

/** The stack's pages only: the test OpenID Provider's and SAML IdP's pages are not ours to fix. */
function ours(url) {
  try {
    return stackOrigins().includes(new URL(url).origin);
  } catch {
    return false; // about:blank
  }
}

async function runAxe(page, label) {
  if (page.isClosed() || !ours(page.url())) return;
  const state = await page.evaluate(() => (document.contentType === 'text/html' && typeof window.axe === 'object'
    ? `${location.href} ${window.__onrampMutations} ${innerWidth}` : null));
  if (state === null) return; // a JSON or text answer, not a page
  if (lastRun.get(page) === state) {
    stats.skipped += 1;
    return;
  }
  const t0 = performance.now();
  const violations = await page.evaluate(async ({ tags, shown }) => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      targets: v.nodes.slice(0, shown).map((n) => n.target.join(' ')), count: v.nodes.length,
    }));
  }, { tags: AXE_TAGS, shown: TARGETS_SHOWN });
  stats.runs += 1;
  stats.ms += performance.now() - t0;
  // The state after the run: axe's own markup changes do not make the page "changed".
  lastRun.set(page, await page.evaluate(() => `${location.href} ${window.__onrampMutations} ${innerWidth}`));
  const width = page.viewportSize()?.width;
  for (const v of violations.filter((x) => FAILING_IMPACTS.has(x.impact))) {
    findings.push({ ...v, url: page.url(), width, label });
  }
}

/**
 * Check the page's current state with axe (queued behind a run in progress).
 * A page that navigates or closes mid-run is skipped: its next state is checked.
 */
export function checkA11y(page, label) {
  const prev = queue.get(page) || Promise.resolve();
  const next = prev.then(() => runAxe(page, label)).catch((err) => {
    if (!/closed|destroyed|navigat|Target page/i.test(String(err?.message))) throw err;
  });
  queue.set(page, next.catch(() => {}));
  return next;
}

/** Run after the original method resolves, then check; the original's result is returned. */
function checkAfter(proto, name, label) {
  const original = proto[name];
  if (original.__onrampA11y) return;
  const wrapped = async function wrapped(...args) {
    const result = await original.apply(this, args);
    const page = typeof this.page === 'function' ? this.page() : this;
    await checkA11y(page, label(this, args));
    return result;
  };
  wrapped.__onrampA11y = true;
  proto[name] = wrapped;
}

/** Wrap Page and Locator (once per process) so that every settled state gets an axe run. */
export function hookA11y(page) {
  const pageProto = Object.getPrototypeOf(page);
  checkAfter(pageProto, 'goto', (_p, [url]) => `goto ${url}`);
  checkAfter(pageProto, 'waitForURL', (_p, [url]) => `waitForURL ${url}`);
  checkAfter(pageProto, 'waitForFunction', () => 'waitForFunction');
  checkAfter(Object.getPrototypeOf(page.locator('body')), 'waitFor', (loc) => `waitFor ${loc}`);
}

/** Check every page of these contexts (the test's final states), then return and forget the findings. */
export async function takeA11yFindings(contexts) {
  for (const ctx of contexts) {
    for (const page of ctx.pages()) await checkA11y(page, 'end of test');
  }
  return findings.splice(0);
}

/** The findings as one message: each rule once per page and width, with the state that showed it first. */
export function a11yReport(list) {
  const seen = new Map();
  for (const f of list) {
    const path = new URL(f.url).pathname + new URL(f.url).hash;
    const key = `${path} ${f.width} ${f.id}`;
    if (!seen.has(key)) seen.set(key, `${f.impact} ${f.id} on ${path} at ${f.width} px (${f.label}): ${f.help}; `
      + `${f.count} element(s), e.g. ${f.targets.join(', ')}`);
  }
  return `axe-core found ${seen.size} serious/critical WCAG 2.1 AA violation(s):\n  ${[...seen.values()].join('\n  ')}`;
}

/** How many axe runs this process made, how many states were unchanged (skipped), and their time. */
export function axeStats() {
  return { ...stats, ms: Math.round(stats.ms) };
}

/* ---- keyboard ---- */

/**
 * In the page (an init script): whether the focused element shows it has
 * focus — its outline or box-shadow is drawn —
 * and a description of it for the assertion.
 */
function pageFocusState() {
  window.__onrampFocusState = () => {
    const el = document.activeElement;
    if (!el || el === document.body) return { visible: false, what: 'nothing focused' };
    // Chromium's date input has a calendar button of its own (the last Tab stop inside it);
    // while it has focus the input is the active element but not :focus, and the ring is
    // drawn on that browser part (console.css styles it), out of getComputedStyle's reach.
    if (el.matches('input[type="date"]:not(:focus)')) return { visible: true, what: 'the date picker button' };
    const cs = getComputedStyle(el);
    const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0;
    const shadow = cs.boxShadow && cs.boxShadow !== 'none';
    const name = el.getAttribute('aria-label') || el.textContent?.trim().slice(0, 40) || el.getAttribute('name') || '';
    return {
      // The style drawn now (the :focus-visible rules apply while the keyboard moved focus). A
      // date input is not itself :focus-visible (its inner fields are), so the drawn ring counts.
      visible: Boolean(outline || shadow),
      what: `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} "${name}" outline=${cs.outlineStyle} ${cs.outlineWidth} `
        + `shadow=${cs.boxShadow} focus=${el.matches(':focus')} focus-visible=${el.matches(':focus-visible')}`,
    };
  };
}

/** Whether the focused element shows visible focus: {visible, what}. */
export async function focusState(page) {
  return page.evaluate(() => window.__onrampFocusState());
}

/** Throw unless the focused element shows visible focus. */
export async function assertFocusVisible(page, step) {
  const s = await focusState(page);
  if (!s.visible) throw new Error(`${step}: focus is not visible on ${s.what}`);
}

/**
 * Press Tab (or Shift+Tab when `locator` comes before the focused element)
 * until an element of `locator` has focus, checking at every stop that focus
 * is visible. Returns the number of presses; throws after `max`.
 */
export async function tabTo(page, locator, { max = 200 } = {}) {
  await locator.first().waitFor();
  const here = await locator.evaluateAll((els) => ({
    hit: els.some((el) => el === document.activeElement || el.contains(document.activeElement)),
    ...window.__onrampFocusState(),
  }));
  if (here.hit) { // the page moved focus there itself (e.g. the next step of a sign-in)
    if (!here.visible) throw new Error(`${locator} has focus, but it is not visible: ${here.what}`);
    return 0;
  }
  const before = await locator.first().evaluate((el) => {
    const a = document.activeElement;
    return Boolean(a && a !== document.body && (a.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_PRECEDING));
  });
  const key = before ? 'Shift+Tab' : 'Tab';
  for (let i = 1; i <= max; i += 1) {
    await page.keyboard.press(key);
    const s = await locator.evaluateAll((els) => ({
      hit: els.some((el) => el === document.activeElement || el.contains(document.activeElement)),
      ...window.__onrampFocusState(),
    }));
    if (!s.visible) throw new Error(`${key} towards ${locator} (stop ${i}): focus is not visible on ${s.what}`);
    if (s.hit) return i;
  }
  throw new Error(`${locator} never got focus after ${max} presses of ${key}`);
}

/* ---- small screens ---- */

/** How far the page scrolls sideways at its current width (0 when it does not). */
export async function sidewaysOverflow(page) {
  return page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    width: document.documentElement.clientWidth,
    widest: [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1
        && el.getClientRects().length > 0)
      .slice(0, 5).map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className ? `.${String(el.className).split(' ')[0]}` : ''}`),
  }));
}
