/*
 * util/base64.h - RFC 4648 base64 decoding (standard alphabet, padding
 * optional), for HTTP Basic credentials and webhook signatures.
 */
#ifndef UT_UTIL_BASE64_H
#define UT_UTIL_BASE64_H

#include <stddef.h>

/*
 * Decode s[0..len) into dst (room for cap bytes); *out_len gets the byte count.
 * Returns UT_OK, UT_EPARSE for a character outside the alphabet or bad
 * padding, UT_ELIMIT when dst is too small.
 */
int ut_base64_decode(const char *s, size_t len, unsigned char *dst, size_t cap, size_t *out_len);

/* Encode n bytes into dst (room for 4 * ceil(n / 3) + 1); NUL-terminated, returns length. */
size_t ut_base64_encode(const unsigned char *src, size_t n, char *dst);

#endif /* UT_UTIL_BASE64_H */
