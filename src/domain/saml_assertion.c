/*
 * The content checks of a SAML response whose signature verified
 * (saml_response.c), and the identity read from its one Assertion.  Every
 * time check allows SAML_CLOCK_SKEW_S either way.  Text is read only when
 * the element holds nothing but one text node (saml_whole_text), so a
 * comment splitting "admin@example.test<!---->.evil.test" refuses the
 * response instead of being read as either half.
 *
 * Destination: required and equal to the ACS URL when the Response is
 * signed; when only the Assertion is signed, the unsigned Destination is
 * checked if present and may be absent, since the signed bearer Recipient
 * already binds the assertion to this ACS.
 */
#include <string.h>

#include "saml_resp_internal.h"

#define BEARER "urn:oasis:names:tc:SAML:2.0:cm:bearer"
#define ENTITY_FORMAT "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"

/* The one child {ns}local of parent: NULL with *two set when there are more. */
static xmlNode *
only(const xmlNode *parent, const char *ns, const char *local, bool *two)
{
	xmlNode *n = saml_next(parent, NULL, ns, local);

	*two = n != NULL && saml_next(parent, n, ns, local) != NULL;
	return *two ? NULL : n;
}

/* The time attribute name of n: absent is fine (*t unchanged), unreadable is not. */
static bool
time_attr(saml_resp *s, const xmlNode *n, const char *name, bool *present, int64_t *t)
{
	const char *v = saml_attr_value(&s->run, n, name);

	*present = v != NULL;
	return v == NULL || saml_parse_datetime(v, t);
}

static bool
check_issuer(saml_resp *s, const xmlNode *parent, bool required, const char *what)
{
	bool two;
	const xmlNode *iss = only(parent, SAML_ASSERT_NS, "Issuer", &two);
	const char *v, *fmt;

	if (iss == NULL)
		return two || required ? saml_resp_fail(s, "saml.issuer", "The %s has %s Issuer.", what,
							two ? "more than one" : "no") : true;
	fmt = saml_attr_value(&s->run, iss, "Format");
	if (!saml_whole_text(s, iss, &v) || (fmt != NULL && strcmp(fmt, ENTITY_FORMAT) != 0))
		return saml_resp_fail(s, "saml.issuer", "The %s's Issuer is not a plain entity ID.", what);
	if (strcmp(v, s->x->idp_entity_id) != 0)
		return saml_resp_fail(s, "saml.issuer", "The %s's Issuer is \"%.200s\", not the identity provider's "
				      "entity ID \"%.200s\".", what, v, s->x->idp_entity_id);
	return true;
}

static bool
check_destination(saml_resp *s)
{
	const char *d = saml_attr_value(&s->run, s->resp, "Destination");

	if (d == NULL && s->resp_sig != NULL)
		return saml_resp_fail(s, "saml.destination", "The signed Response has no Destination.");
	if (d != NULL && strcmp(d, s->x->acs_url) != 0)
		return saml_resp_fail(s, "saml.destination", "The Response's Destination is \"%.200s\", not this "
				      "service provider's ACS URL \"%.200s\".", d, s->x->acs_url);
	return saml_resp_pass(s, "saml.destination", d != NULL ? "The Response is addressed to this ACS." :
			      "The Response names no Destination; the signed Recipient binds it to this ACS.");
}

/* InResponseTo of the bearer data and, when present, of the Response: the request this browser sent. */
static bool
check_in_response_to(saml_resp *s, const xmlNode *data)
{
	const char *mine = saml_attr_value(&s->run, data, "InResponseTo");
	const char *resp = saml_attr_value(&s->run, s->resp, "InResponseTo");

	if (mine == NULL || s->x->request_id == NULL)
		return saml_resp_fail(s, "saml.unsolicited", "The response answers no sign-in started here "
				      "(IdP-initiated sign-in is not accepted): start the sign-in from the console.");
	if (strcmp(mine, s->x->request_id) != 0 || (resp != NULL && strcmp(resp, s->x->request_id) != 0))
		return saml_resp_fail(s, "saml.in_response_to", "The response answers another sign-in request than "
				      "the one this browser started.");
	return saml_resp_pass(s, "saml.in_response_to", "The response answers this browser's sign-in request.");
}

/* The bearer SubjectConfirmationData: one bearer confirmation, with exactly one data element. */
static const xmlNode *
bearer_data(saml_resp *s, const xmlNode *subject)
{
	const xmlNode *c, *found = NULL, *data;
	const char *m;
	bool two;

	for (c = saml_next(subject, NULL, SAML_ASSERT_NS, "SubjectConfirmation"); c != NULL;
	     c = saml_next(subject, c, SAML_ASSERT_NS, "SubjectConfirmation")) {
		m = saml_attr_value(&s->run, c, "Method");
		if (m == NULL || strcmp(m, BEARER) != 0)
			continue;
		if (found != NULL)
			return saml_resp_fail(s, "saml.bearer", "The Subject has more than one bearer confirmation."), NULL;
		found = c;
	}
	if (found == NULL)
		return saml_resp_fail(s, "saml.bearer", "The Subject has no bearer SubjectConfirmation."), NULL;
	if ((data = only(found, SAML_ASSERT_NS, "SubjectConfirmationData", &two)) == NULL)
		saml_resp_fail(s, "saml.bearer", "The bearer confirmation has no (or more than one) data element.");
	return data;
}

static bool
check_bearer(saml_resp *s, const xmlNode *subject, saml_identity *id)
{
	const xmlNode *data = bearer_data(s, subject);
	const char *rcp;
	int64_t nooa = 0, nb = 0;
	bool has_nooa, has_nb;

	if (data == NULL)
		return false;
	rcp = saml_attr_value(&s->run, data, "Recipient");
	if (rcp == NULL || strcmp(rcp, s->x->acs_url) != 0)
		return saml_resp_fail(s, "saml.recipient", "The bearer Recipient is \"%.200s\", not this service "
				      "provider's ACS URL \"%.200s\".", rcp != NULL ? rcp : "", s->x->acs_url);
	saml_resp_pass(s, "saml.recipient", "The assertion is for this ACS.");
	if (!time_attr(s, data, "NotOnOrAfter", &has_nooa, &nooa) || !time_attr(s, data, "NotBefore", &has_nb, &nb) ||
	    !has_nooa)
		return saml_resp_fail(s, "saml.bearer", "The bearer confirmation has no readable NotOnOrAfter.");
	if (s->x->now >= nooa + SAML_CLOCK_SKEW_S)
		return saml_resp_fail(s, "saml.bearer", "The bearer confirmation expired at %.40s.",
				      saml_attr_value(&s->run, data, "NotOnOrAfter"));
	if (has_nb && s->x->now + SAML_CLOCK_SKEW_S < nb)
		return saml_resp_fail(s, "saml.bearer", "The bearer confirmation is not valid before %.40s.",
				      saml_attr_value(&s->run, data, "NotBefore"));
	id->expires_at = nooa;
	saml_resp_pass(s, "saml.bearer", "The bearer confirmation is current.");
	return check_in_response_to(s, data);
}

static bool
check_audience(saml_resp *s, const xmlNode *cond)
{
	const xmlNode *ar, *au;
	const char *v;
	bool any = false, found;

	for (ar = saml_next(cond, NULL, SAML_ASSERT_NS, "AudienceRestriction"); ar != NULL;
	     ar = saml_next(cond, ar, SAML_ASSERT_NS, "AudienceRestriction")) {
		any = true;
		found = false;
		for (au = saml_next(ar, NULL, SAML_ASSERT_NS, "Audience"); au != NULL && !found;
		     au = saml_next(ar, au, SAML_ASSERT_NS, "Audience"))
			found = saml_whole_text(s, au, &v) && strcmp(v, s->x->sp_entity_id) == 0;
		if (!found)
			return saml_resp_fail(s, "saml.audience", "An AudienceRestriction does not name this service "
					      "provider (\"%.200s\").", s->x->sp_entity_id);
	}
	if (!any)
		return saml_resp_fail(s, "saml.audience", "The assertion has no AudienceRestriction: it must name this "
				      "service provider (\"%.200s\").", s->x->sp_entity_id);
	return saml_resp_pass(s, "saml.audience", "The assertion is meant for this service provider.");
}

static bool
check_conditions(saml_resp *s, saml_identity *id)
{
	static const char *const known[] = { "AudienceRestriction", "OneTimeUse", "ProxyRestriction", NULL };
	bool two, has_nb, has_nooa;
	const xmlNode *cond = only(s->assertion, SAML_ASSERT_NS, "Conditions", &two), *c;
	int64_t nb = 0, nooa = 0;
	size_t i;

	if (cond == NULL)
		return saml_resp_fail(s, "saml.conditions", "The assertion has no (or more than one) Conditions.");
	if (!time_attr(s, cond, "NotBefore", &has_nb, &nb) || !time_attr(s, cond, "NotOnOrAfter", &has_nooa, &nooa))
		return saml_resp_fail(s, "saml.conditions", "The Conditions hold a time that cannot be read.");
	if (has_nb && s->x->now + SAML_CLOCK_SKEW_S < nb)
		return saml_resp_fail(s, "saml.conditions", "The assertion is not valid before %.40s (check the "
				      "clocks).", saml_attr_value(&s->run, cond, "NotBefore"));
	if (has_nooa && s->x->now >= nooa + SAML_CLOCK_SKEW_S)
		return saml_resp_fail(s, "saml.conditions", "The assertion expired at %.40s.",
				      saml_attr_value(&s->run, cond, "NotOnOrAfter"));
	for (c = cond->children; c != NULL; c = c->next) {
		for (i = 0; c->type == XML_ELEMENT_NODE && known[i] != NULL; i++)
			if (saml_is(c, SAML_ASSERT_NS, known[i]))
				break;
		if (c->type == XML_ELEMENT_NODE && known[i] == NULL)
			return saml_resp_fail(s, "saml.conditions", "The Conditions hold a condition this service "
					      "provider does not understand (%.60s).", (const char *)c->name);
	}
	if (has_nooa && nooa < id->expires_at)
		id->expires_at = nooa;
	saml_resp_pass(s, "saml.conditions", "The assertion is within its validity period.");
	return check_audience(s, cond);
}

static bool
read_name_id(saml_resp *s, const xmlNode *subject, saml_identity *id)
{
	bool two;
	const xmlNode *n = only(subject, SAML_ASSERT_NS, "NameID", &two);

	if (n == NULL)
		return saml_resp_fail(s, "saml.name_id", "The Subject has no (or more than one) NameID.");
	if (!saml_whole_text(s, n, &id->name_id))
		return saml_resp_fail(s, "saml.name_id", "The NameID holds markup (a comment, processing instruction "
				      "or element), so it is not read.");
	if (id->name_id[0] == '\0')
		return saml_resp_fail(s, "saml.name_id", "The NameID is empty.");
	id->name_id_format = saml_attr_value(&s->run, n, "Format");
	return saml_resp_pass(s, "saml.name_id", "The NameID is plain text.");
}

/* ---- attributes ----------------------------------------------------------------- */

static size_t
count_named(const xmlNode *parent, const char *ns, const char *local)
{
	const xmlNode *n;
	size_t k = 0;

	for (n = saml_next(parent, NULL, ns, local); n != NULL; n = saml_next(parent, n, ns, local))
		k++;
	return k;
}

static bool
read_attribute(saml_resp *s, const xmlNode *at, saml_attr *out)
{
	const xmlNode *v;
	size_t k = 0;

	out->name = saml_attr_value(&s->run, at, "Name");
	out->nvalues = count_named(at, SAML_ASSERT_NS, "AttributeValue");
	out->values = arena_calloc(s->run.a, out->nvalues + 1, sizeof(*out->values));
	if (out->name == NULL || out->values == NULL)
		return saml_resp_fail(s, "saml.attribute", "An Attribute has no Name.");
	for (v = saml_next(at, NULL, SAML_ASSERT_NS, "AttributeValue"); v != NULL;
	     v = saml_next(at, v, SAML_ASSERT_NS, "AttributeValue"))
		if (!saml_whole_text(s, v, &out->values[k++]))
			return saml_resp_fail(s, "saml.attribute", "A value of the attribute \"%.100s\" holds markup "
					      "(a comment, processing instruction or element), so it is not read.",
					      out->name);
	return true;
}

static bool
read_attributes(saml_resp *s, saml_identity *id)
{
	const xmlNode *st, *at;
	size_t n = 0, i;

	for (st = saml_next(s->assertion, NULL, SAML_ASSERT_NS, "AttributeStatement"); st != NULL;
	     st = saml_next(s->assertion, st, SAML_ASSERT_NS, "AttributeStatement"))
		n += count_named(st, SAML_ASSERT_NS, "Attribute");
	if ((id->attrs = arena_calloc(s->run.a, n + 1, sizeof(*id->attrs))) == NULL)
		return saml_resp_fail(s, "saml.internal", "Out of memory reading the attributes.");
	for (st = saml_next(s->assertion, NULL, SAML_ASSERT_NS, "AttributeStatement"); st != NULL;
	     st = saml_next(s->assertion, st, SAML_ASSERT_NS, "AttributeStatement"))
		for (at = saml_next(st, NULL, SAML_ASSERT_NS, "Attribute"); at != NULL;
		     at = saml_next(st, at, SAML_ASSERT_NS, "Attribute")) {
			if (!read_attribute(s, at, &id->attrs[id->nattrs]))
				return false;
			for (i = 0; i < id->nattrs; i++)
				if (strcmp(id->attrs[i].name, id->attrs[id->nattrs].name) == 0)
					return saml_resp_fail(s, "saml.attribute", "The attribute \"%.100s\" appears "
							      "twice.", id->attrs[i].name);
			id->nattrs++;
		}
	return saml_resp_pass(s, "saml.attribute", "The attributes are plain text.");
}

bool
saml_assertion_check(saml_resp *s, saml_identity *id)
{
	bool two;
	const xmlNode *subject, *authn;

	if (!check_issuer(s, s->resp, false, "Response") || !check_issuer(s, s->assertion, true, "Assertion"))
		return false;
	saml_resp_pass(s, "saml.issuer", "The issuer is the identity provider of the approved configuration.");
	if (!check_destination(s))
		return false;
	if ((subject = only(s->assertion, SAML_ASSERT_NS, "Subject", &two)) == NULL)
		return saml_resp_fail(s, "saml.name_id", "The assertion has no (or more than one) Subject.");
	if (!check_bearer(s, subject, id) || !check_conditions(s, id) || !read_name_id(s, subject, id) ||
	    !read_attributes(s, id))
		return false;
	id->issuer = s->x->idp_entity_id;
	id->assertion_id = saml_attr_value(&s->run, s->assertion, "ID");
	authn = saml_next(s->assertion, NULL, SAML_ASSERT_NS, "AuthnStatement");
	id->session_index = authn != NULL ? saml_attr_value(&s->run, authn, "SessionIndex") : NULL;
	return true;
}
