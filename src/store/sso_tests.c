/*
 * Test sign-ins of an SSO draft version (sql/013 sso_tests).  Activation asks
 * whether the approved version passed one; the sign-in flow owns the rest of
 * this table and adds its functions below.
 */
#include "onramp/sso_store.h"
#include "scope.h"

static const char SQL_PASSED[] =
	"SELECT EXISTS(SELECT 1 FROM sso_tests WHERE customer_id = ? AND version = ? AND state = 'passed')";

or_status
store_sso_test_passed(db *d, int64_t customer_id, int64_t version, bool *passed)
{
	db_arg args[] = { DB_INT(customer_id), DB_INT(version) };
	long long n = 0;
	or_status st;

	*passed = false;
	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	st = db_scalar(d, SQL_PASSED, args, 2, 0, &n);
	*passed = st == OR_OK && n != 0;
	return st;
}
