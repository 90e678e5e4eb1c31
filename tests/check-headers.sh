#!/bin/sh
# The customer/operator boundary of the headers holds (run by `make check`):
#  1. the operator-only headers (include/onramp/*_operator.h) are included by
#     no other header, so no include chain brings them in by the back door;
#  2. no customer handler file includes one: the src/api/*.c files without
#     the admin_ prefix, except the files listed in $shared below;
#  3. no customer handler file names a function an operator-only header
#     declares (a local prototype would get around rule 2);
#  4. in the $shared files, which serve both realms, those functions are
#     called only from the operator handlers (api_admin_*) and the helpers
#     listed in $shared_helpers.
# tests/check-headers-test.sh plants a violation of each rule in a copy of the
# tree and asserts that this script fails.
top=${top_srcdir:-$(dirname "$0")/..}
inc="$top/include/onramp"
status=0

# Files that serve both realms, and why.
#   auth.c     loads the principal of either realm (operator accounts)
#   banner.c   GET /api/v1/banner and the operator's banner writes
#   members.c  GET /api/v1/members and the page loader of the operator's user list
#   users.c    the user checks of the customer's and the operator's user actions
shared='auth.c banner.c members.c users.c'
# file:function helpers of the shared files that call operator-only functions.
shared_helpers='
auth.c:load_principal
members.c:members_load_page
'

op_headers=$(cd "$inc" && ls ./*_operator.h 2>/dev/null | sed 's|^\./||')
if [ -z "$op_headers" ]; then
	echo "no operator-only headers in $inc"
	exit 1
fi
op_re=$(printf '%s\n' $op_headers | sed 's/\./\\./g' | paste -sd'|' -)
inc_re="#[ \t]*include[ \t]*[\"<](onramp/)?($op_re)[\">]"

# Rule 1.
for h in "$inc"/*.h "$top"/src/api/*.h; do
	case "$(basename "$h")" in *_operator.h) continue ;; esac
	if grep -nE "$inc_re" "$h" >/dev/null; then
		echo "header $(basename "$h") includes an operator-only header:"
		grep -nE "$inc_re" "$h"
		status=1
	fi
done

# The functions the operator-only headers declare.
op_fns=$(for h in $op_headers; do
	grep -oE '^[a-z_][a-z0-9_ *]*[ *]((store|api)_[a-z0-9_]+)\(' "$inc/$h" | grep -oE '(store|api)_[a-z0-9_]+\($' | tr -d '('
done | sort -u)
fn_re=$(printf '%s\n' $op_fns | paste -sd'|' -)

for f in "$top"/src/api/*.c; do
	base=$(basename "$f")
	case "$base" in admin_*) continue ;; esac
	case " $shared " in
	*" $base "*)
		# Rule 4.
		hits=$(awk -v base="$base" -v re="(^|[^a-z0-9_])($fn_re)[ \t]*[(]" '
			/^[a-z_][a-z0-9_]*\(/ { fn = substr($0, 1, index($0, "(") - 1) }
			$0 ~ re && fn !~ /^api_admin_/ { print base ":" fn ":" FNR ": " $0 }
		' "$f" | while IFS= read -r h; do
			key=$(printf '%s' "$h" | cut -d: -f1,2)
			printf '%s\n' "$shared_helpers" | grep -qx "$key" || printf '%s\n' "$h"
		done)
		if [ -n "$hits" ]; then
			echo "operator-only functions called outside the operator handlers of $base:"
			echo "$hits"
			status=1
		fi
		continue
		;;
	esac
	# Rule 2.
	if grep -nE "$inc_re" "$f" >/dev/null; then
		echo "customer handler file $base includes an operator-only header:"
		grep -nE "$inc_re" "$f"
		status=1
	fi
	# Rule 3.
	if grep -nE "(^|[^a-z0-9_])($fn_re)[ \t]*\(" "$f" >/dev/null; then
		echo "customer handler file $base names operator-only functions:"
		grep -nE "(^|[^a-z0-9_])($fn_re)[ \t]*\(" "$f"
		status=1
	fi
done
[ $status -eq 0 ] && echo "customer handlers see no operator-only header"
exit $status
