/* Fuzz the config file parser (src/core/config.c) and the db_hosts list parser (src/core/dbhosts.c). */
#include "fuzz.h"
#include "onramp/config.h"
#include "onramp/dbhosts.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	config c;
	dbhosts hosts;
	char err[256];

	config_defaults(&c);
	if (config_parse(&c, (const char *)data, size, err, sizeof(err)) == OR_OK)
		(void)dbhosts_check(&c, err, sizeof(err));
	(void)dbhosts_from_config(&c, &hosts, err, sizeof(err));
	return 0;
}
