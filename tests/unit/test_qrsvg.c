/* Unit tests for QR codes as SVG (src/domain/qrsvg.c). */
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <qrencode.h>

#include "onramp/qrsvg.h"
#include "unit.h"

/* An otpauth URI of a 20-byte secret: 115 bytes, so version 7 (45 modules) at level M. */
static const char uri[] =
	"otpauth://totp/onramp:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=onramp"
	"&algorithm=SHA1&digits=6&period=30";
#define WIDTH 45
#define SIDE (WIDTH + 2 * QRSVG_QUIET_ZONE)

static char *
render(const char *text)
{
	or_buf b;

	buf_init(&b, QRSVG_MAX_BYTES);
	if (qrsvg_render(text, &b) != OR_OK) {
		buf_free(&b);
		return NULL;
	}
	return b.data;
}

/* Replay the path's "Mx yhNv1h-Nz" runs into a grid of modules. */
static int
paint(const char *d, unsigned char grid[SIDE][SIDE])
{
	int painted = 0;

	while (*d == 'M') {
		char *end;
		long x = strtol(d + 1, &end, 10), y, n, i;
		y = strtol(end + 1, &end, 10);
		if (*end != 'h')
			return -1;
		n = strtol(end + 1, &end, 10);
		if (strncmp(end, "v1h-", 4) != 0 || x < 0 || y < 0 || n < 1 || x + n > SIDE || y >= SIDE)
			return -1;
		strtol(end + 4, &end, 10);
		if (*end != 'z')
			return -1;
		for (i = 0; i < n; i++, painted++)
			grid[y][x + i] = 1;
		d = end + 1;
	}
	return *d == '\0' ? painted : -1;
}

static void
test_modules_match_the_encoder(void)
{
	static unsigned char grid[SIDE][SIDE];
	QRcode *q = QRcode_encodeString8bit(uri, 0, QR_ECLEVEL_M);
	char *svg = render(uri), want[64];
	xmlDocPtr doc;
	xmlNodePtr root, path;
	xmlChar *d;
	int x, y, dark = 0;

	CU_ASSERT_FATAL(q != NULL && svg != NULL);
	CU_ASSERT_EQUAL(q->version, 7);
	CU_ASSERT_EQUAL(q->width, WIDTH);
	snprintf(want, sizeof(want), "viewBox=\"0 0 %d %d\"", SIDE, SIDE);
	CU_ASSERT_PTR_NOT_NULL(strstr(svg, want));
	doc = xmlReadMemory(svg, (int)strlen(svg), "qr.svg", NULL, XML_PARSE_NONET);
	CU_ASSERT_FATAL(doc != NULL);
	root = xmlDocGetRootElement(doc);
	path = xmlLastElementChild(root);
	CU_ASSERT_FATAL(path != NULL && xmlStrcmp(path->name, (const xmlChar *)"path") == 0);
	d = xmlGetProp(path, (const xmlChar *)"d");
	memset(grid, 0, sizeof(grid));
	for (y = 0; y < WIDTH; y++)
		for (x = 0; x < WIDTH; x++)
			dark += q->data[y * WIDTH + x] & 1;
	CU_ASSERT_EQUAL(paint((const char *)d, grid), dark);
	for (y = 0; y < SIDE; y++)
		for (x = 0; x < SIDE; x++) {
			int inside = x >= QRSVG_QUIET_ZONE && y >= QRSVG_QUIET_ZONE && x < QRSVG_QUIET_ZONE + WIDTH &&
				     y < QRSVG_QUIET_ZONE + WIDTH;
			int want_dark = inside ? q->data[(y - QRSVG_QUIET_ZONE) * WIDTH + x - QRSVG_QUIET_ZONE] & 1 : 0;
			CU_ASSERT_EQUAL(grid[y][x], want_dark);
		}
	/* The finder pattern's corner: dark at the symbol's top-left, light in the quiet zone. */
	CU_ASSERT_EQUAL(grid[QRSVG_QUIET_ZONE][QRSVG_QUIET_ZONE], 1);
	CU_ASSERT_EQUAL(grid[0][0], 0);
	xmlFree(d);
	xmlFreeDoc(doc);
	QRcode_free(q);
	free(svg);
}

/* Walk every element: only svg, rect and path, no event handler or link attribute. */
static int
foreign(xmlNodePtr n)
{
	int bad = 0;

	for (; n; n = n->next) {
		xmlAttrPtr a;
		if (n->type != XML_ELEMENT_NODE) {
			bad += n->type != XML_TEXT_NODE;
			continue;
		}
		if (xmlStrcmp(n->name, (const xmlChar *)"svg") && xmlStrcmp(n->name, (const xmlChar *)"rect") &&
		    xmlStrcmp(n->name, (const xmlChar *)"path"))
			bad++;
		for (a = n->properties; a; a = a->next)
			if (xmlStrncasecmp(a->name, (const xmlChar *)"on", 2) == 0 || xmlStrcasestr(a->name, (const xmlChar *)"href"))
				bad++;
		bad += foreign(n->children);
	}
	return bad;
}

static void
test_well_formed_and_inert(void)
{
	char *svg = render(uri);
	xmlDocPtr doc;
	xmlNodePtr root;

	CU_ASSERT_FATAL(svg != NULL);
	doc = xmlReadMemory(svg, (int)strlen(svg), "qr.svg", NULL, XML_PARSE_NONET);
	CU_ASSERT_FATAL(doc != NULL);
	root = xmlDocGetRootElement(doc);
	CU_ASSERT_STRING_EQUAL((const char *)root->name, "svg");
	CU_ASSERT_FATAL(root->ns != NULL);
	CU_ASSERT_STRING_EQUAL((const char *)root->ns->href, "http://www.w3.org/2000/svg");
	CU_ASSERT_EQUAL(foreign(root), 0);
	CU_ASSERT_PTR_NULL(strstr(svg, "script"));
	CU_ASSERT_PTR_NULL(strstr(svg, "JBSWY3DP"));	/* the secret is in the picture, never in the text */
	xmlFreeDoc(doc);
	free(svg);
}

static void
test_limits(void)
{
	char *big = malloc(QRSVG_TEXT_MAX + 2);
	or_buf small;

	CU_ASSERT_PTR_NULL(render(""));
	CU_ASSERT_PTR_NULL(render(NULL));
	CU_ASSERT_FATAL(big != NULL);
	memset(big, 'a', QRSVG_TEXT_MAX + 1);
	big[QRSVG_TEXT_MAX + 1] = '\0';
	CU_ASSERT_PTR_NULL(render(big));
	big[QRSVG_TEXT_MAX] = '\0';
	free(render(big));		/* the longest text still renders (or fails cleanly) */
	free(big);
	/* A buffer too small for the picture fails with OR_ERR_LIMIT, not a truncated SVG. */
	buf_init(&small, 512);
	CU_ASSERT_EQUAL(qrsvg_render(uri, &small), OR_ERR_LIMIT);
	buf_free(&small);
}

static const unit_test tests[] = {
	{ "modules match the encoder, with the quiet zone", test_modules_match_the_encoder },
	{ "well-formed SVG with nothing active in it", test_well_formed_and_inert },
	{ "empty, too long, and a full buffer", test_limits },
	{ NULL, NULL }
};
UNIT_MAIN("qrsvg", tests)
