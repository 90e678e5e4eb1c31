/*
 * Identity rules (see include/onramp/identity.h): derived status, seats, role
 * names, username and email shapes.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "onramp/choices.h"
#include "onramp/identity.h"
#include "onramp/str.h"

user_status
identity_user_status(const user *u, int64_t now)
{
	if (u->deactivated_at)
		return USER_DEACTIVATED;
	if (u->suspended)
		return USER_SUSPENDED;
	if (u->last_seen_at == 0 || u->last_seen_at < now - IDENTITY_DORMANT_AFTER_S)
		return USER_DORMANT;
	return USER_ACTIVE;
}

bool
identity_holds_seat(const user *u, int64_t now)
{
	return identity_user_status(u, now) == USER_ACTIVE;
}

long
identity_seats_over_by(seat_count s)
{
	return s.used > s.limit ? s.used - s.limit : 0;
}

bool
identity_seats_allow(seat_count s, bool takes_seat)
{
	return takes_seat ? s.used < s.limit : s.used <= s.limit;
}

void
identity_seats_refusal(seat_count s, char *buf, size_t size)
{
	if (s.used > s.limit)
		snprintf(buf, size, "This customer is over its seat limit (%ld of %ld seats in use); the seat limit is %ld. "
			 "Suspend users until it is within the limit, or ask an operator to raise it.", s.used, s.limit, s.limit);
	else
		snprintf(buf, size, "Every licensed seat of this customer is in use (%ld of %ld); the seat limit is %ld. "
			 "An operator can raise it.", s.used, s.limit, s.limit);
}

const char *
identity_status_name(user_status s)
{
	switch (s) {
	case USER_ACTIVE: return "active";
	case USER_DORMANT: return "dormant";
	case USER_SUSPENDED: return "suspended";
	case USER_DEACTIVATED: return "deactivated";
	}
	return "unknown";
}

const char *
identity_role_name(user_role r)
{
	return choices_roles[r == ROLE_CUSTOMER_ADMIN ? ROLE_CUSTOMER_ADMIN : ROLE_CUSTOMER_MEMBER];
}

or_status
identity_role_parse(const char *s, user_role *out)
{
	int i = choices_index(choices_roles, s);	/* in the order of user_role */

	if (i < 0)
		return OR_ERR_INVALID;
	*out = (user_role)i;
	return OR_OK;
}

const char *
identity_operator_role_name(operator_role r)
{
	return (unsigned)r <= OPROLE_AUDITOR ? choices_operator_roles[r] : choices_operator_roles[OPROLE_OPERATOR];
}

or_status
identity_operator_role_parse(const char *s, operator_role *out)
{
	int i = choices_index(choices_operator_roles, s);	/* in the order of operator_role */

	if (i < 0)
		return OR_ERR_INVALID;
	*out = (operator_role)i;
	return OR_OK;
}

bool
identity_username_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > IDENTITY_USERNAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

bool
identity_slug_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > IDENTITY_SLUG_MAX || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

static bool domain_ok(const char *d, size_t n);

bool
identity_domain_ok(const char *d)
{
	return domain_ok(d, strlen(d));
}

static bool
domain_ok(const char *d, size_t n)
{
	size_t i, label = 0, dots = 0;

	if (n == 0 || d[0] == '.' || d[n - 1] == '.')
		return false;
	for (i = 0; i < n; i++) {
		char c = d[i];
		if (c == '.') {
			if (label == 0 || d[i - 1] == '-')
				return false;
			label = 0;
			dots++;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
		if (c == '-' && label == 0)
			return false;
		if (++label > 63)
			return false;
	}
	return dots > 0 && d[n - 1] != '-';
}

or_status
identity_email_normalize(const char *in, char *out, size_t outsz)
{
	const char *start = in, *end, *at;
	size_t n, i, local;

	while (*start == ' ' || *start == '\t')
		start++;
	end = start + strlen(start);
	while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	n = (size_t)(end - start);
	if (n == 0 || n > IDENTITY_EMAIL_MAX || n >= outsz)
		return OR_ERR_INVALID;
	at = memchr(start, '@', n);
	if (at == NULL || memchr(at + 1, '@', (size_t)(end - at - 1)) != NULL)
		return OR_ERR_INVALID;
	local = (size_t)(at - start);
	if (local == 0 || local > 64)
		return OR_ERR_INVALID;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)start[i];
		if (c <= 0x20 || c == 0x7f || c == '"' || c == '(' || c == ')' || c == ',' || c == ':' ||
		    c == ';' || c == '<' || c == '>' || c == '[' || c == ']' || c == '\\')
			return OR_ERR_INVALID;
		out[i] = (char)tolower(c);
	}
	out[n] = '\0';
	if (!domain_ok(out + local + 1, n - local - 1) || out[0] == '.' || out[local - 1] == '.' ||
	    strstr(out, "..") != NULL)
		return OR_ERR_INVALID;
	return OR_OK;
}

/*
 * Only printable ASCII is lower-cased and kept: the database compares logins
 * under a collation that skips control characters and folds case and accents,
 * so anything it would treat as "the same" must be refused here rather than
 * sent (it would also reach an account under a throttle key of its own).
 */
or_status
identity_login_normalize(const char *in, char *out, size_t outsz)
{
	char email[IDENTITY_EMAIL_MAX + 1];
	size_t i, n = strlen(in);

	if (n == 0 || n > IDENTITY_EMAIL_MAX || n >= outsz)
		return OR_ERR_INVALID;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c <= 0x20 || c >= 0x7f)
			return OR_ERR_INVALID;
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	out[n] = '\0';
	if (identity_username_ok(out))
		return OR_OK;
	if (identity_email_normalize(out, email, sizeof(email)) == OR_OK && strcmp(email, out) == 0)
		return OR_OK;
	return OR_ERR_INVALID;
}
