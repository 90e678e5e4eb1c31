/*
 * The text of the mails onramp sends: plain text and HTML bodies built from
 * fixed templates and escaped values.  Pure: callers queue the result in the
 * outbox.
 */
#ifndef ONRAMP_MAILTEXT_H
#define ONRAMP_MAILTEXT_H

#include <stdint.h>
#include "onramp/arena.h"
#include "onramp/str.h"
#include "onramp/status.h"

/** A composed mail. */
typedef struct mailtext {
	const char *subject;
	const char *text;
	const char *html;
} mailtext;

/** "Reset your password": link = base_url + "/reset-password#token=" + token. */
or_status mailtext_password_reset(arena *a, const char *base_url, const char *token, int ttl_minutes,
				  mailtext *out);
/**
 * Compose an RFC 5322 message (multipart/alternative: text then HTML, UTF-8,
 * CRLF line ends) into out.  date is UNIX seconds; boundary and message id
 * come from random bytes.  Header values must not hold CR or LF
 * (OR_ERR_INVALID), so no header can be injected.
 */
or_status mailtext_compose(const char *from, const char *to, const char *subject, const char *text,
			   const char *html, int64_t date, const char *msgid_domain, or_buf *out);
/** Extract the bare address from "Name <addr>" or "addr" into out. */
or_status mailtext_address(const char *from, char *out, size_t outsz);

/** Append s to the arena-built string with &, <, >, " and ' escaped for HTML. */
char *mailtext_html_escape(arena *a, const char *s);

#endif
