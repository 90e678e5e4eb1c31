/*
 * Users seen by operators (/admin/api/v1/users and /users/{id}/...): the
 * list over every customer (filter language, `customer:` key), create a
 * user in a customer, suspend, activate, a reset link and deactivate.  The
 * checks they share with a customer admin's user management are in
 * members.c and users.c (users.h).
 */
#include <string.h>

#include "onramp/api_operator.h"
#include "onramp/choices.h"
#include "onramp/limits.h"
#include "handlers.h"
#include "users.h"

void
api_admin_users_list(app *a, http_request *req, http_response *resp)
{
	user_page pg;

	if (members_load_page(a, req, resp, 0, FILTER_SCOPE_OPERATOR, &pg))
		http_json(resp, 200, members_page_json(&pg, api_now(req), true));
}

/* Resolve "customer": a slug or an id. */
static or_status
find_customer(app *a, http_request *req, const char *key, customer *c)
{
	long long id;

	if (str_to_ll(str_from_c(key), 1, INT64_MAX, &id) == OR_OK)
		return store_customer_get(a->db, req->arena, id, c);
	return store_customer_by_slug(a->db, req->arena, key, c);
}

void
api_admin_user_create(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = { "customer", "username", "email", "display_name", "role", "password", NULL };
	const char *cust, *role_s, *pw, *which = NULL;
	char temp[21] = "", phc[PASSWORD_HASH_MAX];
	input_account in;
	user_role role = ROLE_CUSTOMER_MEMBER;
	user_new nu;
	customer c;
	user u;
	int64_t id = 0;
	json_object *o;
	or_status st;

	if (!input_allowed(req, resp, allowed))
		return;
	cust = input_string(req, resp, "customer", true, IDENTITY_SLUG_MAX);
	input_new_account(req, resp, &in);
	role_s = input_string(req, resp, "role", true, LIMIT_CHOICE_BYTES);
	if (role_s && identity_role_parse(role_s, &role) != OR_OK)
		input_choice_error(req, resp, "role", choices_roles);
	if (!input_ok(resp))
		return;
	st = find_customer(a, req, cust, &c);
	if (st == OR_ERR_NOT_FOUND) {
		(void)http_field_error_add(req, resp, "customer", "not_found", "No customer with this slug or id.");
		(void)input_ok(resp);
		return;
	}
	/* Without a password the operator gets a temporary one to hand over, shown once. */
	pw = in.password;
	if (st == OR_OK && pw == NULL && (st = password_generate(temp)) == OR_OK)
		pw = temp;
	if (st == OR_OK)
		st = password_hash(&a->pw, pw, strlen(pw), phc);
	memset(&nu, 0, sizeof(nu));
	nu.customer_id = c.id;
	nu.username = in.username;
	nu.email = in.email;
	nu.display_name = in.display_name;
	nu.role = role;
	nu.password_hash = phc;
	nu.must_change_password = true;
	if (st == OR_OK && (st = db_begin(a->db)) == OR_OK && (st = store_user_insert(a->db, &nu, &id, &which)) == OR_OK) {
		o = json_object_new_object();
		json_object_object_add(o, "username", json_object_new_string(in.username));
		json_object_object_add(o, "email", json_object_new_string(in.email));
		json_object_object_add(o, "role", json_object_new_string(identity_role_name(role)));
		st = api_audit(a, req, "user.create", c.id, "user", id, NULL, o);
		json_object_put(o);
	}
	if (st == OR_ERR_CONFLICT && which) {
		db_rollback(a->db);
		(void)http_field_error_add(req, resp, which, "taken", "Another account already uses this.");
		http_error(resp, 409, "conflict", "A user with this username or email already exists.");
		return;
	}
	if (!api_commit(a, req, resp, st))
		return;
	if ((st = store_user_get_any(a->db, req->arena, id, &u)) != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "user", output_user(&u, api_now(req), true));
	if (temp[0])
		json_object_object_add(o, "temporary_password", json_object_new_string(temp));
	explicit_bzero(temp, sizeof(temp));
	http_json(resp, 201, o);
}

void
api_admin_user_reset_link(app *a, http_request *req, http_response *resp)
{
	char link[CONFIG_PATH_MAX + 128];
	int64_t id, expires = 0;
	user u;
	json_object *o;
	or_status st;

	if (!input_path_id(req, resp, 0, &id))
		return;
	st = store_user_get_any(a->db, req->arena, id, &u);
	if (st == OR_OK && (u.deactivated_at || strcmp(u.login_type, "password") != 0)) {
		http_error(resp, 409, "conflict", "This user cannot sign in with a password.");
		return;
	}
	if (st == OR_OK && (st = db_begin(a->db)) == OR_OK &&
	    (st = resets_issue_link(a, req, &u, link, sizeof(link), &expires)) == OR_OK)
		st = api_audit(a, req, "user.reset_link_created", u.customer_id, "user", id, NULL, NULL);
	if (!api_commit(a, req, resp, st))
		return;
	o = json_object_new_object();
	json_object_object_add(o, "reset_link", json_object_new_string(link));
	json_object_object_add(o, "expires_at", output_time(expires));
	json_object_object_add(o, "message", json_object_new_string(
		"Send this link to the user; it is shown only once and works once."));
	explicit_bzero(link, sizeof(link));
	http_json(resp, 201, o);
}

void
api_admin_user_suspend(app *a, http_request *req, http_response *resp)
{
	api_user_suspend(a, req, resp);
}

void
api_admin_user_activate(app *a, http_request *req, http_response *resp)
{
	api_user_activate(a, req, resp);
}

/* Deactivate (Code Ocean): the user can no longer sign in; kept for the audit trail. */
void
api_admin_user_deactivate(app *a, http_request *req, http_response *resp)
{
	int64_t id;
	long limit;
	user u;
	json_object *before, *after;
	or_status st;

	if (!input_path_id(req, resp, 0, &id))
		return;
	if ((st = users_begin_on_user(a, req, id, &u, &limit)) != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	if (u.deactivated_at) {
		db_rollback(a->db);
		http_error(resp, 409, "conflict", "This user is already deactivated.");
		return;
	}
	if (!users_last_admin_guard(a, req, resp, &u, "manage this customer"))
		return;
	before = users_status_json(&u, api_now(req));
	u.deactivated_at = api_now(req);
	after = users_status_json(&u, api_now(req));
	if ((st = store_user_deactivate(a->db, u.customer_id, id)) == OR_OK &&
	    (st = store_session_end_all(a->db, REALM_CUSTOMER, id, "deactivated")) == OR_OK &&
	    (st = store_reset_revoke_user(a->db, id, api_now(req))) == OR_OK)
		st = api_audit(a, req, "user.deactivate", u.customer_id, "user", id, before, after);
	json_object_put(before);
	json_object_put(after);
	users_finish(a, req, resp, st, id);
}
