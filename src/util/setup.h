/*
 * util/setup.h - first include of every .c file: feature macros and the few
 * compiler helpers used everywhere. Nothing here allocates or does I/O.
 */
#ifndef UT_UTIL_SETUP_H
#define UT_UTIL_SETUP_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE 1
#endif

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define UT_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define UT_LIKELY(x) __builtin_expect(!!(x), 1)
#define UT_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define UT_UNUSED __attribute__((unused))
#else
#define UT_PRINTF(fmt, args)
#define UT_LIKELY(x) (x)
#define UT_UNLIKELY(x) (x)
#define UT_UNUSED
#endif

#define UT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/*
 * ALWAYS(x) / NEVER(x): conditions believed always true / never true. Debug
 * builds assert; release builds still take the defensive branch (sqlite).
 */
#ifdef NDEBUG
#define ALWAYS(x) (x)
#define NEVER(x) (x)
#else
#define ALWAYS(x) ((x) ? 1 : (assert(0), 0))
#define NEVER(x) ((x) ? (assert(0), 1) : 0)
#endif

#endif /* UT_UTIL_SETUP_H */
