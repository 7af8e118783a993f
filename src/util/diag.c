/*
 * util/diag.c - diagnostics for failed calls: fixed-size, never allocate.
 */
#include "util/setup.h"

#include "util/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
ut_diag_clear(struct ut_diag *d)
{
    if (d != NULL) {
        memset(d, 0, sizeof(*d));
    }
}

static void
diag_vset(struct ut_diag *d, const char *fmt, va_list ap) UT_PRINTF(2, 0);

static void
diag_vset(struct ut_diag *d, const char *fmt, va_list ap)
{
    int n = vsnprintf(d->msg, sizeof(d->msg), fmt, ap);

    if (n < 0) {
        d->msg[0] = '\0';
    }
}

void
ut_diag_set(struct ut_diag *d, const char *fmt, ...)
{
    va_list ap;

    if (d == NULL) {
        return;
    }
    va_start(ap, fmt);
    diag_vset(d, fmt, ap);
    va_end(ap);
}

void
ut_diag_at(struct ut_diag *d, size_t line, size_t col, const char *fmt, ...)
{
    va_list ap;

    if (d == NULL) {
        return;
    }
    d->line = line;
    d->col = col;
    va_start(ap, fmt);
    diag_vset(d, fmt, ap);
    va_end(ap);
}

void
ut_diag_field(struct ut_diag *d, const char *field, size_t len)
{
    if (d == NULL) {
        return;
    }
    if (len >= sizeof(d->field)) {
        len = sizeof(d->field) - 1;
    }
    memcpy(d->field, field, len);
    d->field[len] = '\0';
}
