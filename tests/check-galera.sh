#!/bin/sh
# Fail when src/ or sql/ uses what a Galera cluster does not support or does
# not honour across nodes (issue 17; docs/architecture.md, "Galera"):
#   GET_LOCK / RELEASE_LOCK   named locks are node-local (the migration lease is a row)
#   SKIP LOCKED               locking reads are node-local (the outbox claim is a write)
#   LOCK TABLES               not replicated
#   ENGINE= other than InnoDB only InnoDB tables replicate
#   CREATE TEMPORARY          temporary tables are not replicated
# Comment lines (C block comments, //, SQL --) may name them to say why.
# Run by `make check`; with arguments, checks those directories instead.
top=${top_srcdir:-$(dirname "$0")/..}
if [ $# -gt 0 ]; then dirs="$*"; else dirs="$top/src $top/sql"; fi
comment='^[^:]*:[0-9]+:[[:space:]]*(\*|/\*|//|--)'
hits=$(grep -rniE '(^|[^a-z0-9_])(GET_LOCK|RELEASE_LOCK|IS_FREE_LOCK|IS_USED_LOCK)[[:space:]]*\(|SKIP[[:space:]]+LOCKED|LOCK[[:space:]]+TABLES?|CREATE[[:space:]]+(OR[[:space:]]+REPLACE[[:space:]]+)?TEMPORARY|ENGINE[[:space:]]*=' \
	$dirs 2>/dev/null | grep -vE "$comment" | grep -viE 'ENGINE[[:space:]]*=[[:space:]]*InnoDB([^a-z]|$)')
# A line naming InnoDB may still hold one of the others.
hits2=$(grep -rniE 'ENGINE[[:space:]]*=[[:space:]]*InnoDB' $dirs 2>/dev/null | grep -vE "$comment" |
	grep -iE '(^|[^a-z0-9_])(GET_LOCK|RELEASE_LOCK|IS_FREE_LOCK|IS_USED_LOCK)[[:space:]]*\(|SKIP[[:space:]]+LOCKED|LOCK[[:space:]]+TABLES?|CREATE[[:space:]]+(OR[[:space:]]+REPLACE[[:space:]]+)?TEMPORARY')
if [ -n "$hits$hits2" ]; then
	echo "not for Galera (docs/architecture.md):"
	printf '%s\n%s\n' "$hits" "$hits2" | grep -v '^$'
	exit 1
fi
echo "nothing Galera does not support"
exit 0
