/*
 * core/bot.c - bot detection from the User-Agent: a table of case-insensitive
 * substrings, as data. Link-preview fetchers (chat apps, social networks)
 * and crawlers load a tracking link without a human behind it; counting them
 * would credit a channel for nothing. The table errs towards "bot": a real
 * browser never carries these words, while a miss only costs one touch.
 */
#include "util/setup.h"

#include "core/bot.h"

#include <string.h>

#include "util/ascii.h"

/* Markers, lower case. The named fetchers come first for readability only: order is free. */
static const char *const bot_markers[] = {
    "slackbot", /* Slack unfurling */
    "slack-imgproxy",
    "facebookexternalhit",
    "facebot",
    "twitterbot",
    "linkedinbot",
    "discordbot",
    "whatsapp", /* WhatsApp's preview fetcher ("WhatsApp/2.23 A"); links open elsewhere */
    "telegrambot",
    "googlebot",
    "google-inspectiontool",
    "adsbot-google",
    "mediapartners-google",
    "bingbot",
    "bingpreview",
    "applebot",
    "redditbot",
    "pinterestbot",
    "skypeuripreview",
    "embedly",
    "iframely",
    "vkshare",
    "headlesschrome", /* scripted Chrome: prerender services and scrapers */
    "bot",            /* the generic words last */
    "crawler",
    "spider",
    "preview",
};

/* Substrings that contain a marker but name real devices or browsers. */
static const char *const not_bot_words[] = {
    "cubot", /* an Android phone brand: "Android 10; CUBOT_X30" */
};

/* The first position of needle (lower case) in hay[0..len), ASCII case-insensitively. */
static const char *
find_nocase(const char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);

    if (n == 0 || n > len) {
        return NULL;
    }
    for (size_t i = 0; i + n <= len; i++) {
        if (ut_ascii_ieq_lit(hay + i, n, needle)) {
            return hay + i;
        }
    }
    return NULL;
}

/* True when the match of marker at m lies inside one of the false-positive words of ua. */
static bool
inside_not_bot_word(const char *ua, size_t len, const char *m)
{
    for (size_t i = 0; i < UT_ARRAY_LEN(not_bot_words); i++) {
        const char *cur = ua;
        const char *w;

        while ((w = find_nocase(cur, len - (size_t)(cur - ua), not_bot_words[i])) != NULL) {
            if (m >= w && m < w + strlen(not_bot_words[i])) {
                return true;
            }
            cur = w + 1;
        }
    }
    return false;
}

bool
ut_bot_match(const char *ua, size_t len)
{
    if (ua == NULL || len == 0) {
        return false;
    }
    for (size_t i = 0; i < UT_ARRAY_LEN(bot_markers); i++) {
        const char *cur = ua;
        const char *m;

        /* every occurrence: "CUBOT ... Googlebot" must still be a bot */
        while ((m = find_nocase(cur, len - (size_t)(cur - ua), bot_markers[i])) != NULL) {
            if (!inside_not_bot_word(ua, len, m)) {
                return true;
            }
            cur = m + 1;
        }
    }
    return false;
}
