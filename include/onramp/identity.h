/*
 * Identity rules with no I/O: users and operators as the rest of the program
 * sees them, how a user's status is derived (dormant is never stored), and
 * the shapes of usernames and email addresses.  Time is a parameter.
 */
#ifndef ONRAMP_IDENTITY_H
#define ONRAMP_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "onramp/status.h"

/** A user not seen for this long is dormant (API.md: 90 days). */
#define IDENTITY_DORMANT_AFTER_S (90 * 86400)
#define IDENTITY_USERNAME_MAX 64
#define IDENTITY_EMAIL_MAX 254
#define IDENTITY_DISPLAY_NAME_MAX 200

/** Customer roles. */
typedef enum user_role { ROLE_CUSTOMER_ADMIN = 0, ROLE_CUSTOMER_MEMBER } user_role;
/** Derived user statuses of API.md. */
typedef enum user_status { USER_ACTIVE = 0, USER_DORMANT, USER_SUSPENDED, USER_DEACTIVATED } user_status;
/** Operator roles. */
typedef enum operator_role { OPROLE_OPERATOR = 0, OPROLE_ADMIN, OPROLE_AUDITOR } operator_role;

/** A customer's user as loaded from the store (strings in the request arena). */
typedef struct user {
	int64_t id;
	int64_t customer_id;
	const char *customer_slug;
	const char *username;
	const char *email;
	const char *display_name;	/* NULL when unset */
	user_role role;
	bool suspended;
	const char *login_type;
	bool must_change_password;
	bool has_password;
	int64_t last_seen_at;		/* UNIX seconds, 0 = never */
	int64_t created_at;
	int64_t updated_at;
	int64_t deactivated_at;		/* 0 = not deactivated */
	int64_t version;
	int64_t facts_version;		/* the customer's checklist facts version; read by the session lookup only */
} user;

/** An operator as loaded from the store. */
typedef struct operator_account {
	int64_t id;
	const char *username;
	const char *email;
	const char *display_name;
	operator_role role;
	bool totp_enabled;
	bool must_change_password;
	int64_t last_seen_at;
	int64_t created_at;
	int64_t deactivated_at;
} operator_account;

/** The status of u at time now (seconds). */
user_status identity_user_status(const user *u, int64_t now);
/** True when the user occupies a licensed seat (active only). */
bool identity_holds_seat(const user *u, int64_t now);
/** A customer's licensed seats at one moment: users holding a seat, and the limit. */
typedef struct seat_count {
	long used;
	long limit;
} seat_count;
/** How many seats over the limit the customer is (0 when within it). */
long identity_seats_over_by(seat_count s);
/**
 * The one seat rule: a change that makes a user hold a seat needs a free one;
 * any other change that adds or restores users needs the customer not to be
 * over its limit.  Signing in is not such a change (it is never refused).
 */
bool identity_seats_allow(seat_count s, bool takes_seat);
/** The sentence that refuses such a change, naming the seats in use and the limit. */
void identity_seats_refusal(seat_count s, char *buf, size_t size);
/** "active", "dormant", "suspended", "deactivated". */
const char *identity_status_name(user_status s);
/** "customer_admin" / "customer_member". */
const char *identity_role_name(user_role r);
/** Parse a role name; OR_ERR_INVALID for anything else. */
or_status identity_role_parse(const char *s, user_role *out);
/** "operator" / "operator_admin" / "auditor". */
const char *identity_operator_role_name(operator_role r);
/** Parse an operator role name. */
or_status identity_operator_role_parse(const char *s, operator_role *out);

/** True for 1..64 characters of [a-z0-9._-]. */
bool identity_username_ok(const char *s);
/** A lower-case DNS name with at least one dot (labels of a-z, 0-9, '-'). */
bool identity_domain_ok(const char *d);
/** Longest slug (customer slugs, workspace names). */
#define IDENTITY_SLUG_MAX 63
/** A slug: 1 to 63 of a-z, 0-9 and '-', not starting or ending with '-'. */
bool identity_slug_ok(const char *s);
/**
 * Normalise an email address (trim, lower-case) into out and check its shape:
 * one '@', a non-empty local part of at most 64 bytes without spaces or
 * control characters, a domain of dot-separated labels of [a-z0-9-], not
 * starting or ending with '-', with at least one dot, at most 254 bytes in all.
 */
or_status identity_email_normalize(const char *in, char *out, size_t outsz);
/**
 * The login sign-in looks up: in ASCII-lower-cased into out, OR_OK only when
 * that is a username (identity_username_ok) or an email address in normal
 * form.  Anything else (control characters, non-ASCII, spaces) is
 * OR_ERR_INVALID and must not reach the database, whose collation would
 * ignore or fold it.
 */
or_status identity_login_normalize(const char *in, char *out, size_t outsz);

#endif
