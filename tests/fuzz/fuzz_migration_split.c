/* Fuzz the SQL statement splitter (src/domain/migration.c). */
#include <string.h>

#include "fuzz.h"
#include "onramp/migration.h"

static or_status
check(void *ctx, const char *stmt, size_t len)
{
	const char *base = ctx;

	/* Every statement must lie inside the input. */
	if (stmt < base || len == 0)
		__builtin_trap();
	return OR_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)migration_split((const char *)data, size, check, (void *)(uintptr_t)data);
	return 0;
}
