/*
 * LeakSanitizer in forked children (see include/onramp/leakcheck.h). GCC
 * defines __SANITIZE_ADDRESS__ under -fsanitize=address, clang answers
 * __has_feature(address_sanitizer); ASan brings LeakSanitizer with it on
 * Linux, and ASAN_OPTIONS=detect_leaks=0 still turns it off.
 */
#include <unistd.h>

#include "onramp/leakcheck.h"
#include "onramp/log.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ONRAMP_LSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(ONRAMP_LSAN)
#define ONRAMP_LSAN 1
#endif

#ifdef ONRAMP_LSAN
#include <sanitizer/lsan_interface.h>

int
leakcheck_child_exit(int rc)
{
	/* Recoverable: the child still says in its own log line that it leaked. */
	if (__lsan_do_recoverable_leak_check() == 0)
		return rc;
	log_event(LOG_ERROR, "child_leaked", "pid %ld: LeakSanitizer reported leaks (see its report above)",
		  (long)getpid());
	return LEAKCHECK_EXIT_STATUS;
}
#else
int
leakcheck_child_exit(int rc)
{
	return rc;
}
#endif
