/*
 * utmost/common.h - export macro, error codes and diagnostics shared by every
 * part of the public API. Error codes are negative, UT_OK is zero; codes are
 * appended, never renumbered.
 */
#ifndef UT_COMMON_H
#define UT_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define UT_API __attribute__((visibility("default")))
#else
#define UT_API
#endif

/* X(name, value, message): the single list of error codes. */
#define UT_ERRNO_MAP(X)                                                                            \
    X(NOMEM, -1, "out of memory")                                                                  \
    X(INVAL, -2, "invalid argument")                                                               \
    X(PARSE, -3, "malformed input")                                                                \
    X(LIMIT, -4, "limit exceeded")                                                                 \
    X(NOTFOUND, -5, "not found")                                                                   \
    X(CONFLICT, -6, "conflict")                                                                    \
    X(IO, -7, "input/output error")                                                                \
    X(STORE, -8, "storage error")                                                                  \
    X(AGAIN, -9, "resource temporarily unavailable")                                               \
    X(INTERNAL, -10, "internal error")

enum ut_err {
    UT_OK = 0,
#define UT__ERR_ENUM(name, value, msg) UT_E##name = (value),
    UT_ERRNO_MAP(UT__ERR_ENUM)
#undef UT__ERR_ENUM
};

/* Human text for an error code ("out of memory"); never NULL. */
UT_API const char *ut_strerror(int err);
/* Symbolic name of an error code ("UT_ENOMEM"); never NULL. */
UT_API const char *ut_err_name(int err);

/*
 * Optional detail for a failed call, filled by the callee without allocating.
 * line and col are 1-based positions in the input (0 when they do not apply);
 * field names the offending column or option when known.
 */
struct ut_diag {
    char msg[256];
    char field[64];
    size_t line;
    size_t col;
};

#ifdef __cplusplus
}
#endif

#endif /* UT_COMMON_H */
