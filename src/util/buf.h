/*
 * util/buf.h - owned, growable, always NUL-terminated byte buffer with a hard
 * cap and a sticky error (git's strbuf, curl's dynbuf). A chain of appends is
 * checked once with ut_buf_err(). ptr is never NULL after UT_BUF_INIT.
 */
#ifndef UT_UTIL_BUF_H
#define UT_UTIL_BUF_H

#include <stddef.h>

#include "util/setup.h"

struct ut_buf {
    char *ptr;  /* NUL-terminated; points at a static "" until the first growth */
    size_t len; /* bytes used, excluding the terminator */
    size_t cap; /* bytes allocated (0 while ptr is the static "") */
    size_t max; /* hard cap on len; exceeding it sets err = UT_ELIMIT */
    int err;    /* first error of the append chain, UT_OK if none */
};

extern char ut_buf_empty[1];
#define UT_BUF_INIT(maxlen) {ut_buf_empty, 0, 0, (maxlen), 0}

void ut_buf_init(struct ut_buf *b, size_t max);
/* Free the bytes and reset to empty; the cap is kept. */
void ut_buf_release(struct ut_buf *b);
/* Forget the content but keep the allocation and clear the error. */
void ut_buf_clear(struct ut_buf *b);
/* Hand out the bytes (caller frees with ut_free; never NULL unless out of memory). */
char *ut_buf_detach(struct ut_buf *b, size_t *len);

int ut_buf_err(const struct ut_buf *b);
void ut_buf_add(struct ut_buf *b, const void *data, size_t len);
void ut_buf_addstr(struct ut_buf *b, const char *s);
void ut_buf_addch(struct ut_buf *b, char c);
void ut_buf_addf(struct ut_buf *b, const char *fmt, ...) UT_PRINTF(2, 3);
/* Ensure room for extra more bytes; returns the sticky error. */
int ut_buf_reserve(struct ut_buf *b, size_t extra);

#endif /* UT_UTIL_BUF_H */
