/*
 * util/utf8.h - UTF-8 sequence validation (RFC 3629): no overlong forms, no
 * surrogates, nothing past U+10FFFF. Pure; never reads past the given end.
 */
#ifndef UT_UTIL_UTF8_H
#define UT_UTIL_UTF8_H

#include <stddef.h>

/* Bytes of the valid UTF-8 sequence at s[0..len) (len >= 1), or 0 when it is invalid. */
size_t ut_utf8_seq(const unsigned char *s, size_t len);

#endif /* UT_UTIL_UTF8_H */
