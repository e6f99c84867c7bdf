// The fuzz targets' assertion: an invariant that fails prints what was expected and aborts,
// which libFuzzer reports as a crash and saves the input that caused it. Active in every
// build type (assert() is not, under NDEBUG).
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition, what)                                                           \
    do {                                                                                      \
        if (!(condition)) {                                                                   \
            std::fprintf(stderr, "%s:%d: invariant broken: %s\n  (%s)\n", __FILE__, __LINE__, \
                         what, #condition);                                                   \
            std::abort();                                                                     \
        }                                                                                     \
    } while (0)
