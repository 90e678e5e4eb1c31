/*
 * Seats at the HTTP boundary: the seats object of the members and operator
 * customer views, the one refusal every way of adding a user answers with
 * (new invites, acceptance, activation), and the audit row of a sign-in that
 * takes a customer over its limit.  The rule itself is identity_seats_allow;
 * seats are counted under the customer row lock, so a check and the write
 * after it cannot race another change of the same customer.
 */
#include "onramp/api.h"

json_object *
api_seats_json(long used, long limit)
{
	seat_count s = { used, limit };
	json_object *o = json_object_new_object();

	json_object_object_add(o, "used", json_object_new_int64(used));
	json_object_object_add(o, "limit", json_object_new_int64(limit));
	json_object_object_add(o, "over_by", json_object_new_int64(identity_seats_over_by(s)));
	return o;
}

/* Lock the customer row for the caller's transaction and count its seats under the lock. */
static or_status
count_locked(app *a, http_request *req, int64_t customer_id, seat_count *s)
{
	or_status st = store_customer_lock(a->db, customer_id, &s->limit);

	if (st == OR_OK)
		st = store_customer_seats_used(a->db, customer_id, api_now(req), &s->used);
	return st;
}

or_status
seats_allow(app *a, http_request *req, int64_t customer_id, bool takes_seat, char *msg, size_t msgsz)
{
	seat_count s;
	or_status st = count_locked(a, req, customer_id, &s);

	if (st != OR_OK || identity_seats_allow(s, takes_seat))
		return st;
	identity_seats_refusal(s, msg, msgsz);
	return OR_ERR_CONFLICT;
}

bool
seats_refuse(http_request *req, http_response *resp, seat_count s, bool takes_seat)
{
	char msg[320];

	if (identity_seats_allow(s, takes_seat))
		return false;
	identity_seats_refusal(s, msg, sizeof(msg));
	http_error(resp, 409, "conflict", arena_strdup(req->arena, msg));
	return true;
}

or_status
seats_check(app *a, http_request *req, http_response *resp, int64_t customer_id, bool takes_seat)
{
	seat_count s;
	or_status st = count_locked(a, req, customer_id, &s);

	return st == OR_OK && seats_refuse(req, resp, s, takes_seat) ? OR_ERR_CONFLICT : st;
}

or_status
seats_note_sign_in(app *a, http_request *req, const user *u)
{
	seat_count s;
	json_object *after;
	or_status st;

	/* Only a dormant user starts to hold a seat by signing in; an active one holds it already. */
	if (identity_user_status(u, api_now(req)) != USER_DORMANT)
		return OR_OK;
	if ((st = count_locked(a, req, u->customer_id, &s)) != OR_OK)
		return st;
	s.used++;	/* u itself: the caller marks it seen after this call */
	if (identity_seats_over_by(s) == 0)
		return OR_OK;
	after = json_object_new_object();
	json_object_object_add(after, "used", json_object_new_int64(s.used));
	json_object_object_add(after, "limit", json_object_new_int64(s.limit));
	st = api_audit_user_event(a, req, u, "seats.over_limit", after);
	json_object_put(after);
	return st;
}
