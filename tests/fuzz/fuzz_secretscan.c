/*
 * Fuzz the secret scanner (src/domain/secretscan.c): scan the input with the
 * deployment's base URL, without one, and with a base URL taken from the
 * input's first line.  Traps when a kind is out of range or has no name or
 * message, when a second scan disagrees with the first, or when a base URL
 * changes a verdict into anything but an own link (it may only add those).
 */
#include <string.h>

#include "fuzz.h"
#include "onramp/secretscan.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

static void
check_kind(secretscan_kind k)
{
	CHECK((unsigned)k <= (unsigned)SECRET_PASSWORD_PAIR);
	CHECK(secretscan_kind_name(k) != NULL && secretscan_kind_message(k) != NULL);
	CHECK(strcmp(secretscan_kind_name(k), "unknown") != 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const secretscan_ctx deployment = { "https://console.example.com" };
	const char *text = (const char *)data;
	const char *nl = size > 0 ? memchr(text, '\n', size < 128 ? size : 128) : NULL;
	char base[128];
	secretscan_ctx own = { base };
	secretscan_kind with, without, again, first_line;

	with = secretscan_check(&deployment, text, size);
	without = secretscan_check(NULL, text, size);
	again = secretscan_check(&deployment, text, size);
	check_kind(with);
	check_kind(without);
	CHECK(with == again);
	CHECK(with == without || with == SECRET_OWN_LINK);

	if (nl != NULL) {
		memcpy(base, text, (size_t)(nl - text));
		base[nl - text] = '\0';
		first_line = secretscan_check(&own, nl + 1, size - (size_t)(nl - text) - 1);
		check_kind(first_line);
		CHECK(first_line == secretscan_check(NULL, nl + 1, size - (size_t)(nl - text) - 1) ||
		      first_line == SECRET_OWN_LINK);
	}
	return 0;
}
