/*
 * util/json.c - JSON string literals for every writer of JSON (CLI output,
 * HTTP answers, stored documents).
 */
#include "util/setup.h"

#include "util/json.h"

#include "util/utf8.h"

void
ut_json_string(struct ut_buf *b, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    ut_buf_addch(b, '"');
    while (i < len) {
        size_t n = ut_utf8_seq(p + i, len - i);

        if (n == 0) {
            ut_buf_addstr(b, "\xef\xbf\xbd"); /* U+FFFD for a byte that is not UTF-8 */
            i++;
            continue;
        }
        if (n > 1) {
            ut_buf_add(b, p + i, n);
        } else if (p[i] == '"' || p[i] == '\\') {
            ut_buf_addch(b, '\\');
            ut_buf_addch(b, (char)p[i]);
        } else if (p[i] == '\n') {
            ut_buf_addstr(b, "\\n");
        } else if (p[i] == '\r') {
            ut_buf_addstr(b, "\\r");
        } else if (p[i] == '\t') {
            ut_buf_addstr(b, "\\t");
        } else if (p[i] < 0x20 || p[i] == 0x7f) {
            ut_buf_addf(b, "\\u%04x", p[i]);
        } else {
            ut_buf_addch(b, (char)p[i]);
        }
        i += n;
    }
    ut_buf_addch(b, '"');
}
