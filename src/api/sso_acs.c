/*
 * POST /api/v1/sso/saml/{slug}/acs: the SAML Assertion Consumer Service.
 * The IdP's page posts the form (SAMLResponse, RelayState) from the IdP's
 * site, so there is no CSRF token and the pending cookie arrives only as
 * SameSite=None; what binds the answer to a sign-in started here is the
 * RelayState (the pending request's state token, used once, 10 minutes),
 * the browser cookie, the InResponseTo of the signed assertion (the pending
 * request's AuthnRequest ID) and the signature by the approved metadata's
 * certificates.  No RelayState, or one that names no request of this
 * customer, is an unsolicited (IdP-initiated) answer, refused with a page
 * that says to start from onramp.  Then the response is verified and
 * checked (saml_response_read), the assertion remembered until it expires
 * (a replay is refused), and the answer ends exactly as the OIDC callback's
 * (sso_finish): a test result, or a session with login_type saml, or a page
 * that says why not and no session.
 */
#include <string.h>

#include "onramp/limits.h"
#include "onramp/saml_map.h"
#include "onramp/saml_response.h"
#include "onramp/sso_sp.h"
#include "handlers.h"
#include "sso_flow.h"

#define MSG_UNSOLICITED                                                                                              \
	"This sign-in was not started here. onramp accepts only sign-ins started from its own sign-in page: open "    \
	"onramp, enter your work email and continue to your identity provider from there."

/* The SAML side of the shared finishing (sso_finish.c). */
static const sso_answer_kind SAML = { "saml", "saml.relay_state", "saml.unsolicited", MSG_UNSOLICITED,
				      "saml.version" };

static const char *const acs_fields[] = { "SAMLResponse", "RelayState", NULL };

/* What the IdP's form carried, read once. */
typedef struct acs_post {
	customer c;
	const char *response;		/* SAMLResponse as posted (base64), NULL when absent */
	size_t response_len;
	const char *relay;		/* RelayState */
	size_t relay_len;
	const char *browser;		/* the pending cookie's token, NULL when absent */
} acs_post;

/* Read the post; false with the answer set (404 page for an unknown slug, 400 for a field it does not take). */
static bool
read_post(app *a, http_request *req, http_response *resp, acs_post *ap)
{
	if (!sso_finish_customer(a, req, resp, &ap->c) || !input_form_allowed(req, resp, acs_fields))
		return false;
	ap->response = http_form_value(req, "SAMLResponse", &ap->response_len);
	ap->relay = http_form_value(req, "RelayState", &ap->relay_len);
	ap->browser = sso_finish_browser(req);
	return true;
}

/* A RelayState of onramp's shape, else an unsolicited answer: audited, a page, false. */
static bool
relay_ok(app *a, http_request *req, http_response *resp, const acs_post *ap)
{
	if (ap->relay != NULL && ap->relay_len <= LIMIT_SAML_RELAY_STATE && secret_token_shape_ok(ap->relay))
		return true;
	sso_finish_audit_refusal(a, req, ap->c.id, SAML.login_type, SAML.unknown_key);
	sso_finish_page(req, resp, 400, MSG_UNSOLICITED, SAML.unknown_key);
	return false;
}

/*
 * Remember the accepted assertion (SHA-256 of issuer and ID) until it
 * expires plus the skew the time checks allow, so the same assertion can
 * never be accepted twice while it would still pass them.
 */
static bool
remember(app *a, http_request *req, int64_t customer_id, const saml_identity *sid, sso_report *r, int *status)
{
	size_t il = sid->issuer ? strlen(sid->issuer) : 0, al = sid->assertion_id ? strlen(sid->assertion_id) : 0;
	char *text = il && al ? arena_alloc(req->arena, il + al + 2) : NULL, hash[SECRET_HASH_HEX + 1];
	int64_t now = api_now(req), until = sid->expires_at > now ? sid->expires_at : now;
	or_status st = text ? OR_OK : OR_ERR_INTERNAL;

	if (text) {
		memcpy(text, sid->issuer, il);
		text[il] = '\n';
		memcpy(text + il + 1, sid->assertion_id, al + 1);
		secret_sha256_hex(text, il + al + 1, hash);
		st = store_sso_saml_seen_insert(a->db, customer_id, hash, until + SAML_CLOCK_SKEW_S, now);
	}
	if (st == OR_OK) {
		sso_report_add(r, req->arena, "saml.replay", true, SSO_INFO, "This assertion was not used before.");
		return true;
	}
	*status = st == OR_ERR_CONFLICT ? 403 : 503;
	if (st == OR_ERR_CONFLICT)
		sso_report_add(r, req->arena, "saml.replay", false, SSO_ERROR, "This assertion was already used to sign "
			       "in. Start the sign-in again.");
	else
		sso_report_add(r, req->arena, "saml.internal", false, SSO_ERROR, "Single sign-on is unavailable right now.");
	return false;
}

/* The expectations of this SP for the pending request p; false (r says why) when they cannot be built. */
static bool
expect(app *a, http_request *req, const sso_config *cfg, const acs_post *ap, const sso_pending *p, saml_expect *x,
       sso_report *r, int *status)
{
	sso_sp sp;

	if (strcmp(p->protocol, "saml") != 0 || p->request_id == NULL || strcmp(cfg->protocol, "saml") != 0) {
		*status = 400;
		sso_report_add(r, req->arena, "saml.protocol", false, SSO_ERROR, "This answer belongs to a sign-in that "
			       "was not started with SAML. Start the sign-in again.");
		return false;
	}
	/* The slug's customer is the pending request's: sso_finish_consume matched both. */
	if (sso_sp_urls(a, req->arena, ap->c.slug, &sp) != OR_OK) {
		*status = 503;
		sso_report_add(r, req->arena, "saml.internal", false, SSO_ERROR, "Single sign-on is unavailable right now.");
		return false;
	}
	*x = (saml_expect){ cfg->idp.saml_entity_id, cfg->idp.saml_certs, cfg->idp.nsaml_certs, sp.entity_id,
			    sp.acs_url, p->request_id, api_now(req) };
	return true;
}

/* Verify and check the response, remember it, map its identity; false when a check failed (r says which). */
static bool
complete(app *a, http_request *req, const sso_config *cfg, const acs_post *ap, const sso_pending *p, sso_report *r,
	 oidc_identity *id, int *status)
{
	saml_identity sid;
	saml_expect x;

	*status = 403;
	sso_report_add(r, req->arena, "saml.relay_state", true, SSO_INFO, "The answer came back once, within 10 "
		       "minutes, to the browser that started the sign-in.");
	if (!expect(a, req, cfg, ap, p, &x, r, status))
		return false;
	if (ap->response == NULL || ap->response_len == 0) {
		*status = 400;
		sso_report_add(r, req->arena, "saml.response", false, SSO_ERROR, "The IdP's answer carried no "
			       "SAMLResponse.");
		return false;
	}
	memset(&sid, 0, sizeof(sid));
	if (!saml_response_read(req->arena, ap->response, ap->response_len, &x, r, &sid))
		return false;
	return remember(a, req, cfg->customer_id, &sid, r, status) &&
	       saml_map_identity(req->arena, &sid, &cfg->claims, r, id);
}

void
api_sso_saml_acs(app *a, http_request *req, http_response *resp)
{
	sso_report *r = arena_calloc(req->arena, 1, sizeof(*r));
	oidc_identity id;
	sso_finish_in fin;
	sso_pending p;
	sso_config cfg;
	acs_post ap;
	int status = 403;
	bool ok = false;

	memset(&ap, 0, sizeof(ap));
	if (r == NULL) {
		app_fail(a, req, resp, OR_ERR_NOMEM, "report");
		return;
	}
	if (!read_post(a, req, resp, &ap) || !relay_ok(a, req, resp, &ap) ||
	    !sso_finish_consume(a, req, resp, &SAML, ap.c.id, ap.relay, ap.browser, &p))
		goto out;
	sso_report_init(r, "saml");
	memset(&fin, 0, sizeof(fin));
	if ((fin.config_st = sso_pending_config(a, req, &p, &cfg)) == OR_OK)
		ok = complete(a, req, &cfg, &ap, &p, r, &id, &status);
	fin.cfg = &cfg;
	fin.p = &p;
	fin.r = r;
	fin.id = ok ? &id : NULL;
	fin.status = status;
	fin.invite_tok = auth_cookie_value(req, SSO_INVITE_COOKIE);
	sso_finish(a, req, resp, &SAML, &fin);
out:
	/* Either way the request is over: its cookies go. */
	sso_finish_cookies_clear(a, req, resp);
}
