/*
 * Fuzz the sealing keyring parser (src/domain/seal.c).  A ring that parses
 * must seal and open a value, and survive seal_keyring_format and a second
 * parse unchanged; anything else aborts.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "onramp/seal.h"

static void
check_ring(seal_keyring *kr)
{
	static const unsigned char value[] = "fuzz-value";
	unsigned char blob[64 + SEAL_OVERHEAD], out[64];
	char text[SEAL_FILE_MAX];
	seal_keyring again;
	size_t bn = 0, n = 0, len = 0, i;

	if (seal_seal(kr, "fuzz", 1, value, sizeof(value), blob, sizeof(blob), &bn) != OR_OK ||
	    seal_open(kr, "fuzz", 1, blob, bn, out, sizeof(out), &n) != OR_OK || n != sizeof(value) ||
	    memcmp(out, value, n) != 0 || seal_open(kr, "fuzz", 2, blob, bn, out, sizeof(out), &n) == OR_OK)
		abort();
	if (seal_keyring_format(kr, text, sizeof(text), &len) != OR_OK)
		return;	/* long ids can outgrow the buffer: a refusal, not a bug */
	if (seal_keyring_parse(&again, text, len, NULL) != OR_OK || again.n != kr->n)
		abort();
	for (i = 0; i < kr->n; i++)
		if (strcmp(again.keys[i].id, kr->keys[i].id) != 0 ||
		    memcmp(again.keys[i].key, kr->keys[i].key, SEAL_KEY_BYTES) != 0)
			abort();
	seal_keyring_wipe(&again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	seal_keyring kr;
	size_t line = 0;

	if (seal_keyring_parse(&kr, (const char *)data, size, &line) == OR_OK)
		check_ring(&kr);
	else if (kr.n != 0)
		abort();	/* a refused ring must come back empty (wiped) */
	seal_keyring_wipe(&kr);
	return 0;
}
