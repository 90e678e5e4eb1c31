#!/bin/sh
# Tenant scope stays explicit (run by `make check`):
#  1. no store query treats customer id 0 as "any customer" again (a
#     `? = 0 OR ...customer_id` clause); reads across customers are the
#     separately named store_*_any functions;
#  2. no customer handler calls a store_*_any function.  Customer handlers
#     live in the src/api/ files without the admin_ prefix; operator handlers
#     in those files are named api_admin_*.  The exceptions below are the
#     places that legitimately start from something other than a customer id.
top=${top_srcdir:-$(dirname "$0")/..}
status=0

widened=$(grep -rnE '\? *= *0 +OR +[a-z_.]*customer_id' "$top/src/store" "$top/src/api" 2>/dev/null)
if [ -n "$widened" ]; then
	echo "customer id 0 used as 'any customer' (use a scoped query and a separate *_any function):"
	echo "$widened"
	status=1
fi

# file:function pairs allowed to call store_*_any outside an api_admin_* handler.
allowed='
auth.c:load_principal
resets.c:complete
users.c:load_in_scope
members.c:members_load_page
'
hits=$(for f in "$top"/src/api/*.c; do
	case "$(basename "$f")" in admin_*) continue ;; esac
	awk -v base="$(basename "$f")" '
		/^[a-z_][a-z0-9_]*\(/ { fn = substr($0, 1, index($0, "(") - 1) }
		/store_[a-z0-9_]*_any[ \t]*\(/ && fn !~ /^api_admin_/ { print base ":" fn ":" FNR ": " $0 }
	' "$f"
done)
bad=$(printf '%s\n' "$hits" | while IFS= read -r h; do
	[ -z "$h" ] && continue
	key=$(printf '%s' "$h" | cut -d: -f1,2)
	printf '%s\n' "$allowed" | grep -qx "$key" || printf '%s\n' "$h"
done)
if [ -n "$bad" ]; then
	echo "customer handlers calling an all-customers store function (store_*_any):"
	echo "$bad"
	status=1
fi
[ $status -eq 0 ] && echo "tenant scope explicit"
exit $status
