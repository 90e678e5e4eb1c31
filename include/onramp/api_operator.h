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

#endif
