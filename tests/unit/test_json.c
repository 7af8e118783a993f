/*
 * tests/unit/test_json.c - JSON string literals: escapes, and output that is
 * valid UTF-8 whatever the input bytes.
 */
#include "util/setup.h"

#include <string.h>

#include "t.h"
#include "util/json.h"
#include "utmost/common.h"

static int
json_is(const char *in, size_t len, const char *want)
{
    struct ut_buf b = UT_BUF_INIT(4096);
    int same;

    ut_json_string(&b, in, len);
    same = ut_buf_err(&b) == UT_OK && strcmp(b.ptr, want) == 0;
    if (!same) {
        printf("#   got %s, want %s\n", b.ptr, want);
    }
    ut_buf_release(&b);
    return same;
}

TEST(escapes)
{
    T_TRUE(json_is("", 0, "\"\""));
    T_TRUE(json_is("plain text", 10, "\"plain text\""));
    T_TRUE(json_is("a\"b\\c", 5, "\"a\\\"b\\\\c\""));
    T_TRUE(json_is("l1\nl2\r\t", 7, "\"l1\\nl2\\r\\t\""));
    T_TRUE(json_is("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\""));
    T_TRUE(json_is("nul\0in", 6, "\"nul\\u0000in\""));
}

TEST(utf8_kept_or_replaced)
{
    T_TRUE(json_is("caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80", 14,
                   "\"caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80\""));
    T_TRUE(json_is("\xff", 1, "\"\xef\xbf\xbd\""));            /* not UTF-8 */
    T_TRUE(json_is("\xc3", 1, "\"\xef\xbf\xbd\""));            /* truncated */
    T_TRUE(json_is("\xc0\xaf", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\"")); /* overlong */
    T_TRUE(json_is("\xed\xa0\x80", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"")); /* surrogate */
}

TEST(capped_buffer_reports_the_limit)
{
    struct ut_buf b = UT_BUF_INIT(4);

    ut_json_string(&b, "too long", 8);
    T_EQ_I64(ut_buf_err(&b), UT_ELIMIT);
    ut_buf_release(&b);
}

T_LIST(T_CASE(escapes), T_CASE(utf8_kept_or_replaced), T_CASE(capped_buffer_reports_the_limit))
T_MAIN()
