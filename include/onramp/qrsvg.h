/*
 * QR codes as SVG, for the otpauth:// link of TOTP enrollment: the operator
 * console shows the picture beside the link so a phone can scan it.  Pure:
 * text in, SVG text out (libqrencode does the encoding); the SVG is only
 * rects and one path, with no script, style, link or text of the input.
 */
#ifndef ONRAMP_QRSVG_H
#define ONRAMP_QRSVG_H

#include <stddef.h>
#include "onramp/status.h"
#include "onramp/str.h"

/** Light modules around the symbol, as ISO/IEC 18004 asks (the quiet zone). */
#define QRSVG_QUIET_ZONE 4
/** Longest text encoded (bytes): an otpauth URI is far shorter. */
#define QRSVG_TEXT_MAX 1024
/** Largest SVG produced (bytes); a 1024-byte text (version 24 at level M) needs far less. */
#define QRSVG_MAX_BYTES (256u * 1024u)
/** Pixels per module in the width and height the SVG asks for. */
#define QRSVG_MODULE_PX 4

/**
 * Encode text (8-bit, error correction level M) and write the SVG into out
 * (initialised by the caller, at least QRSVG_MAX_BYTES as its max).  The
 * viewBox is the symbol's width plus the quiet zone on each side, one unit
 * per module.  OR_ERR_INVALID for empty text, OR_ERR_LIMIT when too long,
 * OR_ERR_NOMEM when the encoder fails.
 */
or_status qrsvg_render(const char *text, or_buf *out);

#endif
