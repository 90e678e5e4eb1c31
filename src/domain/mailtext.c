/*
 * Mail templates.  Values are escaped for HTML; the links carry their token
 * in the URL fragment, so it never reaches a server log when clicked.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "onramp/mailtext.h"
#include "onramp/secret.h"
#include "onramp/timefmt.h"
#include "onramp/str.h"

char *
mailtext_html_escape(arena *a, const char *s)
{
	size_t n = strlen(s), i, j = 0;
	char *out = arena_alloc(a, n * 6 + 1);

	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		const char *rep = NULL;
		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: break;
		}
		if (rep) {
			memcpy(out + j, rep, strlen(rep));
			j += strlen(rep);
		} else {
			out[j++] = s[i];
		}
	}
	out[j] = '\0';
	return out;
}

static char *
render(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static char *
render(arena *a, const char *fmt, ...)
{
	or_buf b;
	va_list ap;
	or_status st;
	char *out = NULL;

	buf_init(&b, 64 * 1024);
	va_start(ap, fmt);
	st = buf_vappendf(&b, fmt, ap);
	va_end(ap);
	if (st == OR_OK)
		out = arena_strndup(a, b.data, b.len);
	buf_free(&b);
	return out;
}

or_status
mailtext_password_reset(arena *a, const char *base_url, const char *token, int ttl_minutes, mailtext *out)
{
	char *link = render(a, "%s/reset-password#token=%s", base_url, token);
	char *hlink = link ? mailtext_html_escape(a, link) : NULL;

	if (hlink == NULL)
		return OR_ERR_NOMEM;
	out->subject = "Reset your onramp password";
	out->text = render(a,
		"Someone asked to reset the password of your onramp account.\n\n"
		"To choose a new password, open this link within %d minutes:\n\n%s\n\n"
		"The link works once. If you did not ask for this, ignore this mail: your password stays as it is.\n",
		ttl_minutes, link);
	out->html = render(a,
		"<!doctype html><html><body style=\"font-family:sans-serif\">"
		"<p>Someone asked to reset the password of your onramp account.</p>"
		"<p>To choose a new password, open this link within %d minutes:</p>"
		"<p><a href=\"%s\">Choose a new password</a></p>"
		"<p>The link works once. If you did not ask for this, ignore this mail: your password stays as it is.</p>"
		"</body></html>\n",
		ttl_minutes, hlink);
	return out->text && out->html ? OR_OK : OR_ERR_NOMEM;
}

or_status
mailtext_password_reset_sso(arena *a, const char *base_url, mailtext *out)
{
	char *link = render(a, "%s/", base_url);
	char *hlink = link ? mailtext_html_escape(a, link) : NULL;

	if (hlink == NULL)
		return OR_ERR_NOMEM;
	out->subject = "Sign in to onramp with single sign-on";
	out->text = render(a,
		"Someone asked to reset the password of your onramp account.\n\n"
		"Your company signs in to onramp with single sign-on, so there is no password to reset: open\n\n%s\n\n"
		"and choose \"Sign in with single sign-on\" with your work email. If you did not ask for this, ignore "
		"this mail.\n", link);
	out->html = render(a,
		"<!doctype html><html><body style=\"font-family:sans-serif\">"
		"<p>Someone asked to reset the password of your onramp account.</p>"
		"<p>Your company signs in to onramp with single sign-on, so there is no password to reset: open "
		"<a href=\"%s\">onramp</a> and choose \"Sign in with single sign-on\" with your work email.</p>"
		"<p>If you did not ask for this, ignore this mail.</p></body></html>\n", hlink);
	return out->text && out->html ? OR_OK : OR_ERR_NOMEM;
}

/* ", Alice Admin (alice@example.com)," or "" when no admin is known. */
static char *
contact_phrase(arena *a, const char *name, const char *email)
{
	return name && email ? render(a, ", %.200s (%.254s),", name, email) : arena_strdup(a, "");
}

or_status
mailtext_account_state(arena *a, const char *base_url, const char *state, const char *admin_name,
		       const char *admin_email, mailtext *out)
{
	bool removed = strcmp(state, "deactivated") == 0;
	const char *what = removed ? "has been removed" : "is suspended";
	const char *next = removed ? "if you need it back" : "to have it reactivated";
	char *who = contact_phrase(a, admin_name, admin_email), *hwho = who ? mailtext_html_escape(a, who) : NULL;
	char *hbase = mailtext_html_escape(a, base_url);

	if (hwho == NULL || hbase == NULL)
		return OR_ERR_NOMEM;
	/* No reset link: a new password would not let a suspended or removed account in. */
	out->subject = removed ? "Your onramp account has been removed" : "Your onramp account is suspended";
	out->text = render(a,
		"Someone asked to reset the password of your onramp account at %s.\n\n"
		"Your account %s, so a new password would not let you sign in. Contact your organisation's admin%s "
		"%s. If you did not ask for this, ignore this mail.\n", base_url, what, who, next);
	out->html = render(a,
		"<!doctype html><html><body style=\"font-family:sans-serif\">"
		"<p>Someone asked to reset the password of your onramp account at %s.</p>"
		"<p>Your account %s, so a new password would not let you sign in. Contact your organisation's admin%s "
		"%s.</p><p>If you did not ask for this, ignore this mail.</p></body></html>\n", hbase, what, hwho, next);
	return out->text && out->html ? OR_OK : OR_ERR_NOMEM;
}

or_status
mailtext_invite(arena *a, const char *base_url, const char *token, const char *customer_name, const char *role,
		const char *inviter, int ttl_days, mailtext *out)
{
	bool admin = strcmp(role, "customer_admin") == 0;
	const char *what = admin ? "a customer admin: you can manage account setup, invites and usage"
				 : "a member: you can use the workspaces your organisation sets up";
	const char *name = customer_name && !strpbrk(customer_name, "\r\n") ? customer_name : "your organisation";
	char *link = render(a, "%s/invite#token=%s", base_url, token);
	char *hlink = link ? mailtext_html_escape(a, link) : NULL, *hname = mailtext_html_escape(a, name);
	char *hinv = inviter ? mailtext_html_escape(a, inviter) : NULL;

	if (hlink == NULL || hname == NULL || (inviter && hinv == NULL))
		return OR_ERR_NOMEM;
	out->subject = render(a, "You are invited to %.100s on onramp", name);
	out->text = render(a,
		"%s%s invited you to join %s on onramp as %s.\n\n"
		"To accept, open this link within %d days:\n\n%s\n\n"
		"The link works once. If you did not expect this invitation, ignore this mail.\n",
		inviter ? inviter : "Someone", inviter ? "" : "", name, what, ttl_days, link);
	out->html = render(a,
		"<!doctype html><html><body style=\"font-family:sans-serif\">"
		"<p>%s invited you to join <strong>%s</strong> on onramp as %s.</p>"
		"<p>To accept, open this link within %d days:</p>"
		"<p><a href=\"%s\">Accept the invitation</a></p>"
		"<p>The link works once. If you did not expect this invitation, ignore this mail.</p>"
		"</body></html>\n",
		hinv ? hinv : "Someone", hname, what, ttl_days, hlink);
	return out->subject && out->text && out->html ? OR_OK : OR_ERR_NOMEM;
}

or_status
mailtext_sso_setup_link(arena *a, const char *base_url, const char *token, const char *customer_name,
			const char *sender, int hours, mailtext *out)
{
	const char *name = customer_name && !strpbrk(customer_name, "\r\n") ? customer_name : "your organisation";
	const char *who = sender ? sender : "An admin";
	char *link = render(a, "%s/sso-setup.html#token=%s", base_url, token);
	char *hlink = link ? mailtext_html_escape(a, link) : NULL, *hname = mailtext_html_escape(a, name);
	char *hwho = mailtext_html_escape(a, who);

	if (hlink == NULL || hname == NULL || hwho == NULL)
		return OR_ERR_NOMEM;
	out->subject = render(a, "Set up single sign-on for %.100s on onramp", name);
	out->text = render(a,
		"%s of %s asked you to set up single sign-on for their onramp account.\n\n"
		"This link opens the single sign-on settings of %s only, without an account, for %d hours:\n\n%s\n\n"
		"There you see what to register at your identity provider, enter its details and the client secret, "
		"and run a test sign-in. Do not forward this mail: whoever holds the link can change these settings.\n",
		who, name, name, hours, link);
	out->html = render(a,
		"<!doctype html><html><body style=\"font-family:sans-serif\">"
		"<p>%s of <strong>%s</strong> asked you to set up single sign-on for their onramp account.</p>"
		"<p>This link opens the single sign-on settings of %s only, without an account, for %d hours:</p>"
		"<p><a href=\"%s\">Open the single sign-on setup</a></p>"
		"<p>There you see what to register at your identity provider, enter its details and the client secret, "
		"and run a test sign-in. Do not forward this mail: whoever holds the link can change these settings.</p>"
		"</body></html>\n",
		hwho, hname, hname, hours, hlink);
	return out->subject && out->text && out->html ? OR_OK : OR_ERR_NOMEM;
}

/*
 * What the customer's last recorded action means, in their words: the support
 * summary shows it, and the codes are the audit trail's, not theirs.  The one
 * table of these sentences; a code missing here gets ACTION_UNKNOWN.
 */
static const struct {
	const char *code, *sentence;
} ACTION_SENTENCES[] = {
	{ "account.update", "Your company details were saved." },
	{ "customer.create", "Your organisation's account was created." },
	{ "customer.update", "We updated your organisation's account." },
	{ "customer.billing", "We updated the billing review." },
	{ "customer.workspace_target", "We updated the workspace target review." },
	{ "customer.provider_setup", "We updated the AI provider setup review." },
	{ "customer.blockers", "We changed what blocks your setup." },
	{ "customer.internal_notes", "We updated our notes on your account." },
	{ "review.decide", "We decided on one of your reviews." },
	{ "invite.create", "An invite was sent." },
	{ "invite.resend", "An invite was sent again." },
	{ "invite.revoke", "An invite was revoked." },
	{ "invite.accept", "Someone accepted an invite and joined." },
	{ "user.create", "A member account was created." },
	{ "user.sign_in", "Someone signed in." },
	{ "user.sign_in_refused", "A sign-in was refused." },
	{ "user.suspend", "A member was suspended." },
	{ "user.activate", "A member was activated again." },
	{ "user.deactivate", "A member was removed." },
	{ "user.role_change", "A member's role was changed." },
	{ "user.password_change", "Someone changed their password." },
	{ "user.password_reset", "Someone chose a new password with a reset link." },
	{ "user.password_reset_by_admin", "An admin reset a member's password." },
	{ "user.password_reset_requested", "Someone asked for a password reset link." },
	{ "user.reset_link_created", "A password reset link was created." },
	{ "seats.over_limit", "Your organisation went over its seat limit." },
	{ "sso.update", "The single sign-on details were saved." },
	{ "sso.validation_requested", "The single sign-on details were sent for checking." },
	{ "sso.validated", "The single sign-on details were checked." },
	{ "sso.validation_failed", "Checking the single sign-on details failed." },
	{ "sso.submit", "Single sign-on was submitted for review." },
	{ "sso.secret_set", "The single sign-on client secret was stored." },
	{ "sso.secret_removed", "The single sign-on client secret was removed." },
	{ "sso.test_started", "A test sign-in with single sign-on was started." },
	{ "sso.test_finished", "A test sign-in with single sign-on finished." },
	{ "sso.activate", "Single sign-on was turned on." },
	{ "sso.deactivate", "Single sign-on was turned off." },
	{ "sso.require", "The single sign-on requirement for members was changed." },
	{ "sso_setup_link.create", "A single sign-on setup link was sent." },
	{ "sso_setup_link.redeem", "A single sign-on setup link was opened." },
	{ "sso_setup_link.revoke", "A single sign-on setup link was revoked." },
	{ "support.request", "Someone asked support for help." },
	{ "workspace.create_requested", "A workspace was requested." },
	{ "workspace.create_refused", "Creating a workspace was refused: setup is not finished." },
};

#define ACTION_UNKNOWN "Something changed in your account setup."

const char *
mailtext_action_sentence(const char *action)
{
	size_t i;

	for (i = 0; action && i < sizeof(ACTION_SENTENCES) / sizeof(ACTION_SENTENCES[0]); i++)
		if (strcmp(ACTION_SENTENCES[i].code, action) == 0)
			return ACTION_SENTENCES[i].sentence;
	return ACTION_UNKNOWN;
}

static const char *
or_dash(const char *s)
{
	return s && *s ? s : "-";
}

or_status
mailtext_support_request(arena *a, const mailtext_support *r, mailtext *out)
{
	const char *name = or_dash(r->customer_name), *item = or_dash(r->item_title), *vis = or_dash(r->visible_message);
	const char *act = or_dash(r->last_action), *at = or_dash(r->last_action_at), *msg = or_dash(r->message);
	const char *user = or_dash(r->requested_by);
	char *h[7];

	h[0] = mailtext_html_escape(a, name);
	h[1] = mailtext_html_escape(a, item);
	h[2] = mailtext_html_escape(a, vis);
	h[3] = mailtext_html_escape(a, act);
	h[4] = mailtext_html_escape(a, at);
	h[5] = mailtext_html_escape(a, msg);
	h[6] = mailtext_html_escape(a, user);
	if (!h[0] || !h[1] || !h[2] || !h[3] || !h[4] || !h[5] || !h[6])
		return OR_ERR_NOMEM;
	/* The subject is a header: keep CR and LF of a stored name out of it. */
	out->subject = render(a, "Support request #%lld from %.100s", (long long)r->id,
			      strpbrk(name, "\r\n") ? "a customer" : name);
	out->text = render(a,
		"A customer asked for help with account setup.\n\n"
		"Customer: %s\nRequested by: %s\nChecklist item: %s\nWhat the customer sees: %s\n"
		"Last action: %s at %s\n\nTheir message:\n%s\n",
		name, user, item, vis, act, at, msg);
	out->html = render(a,
		"<!doctype html><html><body style=\"font-family:sans-serif\">"
		"<p>A customer asked for help with account setup.</p><table>"
		"<tr><th align=left>Customer</th><td>%s</td></tr><tr><th align=left>Requested by</th><td>%s</td></tr>"
		"<tr><th align=left>Checklist item</th><td>%s</td></tr>"
		"<tr><th align=left>What the customer sees</th><td>%s</td></tr>"
		"<tr><th align=left>Last action</th><td>%s at %s</td></tr></table>"
		"<p>Their message:</p><pre>%s</pre></body></html>\n",
		h[0], h[6], h[1], h[2], h[3], h[4], h[5]);
	return out->subject && out->text && out->html ? OR_OK : OR_ERR_NOMEM;
}

static bool
header_safe(const char *s)
{
	return strpbrk(s, "\r\n") == NULL;
}

/* Normalise a body to CRLF line ends. */
static or_status
append_crlf(or_buf *out, const char *body)
{
	or_status st = OR_OK;
	const char *p;

	for (p = body; *p && st == OR_OK; p++) {
		if (*p == '\r')
			continue;
		st = *p == '\n' ? buf_append(out, "\r\n", 2) : buf_putc(out, *p);
	}
	if (st == OR_OK && out->len >= 2 && memcmp(out->data + out->len - 2, "\r\n", 2) != 0)
		st = buf_append(out, "\r\n", 2);
	return st;
}

static void
rfc5322_date(int64_t t, char out[40])
{
	static const char *const days[] = { "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	char iso[TIMEFMT_RFC3339_LEN];
	int64_t days_since = t / 86400;
	unsigned y, mo, d, h, mi, s;

	timefmt_rfc3339(t, iso);
	y = (unsigned)((iso[0] - '0') * 1000 + (iso[1] - '0') * 100 + (iso[2] - '0') * 10 + (iso[3] - '0'));
	mo = (unsigned)((iso[5] - '0') * 10 + (iso[6] - '0'));
	d = (unsigned)((iso[8] - '0') * 10 + (iso[9] - '0'));
	h = (unsigned)((iso[11] - '0') * 10 + (iso[12] - '0'));
	mi = (unsigned)((iso[14] - '0') * 10 + (iso[15] - '0'));
	s = (unsigned)((iso[17] - '0') * 10 + (iso[18] - '0'));
	if (snprintf(out, 40, "%s, %02u %s %04u %02u:%02u:%02u +0000", days[days_since % 7], d,
		     months[(mo - 1) % 12], y, h, mi, s) < 0)
		out[0] = '\0';
}

or_status
mailtext_address(const char *from, char *out, size_t outsz)
{
	const char *lt = strchr(from, '<'), *gt;
	size_t n;

	if (lt == NULL)
		return str_copy(out, outsz, from) ? OR_OK : OR_ERR_LIMIT;
	gt = strchr(lt, '>');
	if (gt == NULL)
		return OR_ERR_INVALID;
	n = (size_t)(gt - lt - 1);
	if (n == 0 || n >= outsz)
		return OR_ERR_INVALID;
	memcpy(out, lt + 1, n);
	out[n] = '\0';
	return OR_OK;
}

or_status
mailtext_compose(const char *from, const char *to, const char *subject, const char *text, const char *html,
		 int64_t date, const char *msgid_local, const char *msgid_domain, or_buf *out)
{
	unsigned char rnd[16];
	char boundary[40], msgid[40], when[40];
	or_status st;
	size_t i;

	if (!header_safe(from) || !header_safe(to) || !header_safe(subject) || !header_safe(msgid_domain) ||
	    (msgid_local && !header_safe(msgid_local)))
		return OR_ERR_INVALID;
	if ((st = secret_random(rnd, sizeof(rnd))) != OR_OK)
		return st;
	for (i = 0; i < 16; i++) {
		static const char hex[] = "0123456789abcdef";
		boundary[2 * i] = hex[rnd[i] >> 4];
		boundary[2 * i + 1] = hex[rnd[i] & 15];
	}
	boundary[32] = '\0';
	memcpy(msgid, boundary, 33);
	rfc5322_date(date, when);
	st = buf_appendf(out,
		"From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@%s>\r\n"
		"MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"=_%s\"\r\n\r\n"
		"--=_%s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
		from, to, subject, when, msgid_local ? msgid_local : msgid, msgid_domain, boundary, boundary);
	if (st == OR_OK)
		st = append_crlf(out, text);
	if (st == OR_OK)
		st = buf_appendf(out, "--=_%s\r\nContent-Type: text/html; charset=utf-8\r\n"
				 "Content-Transfer-Encoding: 8bit\r\n\r\n", boundary);
	if (st == OR_OK)
		st = append_crlf(out, html);
	if (st == OR_OK)
		st = buf_appendf(out, "--=_%s--\r\n", boundary);
	return st;
}
