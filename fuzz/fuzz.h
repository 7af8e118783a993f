/*
 * fuzz/fuzz.h - what the fuzz targets share: the libFuzzer entry point each
 * defines (replay.c calls it in ordinary builds) and CHECK, which aborts on a
 * broken invariant so that the fuzzer keeps the input.
 */
#ifndef UT_FUZZ_FUZZ_H
#define UT_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif /* UT_FUZZ_FUZZ_H */
