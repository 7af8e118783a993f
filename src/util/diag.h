/*
 * util/diag.h - filling a struct ut_diag (utmost/common.h) without allocating.
 */
#ifndef UT_UTIL_DIAG_H
#define UT_UTIL_DIAG_H

#include <stddef.h>

#include "util/setup.h"
#include "utmost/common.h"

/* Format a message into d (if d is not NULL), keeping line/col/field as they are. */
void ut_diag_set(struct ut_diag *d, const char *fmt, ...) UT_PRINTF(2, 3);
/* Same, also recording the position (1-based; 0 = unknown). */
void ut_diag_at(struct ut_diag *d, size_t line, size_t col, const char *fmt, ...) UT_PRINTF(4, 5);
/* Record the field name (truncated to fit). */
void ut_diag_field(struct ut_diag *d, const char *field, size_t len);
/* Reset d to empty. */
void ut_diag_clear(struct ut_diag *d);

#endif /* UT_UTIL_DIAG_H */
