/*
 * What a customer registers at its IdP: onramp's service-provider URLs for
 * that customer, built in one place (src/api/sso_sp.c) so the registration
 * page, the authorization request and the SAML metadata can never disagree.
 * The redirect URI carries the customer's slug: an IdP answer for one
 * customer can never complete a sign-in started for another (mix-up defence).
 */
#ifndef ONRAMP_SSO_SP_H
#define ONRAMP_SSO_SP_H

#include "onramp/app.h"
#include "onramp/arena.h"
#include "onramp/status.h"

/** The URLs of one customer (arena strings). */
typedef struct sso_sp {
	const char *redirect_uri;	/* {base}/api/v1/sso/oidc/callback/{slug} */
	const char *entity_id;		/* {base}/api/v1/sso/saml/{slug} */
	const char *acs_url;		/* {base}/api/v1/sso/saml/{slug}/acs */
	const char *metadata_url;	/* {base}/api/v1/sso/saml/{slug}/metadata */
} sso_sp;

/** Build the URLs for slug under the configured public_base_url (OR_ERR_INVALID for a bad slug). */
or_status sso_sp_urls(app *a, arena *ar, const char *slug, sso_sp *out);

#endif
