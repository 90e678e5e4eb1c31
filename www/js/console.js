/*
 * console.js — entry module of the public Account Setup console.
 *
 * For now the page shows one thing: whether the service answers, from
 * GET /healthz. The badge keeps its text and its data-state together so the
 * stylesheet and the browser tests read the same state ("pending", "ok",
 * "error").
 */

import { apiGet, errorText } from './api.js';

const badge = document.getElementById('health-status');
const checkedAt = document.getElementById('health-checked');
const retry = document.getElementById('health-retry');

function show(state, text) {
  badge.dataset.state = state;
  badge.textContent = text;
}

async function checkHealth() {
  show('pending', 'checking…');
  retry.disabled = true;
  const result = await apiGet('/healthz');
  if (result.ok && result.data?.status === 'ok') {
    show('ok', 'ok');
  } else if (result.ok) {
    // 200 but not the documented body: a wrong upstream, not a healthy service.
    show('error', `Unexpected health answer (request id ${result.requestId || 'unknown'})`);
  } else {
    show('error', errorText(result));
  }
  checkedAt.textContent = `Last checked ${new Date().toLocaleTimeString()}`;
  retry.disabled = false;
}

retry.addEventListener('click', checkHealth);
checkHealth();
