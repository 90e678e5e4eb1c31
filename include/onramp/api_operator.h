/*
 * What operator handlers add to api.h: the operator-only store headers
 * (store_operator.h, setup_store_operator.h) and the JSON of operator-only
 * views.  Included by the src/api/admin_*.c files and, for their api_admin_*
 * handlers, by the files shared by both realms; never by a customer handler
 * (tests/check-headers.sh, in `make check`).
 */
#ifndef ONRAMP_API_OPERATOR_H
#define ONRAMP_API_OPERATOR_H

#include <json-c/json.h>

#include "onramp/api.h"
#include "onramp/setup_store_operator.h"
#include "onramp/store_operator.h"

/** A review as the operator API shows it (with the internal comment). */
json_object *api_review_json(const review *r);
/** A support request as the operator API shows it. */
json_object *api_support_admin_json(const support_request *r);
/** ?customer= of the operator's lists as an id (0 when absent); 400 for anything else. */
bool api_customer_param(http_request *req, http_response *resp, int64_t *id);
/** A customer's operator context (billing, workspace target, provider setup). */
json_object *api_context_json(const setup_context *c);
/** A customer's internal notes. */
json_object *api_notes_json(const internal_note *n);
/** A customer's open blockers as a JSON array. */
json_object *api_blockers_json(const blocker_row *b, size_t n);
/** Load the customer the path's first id names; false with resp set (404) when there is none. */
bool api_path_customer(app *a, http_request *req, http_response *resp, customer *c);
/** A customer's SSO go-live facts {approved_version, approved_at, live_version, activated_at, activated_by} (NULL + *st on failure). */
json_object *api_sso_activation_json(app *a, arena *ar, int64_t customer_id, or_status *st);

#endif
