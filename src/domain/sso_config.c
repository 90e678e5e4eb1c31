/*
 * The JSON form of an SSO configuration (include/onramp/sso_config.h), and
 * the IdP details an OIDC validation resolves from the discovery document.
 * One writer and one reader, so validated, approved and live configurations
 * can never disagree on what a member means.  The reader is strict: a stored
 * document that is not a whole configuration is refused rather than used in
 * part, since sign-in trusts what it reads.
 *
 * Form: {"v":1, "version", "protocol", "client_id", "email_domains":[],
 * "admin_groups":[], "member_groups":[], "test_users":[],
 * "claims":{"username","email","groups"}, "idp":{"issuer",
 * "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri",
 * "algs":["RS256",...], "token_auth", "iss_param", "saml_entity_id",
 * "saml_sso_url", "saml_sso_binding", "saml_certs":[base64 DER,...]}};
 * absent strings (and an empty saml_certs) are omitted, and
 * "iss_param" is present (true) only when discovery promised RFC 9207's iss,
 * so every document has exactly one form.
 */
#include <string.h>

#include <json-c/json.h>

#include "onramp/sso_config.h"
#include "oidc_internal.h"

#define FORM_VERSION 1

const char *const sso_config_algs[] = { "RS256", "PS256", "ES256", NULL };

unsigned
sso_config_alg_bit(const char *name)
{
	return jose_alg_mask(&name, 1);
}

/* --- writing ---------------------------------------------------------------- */

static void
put_str(json_object *o, const char *key, const char *v)
{
	if (v != NULL)
		json_object_object_add(o, key, json_object_new_string(v));
}

static json_object *
str_array(const char *const *v, size_t n)
{
	json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add(arr, json_object_new_string(v[i]));
	return arr;
}

static json_object *
idp_json(const sso_idp *p)
{
	json_object *o = json_object_new_object(), *algs = json_object_new_array();
	size_t i;

	put_str(o, "issuer", p->issuer);
	put_str(o, "authorization_endpoint", p->authorization_endpoint);
	put_str(o, "token_endpoint", p->token_endpoint);
	put_str(o, "userinfo_endpoint", p->userinfo_endpoint);
	put_str(o, "jwks_uri", p->jwks_uri);
	for (i = 0; sso_config_algs[i]; i++)
		if (p->algs & sso_config_alg_bit(sso_config_algs[i]))
			json_object_array_add(algs, json_object_new_string(sso_config_algs[i]));
	json_object_object_add(o, "algs", algs);
	put_str(o, "token_auth", p->token_auth);
	if (p->iss_param)
		json_object_object_add(o, "iss_param", json_object_new_boolean(1));
	put_str(o, "saml_entity_id", p->saml_entity_id);
	put_str(o, "saml_sso_url", p->saml_sso_url);
	put_str(o, "saml_sso_binding", p->saml_sso_binding);
	if (p->nsaml_certs)
		json_object_object_add(o, "saml_certs", str_array(p->saml_certs, p->nsaml_certs));
	return o;
}

const char *
sso_config_json(arena *a, const sso_config *c)
{
	json_object *o = json_object_new_object(), *claims = json_object_new_object();
	const char *text;

	json_object_object_add(o, "v", json_object_new_int(FORM_VERSION));
	json_object_object_add(o, "version", json_object_new_int64(c->version));
	put_str(o, "protocol", c->protocol);
	put_str(o, "client_id", c->client_id);
	json_object_object_add(o, "email_domains", str_array(c->email_domains, c->ndomains));
	json_object_object_add(o, "admin_groups", str_array(c->admin_groups, c->nadmin));
	json_object_object_add(o, "member_groups", str_array(c->member_groups, c->nmember));
	json_object_object_add(o, "test_users", str_array(c->test_users, c->ntest));
	put_str(claims, "username", c->claims.username);
	put_str(claims, "email", c->claims.email);
	put_str(claims, "groups", c->claims.groups);
	json_object_object_add(o, "claims", claims);
	json_object_object_add(o, "idp", idp_json(&c->idp));
	/* Unescaped slashes: the stored document stays readable for an operator looking at the row. */
	text = arena_strdup(a, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return text;
}

/* --- reading ---------------------------------------------------------------- */

/* An optional string member copied into the arena; false when present but not a string. */
static bool
get_str(arena *a, json_object *o, const char *key, const char **out)
{
	json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return true;
	if (!json_object_is_type(v, json_type_string))
		return false;
	*out = arena_strdup(a, json_object_get_string(v));
	return *out != NULL;
}

/* A list of strings (absent = empty); false when not one or too long. */
static bool
get_list(arena *a, json_object *o, const char *key, const char ***out, size_t *n)
{
	json_object *arr;
	size_t i, len;

	*out = NULL;
	*n = 0;
	if (!json_object_object_get_ex(o, key, &arr) || arr == NULL)
		return true;
	if (!json_object_is_type(arr, json_type_array) || (len = json_object_array_length(arr)) > SSO_CONFIG_MAX_LIST)
		return false;
	if (len == 0)
		return true;
	if ((*out = arena_calloc(a, len, sizeof(**out))) == NULL)
		return false;
	for (i = 0; i < len; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(e, json_type_string) ||
		    ((*out)[i] = arena_strdup(a, json_object_get_string(e))) == NULL)
			return false;
	}
	*n = len;
	return true;
}

/* The algorithm names as a mask; false when a name is not one onramp verifies (never silently dropped). */
static bool
get_algs(json_object *idp, unsigned *mask)
{
	json_object *arr;
	size_t i, n;

	*mask = 0;
	if (!json_object_object_get_ex(idp, "algs", &arr) || !json_object_is_type(arr, json_type_array))
		return true;
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		unsigned bit = json_object_is_type(e, json_type_string) ? sso_config_alg_bit(json_object_get_string(e)) : 0;
		if (bit == 0)
			return false;
		*mask |= bit;
	}
	return true;
}

/* "iss_param": absent, or true (false is never written, so it is not one of the forms). */
static bool
get_iss_param(json_object *idp, bool *out)
{
	json_object *v;

	*out = false;
	if (!json_object_object_get_ex(idp, "iss_param", &v))
		return true;
	if (!json_object_is_type(v, json_type_boolean) || !json_object_get_boolean(v))
		return false;
	*out = true;
	return true;
}

static bool
read_idp(arena *a, json_object *o, sso_idp *p)
{
	json_object *idp;

	if (!json_object_object_get_ex(o, "idp", &idp) || !json_object_is_type(idp, json_type_object))
		return false;
	return get_iss_param(idp, &p->iss_param) && get_str(a, idp, "issuer", &p->issuer) &&
	       get_str(a, idp, "authorization_endpoint", &p->authorization_endpoint) &&
	       get_str(a, idp, "token_endpoint", &p->token_endpoint) &&
	       get_str(a, idp, "userinfo_endpoint", &p->userinfo_endpoint) && get_str(a, idp, "jwks_uri", &p->jwks_uri) &&
	       get_algs(idp, &p->algs) && get_str(a, idp, "token_auth", &p->token_auth) &&
	       get_str(a, idp, "saml_entity_id", &p->saml_entity_id) &&
	       get_str(a, idp, "saml_sso_url", &p->saml_sso_url) &&
	       get_str(a, idp, "saml_sso_binding", &p->saml_sso_binding) &&
	       get_list(a, idp, "saml_certs", &p->saml_certs, &p->nsaml_certs);
}

static bool
read_claims(arena *a, json_object *o, oidc_claims *c)
{
	json_object *cl;

	if (!json_object_object_get_ex(o, "claims", &cl) || cl == NULL)
		return true;
	return json_object_is_type(cl, json_type_object) && get_str(a, cl, "username", &c->username) &&
	       get_str(a, cl, "email", &c->email) && get_str(a, cl, "groups", &c->groups);
}

static bool
token_auth_ok(const char *m)
{
	return m && (strcmp(m, "client_secret_basic") == 0 || strcmp(m, "client_secret_post") == 0);
}

/* What sign-in cannot do without: refused here, so a half configuration never reaches it. */
static bool
complete(const sso_config *c)
{
	const sso_idp *p = &c->idp;

	if (strcmp(c->protocol, "oidc") == 0)
		return c->client_id && *c->client_id && p->issuer && p->authorization_endpoint && p->token_endpoint &&
		       p->jwks_uri && p->algs != 0 && token_auth_ok(p->token_auth);
	return p->saml_entity_id && p->saml_sso_url;
}

static bool
read_config(arena *a, json_object *o, sso_config *out)
{
	json_object *v;

	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "v", &v) ||
	    json_object_get_int(v) != FORM_VERSION || !json_object_object_get_ex(o, "version", &v) ||
	    !json_object_is_type(v, json_type_int) || (out->version = json_object_get_int64(v)) <= 0)
		return false;
	if (!get_str(a, o, "protocol", &out->protocol) || out->protocol == NULL ||
	    (strcmp(out->protocol, "oidc") != 0 && strcmp(out->protocol, "saml") != 0))
		return false;
	return get_str(a, o, "client_id", &out->client_id) &&
	       get_list(a, o, "email_domains", &out->email_domains, &out->ndomains) &&
	       get_list(a, o, "admin_groups", &out->admin_groups, &out->nadmin) &&
	       get_list(a, o, "member_groups", &out->member_groups, &out->nmember) &&
	       get_list(a, o, "test_users", &out->test_users, &out->ntest) && read_claims(a, o, &out->claims) &&
	       read_idp(a, o, &out->idp) && complete(out);
}

or_status
sso_config_parse(arena *a, const char *json, size_t len, sso_config *out)
{
	const char *why;
	json_object *root;
	bool ok;

	memset(out, 0, sizeof(*out));
	if ((root = oidc_json_parse(json, len, &why)) == NULL)
		return OR_ERR_INVALID;
	ok = read_config(a, root, out);
	json_object_put(root);
	if (!ok)
		memset(out, 0, sizeof(*out));
	return ok ? OR_OK : OR_ERR_INVALID;
}

/* --- resolving an OIDC provider ---------------------------------------------- */

static bool
lists(json_object *arr, const char *want)
{
	size_t i, n = json_object_array_length(arr);

	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		if (json_object_is_type(e, json_type_string) && strcmp(json_object_get_string(e), want) == 0)
			return true;
	}
	return false;
}

/* Discovery 1.0 §3: an absent token_endpoint_auth_methods_supported means client_secret_basic. */
static void
resolve_token_auth(arena *a, json_object *root, sso_idp *out, sso_report *r)
{
	json_object *m;

	if (!json_object_object_get_ex(root, "token_endpoint_auth_methods_supported", &m) ||
	    !json_object_is_type(m, json_type_array) || lists(m, "client_secret_basic"))
		out->token_auth = "client_secret_basic";
	else if (lists(m, "client_secret_post"))
		out->token_auth = "client_secret_post";
	if (out->token_auth)
		sso_report_add(r, a, "oidc.token_auth", true, SSO_ERROR,
			       "onramp will authenticate at the token endpoint with %s.", out->token_auth);
	else
		sso_report_add(r, a, "oidc.token_auth", false, SSO_ERROR,
			       "The IdP supports neither client_secret_basic nor client_secret_post at its token "
			       "endpoint (token_endpoint_auth_methods_supported is %.300s).",
			       json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN));
}

void
sso_config_resolve_oidc(arena *a, const char *json, size_t len, sso_idp *out, sso_report *r)
{
	const char *why;
	json_object *root = oidc_json_parse(json, len, &why), *algs;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (root == NULL || !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return;		/* oidc_discovery_check already reported why */
	}
	out->issuer = arena_strdup(a, oidc_json_str(root, "issuer"));
	out->authorization_endpoint = arena_strdup(a, oidc_json_str(root, "authorization_endpoint"));
	out->token_endpoint = arena_strdup(a, oidc_json_str(root, "token_endpoint"));
	out->userinfo_endpoint = arena_strdup(a, oidc_json_str(root, "userinfo_endpoint"));
	out->jwks_uri = arena_strdup(a, oidc_json_str(root, "jwks_uri"));
	if (json_object_object_get_ex(root, "id_token_signing_alg_values_supported", &algs) &&
	    json_object_is_type(algs, json_type_array))
		for (i = 0; sso_config_algs[i]; i++)
			if (lists(algs, sso_config_algs[i]))
				out->algs |= sso_config_alg_bit(sso_config_algs[i]);
	resolve_token_auth(a, root, out, r);
	/* RFC 9207 section 3: a client that sees this flag must require iss in the authorization answer. */
	out->iss_param = json_object_object_get_ex(root, "authorization_response_iss_parameter_supported", &algs) &&
			 json_object_is_type(algs, json_type_boolean) && json_object_get_boolean(algs);
	json_object_put(root);
}
