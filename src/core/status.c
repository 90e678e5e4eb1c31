/*
 * Names for the project-wide status values, used in logs and tests.
 */
#include "onramp/status.h"

const char *
status_name(or_status st)
{
	switch (st) {
	case OR_OK: return "ok";
	case OR_ERR_NOMEM: return "nomem";
	case OR_ERR_LIMIT: return "limit";
	case OR_ERR_INVALID: return "invalid";
	case OR_ERR_NOT_FOUND: return "not_found";
	case OR_ERR_CONFLICT: return "conflict";
	case OR_ERR_VERSION: return "version";
	case OR_ERR_DB: return "db";
	case OR_ERR_IO: return "io";
	case OR_ERR_INTERNAL: return "internal";
	}
	return "unknown";
}
