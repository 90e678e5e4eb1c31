#!/bin/sh
# Fail when a banned libc function appears in src/ or include/ (DESIGN.md:
# gets strcpy strcat sprintf vsprintf strtok atoi atol sscanf), like curl's
# checksrc.  Run by `make check`.
top=${top_srcdir:-$(dirname "$0")/..}
hits=$(grep -rnE '(^|[^a-zA-Z0-9_])(gets|strcpy|strcat|sprintf|vsprintf|strtok|atoi|atol|sscanf)[[:space:]]*\(' \
	"$top/src" "$top/include" "$top/tests/unit" "$top/tests/bench" 2>/dev/null)
if [ -n "$hits" ]; then
	echo "banned functions used:"
	echo "$hits"
	exit 1
fi
echo "no banned functions"
exit 0
