/*
 * How users, operators and customers look in API responses.  Password
 * hashes, TOTP secrets and session data never leave the store layer's
 * structs, so they cannot end up here by accident.
 */
#include <stdio.h>

#include "onramp/api.h"
#include "onramp/timefmt.h"

json_object *
output_time(int64_t t)
{
	char buf[TIMEFMT_RFC3339_LEN];

	if (t == 0)
		return NULL;
	timefmt_rfc3339(t, buf);
	return json_object_new_string(buf);
}

json_object *
output_id(int64_t id)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", (long long)id);
	return json_object_new_string(buf);
}

json_object *
output_str(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

json_object *
output_user(const user *u, int64_t now, bool with_customer)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", output_id(u->id));
	json_object_object_add(o, "username", json_object_new_string(u->username ? u->username : ""));
	json_object_object_add(o, "email", json_object_new_string(u->email ? u->email : ""));
	json_object_object_add(o, "display_name", output_str(u->display_name));
	json_object_object_add(o, "role", json_object_new_string(identity_role_name(u->role)));
	json_object_object_add(o, "status",
			       json_object_new_string(identity_status_name(identity_user_status(u, now))));
	json_object_object_add(o, "login_type", json_object_new_string(u->login_type ? u->login_type : "password"));
	json_object_object_add(o, "must_change_password", json_object_new_boolean(u->must_change_password));
	json_object_object_add(o, "last_seen_at", output_time(u->last_seen_at));
	json_object_object_add(o, "created_at", output_time(u->created_at));
	json_object_object_add(o, "updated_at", output_time(u->updated_at));
	json_object_object_add(o, "deactivated_at", output_time(u->deactivated_at));
	json_object_object_add(o, "holds_seat", json_object_new_boolean(identity_holds_seat(u, now)));
	json_object_object_add(o, "version", json_object_new_int64(u->version));
	if (with_customer) {
		json_object_object_add(o, "customer_id", output_id(u->customer_id));
		json_object_object_add(o, "customer", output_str(u->customer_slug));
	}
	return o;
}

json_object *
output_operator(const operator_account *op)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", output_id(op->id));
	json_object_object_add(o, "username", json_object_new_string(op->username ? op->username : ""));
	json_object_object_add(o, "email", json_object_new_string(op->email ? op->email : ""));
	json_object_object_add(o, "display_name", output_str(op->display_name));
	json_object_object_add(o, "role", json_object_new_string(identity_operator_role_name(op->role)));
	json_object_object_add(o, "totp_enabled", json_object_new_boolean(op->totp_enabled));
	json_object_object_add(o, "must_change_password", json_object_new_boolean(op->must_change_password));
	json_object_object_add(o, "last_seen_at", output_time(op->last_seen_at));
	json_object_object_add(o, "created_at", output_time(op->created_at));
	json_object_object_add(o, "deactivated_at", output_time(op->deactivated_at));
	return o;
}

json_object *
output_customer(const customer *c, long seats_used)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", output_id(c->id));
	json_object_object_add(o, "slug", json_object_new_string(c->slug ? c->slug : ""));
	json_object_object_add(o, "name", json_object_new_string(c->name ? c->name : ""));
	json_object_object_add(o, "seats", api_seats_json(seats_used, c->seat_limit));
	json_object_object_add(o, "created_at", output_time(c->created_at));
	json_object_object_add(o, "updated_at", output_time(c->updated_at));
	json_object_object_add(o, "version", json_object_new_int64(c->version));
	return o;
}
