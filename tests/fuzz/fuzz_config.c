/* Fuzz the config file parser (src/core/config.c). */
#include "fuzz.h"
#include "onramp/config.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	config c;
	char err[256];

	config_defaults(&c);
	(void)config_parse(&c, (const char *)data, size, err, sizeof(err));
	return 0;
}
