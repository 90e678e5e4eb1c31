/*
 * console.test.mjs — the two consoles, loaded through nginx in headless Chromium.
 *
 * Runs against a live stack (see lib.mjs for the environment), so it checks
 * what a browser really gets: the listener split, the security headers, the
 * strict CSP (nothing blocked, nothing thrown) and the status cards. Failure
 * states are produced with page.route, which answers in place of the server,
 * because breaking the real stack mid-test would race the other tests.
 */

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { saveScreenshot, settledStatus, suite } from './lib.mjs';

// load() opens a blank page in a fresh context; each test navigates itself.
const { publicUrl, operatorUrl, load } = suite();

function assertSecurityHeaders(headers, what) {
  const csp = headers['content-security-policy'] ?? '';
  assert.match(csp, /frame-ancestors 'none'/, `${what}: CSP forbids framing`);
  assert.match(csp, /script-src 'self'/, `${what}: CSP allows only own scripts`);
  assert.equal(headers['x-content-type-options'], 'nosniff', `${what}: nosniff`);
  assert.ok(headers['x-request-id'], `${what}: X-Request-Id`);
}

/** The error-shape body the app sends; request_id is what the page must show. */
function errorBody(message, requestId) {
  return JSON.stringify({ error: { code: 'unavailable', message, request_id: requestId } });
}

describe('public console', () => {
  test('loads through nginx, reports health ok, clean under the CSP', async () => {
    const { page, problems, responses } = await load();
    const res = await page.goto(`${publicUrl}/`);
    assert.equal(res.status(), 200);
    assert.equal(await page.title(), 'onramp — Account Setup');
    assertSecurityHeaders(res.headers(), 'page');

    const health = await settledStatus(page, 'health-status');
    assert.deepEqual(health, { state: 'ok', text: 'ok' });
    // Scripts and styles need nosniff too: it is what makes the CSP's MIME checks bite.
    for (const r of responses) assertSecurityHeaders(await r.allHeaders(), r.url());
    assert.ok(responses.some((r) => r.url().endsWith('/css/console.css') && r.ok()), 'stylesheet loaded');
    assert.deepEqual(problems, []);
    await saveScreenshot(page, 'console');
  });

  test('shows an error with the request id when /healthz fails', async () => {
    const { page } = await load();
    await page.route('**/healthz', (route) => route.fulfill({
      status: 503,
      contentType: 'application/json',
      body: errorBody('The service is temporarily unavailable.', 'test-rid'),
    }));
    await page.goto(`${publicUrl}/`);
    const health = await settledStatus(page, 'health-status');
    assert.equal(health.state, 'error');
    assert.match(health.text, /temporarily unavailable/);
    assert.match(health.text, /test-rid/);
    await saveScreenshot(page, 'console-error');

    // Recovery goes through the same code path: drop the fake answer, check again.
    await page.unroute('**/healthz');
    await page.getByRole('button', { name: 'Check again' }).click();
    assert.deepEqual(await settledStatus(page, 'health-status'), { state: 'ok', text: 'ok' });
  });

  test('says the server is unreachable when the request never gets an answer', async () => {
    const { page } = await load();
    await page.route('**/healthz', (route) => route.abort('connectionrefused'));
    await page.goto(`${publicUrl}/`);
    const health = await settledStatus(page, 'health-status');
    assert.equal(health.state, 'error');
    assert.match(health.text, /Could not reach the server/);
  });

  test('the public listener does not serve the operator console', async () => {
    for (const path of ['/admin/', '/admin/index.html', '/admin/admin.js']) {
      const res = await fetch(`${publicUrl}${path}`);
      assert.equal(res.status, 404, path);
      const body = JSON.parse(await res.text());
      assert.equal(body.error.code, 'not_found', path);
    }
  });
});

describe('operator console', () => {
  test('shows health ok and ready with every check listed', async () => {
    const { page, problems } = await load();
    const res = await page.goto(`${operatorUrl}/admin/`);
    assert.equal(res.status(), 200);
    assert.equal(await page.title(), 'onramp — Operator console');
    assertSecurityHeaders(res.headers(), 'page');

    assert.deepEqual(await settledStatus(page, 'health-status'), { state: 'ok', text: 'ok' });
    assert.deepEqual(await settledStatus(page, 'ready-status'), { state: 'ok', text: 'ready' });
    const items = page.locator('#ready-checks > li');
    const names = await items.locator('.checks__name').allTextContents();
    assert.deepEqual(names.sort(), ['database', 'schema']);
    assert.deepEqual(await items.locator('.checks__message').allTextContents(), ['ok', 'ok']);
    assert.deepEqual(problems, []);
    await saveScreenshot(page, 'admin');
  });

  test('names the failing checks when /readyz answers 503', async () => {
    const { page } = await load();
    await page.route('**/readyz', (route) => route.fulfill({
      status: 503,
      contentType: 'application/json',
      body: JSON.stringify({
        error: { code: 'unavailable', message: 'Not ready.', request_id: 'test-rid' },
        checks: [
          { name: 'database', ok: false, message: 'cannot connect' },
          { name: 'schema', ok: true, message: 'ok' },
        ],
      }),
    }));
    await page.goto(`${operatorUrl}/admin/`);
    assert.deepEqual(await settledStatus(page, 'ready-status'),
      { state: 'error', text: 'not ready: database' });
    const failed = page.locator('#ready-checks > li[data-ok="false"]');
    assert.equal(await failed.count(), 1);
    assert.match(await failed.textContent(), /database.*cannot connect/);
    await saveScreenshot(page, 'admin-not-ready');
  });

  test('falls back to the error message when /readyz has no checks', async () => {
    const { page } = await load();
    await page.route('**/readyz', (route) => route.fulfill({
      status: 503,
      contentType: 'application/json',
      body: errorBody('The service is temporarily unavailable.', 'nginx-rid'),
    }));
    await page.goto(`${operatorUrl}/admin/`);
    const ready = await settledStatus(page, 'ready-status');
    assert.equal(ready.state, 'error');
    assert.match(ready.text, /^not ready: .*nginx-rid/);
    assert.equal(await page.locator('#ready-checks > li').count(), 0);
  });

  test('serves the same shared modules and stylesheet as the public console', async () => {
    // www/admin/ holds symlinks to the public files; a copy that drifted would fail here.
    for (const [pub, op] of [['/js/api.js', '/admin/api.js'], ['/js/ui.js', '/admin/ui.js'],
      ['/js/banner.js', '/admin/banner.js'], ['/js/setup-view.js', '/admin/setup-view.js'],
      ['/js/sso-view.js', '/admin/sso-view.js'], ['/js/session.js', '/admin/session.js'],
      ['/css/console.css', '/admin/console.css']]) {
      const [a, b] = await Promise.all([fetch(`${publicUrl}${pub}`), fetch(`${operatorUrl}${op}`)]);
      assert.equal(a.status, 200, pub);
      assert.equal(b.status, 200, op);
      assert.equal(await b.text(), await a.text(), `${op} matches ${pub}`);
    }
  });
});
