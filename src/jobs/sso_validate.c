/*
 * Validating an SSO draft (include/onramp/sso_validate.h): the fetches and
 * checks that POST /sso/validate used to run inside the request worker, now
 * run by onramp-fetcher for a queued job.  A failed fetch becomes a failed
 * check named after the document, so the customer reads why in the report.
 */
#include <stdio.h>
#include <string.h>

#include "onramp/api.h"
#include "onramp/fetch.h"
#include "onramp/oidc_disc.h"
#include "onramp/saml_meta.h"
#include "onramp/sso_config.h"
#include "onramp/sso_form.h"
#include "onramp/sso_validate.h"
#include "onramp/timefmt.h"

json_object *
sso_checks_json(json_object *arr, const sso_check *checks, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		json_object *c = json_object_new_object();
		json_object_object_add(c, "key", json_object_new_string(checks[i].key));
		json_object_object_add(c, "ok", json_object_new_boolean(checks[i].ok));
		json_object_object_add(c, "severity", json_object_new_string(sso_severity_name(sso_check_shown(&checks[i]))));
		json_object_object_add(c, "message", json_object_new_string(checks[i].message));
		json_object_array_add(arr, c);
	}
	return arr;
}

json_object *
sso_counts_json(const sso_check *checks, size_t n)
{
	sso_counts k = sso_checks_count(checks, n);
	json_object *o = json_object_new_object();

	json_object_object_add(o, "errors", json_object_new_int64((int64_t)k.errors));
	json_object_object_add(o, "warnings", json_object_new_int64((int64_t)k.warnings));
	json_object_object_add(o, "notes", json_object_new_int64((int64_t)k.notes));
	json_object_object_add(o, "passed", json_object_new_int64((int64_t)k.passed));
	return o;
}

json_object *
sso_validate_report_json(const sso_report *r, int64_t validated_at)
{
	json_object *o = json_object_new_object(), *checks = json_object_new_array(), *sum = json_object_new_object();
	json_object *eps = json_object_new_array(), *certs = json_object_new_array(), *ids = json_object_new_array();
	json_object *ents = json_object_new_array();
	size_t i;

	sso_checks_json(checks, r->checks, r->nchecks);
	for (i = 0; i < r->nendpoints; i++) {
		json_object *e = json_object_new_object();
		json_object_object_add(e, "kind", output_str(r->endpoints[i].kind));
		json_object_object_add(e, "url", output_str(r->endpoints[i].url));
		json_object_array_add(eps, e);
	}
	for (i = 0; i < r->ncerts; i++) {
		const sso_cert *c = &r->certs[i];
		json_object *x = json_object_new_object();
		json_object_object_add(x, "use", output_str(c->use));
		json_object_object_add(x, "subject", output_str(c->subject));
		json_object_object_add(x, "issuer", output_str(c->issuer));
		json_object_object_add(x, "not_before", output_time(c->not_before));
		json_object_object_add(x, "not_after", output_time(c->not_after));
		json_object_object_add(x, "key", output_str(c->key_type));
		json_object_object_add(x, "key_bits", json_object_new_int(c->key_bits));
		json_object_object_add(x, "signature_algorithm", output_str(c->sig_alg));
		json_object_object_add(x, "sha256", json_object_new_string(c->sha256));
		json_object_array_add(certs, x);
	}
	for (i = 0; i < r->nnameid; i++)
		json_object_array_add(ids, output_str(r->nameid_formats[i]));
	for (i = 0; i < r->nentities; i++)
		json_object_array_add(ents, output_str(r->entities[i]));
	json_object_object_add(sum, "protocol", output_str(r->protocol));
	json_object_object_add(sum, "entity_id", output_str(r->entity_id));
	json_object_object_add(sum, "signed", json_object_new_boolean(r->is_signed));
	json_object_object_add(sum, "endpoints", eps);
	json_object_object_add(sum, "certificates", certs);
	json_object_object_add(sum, "nameid_formats", ids);
	json_object_object_add(sum, "entities", ents);
	json_object_object_add(sum, "jwks_uri", output_str(r->jwks_uri));
	json_object_object_add(sum, "usable_keys", json_object_new_int(r->usable_keys));
	json_object_object_add(o, "ok", json_object_new_boolean(r->ok));
	json_object_object_add(o, "checks", checks);
	json_object_object_add(o, "counts", sso_counts_json(r->checks, r->nchecks));
	json_object_object_add(o, "summary", sum);
	json_object_object_add(o, "validated_at", output_time(validated_at));
	return o;
}

/* When expiry is judged: now, unless sso_clock pins a time (tests, "what fails on date X"). */
static int64_t
check_time(const config *cfg, int64_t now)
{
	int64_t t;

	if (cfg->sso_clock[0] && timefmt_parse_db(str_from_c(cfg->sso_clock), &t) == OR_OK)
		return t;
	return now;
}

fetch_policy
sso_fetch_policy(const config *cfg)
{
	fetch_policy p;

	memset(&p, 0, sizeof(p));
	p.allow_http = cfg->sso_fetch_allow_http != 0;
	p.allowlist = cfg->sso_fetch_allowlist;
	p.ca_file = cfg->sso_fetch_ca_file;
	p.connect_to = cfg->sso_fetch_connect_to;
	p.max_bytes = cfg->sso_fetch_max_bytes;
	p.timeout_ms = cfg->sso_fetch_timeout_ms;
	p.max_redirects = 3;
	return p;
}

/* Fetch url into *body; a failed fetch becomes a failed check named after what was fetched. */
static bool
fetch_into(const config *cfg, arena *a, sso_report *r, const char *what, const char *url, const char **body, size_t *len)
{
	fetch_policy p = sso_fetch_policy(cfg);
	fetch_result fr;
	char key[64];

	if (fetch_url(&p, a, url, &fr) != OR_OK || fr.err != FETCH_OK) {
		snprintf(key, sizeof(key), "fetch.%s", what);
		sso_report_add(r, a, arena_strdup(a, key), false, SSO_ERROR, "Could not fetch the %s (%s): %s",
			       what, fetch_error_code(fr.err), fr.message ? fr.message : "out of memory");
		return false;
	}
	*body = fr.body;
	*len = fr.len;
	return true;
}

static void
validate_saml(const config *cfg, arena *a, const sso_draft *d, int64_t now, sso_report *r)
{
	const char *xml = d->metadata_xml;
	size_t len = xml ? strlen(xml) : 0;

	if (xml == NULL && !fetch_into(cfg, a, r, "metadata", d->metadata_url, &xml, &len))
		return;
	/* A refused document already carries its failing check; only running out of memory needs one. */
	if (saml_metadata_check(a, xml, len, check_time(cfg, now), d->entity_choice, r) == OR_ERR_NOMEM)
		sso_report_add(r, a, "saml.internal", false, SSO_ERROR, "The metadata could not be checked.");
}

static void
discover_oidc(const config *cfg, arena *a, const sso_draft *d, int64_t now, sso_report *r, sso_idp *idp)
{
	const char *url = NULL, *issuer = NULL, *body, *jwks;
	oidc_claims claims = { d->claim_username, d->claim_email, d->claim_groups };
	size_t len, jlen;

	if (oidc_discovery_url(a, d->discovery_url, cfg->sso_fetch_allow_http != 0, &url, &issuer) != OR_OK) {
		sso_report_add(r, a, "oidc.discovery_url", false, SSO_ERROR,
			       "The discovery URL must be an https URL of your provider's issuer or its "
			       "/.well-known/openid-configuration document.");
		return;
	}
	if (!fetch_into(cfg, a, r, "discovery document", url, &body, &len))
		return;
	oidc_discovery_check(a, url, body, len, &claims, r);
	sso_config_resolve_oidc(a, body, len, idp, r);
	if (r->jwks_uri && fetch_into(cfg, a, r, "signing keys (jwks_uri)", r->jwks_uri, &jwks, &jlen))
		oidc_jwks_check(a, jwks, jlen, check_time(cfg, now), r);
}

/* The client id is checked after discovery (which starts the report afresh), whatever discovery found. */
static void
validate_oidc(const config *cfg, arena *a, const sso_draft *d, int64_t now, sso_report *r, sso_idp *idp)
{
	discover_oidc(cfg, a, d, now, r, idp);
	if (d->client_id && *d->client_id)
		sso_report_add(r, a, "oidc.client_id", true, SSO_ERROR, "The client ID is set.");
	else
		sso_report_add(r, a, "oidc.client_id", false, SSO_ERROR,
			       "Enter the client ID your IdP gave onramp's registration (it is not secret).");
}

int64_t
sso_validate_earliest_cert(const sso_report *r)
{
	int64_t t = 0;
	size_t i;

	for (i = 0; i < r->ncerts; i++)
		if (strcmp(r->certs[i].use ? r->certs[i].use : "", "encryption") != 0 && r->certs[i].not_after &&
		    (t == 0 || r->certs[i].not_after < t))
			t = r->certs[i].not_after;
	return t;
}

/* A stored JSON array of strings as an arena list; domains normalised as sign-in compares them. */
static const char **
list_of(arena *a, const char *text, bool domains, size_t *n)
{
	json_object *arr = text ? json_tokener_parse(text) : NULL;
	const char **out = NULL;
	size_t i, len;

	*n = 0;
	if (arr && json_object_is_type(arr, json_type_array) && (len = json_object_array_length(arr)) > 0 &&
	    len <= SSO_CONFIG_MAX_LIST && (out = arena_calloc(a, len, sizeof(*out))) != NULL)
		for (i = 0; i < len; i++) {
			const char *s = json_object_get_string(json_object_array_get_idx(arr, i));
			char norm[256];
			if (s && domains && sso_form_domain(s, norm, sizeof(norm)))
				s = norm;
			if (s && (out[*n] = arena_strdup(a, s)) != NULL)
				(*n)++;
		}
	json_object_put(arr);
	return out;
}

/* What the saml check resolved that sign-in needs: entity, SSO endpoint, the signing certificates. */
static void
saml_idp(arena *a, const sso_report *r, sso_idp *idp)
{
	size_t i;

	idp->saml_certs = arena_calloc(a, SSO_MAX_CERTS, sizeof(*idp->saml_certs));
	for (i = 0; idp->saml_certs && i < r->ncerts; i++)
		if (r->certs[i].der_b64 && (r->certs[i].use == NULL || r->certs[i].use[0] == '\0' ||
					    strcmp(r->certs[i].use, "signing") == 0))
			idp->saml_certs[idp->nsaml_certs++] = r->certs[i].der_b64;

	idp->saml_entity_id = r->entity_id;
	/* HTTP-Redirect when the IdP offers it (no page of ours in between), else its first (POST) endpoint. */
	for (i = 0; i < r->nendpoints; i++)
		if (r->endpoints[i].kind && strncmp(r->endpoints[i].kind, "sso:", 4) == 0 &&
		    (idp->saml_sso_url == NULL || strcmp(r->endpoints[i].kind, "sso:HTTP-Redirect") == 0) &&
		    (idp->saml_sso_binding == NULL || strcmp(idp->saml_sso_binding, "HTTP-Redirect") != 0)) {
			idp->saml_sso_url = r->endpoints[i].url;
			idp->saml_sso_binding = r->endpoints[i].kind + 4;
		}
}

/* The draft and what validation resolved, as one config (the validated version's). */
static void
resolved_config(arena *a, const sso_draft *d, const sso_report *r, sso_config *c)
{
	c->version = d->version;
	c->protocol = d->protocol;
	c->client_id = d->client_id;
	c->email_domains = list_of(a, d->email_domains, true, &c->ndomains);
	c->admin_groups = list_of(a, d->admin_groups, false, &c->nadmin);
	c->member_groups = list_of(a, d->member_groups, false, &c->nmember);
	c->test_users = list_of(a, d->test_users, false, &c->ntest);
	c->claims.username = d->claim_username;
	c->claims.email = d->claim_email;
	c->claims.groups = d->claim_groups;
	if (strcmp(d->protocol, "saml") == 0)
		saml_idp(a, r, &c->idp);
}

void
sso_validate_run(const config *cfg, arena *a, const sso_draft *d, int64_t now, sso_report *r, sso_config *resolved)
{
	memset(resolved, 0, sizeof(*resolved));
	sso_report_init(r, d->protocol);
	if (strcmp(d->protocol, "saml") == 0)
		validate_saml(cfg, a, d, now, r);
	else
		validate_oidc(cfg, a, d, now, r, &resolved->idp);
	resolved_config(a, d, r, resolved);
}
