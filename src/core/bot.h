/*
 * core/bot.h - is a User-Agent a crawler or a link-preview fetcher? Used by
 * the link redirect to store such clicks as bot clicks that never become
 * touches. Pure, thread-safe, a constant table (bot.c); it knows nothing of
 * HTTP methods (the caller treats HEAD as a bot on its own).
 */
#ifndef UT_CORE_BOT_H
#define UT_CORE_BOT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * True when ua[0..len) holds one of the bot markers of bot.c (Slackbot,
 * facebookexternalhit, Googlebot, ... and the generic "bot", "crawler",
 * "spider", "preview"), ASCII case-insensitively, outside the known false
 * positives (the "Cubot" phone brand). An empty or absent User-Agent is not
 * a bot by this test. ua may be NULL when len is 0; no NUL is needed.
 */
bool ut_bot_match(const char *ua, size_t len);

#endif /* UT_CORE_BOT_H */
