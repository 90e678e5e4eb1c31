/*
 * Clocks.  Monotonic time for durations, timeouts and backoff; wall time only
 * where a timestamp is recorded (read once per request at the edge).
 */
#ifndef ONRAMP_CLOCK_H
#define ONRAMP_CLOCK_H

#include <stdint.h>

/** Monotonic microseconds (never jumps with the wall clock). */
int64_t clock_mono_us(void);
/** Monotonic milliseconds. */
int64_t clock_mono_ms(void);
/** Wall-clock UNIX time in microseconds. */
int64_t clock_wall_us(void);
/**
 * A request's arrival time (UNIX microseconds): wall time, plus the whole
 * seconds written in offset_file when one is given (test stacks only:
 * config_load refuses test_clock_file without test_mode).
 */
int64_t clock_request_us(const char *offset_file);

#endif
