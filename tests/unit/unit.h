/*
 * Shared CUnit runner for the unit tests.  Each test file defines its tests
 * and a table, then UNIT_MAIN runs them.  The exit code is the number of
 * failed assertions (CU_basic_run_tests alone reports success on failures),
 * and a closing "N passed, M failed" line is printed for ./dev test.
 */
#ifndef ONRAMP_UNIT_H
#define ONRAMP_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <CUnit/Basic.h>

typedef struct unit_test {
	const char *name;
	void (*fn)(void);
} unit_test;

/*
 * Run the tests as one suite.  init and clean (CUnit's suite set-up and
 * teardown, 0 = ok; NULL = none) hold what tests share, so no test depends on
 * running after another.  A failed set-up or teardown fails the run: CUnit
 * would otherwise report its unrun tests as nothing failed.
 */
static inline int
unit_run_suite(const char *suite_name, const unit_test *tests, CU_InitializeFunc init, CU_CleanupFunc clean)
{
	CU_pSuite s;
	unsigned failed, run, suites;
	size_t i;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite(suite_name, init, clean);
	for (i = 0; s && tests[i].name; i++)
		CU_add_test(s, tests[i].name, tests[i].fn);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed();
	run = CU_get_number_of_tests_run();
	suites = CU_get_number_of_suites_failed();
	printf("\n%s: %u passed, %u failed%s\n", suite_name, run - failed, failed,
	       suites ? " (suite set-up or teardown failed)" : "");
	CU_cleanup_registry();
	return failed || suites || s == NULL ? 1 : 0;
}

static inline int
unit_run(const char *suite_name, const unit_test *tests)
{
	return unit_run_suite(suite_name, tests, NULL, NULL);
}

/*
 * A duration a test measured (ms) and the most it may take (limit_ms).  Unit
 * tests assert behaviour, never time: a loaded machine would fail them.  The
 * figure is printed, and when ONRAMP_UNIT_TIMINGS names a file it is appended
 * there as "what<TAB>ms<TAB>limit_ms", which the bench reads and holds to the
 * limit (tests/bench/unit_timings.py).
 */
static inline void
unit_timing(const char *what, double ms, double limit_ms)
{
	const char *path = getenv("ONRAMP_UNIT_TIMINGS");
	FILE *f;

	printf("\n  %s: %.1f ms", what, ms);
	if (path && *path && (f = fopen(path, "a")) != NULL) {
		fprintf(f, "%s\t%.3f\t%.0f\n", what, ms, limit_ms);
		fclose(f);
	}
}

#define UNIT_MAIN(name, table) \
	int main(void) { return unit_run(name, table); }

/** UNIT_MAIN with a suite set-up and teardown (either may be NULL). */
#define UNIT_MAIN_SUITE(name, table, init, clean) \
	int main(void) { return unit_run_suite(name, table, init, clean); }

#endif
