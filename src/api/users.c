/*
 * A customer admin's user management (/api/v1/users/{id}/...): suspend,
 * activate, change role, reset password; the checks here also serve the
 * operator's user actions (admin_users.c).  Scope = the caller's customer
 * for customer admins, any customer for operators.  Each change runs in one
 * transaction with its audit row; the customer row is locked first so seat
 * checks cannot race, and the last-admin rule locks the admins themselves
 * (store_admin_keep_one).  Outside the scope a user does not exist (404).
 */
#include <stdio.h>
#include <string.h>

#include "onramp/api_operator.h"
#include "onramp/choices.h"
#include "onramp/limits.h"
#include "handlers.h"
#include "users.h"

/* The customer a request may touch: its own for customers, any for operators. */
static int64_t
scope_of(http_request *req)
{
	principal *p = api_principal(req);

	return p && p->realm == REALM_CUSTOMER ? p->user.customer_id : 0;
}

static bool
is_self(http_request *req, int64_t id)
{
	principal *p = api_principal(req);

	return p && p->realm == REALM_CUSTOMER && p->user.id == id;
}

/* The user within the caller's scope: its own customer for a customer, any for an operator. */
static or_status
load_in_scope(app *a, http_request *req, int64_t id, user *u)
{
	principal *p = api_principal(req);

	if (p && p->realm == REALM_CUSTOMER)
		return store_user_get(a->db, req->arena, p->user.customer_id, id, u);
	if (p && p->realm == REALM_OPERATOR)
		return store_user_get_any(a->db, req->arena, id, u);
	return OR_ERR_INTERNAL;
}

/* Begin, lock the user's customer and load the user within scope. */
or_status
users_begin_on_user(app *a, http_request *req, int64_t id, user *u, long *seat_limit)
{
	or_status st = load_in_scope(a, req, id, u);

	if (st != OR_OK)
		return st;
	if ((st = db_begin(a->db)) != OR_OK)
		return st;
	st = store_customer_lock(a->db, u->customer_id, seat_limit);
	/* Reload under the lock: the row may have changed since. */
	if (st == OR_OK)
		st = load_in_scope(a, req, id, u);
	if (st != OR_OK)
		db_rollback(a->db);
	return st;
}

void
users_finish(app *a, http_request *req, http_response *resp, or_status st, int64_t id)
{
	user u;

	if (!api_commit(a, req, resp, st))
		return;
	if ((st = load_in_scope(a, req, id, &u)) != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	http_json(resp, 200, output_user(&u, api_now(req), scope_of(req) == 0));
}

/* The last-admin rule (store_admin_keep_one) before a change that removes u as an admin. */
bool
users_last_admin_guard(app *a, http_request *req, http_response *resp, const user *u, const char *what)
{
	or_status st = store_admin_keep_one(a->db, REALM_CUSTOMER, u->customer_id, u->id);
	char msg[200];

	if (st == OR_OK)
		return true;
	if (st != OR_ERR_CONFLICT) {
		(void)api_commit(a, req, resp, st);
		return false;
	}
	db_rollback(a->db);
	snprintf(msg, sizeof(msg), "%s is the last active customer admin of this customer; make someone else an admin first, or you could not %s.",
		 u->username, what);
	http_error(resp, 409, "conflict", arena_strdup(req->arena, msg));
	return false;
}

json_object *
users_status_json(const user *u, int64_t now)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "status", json_object_new_string(identity_status_name(identity_user_status(u, now))));
	json_object_object_add(o, "role", json_object_new_string(identity_role_name(u->role)));
	return o;
}

static void
do_suspend(app *a, http_request *req, http_response *resp, int64_t id)
{
	user u;
	long limit;
	json_object *before = NULL, *after = NULL;
	or_status st;

	if (is_self(req, id)) {
		http_error(resp, 409, "conflict", "You cannot suspend yourself.");
		return;
	}
	if ((st = users_begin_on_user(a, req, id, &u, &limit)) != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	if (u.deactivated_at) {
		db_rollback(a->db);
		http_error(resp, 409, "conflict", "This user was deactivated and cannot be suspended.");
		return;
	}
	if (!users_last_admin_guard(a, req, resp, &u, "manage this customer"))
		return;
	before = users_status_json(&u, api_now(req));
	u.suspended = true;
	after = users_status_json(&u, api_now(req));
	if ((st = store_user_set_suspended(a->db, u.customer_id, id, true)) == OR_OK &&
	    (st = store_session_end_all(a->db, REALM_CUSTOMER, id, "suspended")) == OR_OK)
		st = api_audit(a, req, "user.suspend", u.customer_id, "user", id, before, after);
	json_object_put(before);
	json_object_put(after);
	users_finish(a, req, resp, st, id);
}

static void
do_activate(app *a, http_request *req, http_response *resp, int64_t id)
{
	user u, after_u;
	long limit;
	json_object *before = NULL, *after = NULL;
	or_status st;

	if ((st = users_begin_on_user(a, req, id, &u, &limit)) != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	if (u.deactivated_at) {
		db_rollback(a->db);
		http_error(resp, 409, "conflict", "This user was deactivated and cannot be activated again.");
		return;
	}
	after_u = u;
	after_u.suspended = false;
	/* A user who would then hold a seat needs a free one; any other, a customer within its limit. */
	if (u.suspended && seats_check(a, req, resp, u.customer_id, identity_holds_seat(&after_u, api_now(req))) != OR_OK) {
		db_rollback(a->db);
		if (resp->status == 0)
			api_fail_db(a, req, resp, OR_ERR_DB);
		return;
	}
	before = users_status_json(&u, api_now(req));
	after = users_status_json(&after_u, api_now(req));
	if ((st = store_user_set_suspended(a->db, u.customer_id, id, false)) == OR_OK)
		st = api_audit(a, req, "user.activate", u.customer_id, "user", id, before, after);
	json_object_put(before);
	json_object_put(after);
	users_finish(a, req, resp, st, id);
}

void
api_user_suspend(app *a, http_request *req, http_response *resp)
{
	int64_t id;

	if (input_path_id(req, resp, 0, &id))
		do_suspend(a, req, resp, id);
}

void
api_user_activate(app *a, http_request *req, http_response *resp)
{
	int64_t id;

	if (input_path_id(req, resp, 0, &id))
		do_activate(a, req, resp, id);
}

/* Admin reset (Coder style): a temporary password shown once, changed at next sign-in. */
void
api_user_reset_password(app *a, http_request *req, http_response *resp)
{
	char temp[21], phc[PASSWORD_HASH_MAX];
	int64_t id;
	long limit;
	user u;
	json_object *o;
	or_status st;

	if (!input_path_id(req, resp, 0, &id))
		return;
	if (is_self(req, id)) {
		http_error(resp, 409, "conflict", "Use POST /password to change your own password.");
		return;
	}
	if ((st = password_generate(temp)) == OR_OK)
		st = password_hash(&a->pw, temp, strlen(temp), phc);
	if (st == OR_OK)
		st = users_begin_on_user(a, req, id, &u, &limit);
	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	if (u.deactivated_at) {
		db_rollback(a->db);
		http_error(resp, 409, "conflict", "This user was deactivated.");
		return;
	}
	if ((st = store_user_set_password(a->db, id, phc, true)) == OR_OK &&
	    (st = store_session_delete_all(a->db, REALM_CUSTOMER, id)) == OR_OK &&
	    (st = store_reset_revoke_user(a->db, id, api_now(req))) == OR_OK)
		st = api_audit(a, req, "user.password_reset_by_admin", u.customer_id, "user", id, NULL, NULL);
	if (!api_commit(a, req, resp, st))
		return;
	u.must_change_password = true;
	o = json_object_new_object();
	json_object_object_add(o, "user", output_user(&u, api_now(req), false));
	json_object_object_add(o, "temporary_password", json_object_new_string(temp));
	json_object_object_add(o, "message", json_object_new_string(
		"Give this temporary password to the user; it is shown only once and must be changed at the next sign-in."));
	explicit_bzero(temp, sizeof(temp));
	http_json(resp, 200, o);
}

void
api_user_patch(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = { "role", "version", NULL };
	const char *role_s;
	user_role role = ROLE_CUSTOMER_MEMBER;
	int64_t id, version;
	long limit;
	bool has_version;
	json_object *before, *after;
	user u;
	or_status st;

	if (!input_path_id(req, resp, 0, &id) || !input_allowed(req, resp, allowed))
		return;
	role_s = input_string(req, resp, "role", true, LIMIT_CHOICE_BYTES);
	version = input_int(req, resp, "version", false, 1, INT32_MAX, &has_version);
	if (role_s && identity_role_parse(role_s, &role) != OR_OK)
		input_choice_error(req, resp, "role", choices_roles);
	if (!input_ok(resp))
		return;
	if ((st = users_begin_on_user(a, req, id, &u, &limit)) != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	if (has_version && version != u.version) {
		(void)api_commit(a, req, resp, OR_ERR_VERSION);
		return;
	}
	if (role == ROLE_CUSTOMER_MEMBER && !users_last_admin_guard(a, req, resp, &u, "manage this customer"))
		return;
	before = users_status_json(&u, api_now(req));
	u.role = role;
	after = users_status_json(&u, api_now(req));
	if ((st = store_user_set_role(a->db, u.customer_id, id, role)) == OR_OK)
		st = api_audit_edit(a, req, "user.role_change", u.customer_id, "user", id, before, after);
	json_object_put(before);
	json_object_put(after);
	users_finish(a, req, resp, st, id);
}
