/*
 * api.js — the one way the consoles talk to onramp over HTTP.
 *
 * Every call resolves (never rejects) to
 * {ok, status, data, error, requestId, retryAfter}, so pages render one shape
 * whether the app, nginx or the network failed. `retryAfter` is the
 * Retry-After header in seconds (429, 503), or null.
 * `error` is the `error` object of the API's error shape, or one synthesized
 * here with the same fields when there is none (network failure, non-JSON
 * answer), so a page can always show a message and a request id.
 *
 * Sharing between the two consoles: the public listener serves www/ but
 * answers 404 under /admin/, and the operator listener serves only /admin/.
 * No single URL reaches both, so this file is the one source and
 * www/admin/api.js is a relative symlink to it (likewise the stylesheet).
 * Each page imports a relative path inside its own tree, nginx needs no extra
 * location, and the two copies cannot drift; nginx follows symlinks unless
 * `disable_symlinks` is set, and the browser tests check both URLs serve the
 * same bytes.
 */

const JSON_TYPE = 'application/json';

// The session realm this page acts with (X-Onramp-Realm), or null: the default session.
let realm = null;

/**
 * Act with the named session realm on every call: the IT-admin setup page
 * says 'sso_setup', so a browser that also holds a customer session (an admin
 * who opened a setup link) uses the link's session and CSRF token there.
 */
export function useRealm(name) {
  realm = name;
}

/** GET a JSON resource. */
export function apiGet(path) {
  return request('GET', path);
}

/**
 * Send a state-changing request. `body` (optional) is sent as JSON; a
 * `csrfToken` goes in X-CSRF-Token, which the API demands on every change,
 * body or not (DELETE /session has none). `extraHeaders` (optional) are
 * sent too (e.g. Idempotency-Key).
 */
export function apiSend(method, path, body, csrfToken, extraHeaders) {
  return request(method, path, body, csrfToken, extraHeaders);
}

/** One human sentence for a failed result, ending with the request id when known. */
export function errorText(result) {
  const message = result.error?.message || 'The request failed.';
  const rid = result.requestId || result.error?.request_id;
  return rid ? `${message} (request id ${rid})` : message;
}

async function request(method, path, body, csrfToken, extraHeaders) {
  // extraHeaders: e.g. Idempotency-Key on a Create (workspace.js).
  const headers = { ...(extraHeaders || {}), Accept: JSON_TYPE };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = JSON_TYPE;
    init.body = JSON.stringify(body);
  }
  if (csrfToken) headers['X-CSRF-Token'] = csrfToken;
  if (realm) headers['X-Onramp-Realm'] = realm;

  let res;
  try {
    res = await fetch(path, init);
  } catch {
    // fetch rejects only when no answer arrived at all; there is no request id.
    return failure(0, null, null, 'network_error',
      'Could not reach the server. Check your connection and try again.');
  }
  const headerRid = res.headers.get('X-Request-Id');
  const retryAfter = parseRetryAfter(res.headers.get('Retry-After'));
  const parsed = await readJson(res);

  if (res.ok && parsed.valid) {
    return { ok: true, status: res.status, data: parsed.value, error: null, requestId: headerRid, retryAfter };
  }
  const shaped = parsed.value?.error;
  if (!res.ok && shaped && typeof shaped === 'object') {
    const error = { ...shaped };
    const requestId = headerRid || error.request_id || null;
    error.request_id = error.request_id || requestId;
    return { ok: false, status: res.status, data: parsed.value, error, requestId, retryAfter };
  }
  // A 2xx that is not JSON, or an error without the shape, means something
  // other than the app answered (a proxy, a captive portal): say so plainly.
  const message = res.ok
    ? `The server sent an unreadable answer (HTTP ${res.status}).`
    : `The server answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}.`;
  const result = failure(res.status, parsed.valid ? parsed.value : null, headerRid, 'bad_response', message);
  result.retryAfter = retryAfter;
  return result;
}

/** Retry-After as whole seconds: delta-seconds or an HTTP date; null when absent or unreadable. */
function parseRetryAfter(value) {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** Parse a body as JSON; an empty body (204) is valid and reads as null. */
async function readJson(res) {
  let text;
  try {
    text = await res.text();
  } catch {
    return { valid: false, value: null };
  }
  if (text === '') return { valid: true, value: null };
  try {
    return { valid: true, value: JSON.parse(text) };
  } catch {
    return { valid: false, value: null };
  }
}

function failure(status, data, requestId, code, message) {
  return {
    ok: false,
    status,
    data,
    error: { code, message, request_id: requestId },
    requestId,
    retryAfter: null,
  };
}
