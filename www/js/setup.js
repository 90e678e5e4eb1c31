/*
 * setup.js — Account Setup in the public console (the cards of index.html
 * between the heading and the members table, and after it).
 *
 * Everyone signed in sees the onboarding checklist (GET /checklist), each
 * item linking to the section that completes it (setup-nav.js), its review
 * outcome with the next step, and a "Contact support" form where support
 * helps (a blocked item, a failed review); members also get a home with
 * whether setup is done and who their admins are. Then the company details,
 * billing and workspace readiness and the workspace requests. Customer
 * admins also edit the details (PATCH /account with the version they
 * loaded), settle single sign-on (sso.js: GET/PUT /sso, validate, submit) and create the
 * workspace (workspace.js: the gates of the checklist, the name, POST /workspaces).
 *
 * Whatever the API says (titles, hints, blocker messages, review comments,
 * gate messages) goes in as text; the page adds only words for fixed codes.
 * console.js owns the session: it passes get/send (which handle a lost
 * session) and the signed-in user.
 */

import { errorText } from './api.js';
import {
  busy, byId, clear, clearFieldErrors, el, formatTime, say, sayError, showFormErrors,
} from './ui.js';
import {
  checklistItem, progressText, reviewFailed, reviewOutcome,
} from './setup-view.js';
import {
  combinedState, itemNavState, sectionHref, sectionTitle, setSectionStates,
} from './setup-nav.js';
import {
  initSso, loadSso, resetSso, showSsoItem,
} from './sso.js';
import { initSsoLinks, loadSsoLinks, resetSsoLinks } from './sso-links.js';
import {
  initSsoTest, loadSsoTest, resetSsoTest, takeTestId,
} from './sso-test.js';
import {
  initWorkspace, loadWorkspaces, resetWorkspace, showWorkspace,
} from './workspace.js';

let calls = null; // { get, send, ownFailure, user }

const setup = {
  account: null,
  items: [],
  ready: false,
  admins: [],
  workspaces: 0,
  generation: 0, // bumped on sign-out, so answers for the previous user are dropped
};

const isAdmin = () => calls?.user()?.role === 'customer_admin';

/** A failure the card should show (not a lost session or a pending password change, which console.js handles). */
const ownFailure = (result) => calls.ownFailure(result);

/** Wire the module to console.js's session-aware calls: {get(path), send(method, path, body), ownFailure(result), user()}. */
export function initSetup(sessionCalls) {
  calls = sessionCalls;
  initSso({
    get: fetchFor,
    send: (method, path, body) => calls.send(method, path, body),
    ownFailure,
    refreshChecklist: () => loadChecklist(),
    // The navigation shows the workspace section done once a request exists.
    workspacesLoaded: (n) => { setup.workspaces = n; showSectionStates(); },
  });
  initSsoLinks({ get: fetchFor, send: (method, path, body) => calls.send(method, path, body), ownFailure });
  initSsoTest({ get: fetchFor, send: (method, path, body) => calls.send(method, path, body), ownFailure });
  initWorkspace({
    get: fetchFor,
    send: (method, path, body, headers) => calls.send(method, path, body, headers),
    ownFailure,
    isAdmin,
    refreshChecklist: () => loadChecklist(),
  });
}

/** Load every Account Setup card for the signed-in user. */
export async function loadSetup() {
  const admin = isAdmin();
  byId('details-form').hidden = !admin;
  byId('details-readonly').hidden = admin;
  byId('details-readonly-note').hidden = admin;
  byId('sso-card').hidden = !admin;
  for (const node of ['checklist-flash', 'details-flash', 'details-error', 'sso-flash', 'workspace-flash']) clear(byId(node));
  byId('details-conflict').hidden = true;
  byId('workspace-gates').hidden = true;
  const testId = takeTestId();
  await Promise.all([loadChecklist(), loadAccount(), admin ? loadSso() : null, admin ? loadSsoLinks() : null,
    admin ? loadSsoTest(testId) : null, loadWorkspaces()]);
}

/** Forget everything shown for the user who signed out. */
export function resetSetup() {
  setup.generation += 1;
  setup.account = null;
  setup.items = [];
  setup.ready = false;
  setup.admins = [];
  setup.workspaces = 0;
  resetSso();
  resetSsoLinks();
  resetSsoTest();
  resetWorkspace();
  for (const id of ['checklist-items', 'readiness-items', 'details-readonly', 'home-can', 'home-admins']) {
    byId(id).replaceChildren();
  }
  byId('checklist-progress').textContent = '';
  byId('details-form').reset();
  clearFieldErrors(byId('details-form'));
}

/** get() that resolves to null when the user changed meanwhile. */
async function fetchFor(path) {
  const generation = setup.generation;
  const result = await calls.get(path);
  return generation === setup.generation ? result : null;
}

/* ---- checklist and readiness -------------------------------------------- */

/** Reload the checklist after a change made elsewhere on the page (an invite). */
export function refreshChecklist() {
  return loadChecklist();
}

async function loadChecklist() {
  const result = await fetchFor('/checklist');
  if (!result) return;
  if (!result.ok) {
    if (ownFailure(result)) sayError(byId('checklist-flash'), result);
    return;
  }
  setup.items = Array.isArray(result.data?.items) ? result.data.items : [];
  setup.ready = result.data?.ready === true;
  setup.admins = Array.isArray(result.data?.admins) ? result.data.admins : [];
  renderChecklist();
  renderReadiness();
  renderHome();
  showSectionStates();
  showSsoItem(setup.items.find((i) => i.key === 'sso'));
  showWorkspace(result.data);
}

/*
 * The section that completes an item. Reviewed items live in "Billing and
 * readiness", except when the customer's next step is a details save: before
 * the first review, and after changes were requested (a save resubmits).
 */
function sectionOf(item) {
  switch (item.key) {
    case 'contacts': return 'details';
    case 'admin_signin':
    case 'members': return 'members';
    case 'sso': return 'sso';
    default:
      return item.state === 'todo' || reviewOutcome(item) === 'changes_requested'
        || (item.key === 'provider_setup' && reviewOutcome(item) === 'rejected') ? 'details' : 'readiness';
  }
}

/* A link to the section that completes the item, when the signed-in role has that section. */
function sectionLink(item, titleId) {
  const key = sectionOf(item);
  const title = sectionTitle(key);
  if (!title) return null;
  return el('a', {
    href: sectionHref(key),
    class: 'checklist__go',
    data: { section: key },
    attrs: { 'aria-describedby': titleId },
    text: `Go to ${title}`,
  });
}

/* Support helps where the customer cannot go on alone: a blocked item or a failed review. */
const needsSupport = (item) => item.state === 'blocked' || reviewFailed(item);

function itemExtras(item, idPrefix) {
  const go = sectionLink(item, `${idPrefix}-${item.key}-title`);
  return [go ? el('p', { class: 'checklist__next' }, go) : null,
    needsSupport(item) ? supportOpener(item, idPrefix) : null].filter(Boolean);
}

function renderChecklist() {
  const items = setup.items;
  byId('checklist-progress').textContent = items.length ? progressText(items) : '';
  byId('checklist-items').replaceChildren(...items.map((item) => checklistItem(item, {
    idPrefix: 'checklist', guide: true, extra: itemExtras(item, 'checklist'),
  })));
}

const READINESS = ['billing', 'workspace_target', 'provider_setup'];

function renderReadiness() {
  const items = READINESS.map((key) => setup.items.find((i) => i.key === key)).filter(Boolean);
  byId('readiness-items').replaceChildren(...items.map((item) => checklistItem(item, {
    idPrefix: 'readiness', guide: true, extra: itemExtras(item, 'readiness'),
  })));
}

/* Each section's state for the navigation, from the checklist (and the workspace requests). */
function showSectionStates() {
  const items = setup.items;
  const of = (keys) => combinedState(items.filter((i) => keys.includes(i.key)).map((i) => itemNavState(i.state)));
  const resubmit = items.some((i) => READINESS.includes(i.key) && sectionOf(i) === 'details' && reviewOutcome(i));
  const details = of(['contacts']);
  setSectionStates({
    home: setup.ready ? 'done' : null,
    details: resubmit ? 'needs' : details,
    checklist: items.length ? combinedState(items.map((i) => itemNavState(i.state))) : null,
    sso: of(['sso']),
    members: of(['members']),
    readiness: of(READINESS),
    workspace: setup.workspaces > 0 ? 'done' : (setup.ready ? 'ready' : 'later'),
  });
}

/* ---- a member's home ------------------------------------------------------ */

function readySentence() {
  if (setup.ready) return 'Account setup is finished: your organisation can use its workspaces.';
  const blocked = setup.items.some((i) => i.state === 'blocked');
  return `Account setup is not finished yet (${progressText(setup.items)}). `
    + (blocked ? 'Something blocks it: the checklist says what, and you can ask support about it there.'
      : 'Your admins are on it; there is nothing you need to do.');
}

function renderHome() {
  if (isAdmin()) return;
  const ready = byId('home-ready');
  ready.textContent = readySentence();
  ready.dataset.ready = String(setup.ready);
  const link = (key, text) => el('li', {}, el('a', { href: sectionHref(key), text }));
  byId('home-can').replaceChildren(
    link('account', 'Your account: see your details, change your password or sign out'),
    setup.ready ? link('workspace', "Your organisation's workspaces") : el('li', { text: 'Use the workspaces, once setup is finished' }),
    link('checklist', 'Follow the setup checklist'));
  const admins = setup.admins.map((a) => el('li', { class: 'home-admin' },
    el('strong', { text: String(a.name) }), ' ',
    el('a', { href: `mailto:${a.email}`, text: String(a.email) })));
  byId('home-admins').replaceChildren(...(admins.length ? admins
    : [el('li', { text: 'Your organisation has no active admin right now: ask support for help.' })]));
}

/* ---- contact support ------------------------------------------------------ */

function supportOpener(item, idPrefix) {
  const slot = el('div', { class: 'support-slot' });
  const button = el('button', {
    type: 'button',
    class: 'button button--small',
    text: 'Contact support',
    attrs: { 'aria-label': `Contact support about ${item.title}`, 'aria-expanded': 'false' },
    on: { click: () => openSupport(item, button, slot, idPrefix) },
  });
  return el('div', { class: 'checklist__actions' }, button, slot);
}

function openSupport(item, button, slot, idPrefix) {
  if (slot.firstChild) {
    slot.replaceChildren();
    button.setAttribute('aria-expanded', 'false');
    return;
  }
  const id = `support-${idPrefix === 'checklist' ? '' : `${idPrefix}-`}${item.key}`;
  const error = el('p', { class: 'alert', data: { kind: 'error' }, attrs: { role: 'alert' } });
  const form = el('form', { class: 'inset support-form', id: `${id}-form`, attrs: { novalidate: '', 'aria-label': `Contact support about ${item.title}` } },
    el('div', { class: 'field' },
      el('label', { attrs: { for: `${id}-message` } }, 'Message to support ', el('span', { class: 'optional', text: '(optional)' })),
      el('textarea', { id: `${id}-message`, name: 'message', rows: 3, maxLength: 4000, attrs: { 'aria-describedby': `${id}-hint` } }),
      el('p', { id: `${id}-hint`, class: 'hint', text: 'We see your organisation, this item and what it shows; add anything that helps. No passwords or keys.' }),
      el('p', { class: 'field-error', data: { errorFor: 'message' } })),
    error,
    el('div', { class: 'actions' },
      el('button', { type: 'submit', class: 'button button--primary', text: 'Send to support' }),
      el('button', {
        type: 'button',
        class: 'button',
        text: 'Cancel',
        on: { click: () => { slot.replaceChildren(); button.setAttribute('aria-expanded', 'false'); button.focus(); } },
      })));
  form.addEventListener('submit', (e) => sendSupport(e, item, form, error, slot));
  slot.replaceChildren(form);
  button.setAttribute('aria-expanded', 'true');
  form.elements.message.focus();
}

async function sendSupport(e, item, form, error, slot) {
  e.preventDefault();
  clear(error);
  clearFieldErrors(form);
  const body = { item: item.key };
  const message = form.elements.message.value.trim();
  if (message) body.message = message;
  const result = await busy(e.submitter, () => calls.send('POST', '/support-requests', body));
  if (!result.ok) {
    if (ownFailure(result)) showFormErrors(form, error, result);
    return;
  }
  const sent = result.data?.support_request || {};
  const note = el('p', { class: 'alert', data: { kind: 'success' }, attrs: { role: 'status' }, text: 'Your request was sent to support.' });
  slot.replaceChildren(el('div', { class: 'inset support-sent' },
    note,
    el('dl', { class: 'facts' },
      fact('Organisation', sent.customer_name),
      fact('Item', sent.item_title || sent.item),
      fact('What you see', sent.visible_message),
      // The sentence, never the audit code (an older server without it: nothing rather than the code).
      fact('Last action', sent.last_action_text ? `${sent.last_action_text}${sent.last_action_at ? ` (${formatTime(sent.last_action_at)})` : ''}` : null),
      fact('Your message', sent.message))));
}

function fact(term, value) {
  return el('div', { class: 'facts__row' }, el('dt', { text: term }), el('dd', { text: value ? String(value) : '—' }));
}

/* ---- company details ------------------------------------------------------ */

const CONTACTS = [['support_contact', 'Support contact'], ['billing_contact', 'Billing contact'], ['technical_contact', 'Technical contact']];
const TEXTS = ['legal_name', 'operating_name', 'repository_notes', 'ai_preferences', 'workspace_preferences', 'target_launch'];
const PROVIDERS = { none: 'None', managed: 'Managed AI', own_account: 'Our own provider account' };

async function loadAccount() {
  const result = await fetchFor('/account');
  if (!result) return false;
  if (!result.ok) {
    if (ownFailure(result)) sayError(byId('details-flash'), result);
    return false;
  }
  showAccount(result.data);
  return true;
}

function showAccount(account) {
  setup.account = account;
  if (isAdmin()) fillDetails(account);
  else renderReadonlyDetails(account);
  byId('details-saved').textContent = account?.updated_at ? `Last saved ${formatTime(account.updated_at)}` : '';
}

function fillDetails(a) {
  const f = byId('details-form').elements;
  for (const key of TEXTS) f[key].value = a?.[key] ?? '';
  for (const [key] of CONTACTS) {
    for (const part of ['name', 'email', 'phone']) f[`${key}.${part}`].value = a?.[key]?.[part] ?? '';
  }
  // Before the API knows ai_provider the select stays, showing "None", and is not sent.
  f.ai_provider.value = PROVIDERS[a?.ai_provider] ? a.ai_provider : 'none';
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  f.target_launch.min = tomorrow;
}

function renderReadonlyDetails(a) {
  const contact = (c) => [c?.name, c?.email, c?.phone].filter(Boolean).join(' · ');
  byId('details-readonly').replaceChildren(
    fact('Legal name', a?.legal_name),
    fact('Operating name', a?.operating_name),
    ...CONTACTS.map(([key, title]) => fact(title, contact(a?.[key]))),
    fact('Repository or artifact notes', a?.repository_notes),
    fact('AI preferences', a?.ai_preferences),
    fact('AI provider', a?.ai_provider ? PROVIDERS[a.ai_provider] || a.ai_provider : null),
    fact('Workspace preferences', a?.workspace_preferences),
    fact('Target launch date', a?.target_launch));
}

function detailsBody() {
  const f = byId('details-form').elements;
  const body = { version: setup.account?.version ?? 0 };
  for (const key of TEXTS) body[key] = f[key].value.trim();
  for (const [key] of CONTACTS) {
    body[key] = {
      name: f[`${key}.name`].value.trim(),
      email: f[`${key}.email`].value.trim(),
      phone: f[`${key}.phone`].value.trim(),
    };
  }
  if (setup.account && 'ai_provider' in setup.account) body.ai_provider = f.ai_provider.value;
  return body;
}

byId('details-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  const error = byId('details-error');
  clear(error);
  clear(byId('details-flash'));
  clearFieldErrors(form);
  byId('details-conflict').hidden = true;
  const result = await busy(e.submitter, () => calls.send('PATCH', '/account', detailsBody()));
  if (result.ok) {
    showAccount(result.data);
    say(byId('details-flash'), 'success', 'Your company details were saved.');
    await loadChecklist();
    return;
  }
  if (!ownFailure(result)) return;
  if (result.status === 409 && result.error?.code === 'version_conflict') {
    byId('details-conflict-text').textContent = `${errorText(result)} Reloading shows what was saved and replaces what you typed here.`;
    byId('details-conflict').hidden = false;
    byId('details-reload').focus();
  } else if (result.status === 422) {
    showFormErrors(form, error, result);
  } else {
    sayError(error, result);
  }
});

byId('details-reload').addEventListener('click', async (e) => {
  const ok = await busy(e.currentTarget, () => loadAccount());
  if (!ok) return;
  byId('details-conflict').hidden = true;
  clearFieldErrors(byId('details-form'));
  say(byId('details-flash'), 'info', 'The saved details were loaded. Make your changes again and save.');
  byId('d-legal-name').focus();
});

