/*
 * setup-nav.js — Account Setup as a guided sequence of sections, one shown at
 * a time, in the order a first-time admin works through them (company
 * details, checklist, single sign-on, members, billing and readiness,
 * workspace, then their own account). Members get a home section instead of
 * the admin-only ones.
 *
 * Each section has a hash route (#setup/<key>), so a reload, a bookmark and
 * the back button keep the section; changing it moves focus to its heading.
 * The navigation shows every section's state in words and an icon (never
 * colour alone), from the checklist that setup.js loads.
 */

import { byId, el } from './ui.js';

/* key: the route; card: the section element; admin: only customer admins; member: only members. */
const SECTIONS = [
  { key: 'home', title: 'Overview', card: 'home-card', member: true },
  { key: 'details', title: 'Company details', card: 'details-card' },
  { key: 'checklist', title: 'Checklist', card: 'checklist-card' },
  { key: 'sso', title: 'Single sign-on', card: 'sso-card', admin: true },
  { key: 'members', title: 'Members', card: 'members-card', admin: true },
  { key: 'readiness', title: 'Billing and readiness', card: 'readiness-card', admin: true },
  { key: 'workspace', title: 'Workspace', card: 'workspace-card' },
  { key: 'account', title: 'Your account', card: 'me-card' },
];

/* What a section's state says, with its icon (aria-hidden: the word carries the meaning). */
export const NAV_STATES = {
  done: { word: 'Done', icon: '\u2713' },
  needs: { word: 'Needs you', icon: '!' },
  waiting: { word: 'Waiting for review', icon: '\u25F7' },
  blocked: { word: 'Blocked', icon: '\u2715' },
  not_required: { word: 'Not required', icon: '\u2013' },
  later: { word: 'After setup', icon: '\u2026' },
  ready: { word: 'Ready', icon: '\u2192' },
};

/* Worst first: a section of several items shows the state that most needs attention. */
const SEVERITY = ['blocked', 'needs', 'waiting', 'done', 'not_required'];

const HASH = /^#setup\/([a-z]+)$/;
const SSO_TEST = /^#sso-test-\d{1,19}$/;

const nav = { admin: false, current: null, states: {} };

const visible = () => SECTIONS.filter((s) => (nav.admin ? !s.member : !s.admin));
const find = (key) => visible().find((s) => s.key === key);

/** The default section: the checklist for admins, the home for members. */
export const defaultSection = () => (nav.admin ? 'checklist' : 'home');

/** The href of a section, for links elsewhere on the page. */
export const sectionHref = (key) => `#setup/${key}`;

/** The title of a section (for link texts), or null when the signed-in role has no such section. */
export function sectionTitle(key) {
  return find(key)?.title ?? null;
}

/** The section a location hash asks for (a test sign-in's return opens single sign-on), else null. */
export function sectionFromHash(hash) {
  if (SSO_TEST.test(hash)) return find('sso') ? 'sso' : null;
  const m = HASH.exec(hash);
  return m && find(m[1]) ? m[1] : null;
}

/** Nav state of one checklist item state. */
export function itemNavState(state) {
  switch (state) {
    case 'done': return 'done';
    case 'not_required': return 'not_required';
    case 'blocked': return 'blocked';
    case 'in_review':
    case 'submitted': return 'waiting';
    default: return 'needs';
  }
}

/** The state of several items together: the most pressing one (all not required: not required). */
export function combinedState(states) {
  if (!states.length) return null;
  if (states.every((s) => s === 'not_required')) return 'not_required';
  return SEVERITY.find((s) => states.includes(s)) ?? 'needs';
}

function navLink(section, index) {
  const state = nav.states[section.key];
  const shown = NAV_STATES[state];
  const link = el('a', {
    href: sectionHref(section.key),
    class: 'setup-nav__link',
    data: { section: section.key, state: state || 'none' },
  },
  el('span', { class: 'setup-nav__icon', attrs: { 'aria-hidden': 'true' }, text: shown ? shown.icon : String(index + 1) }),
  el('span', { class: 'setup-nav__title', text: section.title }),
  shown ? el('span', { class: 'setup-nav__state', text: shown.word }) : null);
  if (section.key === nav.current) link.setAttribute('aria-current', 'step');
  return el('li', {}, link);
}

function renderNav() {
  const sections = visible();
  byId('setup-nav-list').replaceChildren(...sections.map(navLink));
  const at = sections.findIndex((s) => s.key === nav.current);
  const current = sections[at];
  const state = NAV_STATES[nav.states[current?.key]];
  byId('setup-nav-current').textContent = current
    ? `${at + 1} of ${sections.length}: ${current.title}${state ? ` (${state.word})` : ''}` : '';
}

function setOpen(open) {
  byId('setup-nav').dataset.open = String(open);
  byId('setup-nav-toggle').setAttribute('aria-expanded', String(open));
}

/** Wire the navigation once: the phones' toggle, and closing it when a section is chosen. */
export function initNav() {
  byId('setup-nav-toggle').addEventListener('click', () => {
    setOpen(byId('setup-nav').dataset.open !== 'true');
  });
  byId('setup-nav-list').addEventListener('click', (e) => {
    if (e.target.closest('a')) setOpen(false);
  });
  for (const s of SECTIONS) {
    const card = byId(s.card);
    card.dataset.section = s.key;
    const heading = card.querySelector('h2');
    if (heading) heading.tabIndex = -1; // focus target when the section opens
  }
}

/** Start the navigation for a role (admin: customer_admin), without choosing a section yet. */
export function startNav(admin) {
  nav.admin = admin;
  nav.states = {};
  nav.current = null;
  byId('home-card').hidden = admin;
}

/**
 * Show one section (an unknown key: the default one) and, with focus, move
 * focus to its heading. The address is corrected in place (an unknown or
 * consumed hash) and otherwise left alone: a link click already pushed it.
 */
export function showSection(key, { focus = true } = {}) {
  const section = find(key) || find(defaultSection());
  nav.current = section.key;
  for (const s of SECTIONS) {
    const card = byId(s.card);
    if (s.key === section.key) card.dataset.current = 'true';
    else delete card.dataset.current;
  }
  // The plain address stays for the default section; any other address names the section shown.
  const plain = location.hash === '' && section.key === defaultSection();
  if (location.hash !== sectionHref(section.key) && !plain) {
    history.replaceState(null, '', `${location.pathname}${location.search}${sectionHref(section.key)}`);
  }
  setOpen(false);
  renderNav();
  if (focus) byId(section.card).querySelector('h2')?.focus();
  return section.key;
}

/** Set the sections' states ({key: NAV_STATES key}) and redraw the navigation. */
export function setSectionStates(states) {
  nav.states = states;
  if (nav.current) renderNav();
}

/** Forget the section on sign-out. */
export function resetNav() {
  nav.current = null;
  nav.states = {};
  byId('setup-nav-list').replaceChildren();
  byId('setup-nav-current').textContent = '';
}
