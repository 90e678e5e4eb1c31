/*
 * Reading files of the IdP document corpus (a copy of ../shared/corpus kept
 * in tests/corpus; see its SOURCES.md) from unit tests.  The directory is
 * $ONRAMP_CORPUS_DIR when set, else CORPUS_DIR (the build passes
 * $(abs_top_srcdir)/tests/corpus), else ../shared/corpus's usual place.
 */
#ifndef ONRAMP_TEST_CORPUS_H
#define ONRAMP_TEST_CORPUS_H

#include <stdio.h>
#include <stdlib.h>

#include "onramp/sso_report.h"

#ifndef CORPUS_DIR
#define CORPUS_DIR "/work/shared/corpus"
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
