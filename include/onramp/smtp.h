/*
 * Delivering one composed message over SMTP with libcurl (the field's
 * standard client: TLS via smtps:// or STARTTLS, AUTH, timeouts).
 */
#ifndef ONRAMP_SMTP_H
#define ONRAMP_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include "onramp/config.h"
#include "onramp/status.h"

/** Outcome of one delivery attempt. */
typedef struct smtp_result {
	bool ok;
	bool permanent;		/* the server refused for good (5xx): do not retry */
	long code;		/* last SMTP reply code, 0 when none */
	char error[256];	/* human text for last_error (no message content) */
} smtp_result;

/** Global libcurl set-up; call once at start. */
or_status smtp_global_init(void);
/** Send msg (RFC 5322 text, len bytes) from from_addr to to_addr. */
void smtp_send(const config *cfg, const char *from_addr, const char *to_addr, const char *msg, size_t len,
	       smtp_result *res);

#endif
