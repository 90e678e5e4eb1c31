// The test SAML 2.0 identity provider: samlify on loopback HTTPS, for onramp's integration and
// browser tests only (started by tests/integration/saml_idp.py; see its docstring for the
// control API).
//
// Why it looks the way it does:
// - A real IdP library (samlify) parses the AuthnRequests and signs the responses
//   (xml-crypto underneath), so onramp's ACS meets a signature made by other code than the
//   one that verifies it; the response XML itself is our template (samlify's default shape plus
//   an AuthnStatement and multi-valued attributes), so a test can move each field it checks.
// - samlify insists on a schema validator. The one set here accepts every document: the
//   IdP only parses requests from the SP under test, and schema errors there are the SP
//   tests' business (onramp's own checks), not a reason for this IdP to answer differently.
//   It replaces only the schema step: samlify's signature checks stay as they are.
// - The signing key and certificate are made at start (openssl CLI, RSA 2048, SHA-256), so
//   nothing secret is committed; a second, "foreign" key signs when a test asks for a
//   signature by a key the metadata does not publish (its certificate then rides in KeyInfo).
// - No login page: the SSO endpoint signs in the user a test set last and answers with a
//   form that posts to the ACS (this page's script is the IdP's, not onramp's).
// - The control API under /__test/ answers loopback peers only.
//
// Usage: node saml.mjs CONFIG.json   (config written by saml_idp.py; prints "ready" when listening)

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import * as samlify from 'samlify';
import { fromLoopback, readBody, readConf, serve } from './common.mjs';

const conf = readConf();
const NS = {
	post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
	redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
	email: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
	success: 'urn:oasis:names:tc:SAML:2.0:status:Success',
	bearer: 'urn:oasis:names:tc:SAML:2.0:cm:bearer',
	basic: 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic',
};
const MODES = ['assertion', 'response', 'both', 'none'];

// Permissive schema step (see the header): resolves for every input.
samlify.setSchemaValidator({ validate: async () => 'skipped' });

// ---- keys -----------------------------------------------------------------------------------

function newSigningKey(label) {
	const key = path.join(conf.dir, `${label}.key`);
	const cert = path.join(conf.dir, `${label}.pem`);
	execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-sha256', '-nodes', '-keyout', key,
		'-out', cert, '-days', '365', '-subj', `/CN=onramp test SAML IdP ${label}`], { stdio: 'ignore' });
	return { key: fs.readFileSync(key, 'utf8'), cert: fs.readFileSync(cert, 'utf8'), certPath: cert };
}

const keys = { own: newSigningKey('signing'), foreign: newSigningKey('foreign') };
const ssoUrl = `${conf.base_url}/sso`;

function idpEntity(which, postOnly) {
	const services = [{ Binding: NS.post, Location: ssoUrl }];
	if (!postOnly) services.unshift({ Binding: NS.redirect, Location: ssoUrl });
	return samlify.IdentityProvider({
		entityID: conf.entity_id,
		signingCert: keys[which].cert,
		privateKey: keys[which].key,
		nameIDFormat: [NS.email],
		singleSignOnService: services,
		wantAuthnRequestsSigned: false,
	});
}

// ---- mutable test state ----------------------------------------------------------------------

function freshState() {
	return {
		user: conf.default_user,
		sign: 'assertion',
		clockOffset: 0,
		postOnly: false,
		stats: { authn_requests: 0, bindings: [], last_request: null, responses: 0 },
	};
}
let state = freshState();
const sps = new Map();		// SP entity ID -> {entity_id, acs}

// ---- requests in -------------------------------------------------------------------------------

const textOf = (xml, re) => (re.exec(xml) || [])[1];

// The SP an AuthnRequest names (its Issuer), known from registration only.
function spFor(xml) {
	const issuer = textOf(xml, /<(?:\w+:)?Issuer[^>]*>([^<]*)</);
	const sp = sps.get(issuer);
	if (!sp) throw new Error(`AuthnRequest from an SP this IdP does not know: ${issuer}`);
	return sp;
}

function spEntity(sp, mode) {
	return samlify.ServiceProvider({
		entityID: sp.entity_id,
		assertionConsumerService: [{ Binding: NS.post, Location: sp.acs }],
		wantAssertionsSigned: mode === 'assertion' || mode === 'both',
		wantMessageSigned: mode === 'response' || mode === 'both',
		nameIDFormat: [NS.email],
	});
}

// Parse one AuthnRequest with samlify: binding "redirect" (query) or "post" (form).
async function parseRequest(binding, samlRequest, relayState) {
	const raw = binding === 'redirect'
		? zlib.inflateRawSync(Buffer.from(samlRequest, 'base64')).toString('utf8')
		: Buffer.from(samlRequest, 'base64').toString('utf8');
	const sp = spFor(raw);
	const req = binding === 'redirect'
		? { query: { SAMLRequest: samlRequest, RelayState: relayState } }
		: { body: { SAMLRequest: samlRequest, RelayState: relayState } };
	const parsed = await idpEntity('own', false).parseLoginRequest(spEntity(sp, 'assertion'), binding, req);
	const info = {
		id: parsed.extract.request.id,
		issuer: parsed.extract.issuer,
		acs: textOf(raw, /AssertionConsumerServiceURL="([^"]*)"/),
		destination: textOf(raw, /Destination="([^"]*)"/),
		binding, relay_state: relayState ?? null, xml: raw,
	};
	state.stats.authn_requests += 1;
	state.stats.bindings.push(binding);
	state.stats.last_request = info;
	return { sp, info, parsed };
}

// ---- responses out ------------------------------------------------------------------------------

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
	.replace(/"/g, '&quot;');
// An XML attribute, or nothing when the value is null (a test removed it).
const attr = (name, v) => (v === null || v === undefined ? '' : ` ${name}="${esc(v)}"`);
const iso = (ms) => new Date(ms).toISOString();

function attributeXml(attributes) {
	const one = ([name, values]) => `<saml:Attribute Name="${esc(name)}" NameFormat="${NS.basic}">${
		[].concat(values).map((v) => `<saml:AttributeValue xsi:type="xs:string">${esc(v)}</saml:AttributeValue>`).join('')
	}</saml:Attribute>`;
	const list = Object.entries(attributes || {});
	return list.length ? `<saml:AttributeStatement>${list.map(one).join('')}</saml:AttributeStatement>` : '';
}

// Every value the template uses, then the test's edits (null removes an attribute or element).
function values(sp, info, edits, ids) {
	const now = Date.now() + state.clockOffset * 1000;
	const user = state.user;
	const v = {
		id: ids.id, assertion_id: ids.assertion_id, issue_instant: iso(now),
		destination: sp.acs, in_response_to: info ? info.id : null,
		issuer: conf.entity_id, assertion_issuer: undefined, status: NS.success,
		name_id: user.name_id, name_id_format: user.name_id_format ?? NS.email, name_id_xml: null,
		sc_in_response_to: undefined, recipient: sp.acs, sc_not_on_or_after: iso(now + 300000),
		not_before: iso(now - 1000), not_on_or_after: iso(now + 300000), audience: sp.entity_id,
		authn_instant: iso(now), session_index: ids.assertion_id, attributes: user.attributes,
	};
	Object.assign(v, edits || {});
	if (v.assertion_issuer === undefined) v.assertion_issuer = v.issuer;
	if (v.sc_in_response_to === undefined) v.sc_in_response_to = v.in_response_to;
	return v;
}

function responseXml(v) {
	const issuer = (x) => (x === null ? '' : `<saml:Issuer>${esc(x)}</saml:Issuer>`);
	const nameId = v.name_id_xml ?? esc(v.name_id);
	const audience = v.audience === null ? ''
		: `<saml:AudienceRestriction><saml:Audience>${esc(v.audience)}</saml:Audience></saml:AudienceRestriction>`;
	return '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
		+ `xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"${attr('ID', v.id)} Version="2.0"`
		+ `${attr('IssueInstant', v.issue_instant)}${attr('Destination', v.destination)}`
		+ `${attr('InResponseTo', v.in_response_to)}>${issuer(v.issuer)}`
		+ `<samlp:Status><samlp:StatusCode Value="${esc(v.status)}"/></samlp:Status>`
		+ '<saml:Assertion xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
		+ `xmlns:xs="http://www.w3.org/2001/XMLSchema"${attr('ID', v.assertion_id)} Version="2.0"`
		+ `${attr('IssueInstant', v.issue_instant)}>${issuer(v.assertion_issuer)}`
		+ `<saml:Subject><saml:NameID${attr('Format', v.name_id_format)}>${nameId}</saml:NameID>`
		+ `<saml:SubjectConfirmation Method="${NS.bearer}"><saml:SubjectConfirmationData`
		+ `${attr('NotOnOrAfter', v.sc_not_on_or_after)}${attr('Recipient', v.recipient)}`
		+ `${attr('InResponseTo', v.sc_in_response_to)}/></saml:SubjectConfirmation></saml:Subject>`
		+ `<saml:Conditions${attr('NotBefore', v.not_before)}${attr('NotOnOrAfter', v.not_on_or_after)}>`
		+ `${audience}</saml:Conditions>`
		+ `<saml:AuthnStatement${attr('AuthnInstant', v.authn_instant)}${attr('SessionIndex', v.session_index)}>`
		+ '<saml:AuthnContext><saml:AuthnContextClassRef>'
		+ 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport'
		+ '</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>'
		+ `${attributeXml(v.attributes)}</saml:Assertion></samlp:Response>`;
}

// One signed (or not) response for the SP, answering info (null: unsolicited).
async function makeResponse(sp, info, opts) {
	const mode = opts.sign || state.sign;
	if (!MODES.includes(mode)) throw new Error(`sign must be one of ${MODES.join(', ')}`);
	const idp = idpEntity(opts.key === 'foreign' ? 'foreign' : 'own', false);
	const ids = { id: idp.entitySetting.generateID(), assertion_id: idp.entitySetting.generateID() };
	const xml = responseXml(values(sp, info, opts.edit, ids));
	state.stats.responses += 1;
	if (mode === 'none') return Buffer.from(xml, 'utf8').toString('base64');
	const out = await idp.createLoginResponse(spEntity(sp, mode), null, 'post', {},
		{ customTagReplacement: () => ({ id: ids.id, context: xml }) });
	return out.context;
}

function autoPostPage(acs, samlResponse, relayState) {
	const relay = relayState ? `<input type="hidden" name="RelayState" value="${esc(relayState)}">` : '';
	return `<!doctype html><html><head><meta charset="utf-8"><title>Signing in</title></head><body>
<form id="f" method="post" action="${esc(acs)}"><input type="hidden" name="SAMLResponse" value="${esc(samlResponse)}">${relay}
<noscript><button type="submit">Continue</button></noscript></form>
<script>document.getElementById('f').submit();</script></body></html>`;
}

// ---- control API ------------------------------------------------------------------------------

async function registerSp(body) {
	let xml = body.metadata_xml;
	if (body.metadata_url) {
		const r = await fetch(body.metadata_url);
		if (r.status !== 200) throw new Error(`SP metadata ${body.metadata_url}: HTTP ${r.status}`);
		xml = await r.text();
	}
	let sp;
	if (xml) {
		const meta = samlify.ServiceProvider({ metadata: xml });
		const acs = meta.entityMeta.getAssertionConsumerService('post');
		sp = { entity_id: meta.entityMeta.getEntityID(), acs: Array.isArray(acs) ? acs[0] : acs,
			want_assertions_signed: meta.entityMeta.isWantAssertionsSigned(), metadata: xml };
	} else {
		sp = { entity_id: body.entity_id, acs: body.acs };
	}
	if (!sp.entity_id || !sp.acs) throw new Error('sp: need metadata_xml, metadata_url or entity_id + acs');
	sps.set(sp.entity_id, sp);
	return { entity_id: sp.entity_id, acs: sp.acs, want_assertions_signed: sp.want_assertions_signed ?? null };
}

// Where the request comes from: a Redirect-binding URL, a POST-binding form, or nothing.
async function requestOf(body) {
	if (body.redirect_url) {
		const q = new URL(body.redirect_url).searchParams;
		return parseRequest('redirect', q.get('SAMLRequest'), q.get('RelayState'));
	}
	if (body.saml_request) return parseRequest('post', body.saml_request, body.relay_state);
	const sp = sps.get(body.sp);
	if (!sp) throw new Error('response: give redirect_url, saml_request or a registered sp');
	return { sp, info: null };
}

const control = {
	async user(body) {
		if (typeof body.name_id !== 'string') throw new Error('user: name_id is required');
		state.user = { name_id: body.name_id, name_id_format: body.name_id_format, attributes: body.attributes || {} };
	},
	async sign(body) {
		if (!MODES.includes(body.mode)) throw new Error(`sign: mode must be one of ${MODES.join(', ')}`);
		state.sign = body.mode;
	},
	sp: registerSp,
	async response(body) {
		const { sp, info } = await requestOf(body);
		const samlResponse = await makeResponse(sp, info, body);
		const relay = info ? info.relay_state : (body.relay_state ?? null);
		return { SAMLResponse: samlResponse, RelayState: relay, acs: sp.acs, request_id: info ? info.id : null };
	},
	async clock(body) {
		state.clockOffset = Math.trunc(Number(body.offset) || 0);
	},
	async post_only(body) {
		state.postOnly = !!body.post_only;
	},
	async reset() {
		const { stats } = state;
		state = freshState();
		state.stats = stats;
	},
	async stats() {
		return state.stats;
	},
	async certs() {
		// Both private keys: the tests re-sign crafted templates with the published key, so a refusal
		// is the feature's and not the key's.
		return { own: keys.own.cert, own_key: keys.own.key, foreign: keys.foreign.cert, foreign_key: keys.foreign.key };
	},
};

// ---- HTTP ---------------------------------------------------------------------------------------

function send(res, status, type, body) {
	res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
	res.end(body);
}

async function handleControl(req, res, name) {
	if (!fromLoopback(req) || req.method !== 'POST'
	    || !Object.hasOwn(control, name)) return send(res, 404, 'text/plain', 'not found');
	try {
		const text = await readBody(req);
		const out = await control[name](text ? JSON.parse(text) : {});
		return send(res, 200, 'application/json', JSON.stringify(out || { ok: true }));
	} catch (e) {
		return send(res, 400, 'application/json', JSON.stringify({ error: String(e.message || e) }));
	}
}

// The browser leg: an AuthnRequest in, the current user's response out as an auto-posting form.
async function handleSso(req, res, url) {
	let binding = 'redirect';
	let samlRequest = url.searchParams.get('SAMLRequest');
	let relay = url.searchParams.get('RelayState');
	if (req.method === 'POST') {
		const form = new URLSearchParams(await readBody(req));
		binding = 'post';
		samlRequest = form.get('SAMLRequest');
		relay = form.get('RelayState');
	}
	try {
		if (!samlRequest) throw new Error('no SAMLRequest');
		const { sp, info } = await parseRequest(binding, samlRequest, relay);
		const out = await makeResponse(sp, info, {});
		return send(res, 200, 'text/html; charset=utf-8', autoPostPage(sp.acs, out, relay));
	} catch (e) {
		return send(res, 400, 'text/plain', `the test IdP refused the request: ${e.message || e}`);
	}
}

async function handle(req, res) {
	const url = new URL(req.url, conf.base_url);
	const ctl = /^\/__test\/([a-z_]+)$/.exec(url.pathname);
	if (ctl) return handleControl(req, res, ctl[1]);
	if (url.pathname === '/metadata' && req.method === 'GET') {
		return send(res, 200, 'application/samlmetadata+xml', idpEntity('own', state.postOnly).getMetadata());
	}
	if (url.pathname === '/sso' && (req.method === 'GET' || req.method === 'POST')) return handleSso(req, res, url);
	return send(res, 404, 'text/plain', 'not found');
}

serve(conf, (req, res) => { handle(req, res).catch((e) => send(res, 500, 'text/plain', String(e))); });
