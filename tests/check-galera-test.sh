#!/bin/sh
# The test of tests/check-galera.sh (run by `make check`): on a copy of src/
# and sql/, the clean copy passes, and each planted violation (one per rule of
# the check, in C and in SQL) makes the check fail.
top=${top_srcdir:-$(dirname "$0")/..}
check="$top/tests/check-galera.sh"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
status=0

fresh() {
	rm -rf "$tmp/tree" && mkdir -p "$tmp/tree/tests" && cp -R "$top/src" "$top/sql" "$tmp/tree/"
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

# plant FILE LINE: append one line to a file of the copy.
plant() {
	printf '%s\n' "$2" >>"$tmp/tree/$1"
}

fresh && expect pass "the tree as it is"
fresh && plant src/store/outbox.c 'static const char X[] = "SELECT GET_LOCK(\"x\", 10)";' && expect fail "GET_LOCK in C"
fresh && plant src/store/outbox.c 'static const char X[] = "DO RELEASE_LOCK(\"x\")";' && expect fail "RELEASE_LOCK in C"
fresh && plant src/store/outbox.c 'static const char X[] = "SELECT id FROM outbox FOR UPDATE SKIP LOCKED";' &&
	expect fail "SKIP LOCKED in C"
fresh && plant src/store/outbox.c 'static const char X[] = "LOCK TABLES outbox WRITE";' && expect fail "LOCK TABLES in C"
fresh && plant src/store/outbox.c 'static const char X[] = "CREATE TEMPORARY TABLE t (id INT)";' &&
	expect fail "CREATE TEMPORARY in C"
fresh && plant sql/023_galera.sql 'CREATE TABLE IF NOT EXISTS t (id INT PRIMARY KEY) ENGINE=MyISAM;' &&
	expect fail "ENGINE=MyISAM in SQL"
fresh && plant sql/023_galera.sql 'CREATE TABLE IF NOT EXISTS t (id INT PRIMARY KEY) ENGINE = Aria;' &&
	expect fail "ENGINE = Aria in SQL"
fresh && plant sql/023_galera.sql 'CREATE TABLE t (id INT PRIMARY KEY) ENGINE=InnoDB; LOCK TABLES t WRITE;' &&
	expect fail "LOCK TABLES after an InnoDB table on one line"
fresh && plant sql/023_galera.sql 'CREATE TEMPORARY TABLE IF NOT EXISTS t (id INT);' && expect fail "CREATE TEMPORARY in SQL"
fresh && plant sql/023_galera.sql '-- not GET_LOCK(), not LOCK TABLES: a comment may say why' && expect pass "a comment naming them"
fresh && plant src/store/outbox.c 'static const char SQL_GET_LOCK_X[] = "SELECT 1";' && expect pass "an identifier, not the function"
exit $status
