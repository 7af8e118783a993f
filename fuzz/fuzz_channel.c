/*
 * fuzz/fuzz_channel.c - libFuzzer target for core/channel: the input is a
 * landing URL, then (after the first NUL or newline) a referrer. A success
 * must give a known channel, non-empty NUL-terminated source and medium,
 * and strings inside the scratch buffer or static storage; the source must
 * classify the same as a plain string. Crashes and broken invariants abort.
 */
#include "util/setup.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "core/channel.h"
#include "util/buf.h"

static void
check_str(struct ut_touch_str s, bool required)
{
    if (s.ptr == NULL) {
        CHECK(!required && s.len == 0);
        return;
    }
    CHECK(strlen(s.ptr) == s.len);
    CHECK(!required || s.len > 0);
}

static void
check_info(const struct ut_touch_info *t)
{
    CHECK((unsigned)t->channel < UT_CHANNEL_COUNT && (unsigned)t->click_id < UT_CLICK_COUNT);
    check_str(t->source, true);
    check_str(t->medium, true);
    check_str(t->campaign, false);
    check_str(t->content, false);
    check_str(t->term, false);
    check_str(t->click_value, t->click_id != UT_CLICK_NONE);
    check_str(t->referrer_host, false);
    CHECK(ut_channel_group_for(t->source.ptr, t->source.len, t->medium.ptr, t->medium.len,
                               t->campaign.ptr, t->campaign.len) == t->channel);
    CHECK(t->is_touch || t->channel == UT_CHANNEL_DIRECT);
    CHECK(!t->internal_referrer || t->referrer_host.ptr != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const char *nul = memchr(s, '\0', size), *nl = memchr(s, '\n', size);
    const char *split = nul != NULL && (nl == NULL || nul < nl) ? nul : nl;
    size_t url_len = split != NULL ? (size_t)(split - s) : size;
    const char *ref = split != NULL ? split + 1 : s + size;
    size_t ref_len = size - url_len - (split != NULL ? 1 : 0);
    struct ut_buf scratch = UT_BUF_INIT((size_t)64 << 10);
    struct ut_touch_info t;
    struct ut_diag d;
    int err;

    err = ut_channel_classify(s, url_len, ref, ref_len, &t, &scratch, &d);
    CHECK(err == UT_OK || err == UT_EPARSE || err == UT_ELIMIT);
    if (err == UT_OK) {
        check_info(&t);
    }
    (void)ut_channel_source_kind(s, url_len);
    (void)ut_channel_group_for(s, url_len, ref, ref_len, s, size);
    ut_buf_release(&scratch);
    return 0;
}
