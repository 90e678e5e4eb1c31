/*
 * Fuzz the form body parser (src/http/form.c, the SAML ACS's body).  A form
 * that parses must hold unique, non-empty names, values without NUL and
 * valid UTF-8, and parse again to the same fields once re-encoded; anything
 * else aborts.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "onramp/http.h"

/* Percent-encode s (every byte) into out at *n. */
static void
encode(const char *s, size_t len, char *out, size_t *n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < len; i++) {
		out[(*n)++] = '%';
		out[(*n)++] = hex[(unsigned char)s[i] >> 4];
		out[(*n)++] = hex[(unsigned char)s[i] & 15];
	}
}

static void
check(arena *a, const http_form_field *f, size_t nf, size_t size)
{
	char *text = arena_alloc(a, 3 * size + nf * 2 + 1);
	http_form_field *g = NULL;
	const char *why = NULL;
	size_t i, j, n = 0, ng = 0;

	if (text == NULL)
		return;
	for (i = 0; i < nf; i++) {
		if (*f[i].name == '\0' || strlen(f[i].value) != f[i].value_len ||
		    !str_utf8_valid((or_str){ f[i].value, f[i].value_len }))
			abort();
		for (j = 0; j < i; j++)
			if (strcmp(f[i].name, f[j].name) == 0)
				abort();
		if (i > 0)
			text[n++] = '&';
		encode(f[i].name, strlen(f[i].name), text, &n);
		text[n++] = '=';
		encode(f[i].value, f[i].value_len, text, &n);
	}
	/* A name escaped three-fold can outgrow LIMIT_FORM_NAME: only a refusal then, not a bug. */
	if (http_form_parse(a, text, n, &g, &ng, &why) != OR_OK)
		return;
	if (ng != nf)
		abort();
	for (i = 0; i < nf; i++)
		if (strcmp(g[i].name, f[i].name) != 0 || g[i].value_len != f[i].value_len ||
		    memcmp(g[i].value, f[i].value, f[i].value_len) != 0)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	arena *a = arena_new(16u << 20);
	http_form_field *f = NULL;
	const char *why = NULL;
	size_t n = 0;
	or_status st;

	if (a == NULL)
		return 0;
	st = http_form_parse(a, (const char *)data, size, &f, &n, &why);
	if (st == OR_OK)
		check(a, f, n, size);
	else if (st == OR_ERR_INVALID && why == NULL)
		abort();
	arena_free(a);
	return 0;
}
