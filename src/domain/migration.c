/*
 * Pure migration rules: file names, ordering, statement splitting and
 * checksums.  The runner in store/migrate.c does the I/O.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "onramp/limits.h"
#include "onramp/migration.h"

/* Defined in the generated src/store/migrations_data.c. */
extern const migration migration_files[];
extern const unsigned long migration_files_count;

or_status
migration_parse_name(const char *file, unsigned *version)
{
	size_t n = strlen(file), i;
	unsigned v = 0;

	/* NNN_x.sql is the shortest valid name. */
	if (n < 9 || strcmp(file + n - 4, ".sql") != 0 || file[3] != '_')
		return OR_ERR_INVALID;
	for (i = 0; i < 3; i++) {
		if (file[i] < '0' || file[i] > '9')
			return OR_ERR_INVALID;
		v = v * 10 + (unsigned)(file[i] - '0');
	}
	for (i = 4; i < n - 4; i++) {
		char c = file[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return OR_ERR_INVALID;
	}
	if (v == 0)
		return OR_ERR_INVALID;
	*version = v;
	return OR_OK;
}

static int
by_version(const void *a, const void *b)
{
	const migration *x = a, *y = b;
	return (x->version > y->version) - (x->version < y->version);
}

or_status
migration_sort_check(migration *list, size_t n, char *err, size_t errsz)
{
	size_t i;

	if (n > LIMIT_MIGRATIONS) {
		snprintf(err, errsz, "more than %u migrations", LIMIT_MIGRATIONS);
		return OR_ERR_LIMIT;
	}
	for (i = 0; i < n; i++) {
		if (migration_parse_name(list[i].file, &list[i].version) != OR_OK) {
			snprintf(err, errsz, "%s: name must be NNN_name.sql (NNN from 001, name [a-z0-9_])",
				 list[i].file);
			return OR_ERR_INVALID;
		}
		if (list[i].sql_len > LIMIT_MIGRATION_BYTES) {
			snprintf(err, errsz, "%s: larger than %u bytes", list[i].file, LIMIT_MIGRATION_BYTES);
			return OR_ERR_LIMIT;
		}
	}
	qsort(list, n, sizeof(*list), by_version);
	for (i = 0; i < n; i++) {
		if (i > 0 && list[i].version == list[i - 1].version) {
			snprintf(err, errsz, "%s and %s share version %03u", list[i - 1].file,
				 list[i].file, list[i].version);
			return OR_ERR_INVALID;
		}
		if (list[i].version != i + 1) {
			snprintf(err, errsz, "%s: expected version %03zu (versions must be contiguous)",
				 list[i].file, i + 1);
			return OR_ERR_INVALID;
		}
	}
	return OR_OK;
}

/* True when [p, end) holds only whitespace and comments. */
static bool
only_comments(const char *p, const char *end)
{
	while (p < end) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
			p++;
		} else if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
			while (p < end && *p != '\n')
				p++;
		} else if (*p == '#') {
			while (p < end && *p != '\n')
				p++;
		} else if (end - p >= 2 && p[0] == '/' && p[1] == '*') {
			const char *c = p + 2;
			while (c + 1 < end && !(c[0] == '*' && c[1] == '/'))
				c++;
			p = c + 2;
		} else {
			return false;
		}
	}
	return true;
}

static or_status
emit(const char *start, const char *end, migration_stmt_fn fn, void *ctx)
{
	while (start < end && (*start == ' ' || *start == '\t' || *start == '\n' || *start == '\r'))
		start++;
	while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
		end--;
	if (only_comments(start, end))
		return OR_OK;
	return fn(ctx, start, (size_t)(end - start));
}

or_status
migration_split(const char *sql, size_t len, migration_stmt_fn fn, void *ctx)
{
	const char *p = sql, *end = sql + len, *start = sql;
	or_status st;

	while (p < end) {
		char c = *p;
		if (c == '\'' || c == '"' || c == '`') {
			p++;
			while (p < end && *p != c) {
				if (*p == '\\' && c != '`' && p + 1 < end)
					p++;
				p++;
			}
			if (p >= end)
				return OR_ERR_INVALID;
			p++;
		} else if (c == '-' && p + 1 < end && p[1] == '-') {
			while (p < end && *p != '\n')
				p++;
		} else if (c == '#') {
			while (p < end && *p != '\n')
				p++;
		} else if (c == '/' && p + 1 < end && p[1] == '*') {
			p += 2;
			while (p + 1 < end && !(p[0] == '*' && p[1] == '/'))
				p++;
			if (p + 1 >= end)
				return OR_ERR_INVALID;
			p += 2;
		} else if (c == ';') {
			if ((st = emit(start, p, fn, ctx)) != OR_OK)
				return st;
			start = ++p;
		} else {
			p++;
		}
	}
	return emit(start, end, fn, ctx);
}

void
migration_checksum(const migration *m, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int mdlen = 0, i;

	if (EVP_Digest(m->sql, m->sql_len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
		memset(out, '0', 64);
		out[64] = '\0';
		return;
	}
	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

static migration sorted[LIMIT_MIGRATIONS];
static size_t nsorted;
static bool sorted_ok, sorted_done;

const migration *
migration_all(size_t *n)
{
	if (!sorted_done) {
		char err[256];
		size_t i;
		nsorted = migration_files_count < LIMIT_MIGRATIONS ? migration_files_count : LIMIT_MIGRATIONS;
		for (i = 0; i < nsorted; i++) {
			sorted[i] = migration_files[i];
			sorted[i].sql_len = strlen(sorted[i].sql);
		}
		sorted_ok = migration_sort_check(sorted, nsorted, err, sizeof(err)) == OR_OK;
		sorted_done = true;
	}
	*n = sorted_ok ? nsorted : 0;
	return sorted_ok ? sorted : NULL;
}

unsigned
migration_latest(void)
{
	size_t n;
	const migration *m = migration_all(&n);
	return m && n ? m[n - 1].version : 0;
}
