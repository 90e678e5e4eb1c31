/*
 * GET /api/v1/sso/sp: what the customer's IT admin enters at the IdP, and
 * sso_sp_urls(), the one builder of those URLs (include/onramp/sso_sp.h).
 */
#include <string.h>

#include "onramp/api.h"
#include "onramp/identity.h"
#include "onramp/sso_sp.h"
#include "handlers.h"

/* base + path, with at most one '/' between them whatever public_base_url ends with. */
static const char *
join(arena *ar, const char *base, size_t blen, const char *path, const char *slug, const char *tail)
{
	size_t plen = strlen(path), slen = strlen(slug), tlen = strlen(tail);
	char *s = arena_alloc(ar, blen + plen + slen + tlen + 1);

	if (s == NULL)
		return NULL;
	memcpy(s, base, blen);
	memcpy(s + blen, path, plen);
	memcpy(s + blen + plen, slug, slen);
	memcpy(s + blen + plen + slen, tail, tlen + 1);
	return s;
}

or_status
sso_sp_urls(app *a, arena *ar, const char *slug, sso_sp *out)
{
	const char *base = a->cfg->public_base_url;
	size_t blen = strlen(base);

	memset(out, 0, sizeof(*out));
	if (slug == NULL || !identity_slug_ok(slug))
		return OR_ERR_INVALID;
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	out->redirect_uri = join(ar, base, blen, "/api/v1/sso/oidc/callback/", slug, "");
	out->entity_id = join(ar, base, blen, "/api/v1/sso/saml/", slug, "");
	out->acs_url = join(ar, base, blen, "/api/v1/sso/saml/", slug, "/acs");
	out->metadata_url = join(ar, base, blen, "/api/v1/sso/saml/", slug, "/metadata");
	return out->redirect_uri && out->entity_id && out->acs_url && out->metadata_url ? OR_OK : OR_ERR_NOMEM;
}

void
api_sso_sp_get(app *a, http_request *req, http_response *resp)
{
	json_object *o, *oidc, *saml;
	customer c;
	sso_sp sp;
	or_status st = store_customer_get(a->db, req->arena, api_customer_id(req), &c);

	if (st == OR_OK)
		st = sso_sp_urls(a, req->arena, c.slug, &sp);
	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	o = json_object_new_object();
	oidc = json_object_new_object();
	saml = json_object_new_object();
	json_object_object_add(oidc, "redirect_uri", json_object_new_string(sp.redirect_uri));
	json_object_object_add(saml, "entity_id", json_object_new_string(sp.entity_id));
	json_object_object_add(saml, "acs_url", json_object_new_string(sp.acs_url));
	json_object_object_add(saml, "metadata_url", json_object_new_string(sp.metadata_url));
	json_object_object_add(o, "oidc", oidc);
	json_object_object_add(o, "saml", saml);
	http_json(resp, 200, o);
}
