/*
 * sso.js — the single sign-on card of Account Setup (customer admins only):
 * the protocol switch (OpenID Connect, SAML, not required), the non-secret
 * details of the identity provider, Save (PUT /sso with the whole draft and
 * the version it was loaded from), Validate (POST /sso/validate queues a
 * job, 202; the page polls GET /sso/validations/{id} and shows queued, then
 * running, then each check and the summary) and Submit for review (POST
 * /sso/submit), which is enabled only while GET /sso says the saved version
 * passed validation. A reload while a validation runs picks it up again.
 *
 * Any edit makes the page say the validation has to run again; Validate on
 * an edited form saves first. Field errors of a 422 land next to their
 * inputs, list entries (`email_domains[1]`) at their list; a 409 from a stale
 * version offers a reload. setup.js owns the checklist and passes the `sso`
 * item here for its review comment and certificate warning.
 */

import { errorText } from './api.js';
import {
  badge, busy, byId, clear, el, formatTime, say, sayError,
} from './ui.js';
import { reviewLabel, reviewNode } from './setup-view.js';
import {
  jobActive, protocolLabel, reportHeadline, reportNode,
} from './sso-view.js';
import { initSsoSecret, resetSsoSecret, showSsoSecret } from './sso-secret.js';
import {
  initSsoLive, loadSsoSp, resetSsoLive, showSsoLive,
} from './sso-live.js';

let calls = null; // { get, send, ownFailure, refreshChecklist }

const sso = {
  saved: null, // the last GET/PUT answer
  lastReport: null, // the last report seen (kept when an edit makes the answer's `validation` null)
  dirty: false,
  item: null, // the checklist's sso item
  job: null, // the validation job being followed (or the last one seen)
  following: 0, // which follower may still update the page (bumped to stop one)
};

// Polling a validation: quickly at first (a pasted document is checked in well under a
// second), then every second, for at most about three minutes.
const POLL_MS = [250, 500, 1000];
const POLL_MAX = 180;

const XML_MAX = 1024 * 1024;
const DEFAULT_CLAIMS = { username: 'preferred_username', email: 'email', groups: 'groups' };
const LISTS = ['email_domains', 'admin_groups', 'member_groups', 'test_users'];
const SUBMITTABLE = ['draft', 'changes_requested', 'rejected'];

const form = byId('sso-form');
const f = form.elements;

/** Wire the module: {get(path), send(method, path, body), ownFailure(result), refreshChecklist()}. */
export function initSso(sessionCalls) {
  calls = sessionCalls;
  initSsoSecret(sessionCalls);
  initSsoLive(sessionCalls);
}

/** Load and show the saved draft. */
export async function loadSso() {
  const result = await calls.get('/sso');
  if (!result) return false;
  if (!result.ok) {
    if (calls.ownFailure(result)) sayError(byId('sso-flash'), result);
    return false;
  }
  showSaved(result.data, { fill: true });
  loadSsoSp();
  // A validation still running (the page was reloaded meanwhile): follow it again.
  if (jobActive(result.data?.validation_job)) followValidation(result.data.validation_job);
  return true;
}

/** Forget the previous user's draft. */
export function resetSso() {
  sso.following += 1;
  sso.job = null;
  sso.saved = null;
  sso.lastReport = null;
  sso.item = null;
  setDirty(false);
  form.reset();
  clearErrors();
  clear(byId('sso-flash'));
  byId('sso-conflict').hidden = true;
  byId('sso-report-body').replaceChildren();
  byId('sso-report').hidden = true;
  byId('sso-notes').replaceChildren();
  byId('sso-entity-choice').replaceChildren();
  resetSsoSecret();
  resetSsoLive();
}

/** The checklist's sso item (review comment, certificate warning), from setup.js after each checklist load. */
export function showSsoItem(item) {
  sso.item = item || null;
  renderNotes();
}

/* ---- showing the saved state ---------------------------------------------- */

function showSaved(data, { fill }) {
  sso.saved = data || {};
  if (sso.saved.validation) sso.lastReport = sso.saved.validation;
  if (fill) {
    fillForm(sso.saved);
    setDirty(false);
  }
  renderStatus();
  renderReport();
  renderEntities();
  renderNotes();
  showSsoSecret(sso.saved);
  showSsoLive(sso.saved);
  byId('sso-saved').textContent = sso.saved.updated_at ? `Last saved ${formatTime(sso.saved.updated_at)}` : '';
}

function fillForm(d) {
  form.reset();
  clearErrors();
  const protocol = ['oidc', 'saml', 'not_required'].includes(d.protocol) ? d.protocol : '';
  for (const radio of form.querySelectorAll('input[name="protocol"]')) radio.checked = radio.value === protocol;
  f.discovery_url.value = d.discovery_url ?? '';
  f.client_id.value = d.client_id ?? '';
  f.metadata_url.value = d.metadata_url ?? '';
  f.metadata_xml.value = d.metadata_xml ?? '';
  const source = d.metadata_xml ? 'xml' : 'url';
  for (const radio of form.querySelectorAll('input[name="metadata_source"]')) radio.checked = radio.value === source;
  for (const key of LISTS) f[key].value = (Array.isArray(d[key]) ? d[key] : []).join('\n');
  const claims = d.claims || {};
  // A draft never saved with SSO details starts from the usual claim names.
  const fresh = !d.protocol || d.protocol === 'not_required';
  for (const key of Object.keys(DEFAULT_CLAIMS)) {
    f[`claims.${key}`].value = claims[key] ?? (fresh ? DEFAULT_CLAIMS[key] : '');
  }
  showSections();
}

/** Show the sections that belong to the chosen protocol and metadata source. */
function showSections() {
  const protocol = chosenProtocol();
  const details = protocol === 'oidc' || protocol === 'saml';
  byId('sso-oidc').hidden = protocol !== 'oidc';
  byId('sso-saml').hidden = protocol !== 'saml';
  byId('sso-common').hidden = !details;
  const xml = chosenSource() === 'xml';
  byId('sso-metadata-url-field').hidden = xml;
  byId('sso-metadata-xml-field').hidden = !xml;
  byId('sso-validate').hidden = !details;
  byId('sso-submit').hidden = !details;
  byId('sso-save').hidden = !details;
  // "Not required" through its own button, while SSO is not settled as such.
  byId('sso-not-required-box').hidden = sso.saved?.protocol === 'not_required' || details;
  byId('sso-submit-hint').hidden = !details;
  showSettled();
  renderEntities();
}

/**
 * Settled as not required (and no protocol chosen instead): the card says so
 * and nothing in it asks to validate, test, register or require anything.
 */
function showSettled() {
  const details = ['oidc', 'saml'].includes(chosenProtocol());
  const none = sso.saved?.protocol === 'not_required' && !details;
  for (const id of ['sso-intro', 'sso-golive', 'sso-sp', 'sso-require-field', 'sso-test']) byId(id).hidden = none;
  // The setup-link form is not on the IT admin's own page (sso-setup.js drops #sso-links).
  const linkForm = document.getElementById('sso-link-form');
  if (linkForm) linkForm.hidden = none;
  byId('sso-intro-none').hidden = !none;
}

const chosenProtocol = () => form.querySelector('input[name="protocol"]:checked')?.value || '';
const chosenSource = () => form.querySelector('input[name="metadata_source"]:checked')?.value || 'url';

function renderStatus() {
  const d = sso.saved || {};
  byId('sso-protocol').textContent = protocolLabel(d.protocol);
  const review = d.review_state || 'none';
  byId('sso-review').replaceChildren(badge(`review-${review}`, reviewLabel(review)));
  byId('sso-validation').replaceChildren(validationBadge());
  updateSubmit();
  showSettled();
}

/** Validation state of the saved draft, as a badge with a sentence. */
function validationBadge() {
  const d = sso.saved || {};
  if (d.protocol === 'not_required') return el('span', { class: 'muted-text', text: 'Not needed: single sign-on is not required' });
  if (!d.protocol) return el('span', { class: 'muted-text', text: 'Nothing to validate until a protocol is chosen' });
  if (sso.dirty) return badge('validation-stale', 'Run the validation again after saving your changes');
  if (jobActive(sso.job)) return badge('validation-stale', sso.job.state === 'queued' ? 'Queued…' : 'Running…');
  if (d.validated) return badge('validation-passed', 'Passed for the saved details');
  if (d.validation_current) return badge('validation-failed', 'Failed: see the report below');
  if (sso.lastReport) return badge('validation-stale', 'The details changed: run the validation again');
  return badge('validation-none', 'Not validated yet');
}

function updateSubmit() {
  const d = sso.saved || {};
  const button = byId('sso-submit');
  const review = d.review_state || 'none';
  const can = Boolean(d.validated) && !sso.dirty && SUBMITTABLE.includes(review);
  button.disabled = !can;
  let why;
  if (review === 'pending') why = 'Waiting for our review. Saving changes withdraws it, and you submit again after a new validation.';
  else if (review === 'approved' && !sso.dirty) why = 'Approved. Changing the details needs a new validation and review.';
  else if (sso.dirty) why = 'Save your changes and validate them before submitting.';
  else if (!d.validated) why = 'Submitting needs a passing validation of the saved details: press Validate.';
  else why = 'The validation passed: you can submit the details for our review.';
  byId('sso-submit-hint').textContent = why;
}

function renderReport() {
  const d = sso.saved || {};
  const section = byId('sso-report');
  const report = d.validation || sso.lastReport;
  if (!report || !d.protocol || d.protocol === 'not_required') {
    section.hidden = true;
    byId('sso-report-body').replaceChildren();
    return;
  }
  const stale = sso.dirty || !d.validation;
  byId('sso-report-body').replaceChildren(reportNode(report, { level: 4, stale }));
  section.hidden = false;
}

/** The entity picker, when the last report found several entities in an aggregate. */
function renderEntities() {
  const report = sso.saved?.validation || sso.lastReport;
  const entities = Array.isArray(report?.summary?.entities) ? report.summary.entities.filter(Boolean) : [];
  const show = chosenProtocol() === 'saml' && (entities.length > 1 || Boolean(sso.saved?.entity_choice));
  const select = byId('sso-entity-choice');
  byId('sso-entity-field').hidden = !show;
  const current = select.value || sso.saved?.entity_choice || '';
  const options = [...new Set([...entities, ...(current ? [current] : [])])];
  select.replaceChildren(
    el('option', { value: '', text: 'Choose the identity provider…' }),
    ...options.map((id) => el('option', { value: id, text: id, selected: id === current })));
  select.value = current;
}

/** The review comment and certificate warning of the checklist's sso item. */
function renderNotes() {
  const notes = [];
  const item = sso.item;
  if (item?.warning) notes.push(el('p', { class: 'alert sso-warning', data: { kind: 'warning' }, text: String(item.warning) }));
  if (item?.review?.comment) notes.push(reviewNode(item.review));
  byId('sso-notes').replaceChildren(...notes);
}

/* ---- editing ---------------------------------------------------------------- */

function setDirty(value) {
  sso.dirty = value;
  byId('sso-dirty').hidden = !value || !['oidc', 'saml'].includes(chosenProtocol());
  if (sso.saved) {
    byId('sso-validation').replaceChildren(validationBadge());
    updateSubmit();
    renderReport();
  }
}

form.addEventListener('input', (e) => {
  if (e.target.id === 'sso-metadata-file') return;
  setDirty(true);
});
form.addEventListener('change', (e) => {
  if (e.target.name === 'protocol' || e.target.name === 'metadata_source') {
    showSections();
    setDirty(true);
  }
});

/** Comma- or line-separated entries, trimmed, empty ones dropped. */
export function splitList(text) {
  return String(text ?? '').split(/[,\n\r]+/).map((s) => s.trim()).filter(Boolean);
}

function draftBody() {
  const protocol = chosenProtocol();
  const body = { protocol, version: sso.saved?.version ?? 0 };
  if (protocol === 'not_required') return body;
  if (protocol === 'oidc') {
    body.discovery_url = f.discovery_url.value.trim();
    body.client_id = f.client_id.value.trim();
  }
  if (protocol === 'saml') {
    if (chosenSource() === 'xml') body.metadata_xml = f.metadata_xml.value;
    else body.metadata_url = f.metadata_url.value.trim();
    const entity = byId('sso-entity-choice').value;
    if (entity && !byId('sso-entity-field').hidden) body.entity_choice = entity;
  }
  for (const key of LISTS) body[key] = splitList(f[key].value);
  body.claims = {};
  for (const key of Object.keys(DEFAULT_CLAIMS)) body.claims[key] = f[`claims.${key}`].value.trim();
  return body;
}

/* ---- field errors ------------------------------------------------------------- */

function clearErrors() {
  clear(byId('sso-error'));
  for (const slot of form.querySelectorAll('[data-error-for]')) slot.textContent = '';
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
}

/** Where a field error goes: list entries at their list, a missing metadata source at the one shown. */
function slotName(field) {
  const base = String(field ?? '').replace(/\[\d+\]$/, '');
  if (base === 'metadata_url' && chosenSource() === 'xml' && chosenProtocol() === 'saml') return 'metadata_xml';
  return base;
}

function entryLabel(field, code) {
  const m = /^(\w+)\[(\d+)\]$/.exec(String(field ?? ''));
  if (!m || !LISTS.includes(m[1])) return '';
  const index = Number(m[2]);
  const value = splitList(f[m[1]].value)[index];
  // A refused secret is not repeated on the page; other entries are named so they can be found.
  return code === 'secret_detected' || value === undefined ? `Entry ${index + 1}: ` : `"${value}": `;
}

function showErrors(result) {
  clearErrors();
  const fields = Array.isArray(result.error?.fields) ? result.error.fields : [];
  const rest = [];
  let first = null;
  for (const fe of fields) {
    const name = slotName(fe.field);
    const slot = form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
    const input = form.elements.namedItem(name);
    const message = `${entryLabel(fe.field, fe.code)}${fe.message ?? ''}`;
    if (!slot || !input || (slot.closest('[hidden]'))) {
      rest.push(`${fe.field}: ${fe.message}`);
      continue;
    }
    slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
    if (!slot.id) slot.id = `sso-error-${name.replace(/\W/g, '-')}`;
    const target = input instanceof RadioNodeList ? input[0] : input;
    if (target instanceof HTMLElement) {
      target.setAttribute('aria-invalid', 'true');
      const described = (target.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
      if (!described.includes(slot.id)) target.setAttribute('aria-describedby', [...described, slot.id].join(' '));
      first = first || target;
    }
  }
  if (fields.length === 0) sayError(byId('sso-error'), result);
  else if (rest.length) say(byId('sso-error'), 'error', rest.join(' '));
  else say(byId('sso-error'), 'error', 'Some values need a change: see the messages next to the fields.');
  first?.focus();
}

/* ---- save, validate, submit ---------------------------------------------------- */

/** PUT the draft; true when saved. Field errors, conflicts and failures are shown. */
async function save() {
  clearErrors();
  byId('sso-conflict').hidden = true;
  if (!chosenProtocol()) {
    showErrors({ error: { fields: [{ field: 'protocol', message: 'Choose OpenID Connect, SAML or not required.' }] } });
    return false;
  }
  if (chosenProtocol() === 'saml' && chosenSource() === 'xml' && new Blob([f.metadata_xml.value]).size > XML_MAX) {
    showErrors({ error: { fields: [{ field: 'metadata_xml', message: 'The metadata is larger than 1 MiB: paste the identity provider\'s metadata document only.' }] } });
    return false;
  }
  const result = await calls.send('PUT', '/sso', draftBody());
  if (result.ok) {
    showSaved(result.data, { fill: true });
    await calls.refreshChecklist();
    return true;
  }
  if (!calls.ownFailure(result)) return false;
  if (result.status === 409 && result.error?.code === 'version_conflict') {
    byId('sso-conflict-text').textContent = `${errorText(result)} Reloading shows what was saved and replaces what you entered here.`;
    byId('sso-conflict').hidden = false;
    byId('sso-reload').focus();
  } else if (result.status === 422 || result.status === 400) {
    showErrors(result);
  } else {
    sayError(byId('sso-error'), result);
  }
  return false;
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  const flash = byId('sso-flash');
  clear(flash);
  const protocol = chosenProtocol();
  const ok = await busy(e.submitter, () => save());
  if (!ok) return;
  if (protocol === 'not_required') say(flash, 'success', 'Single sign-on is marked as not required.');
  else say(flash, 'success', 'The single sign-on details were saved. Validate them next.');
});

byId('sso-validate').addEventListener('click', async (e) => {
  const flash = byId('sso-flash');
  clear(flash);
  await busy(e.currentTarget, async () => {
    if (sso.dirty && !(await save())) return;
    const result = await calls.send('POST', '/sso/validate', {});
    if (!result.ok) {
      if (calls.ownFailure(result)) sayError(flash, result);
      return;
    }
    await followValidation(result.data?.validation);
  });
});

/** Show where a validation job stands: the badge, and a sentence while it is not finished. */
function showProgress(job) {
  sso.job = job;
  byId('sso-validation').replaceChildren(validationBadge());
  byId('sso-validation').dataset.job = job?.state || '';
  if (job?.state === 'queued') say(byId('sso-flash'), 'info', 'Validation queued: it starts as soon as a checker is free.');
  else if (job?.state === 'running') say(byId('sso-flash'), 'info', 'Validation running: fetching and checking your identity provider\'s documents…');
}

/** Poll a validation job until it ends (bounded), then show its report or why it failed. */
async function followValidation(first) {
  const me = ++sso.following;
  const flash = byId('sso-flash');
  let job = first;
  for (let i = 0; jobActive(job); i += 1) {
    showProgress(job);
    if (i >= POLL_MAX) {
      say(flash, 'info', 'The validation is taking long: reload the page later to see its report.');
      return;
    }
    await new Promise((resolve) => { setTimeout(resolve, POLL_MS[Math.min(i, POLL_MS.length - 1)]); });
    const result = await calls.get(`/sso/validations/${encodeURIComponent(job.id)}`);
    if (me !== sso.following || !result) return;
    if (!result.ok) {
      if (calls.ownFailure(result)) sayError(flash, result);
      return;
    }
    job = result.data;
  }
  showProgress(job);
  if (job?.state === 'failed') {
    say(flash, 'error', job.error?.message || 'The validation could not run: validate again.');
    return;
  }
  if (job?.report) sso.lastReport = job.report;
  await loadSsoKeepingEdits();
  say(flash, job?.ok ? 'success' : 'error', reportHeadline(job?.report || { ok: job?.ok }));
  byId('sso-report-title').setAttribute('tabindex', '-1');
  byId('sso-report-title').focus();
}

/** Reload the saved state after validation; the form is refilled unless it was edited meanwhile. */
async function loadSsoKeepingEdits() {
  const result = await calls.get('/sso');
  if (!result?.ok) return;
  showSaved(result.data, { fill: !sso.dirty });
}

byId('sso-submit').addEventListener('click', async (e) => {
  const flash = byId('sso-flash');
  clear(flash);
  const result = await busy(e.currentTarget, () => calls.send('POST', '/sso/submit', { version: sso.saved?.version ?? 0 }));
  if (result.ok) {
    showSaved(result.data, { fill: !sso.dirty });
    say(flash, 'success', 'Your single sign-on details were sent to us for review.');
    await calls.refreshChecklist();
    return;
  }
  if (!calls.ownFailure(result)) return;
  sayError(flash, result);
  if (result.status === 409) await loadSsoKeepingEdits();
});

byId('sso-reload').addEventListener('click', async (e) => {
  const ok = await busy(e.currentTarget, () => loadSso());
  if (!ok) return;
  byId('sso-conflict').hidden = true;
  say(byId('sso-flash'), 'info', 'The saved single sign-on details were loaded. Make your changes again and save.');
});

byId('sso-metadata-file').addEventListener('change', (e) => {
  const input = e.currentTarget;
  const file = input.files?.[0];
  if (!file) return;
  clearErrors();
  if (file.size > XML_MAX) {
    showErrors({ error: { fields: [{ field: 'metadata_xml', message: `${file.name} is larger than 1 MiB: choose the metadata document only.` }] } });
    input.value = '';
    return;
  }
  const reader = new FileReader();
  reader.addEventListener('load', () => {
    f.metadata_xml.value = String(reader.result ?? '');
    input.value = '';
    setDirty(true);
    say(byId('sso-flash'), 'info', `${file.name} was read into the metadata box. Save to keep it.`);
  });
  reader.addEventListener('error', () => {
    showErrors({ error: { fields: [{ field: 'metadata_xml', message: `${file.name} could not be read.` }] } });
    input.value = '';
  });
  reader.readAsText(file);
});

byId('sso-not-required').addEventListener('click', async (e) => {
  const flash = byId('sso-flash');
  clear(flash);
  const body = { protocol: 'not_required', version: sso.saved?.version ?? 0 };
  const result = await busy(e.currentTarget, () => calls.send('PUT', '/sso', body));
  if (result.ok) {
    showSaved(result.data, { fill: true });
    say(flash, 'success', 'Single sign-on is marked as not required.');
    byId('sso-title').setAttribute('tabindex', '-1');
    byId('sso-title').focus();
    await calls.refreshChecklist();
    return;
  }
  if (!calls.ownFailure(result)) return;
  if (result.status === 409) await loadSso();
  sayError(flash, result);
});
