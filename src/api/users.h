/*
 * The user checks that a customer admin's user management (members.c,
 * users.c) and the operator's (admin_users.c) share, so each rule stays in
 * one place.  Scope follows the caller: their own customer for a customer
 * admin, any customer for an operator; outside it a user does not exist.
 */
#ifndef ONRAMP_API_USERS_H
#define ONRAMP_API_USERS_H

#include "onramp/api.h"

/** Read ?q= and the page, then load a page of users (one customer's, or every one for FILTER_SCOPE_OPERATOR). */
bool members_load_page(app *a, http_request *req, http_response *resp, int64_t customer_id, filter_scope scope,
		       user_page *pg);
/** A page of users as the members and users lists show it, with next_after. */
json_object *members_page_json(const user_page *pg, int64_t now, bool with_customer);
/** Begin, lock the user's customer and load the user within the caller's scope. */
or_status users_begin_on_user(app *a, http_request *req, int64_t id, user *u, long *seat_limit);
/** Commit st and answer the user as it is now (200), or the failure. */
void users_finish(app *a, http_request *req, http_response *resp, or_status st, int64_t id);
/** The last-admin rule before a change that removes u as an admin; false when it answered. */
bool users_last_admin_guard(app *a, http_request *req, http_response *resp, const user *u, const char *what);
/** The status and role of u at now, for the audit row's before/after. */
json_object *users_status_json(const user *u, int64_t now);

#endif
