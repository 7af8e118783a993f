/*
 * util/buf.c - struct ut_buf. Growth doubles; the cap (max) turns runaway
 * output into UT_ELIMIT instead of unbounded memory.
 */
#include "util/setup.h"

#include "util/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/alloc.h"
#include "utmost/common.h"

char ut_buf_empty[1];

void
ut_buf_init(struct ut_buf *b, size_t max)
{
    b->ptr = ut_buf_empty;
    b->len = 0;
    b->cap = 0;
    b->max = max;
    b->err = UT_OK;
}

void
ut_buf_release(struct ut_buf *b)
{
    size_t max = b->max;

    if (b->cap != 0) {
        ut_free(b->ptr);
    }
    ut_buf_init(b, max);
}

void
ut_buf_clear(struct ut_buf *b)
{
    b->len = 0;
    if (b->cap != 0) {
        b->ptr[0] = '\0'; /* never write the shared static "" (threads share it) */
    }
    b->err = UT_OK;
}

char *
ut_buf_detach(struct ut_buf *b, size_t *len)
{
    char *p;

    if (b->cap == 0) {
        p = ut_malloc(1);
        if (p != NULL) {
            p[0] = '\0';
        }
    } else {
        p = b->ptr;
    }
    if (len != NULL) {
        *len = b->len;
    }
    ut_buf_init(b, b->max);
    return p;
}

int
ut_buf_err(const struct ut_buf *b)
{
    return b->err;
}

int
ut_buf_reserve(struct ut_buf *b, size_t extra)
{
    size_t need, ncap;
    char *p;

    if (b->err != UT_OK) {
        return b->err;
    }
    if (ut_size_add(b->len, extra, &need) != 0 || need > b->max) {
        b->err = UT_ELIMIT;
        return b->err;
    }
    if (need + 1 <= b->cap) {
        return UT_OK;
    }
    ncap = b->cap != 0 ? b->cap : 64;
    while (ncap < need + 1) {
        ncap *= 2;
    }
    p = ut_realloc(b->cap != 0 ? b->ptr : NULL, ncap);
    if (p == NULL) {
        b->err = UT_ENOMEM;
        return b->err;
    }
    if (b->cap == 0) {
        p[0] = '\0';
    }
    b->ptr = p;
    b->cap = ncap;
    return UT_OK;
}

void
ut_buf_add(struct ut_buf *b, const void *data, size_t len)
{
    if (ut_buf_reserve(b, len) != UT_OK) {
        return;
    }
    if (len != 0) {
        memcpy(b->ptr + b->len, data, len);
    }
    b->len += len;
    b->ptr[b->len] = '\0';
}

void
ut_buf_addstr(struct ut_buf *b, const char *s)
{
    ut_buf_add(b, s, strlen(s));
}

void
ut_buf_addch(struct ut_buf *b, char c)
{
    ut_buf_add(b, &c, 1);
}

void
ut_buf_addf(struct ut_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->err = b->err != UT_OK ? b->err : UT_EINVAL;
        return;
    }
    if (ut_buf_reserve(b, (size_t)n) != UT_OK) {
        return;
    }
    va_start(ap, fmt);
    (void)vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}
