/*
 * SAML 2.0 metadata validation, part one (include/onramp/saml_meta.h): the
 * bytes are refused before libxml2 sees them when they are too large, not
 * UTF-8-looking XML, or carry a DOCTYPE; they are then parsed by
 * saml_parse.c (a pre-scan of the structure limits, then no network, no
 * entity substitution, no DTD, a depth limit and a refusing external-entity
 * loader); a secret anywhere (saml_scan.c) refuses them before any other
 * verdict; the identity provider entity is picked (or the customer is asked
 * to pick one) and handed to saml_entity.c.
 *
 * The DOCTYPE test is a scan of the prolog: a DOCTYPE may only follow the
 * XML declaration, comments, processing instructions and whitespace, so
 * walking those is exact and keeps every entity declaration (billion laughs,
 * file:// or http:// external entities) away from the parser.  The SAX hook
 * on internalSubset stops the parser should one get past the scan anyway.
 */
#include <string.h>

#include <libxml/parser.h>

#include "onramp/limits.h"
#include "onramp/saml_meta.h"
#include "onramp/secretscan.h"
#include "saml_internal.h"

/* ---- refusals before parsing ------------------------------------------------- */

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
has_prefix_at(const char *s, size_t n, size_t i, const char *p, bool nocase)
{
	size_t k, pl = strlen(p);

	if (n - i < pl)
		return false;
	for (k = 0; k < pl; k++) {
		char c = s[i + k];
		if (nocase && c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c != p[k])
			return false;
	}
	return true;
}

static size_t
find(const char *s, size_t n, size_t from, const char *needle)
{
	size_t i;

	for (i = from; i < n; i++)
		if (has_prefix_at(s, n, i, needle, false))
			return i;
	return n;
}

bool
saml_prolog_has_doctype(const char *s, size_t n)
{
	size_t i = 0, end;

	for (;;) {
		while (i < n && is_space(s[i]))
			i++;
		if (i >= n || s[i] != '<')
			return false;
		if (has_prefix_at(s, n, i, "<!--", false)) {
			end = find(s, n, i + 4, "-->");
			i = end + 3;
		} else if (has_prefix_at(s, n, i, "<?", false)) {
			end = find(s, n, i + 2, "?>");
			i = end + 2;
		} else {
			return has_prefix_at(s, n, i, "<!DOCTYPE", true);
		}
		if (end >= n)
			return false;
	}
}

/* The checks that need no parser; false (with a failed check) when the bytes are refused. */
static or_status
refuse_early(saml_run *run, const char *xml, size_t len)
{
	if (len > LIMIT_XML_BYTES) {
		sso_report_add(run->r, run->a, "saml.size", false, SSO_ERROR,
			       "The metadata is %zu bytes; the largest accepted is %u bytes (1 MiB).", len,
			       LIMIT_XML_BYTES);
		return OR_ERR_LIMIT;
	}
	if (len >= 2 && (((unsigned char)xml[0] == 0xFE && (unsigned char)xml[1] == 0xFF) ||
			 ((unsigned char)xml[0] == 0xFF && (unsigned char)xml[1] == 0xFE) || xml[0] == '\0' ||
			 xml[1] == '\0')) {
		sso_report_add(run->r, run->a, "saml.encoding", false, SSO_ERROR,
			       "The metadata is UTF-16 or UTF-32 text; save it as UTF-8 and upload it again.");
		return OR_ERR_INVALID;
	}
	return OR_OK;
}

/* A secret anywhere (saml_secret_scan) refuses the document before any other verdict. */
static or_status
refuse_secret(saml_run *run, secretscan_kind k)
{
	char msg[512];

	if (k == SECRET_NONE)
		return OR_OK;
	sso_report_add(run->r, run->a, "saml.secret", false, SSO_ERROR, "%s",
		       saml_metadata_secret_message(k, msg, sizeof(msg)));
	return OR_ERR_INVALID;
}

/* What the pre-scan refused, as a sentence. */
static void
refuse_limit(saml_run *run, saml_limit lim)
{
	static const struct { const char *what; unsigned max; const char *unit; } said[] = {
		[SAML_LIMIT_ELEMENT_ATTRS] = { "An element has more than", LIMIT_XML_ELEMENT_ATTRS, "attributes" },
		[SAML_LIMIT_ATTRS] = { "The document has more than", LIMIT_XML_ATTRS, "attributes" },
		[SAML_LIMIT_ELEMENT_NS] = { "An element declares more than", LIMIT_XML_ELEMENT_NS, "namespaces" },
		[SAML_LIMIT_NS] = { "The document declares more than", LIMIT_XML_NS, "namespaces" },
		[SAML_LIMIT_NS_IN_SCOPE] = { "Elements nest more than", LIMIT_XML_NS_IN_SCOPE,
					     "namespace declarations" },
		[SAML_LIMIT_NAME] = { "An element or attribute name is longer than", LIMIT_XML_NAME, "bytes" },
	};

	sso_report_add(run->r, run->a, "saml.limits", false, SSO_ERROR,
		       "%s %u %s; this is not ordinary SAML metadata, so it was refused unread.", said[lim].what,
		       said[lim].max, said[lim].unit);
}

/* ---- the parse -------------------------------------------------------------------- */

/* Turn what the parse hooks saw into the failing check, if any. */
static or_status
judge_parse(saml_run *run, const saml_parse_state *ps, bool well_formed)
{
	if (ps->limit != SAML_LIMIT_NONE) {
		refuse_limit(run, ps->limit);
		return OR_ERR_LIMIT;
	}
	if (ps->doctype || ps->external) {
		sso_report_add(run->r, run->a, "saml.no_doctype", false, SSO_ERROR,
			       "The metadata contains a DOCTYPE declaration, which is refused for safety "
			       "(entity expansion, external files); SAML metadata never needs one.");
		return OR_ERR_INVALID;
	}
	if (ps->too_deep) {
		sso_report_add(run->r, run->a, "saml.depth", false, SSO_ERROR,
			       "The metadata nests elements more than %u levels deep; this is not ordinary SAML "
			       "metadata.", LIMIT_XML_DEPTH);
		return OR_ERR_LIMIT;
	}
	if (!well_formed && ps->have_error) {
		sso_report_add(run->r, run->a, "saml.well_formed", false, SSO_ERROR,
			       "The file is not well-formed XML (line %d: %s).", ps->line, ps->msg);
		return OR_ERR_INVALID;
	}
	if (!well_formed) {
		sso_report_add(run->r, run->a, "saml.well_formed", false, SSO_ERROR,
			       "The file is empty or is not XML.");
		return OR_ERR_INVALID;
	}
	sso_report_add(run->r, run->a, "saml.well_formed", true, SSO_ERROR, "The file is well-formed XML.");
	return OR_OK;
}

/* ---- choosing the identity provider -------------------------------------------- */

typedef struct idp_set {
	const char *choice;		/* entityID the customer picked, or NULL */
	const xmlNode *ent, *idp;	/* the first IdP, or the chosen one */
	bool chosen_found;
	size_t nidp, nentities, nsp;	/* IdP entities, all entities, SP-only entities */
	const char *other_proto;	/* protocolSupportEnumeration of an IdP role without SAML 2.0 */
} idp_set;

static bool
lists_saml2(const char *list)
{
	size_t n = strlen(SAML_PROTOCOL_NS);
	const char *p = list;

	while (p != NULL && *p != '\0') {
		while (is_space(*p))
			p++;
		if (strncmp(p, SAML_PROTOCOL_NS, n) == 0 && (p[n] == '\0' || is_space(p[n])))
			return true;
		while (*p != '\0' && !is_space(*p))
			p++;
	}
	return false;
}

static void
add_idp(saml_run *run, idp_set *s, const xmlNode *ent, const xmlNode *idp)
{
	const char *id = saml_attr_value(run, ent, "entityID");

	if (s->nidp == 0) {
		s->ent = ent;
		s->idp = idp;
	}
	if (s->choice != NULL && id != NULL && strcmp(id, s->choice) == 0 && !s->chosen_found) {
		s->ent = ent;
		s->idp = idp;
		s->chosen_found = true;
	}
	/* Only a named IdP can be chosen, so only those are offered. */
	if (run->r->nentities < SSO_MAX_ENTITIES && id != NULL && id[0] != '\0')
		run->r->entities[run->r->nentities++] = id;
	s->nidp++;
}

static void
collect_entity(saml_run *run, idp_set *s, const xmlNode *ent)
{
	const xmlNode *role = saml_next(ent, NULL, SAML_MD_NS, "IDPSSODescriptor");
	const char *proto;

	s->nentities++;
	for (; role != NULL; role = saml_next(ent, role, SAML_MD_NS, "IDPSSODescriptor")) {
		proto = saml_attr_value(run, role, "protocolSupportEnumeration");
		if (proto != NULL && lists_saml2(proto)) {
			add_idp(run, s, ent, role);
			return;
		}
		s->other_proto = proto != NULL ? proto : "";
	}
	if (saml_next(ent, NULL, SAML_MD_NS, "SPSSODescriptor") != NULL)
		s->nsp++;
}

static void
collect(saml_run *run, idp_set *s, const xmlNode *n)
{
	const xmlNode *c;

	if (saml_is(n, SAML_MD_NS, "EntityDescriptor")) {
		collect_entity(run, s, n);
		return;
	}
	for (c = n->children; c != NULL; c = c->next)
		if (saml_is(c, SAML_MD_NS, "EntityDescriptor") || saml_is(c, SAML_MD_NS, "EntitiesDescriptor"))
			collect(run, s, c);
}

static void
no_idp(saml_run *run, const idp_set *s, bool aggregate)
{
	if (s->other_proto != NULL)
		sso_report_add(run->r, run->a, "saml.idp_present", false, SSO_ERROR,
			       "The identity provider role does not support SAML 2.0 (protocolSupportEnumeration "
			       "is \"%s\"); onramp needs a SAML 2.0 identity provider.", s->other_proto);
	else if (!aggregate && s->nsp > 0)
		sso_report_add(run->r, run->a, "saml.idp_present", false, SSO_ERROR,
			       "This is service-provider metadata, the wrong file (upload your identity "
			       "provider's metadata).");
	else if (s->nsp > 0)
		sso_report_add(run->r, run->a, "saml.idp_present", false, SSO_ERROR,
			       "The file lists %zu entities but no identity provider entity (only service "
			       "providers); upload your identity provider's metadata.", s->nentities);
	else
		sso_report_add(run->r, run->a, "saml.idp_present", false, SSO_ERROR,
			       "The metadata describes no identity provider (no IDPSSODescriptor).");
}

/*
 * Pick the IdP entity; false (with a failed check) when there is none or the
 * choice is open.  A choice only matters among several: with one IdP a stale
 * choice from an earlier upload is ignored.
 */
static bool
choose(saml_run *run, idp_set *s, bool aggregate)
{
	if (s->nidp == 0) {
		run->r->nentities = 0;
		no_idp(run, s, aggregate);
		return false;
	}
	if (s->nidp > 1 && s->choice != NULL && !s->chosen_found) {
		sso_report_add(run->r, run->a, "saml.entity_choice", false, SSO_ERROR,
			       "The chosen entity \"%s\" is not an identity provider in this file; choose one of "
			       "the %zu listed.", s->choice, s->nidp);
		return false;
	}
	if (s->nidp > 1 && s->choice == NULL && run->r->nentities == 0) {
		sso_report_add(run->r, run->a, "saml.entity_id", false, SSO_ERROR,
			       "The file describes %zu identity providers, none with an entityID, so none can be "
			       "chosen; every EntityDescriptor needs one.", s->nidp);
		return false;
	}
	if (s->nidp > 1 && s->choice == NULL) {
		sso_report_add(run->r, run->a, "saml.entity_choice", false, SSO_ERROR,
			       "The file describes %zu identity providers; choose which one to use.", s->nidp);
		return false;
	}
	if (s->nidp == 1)
		run->r->nentities = 0;
	sso_report_add(run->r, run->a, "saml.idp_present", true, SSO_ERROR,
		       "The metadata describes a SAML 2.0 identity provider.");
	return true;
}

/* ---- the whole check ------------------------------------------------------------ */

static bool
has_failed(const sso_report *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->nchecks; i++)
		if (!r->checks[i].ok && strcmp(r->checks[i].key, key) == 0)
			return true;
	return false;
}

static bool
signed_node(const xmlNode *n)
{
	return n != NULL && saml_next(n, NULL, SAML_DS_NS, "Signature") != NULL;
}

static void
check_document(saml_run *run, const xmlNode *root, const char *entity_choice)
{
	idp_set s = { 0 };
	bool aggregate = saml_is(root, SAML_MD_NS, "EntitiesDescriptor");
	int seen = 0;

	if (!aggregate && !saml_is(root, SAML_MD_NS, "EntityDescriptor")) {
		sso_report_add(run->r, run->a, "saml.is_metadata", false, SSO_ERROR,
			       "This is not SAML 2.0 metadata: the root element is <%s>%s%s, not an "
			       "EntityDescriptor or EntitiesDescriptor in the namespace %s.", (const char *)root->name,
			       root->ns != NULL ? " in the namespace " : " without a namespace",
			       root->ns != NULL ? (const char *)root->ns->href : "", SAML_MD_NS);
		return;
	}
	s.choice = entity_choice != NULL && entity_choice[0] != '\0' ? entity_choice : NULL;
	saml_check_valid_until(run, root, aggregate ? "EntitiesDescriptor" : "EntityDescriptor", &seen);
	collect(run, &s, root);
	if (choose(run, &s, aggregate)) {
		if (s.ent != root)
			saml_check_valid_until(run, s.ent, "EntityDescriptor", &seen);
		saml_check_valid_until(run, s.idp, "IDPSSODescriptor", &seen);
		saml_check_entity(run, s.ent, s.idp);
	}
	if (seen > 0 && !has_failed(run->r, "saml.valid_until"))
		sso_report_add(run->r, run->a, "saml.valid_until", true, SSO_ERROR, "validUntil is in the future.");
	run->r->is_signed = signed_node(root) || (s.ent != NULL && signed_node(s.ent));
	sso_report_add(run->r, run->a, "saml.signed", run->r->is_signed, SSO_INFO, run->r->is_signed ?
		       "The metadata carries an XML signature (not verified here)." : "The metadata is not signed.");
}

static or_status
check_parsed(saml_run *run, xmlDocPtr doc, const char *entity_choice)
{
	const xmlNode *root = xmlDocGetRootElement(doc);

	if (root == NULL) {
		sso_report_add(run->r, run->a, "saml.is_metadata", false, SSO_ERROR,
			       "The file holds no XML element, so it is not SAML metadata.");
		return OR_ERR_INVALID;
	}
	check_document(run, root, entity_choice);
	return OR_OK;
}

or_status
saml_metadata_check(arena *a, const char *xml, size_t len, int64_t now, const char *entity_choice,
		    sso_report *out)
{
	saml_run run = { a, out, now, false };
	saml_parse_state ps;
	bool well_formed = false;
	xmlDocPtr doc = NULL;
	or_status st;

	sso_report_init(out, "saml");
	memset(&ps, 0, sizeof(ps));
	if (len >= 3 && memcmp(xml, "\xEF\xBB\xBF", 3) == 0)
		xml += 3, len -= 3;
	st = refuse_early(&run, xml, len);
	if (st != OR_OK)
		return st;
	ps.doctype = saml_prolog_has_doctype(xml, len);
	if (!ps.doctype)
		doc = saml_parse(xml, len, &ps, &well_formed);
	/*
	 * What the pre-scan refused stays unread, by the secret scan too: that
	 * keeps the refusal cheap, and nothing of it reaches the report.  (PUT
	 * scanned the bytes before storing them: saml_metadata_secret.)
	 */
	if (ps.limit == SAML_LIMIT_NONE)
		st = refuse_secret(&run, saml_secret_scan(NULL, xml, len, well_formed ? doc : NULL));
	if (st == OR_OK)
		st = judge_parse(&run, &ps, well_formed);
	if (st == OR_OK)
		st = check_parsed(&run, doc, entity_choice);
	xmlFreeDoc(doc);
	if (run.nomem) {
		sso_report_add(out, a, "saml.internal", false, SSO_ERROR,
			       "The metadata could not be checked completely (out of memory); try again.");
		return OR_ERR_NOMEM;
	}
	return st;
}
