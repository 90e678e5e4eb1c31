/*
 * SAML 2.0 metadata validation, part one (include/onramp/saml_meta.h): the
 * bytes are refused before libxml2 sees them when they are too large, not
 * UTF-8-looking XML, hold a secret, or carry a DOCTYPE; they are then parsed
 * with no network, no entity substitution, no DTD, a depth limit and a
 * refusing external-entity loader; the identity provider entity is picked
 * (or the customer is asked to pick one) and handed to saml_entity.c.
 *
 * The DOCTYPE test is a scan of the prolog: a DOCTYPE may only follow the
 * XML declaration, comments, processing instructions and whitespace, so
 * walking those is exact and keeps every entity declaration (billion laughs,
 * file:// or http:// external entities) away from the parser.  The SAX hook
 * on internalSubset stops the parser should one get past the scan anyway.
 * The refusing loader is installed process-wide for the duration of the
 * parse and the previous one restored (workers are single-threaded).
 */
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/xmlversion.h>

#include "onramp/limits.h"
#include "onramp/saml_meta.h"
#include "onramp/secretscan.h"
#include "saml_internal.h"

/* libxml2 2.12 made the structured error handler take a const pointer. */
#if LIBXML_VERSION >= 21200
typedef const xmlError *xml_error;
#else
typedef xmlError *xml_error;
#endif

/* What the parse hooks saw; reached through ctxt->_private. */
typedef struct parse_state {
	unsigned depth;
	bool too_deep, doctype, external;
	bool have_error, fatal;	/* an error was kept; it was a fatal one */
	int line;		/* of the kept error */
	char msg[200];		/* libxml2's message for it, newline trimmed */
} parse_state;

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

/* True when the prolog holds a DOCTYPE (see the file comment for why this is exact). */
static bool
prolog_has_doctype(const char *s, size_t n)
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
	secretscan_kind k;

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
	k = secretscan_check(NULL, xml, len);
	if (k != SECRET_NONE) {
		sso_report_add(run->r, run->a, "saml.secret", false, SSO_ERROR,
			       "The metadata was refused and not stored: %s Upload only the identity provider's "
			       "public metadata.", secretscan_kind_message(k));
		return OR_ERR_INVALID;
	}
	if (prolog_has_doctype(xml, len)) {
		sso_report_add(run->r, run->a, "saml.no_doctype", false, SSO_ERROR,
			       "The metadata contains a DOCTYPE declaration, which is refused for safety "
			       "(entity expansion, external files); SAML metadata never needs one.");
		return OR_ERR_INVALID;
	}
	return OR_OK;
}

/* ---- the safe parse ------------------------------------------------------------ */

static void
on_internal_subset(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
	xmlParserCtxtPtr ctxt = ctx;
	parse_state *ps = ctxt->_private;

	(void)name, (void)ext, (void)sys;
	ps->doctype = true;
	xmlStopParser(ctxt);
}

static void
on_start(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri, int nns,
	 const xmlChar **ns, int nattr, int ndef, const xmlChar **attrs)
{
	xmlParserCtxtPtr ctxt = ctx;
	parse_state *ps = ctxt->_private;

	if (++ps->depth > LIMIT_XML_DEPTH) {
		ps->too_deep = true;
		xmlStopParser(ctxt);
		return;
	}
	xmlSAX2StartElementNs(ctx, local, prefix, uri, nns, ns, nattr, ndef, attrs);
}

static void
on_end(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
	xmlParserCtxtPtr ctxt = ctx;
	parse_state *ps = ctxt->_private;

	if (ps->depth > 0)
		ps->depth--;
	xmlSAX2EndElementNs(ctx, local, prefix, uri);
}

/* Keep the first error, but let the first fatal one replace a namespace error; nothing is printed. */
static void
on_error(void *ctx, xml_error err)
{
	xmlParserCtxtPtr ctxt = ctx;
	parse_state *ps = ctxt->_private;
	size_t n;

	if (err == NULL || err->level < XML_ERR_ERROR || ps->fatal || (ps->have_error && err->level != XML_ERR_FATAL))
		return;
	ps->have_error = true;
	ps->fatal = err->level == XML_ERR_FATAL;
	ps->line = err->line;
	str_copy(ps->msg, sizeof(ps->msg), err->message != NULL ? err->message : "unknown error");
	n = strlen(ps->msg);
	while (n > 0 && is_space(ps->msg[n - 1]))
		ps->msg[--n] = '\0';
}

static xmlParserInputPtr
refuse_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)url, (void)id;
	if (ctxt != NULL && ctxt->_private != NULL)
		((parse_state *)ctxt->_private)->external = true;
	return NULL;
}

/* Parse with every hook in place; the document (possibly NULL or partial) for the caller to judge. */
static xmlDocPtr
parse(const char *xml, size_t len, parse_state *ps, bool *well_formed)
{
	xmlExternalEntityLoader old = xmlGetExternalEntityLoader();
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;

	*well_formed = false;
	xmlInitParser();
	ctxt = xmlCreateMemoryParserCtxt(xml, (int)len);
	if (ctxt == NULL)
		return NULL;
	ctxt->_private = ps;
	ctxt->sax->internalSubset = on_internal_subset;
	ctxt->sax->externalSubset = on_internal_subset;
	ctxt->sax->startElementNs = on_start;
	ctxt->sax->endElementNs = on_end;
	ctxt->sax->serror = on_error;
	xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlSetExternalEntityLoader(refuse_loader);
	xmlParseDocument(ctxt);
	xmlSetExternalEntityLoader(old);
	doc = ctxt->myDoc;
	*well_formed = ctxt->wellFormed && !ps->too_deep && !ps->doctype && !ps->fatal;
	ctxt->myDoc = NULL;
	xmlFreeParserCtxt(ctxt);
	return doc;
}

/* Turn what the parse hooks saw into the failing check, if any. */
static or_status
judge_parse(saml_run *run, const parse_state *ps, bool well_formed)
{
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

/* ---- secrets the raw scan cannot see (character references, key elements) ------ */

static bool
private_key_element(const xmlNode *n)
{
	static const char *const names[] = { "PrivateKey", "RSAPrivateKey", "ECPrivateKey", "PrivateExponent", NULL };
	static const char *const rsa_private[] = { "D", "P", "Q", "DP", "DQ", "InverseQ", NULL };
	size_t i;

	for (i = 0; names[i]; i++)
		if (strcmp((const char *)n->name, names[i]) == 0)
			return true;
	if (n->parent == NULL || n->parent->type != XML_ELEMENT_NODE ||
	    strcmp((const char *)n->parent->name, "RSAKeyValue") != 0)
		return false;
	for (i = 0; rsa_private[i]; i++)
		if (strcmp((const char *)n->name, rsa_private[i]) == 0)
			return true;
	return false;
}

static secretscan_kind
scan_text(const xmlChar *s)
{
	return s == NULL ? SECRET_NONE : secretscan_check(NULL, (const char *)s, strlen((const char *)s));
}

static secretscan_kind
scan_tree(const xmlNode *n)
{
	secretscan_kind k = SECRET_NONE;
	const xmlAttr *at;

	for (; n != NULL && k == SECRET_NONE; n = n->next) {
		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE || n->type == XML_COMMENT_NODE)
			k = scan_text(n->content);
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (private_key_element(n))
			return SECRET_PRIVATE_KEY;
		for (at = n->properties; at != NULL && k == SECRET_NONE; at = at->next)
			if (at->children != NULL)
				k = scan_text(at->children->content);
		if (k == SECRET_NONE)
			k = scan_tree(n->children);
	}
	return k;
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
	const char *id = saml_attr(run, ent, "entityID");

	if (s->nidp == 0) {
		s->ent = ent;
		s->idp = idp;
	}
	if (s->choice != NULL && id != NULL && strcmp(id, s->choice) == 0 && !s->chosen_found) {
		s->ent = ent;
		s->idp = idp;
		s->chosen_found = true;
	}
	if (run->r->nentities < SSO_MAX_ENTITIES)
		run->r->entities[run->r->nentities++] = id != NULL ? id : "";
	s->nidp++;
}

static void
collect_entity(saml_run *run, idp_set *s, const xmlNode *ent)
{
	const xmlNode *role = saml_next(ent, NULL, SAML_MD_NS, "IDPSSODescriptor");
	const char *proto;

	s->nentities++;
	for (; role != NULL; role = saml_next(ent, role, SAML_MD_NS, "IDPSSODescriptor")) {
		proto = saml_attr(run, role, "protocolSupportEnumeration");
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
	secretscan_kind k;

	if (root == NULL) {
		sso_report_add(run->r, run->a, "saml.is_metadata", false, SSO_ERROR,
			       "The file holds no XML element, so it is not SAML metadata.");
		return OR_ERR_INVALID;
	}
	k = scan_tree(root);
	if (k != SECRET_NONE) {
		sso_report_add(run->r, run->a, "saml.secret", false, SSO_ERROR,
			       "The metadata was refused and not stored: %s Upload only the identity provider's "
			       "public metadata.", secretscan_kind_message(k));
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
	parse_state ps = { 0 };
	bool well_formed;
	xmlDocPtr doc;
	or_status st;

	sso_report_init(out, "saml");
	if (len >= 3 && memcmp(xml, "\xEF\xBB\xBF", 3) == 0)
		xml += 3, len -= 3;
	st = refuse_early(&run, xml, len);
	if (st != OR_OK)
		return st;
	doc = parse(xml, len, &ps, &well_formed);
	st = judge_parse(&run, &ps, well_formed && doc != NULL);
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
