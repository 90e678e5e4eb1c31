/*
 * Unit tests for the tenant scope of the store (src/store/scope.h): a scoped
 * function called with customer id 0 refuses before it touches the database,
 * instead of widening to every customer.  No server is needed: the handle
 * points at a socket that does not exist, so any query that did run would
 * count a database error; the *_any reads show that difference.
 */
#include <string.h>

#include "onramp/arena.h"
#include "onramp/config.h"
#include "onramp/invite_store.h"
#include "onramp/setup_store_operator.h"
#include "onramp/sso_setup_store.h"
#include "onramp/sso_signin_store.h"
#include "onramp/store_operator.h"
#include "unit.h"

static config cfg;
static db *d;
static arena *ar;

static void
setup(void)
{
	config_defaults(&cfg);
	strncpy(cfg.db_socket, "/nonexistent/onramp-test.sock", sizeof(cfg.db_socket) - 1);
	d = db_new(&cfg);
	ar = arena_new(1 << 16);
}

static void
teardown(void)
{
	db_free(d);
	arena_free(ar);
}

/* Refused without a query: OR_ERR_INTERNAL and no database error counted. */
#define REFUSED(call) do { \
	CU_ASSERT_EQUAL((call), OR_ERR_INTERNAL); \
	CU_ASSERT_EQUAL(db_get_counters(d).errors, 0); \
} while (0)

static void
test_scoped_reads_refuse_zero(void)
{
	user u;
	user_page pg;
	invite v;
	audit_entry *es;
	audit_filter af = { 0 };
	review *rv;
	support_request *sr;
	review_query q = { NULL, NULL, 0, 0, 10 };
	sso_setup_link l, *ls;
	filter f;
	long count;
	int64_t oldest;
	size_t n;

	setup();
	memset(&f, 0, sizeof(f));
	REFUSED(store_user_get(d, ar, 0, 1, &u));
	REFUSED(store_user_list(d, ar, 0, &f, 0, 0, 10, &pg));
	REFUSED(store_invite_get(d, ar, 0, 1, false, &v));
	REFUSED(store_invite_get(d, ar, 0, 1, true, &v));
	REFUSED(store_audit_list(d, ar, 0, &af, 10, &es, &n));
	REFUSED(store_review_list(d, ar, &q, &rv, &n));
	REFUSED(store_support_list(d, ar, 0, 0, 10, &sr, &n));
	REFUSED(store_sso_setup_link_get(d, ar, 0, 1, &l));
	REFUSED(store_sso_setup_link_list(d, ar, 0, 10, &ls, &n));
	REFUSED(store_sso_setup_links_since(d, 0, 0, &count, &oldest));
	{
		sso_pending p;
		sso_pending_why why;
		sso_jwks_entry e;
		sso_test t;
		REFUSED(store_sso_pending_consume(d, ar, 0, "s", "b", 0, &p, &why));
		REFUSED(store_sso_jwks_get(d, ar, 0, "h", &e));
		REFUSED(store_sso_test_get(d, ar, 0, 1, &t));
		REFUSED(store_sso_test_latest(d, ar, 0, &t));
	}
	teardown();
}

static void
test_scoped_writes_refuse_zero(void)
{
	setup();
	REFUSED(store_user_set_suspended(d, 0, 1, true));
	REFUSED(store_user_set_role(d, 0, 1, ROLE_CUSTOMER_MEMBER));
	REFUSED(store_user_deactivate(d, 0, 1));
	REFUSED(store_admin_keep_one(d, REALM_CUSTOMER, 0, 1));
	REFUSED(store_sso_setup_link_revoke(d, 0, 1, 1, 0));
	{
		sso_setup_link_new in = { 0, "it@example.test", "0", 1, 0, 3600 };
		int64_t id;
		REFUSED(store_sso_setup_link_insert(d, &in, &id));
	}
	{
		sso_pending_new pn = { "s", "b", 0, "signin", 0, "oidc", 1, "r", 0, 600 };
		int64_t id;
		REFUSED(store_sso_pending_create(d, &pn));
		REFUSED(store_sso_jwks_put(d, 0, "h", "{}", 0));
		REFUSED(store_sso_jwks_claim_refetch(d, 0, "h", 0, 60));
		REFUSED(store_sso_test_create(d, 0, "oidc", 1, "x", 0, &id));
		REFUSED(store_sso_test_finish(d, 0, 1, true, "{}", 0));
		REFUSED(store_user_set_login_type(d, 0, 1, "oidc"));
	}
	teardown();
}

/* The control: the all-customers reads do go to the database (here: fail to reach it). */
static void
test_any_reads_query(void)
{
	user u;

	setup();
	CU_ASSERT_EQUAL(store_user_get_any(d, ar, 1, &u), OR_ERR_DB);
	CU_ASSERT(db_get_counters(d).errors > 0);
	teardown();
}

static const unit_test tests[] = {
	{ "scoped reads refuse customer id 0", test_scoped_reads_refuse_zero },
	{ "scoped writes refuse customer id 0", test_scoped_writes_refuse_zero },
	{ "*_any reads do query", test_any_reads_query },
	{ NULL, NULL },
};

UNIT_MAIN("store_scope", tests)
