/*
 * audit.test.mjs — the operator's audit trail as people read it (issue 16
 * item 12): names instead of ids, a filter by action, each edit as
 * "field: before → after", internal notes only as "changed", and the export
 * link downloading the filtered entries as CSV.
 *
 * The stack starts empty (run.py): the operator and customer are made with
 * onrampctl under names no other test uses; the edits go through the
 * operator API with the page's own session, as the console's forms send them.
 */

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { openTab, saveScreenshot, seedCustomer, seedOperator, signInOperator, unique, suite } from './lib.mjs';

const tag = unique('aud');
const PW = 'Quartz-Lantern-Orbit-2032';
const op = { username: `${tag}-ops`, password: PW };
const slug = `${tag}-co`;
const company = `Company ${tag}`;
const NOTE = `CANARY-${tag} renewal at risk`;

const { operatorUrl, load } = suite({
  seed: () => {
    seedOperator(op);
    seedCustomer({ slug, name: company, seats: 5, users: [{ username: `${slug}-boss`, role: 'customer_admin', password: PW }] });
  },
});

/* Call the operator API from the page, with its session cookie and CSRF token. */
async function api(page, method, path, body) {
  return page.evaluate(async ({ method, path, body }) => {
    const s = await (await fetch('/admin/api/v1/session')).json();
    const r = await fetch(`/admin/api/v1${path}`, {
      method, headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, data: await r.json().catch(() => null) };
  }, { method, path, body });
}

describe('audit trail', () => {
  test('names, a filter by action, per-field changes, notes only as changed, and the CSV export', async () => {
    const { page, problems } = await load(`${operatorUrl}/admin/`);
    await signInOperator(page, op);
    const list = await api(page, 'GET', `/customers?q=${slug}`);
    const cust = list.data.customers.find((c) => c.slug === slug);
    assert.ok(cust, 'the seeded customer is listed');
    assert.equal((await api(page, 'PATCH', `/customers/${cust.id}`, { seat_limit: 7 })).status, 200);
    assert.equal((await api(page, 'PATCH', `/customers/${cust.id}`, { seat_limit: 7 })).status, 200); // no-op: no row
    assert.equal((await api(page, 'PUT', `/customers/${cust.id}/internal-notes`, { body: NOTE, version: 0 })).status, 200);

    await openTab(page, 'Audit');
    await page.locator('#audit-rows tr').first().waitFor();
    await page.getByLabel('Action').fill('customer.');
    await page.locator('#audit-filter-form').getByRole('button', { name: 'Show' }).click();
    const rows = page.locator('#audit-rows tr');
    await rows.filter({ hasText: 'customer.internal_notes' }).first().waitFor();
    const actions = await page.locator('#audit-rows tr td:nth-child(3)').allTextContents();
    assert.ok(actions.length > 0 && actions.every((a) => a.startsWith('customer.')), actions.join());

    // Names: the operator, the customer by name and slug; the seat change once, field by field.
    const seats = rows.filter({ hasText: 'customer.update' }).filter({ hasText: company });
    assert.equal(await seats.count(), 1, 'the save that changed nothing left no row');
    const text = await seats.textContent();
    assert.match(text, /seat_limit: 5 → 7/);
    assert.match(text, new RegExp(op.username));
    assert.match(text, new RegExp(slug));
    // The object and the customer read as names; the id is only the small print.
    assert.equal(await seats.locator('td:nth-child(4) span').first().textContent(), company);
    assert.equal(await seats.locator('td:nth-child(5) span').first().textContent(), company);
    const notes = rows.filter({ hasText: 'customer.internal_notes' }).filter({ hasText: company });
    assert.match(await notes.locator('td.change').textContent(), /^body: changed$/);
    assert.doesNotMatch(await page.locator('#audit-table').textContent(), /CANARY/);
    await saveScreenshot(page, 'operator-audit-filtered');

    // The export link carries the filter and downloads CSV.
    const link = page.getByRole('link', { name: 'CSV' });
    assert.match(await link.getAttribute('href'), /\/audit\/export\?.*action=customer\..*format=csv/);
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const csv = await readFile(await download.path(), 'utf8');
    const lines = csv.trim().split('\r\n');
    assert.match(lines[0], /^id,at,actor_type,actor,customer_slug,customer_name,action,/);
    assert.ok(lines.slice(1).every((l) => /,"customer\./.test(l)), 'only the filtered actions');
    assert.ok(lines.some((l) => l.includes('seat_limit: 5 → 7')), 'the change is in the export');
    assert.doesNotMatch(csv, /CANARY/);
    assert.deepEqual(problems, []);
  });
});
