/*
 * SAML 2.0 metadata validation, part two: the checks on the identity
 * provider entity saml_meta.c chose: entityID, validUntil, the
 * SingleSignOnService endpoints (HTTP-Redirect or HTTP-POST over https),
 * the signing certificates of the IDPSSODescriptor's KeyDescriptors (use
 * "signing" or none; RoleDescriptor keys of WS-Federation are not SAML
 * signing keys) read by x509info, and the NameID formats.  Each rule adds
 * either one passing check or one failing check per offending value, so a
 * customer sees every problem at once and each message names the value.
 * The namespace-aware element and attribute lookups both files use live here.
 */
#include <inttypes.h>
#include <string.h>

#include "onramp/limits.h"
#include "onramp/timefmt.h"
#include "onramp/x509info.h"
#include "saml_internal.h"

#define BINDING_REDIRECT "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
#define BINDING_POST "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"

static bool
is_xml_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* ---- namespace-aware lookups (shared with saml_meta.c) ------------------------ */

bool
saml_is(const xmlNode *n, const char *ns, const char *local)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL && n->ns->href != NULL &&
	       strcmp((const char *)n->ns->href, ns) == 0 && strcmp((const char *)n->name, local) == 0;
}

xmlNode *
saml_next(const xmlNode *parent, const xmlNode *after, const char *ns, const char *local)
{
	xmlNode *c = after != NULL ? after->next : parent->children;

	for (; c != NULL; c = c->next)
		if (saml_is(c, ns, local))
			return c;
	return NULL;
}

const char *
saml_attr_value(saml_run *run, const xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	const char *s;

	if (v == NULL)
		return NULL;
	s = arena_strdup(run->a, (const char *)v);
	xmlFree(v);
	if (s == NULL)
		run->nomem = true;
	return s;
}

const char *
saml_text(saml_run *run, const xmlNode *n)
{
	xmlChar *v = xmlNodeGetContent(n);
	const char *p = v != NULL ? (const char *)v : "", *s;
	size_t len = strlen(p);

	while (len > 0 && is_xml_space(*p))
		p++, len--;
	while (len > 0 && is_xml_space(p[len - 1]))
		len--;
	s = arena_strndup(run->a, p, len);
	xmlFree(v);
	if (s == NULL)
		run->nomem = true;
	return s;
}

/* ---- dates ---------------------------------------------------------------------- */

static bool
num(const char **p, int width, unsigned *v)
{
	int i;

	*v = 0;
	for (i = 0; i < width; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return false;
		*v = *v * 10 + (unsigned)((*p)[i] - '0');
	}
	*p += width;
	return true;
}

static bool
lit(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

/* The optional "Z" or "+hh:mm" / "-hh:mm" of an xs:dateTime, as seconds east of UTC. */
static bool
zone(const char *p, int64_t *off)
{
	unsigned h, m;
	char sign = *p;

	*off = 0;
	if (*p == '\0' || (p[0] == 'Z' && p[1] == '\0'))
		return true;
	if (sign != '+' && sign != '-')
		return false;
	p++;
	if (!num(&p, 2, &h) || !lit(&p, ':') || !num(&p, 2, &m) || *p != '\0' || h > 14 || m > 59)
		return false;
	*off = (int64_t)(h * 3600 + m * 60) * (sign == '-' ? -1 : 1);
	return true;
}

bool
saml_parse_datetime(const char *s, int64_t *out)
{
	const char *p = s;
	unsigned y, mo, d, h, mi, se;
	int64_t off;

	if (s == NULL || !num(&p, 4, &y) || !lit(&p, '-') || !num(&p, 2, &mo) || !lit(&p, '-') ||
	    !num(&p, 2, &d) || !lit(&p, 'T') || !num(&p, 2, &h) || !lit(&p, ':') || !num(&p, 2, &mi) ||
	    !lit(&p, ':') || !num(&p, 2, &se))
		return false;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 24 || mi > 59 || se > 60 || !zone(p, &off))
		return false;
	*out = timefmt_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
	return true;
}

void
saml_check_valid_until(saml_run *run, const xmlNode *n, const char *what, int *seen)
{
	const char *v = saml_attr_value(run, n, "validUntil");
	int64_t t;
	char when[TIMEFMT_RFC3339_LEN];

	if (v == NULL)
		return;
	(*seen)++;
	if (!saml_parse_datetime(v, &t))
		sso_report_add(run->r, run->a, "saml.valid_until", false, SSO_ERROR,
			       "validUntil=\"%s\" on the %s is not a valid date and time.", v, what);
	else if (t <= run->now) {
		timefmt_rfc3339(run->now, when);
		sso_report_add(run->r, run->a, "saml.valid_until", false, SSO_ERROR,
			       "The metadata is out of date: validUntil=\"%s\" on the %s is in the past (now %s); "
			       "download a current copy from the identity provider.", v, what, when);
	}
}

/* ---- entityID and endpoints ---------------------------------------------------- */

static void
check_entity_id(saml_run *run, const xmlNode *entity)
{
	const char *id = saml_attr_value(run, entity, "entityID");

	run->r->entity_id = id;
	if (id == NULL || id[0] == '\0')
		sso_report_add(run->r, run->a, "saml.entity_id", false, SSO_ERROR,
			       "The identity provider's EntityDescriptor has no entityID.");
	else
		sso_report_add(run->r, run->a, "saml.entity_id", true, SSO_ERROR, "Entity ID: %s", id);
}

/* https://host... with a non-empty host and no whitespace. */
static bool
is_https_url(const char *u)
{
	static const char scheme[] = "https://";
	size_t i;

	if (u == NULL)
		return false;
	for (i = 0; i < sizeof(scheme) - 1; i++)
		if (u[i] == '\0' || (u[i] | 0x20) != scheme[i])
			return false;
	if (u[i] == '\0' || u[i] == '/' || u[i] == '?' || u[i] == '#' || u[i] == ':' || u[i] == '@')
		return false;
	for (; u[i] != '\0'; i++)
		if (u[i] == ' ' || u[i] == '\t' || u[i] == '\r' || u[i] == '\n')
			return false;
	return true;
}

/* One SingleSignOnService; true when its binding is Redirect or POST. */
static bool
check_sso_service(saml_run *run, const xmlNode *svc, size_t *bad)
{
	const char *binding = saml_attr_value(run, svc, "Binding");
	const char *loc = saml_attr_value(run, svc, "Location");
	const char *kind, *summary;
	sso_report *r = run->r;

	if (binding != NULL && strcmp(binding, BINDING_REDIRECT) == 0)
		kind = "HTTP-Redirect", summary = "sso:HTTP-Redirect";
	else if (binding != NULL && strcmp(binding, BINDING_POST) == 0)
		kind = "HTTP-POST", summary = "sso:HTTP-POST";
	else
		return false;
	if (loc != NULL && r->nendpoints < SSO_MAX_ENDPOINTS) {
		r->endpoints[r->nendpoints].kind = summary;
		r->endpoints[r->nendpoints++].url = loc;
	}
	if (is_https_url(loc))
		return true;
	(*bad)++;
	if (loc == NULL)
		sso_report_add(r, run->a, "saml.sso_location_https", false, SSO_ERROR,
			       "The single sign-on endpoint with the %s binding has no Location.", kind);
	else
		sso_report_add(r, run->a, "saml.sso_location_https", false, SSO_ERROR,
			       "The single sign-on endpoint \"%s\" (%s binding) is not an https URL; the identity "
			       "provider must publish an https Location.", loc, kind);
	return true;
}

static void
check_sso(saml_run *run, const xmlNode *idp)
{
	const xmlNode *svc = NULL;
	size_t usable = 0, all = 0, bad = 0;

	while ((svc = saml_next(idp, svc, SAML_MD_NS, "SingleSignOnService")) != NULL) {
		all++;
		if (check_sso_service(run, svc, &bad))
			usable++;
	}
	if (usable == 0) {
		sso_report_add(run->r, run->a, "saml.sso_service", false, SSO_ERROR,
			       "The identity provider lists no SingleSignOnService with the HTTP-Redirect or "
			       "HTTP-POST binding (%zu with other bindings); onramp needs one of these two.", all);
		return;
	}
	sso_report_add(run->r, run->a, "saml.sso_service", true, SSO_ERROR,
		       "Single sign-on: %zu endpoint(s) with the HTTP-Redirect or HTTP-POST binding.", usable);
	if (bad == 0)
		sso_report_add(run->r, run->a, "saml.sso_location_https", true, SSO_ERROR,
			       "Every single sign-on endpoint uses https.");
}

/* ---- signing certificates -------------------------------------------------------- */

static sso_cert *
find_cert(sso_report *r, const char *sha256)
{
	size_t i;

	for (i = 0; i < r->ncerts; i++)
		if (strcmp(r->certs[i].sha256, sha256) == 0)
			return &r->certs[i];
	return NULL;
}

/* Read one <ds:X509Certificate>; duplicates (same fingerprint) are kept once. */
static void
add_cert(saml_run *run, const xmlNode *xc, const char *use, size_t *unread, size_t *overflow)
{
	const char *b64 = saml_text(run, xc);
	sso_cert c;
	or_status st;

	if (b64 == NULL)
		return;
	st = x509info_from_base64(run->a, b64, strlen(b64), &c);
	if (st == OR_ERR_NOMEM)
		run->nomem = true;
	if (st != OR_OK) {
		(*unread)++;
		return;
	}
	c.use = use;
	if (find_cert(run->r, c.sha256) != NULL)
		return;
	if (run->r->ncerts >= SSO_MAX_CERTS) {
		(*overflow)++;
		return;
	}
	run->r->certs[run->r->ncerts++] = c;
}

static void
collect_key(saml_run *run, const xmlNode *kd, const char *use, size_t *unread, size_t *overflow)
{
	const xmlNode *ki = saml_next(kd, NULL, SAML_DS_NS, "KeyInfo");
	const xmlNode *xd = NULL, *xc;

	if (ki == NULL)
		return;
	while ((xd = saml_next(ki, xd, SAML_DS_NS, "X509Data")) != NULL)
		for (xc = saml_next(xd, NULL, SAML_DS_NS, "X509Certificate"); xc != NULL;
		     xc = saml_next(xd, xc, SAML_DS_NS, "X509Certificate"))
			add_cert(run, xc, use, unread, overflow);
}

static void
collect_keys(saml_run *run, const xmlNode *idp)
{
	const xmlNode *kd = NULL;
	const char *use;
	size_t unread = 0, overflow = 0;

	while ((kd = saml_next(idp, kd, SAML_MD_NS, "KeyDescriptor")) != NULL) {
		use = saml_attr_value(run, kd, "use");
		if (use == NULL || strcmp(use, "signing") == 0)
			collect_key(run, kd, use != NULL ? "signing" : "", &unread, &overflow);
	}
	if (unread > 0)
		sso_report_add(run->r, run->a, "saml.cert_parse", false, SSO_ERROR,
			       "%zu signing certificate(s) could not be read (not base64 DER X.509).", unread);
	if (overflow > 0)
		sso_report_add(run->r, run->a, "saml.cert_count", false, SSO_WARNING,
			       "Only the first %d signing certificates were checked; %zu more were ignored.",
			       SSO_MAX_CERTS, overflow);
}

static bool
key_too_small(const sso_cert *c)
{
	if (strcmp(c->key_type, "RSA") == 0 || strcmp(c->key_type, "RSA-PSS") == 0 ||
	    strcmp(c->key_type, "DSA") == 0)
		return c->key_bits < LIMIT_MIN_RSA_BITS;
	if (strcmp(c->key_type, "EC") == 0)
		return c->key_bits < LIMIT_MIN_EC_BITS;
	return c->key_bits <= 0 && strcmp(c->key_type, "Ed25519") != 0 && strcmp(c->key_type, "Ed448") != 0;
}

/* Expiry, key size and digest of one certificate; counts the failures. */
static void
judge_cert(saml_run *run, const sso_cert *c, size_t *expired, size_t *small)
{
	char when[TIMEFMT_RFC3339_LEN];
	int64_t left = c->not_after - run->now;

	timefmt_rfc3339(c->not_after, when);
	if (left <= 0) {
		(*expired)++;
		sso_report_add(run->r, run->a, "saml.cert_expired", false, SSO_ERROR,
			       "The signing certificate \"%s\" (SHA-256 %.23s...) expired on %s; the identity "
			       "provider must publish a current certificate.", c->subject, c->sha256, when);
	} else if (left < LIMIT_CERT_EXPIRY_WARN_SECS) {
		sso_report_add(run->r, run->a, "saml.cert_expiring", false, SSO_WARNING,
			       "The signing certificate \"%s\" (SHA-256 %.23s...) expires on %s, in %" PRId64
			       " day(s); plan the certificate rollover now.", c->subject, c->sha256, when,
			       (left + 86399) / 86400);
	}
	if (c->not_before > run->now) {
		timefmt_rfc3339(c->not_before, when);
		sso_report_add(run->r, run->a, "saml.cert_not_yet_valid", false, SSO_WARNING,
			       "The signing certificate \"%s\" is valid only from %s.", c->subject, when);
	}
	if (key_too_small(c)) {
		(*small)++;
		sso_report_add(run->r, run->a, "saml.key_size", false, SSO_ERROR,
			       "The signing certificate \"%s\" has a %d-bit %s key; at least %d bits are required "
			       "(%d for elliptic curves).", c->subject, c->key_bits, c->key_type, LIMIT_MIN_RSA_BITS,
			       LIMIT_MIN_EC_BITS);
	}
	if (x509info_weak_digest(c->sig_alg))
		sso_report_add(run->r, run->a, "saml.cert_sig_alg", false, SSO_WARNING,
			       "The signing certificate \"%s\" is signed with %s, a weak digest (SHA-1 or MD5).",
			       c->subject, c->sig_alg);
}

static void
check_keys(saml_run *run, const xmlNode *idp)
{
	size_t i, expired = 0, small = 0;
	sso_report *r = run->r;

	collect_keys(run, idp);
	if (r->ncerts == 0) {
		sso_report_add(r, run->a, "saml.signing_cert", false, SSO_ERROR,
			       "The identity provider publishes no signing certificate (a KeyDescriptor with "
			       "use=\"signing\" or without use, holding a ds:X509Certificate).");
		return;
	}
	sso_report_add(r, run->a, "saml.signing_cert", true, SSO_ERROR, "%zu signing certificate(s) found.",
		       r->ncerts);
	for (i = 0; i < r->ncerts; i++)
		judge_cert(run, &r->certs[i], &expired, &small);
	if (expired == 0)
		sso_report_add(r, run->a, "saml.cert_expired", true, SSO_ERROR,
			       "No signing certificate has expired.");
	if (small == 0)
		sso_report_add(r, run->a, "saml.key_size", true, SSO_ERROR,
			       "Every signing key is large enough.");
}

/* ---- NameID formats and the whole entity ------------------------------------------ */

static void
list_nameids(saml_run *run, const xmlNode *idp)
{
	const xmlNode *n = NULL;
	const char *f;
	sso_report *r = run->r;
	size_t max = sizeof(r->nameid_formats) / sizeof(r->nameid_formats[0]);

	while ((n = saml_next(idp, n, SAML_MD_NS, "NameIDFormat")) != NULL && r->nnameid < max) {
		f = saml_text(run, n);
		if (f != NULL && f[0] != '\0')
			r->nameid_formats[r->nnameid++] = f;
	}
	if (r->nnameid == 0)
		sso_report_add(r, run->a, "saml.nameid_formats", true, SSO_INFO,
			       "The identity provider lists no NameIDFormat; it will choose the format.");
	else
		sso_report_add(r, run->a, "saml.nameid_formats", true, SSO_INFO,
			       "NameID formats offered: %s%s%s%s", r->nameid_formats[0], r->nnameid > 1 ? ", " : "",
			       r->nnameid > 1 ? r->nameid_formats[1] : "", r->nnameid > 2 ? ", ..." : "");
}

void
saml_check_entity(saml_run *run, const xmlNode *entity, const xmlNode *idp)
{
	check_entity_id(run, entity);
	check_sso(run, idp);
	check_keys(run, idp);
	list_nameids(run, idp);
}
