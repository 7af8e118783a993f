/*
 * util/base64.c - base64 without allocation.
 */
#include "util/setup.h"

#include "util/base64.h"

#include "utmost/common.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}

int
ut_base64_decode(const char *s, size_t len, unsigned char *dst, size_t cap, size_t *out_len)
{
    uint32_t acc = 0;
    size_t bits = 0, n = 0, i = 0;

    while (len > 0 && s[len - 1] == '=') {
        len--;
        if (++i > 2) {
            return UT_EPARSE;
        }
    }
    for (i = 0; i < len; i++) {
        int v = b64_value((unsigned char)s[i]);

        if (v < 0) {
            return UT_EPARSE;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n == cap) {
                return UT_ELIMIT;
            }
            dst[n++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (bits >= 6) {
        return UT_EPARSE; /* a lone trailing character carries no whole byte */
    }
    *out_len = n;
    return UT_OK;
}

size_t
ut_base64_encode(const unsigned char *src, size_t n, char *dst)
{
    size_t o = 0, i;

    for (i = 0; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 | src[i + 2];

        dst[o++] = b64_alphabet[v >> 18];
        dst[o++] = b64_alphabet[(v >> 12) & 63];
        dst[o++] = b64_alphabet[(v >> 6) & 63];
        dst[o++] = b64_alphabet[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)src[i] << 16 | (i + 1 < n ? (uint32_t)src[i + 1] << 8 : 0);

        dst[o++] = b64_alphabet[v >> 18];
        dst[o++] = b64_alphabet[(v >> 12) & 63];
        dst[o++] = (char)(i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=');
        dst[o++] = '=';
    }
    dst[o] = '\0';
    return o;
}
