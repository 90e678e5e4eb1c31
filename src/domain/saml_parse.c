/*
 * The hardened parse of SAML metadata (saml_internal.h), shared by the
 * checker (saml_meta.c) and the XML secret scan (saml_scan.c): a linear
 * pre-scan of the bytes first refuses the structure whose cost inside
 * libxml2 grows faster than the input (many attributes or namespace
 * declarations on one element, many in the document, very long names; see
 * limits.h), then libxml2 parses with no network, no entity substitution, no
 * DTD, a depth limit and a refusing external-entity loader.
 *
 * The pre-scan must never count fewer attributes than libxml2 parses.  It
 * treats every '<' as the start of a construct, as libxml2 does (a '<' inside
 * an attribute value is a fatal error there, after which parsing resumes at
 * that '<'), skips comments, CDATA sections and processing instructions as
 * libxml2 reads them, and counts each '=' outside quotes in a start tag as an
 * attribute.  Miscounts can only be over-counts (a malformed tag), never
 * attributes hidden from it.  Together with LIMIT_XML_DEPTH this bounds every
 * superlinear path found in libxml2 2.9.14's start-tag parsing and the SAX2
 * tree builder; the rest of the parse is linear in the bytes.
 *
 * The refusing loader is installed process-wide for the duration of the
 * parse and the previous one restored (workers are single-threaded).
 */
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/xmlversion.h>

#include "onramp/limits.h"
#include "onramp/str.h"
#include "saml_internal.h"

/* libxml2 2.12 made the structured error handler take a const pointer. */
#if LIBXML_VERSION >= 21200
typedef const xmlError *xml_error;
#else
typedef xmlError *xml_error;
#endif

/* ---- the pre-scan ---------------------------------------------------------------- */

typedef struct prescan {
	const char *s;
	size_t n;
	size_t attrs, ns;	/* in the whole document */
	unsigned in_scope;	/* namespace declarations of the open elements */
	unsigned open[LIMIT_XML_DEPTH + 1];	/* each open element's declarations, outermost first */
	size_t depth, deeper;	/* open elements: on the stack, and beyond it (their declarations stay counted) */
} prescan;

static bool
starts(const prescan *p, size_t i, const char *lit)
{
	size_t l = strlen(lit);

	return p->n - i >= l && memcmp(p->s + i, lit, l) == 0;
}

/* The index just past the next `end` at or after i, or n. */
static size_t
past(const prescan *p, size_t i, const char *end)
{
	size_t l = strlen(end);

	for (; i + l <= p->n; i++)
		if (memcmp(p->s + i, end, l) == 0)
			return i + l;
	return p->n;
}

static bool
name_char(char c)
{
	return c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '=' && c != '"' && c != '\'' && c != '/' &&
	       c != '>';
}

/* Counts one attribute, whose name is the token [tok, tok + len). */
static saml_limit
count_attr(prescan *p, size_t tok, size_t len, unsigned *attrs, unsigned *ns)
{
	bool decl = len >= 5 && (len == 5 || p->s[tok + 5] == ':') && memcmp(p->s + tok, "xmlns", 5) == 0;

	if (++*attrs > LIMIT_XML_ELEMENT_ATTRS)
		return SAML_LIMIT_ELEMENT_ATTRS;
	if (++p->attrs > LIMIT_XML_ATTRS)
		return SAML_LIMIT_ATTRS;
	if (!decl)
		return SAML_LIMIT_NONE;
	if (++*ns > LIMIT_XML_ELEMENT_NS)
		return SAML_LIMIT_ELEMENT_NS;
	if (++p->ns > LIMIT_XML_NS)
		return SAML_LIMIT_NS;
	return ++p->in_scope > LIMIT_XML_NS_IN_SCOPE ? SAML_LIMIT_NS_IN_SCOPE : SAML_LIMIT_NONE;
}

/*
 * After a start tag with ns declarations: an element opened by '>' keeps
 * them in scope until its end tag; an empty element ('/>') or a tag libxml2
 * gives up on (no '>') drops them at once.
 */
static void
open_element(prescan *p, size_t end, bool empty, unsigned ns)
{
	if (end >= p->n || p->s[end] != '>' || empty)
		p->in_scope -= ns;
	else if (p->depth < sizeof(p->open) / sizeof(p->open[0]))
		p->open[p->depth++] = ns;
	else
		p->deeper++;
}

/* An end tag closes the innermost open element, as libxml2's does, whatever its name. */
static void
close_element(prescan *p)
{
	if (p->deeper > 0)
		p->deeper--;
	else if (p->depth > 0)
		p->in_scope -= p->open[--p->depth];
}

/* A start tag from just after its '<' to its '>' (outside quotes) or the next '<'; *i is left there. */
static saml_limit
start_tag(prescan *p, size_t *i)
{
	unsigned attrs = 0, ns = 0;
	size_t j = *i, tok = j, len = 0;
	char quote = 0, last = 0;
	saml_limit lim = SAML_LIMIT_NONE;

	for (; j < p->n && p->s[j] != '<' && lim == SAML_LIMIT_NONE; j++) {
		char c = p->s[j];

		if (quote != 0) {
			quote = c == quote ? 0 : quote;
			continue;
		}
		if (c == '>')
			break;
		if (c == '"' || c == '\'')
			quote = c;
		else if (c == '=')
			lim = count_attr(p, tok, len, &attrs, &ns);
		else if (name_char(c) && !name_char(p->s[j - 1]))	/* s[*i - 1] is the '<' */
			tok = j, len = 1;
		else if (name_char(c) && ++len > LIMIT_XML_NAME)
			lim = SAML_LIMIT_NAME;
		last = c;
	}
	if (lim == SAML_LIMIT_NONE)
		open_element(p, j, last == '/', ns);
	*i = j;
	return lim;
}

saml_limit
saml_prescan(const char *xml, size_t len)
{
	prescan p;
	const char *lt;
	size_t i = 0;
	saml_limit lim = SAML_LIMIT_NONE;

	memset(&p, 0, sizeof(p));
	p.s = xml;
	p.n = len;
	while (lim == SAML_LIMIT_NONE && i < len && (lt = memchr(xml + i, '<', len - i)) != NULL) {
		i = (size_t)(lt - xml);
		if (starts(&p, i, "<!--"))
			i = past(&p, i + 4, "-->");
		else if (starts(&p, i, "<![CDATA["))
			i = past(&p, i + 9, "]]>");
		else if (starts(&p, i, "<?"))
			i = past(&p, i + 2, "?>");
		else if (starts(&p, i, "</"))
			close_element(&p), i += 2;
		else if (starts(&p, i, "<!"))
			i += 2;		/* declarations carry no attributes (a DOCTYPE is refused anyway) */
		else {
			i++;
			lim = start_tag(&p, &i);
		}
	}
	return lim;
}

/* ---- the parse hooks ------------------------------------------------------------- */

static void
on_internal_subset(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
	xmlParserCtxtPtr ctxt = ctx;
	saml_parse_state *ps = ctxt->_private;

	(void)name, (void)ext, (void)sys;
	ps->doctype = true;
	xmlStopParser(ctxt);
}

static void
on_start(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri, int nns,
	 const xmlChar **ns, int nattr, int ndef, const xmlChar **attrs)
{
	xmlParserCtxtPtr ctxt = ctx;
	saml_parse_state *ps = ctxt->_private;

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
	saml_parse_state *ps = ctxt->_private;

	if (ps->depth > 0)
		ps->depth--;
	xmlSAX2EndElementNs(ctx, local, prefix, uri);
}

/* Keep the first error, but let the first fatal one replace a namespace error; nothing is printed. */
static void
on_error(void *ctx, xml_error err)
{
	xmlParserCtxtPtr ctxt = ctx;
	saml_parse_state *ps = ctxt->_private;
	size_t n;

	if (err == NULL || err->level < XML_ERR_ERROR || ps->fatal || (ps->have_error && err->level != XML_ERR_FATAL))
		return;
	ps->have_error = true;
	ps->fatal = err->level == XML_ERR_FATAL;
	ps->line = err->line;
	str_copy(ps->msg, sizeof(ps->msg), err->message != NULL ? err->message : "unknown error");
	n = strlen(ps->msg);
	while (n > 0 && (ps->msg[n - 1] == ' ' || ps->msg[n - 1] == '\n' || ps->msg[n - 1] == '\r' ||
			 ps->msg[n - 1] == '\t'))
		ps->msg[--n] = '\0';
}

static xmlParserInputPtr
refuse_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)url, (void)id;
	if (ctxt != NULL && ctxt->_private != NULL)
		((saml_parse_state *)ctxt->_private)->external = true;
	return NULL;
}

xmlDocPtr
saml_parse(const char *xml, size_t len, saml_parse_state *ps, bool *well_formed)
{
	xmlExternalEntityLoader old = xmlGetExternalEntityLoader();
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;

	*well_formed = false;
	if (len > LIMIT_XML_BYTES || (ps->limit = saml_prescan(xml, len)) != SAML_LIMIT_NONE)
		return NULL;
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
	*well_formed = doc != NULL && ctxt->wellFormed && !ps->too_deep && !ps->doctype && !ps->fatal;
	ctxt->myDoc = NULL;
	xmlFreeParserCtxt(ctxt);
	return doc;
}
