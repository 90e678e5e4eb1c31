/*
 * Who an SSO identity may be in a customer (include/onramp/sso_rules.h): the
 * checks a test sign-in shows and a real sign-in obeys, one function for both.
 * An email is in the expected domains by the rule the draft form already
 * applies to test users (sso_form_email_in: the part after the last '@' is
 * one of them or a subdomain of one, ASCII case-insensitive), so a test user
 * the form accepts is never refused at sign-in.  No IDNA mapping is done:
 * internationalised domains must be configured and sent in ASCII (xn--) form.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "onramp/identity.h"
#include "onramp/limits.h"
#include "onramp/sso_form.h"
#include "onramp/sso_rules.h"

/* Longest sentence a check carries (lists of domains or groups are cut short). */
#define MESSAGE_MAX 600

static const char *fmt(arena *a, const char *f, ...) __attribute__((format(printf, 2, 3)));

static const char *
fmt(arena *a, const char *f, ...)
{
	char buf[MESSAGE_MAX];
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(buf, sizeof(buf), f, ap);
	va_end(ap);
	return n < 0 ? "" : arena_strdup(a, buf);
}

/* "a, b, c" (or "none"), cut at the message limit. */
static const char *
joined(arena *a, const char *const *items, size_t n)
{
	char buf[MESSAGE_MAX / 2];
	size_t used = 0, i;
	int k;

	if (n == 0)
		return "none";
	buf[0] = '\0';
	for (i = 0; i < n && used < sizeof(buf); i++) {
		k = snprintf(buf + used, sizeof(buf) - used, "%s%s", i ? ", " : "", items[i]);
		if (k < 0)
			break;
		used += (size_t)k;
	}
	return arena_strdup(a, buf);
}

static void
add(sso_verdict *v, const char *key, bool ok, sso_severity severity, const char *message)
{
	sso_check *c;

	if (v->nchecks >= SSO_RULES_MAX_CHECKS)
		return;
	c = &v->checks[v->nchecks++];
	c->key = key;
	c->ok = ok;
	c->severity = severity;
	c->message = message;
	if (!ok && severity == SSO_ERROR)
		v->ok = false;
}

static bool
present(const char *s)
{
	return s != NULL && s[0] != '\0';
}

static bool
in_list(const char *s, const char *const *list, size_t n, bool nocase)
{
	size_t i;

	for (i = 0; s && i < n; i++)
		if (list[i] && (nocase ? strcasecmp(s, list[i]) : strcmp(s, list[i])) == 0)
			return true;
	return false;
}

static void
check_subject(sso_verdict *v, const oidc_identity *id)
{
	if (present(id->sub))
		add(v, "subject", true, SSO_INFO, "The IdP sent a subject (sub), which links this user at every sign-in.");
	else
		add(v, "subject", false, SSO_ERROR,
		    "The IdP sent no subject (sub), so onramp cannot recognise this user: the sign-in cannot go on.");
}

/* Email present and usable, then its domain among the expected ones. */
static void
check_email(arena *a, sso_verdict *v, const sso_config *cfg, const oidc_identity *id)
{
	char norm[IDENTITY_EMAIL_MAX + 1];
	const char *claim = cfg->claims.email ? cfg->claims.email : "email", *domain;

	if (!present(id->email)) {
		add(v, "email", false, SSO_ERROR, fmt(a, "The IdP sent no email address: release the \"%s\" claim to "
						    "onramp at your identity provider.", claim));
		return;
	}
	if (identity_email_normalize(id->email, norm, sizeof(norm)) != OR_OK) {
		add(v, "email", false, SSO_ERROR, fmt(a, "The IdP sent \"%.254s\" as the email address, which is not an "
						    "address onramp can use.", id->email));
		return;
	}
	add(v, "email", true, SSO_INFO, fmt(a, "The IdP sent the email address %s.", norm));
	domain = strrchr(norm, '@') + 1;
	if (cfg->ndomains == 0)
		add(v, "email_domain", false, SSO_ERROR,
		    "No expected email domains are configured for this organisation, so nobody can sign in through it.");
	else if (sso_form_email_in(norm, cfg->email_domains, cfg->ndomains))
		add(v, "email_domain", true, SSO_INFO, fmt(a, "%s is one of the expected email domains.", domain));
	else
		add(v, "email_domain", false, SSO_ERROR,
		    fmt(a, "The email domain %s is not one of this organisation's expected domains (%s): sign in with "
			   "your work account, or ask your customer admin to add the domain.",
			domain, joined(a, cfg->email_domains, cfg->ndomains)));
}

static void
check_verified(sso_verdict *v, const oidc_identity *id)
{
	if (id->email_verified == 1)
		add(v, "email_verified", true, SSO_INFO, "The IdP says the email address is verified.");
	else if (id->email_verified == 0)
		add(v, "email_verified", false, SSO_ERROR, "The IdP says this email address is not verified: verify it "
							 "with your identity provider, then sign in again.");
	else
		add(v, "email_verified", false, SSO_WARNING,
		    "The IdP did not say whether the email address is verified (no email_verified claim): sign-in is "
		    "allowed, but onramp will not link it to an existing account with the same email.");
}

/* The role the groups give: an admin group wins over a member group; *which names the group. */
static sso_role
groups_role(const sso_config *cfg, const oidc_identity *id, const char **which)
{
	sso_role r = SSO_ROLE_NONE;
	size_t i;

	*which = NULL;
	for (i = 0; id->has_groups && i < id->ngroups; i++) {
		if (in_list(id->groups[i], cfg->admin_groups, cfg->nadmin, false)) {
			*which = id->groups[i];
			return SSO_ROLE_ADMIN;
		}
		if (r == SSO_ROLE_NONE && in_list(id->groups[i], cfg->member_groups, cfg->nmember, false)) {
			r = SSO_ROLE_MEMBER;
			*which = id->groups[i];
		}
	}
	return r;
}

static void
check_groups(arena *a, sso_verdict *v, const sso_config *cfg, const oidc_identity *id)
{
	const char *group;

	if (id->has_groups)
		add(v, "groups_claim", true, SSO_INFO, fmt(a, "The IdP sent the groups claim (%zu groups).", id->ngroups));
	else
		add(v, "groups_claim", false, SSO_WARNING, "The IdP sent no groups claim: add the groups claim to the ID "
							 "token or the userinfo response.");
	v->role = groups_role(cfg, id, &group);
	if (v->role == SSO_ROLE_ADMIN)
		add(v, "role", true, SSO_INFO, fmt(a, "The group %s gives the role customer admin.", group));
	else if (v->role == SSO_ROLE_MEMBER)
		add(v, "role", true, SSO_INFO, fmt(a, "The group %s gives the role member.", group));
	else
		add(v, "role", false, SSO_WARNING,
		    fmt(a, "The user is in none of the groups onramp maps (admin groups: %s; member groups: %s): only an "
			   "invite or an existing account lets them in.",
			joined(a, cfg->admin_groups, cfg->nadmin), joined(a, cfg->member_groups, cfg->nmember)));
}

static void
check_test_user(arena *a, sso_verdict *v, const sso_config *cfg, const oidc_identity *id)
{
	size_t i;

	for (i = 0; i < cfg->ntest; i++) {
		const char *t = cfg->test_users[i];

		if (t && ((id->email && strcasecmp(t, id->email) == 0) || (id->username && strcasecmp(t, id->username) == 0))) {
			v->matched_test_user = t;
			add(v, "test_user", true, SSO_INFO, fmt(a, "This is the test user %s.", t));
			return;
		}
	}
	if (cfg->ntest == 0)
		add(v, "test_user", true, SSO_INFO, "No test users are configured.");
	else
		add(v, "test_user", false, SSO_WARNING, fmt(a, "This identity is none of the test users (%s).",
							  joined(a, cfg->test_users, cfg->ntest)));
}

void
sso_rules_evaluate(arena *a, const sso_config *cfg, const oidc_identity *id, sso_verdict *out)
{
	memset(out, 0, sizeof(*out));
	out->ok = true;
	out->checks = arena_calloc(a, SSO_RULES_MAX_CHECKS, sizeof(sso_check));
	if (out->checks == NULL) {
		out->ok = false;	/* no memory: refuse rather than admit unchecked */
		return;
	}
	check_subject(out, id);
	check_email(a, out, cfg, id);
	check_verified(out, id);
	check_groups(a, out, cfg, id);
	check_test_user(a, out, cfg, id);
}

const sso_check *
sso_rules_refusal(const sso_verdict *v)
{
	size_t i;

	for (i = 0; i < v->nchecks; i++)
		if (!v->checks[i].ok && v->checks[i].severity == SSO_ERROR)
			return &v->checks[i];
	return NULL;
}

/* Lower-case s, keeping [a-z0-9._-] (others dropped), up to max bytes or stop. */
static size_t
reduce(const char *s, const char *stop, char *out, size_t max)
{
	size_t n = 0;

	for (; *s && s != stop && n < max; s++) {
		char c = *s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') : *s;

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')
			out[n++] = c;
	}
	out[n] = '\0';
	return n;
}

bool
sso_rules_username(const oidc_identity *id, unsigned attempt, char *out, size_t outsz)
{
	char base[IDENTITY_USERNAME_MAX + 1], suffix[16] = "";
	size_t room;

	if (outsz < 2)
		return false;
	if (attempt > 0)
		snprintf(suffix, sizeof(suffix), "-%u", attempt + 1);
	room = IDENTITY_USERNAME_MAX - strlen(suffix);
	if (room > outsz - 1 - strlen(suffix))
		room = outsz - 1 - strlen(suffix);
	if (!(id->username && strlen(id->username) <= IDENTITY_USERNAME_MAX &&
	      reduce(id->username, NULL, base, IDENTITY_USERNAME_MAX) == strlen(id->username) && identity_username_ok(base)))
		if (id->email == NULL || reduce(id->email, strrchr(id->email, '@'), base, IDENTITY_USERNAME_MAX) == 0)
			return false;
	snprintf(out, outsz, "%.*s%s", (int)room, base, suffix);
	return identity_username_ok(out);
}

const char *
sso_role_name(sso_role r)
{
	return r == SSO_ROLE_ADMIN ? "customer_admin" : r == SSO_ROLE_MEMBER ? "customer_member" : "none";
}
