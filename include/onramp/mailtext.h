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
/** The forgot-password answer for a member whose company requires SSO: no link, "sign in with SSO" at base_url. */
or_status mailtext_password_reset_sso(arena *a, const char *base_url, mailtext *out);
/**
 * The forgot-password answer for a suspended or removed account (state
 * "suspended" or "deactivated"): no link, contact the admin (admin_name and
 * admin_email may be NULL when none is known).
 */
or_status mailtext_account_state(arena *a, const char *base_url, const char *state, const char *admin_name,
				 const char *admin_email, mailtext *out);
/**
 * "You are invited to <customer> on onramp": link = base_url + "/invite#token="
 * + token; role_name is shown as a role explanation; inviter may be NULL.
 */
or_status mailtext_invite(arena *a, const char *base_url, const char *token, const char *customer_name,
			  const char *role, const char *inviter, int ttl_days, mailtext *out);

/**
 * "Set up single sign-on for <customer>": link = base_url + "/sso-setup.html#token="
 * + token, valid for hours; sender (the admin who made the link) may be NULL.
 */
or_status mailtext_sso_setup_link(arena *a, const char *base_url, const char *token, const char *customer_name,
				  const char *sender, int hours, mailtext *out);

/** What a support request mail tells the support address. */
typedef struct mailtext_support {
	int64_t id;
	const char *customer_name;
	const char *requested_by;
	const char *item_title;
	const char *visible_message;
	const char *last_action;
	const char *last_action_at;	/* RFC 3339 */
	const char *message;		/* the customer's own text, already secret-scanned */
} mailtext_support;

/** "Support request #N from <customer>": every value HTML-escaped in the HTML part. */
or_status mailtext_support_request(arena *a, const mailtext_support *r, mailtext *out);
/**
 * An audit action code (e.g. "workspace.create_refused") as a sentence a
 * customer reads; unknown or NULL codes get a generic sentence, never the code.
 */
const char *mailtext_action_sentence(const char *action);

/**
 * Compose an RFC 5322 message (multipart/alternative: text then HTML, UTF-8,
 * CRLF line ends) into out.  date is UNIX seconds; the boundary comes from
 * random bytes, the Message-ID is <msgid_local@msgid_domain> (msgid_local
 * NULL: random bytes; the mailer passes one stable per outbox row, so every
 * send of a row carries the same id).  Header values must not hold CR or LF
 * (OR_ERR_INVALID), so no header can be injected.
 */
or_status mailtext_compose(const char *from, const char *to, const char *subject, const char *text,
			   const char *html, int64_t date, const char *msgid_local, const char *msgid_domain,
			   or_buf *out);
/** Extract the bare address from "Name <addr>" or "addr" into out. */
or_status mailtext_address(const char *from, char *out, size_t outsz);

/** Append s to the arena-built string with &, <, >, " and ' escaped for HTML. */
char *mailtext_html_escape(arena *a, const char *s);

#endif
