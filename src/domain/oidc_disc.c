/*
 * OpenID Connect discovery checks (Discovery 1.0 §3-§4): where the document
 * lives, what issuer it must name, and whether it describes a provider onramp
 * can log users in with (authorization code flow, https endpoints, RS256 ID
 * tokens, the claims the customer mapped).  Every rule is its own check in
 * the report, so a customer admin sees all problems of a document at once;
 * the JWKS the document points to is checked by oidc_jwks.c.
 */
#include <string.h>
#include <strings.h>

#include "onramp/limits.h"
#include "onramp/oidc_disc.h"
#include "oidc_internal.h"

const char *const oidc_default_algs[] = { "RS256", NULL };

/* --- the URL ---------------------------------------------------------------- */

static const char *
trimmed_copy(arena *a, const char *s, size_t *len)
{
	size_t n;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	*len = n;
	return n > LIMIT_OIDC_URL ? NULL : arena_strndup(a, s, n);
}

static bool
ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

or_status
oidc_discovery_url(arena *a, const char *input, bool allow_http, const char **discovery_url,
		   const char **expected_issuer)
{
	const size_t wk = sizeof(OIDC_WELL_KNOWN) - 1;
	const char *s;
	char *d;
	oidc_url u;
	size_t n;

	*discovery_url = *expected_issuer = NULL;
	if (input == NULL)
		return OR_ERR_INVALID;
	s = trimmed_copy(a, input, &n);
	if (s == NULL)
		return n > LIMIT_OIDC_URL ? OR_ERR_LIMIT : OR_ERR_NOMEM;
	if (!oidc_url_split(s, &u) || (!u.https && !allow_http) || u.has_userinfo || u.has_query ||
	    u.has_fragment)
		return OR_ERR_INVALID;
	if (ends_with(s, n, OIDC_WELL_KNOWN)) {
		*discovery_url = s;
		*expected_issuer = arena_strndup(a, s, n - wk);
		return *expected_issuer ? OR_OK : OR_ERR_NOMEM;
	}
	if (n > 0 && s[n - 1] == '/' && *u.rest != '\0')
		n--;
	d = arena_alloc(a, n + wk + 1);
	if (d == NULL)
		return OR_ERR_NOMEM;
	memcpy(d, s, n);
	memcpy(d + n, OIDC_WELL_KNOWN, wk + 1);
	*discovery_url = d;
	*expected_issuer = arena_strndup(a, s, n);
	return *expected_issuer ? OR_OK : OR_ERR_NOMEM;
}

/* --- members ------------------------------------------------------------------ */

static json_object *
member(json_object *root, const char *name, json_type type)
{
	json_object *v;

	if (!json_object_object_get_ex(root, name, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

static bool
array_has(json_object *arr, const char *want)
{
	size_t i, n;

	if (arr == NULL || want == NULL)
		return false;
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		if (json_object_is_type(e, json_type_string) && strcmp(json_object_get_string(e), want) == 0)
			return true;
	}
	return false;
}

/* Only id_token / "id_token token" response types: the implicit flow needs no token endpoint. */
static bool
implicit_only(json_object *root)
{
	json_object *rt = member(root, "response_types_supported", json_type_array);
	size_t i, n;

	if (rt == NULL || (n = json_object_array_length(rt)) == 0)
		return false;
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(rt, i);
		if (!json_object_is_type(e, json_type_string) || strstr(json_object_get_string(e), "code") != NULL)
			return false;
	}
	return true;
}

struct required {
	const char *key, *name;
	json_type type;
};

static const struct required required[] = {
	{ "oidc.member.issuer", "issuer", json_type_string },
	{ "oidc.member.authorization_endpoint", "authorization_endpoint", json_type_string },
	{ "oidc.member.token_endpoint", "token_endpoint", json_type_string },
	{ "oidc.member.jwks_uri", "jwks_uri", json_type_string },
	{ "oidc.member.response_types_supported", "response_types_supported", json_type_array },
	{ "oidc.member.subject_types_supported", "subject_types_supported", json_type_array },
	{ "oidc.member.id_token_signing_alg_values_supported", "id_token_signing_alg_values_supported",
	  json_type_array },
};

static void
check_member(arena *a, json_object *root, const struct required *r, sso_report *out)
{
	const char *what = r->type == json_type_string ? "a string" : "a list";
	json_object *v;

	if (!json_object_object_get_ex(root, r->name, &v) || v == NULL) {
		if (strcmp(r->name, "token_endpoint") == 0 && implicit_only(root))
			sso_report_add(out, a, r->key, true, SSO_INFO,
				       "There is no token_endpoint: the provider only offers the implicit flow.");
		else
			sso_report_add(out, a, r->key, false, SSO_ERROR,
				       "The discovery document has no \"%s\", which OpenID Connect Discovery requires.",
				       r->name);
	} else if (!json_object_is_type(v, r->type)) {
		sso_report_add(out, a, r->key, false, SSO_ERROR, "\"%s\" in the discovery document must be %s.",
			       r->name, what);
	} else {
		sso_report_add(out, a, r->key, true, SSO_ERROR, "The discovery document has \"%s\".", r->name);
	}
}

/* --- issuer and endpoints -------------------------------------------------------- */

static bool
issuer_matches(const char *iss, const char *expected)
{
	size_t n = strlen(expected);

	return strncmp(iss, expected, n) == 0 && (iss[n] == '\0' || (iss[n] == '/' && iss[n + 1] == '\0'));
}

static void
check_issuer(arena *a, json_object *root, const char *expected, sso_report *out)
{
	const char *iss = oidc_json_str(root, "issuer");
	const char *hint = "";

	if (iss == NULL || expected == NULL)
		return;
	if (issuer_matches(iss, expected)) {
		sso_report_add(out, a, "oidc.issuer", true, SSO_ERROR,
			       "The issuer \"%.300s\" matches the discovery URL.", iss);
		return;
	}
	if (strchr(iss, '{') != NULL)
		hint = " It is a template: use the discovery URL of your own tenant.";
	else if (strncmp(iss, "https://", 8) != 0)
		hint = " An issuer must be an https URL.";
	sso_report_add(out, a, "oidc.issuer", false, SSO_ERROR,
		       "The document's issuer \"%.300s\" is not the issuer of the discovery URL, \"%.300s\".%s",
		       iss, expected, hint);
}

static const char *const https_members[][2] = {
	{ "oidc.https.issuer", "issuer" },
	{ "oidc.https.authorization_endpoint", "authorization_endpoint" },
	{ "oidc.https.token_endpoint", "token_endpoint" },
	{ "oidc.https.userinfo_endpoint", "userinfo_endpoint" },
	{ "oidc.https.jwks_uri", "jwks_uri" },
};

static void
check_https(arena *a, json_object *root, sso_report *out)
{
	size_t i;

	for (i = 0; i < sizeof(https_members) / sizeof(https_members[0]); i++) {
		const char *url = oidc_json_str(root, https_members[i][1]);
		oidc_url u;

		if (url == NULL)
			continue;
		if (oidc_url_split(url, &u) && u.https && !u.has_userinfo && !u.has_fragment)
			sso_report_add(out, a, https_members[i][0], true, SSO_ERROR, "The %s uses https.",
				       https_members[i][1]);
		else
			sso_report_add(out, a, https_members[i][0], false, SSO_ERROR,
				       "The %s \"%.300s\" is not an https URL.", https_members[i][1], url);
	}
}

/* --- flows, algorithms, claims ------------------------------------------------------ */

static void
check_code(arena *a, json_object *root, sso_report *out)
{
	json_object *rt = member(root, "response_types_supported", json_type_array);

	if (rt == NULL)
		return;
	if (array_has(rt, "code"))
		sso_report_add(out, a, "oidc.response_type_code", true, SSO_ERROR,
			       "The provider supports the authorization code flow (response type \"code\").");
	else
		sso_report_add(out, a, "oidc.response_type_code", false, SSO_ERROR,
			       "The provider does not list \"code\" among response_types_supported, so it cannot "
			       "do the authorization code flow onramp uses.");
}

static void
check_algs(arena *a, json_object *root, const char *const *algs, sso_report *out)
{
	json_object *v = member(root, "id_token_signing_alg_values_supported", json_type_array);
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; algs[i] != NULL; i++)
		if (array_has(v, algs[i])) {
			sso_report_add(out, a, "oidc.signing_alg", true, SSO_ERROR,
				       "The provider signs ID tokens with %s.", algs[i]);
			break;
		}
	if (algs[i] == NULL)
		sso_report_add(out, a, "oidc.signing_alg", false, SSO_ERROR,
			       "The provider does not sign ID tokens with %s (id_token_signing_alg_values_supported "
			       "is %.300s).", algs[0] ? algs[0] : "an accepted algorithm",
			       json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	if (array_has(v, "none") || array_has(v, "HS256") || array_has(v, "HS384") || array_has(v, "HS512"))
		sso_report_add(out, a, "oidc.weak_algs", true, SSO_INFO,
			       "The provider also offers unsigned or HMAC-signed ID tokens; onramp accepts only "
			       "the algorithms it is configured with (%s first).", algs[0] ? algs[0] : "none");
}

static void
check_claim(arena *a, json_object *cs, const char *key, const char *claim, sso_report *out)
{
	if (claim == NULL || *claim == '\0')
		return;
	if (array_has(cs, claim))
		sso_report_add(out, a, key, true, SSO_WARNING, "The provider lists %.200s in claims_supported.",
			       claim);
	else
		sso_report_add(out, a, key, false, SSO_WARNING,
			       "%.200s is not in the provider's claims_supported; check that the provider sends it "
			       "(some send it only when configured or for a particular scope).", claim);
}

static void
check_claims(arena *a, json_object *root, const oidc_claims *form, sso_report *out)
{
	json_object *cs = member(root, "claims_supported", json_type_array);

	if (form == NULL)
		return;
	if (cs == NULL) {
		sso_report_add(out, a, "oidc.claims_supported", true, SSO_INFO,
			       "The provider does not publish claims_supported, so the claim names were not checked.");
		return;
	}
	check_claim(a, cs, "oidc.claim.username", form->username, out);
	check_claim(a, cs, "oidc.claim.email", form->email, out);
	check_claim(a, cs, "oidc.claim.groups", form->groups, out);
}

/* --- summary and entry points --------------------------------------------------------- */

static void
fill_summary(arena *a, json_object *root, sso_report *out)
{
	static const char *const kinds[] = { "authorization_endpoint", "token_endpoint", "userinfo_endpoint",
					     "jwks_uri", "end_session_endpoint" };
	size_t i;

	out->entity_id = arena_strdup(a, oidc_json_str(root, "issuer"));
	out->jwks_uri = arena_strdup(a, oidc_json_str(root, "jwks_uri"));
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]) && out->nendpoints < SSO_MAX_ENDPOINTS; i++) {
		const char *url = arena_strdup(a, oidc_json_str(root, kinds[i]));
		if (url == NULL)
			continue;
		out->endpoints[out->nendpoints].kind = kinds[i];
		out->endpoints[out->nendpoints].url = url;
		out->nendpoints++;
	}
}

void
oidc_discovery_check_algs(arena *a, const char *discovery_url, const char *json, size_t len,
			  const oidc_claims *form, const char *const *algs, sso_report *out)
{
	const char *durl = NULL, *expected = NULL;
	json_object *root;
	or_status st;
	size_t i;

	sso_report_init(out, "oidc");
	st = oidc_discovery_url(a, discovery_url, true, &durl, &expected);
	if (st == OR_ERR_NOMEM)
		sso_report_add(out, a, "oidc.discovery_url", false, SSO_ERROR,
			       "The discovery URL could not be checked (out of memory).");
	else if (st != OR_OK)
		sso_report_add(out, a, "oidc.discovery_url", false, SSO_ERROR,
			       "The discovery URL is not a valid http(s) URL without user name, query or fragment.");
	root = oidc_json_object(a, json, len, "oidc.json", "discovery document", out);
	if (root == NULL)
		return;
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		check_member(a, root, &required[i], out);
	check_issuer(a, root, expected, out);
	check_https(a, root, out);
	check_code(a, root, out);
	check_algs(a, root, algs ? algs : oidc_default_algs, out);
	check_claims(a, root, form, out);
	fill_summary(a, root, out);
	json_object_put(root);
}

void
oidc_discovery_check(arena *a, const char *discovery_url, const char *json, size_t len, const oidc_claims *form,
		     sso_report *out)
{
	oidc_discovery_check_algs(a, discovery_url, json, len, form, NULL, out);
}
