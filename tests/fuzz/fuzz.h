/*
 * The libFuzzer entry point every harness in tests/fuzz defines.  The same
 * harness links either with libFuzzer (make fuzz, clang) or with replay.c,
 * which feeds the seed corpus through it under ASan in make check.
 */
#ifndef ONRAMP_FUZZ_H
#define ONRAMP_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/** Run one input through the parser under test; always returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
