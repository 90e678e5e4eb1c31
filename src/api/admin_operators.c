/*
 * Operators managing operators (operator admins only): list, add, remove.
 * The last operator admin cannot be removed, so the vendor never locks
 * itself out of the console.
 */
#include <string.h>

#include "onramp/api_operator.h"
#include "onramp/choices.h"
#include "onramp/limits.h"
#include "handlers.h"

void
api_admin_operators_list(app *a, http_request *req, http_response *resp)
{
	operator_account *ops;
	size_t n, i;
	json_object *o, *arr;
	or_status st = store_operator_list(a->db, req->arena, &ops, &n);

	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	o = json_object_new_object();
	arr = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(arr, output_operator(&ops[i]));
	json_object_object_add(o, "operators", arr);
	http_json(resp, 200, o);
}

void
api_admin_operator_create(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = { "username", "email", "display_name", "role", "password", NULL };
	const char *role_s, *pw, *which = NULL;
	char temp[21] = "", phc[PASSWORD_HASH_MAX];
	input_account in;
	operator_role role = OPROLE_OPERATOR;
	operator_account op;
	int64_t id = 0;
	json_object *o;
	or_status st;

	if (!input_allowed(req, resp, allowed))
		return;
	input_new_account(req, resp, &in);
	role_s = input_string(req, resp, "role", false, LIMIT_CHOICE_BYTES);
	if (role_s && identity_operator_role_parse(role_s, &role) != OR_OK)
		input_choice_error(req, resp, "role", choices_operator_roles);
	if (!input_ok(resp))
		return;
	st = OR_OK;
	pw = in.password;
	if (pw == NULL && (st = password_generate(temp)) == OR_OK)
		pw = temp;
	if (st == OR_OK)
		st = password_hash(&a->pw, pw, strlen(pw), phc);
	if (st == OR_OK && (st = db_begin(a->db)) == OR_OK &&
	    (st = store_operator_insert(a->db, in.username, in.email, in.display_name, role, phc,
					temp[0] != '\0', &id, &which)) == OR_OK) {
		o = json_object_new_object();
		json_object_object_add(o, "username", json_object_new_string(in.username));
		json_object_object_add(o, "role", json_object_new_string(identity_operator_role_name(role)));
		st = api_audit(a, req, "operator.create", 0, "operator", id, NULL, o);
		json_object_put(o);
	}
	if (st == OR_ERR_CONFLICT && which) {
		db_rollback(a->db);
		(void)http_field_error_add(req, resp, which, "taken", "Another operator already uses this.");
		http_error(resp, 409, "conflict", "An operator with this username or email already exists.");
		return;
	}
	if (!api_commit(a, req, resp, st))
		return;
	if ((st = store_operator_get(a->db, req->arena, id, &op)) != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "operator", output_operator(&op));
	if (temp[0])
		json_object_object_add(o, "temporary_password", json_object_new_string(temp));
	explicit_bzero(temp, sizeof(temp));
	http_json(resp, 201, o);
}

void
api_admin_operator_delete(app *a, http_request *req, http_response *resp)
{
	principal *p = api_principal(req);
	operator_account op;
	int64_t id;
	or_status st;

	if (!input_path_id(req, resp, 0, &id))
		return;
	if (id == p->op.id) {
		http_error(resp, 409, "conflict", "You cannot remove yourself; ask another operator admin.");
		return;
	}
	if ((st = db_begin(a->db)) != OR_OK || (st = store_operator_get(a->db, req->arena, id, &op)) != OR_OK) {
		(void)api_commit(a, req, resp, st);
		return;
	}
	if (op.deactivated_at) {
		db_rollback(a->db);
		http_error(resp, 404, "not_found", "No such operator.");
		return;
	}
	if ((st = store_admin_keep_one(a->db, REALM_OPERATOR, 0, id)) == OR_ERR_CONFLICT) {
		db_rollback(a->db);
		http_error(resp, 409, "conflict", "This is the last operator admin; add another admin first.");
		return;
	}
	if (st == OR_OK && (st = store_operator_deactivate(a->db, id)) == OR_OK &&
	    (st = store_session_end_all(a->db, REALM_OPERATOR, id, "deactivated")) == OR_OK)
		st = api_audit(a, req, "operator.remove", 0, "operator", id, NULL, NULL);
	if (api_commit(a, req, resp, st))
		resp->status = 204;
}
