/*
 * The SAML service provider's public pages (issue 14): the per-customer SP
 * metadata (GET /api/v1/sso/saml/{slug}/metadata), the HTTP-POST binding's
 * page that carries the AuthnRequest to an IdP that takes only POST (GET
 * /api/v1/sso/saml/{slug}/post?RelayState=...), and sso_saml_start_url,
 * which sso_flow_begin calls for a SAML request.  Every URL comes from
 * sso_sp_urls.  The POST page holds no inline script (the CSP allows none):
 * /js/saml-post.js submits the form, and its button does when scripts are off.
 * Its form leaves the site, which the CSP's form-action 'self' forbids: the
 * page names the IdP's origin to nginx, which adds it to form-action for
 * this answer only.
 */
#include <string.h>
#include <strings.h>

#include "onramp/saml_sp.h"
#include "handlers.h"
#include "sso_flow.h"

#define TITLE "Single sign-on did not start"
#define POST_TITLE "Continue to your identity provider"
#define PAGE_MAX (64u * 1024u)

/* The AuthnRequest of request rid (sent at `at`) for cfg's IdP. */
static const char *
authn_xml(arena *ar, const sso_config *cfg, const sso_sp *sp, const char *rid, int64_t at)
{
	saml_authn r = { rid, at, cfg->idp.saml_sso_url, sp->acs_url, sp->entity_id };

	return cfg->idp.saml_sso_url ? saml_authn_xml(ar, &r) : NULL;
}

or_status
sso_saml_start_url(arena *ar, const sso_config *cfg, const sso_sp *sp, const char *state, const char *request_id,
		   int64_t now, const char **url)
{
	const char *xml = authn_xml(ar, cfg, sp, request_id, now);
	bool redirect = cfg->idp.saml_sso_binding && strcmp(cfg->idp.saml_sso_binding, "HTTP-Redirect") == 0;
	size_t cap;
	char *u;

	*url = NULL;
	if (xml == NULL)
		return cfg->idp.saml_sso_url ? OR_ERR_NOMEM : OR_ERR_INVALID;
	if (redirect) {
		*url = saml_redirect_url(ar, cfg->idp.saml_sso_url, xml, state);
		return *url ? OR_OK : OR_ERR_NOMEM;
	}
	cap = strlen(sp->entity_id) + 3 * strlen(state) + 32;
	if ((u = arena_alloc(ar, cap)) == NULL)
		return OR_ERR_NOMEM;
	memcpy(u, sp->entity_id, strlen(sp->entity_id));
	memcpy(u + strlen(sp->entity_id), "/post", 6);
	*url = str_url_param(u, cap, strlen(u), "RelayState", state) == (size_t)-1 ? NULL : u;
	return *url ? OR_OK : OR_ERR_NOMEM;
}

const char *
sso_cookie_samesite(const app *a, const char *protocol)
{
	return strcmp(protocol, "saml") == 0 && saml_sp_secure_context(a->cfg->public_base_url) ? "None" : "Lax";
}

/* The {slug} of the path as a customer and its SP URLs; false with resp set (404 page for an unknown slug). */
static bool
read_customer(app *a, http_request *req, http_response *resp, customer *c, sso_sp *sp)
{
	const char *slug = arena_strview(req->arena, req->params[0]);
	or_status st = slug ? store_customer_by_slug(a->db, req->arena, slug, c) : OR_ERR_NOMEM;

	if (st == OR_OK)
		st = sso_sp_urls(a, req->arena, c->slug, sp);
	if (st == OR_ERR_NOT_FOUND || st == OR_ERR_INVALID) {
		http_html_page(req, resp, 404, TITLE, "This single sign-on address does not belong to any company here.",
			       "/", "Back to sign-in");
		resp->detail = "slug";
		return false;
	}
	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return false;
	}
	return true;
}

void
api_sso_saml_metadata(app *a, http_request *req, http_response *resp)
{
	const char *xml;
	customer c;
	sso_sp sp;

	if (!read_customer(a, req, resp, &c, &sp))
		return;
	if ((xml = saml_sp_metadata(req->arena, sp.entity_id, sp.acs_url)) == NULL) {
		app_fail(a, req, resp, OR_ERR_NOMEM, "metadata");
		return;
	}
	http_text(req, resp, 200, "application/samlmetadata+xml", xml, strlen(xml));
}

/* The pending SAML request this browser started with RelayState; false with the failure page set. */
static bool
pending_of_browser(app *a, http_request *req, http_response *resp, const customer *c, sso_pending *p)
{
	const char *state = input_query(req, "RelayState"), *browser = auth_cookie_value(req, SSO_PENDING_COOKIE);
	char sh[SECRET_HASH_HEX + 1], bh[SECRET_HASH_HEX + 1];
	or_status st = OR_ERR_NOT_FOUND;

	if (state && secret_token_shape_ok(state) && browser && secret_token_shape_ok(browser)) {
		secret_sha256_hex(state, strlen(state), sh);
		secret_sha256_hex(browser, strlen(browser), bh);
		st = store_sso_pending_peek(a->db, req->arena, c->id, sh, bh, api_now(req), p);
	}
	if (st == OR_OK && strcmp(p->protocol, "saml") == 0 && saml_request_id_ok(p->request_id))
		return true;
	if (st != OR_OK && st != OR_ERR_NOT_FOUND) {
		api_fail_db(a, req, resp, st);
		return false;
	}
	/* Unknown, used, expired, another browser's, or not SAML: one page, the log line says which step. */
	http_html_page(req, resp, 400, TITLE, "This sign-in link is not valid in this browser any more (it was used, "
			    "is older than 10 minutes, or was started elsewhere). Start the sign-in again.", "/",
		       "Back to sign-in");
	resp->detail = "saml.relay_state";
	return false;
}

void
api_sso_saml_post(app *a, http_request *req, http_response *resp)
{
	http_page_field f[2];
	http_form_page_in in;
	const char *xml, *value, *origin;
	sso_pending p;
	sso_config cfg;
	customer c;
	sso_sp sp;
	or_status st;

	if (!read_customer(a, req, resp, &c, &sp) || !pending_of_browser(a, req, resp, &c, &p))
		return;
	if ((st = sso_pending_config(a, req, &p, &cfg)) == OR_ERR_VERSION) {
		http_html_page(req, resp, 409, TITLE, "The single sign-on configuration changed after this sign-in "
				    "started. Start it again.", "/", "Back to sign-in");
		resp->detail = "saml.version";
		return;
	}
	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	/* The same AuthnRequest the start built: its ID and instant are the pending row's. */
	xml = authn_xml(req->arena, &cfg, &sp, p.request_id, p.created_at);
	if (xml == NULL || (value = saml_post_value(req->arena, xml)) == NULL) {
		app_fail(a, req, resp, OR_ERR_NOMEM, "authn_request");
		return;
	}
	/* nginx's CSP lets this page's form post to the IdP's origin only (deploy/nginx/security-headers.conf). */
	if ((origin = saml_url_origin(req->arena, cfg.idp.saml_sso_url)) == NULL ||
	    http_header_add(req, resp, "X-Onramp-Form-Action", origin) != OR_OK) {
		app_fail(a, req, resp, OR_ERR_INVALID, "form_action");
		return;
	}
	f[0] = (http_page_field){ "SAMLRequest", value };
	f[1] = (http_page_field){ "RelayState", input_query(req, "RelayState") };
	in = (http_form_page_in){ POST_TITLE, "Your browser is taking you to your identity provider to sign in.",
				  "saml-post", cfg.idp.saml_sso_url, f, 2, "Continue to your identity provider",
				  "/js/saml-post.js", PAGE_MAX };
	http_form_page(req, resp, &in);
}
