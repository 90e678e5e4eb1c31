/*
 * Reading files of the IdP document corpus (a copy of ../shared/corpus kept
 * in tests/corpus; see its SOURCES.md) from unit tests.  The directory is
 * $ONRAMP_CORPUS_DIR when set, else CORPUS_DIR (the build passes
 * $(abs_top_srcdir)/tests/corpus), else ../shared/corpus's usual place.
 */
#ifndef ONRAMP_TEST_CORPUS_H
#define ONRAMP_TEST_CORPUS_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "onramp/sso_report.h"

#ifndef CORPUS_DIR
#define CORPUS_DIR "/work/shared/corpus"
#endif

/** 2026-11-23T00:00:00Z, the date SOURCES.md computed its verdicts at. */
#define CORPUS_NOW INT64_C(1795392000)

/** The whole file rel (e.g. "oidc/apple_openid-configuration.json"), NUL-terminated; free() it. NULL if unreadable. */
static inline char *
corpus_read(const char *rel, size_t *len)
{
	const char *dir = getenv("ONRAMP_CORPUS_DIR");
	char path[1024];
	char *buf = NULL;
	FILE *f;
	long n;

	if (snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : CORPUS_DIR, rel) >= (int)sizeof(path))
		return NULL;
	f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "cannot open %s\n", path);
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		buf[n] = '\0';
		*len = (size_t)n;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/*
 * Verdict rows SOURCES.md holds at least, per directory.  The tables below are
 * copied from it by hand; when its table stops parsing (a changed layout, a
 * truncated file) the row count drops and the test fails instead of passing
 * over nothing.
 */
#define CORPUS_ROWS_SAML 14
#define CORPUS_ROWS_OIDC 11
#define CORPUS_ROWS_JWKS 8

/*
 * Check SOURCES.md against a test's table: its verdict rows for files under
 * dir ("saml/", "oidc/", "jwks/") are at least min, each row's file is one the
 * table knows, and the table has no file without a row (ntable rows).  A row
 * is a table line "| `dir...` | ... | **accept...** or **reject...** |".
 */
static inline void
corpus_check_rows(const char *dir, size_t min, bool (*known)(const char *file), size_t ntable)
{
	size_t len = 0, rows = 0, dlen = strlen(dir);
	char *text = corpus_read("SOURCES.md", &len), *line, *end, *tick;

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	for (line = text; line != NULL && *line != '\0'; line = end ? end + 1 : NULL) {
		end = strchr(line, '\n');
		if (end != NULL)
			*end = '\0';
		if (strncmp(line, "| `", 3) != 0 || strncmp(line + 3, dir, dlen) != 0 ||
		    (strstr(line, "| **accept") == NULL && strstr(line, "| **reject") == NULL) ||
		    (tick = strchr(line + 3, '`')) == NULL)
			continue;
		*tick = '\0';
		if (!known(line + 3))
			printf("\n  SOURCES.md row without a case here: %s\n", line + 3);
		CU_ASSERT_TRUE(known(line + 3));
		rows++;
	}
	free(text);
	if (rows < min || rows != ntable)
		printf("\n  SOURCES.md: %zu %s rows (at least %zu, and one for each of %zu cases)\n",
		       rows, dir, min, ntable);
	CU_ASSERT_TRUE(rows >= min);
	CU_ASSERT_EQUAL(rows, ntable);
}

/* A report check that ran and failed. */
static inline bool
failed(const sso_report *r, const char *key)
{
	const sso_check *c = sso_report_find(r, key);

	return c != NULL && !c->ok;
}

/* A check's message, "" when the check is absent. */
static inline const char *
message(const sso_report *r, const char *key)
{
	const sso_check *c = sso_report_find(r, key);

	return c ? c->message : "";
}

#endif
