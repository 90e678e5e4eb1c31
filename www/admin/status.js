/*
 * status.js — the system status cards at the bottom of every operator view:
 * liveness (/healthz) and readiness (/readyz). A 503 from /readyz still
 * carries the checks, so the page names the failing ones ("not ready:
 * database") instead of a bare error; only when no checks came back (nginx
 * or the network failed) does it fall back to the error message.
 */

import { apiGet, errorText } from './api.js';
import { byId, el } from './ui.js';

const health = byId('health-status');
const ready = byId('ready-status');
const checkList = byId('ready-checks');
const checkedAt = byId('checked');
const refresh = byId('refresh');

function show(node, stateName, text) {
  node.dataset.state = stateName;
  node.textContent = text;
}

async function checkHealth() {
  const result = await apiGet('/healthz');
  if (result.ok && result.data?.status === 'ok') show(health, 'ok', 'ok');
  else if (result.ok) show(health, 'error', `Unexpected health answer (request id ${result.requestId || 'unknown'})`);
  else show(health, 'error', errorText(result));
}

function renderChecks(checks) {
  checkList.replaceChildren(...checks.map((check) => el('li', { data: { ok: String(Boolean(check.ok)) } },
    el('span', { class: 'checks__name', text: String(check.name) }),
    el('span', { class: 'checks__message', text: String(check.message ?? '') }))));
}

async function checkReady() {
  const result = await apiGet('/readyz');
  const checks = Array.isArray(result.data?.checks) ? result.data.checks : [];
  renderChecks(checks);
  const failing = checks.filter((check) => !check.ok).map((check) => check.name);
  if (result.ok && failing.length === 0) show(ready, 'ok', 'ready');
  else if (failing.length > 0) show(ready, 'error', `not ready: ${failing.join(', ')}`);
  else show(ready, 'error', `not ready: ${errorText(result)}`);
}

/** Check both again and say when. */
export async function refreshAll() {
  refresh.disabled = true;
  show(health, 'pending', 'checking…');
  show(ready, 'pending', 'checking…');
  await Promise.all([checkHealth(), checkReady()]);
  checkedAt.textContent = `Last checked ${new Date().toLocaleTimeString()}`;
  refresh.disabled = false;
}

refresh.addEventListener('click', refreshAll);
