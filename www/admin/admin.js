/*
 * admin.js — entry module of the operator console.
 *
 * Shows liveness (/healthz) and readiness (/readyz) side by side. A 503 from
 * /readyz still carries the checks, so the page names the failing ones
 * ("not ready: database") instead of a bare error; only when no checks came
 * back (nginx or the network failed) does it fall back to the error message.
 */

import { apiGet, errorText } from './api.js';

const health = document.getElementById('health-status');
const ready = document.getElementById('ready-status');
const checkList = document.getElementById('ready-checks');
const checkedAt = document.getElementById('checked');
const refresh = document.getElementById('refresh');

function show(el, state, text) {
  el.dataset.state = state;
  el.textContent = text;
}

async function checkHealth() {
  const result = await apiGet('/healthz');
  if (result.ok && result.data?.status === 'ok') show(health, 'ok', 'ok');
  else if (result.ok) show(health, 'error', `Unexpected health answer (request id ${result.requestId || 'unknown'})`);
  else show(health, 'error', errorText(result));
}

function renderChecks(checks) {
  checkList.replaceChildren(...checks.map((check) => {
    const item = document.createElement('li');
    item.dataset.ok = String(Boolean(check.ok));
    const name = document.createElement('span');
    name.className = 'checks__name';
    name.textContent = String(check.name);
    const message = document.createElement('span');
    message.className = 'checks__message';
    message.textContent = String(check.message ?? '');
    item.append(name, message);
    return item;
  }));
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

async function refreshAll() {
  refresh.disabled = true;
  show(health, 'pending', 'checking…');
  show(ready, 'pending', 'checking…');
  await Promise.all([checkHealth(), checkReady()]);
  checkedAt.textContent = `Last checked ${new Date().toLocaleTimeString()}`;
  refresh.disabled = false;
}

refresh.addEventListener('click', refreshAll);
refreshAll();
