/*
 * onrampctl verbs for customers, users and operators (Coder's CLI parity).
 * They run on the host against the database directly, in transactions with
 * an audit row whose actor is "cli" and the OS user's name.  Passwords come
 * from standard input (--password-stdin) or are generated and printed once.
 */
#include <ctype.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "onramp/arena.h"
#include "onramp/clock.h"
#include "onramp/config.h"
#include "onramp/db.h"
#include "onramp/filter.h"
#include "onramp/identity.h"
#include "onramp/invite_store.h"
#include "onramp/limits.h"
#include "onramp/password.h"
#include "onramp/secret.h"
#include "onramp/store_operator.h"
#include "onramp/timefmt.h"
#include "ctl.h"

/* Parsed flags of one verb. */
struct opts {
	const char *slug, *name, *customer, *username, *email, *role, *filter, *target, *admin_email;
	long seats;
	bool json, yes, admin, password_stdin, help;
};

static password_params kdf;
static const config *ctl_cfg;

/* Flags with a value, flags without, and at most one positional (USER). */
static bool
parse(int argc, char **argv, struct opts *o)
{
	static const char *const with_value[] = { "--slug", "--name", "--customer", "--username", "--email",
						  "--role", "--filter", "--seats", "--admin-email", NULL };
	int i;

	memset(o, 0, sizeof(*o));
	o->seats = 10;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		size_t k;
		bool valued = false;

		for (k = 0; with_value[k]; k++)
			if (strcmp(a, with_value[k]) == 0)
				valued = true;
		if (valued) {
			long long n;
			if (i + 1 >= argc)
				return ctl_fail("%s needs a value", a) == 0;
			const char *v = argv[++i];
			if (strcmp(a, "--slug") == 0) o->slug = v;
			else if (strcmp(a, "--admin-email") == 0) o->admin_email = v;
			else if (strcmp(a, "--name") == 0) o->name = v;
			else if (strcmp(a, "--customer") == 0) o->customer = v;
			else if (strcmp(a, "--username") == 0) o->username = v;
			else if (strcmp(a, "--email") == 0) o->email = v;
			else if (strcmp(a, "--role") == 0) o->role = v;
			else if (strcmp(a, "--filter") == 0) o->filter = v;
			else {
				if (str_to_ll(str_from_c(v), 1, LIMIT_SEATS_MAX, &n) != OR_OK)
					return ctl_fail("--seats takes a number from 1 to 1000000") == 0;
				o->seats = (long)n;
			}
		} else if (strcmp(a, "--json") == 0) o->json = true;
		else if (strcmp(a, "--yes") == 0) o->yes = true;
		else if (strcmp(a, "--admin") == 0) o->admin = true;
		else if (strcmp(a, "--password-stdin") == 0) o->password_stdin = true;
		else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) o->help = true;
		else if (a[0] != '-' && o->target == NULL) o->target = a;
		else
			return ctl_fail("unknown argument %s", a) == 0;
	}
	return true;
}

static const char *
os_user(void)
{
	struct passwd *pw = getpwuid(getuid());
	return pw ? pw->pw_name : "unknown";
}

or_status
ctl_audit(db *d, const char *action, int64_t customer_id, const char *object_type, int64_t object_id)
{
	audit_entry e;
	char oid[24];
	char label[100];

	snprintf(oid, sizeof(oid), "%lld", (long long)object_id);
	snprintf(label, sizeof(label), "cli:%s", os_user());
	memset(&e, 0, sizeof(e));
	e.actor_type = ACTOR_CLI;
	e.actor_label = label;
	e.customer_id = customer_id;
	e.action = action;
	e.object_type = object_type;
	e.object_id = oid;
	e.client_addr = "";
	e.request_id = "";
	return store_audit_add(d, &e);
}

/* Read one line from standard input as the password (no echo handling: pipe it). */
static bool
read_password(char *out, size_t outsz)
{
	size_t n;

	if (fgets(out, (int)outsz, stdin) == NULL)
		return false;
	n = strlen(out);
	while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	return n > 0;
}

static int
db_fail(db *d, const char *what)
{
	db_rollback(d);
	return ctl_fail("%s: %s", what, db_last_error(d));
}

/* A password from stdin (checked) or a generated temporary one (printed later). */
static int
obtain_password(const struct opts *o, const char *username, const char *email, char *pw, size_t pwsz,
		bool *generated)
{
	password_verdict v;

	*generated = !o->password_stdin;
	if (*generated)
		return password_generate(pw) == OR_OK ? 0 : ctl_fail("could not generate a password");
	if (!read_password(pw, pwsz))
		return ctl_fail("no password on standard input");
	v = password_check(pw, strlen(pw), username, email);
	if (v != PASSWORD_OK)
		return ctl_fail("password refused: %s", password_verdict_message(v));
	return 0;
}

/* The first admin's signup invite: its link, printed once, is the only copy of the token. */
static or_status
admin_invite(db *d, int64_t customer_id, const char *email, char *link, size_t linksz)
{
	char token[SECRET_TOKEN_LEN + 1], hash[SECRET_HASH_HEX + 1], by[128];
	int64_t now = clock_wall_us() / 1000000, id = 0;
	invite_new in = { customer_id, email, "customer_admin", "admin_signup", hash, now + ctl_cfg->invite_ttl_s, by, now, 0 };
	or_status st = secret_token_new(token);

	snprintf(by, sizeof(by), "cli:%s", os_user());
	if (st == OR_OK) {
		secret_sha256_hex(token, SECRET_TOKEN_LEN, hash);
		if ((st = store_invite_insert(d, &in, &id)) == OR_OK)
			st = ctl_audit(d, "invite.create", customer_id, "invite", id);
	}
	if (st == OR_OK && snprintf(link, linksz, "%s/invite#token=%s", ctl_cfg->public_base_url, token) < 0)
		st = OR_ERR_INTERNAL;
	explicit_bzero(token, sizeof(token));
	return st;
}

struct customer_tx {
	const struct opts *o;
	const char *email;
	char *link;
	size_t linksz;
	int64_t id;
};

static or_status
customer_tx(db *d, void *ctx)
{
	struct customer_tx *t = ctx;
	or_status st = store_customer_create(d, t->o->slug, t->o->name, t->o->seats, &t->id);

	if (st == OR_OK && (st = ctl_audit(d, "customer.create", t->id, "customer", t->id)) == OR_OK && t->o->admin_email)
		st = admin_invite(d, t->id, t->email, t->link, t->linksz);
	return st;
}

static int
customers_create(db *d, const struct opts *o)
{
	char email[IDENTITY_EMAIL_MAX + 1], link[CONFIG_PATH_MAX + 64] = "";
	struct customer_tx t = { 0 };
	int64_t id;
	or_status st;

	if (o->slug == NULL || o->name == NULL)
		return ctl_fail("customers create needs --slug and --name");
	if (!identity_slug_ok(o->slug))
		return ctl_fail("--slug takes 1 to 63 of a-z, 0-9 and '-', not starting or ending with '-'");
	if (o->admin_email && identity_email_normalize(o->admin_email, email, sizeof(email)) != OR_OK)
		return ctl_fail("--admin-email is not an email address");
	t.o = o;
	t.email = email;
	t.link = link;
	t.linksz = sizeof(link);
	st = db_tx_run(d, customer_tx, &t);
	id = t.id;
	if (st == OR_ERR_CONFLICT)
		return ctl_fail("a customer with slug %s already exists", o->slug);
	if (st != OR_OK)
		return db_fail(d, "customers create");
	if (o->json)
		printf("{\"id\":\"%lld\",\"slug\":\"%s\",\"seat_limit\":%ld%s%s%s}\n", (long long)id, o->slug, o->seats,
		       link[0] ? ",\"admin_invite_link\":\"" : "", link, link[0] ? "\"" : "");
	else
		printf("created customer %s (id %lld, %ld seats)\n%s%s%s", o->slug, (long long)id, o->seats,
		       link[0] ? "admin invite link (shown once; signing up needs the same email):\n  " : "", link,
		       link[0] ? "\n" : "");
	explicit_bzero(link, sizeof(link));
	return 0;
}

/* Ids are opaque strings, as in the API. */
static json_object *
id_json(int64_t id)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", (long long)id);
	return json_object_new_string(buf);
}

static void
print_json(json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static int
customers_list(db *d, arena *a, const struct opts *o)
{
	customer *cs;
	size_t n, i;
	int64_t now = clock_wall_us() / 1000000;
	json_object *arr = json_object_new_array();

	if (store_customer_list(d, a, NULL, 0, 1000, &cs, &n) != OR_OK) {
		json_object_put(arr);
		return db_fail(d, "customers list");
	}
	for (i = 0; i < n; i++) {
		long used = 0;
		json_object *c = json_object_new_object(), *seats = json_object_new_object();
		(void)store_customer_seats_used(d, cs[i].id, now, &used);
		json_object_object_add(c, "id", id_json(cs[i].id));
		json_object_object_add(c, "slug", json_object_new_string(cs[i].slug));
		json_object_object_add(c, "name", json_object_new_string(cs[i].name));
		json_object_object_add(seats, "used", json_object_new_int64(used));
		json_object_object_add(seats, "limit", json_object_new_int64(cs[i].seat_limit));
		json_object_object_add(c, "seats", seats);
		json_object_array_add(arr, c);
		if (!o->json && i == 0)
			printf("%-24s %-32s %s\n", "SLUG", "NAME", "SEATS");
		if (!o->json)
			printf("%-24s %-32s %ld/%ld\n", cs[i].slug, cs[i].name, used, cs[i].seat_limit);
	}
	if (!o->json && n == 0)
		puts("no customers yet");
	if (o->json)
		print_json(arr);
	else
		json_object_put(arr);
	return 0;
}

/* A new row, user or operator, and its audit row: one transaction for db_tx_run. */
struct create_tx {
	const user_new *nu;
	const struct opts *o;
	const char *email, *phc;
	int64_t id;
	const char *which;
};

static or_status
user_tx(db *d, void *ctx)
{
	struct create_tx *t = ctx;
	or_status st = store_user_insert(d, t->nu, &t->id, &t->which);

	return st == OR_OK ? ctl_audit(d, "user.create", t->nu->customer_id, "user", t->id) : st;
}

static int
users_create(db *d, arena *a, const struct opts *o)
{
	char email[IDENTITY_EMAIL_MAX + 1], pw[4 * PASSWORD_MAX_CHARS + 2], phc[PASSWORD_HASH_MAX];
	user_role role;
	user_new nu;
	struct create_tx t = { 0 };
	customer c;
	int64_t id;
	bool generated;
	or_status st;

	if (!o->customer || !o->username || !o->email || !o->role)
		return ctl_fail("users create needs --customer, --username, --email and --role");
	if (!identity_username_ok(o->username))
		return ctl_fail("username must be 1 to 64 of [a-z0-9._-]");
	if (identity_email_normalize(o->email, email, sizeof(email)) != OR_OK)
		return ctl_fail("not an email address: %s", o->email);
	if (identity_role_parse(o->role, &role) != OR_OK)
		return ctl_fail("role must be customer_admin or customer_member");
	if ((st = store_customer_by_slug(d, a, o->customer, &c)) != OR_OK)
		return st == OR_ERR_NOT_FOUND ? ctl_fail("no customer %s", o->customer) : db_fail(d, "users create");
	if (obtain_password(o, o->username, email, pw, sizeof(pw), &generated) != 0)
		return 1;
	if (password_hash(&kdf, pw, strlen(pw), phc) != OR_OK)
		return ctl_fail("hashing failed");
	memset(&nu, 0, sizeof(nu));
	nu.customer_id = c.id;
	nu.username = o->username;
	nu.email = email;
	nu.role = role;
	nu.password_hash = phc;
	nu.must_change_password = generated;
	t.nu = &nu;
	if ((st = db_tx_run(d, user_tx, &t)) == OR_ERR_CONFLICT)
		return ctl_fail("that %s is already taken", t.which ? t.which : "username or email");
	if (st != OR_OK)
		return db_fail(d, "users create");
	id = t.id;
	if (o->json)
		printf("{\"id\":\"%lld\",\"username\":\"%s\"%s%s%s}\n", (long long)id, o->username,
		       generated ? ",\"temporary_password\":\"" : "", generated ? pw : "", generated ? "\"" : "");
	else {
		printf("created user %s (id %lld) in %s\n", o->username, (long long)id, o->customer);
		if (generated)
			printf("temporary password (shown once, must be changed at first sign-in): %s\n", pw);
	}
	explicit_bzero(pw, sizeof(pw));
	return 0;
}

/* The table's columns, one format for the header and the rows. */
#define USERS_ROW "%-8s %-20s %-32s %-16s %-16s %-12s %s\n"

static int
users_list(db *d, arena *a, const struct opts *o)
{
	int64_t now = clock_wall_us() / 1000000, after = 0;
	char err[256], id[24];
	filter f;
	user_page pg;
	size_t i, shown = 0;
	json_object *arr = json_object_new_array();

	if (filter_parse(o->filter ? o->filter : "", o->filter ? strlen(o->filter) : 0, FILTER_SCOPE_OPERATOR,
			 a, &f, err, sizeof(err)) != OR_OK)
		return ctl_fail("bad filter: %s", err);
	do {
		if (store_user_list_any(d, a, &f, now, after, 500, &pg) != OR_OK) {
			json_object_put(arr);
			return db_fail(d, "users list");
		}
		for (i = 0; i < pg.n; i++) {
			const user *u = &pg.items[i];
			char seen[TIMEFMT_RFC3339_LEN] = "never";
			if (u->last_seen_at)
				timefmt_rfc3339(u->last_seen_at, seen);
			if (o->json) {
				json_object *j = json_object_new_object();
				json_object_object_add(j, "id", id_json(u->id));
				json_object_object_add(j, "username", json_object_new_string(u->username));
				json_object_object_add(j, "email", json_object_new_string(u->email));
				json_object_object_add(j, "customer", json_object_new_string(u->customer_slug));
				json_object_object_add(j, "role", json_object_new_string(identity_role_name(u->role)));
				json_object_object_add(j, "status", json_object_new_string(
					identity_status_name(identity_user_status(u, now))));
				json_object_object_add(j, "last_seen_at", u->last_seen_at ? json_object_new_string(seen) : NULL);
				json_object_array_add(arr, j);
			} else {
				if (shown++ == 0)
					printf(USERS_ROW, "ID", "USERNAME", "EMAIL", "CUSTOMER", "ROLE", "STATUS", "LAST_SEEN");
				snprintf(id, sizeof(id), "%lld", (long long)u->id);
				printf(USERS_ROW, id, u->username, u->email, u->customer_slug, identity_role_name(u->role),
				       identity_status_name(identity_user_status(u, now)), seen);
			}
		}
		after = pg.n ? pg.items[pg.n - 1].id : after;
		arena_reset(a);
	} while (pg.more);
	if (!o->json && shown == 0)
		puts(o->filter ? "no users match the filter" : "no users yet");
	if (o->json)
		print_json(arr);
	else
		json_object_put(arr);
	return 0;
}

static bool
confirm(const char *question, bool yes)
{
	char line[16];

	if (yes)
		return true;
	if (!isatty(STDIN_FILENO)) {
		fprintf(stderr, "onrampctl: %s Refusing without a terminal; pass --yes.\n", question);
		return false;
	}
	fprintf(stderr, "%s [y/N] ", question);
	if (fgets(line, sizeof(line), stdin) && (line[0] == 'y' || line[0] == 'Y'))
		return true;
	/* Exit 1 is never silent: say that nothing changed and why. */
	fputs("onrampctl: cancelled: not confirmed, nothing changed\n", stderr);
	return false;
}

static int
users_set_suspended(db *d, arena *a, const struct opts *o, bool suspend)
{
	char q[320];
	long limit;
	user u;
	or_status st;

	if (o->target == NULL)
		return ctl_fail("users %s needs USER (username or id)", suspend ? "suspend" : "activate");
	if ((st = store_user_by_name_or_id(d, a, o->target, &u)) != OR_OK)
		return st == OR_ERR_NOT_FOUND ? ctl_fail("no user %s", o->target) : db_fail(d, "users");
	if (u.deactivated_at)
		return ctl_fail("%s is deactivated", u.username);
	snprintf(q, sizeof(q), "%s %s (%s)?", suspend ? "Suspend" : "Activate", u.username, u.email);
	if (!confirm(q, o->yes))
		return 1;
	if ((st = db_begin(d)) == OR_OK && (st = store_customer_lock(d, u.customer_id, &limit)) == OR_OK) {
		if (!suspend && u.suspended) {
			int64_t now = clock_wall_us() / 1000000;
			seat_count seats = { 0, limit };
			user after = u;
			after.suspended = false;
			/* The rule of POST /users/{id}/activate (identity_seats_allow), under the same lock. */
			if ((st = store_customer_seats_used(d, u.customer_id, now, &seats.used)) == OR_OK &&
			    !identity_seats_allow(seats, identity_holds_seat(&after, now))) {
				identity_seats_refusal(seats, q, sizeof(q));
				db_rollback(d);
				return ctl_fail("%s", q);
			}
		}
		if (st == OR_OK && suspend &&
		    (st = store_admin_keep_one(d, REALM_CUSTOMER, u.customer_id, u.id)) == OR_ERR_CONFLICT) {
			db_rollback(d);
			return ctl_fail("%s is the last active customer admin of this customer; make someone else an admin first",
				   u.username);
		}
		if (st == OR_OK && (st = store_user_set_suspended(d, u.customer_id, u.id, suspend)) == OR_OK &&
		    (!suspend || (st = store_session_end_all(d, REALM_CUSTOMER, u.id, "suspended")) == OR_OK))
			st = ctl_audit(d, suspend ? "user.suspend" : "user.activate", u.customer_id, "user", u.id);
	}
	if (st == OR_OK)
		st = db_commit(d);
	if (st != OR_OK)
		return db_fail(d, "users");
	printf("%s %s\n", suspend ? "suspended" : "activated", u.username);
	return 0;
}

struct reset_tx {
	const user *u;
	const char *phc;
	int64_t now;
};

static or_status
reset_tx(db *d, void *ctx)
{
	const struct reset_tx *t = ctx;
	or_status st;

	if ((st = store_user_set_password(d, t->u->id, t->phc, true)) == OR_OK &&
	    (st = store_session_delete_all(d, REALM_CUSTOMER, t->u->id)) == OR_OK &&
	    (st = store_reset_revoke_user(d, t->u->id, t->now)) == OR_OK)
		st = ctl_audit(d, "user.password_reset_by_admin", t->u->customer_id, "user", t->u->id);
	return st;
}

static int
reset_password(db *d, arena *a, const struct opts *o)
{
	char pw[21], phc[PASSWORD_HASH_MAX];
	int64_t now = clock_wall_us() / 1000000;
	struct reset_tx t;
	user u;
	or_status st;

	if (o->target == NULL)
		return ctl_fail("reset-password needs USER (username or id)");
	if ((st = store_user_by_name_or_id(d, a, o->target, &u)) != OR_OK)
		return st == OR_ERR_NOT_FOUND ? ctl_fail("no user %s", o->target) : db_fail(d, "reset-password");
	if (password_generate(pw) != OR_OK || password_hash(&kdf, pw, strlen(pw), phc) != OR_OK)
		return ctl_fail("could not make a password");
	t.u = &u;
	t.phc = phc;
	t.now = now;
	if ((st = db_tx_run(d, reset_tx, &t)) != OR_OK)
		return db_fail(d, "reset-password");
	printf("temporary password for %s (shown once, must be changed at next sign-in): %s\n", u.username, pw);
	explicit_bzero(pw, sizeof(pw));
	return 0;
}

static or_status
operator_tx(db *d, void *ctx)
{
	struct create_tx *t = ctx;
	or_status st = store_operator_insert(d, t->o->username, t->email, NULL,
					     t->o->admin ? OPROLE_ADMIN : OPROLE_OPERATOR, t->phc, false, &t->id, &t->which);

	return st == OR_OK ? ctl_audit(d, "operator.create", 0, "operator", t->id) : st;
}

static int
operators_create(db *d, const struct opts *o)
{
	char email[IDENTITY_EMAIL_MAX + 1], pw[4 * PASSWORD_MAX_CHARS + 2], phc[PASSWORD_HASH_MAX];
	struct create_tx t = { 0 };
	int64_t id;
	bool generated;
	or_status st;

	if (!o->username || !o->email)
		return ctl_fail("operators create needs --username and --email");
	if (!identity_username_ok(o->username))
		return ctl_fail("username must be 1 to 64 of [a-z0-9._-]");
	if (identity_email_normalize(o->email, email, sizeof(email)) != OR_OK)
		return ctl_fail("not an email address: %s", o->email);
	if (obtain_password(o, o->username, email, pw, sizeof(pw), &generated) != 0)
		return 1;
	if (password_hash(&kdf, pw, strlen(pw), phc) != OR_OK)
		return ctl_fail("hashing failed");
	t.o = o;
	t.email = email;
	t.phc = phc;
	if ((st = db_tx_run(d, operator_tx, &t)) == OR_ERR_CONFLICT)
		return ctl_fail("that %s is already taken", t.which ? t.which : "username or email");
	if (st != OR_OK)
		return db_fail(d, "operators create");
	id = t.id;
	if (o->json)
		printf("{\"id\":\"%lld\",\"username\":\"%s\"%s%s%s}\n", (long long)id, o->username,
		       generated ? ",\"password\":\"" : "", generated ? pw : "", generated ? "\"" : "");
	else {
		printf("created %s %s (id %lld)\n", o->admin ? "operator admin" : "operator", o->username, (long long)id);
		if (generated)
			printf("password (shown once): %s\n", pw);
	}
	explicit_bzero(pw, sizeof(pw));
	return 0;
}

static or_status
totp_reset_tx(db *d, void *ctx)
{
	const operator_account *op = ctx;
	or_status st;

	if ((st = store_operator_set_totp(d, op->id, NULL, 0)) == OR_OK &&
	    (st = store_session_delete_all(d, REALM_OPERATOR, op->id)) == OR_OK)
		st = ctl_audit(d, "operator.totp_reset", 0, "operator", op->id);
	return st;
}

static int
operators_totp_reset(db *d, arena *a, const struct opts *o)
{
	const char *hash, *sealed;
	int64_t step;
	operator_account op;
	or_status st;

	if (o->target == NULL)
		return ctl_fail("operators totp-reset needs USER (operator username)");
	/* The lookup finds removed operators too (sign-in tells them so); there is nothing to reset for them. */
	if ((st = store_operator_by_login(d, a, o->target, &op, &hash, &sealed, &step)) == OR_OK && op.deactivated_at)
		st = OR_ERR_NOT_FOUND;
	if (st != OR_OK)
		return st == OR_ERR_NOT_FOUND ? ctl_fail("no operator %s", o->target) : db_fail(d, "totp-reset");
	if ((st = db_tx_run(d, totp_reset_tx, &op)) != OR_OK)
		return db_fail(d, "totp-reset");
	printf("two-factor sign-in of %s is off; they can enroll again after signing in\n", op.username);
	return 0;
}

static const char *const help_text[][2] = {
	{ "customers create", "customers create --slug SLUG --name NAME [--seats N] [--admin-email EMAIL] [--json]\n"
			      "  With --admin-email, prints the first admin's signup link once." },
	{ "customers list", "customers list [--json]" },
	{ "users create", "users create --customer SLUG --username U --email E --role customer_admin|customer_member "
			  "[--password-stdin] [--json]\n  Without --password-stdin a temporary password is printed once "
			  "and must be changed at first sign-in." },
	{ "users list", "users list [--filter QUERY] [--json]\n  QUERY uses the filter language, e.g. "
			"'status:active role:customer_admin customer:acme'." },
	{ "users suspend", "users suspend USER [--yes]   (asks for confirmation without --yes)" },
	{ "users activate", "users activate USER [--yes]" },
	{ "reset-password", "reset-password USER\n  Prints a temporary password once; the user must change it." },
	{ "operators create", "operators create --username U --email E [--admin] [--password-stdin] [--json]" },
	{ "operators totp-reset", "operators totp-reset USER\n  Turns off two-factor sign-in so the operator can enroll again." },
};

int
ctl_identity(const config *cfg, db *d, int argc, char **argv)
{
	const char *noun = argv[0], *verb = argc > 1 ? argv[1] : "";
	bool has_verb = strcmp(noun, "reset-password") != 0;
	char key[64];
	struct opts o;
	arena *a;
	size_t i;
	int rc;

	ctl_cfg = cfg;
	kdf.m_cost_kib = (uint32_t)cfg->argon2_m_kib;
	kdf.t_cost = (uint32_t)cfg->argon2_t;
	kdf.parallelism = (uint32_t)cfg->argon2_p;
	snprintf(key, sizeof(key), "%s%s%s", noun, has_verb ? " " : "", has_verb ? verb : "");
	if (!parse(argc - (has_verb ? 2 : 1), argv + (has_verb ? 2 : 1), &o))
		return 2;
	if (o.help) {
		for (i = 0; i < sizeof(help_text) / sizeof(help_text[0]); i++)
			if (strcmp(help_text[i][0], key) == 0) {
				printf("usage: onrampctl %s\n", help_text[i][1]);
				return 0;
			}
		return ctl_fail("no such verb: %s", key);
	}
	if ((a = arena_new(LIMIT_ARENA_BYTES)) == NULL)
		return ctl_fail("out of memory");
	if (strcmp(key, "customers create") == 0) rc = customers_create(d, &o);
	else if (strcmp(key, "customers list") == 0) rc = customers_list(d, a, &o);
	else if (strcmp(key, "users create") == 0) rc = users_create(d, a, &o);
	else if (strcmp(key, "users list") == 0) rc = users_list(d, a, &o);
	else if (strcmp(key, "users suspend") == 0) rc = users_set_suspended(d, a, &o, true);
	else if (strcmp(key, "users activate") == 0) rc = users_set_suspended(d, a, &o, false);
	else if (strcmp(key, "reset-password") == 0) rc = reset_password(d, a, &o);
	else if (strcmp(key, "operators create") == 0) rc = operators_create(d, &o);
	else if (strcmp(key, "operators totp-reset") == 0) rc = operators_totp_reset(d, a, &o);
	else rc = ctl_fail("no such verb: %s (see onrampctl --help)", key);
	arena_free(a);
	return rc;
}
