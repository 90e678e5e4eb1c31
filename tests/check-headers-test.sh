#!/bin/sh
# The test of tests/check-headers.sh (run by `make check`): on a copy of
# include/onramp and src/api, the clean copy passes, and each planted
# violation (one per rule of the check) makes the check fail.
top=${top_srcdir:-$(dirname "$0")/..}
check="$top/tests/check-headers.sh"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
status=0

fresh() {
	rm -rf "$tmp/tree" && mkdir -p "$tmp/tree/include" "$tmp/tree/src" &&
		cp -R "$top/include/onramp" "$tmp/tree/include/" && cp -R "$top/src/api" "$tmp/tree/src/"
}

# expect WANT NAME: run the check on the copy; WANT is pass or fail.
expect() {
	if top_srcdir="$tmp/tree" sh "$check" >"$tmp/out" 2>&1; then got=pass; else got=fail; fi
	if [ "$got" = "$1" ]; then
		echo "ok: $2 ($got)"
	else
		echo "NOT OK: $2: the check should $1 but did $got"
		sed 's/^/  | /' "$tmp/out"
		status=1
	fi
}

fresh && expect pass "the tree as it is"

fresh && sed -i 's|#include "onramp/store.h"|#include "onramp/store.h"\n#include "onramp/store_operator.h"|' \
	"$tmp/tree/include/onramp/api.h" && expect fail "a customer-side header includes an operator-only one"

fresh && printf '#include "onramp/setup_store_operator.h"\n' >>"$tmp/tree/src/api/account.c" &&
	expect fail "a customer handler includes an operator-only header"

fresh && printf '%s\n' 'or_status store_notes_get(db *d, arena *a, int64_t customer_id, void *out);' \
	'static void' 'peek(app *a, http_request *req)' '{' '	(void)store_notes_get(a->db, req->arena, 1, NULL);' '}' \
	>>"$tmp/tree/src/api/checklist.c" && expect fail "a customer handler declares and calls an operator-only function"

fresh && printf '%s\n' 'static void' 'peek(app *a, http_request *req)' '{' \
	'	(void)store_audit_list_any(a->db, req->arena, 0, 1, NULL, NULL);' '}' \
	>>"$tmp/tree/src/api/members.c" && expect fail "a shared file calls an operator-only function outside api_admin_*"

exit $status
