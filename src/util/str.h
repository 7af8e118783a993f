/*
 * util/str.h - borrowed byte views: struct ut_str {ptr, len}. A view never
 * owns its bytes and is not NUL-terminated unless its creator says so.
 */
#ifndef UT_UTIL_STR_H
#define UT_UTIL_STR_H

#include <stddef.h>
#include <string.h>

struct ut_str {
    const char *ptr;
    size_t len;
};

#define UT_STR(lit) ((struct ut_str){(lit), sizeof(lit) - 1})
#define UT_STR_NULL ((struct ut_str){NULL, 0})

static inline struct ut_str
ut_str_make(const char *p, size_t len)
{
    struct ut_str s = {p, len};

    return s;
}

static inline struct ut_str
ut_str_cstr(const char *p)
{
    struct ut_str s = {p, p != NULL ? strlen(p) : 0};

    return s;
}

static inline int
ut_str_eq(struct ut_str a, struct ut_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* True when the view is absent (NULL) or empty. */
static inline int
ut_str_empty(struct ut_str s)
{
    return s.ptr == NULL || s.len == 0;
}

#endif /* UT_UTIL_STR_H */
