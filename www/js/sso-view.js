/*
 * sso-view.js — how both consoles show a single sign-on draft and its
 * validation report (www/admin/sso-view.js is a symlink to this file, like
 * setup-view.js): the customer's Account Setup under its form, the operator's
 * review queue and customer page.
 *
 * Everything from the API (check messages, entity IDs, subjects, URLs, the
 * pasted XML) goes in as text. The page adds only words for fixed codes
 * (protocols, severities, endpoint kinds).
 */

import { badge, el, formatTime } from './ui.js';
import { reviewLabel } from './setup-view.js';

const PROTOCOLS = { oidc: 'OpenID Connect', saml: 'SAML 2.0', not_required: 'Not required' };
const SEVERITY_RANK = { error: 0, warning: 1, info: 2 };
const OUTCOME_LABELS = {
  ok: 'OK', error: 'Error', warning: 'Warning', info: 'Note',
};

export const protocolLabel = (p) => (p ? PROTOCOLS[p] || String(p) : 'Not chosen yet');

const list = (x) => (Array.isArray(x) ? x.filter((v) => v !== null && v !== undefined) : []);

function fact(term, value, { mono = false } = {}) {
  let dd;
  if (value instanceof Node) dd = el('dd', {}, value);
  else if (value === null || value === undefined || value === '') dd = el('dd', { class: 'muted-text', text: '—' });
  else dd = el('dd', { class: mono ? 'mono wrap-any' : 'prewrap', text: String(value) });
  return el('div', { class: 'facts__row' }, el('dt', { text: term }), dd);
}

/**
 * What a row shows, the one rule for its badge and for the headline's counts
 * (the server's sso_check_shown): a passed check is OK whatever a failure
 * would have meant; a failed one shows its severity (error when unknown).
 */
export function rowOutcome(c) {
  if (c.ok) return 'ok';
  return Object.hasOwn(SEVERITY_RANK, c.severity) ? c.severity : 'error';
}

/** How many rows show each outcome: {ok, error, warning, info}. */
export function rowCounts(checks) {
  const counts = {
    ok: 0, error: 0, warning: 0, info: 0,
  };
  for (const c of list(checks)) counts[rowOutcome(c)] += 1;
  return counts;
}

/** Failed checks first (errors, then warnings, then notes), then the passed ones; stable otherwise. */
export function sortedChecks(checks) {
  return list(checks)
    .map((c, i) => ({ c, i }))
    .sort((a, b) => (Number(Boolean(a.c.ok)) - Number(Boolean(b.c.ok)))
      || ((SEVERITY_RANK[a.c.severity] ?? 3) - (SEVERITY_RANK[b.c.severity] ?? 3))
      || (a.i - b.i))
    .map((x) => x.c);
}

/** One check as an <li>: outcome badge (rowOutcome), the sentence, the key. */
function checkItem(c) {
  const outcome = rowOutcome(c);
  return el('li', {
    class: 'sso-check',
    data: {
      ok: String(Boolean(c.ok)), severity: String(c.severity ?? ''), outcome, key: String(c.key ?? ''),
    },
  },
  badge(`check-${outcome}`, OUTCOME_LABELS[outcome]),
  el('span', { class: 'sso-check__message', text: String(c.message ?? '') }),
  c.key ? el('span', { class: 'sso-check__key mono', text: String(c.key) }) : null);
}

/** A sentence for a report's outcome: passed, or how many errors and warnings. */
export function reportHeadline(report) {
  const { error: errors, warning: warnings } = rowCounts(report?.checks);
  const warn = warnings ? ` ${warnings} warning${warnings === 1 ? '' : 's'}.` : '';
  if (report?.ok) return `Validation passed.${warn}`;
  return `Validation failed: ${errors || 'at least one'} error${errors === 1 ? '' : 's'}.${warn}`;
}

function certificate(c, i) {
  const key = [c.key, c.key_bits ? `${c.key_bits} bits` : null].filter(Boolean).join(' ');
  return el('li', { class: 'sso-cert', data: { sha256: String(c.sha256 ?? '') } },
    el('h5', { class: 'sso-cert__title', text: `Certificate ${i + 1}${c.use ? ` (${c.use})` : ''}` }),
    el('dl', { class: 'facts wide-facts' },
      fact('Subject', c.subject),
      fact('Issuer', c.issuer),
      fact('Valid from', c.not_before ? formatTime(c.not_before) : null),
      fact('Valid until', c.not_after ? `${formatTime(c.not_after)} (${c.not_after})` : null),
      fact('Key', key),
      fact('Signature algorithm', c.signature_algorithm),
      fact('SHA-256 fingerprint', c.sha256, { mono: true })));
}

/** The summary of a report: entity ID or issuer, endpoints, certificates, keys. */
export function summaryNode(summary, { level = 4 } = {}) {
  const s = summary || {};
  const oidc = s.protocol === 'oidc';
  const endpoints = list(s.endpoints);
  const certs = list(s.certificates);
  const nameids = list(s.nameid_formats);
  const entities = list(s.entities);
  const rows = [
    fact('Protocol', protocolLabel(s.protocol)),
    fact(oidc ? 'Issuer' : 'Entity ID', s.entity_id, { mono: true }),
  ];
  if (!oidc) rows.push(fact('Signed document', s.signed ? 'Yes' : 'No'));
  rows.push(fact('Endpoints', endpoints.length
    ? el('ul', { class: 'plain-list' }, ...endpoints.map((e) => el('li', {},
      el('span', { class: 'sso-endpoint__kind', text: `${e.kind ?? 'endpoint'}: ` }),
      el('span', { class: 'mono wrap-any', text: String(e.url ?? '') }))))
    : null));
  if (!oidc) rows.push(fact('NameID formats', nameids.length ? nameids.join('\n') : null));
  if (entities.length > 1) rows.push(fact('Entities in the document', entities.join('\n')));
  if (oidc || s.jwks_uri) {
    rows.push(fact('Signing keys (JWKS)', s.jwks_uri, { mono: true }));
    rows.push(fact('Usable signing keys', String(s.usable_keys ?? 0)));
  }
  return el('div', { class: 'sso-summary' },
    el(`h${level}`, { text: 'Summary' }),
    el('dl', { class: 'facts wide-facts' }, ...rows),
    certs.length ? el(`h${level}`, { text: 'Certificates' }) : null,
    certs.length ? el('ul', { class: 'sso-certs plain-list' }, ...certs.map(certificate)) : null);
}

/**
 * The checks of a report or a test sign-in: the rows that need attention
 * (failed, any severity) in view, the passed ones collapsed behind "N checks
 * passed" (a long report reads as its summary, details on demand).
 */
function checksNode(checks) {
  const all = sortedChecks(checks);
  const attention = all.filter((c) => !c.ok);
  const passed = all.filter((c) => c.ok);
  return el('div', { class: 'sso-checks-group' },
    attention.length ? el('ul', { class: 'sso-checks plain-list' }, ...attention.map(checkItem)) : null,
    passed.length ? el('details', { class: 'sso-report__passed' },
      el('summary', { text: passed.length === 1 ? '1 check passed' : `${passed.length} checks passed` }),
      el('ul', { class: 'sso-checks plain-list' }, ...passed.map(checkItem))) : null);
}

/**
 * A validation report: the headline, the checks (failures in view, passes
 * collapsed), the summary of the document on demand. `stale` marks a report
 * of an earlier version of the draft.
 */
export function reportNode(report, { level = 4, stale = false } = {}) {
  const checks = sortedChecks(report?.checks);
  return el('div', { class: 'sso-report__content', data: { ok: String(Boolean(report?.ok)), stale: String(stale) } },
    el('p', {
      class: 'alert sso-report__headline',
      data: { kind: stale ? 'warning' : (report?.ok ? 'success' : 'error') },
      text: `${stale ? 'This report is for an earlier version of the details. ' : ''}${reportHeadline(report)}${
        report?.validated_at ? ` Checked ${formatTime(report.validated_at)}.` : ''}`,
    }),
    el(`h${level}`, { text: 'Checks' }),
    checksNode(checks),
    report?.summary ? el('details', { class: 'sso-report__summary' },
      el('summary', { text: 'What the document says: endpoints and certificates' }),
      summaryNode(report.summary, { level })) : null);
}

/** The draft as operators read it: every field the customer entered, then the validation state. */
export function draftNode(sso) {
  const d = sso || {};
  const claims = d.claims || {};
  const xml = typeof d.metadata_xml === 'string' ? d.metadata_xml : '';
  const join = (x) => (list(x).length ? list(x).join(', ') : null);
  const rows = [fact('Protocol', protocolLabel(d.protocol)), fact('Review', reviewLabel(d.review_state || 'none'))];
  if (d.protocol === 'oidc' || d.discovery_url) rows.push(fact('Discovery URL or issuer', d.discovery_url, { mono: true }));
  if (d.protocol === 'saml' || d.metadata_url) rows.push(fact('Metadata URL', d.metadata_url, { mono: true }));
  if (xml) {
    rows.push(fact('Metadata XML', el('details', { class: 'sso-xml' },
      el('summary', { text: `Pasted XML (${new Blob([xml]).size} bytes)` }),
      el('pre', { class: 'mono wrap-any', text: xml }))));
  }
  if (d.entity_choice) rows.push(fact('Chosen entity', d.entity_choice, { mono: true }));
  rows.push(
    fact('Email domains', join(d.email_domains)),
    fact('Claims', `username: ${claims.username ?? '—'} · email: ${claims.email ?? '—'} · groups: ${claims.groups ?? '—'}`),
    fact('Admin groups', join(d.admin_groups)),
    fact('Member groups', join(d.member_groups)),
    fact('Test users', join(d.test_users)),
    fact('Saved', d.updated_at ? `${formatTime(d.updated_at)} (version ${d.version})` : 'never'),
    fact('Validation', validationText(d)),
  );
  if (d.cert_not_after) rows.push(fact('Earliest certificate expiry', `${formatTime(d.cert_not_after)} (${d.cert_not_after})`));
  return el('dl', { class: 'facts wide-facts sso-draft' }, ...rows);
}

/** True while a validation job (GET /sso `validation_job`) is queued or running. */
export function jobActive(job) {
  return job?.state === 'queued' || job?.state === 'running';
}

/** Where the draft stands with validation, in one sentence. */
export function validationText(sso) {
  if (sso?.protocol === 'not_required') return 'Not needed: single sign-on is not required.';
  if (!sso || !sso.protocol) return 'Nothing to validate until a protocol is chosen.';
  const job = sso.validation_job;
  if (jobActive(job)) return `A validation of version ${job.version} is ${job.state} (requested ${formatTime(job.created_at)}).`;
  if (sso.validated) return 'Passed for the saved details.';
  if (sso.validation_current) return 'Failed for the saved details: fix what the report says, save and validate again.';
  if (sso.validation) return 'The details changed since the last validation: it must be run again.';
  return 'Not validated yet.';
}

const ROLES = { customer_admin: 'Customer admin', customer_member: 'Member', none: 'None (no configured group)' };
const TEST_HEADLINES = {
  passed: ['success', 'The test sign-in passed: this is what a real sign-in would do.'],
  failed: ['error', 'The test sign-in failed: the first failed check says why.'],
  pending: ['info', 'Waiting for the identity provider to send the browser back.'],
};

/**
 * A test sign-in (GET /sso/tests/{id}): the outcome, the claims the identity
 * provider sent, the test user it matched, the role the groups give, and
 * every check (failures first).
 */
export function testNode(test, { level = 4 } = {}) {
  const t = test || {};
  const c = t.claims || null;
  const [kind, headline] = TEST_HEADLINES[t.state] || TEST_HEADLINES.pending;
  const verified = c?.email_verified === true ? 'Yes' : (c?.email_verified === false ? 'No' : null);
  let groups = null;
  if (c) groups = Array.isArray(c.groups) ? (c.groups.length ? c.groups.join(', ') : 'none') : 'No groups claim sent';
  return el('div', { class: 'sso-test__content', data: { state: String(t.state ?? '') } },
    el('p', { class: 'alert', data: { kind }, text: headline }),
    el('dl', { class: 'facts wide-facts' },
      fact('Draft version', t.version !== undefined ? String(t.version) : null),
      fact('Started by', t.started_by),
      fact('Finished', t.finished_at ? formatTime(t.finished_at) : null),
      fact('Subject', c?.subject, { mono: true }),
      fact('Email', c?.email),
      fact('Email verified', verified),
      fact('Username', c?.username),
      fact('Groups', groups),
      fact('Matched test user', t.matched_test_user),
      fact('Role it would get', t.role ? ROLES[t.role] || String(t.role) : null)),
    el(`h${level}`, { text: 'Checks' }),
    checksNode(t.checks));
}
