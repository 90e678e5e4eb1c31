// The test OpenID Provider: oidc-provider on loopback HTTPS, for onramp's integration and
// browser tests only (started by tests/integration/oidc_op.py; see its docstring for the
// control API and the misbehaviour JSON).
//
// Why it looks the way it does:
// - A real OP (not a mock) so the relying party meets real discovery, PKCE, client
//   authentication, code single-use and userinfo behaviour.
// - No login page: the interaction route completes login and consent at once for the user the
//   test chose, and every authorization starts without the OP's session, so a test (or
//   Chromium, which keeps the OP's session cookie) always gets the user it set last.
// - The keys live here, not only in the provider: JWKS is served from this module's key
//   list so keys can be rotated without a restart, and an ID token is re-signed here whenever
//   the test rotated keys, moved the clock or asked for a misbehaving token.
// - The control API under /__test/ answers loopback peers only; nothing of it is meant for
//   anything but a test.
//
// Usage: node op.mjs CONFIG.json   (config written by oidc_op.py; prints "ready" when listening)

import crypto from 'node:crypto';
import Provider from 'oidc-provider';
import { fromLoopback, readBody, readConf, serve } from './common.mjs';

const ALGS = ['RS256', 'PS256', 'ES256'];
const conf = readConf();

// ---- keys -----------------------------------------------------------------------------------

// Keys are generated as PEM and re-imported: exporting a JWK straight from a key object of
// generateKeyPairSync deadlocked Node 20.20 now and then (the garbage collector destroys
// the key-generation job while the export holds the key's mutex: seen as an OP hung at start).
function newKey(alg, label) {
	const enc = { privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } };
	const pair = alg === 'ES256'
		? crypto.generateKeyPairSync('ec', { namedCurve: 'P-256', ...enc })
		: crypto.generateKeyPairSync('rsa', { modulusLength: 2048, ...enc });
	const privateKey = crypto.createPrivateKey(pair.privateKey);
	const kid = `${label}-${alg.toLowerCase()}-${crypto.randomBytes(6).toString('hex')}`;
	const priv = { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
	const pub = { ...crypto.createPublicKey(privateKey).export({ format: 'jwk' }), kid, alg, use: 'sig' };
	return { alg, kid, privateKey, publicKey: crypto.createPublicKey(privateKey), priv, pub };
}

function newKeySet(label) {
	return Object.fromEntries(ALGS.map((alg) => [alg, newKey(alg, label)]));
}

const initialKeys = newKeySet('op');

// ---- mutable test state ----------------------------------------------------------------------

function freshState() {
	return {
		keys: initialKeys,			// alg -> key used to sign ID tokens now
		published: Object.values(initialKeys).map((k) => k.pub),	// what /jwks serves
		foreign: null,				// alg -> key never published (made on first use)
		users: { [conf.default_user.sub]: conf.default_user },
		current: conf.default_user.sub,
		misbehave: {},
		clockOffset: 0,				// seconds added to iat/exp/nbf/auth_time
		stats: { jwks: 0, token: 0, userinfo: 0, authorize: 0, token_auth: [] },
	};
}
let state = freshState();

// ---- JWS ------------------------------------------------------------------------------------

const b64u = (buf) => Buffer.from(buf).toString('base64url');
const unb64u = (s) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));

function signBytes(alg, key, input) {
	switch (alg) {
	case 'RS256': return crypto.sign('sha256', input, key);
	case 'PS256': return crypto.sign('sha256', input,
		{ key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
	case 'ES256': return crypto.sign('sha256', input, { key, dsaEncoding: 'ieee-p1363' });
	case 'HS256': return crypto.createHmac('sha256', key).update(input).digest();
	case 'none': return Buffer.alloc(0);
	default: throw new Error(`unknown alg ${alg}`);
	}
}

function foreignKey(alg) {
	state.foreign ||= newKeySet('foreign');
	return state.foreign[alg];
}

// What a "sign" value means: [JWS alg, signing key, key object whose kid/jwk go in the header].
function signer(spec, fallbackAlg) {
	const name = spec || fallbackAlg;
	if (ALGS.includes(name)) return [name, state.keys[name].privateKey, state.keys[name]];
	const m = /^foreign-(RS256|PS256|ES256)$/.exec(name);
	if (m) return [m[1], foreignKey(m[1]).privateKey, foreignKey(m[1])];
	if (name === 'none') return ['none', null, null];
	if (name === 'HS256-secret') return ['HS256', Buffer.from(conf.client.client_secret, 'utf8'), null];
	if (name === 'HS256-public-key') {
		const pem = state.keys.RS256.publicKey.export({ type: 'spki', format: 'pem' });
		return ['HS256', Buffer.from(pem, 'utf8'), null];
	}
	throw new Error(`unknown sign value ${name}`);
}

// Apply {name: value} edits to an object: null removes the member, anything else sets it.
function edit(obj, edits) {
	for (const [k, v] of Object.entries(edits || {})) {
		if (v === null) delete obj[k];
		else obj[k] = v;
	}
}

function shiftTimes(payload, offset) {
	for (const k of ['iat', 'exp', 'nbf', 'auth_time']) {
		if (typeof payload[k] === 'number') payload[k] += offset;
	}
}

// The ID token as the test wants it: unchanged unless keys rotated, the clock moved or a
// misbehaviour asks for something; else decoded, edited and re-signed.
function rewriteIdToken(jwt, mis) {
	const [h, p, s] = jwt.split('.');
	const header = unb64u(h);
	const payload = unb64u(p);
	const rotated = state.keys[header.alg]?.kid !== header.kid;
	const wanted = mis.sign || mis.header || mis.claims || mis.corrupt_signature;
	if (!rotated && !wanted && !state.clockOffset) return jwt;
	shiftTimes(payload, state.clockOffset);
	edit(payload, mis.claims);
	const [alg, key, keyInfo] = signer(mis.sign, header.alg);
	const out = { alg };
	if (keyInfo) out.kid = keyInfo.kid;
	// "jwk": true embeds the signing key's public JWK (the attack where the token brings its key).
	const hdrEdits = { ...(mis.header || {}) };
	if (hdrEdits.jwk === true) {
		const jwk = keyInfo ? { ...keyInfo.pub } : null;
		hdrEdits.jwk = jwk;
	}
	edit(out, hdrEdits);
	const input = `${b64u(JSON.stringify(out))}.${b64u(JSON.stringify(payload))}`;
	let sig = signBytes(alg, key, Buffer.from(input, 'ascii'));
	if (mis.corrupt_signature) {
		sig = Buffer.from(sig.length ? sig : Buffer.from('x'));
		sig[sig.length >> 1] ^= 0x55;
	}
	return s === undefined ? input : `${input}.${b64u(sig)}`;
}

// ---- provider -------------------------------------------------------------------------------

function findAccount(ctx, sub) {
	const user = state.users[sub];
	if (!user) return undefined;
	return {
		accountId: sub,
		async claims(use) {
			const c = {};
			for (const [k, v] of Object.entries(user)) {
				if (k !== 'userinfo_only' && v !== null && v !== undefined) c[k] = v;
			}
			if (use === 'id_token') for (const k of user.userinfo_only || []) delete c[k];
			c.sub = sub;
			return c;
		},
	};
}

// The OP forgets its own session on every authorization (its _session cookies are dropped
// from the request), so each one logs in the user a test set last, whatever OP session a
// browser still holds; a kept session would also make oidc-provider's account switch go
// through its logout form.
function dropSessionCookies(ctx) {
	const raw = ctx.req.headers.cookie;
	if (!raw) return;
	const kept = raw.split(';').map((c) => c.trim()).filter((c) => c && !c.startsWith('_session'));
	if (kept.length) ctx.req.headers.cookie = kept.join('; ');
	else delete ctx.req.headers.cookie;
}

const authMethod = conf.auth_methods.includes('client_secret_basic') ? 'client_secret_basic' : 'client_secret_post';

const provider = new Provider(conf.issuer, {
	clients: [{
		client_id: conf.client.client_id,
		client_secret: conf.client.client_secret,
		redirect_uris: conf.client.redirect_uris.length ? conf.client.redirect_uris : ['https://placeholder.invalid/cb'],
		grant_types: ['authorization_code'],
		response_types: ['code'],
		token_endpoint_auth_method: authMethod,
		id_token_signed_response_alg: conf.id_token_alg,
	}],
	clientAuthMethods: conf.auth_methods,
	jwks: { keys: Object.values(initialKeys).map((k) => k.priv) },
	enabledJWA: { idTokenSigningAlgValues: conf.id_token_algs },
	findAccount,
	claims: {
		openid: ['sub'],
		email: ['email', 'email_verified'],
		profile: ['preferred_username', 'name', 'groups'],
		groups: ['groups'],
	},
	scopes: ['openid', 'email', 'profile', 'groups'],
	conformIdTokenClaims: false,
	pkce: { required: () => true },
	interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
	features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: false } },
	cookies: { keys: [crypto.randomBytes(16).toString('hex')] },
	ttl: { AccessToken: 600, AuthorizationCode: 120, IdToken: 600, Interaction: 600, Session: 600, Grant: 600 },
	renderError(ctx, out) {
		ctx.type = 'json';
		ctx.body = out;
	},
});

async function completeInteraction(ctx) {
	const details = await provider.interactionDetails(ctx.req, ctx.res);
	let result;
	const mis = state.misbehave;
	if (mis.authorize_error) {
		result = { error: mis.authorize_error, error_description: 'the test OP was told to refuse' };
		delete mis.authorize_error;
	} else {
		const accountId = state.current;
		const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
		grant.addOIDCScope(String(details.params.scope || 'openid'));
		const missing = details.prompt.details.missingOIDCClaims;
		if (missing) grant.addOIDCClaims(missing);
		result = { login: { accountId }, consent: { grantId: await grant.save() } };
	}
	ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false }));
	ctx.status = 303;
}

// The final redirect to the RP: RFC 9207 "iss" replaced or removed when asked.
function rewriteIssParam(ctx) {
	const mis = state.misbehave;
	if (!('iss_param' in mis) || ![302, 303].includes(ctx.status)) return;
	const loc = ctx.response.get('Location');
	if (!loc || loc.startsWith(conf.issuer) || loc.startsWith('/')) return;
	const url = new URL(loc);
	if (mis.iss_param === null) url.searchParams.delete('iss');
	else url.searchParams.set('iss', mis.iss_param);
	ctx.response.set('Location', url.href);
	delete mis.iss_param;
}

function rewriteToken(ctx) {
	const mis = state.misbehave;
	if (ctx.status !== 200 || typeof ctx.body?.id_token !== 'string') return;
	const t = {};
	for (const k of ['sign', 'header', 'claims', 'corrupt_signature']) {
		if (k in mis) t[k] = mis[k];
		delete mis[k];
	}
	ctx.body = { ...ctx.body, id_token: rewriteIdToken(ctx.body.id_token, t) };
}

function rewriteUserinfo(ctx) {
	const mis = state.misbehave;
	if (ctx.status !== 200 || !ctx.body || typeof ctx.body !== 'object' || !mis.userinfo) return;
	const body = { ...ctx.body };
	edit(body, mis.userinfo);
	delete mis.userinfo;
	ctx.body = body;
}

// ---- control API ------------------------------------------------------------------------------

async function readJson(ctx) {
	const text = await readBody(ctx.req);
	return text ? JSON.parse(text) : {};
}

const control = {
	async user(body) {
		if (typeof body.sub !== 'string' || !body.sub) throw new Error('user: sub is required');
		state.users[body.sub] = body;
		state.current = body.sub;
	},
	async misbehave(body) {
		state.misbehave = body;
	},
	async reset() {
		const { stats } = state;
		state = freshState();
		state.stats = stats;
	},
	async rotate(body) {
		const old = state.published;
		state.keys = newKeySet('op');
		state.published = Object.values(state.keys).map((k) => k.pub).concat(body.keep_old ? old : []);
		return control.stats();
	},
	async clock(body) {
		state.clockOffset = Math.trunc(Number(body.offset) || 0);
	},
	async redirect_uris(body) {
		const client = await provider.Client.find(conf.client.client_id);
		client.redirectUris = body.redirect_uris;
	},
	async stats() {
		return { ...state.stats, kids: Object.fromEntries(ALGS.map((a) => [a, state.keys[a].kid])) };
	},
};

async function handleControl(ctx, name) {
	if (!fromLoopback(ctx.req) || ctx.method !== 'POST' || !control[name]) {
		ctx.status = 404;
		return;
	}
	try {
		const out = await control[name](await readJson(ctx));
		ctx.status = 200;
		ctx.body = out || { ok: true };
	} catch (e) {
		ctx.status = 400;
		ctx.body = { error: String(e.message || e) };
	}
}

provider.use(async (ctx, next) => {
	const ctl = /^\/__test\/([a-z_]+)$/.exec(ctx.path);
	if (ctl) return handleControl(ctx, ctl[1]);
	const inter = /^\/interaction\/[^/]+$/.test(ctx.path);
	if (inter && ctx.method === 'GET') return completeInteraction(ctx);
	if (ctx.path === '/jwks') {
		state.stats.jwks += 1;
		ctx.type = 'application/jwk-set+json';
		ctx.body = { keys: state.published };
		return undefined;
	}
	if (ctx.path === '/token' && ctx.method === 'POST') {
		state.stats.token += 1;
		state.stats.token_auth.push(ctx.get('authorization') ? 'client_secret_basic' : 'client_secret_post');
		if (state.misbehave.token_error) {
			ctx.status = 400;
			ctx.body = { error: state.misbehave.token_error, error_description: 'the test OP was told to fail' };
			delete state.misbehave.token_error;
			return undefined;
		}
	}
	if (ctx.path === '/auth') state.stats.authorize += 1;
	if (ctx.path === '/auth' || ctx.path.startsWith('/auth/')) dropSessionCookies(ctx);
	if (ctx.path === '/me') state.stats.userinfo += 1;
	await next();
	if (ctx.path === '/token') rewriteToken(ctx);
	else if (ctx.path === '/me') rewriteUserinfo(ctx);
	else if (ctx.path.startsWith('/auth')) rewriteIssParam(ctx);
	return undefined;
});

serve(conf, provider.callback());
