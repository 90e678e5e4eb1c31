/*
 * The secret scan of an XML document (saml_metadata_secret in saml_meta.h,
 * saml_secret_scan in saml_internal.h): what a reader of the document sees,
 * not only its bytes.  A private key can hide from a scan of the raw bytes
 * behind markup that changes nothing for a reader: a comment, CDATA section,
 * processing instruction or child element splitting "-----BEGIN PRIVATE
 * KEY-----" or a key body, or character references spelling it
 * ("&#45;&#45;&#45;&#45;&#45;BEGIN ...").  So after the raw bytes the
 * scanner (secretscan.c) reads the decoded text:
 *
 *  - of a parsed document (the hardened parse of saml_parse.c): each
 *    element's own text, its text and CDATA children joined across the
 *    comments, PIs and child elements between them; each attribute value;
 *    each comment and PI; references resolved by libxml2.  One segment per
 *    line.  An element named like a private key (ds:RSAKeyValue's D, P,
 *    Q..., PrivateKey) is a key whatever it holds.
 *  - of bytes that do not parse (or may not be parsed: a DOCTYPE, over a
 *    pre-scan limit): a lenient decoding that reads them as a reader would,
 *    whatever is broken: all character data joined with the markup dropped
 *    and CDATA unwrapped, and, apart, the inside of every tag, comment, PI
 *    and declaration, references resolved everywhere but in CDATA.
 *
 * Both are linear in the bytes and at most twice their size.
 */
#include <string.h>

#include <libxml/tree.h>

#include "onramp/limits.h"
#include "onramp/saml_meta.h"
#include "onramp/str.h"
#include "saml_internal.h"

/* ---- the decoded text of a parsed document -------------------------------------- */

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

static bool
put(or_buf *b, const xmlChar *s)
{
	return s == NULL || buf_append_c(b, (const char *)s) == OR_OK;
}

/* One element's attribute values and its own text, a line each. */
static bool
element_text(or_buf *b, const xmlNode *n)
{
	const xmlAttr *at;
	const xmlNode *c;
	bool ok = true;

	for (at = n->properties; at != NULL && ok; at = at->next) {
		for (c = at->children; c != NULL && ok; c = c->next)
			ok = put(b, c->content);
		ok = ok && buf_putc(b, '\n') == OR_OK;
	}
	for (c = n->children; c != NULL && ok; c = c->next)
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
			ok = put(b, c->content);
	return ok && buf_putc(b, '\n') == OR_OK;
}

/* The decoded text of n and its siblings, depth first (the parse bounds the depth); false when out of room. */
static bool
tree_text(or_buf *b, const xmlNode *n, bool *key_element)
{
	bool ok = true;

	for (; n != NULL && ok; n = n->next) {
		if (n->type == XML_COMMENT_NODE || n->type == XML_PI_NODE) {
			ok = (n->type != XML_PI_NODE || (put(b, n->name) && buf_putc(b, ' ') == OR_OK)) &&
			     put(b, n->content) && buf_putc(b, '\n') == OR_OK;
		} else if (n->type == XML_ELEMENT_NODE) {
			*key_element = *key_element || private_key_element(n);
			ok = element_text(b, n) && tree_text(b, n->children, key_element);
		}
	}
	return ok;
}

/* ---- the lenient decoding of any bytes ------------------------------------------ */

typedef struct lenient {
	const char *s;
	size_t n;
	or_buf text, marks;	/* character data joined; the inside of the markup, a line each */
} lenient;

static bool
put_utf8(or_buf *b, unsigned long cp)
{
	char u[4];
	size_t k;

	if (cp < 0x80)
		return buf_putc(b, (char)cp) == OR_OK;
	if (cp < 0x800)
		u[0] = (char)(0xC0 | (cp >> 6)), u[1] = (char)(0x80 | (cp & 0x3F)), k = 2;
	else if (cp < 0x10000)
		u[0] = (char)(0xE0 | (cp >> 12)), u[1] = (char)(0x80 | ((cp >> 6) & 0x3F)),
		u[2] = (char)(0x80 | (cp & 0x3F)), k = 3;
	else
		u[0] = (char)(0xF0 | (cp >> 18)), u[1] = (char)(0x80 | ((cp >> 12) & 0x3F)),
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F)), k = 4;
	return buf_append(b, u, k) == OR_OK;
}

/* The value of a character reference "&#...;" at i (0 when it is none); *end is past its ';'. */
static unsigned long
char_ref(const char *s, size_t n, size_t i, size_t *end)
{
	unsigned long cp = 0;
	bool hex = i + 2 < n && s[i + 2] == 'x';
	size_t j = i + (hex ? 3 : 2), digits = 0;

	for (; j < n && digits < 8; j++, digits++) {
		char c = s[j];
		int v = c >= '0' && c <= '9' ? c - '0' : !hex ? -1 : c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (v < 0)
			break;
		cp = cp * (hex ? 16u : 10u) + (unsigned long)v;
	}
	if (digits == 0 || j >= n || s[j] != ';' || cp == 0 || cp > 0x10FFFF)
		return 0;
	*end = j + 1;
	return cp;
}

/* Append s[i, to) to b with references resolved (a reference that is none is kept as written). */
static bool
put_decoded(or_buf *b, const char *s, size_t i, size_t to)
{
	static const struct { const char *name; char c; } named[] = {
		{ "&lt;", '<' }, { "&gt;", '>' }, { "&amp;", '&' }, { "&quot;", '"' }, { "&apos;", '\'' }, { NULL, 0 }
	};
	size_t end, k, l;
	unsigned long cp;
	bool ok = true;

	while (i < to && ok) {
		const char *amp = memchr(s + i, '&', to - i);
		size_t j = amp != NULL ? (size_t)(amp - s) : to;

		ok = buf_append(b, s + i, j - i) == OR_OK;
		if (j >= to || !ok)
			break;
		if (j + 1 < to && s[j + 1] == '#' && (cp = char_ref(s, to, j, &end)) != 0) {
			ok = put_utf8(b, cp);
			i = end;
			continue;
		}
		for (k = 0; named[k].name && !(to - j >= (l = strlen(named[k].name)) &&
					       memcmp(s + j, named[k].name, l) == 0); k++)
			;
		ok = buf_putc(b, named[k].name ? named[k].c : '&') == OR_OK;
		i = named[k].name ? j + l : j + 1;
	}
	return ok;
}

/* The index of the next `end` at or after i (n when absent), for markup that runs to it. */
static size_t
until(const lenient *l, size_t i, const char *end)
{
	size_t k = strlen(end);

	for (; i + k <= l->n; i++)
		if (memcmp(l->s + i, end, k) == 0)
			return i;
	return l->n;
}

/* The markup at the '<' at i: its inside goes to marks (CDATA to text); returns the index past it. */
static size_t
markup(lenient *l, size_t i, bool *ok)
{
	static const struct { const char *open, *close; bool cdata; } kinds[] = {
		{ "<!--", "-->", false }, { "<![CDATA[", "]]>", true }, { "<?", "?>", false }, { "<", ">", false }
	};
	size_t k, from, to, ol;

	for (k = 0; k < 3; k++)
		if (l->n - i >= (ol = strlen(kinds[k].open)) && memcmp(l->s + i, kinds[k].open, ol) == 0)
			break;
	ol = strlen(kinds[k].open);
	from = i + ol;
	to = until(l, from, kinds[k].close);
	if (kinds[k].cdata)
		*ok = buf_append(&l->text, l->s + from, to - from) == OR_OK;
	else
		*ok = put_decoded(&l->marks, l->s, from, to) && buf_putc(&l->marks, '\n') == OR_OK;
	return to >= l->n ? l->n : to + strlen(kinds[k].close);
}

static bool
lenient_text(lenient *l)
{
	size_t i = 0;
	bool ok = true;

	while (i < l->n && ok) {
		const char *lt = memchr(l->s + i, '<', l->n - i);
		size_t j = lt != NULL ? (size_t)(lt - l->s) : l->n;

		ok = put_decoded(&l->text, l->s, i, j);
		i = j < l->n && ok ? markup(l, j, &ok) : j;
	}
	return ok;
}

/* ---- the scan ------------------------------------------------------------------- */

static secretscan_kind
scan_buf(const secretscan_ctx *ctx, const or_buf *b)
{
	return secretscan_check(ctx, b->data, b->len);
}

static secretscan_kind
scan_lenient(const secretscan_ctx *ctx, const char *xml, size_t len)
{
	lenient l = { xml, len, { 0 }, { 0 } };
	secretscan_kind k = SECRET_PRIVATE_KEY;	/* fail closed: what cannot be read is not stored */

	buf_init(&l.text, len + 16);
	buf_init(&l.marks, len + 16);
	if (lenient_text(&l) && (k = scan_buf(ctx, &l.text)) == SECRET_NONE)
		k = scan_buf(ctx, &l.marks);
	buf_free(&l.text);
	buf_free(&l.marks);
	return k;
}

static secretscan_kind
scan_tree(const secretscan_ctx *ctx, const xmlDoc *doc, size_t len)
{
	or_buf b;
	bool key_element = false;
	secretscan_kind k = SECRET_PRIVATE_KEY;	/* fail closed, as above */

	buf_init(&b, 2 * len + 16);
	if (tree_text(&b, doc->children, &key_element))
		k = key_element ? SECRET_PRIVATE_KEY : scan_buf(ctx, &b);
	buf_free(&b);
	return k;
}

secretscan_kind
saml_secret_scan(const secretscan_ctx *ctx, const char *xml, size_t len, const xmlDoc *doc)
{
	secretscan_kind k = secretscan_check(ctx, xml, len);

	if (k != SECRET_NONE)
		return k;
	return doc != NULL ? scan_tree(ctx, doc, len) : scan_lenient(ctx, xml, len);
}

secretscan_kind
saml_metadata_secret(const secretscan_ctx *ctx, const char *xml, size_t len)
{
	saml_parse_state ps;
	xmlDocPtr doc = NULL;
	bool well_formed = false;
	secretscan_kind k;

	if (xml == NULL || len == 0)
		return SECRET_NONE;
	memset(&ps, 0, sizeof(ps));
	if (!saml_prolog_has_doctype(xml, len))
		doc = saml_parse(xml, len, &ps, &well_formed);
	k = saml_secret_scan(ctx, xml, len, well_formed ? doc : NULL);
	xmlFreeDoc(doc);
	return k;
}

const char *
saml_metadata_secret_message(secretscan_kind k, char *buf, size_t n)
{
	const char *what = secretscan_kind_noun(k);
	int w = snprintf(buf, n,
			 "The metadata XML holds what looks like %s, so it was not stored. Identity provider metadata "
			 "carries only public details (entity ID, endpoints, the public signing certificate): remove %s "
			 "from the XML, or download the metadata again from your identity provider, and save.",
			 what, what);

	if (w < 0 && n > 0)
		buf[0] = '\0';
	return buf;
}
