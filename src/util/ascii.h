/*
 * util/ascii.h - ASCII case folding without a locale: only A-Z and a-z change,
 * every other byte (UTF-8 included) compares as it is.
 */
#ifndef UT_UTIL_ASCII_H
#define UT_UTIL_ASCII_H

#include <stdbool.h>
#include <stddef.h>

static inline unsigned char
ut_ascii_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

static inline unsigned char
ut_ascii_upper(unsigned char c)
{
    return c >= 'a' && c <= 'z' ? (unsigned char)(c - ('a' - 'A')) : c;
}

/* a[0..n) and b[0..n) are equal ignoring ASCII case. */
static inline bool
ut_ascii_ieq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (ut_ascii_lower((unsigned char)a[i]) != ut_ascii_lower((unsigned char)b[i])) {
            return false;
        }
    }
    return true;
}

/* s[0..n) equals the lowercase literal lit, ignoring the case of s. */
static inline bool
ut_ascii_ieq_lit(const char *s, size_t n, const char *lit)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (lit[i] == '\0' || ut_ascii_lower((unsigned char)s[i]) != (unsigned char)lit[i]) {
            return false;
        }
    }
    return lit[i] == '\0';
}

#endif /* UT_UTIL_ASCII_H */
