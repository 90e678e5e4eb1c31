/*
 * opcon.test.mjs — the operator console as operators use it (issue 16,
 * items 10, 11, 13): every dashboard count and bar segment opens the
 * customers behind it (the list shows the filter as a removable chip and the
 * count), the review queue's length and oldest age; an auditor sees text,
 * not forms, on a customer's page; the prepaid balance is shown and entered
 * as money and lands as exact cents.
 *
 * The stack may hold other suites' customers, so counts are compared with
 * what the dashboard itself shows, and the seeded customers are looked for
 * by name on each list.
 */

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  openCustomer, seedCustomer, seedOperator, signInOperator, suite, unique,
} from './lib.mjs';

const tag = unique('opcon');
const PW = 'Slate-Beacon-Ferry-2031';
const admin = { username: `${tag}-admin`, password: PW };
const auditor = { username: `${tag}-aud`, password: PW };
const blocked = { slug: `${tag}-blk`, name: `Blocked ${tag}` };
const over = { slug: `${tag}-over`, name: `Crowded ${tag}` };
const waiting = { slug: `${tag}-wait`, name: `Waiting ${tag}` };
const crowd = [1, 2].map((i) => ({ username: `${over.slug}-u${i}`, role: 'customer_member', password: PW }));

const { publicUrl, operatorUrl, load } = suite({
  seed: () => {
    seedOperator(admin);
    seedCustomer(blocked);
    seedCustomer({ ...over, seats: 2, users: crowd });
    seedCustomer(waiting);
  },
});

/** Call the operator API from the signed-in page (its cookie and CSRF token). */
async function api(page, method, path, body) {
  return page.evaluate(async ({ method, path, body }) => {
    const s = await (await fetch('/admin/api/v1/session')).json();
    const r = await fetch(`/admin/api/v1${path}`, {
      method,
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, data: await r.json().catch(() => null) };
  }, { method, path, body });
}

async function customerId(page, c) {
  const r = await api(page, 'GET', `/customers?q=${encodeURIComponent(c.slug)}`);
  return r.data.customers.find((x) => x.slug === c.slug).id;
}

let seeded = false;

/** The situation the dashboard counts: a blocked customer, one over its seats, one with a review waiting. */
async function arrange(page) {
  if (seeded) return;
  const ok = (r) => assert.ok(r.status < 300, JSON.stringify(r));
  ok(await api(page, 'PUT', `/customers/${await customerId(page, blocked)}/blockers`, {
    blockers: [{ item: 'billing', category: 'billing', message: 'Card declined.' }],
  }));
  for (const u of crowd) {           // signing in takes a seat (a new user is dormant)
    const r = await fetch(`${publicUrl}/api/v1/session`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ login: u.username, password: u.password }),
    });
    assert.equal(r.status, 200);
  }
  ok(await api(page, 'PATCH', `/customers/${await customerId(page, over)}`, { seat_limit: 1 }));
  ok(await api(page, 'PUT', `/customers/${await customerId(page, waiting)}/billing`, { state: 'trial_requested', version: 0 }));
  seeded = true;
}

async function dashboard(page) {
  await page.goto(`${operatorUrl}/admin/#dashboard`);
  await page.locator('#dash-customers a').waitFor();
}

/** Follow a dashboard link; the list must show the chip and exactly `n` customers. */
async function drill(page, link, { chip, n }) {
  await link.click();
  await page.locator('#customers-filters:not([hidden])').waitFor();
  await page.locator('#customers-chips li').filter({ hasText: chip }).waitFor();
  await page.locator('#customers-count').filter({ hasText: `${n} ${n === 1 ? 'customer matches' : 'customers match'}` }).waitFor();
  const names = await page.locator('#customers-rows tr td:first-child').allTextContents();
  assert.equal(names.length, n, `the list holds exactly the ${n} customers counted`);
  return names;
}

describe('operator console drill-down, read-only roles and money', () => {
  test('every dashboard count and bar segment opens the customers behind it', async () => {
    const { page, problems } = await load(`${operatorUrl}/admin/`);
    await signInOperator(page, admin);
    await arrange(page);
    await dashboard(page);

    const nOver = Number(await page.locator('#dash-over-seats a').textContent());
    let names = await drill(page, page.locator('#dash-over-seats a'), { chip: 'Over their seat limit', n: nOver });
    assert.ok(names.includes(over.name) && !names.includes(blocked.name), names.join());
    assert.match(page.url(), /#customers\?over_seat_limit=true$/);

    await dashboard(page);
    const seg = page.locator('#dash-items-chart a[href="#customers?item=billing&state=blocked"]');
    const nSeg = Number(await seg.locator('rect').getAttribute('data-count'));
    names = await drill(page, seg, { chip: 'Billing or trial approved: Blocked', n: nSeg });
    assert.ok(names.includes(blocked.name) && !names.includes(waiting.name), names.join());

    await dashboard(page);
    const bar = page.locator('#dash-blocked-chart a[href="#customers?blocked_category=billing"]');
    names = await drill(page, bar, { chip: 'Blocked: Billing', n: Number(await bar.locator('rect').getAttribute('data-count')) });
    assert.ok(names.includes(blocked.name), names.join());

    await dashboard(page);
    await drill(page, page.locator('#dash-ready a'), { chip: 'Ready for a workspace', n: Number(await page.locator('#dash-ready a').textContent()) });

    // Reviews waiting: the queue's length and its oldest's age; the customers behind it.
    await dashboard(page);
    assert.ok(Number(await page.locator('#dash-reviews a').textContent()) >= 1);
    assert.match(await page.locator('#dash-reviews-oldest').textContent(), /^the oldest has waited \d+ (second|minute|hour)s?$/);
    const nWaiting = Number(await page.locator('#dash-reviews-customers a').textContent());
    names = await drill(page, page.locator('#dash-reviews-customers a'), { chip: 'A review is waiting', n: nWaiting });
    assert.ok(names.includes(waiting.name) && !names.includes(over.name), names.join());

    // The table's numbers link too; a chip removes its filter and the full list returns.
    await dashboard(page);
    await page.locator('#dash-table').evaluate((t) => { t.closest('details').open = true; });
    await drill(page, page.locator('#dash-table-rows tr[data-key="billing"] a').nth(5), { chip: 'Blocked', n: nSeg });
    await page.getByRole('button', { name: 'Remove the filter Billing or trial approved: Blocked' }).click();
    await page.waitForURL(/#customers$/);
    await page.locator('#customers-filters[hidden]').waitFor({ state: 'attached' });
    await page.locator('#customers-rows tr').filter({ hasText: waiting.name }).waitFor();
    await page.locator('#dash-items-chart').count();
    assert.deepEqual(problems, []);
  });

  test('an auditor sees the customer page as text, with no field to type into', async () => {
    const adminPage = await load(`${operatorUrl}/admin/`);
    await signInOperator(adminPage.page, admin);
    await arrange(adminPage.page);
    const made = await api(adminPage.page, 'POST', '/operators',
      { username: auditor.username, email: `${auditor.username}@vendor.example`, role: 'auditor', password: PW });
    assert.equal(made.status, 201, JSON.stringify(made));
    assert.equal((await api(adminPage.page, 'PUT', `/customers/${await customerId(adminPage.page, blocked)}/internal-notes`,
      { body: 'Called them on Monday.', version: 0 })).status, 200);
    // An operator who may write sees the forms (so the auditor's empty count below means something).
    await openCustomer(adminPage.page, blocked);
    const fields = '[data-section="customer"] :is(input, textarea, select)';
    assert.ok(await adminPage.page.locator(fields).filter({ visible: true }).count() > 5);

    const { page, problems } = await load(`${operatorUrl}/admin/`);
    await signInOperator(page, auditor);
    await openCustomer(page, blocked);
    assert.equal(await page.locator(fields).filter({ visible: true }).count(), 0, 'no input, textarea or select');
    assert.equal(await page.locator('[data-section="customer"] button').filter({ visible: true }).count(), 0);
    await page.locator('#cp-notes-text').filter({ hasText: 'Called them on Monday.' }).waitFor();
    await page.locator('#cp-blockers-read').filter({ hasText: 'Billing: Card declined.' }).waitFor();
    await page.locator('#cp-context').filter({ hasText: 'Prepaid balance' }).waitFor();
    assert.match(await page.locator('#cp-seats-text').textContent(), /of 10 licensed seats in use/);
    assert.deepEqual([...problems, ...adminPage.problems], []);
  });

  test('the prepaid balance is shown and entered as money and lands as exact cents', async () => {
    const { page, problems } = await load(`${operatorUrl}/admin/`);
    await signInOperator(page, admin);
    await openCustomer(page, waiting);
    const balance = page.getByLabel('Prepaid balance (US dollars)');
    // 1234.29 * 100 is 123428.99999999999 in floating point: the page must parse the text.
    await balance.fill('1,234.29');
    await page.getByRole('button', { name: 'Save billing' }).click();
    await page.locator('#cp-flash').filter({ hasText: 'Billing was saved.' }).waitFor();
    const id = await customerId(page, waiting);
    assert.equal((await api(page, 'GET', `/customers/${id}`)).data.context.prepaid_balance_cents, 123429);
    await page.locator('#cp-context').filter({ hasText: '$1,234.29' }).waitFor();
    assert.equal(await balance.inputValue(), '1234.29');
    // A third decimal is refused at the field and nothing is sent.
    await balance.fill('12.345');
    await page.getByRole('button', { name: 'Save billing' }).click();
    await page.locator('#cp-billing-form [data-error-for="prepaid_balance_cents"]').filter({ hasText: 'at most two decimals' }).waitFor();
    assert.equal((await api(page, 'GET', `/customers/${id}`)).data.context.prepaid_balance_cents, 123429);
    await balance.fill('0.29');
    await page.getByRole('button', { name: 'Save billing' }).click();
    await page.locator('#cp-context').filter({ hasText: '$0.29' }).waitFor();
    assert.equal((await api(page, 'GET', `/customers/${id}`)).data.context.prepaid_balance_cents, 29);
    assert.deepEqual(problems, []);
  });
});
