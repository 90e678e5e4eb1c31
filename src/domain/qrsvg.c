/*
 * QR code to SVG (see include/onramp/qrsvg.h).  Each row's runs of dark
 * modules become one rectangle in a single path, so a typical otpauth URI
 * (version 5 to 7) gives a few kilobytes; the only text in the output is
 * numbers we print, never the encoded input.
 */
#include <errno.h>
#include <string.h>

#include <qrencode.h>

#include "onramp/qrsvg.h"

/* libqrencode marks a dark module with the lowest bit of its byte. */
static int
dark(const QRcode *q, int x, int y)
{
	return q->data[y * q->width + x] & 1;
}

static or_status
append_runs(const QRcode *q, or_buf *out)
{
	or_status st = OR_OK;
	int x, y;

	for (y = 0; y < q->width && st == OR_OK; y++) {
		for (x = 0; x < q->width && st == OR_OK; x++) {
			int run = 0;
			if (!dark(q, x, y) || (x > 0 && dark(q, x - 1, y)))
				continue;
			while (x + run < q->width && dark(q, x + run, y))
				run++;
			st = buf_appendf(out, "M%d %dh%dv1h-%dz", x + QRSVG_QUIET_ZONE, y + QRSVG_QUIET_ZONE, run, run);
		}
	}
	return st;
}

or_status
qrsvg_render(const char *text, or_buf *out)
{
	size_t n = text ? strlen(text) : 0;
	QRcode *q;
	or_status st;
	int side;

	if (n == 0)
		return OR_ERR_INVALID;
	if (n > QRSVG_TEXT_MAX)
		return OR_ERR_LIMIT;
	q = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
	if (q == NULL)
		return errno == ERANGE ? OR_ERR_LIMIT : OR_ERR_NOMEM;
	side = q->width + 2 * QRSVG_QUIET_ZONE;
	st = buf_appendf(out,
			 "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
			 "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
			 "<path fill=\"#000\" d=\"",
			 side, side, side * QRSVG_MODULE_PX, side * QRSVG_MODULE_PX, side, side);
	if (st == OR_OK)
		st = append_runs(q, out);
	if (st == OR_OK)
		st = buf_append_c(out, "\"/></svg>");
	QRcode_free(q);
	return st;
}
