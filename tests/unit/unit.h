/*
 * Shared CUnit runner for the unit tests.  Each test file defines its tests
 * and a table, then UNIT_MAIN runs them.  The exit code is the number of
 * failed assertions (CU_basic_run_tests alone reports success on failures),
 * and a closing "N passed, M failed" line is printed for ./dev test.
 */
#ifndef ONRAMP_UNIT_H
#define ONRAMP_UNIT_H

#include <stdio.h>
#include <CUnit/Basic.h>

typedef struct unit_test {
	const char *name;
	void (*fn)(void);
} unit_test;

static inline int
unit_run(const char *suite_name, const unit_test *tests)
{
	CU_pSuite s;
	unsigned failed, run;
	size_t i;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite(suite_name, NULL, NULL);
	for (i = 0; s && tests[i].name; i++)
		CU_add_test(s, tests[i].name, tests[i].fn);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed();
	run = CU_get_number_of_tests_run();
	printf("\n%s: %u passed, %u failed\n", suite_name, run - failed, failed);
	CU_cleanup_registry();
	return failed ? 1 : 0;
}

#define UNIT_MAIN(name, table) \
	int main(void) { return unit_run(name, table); }

#endif
