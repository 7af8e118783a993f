/*
 * core/channel.h - touch classification: a landing URL and its referrer
 * become source, medium, campaign, content, term, click id kind and a GA4
 * default channel group. Pure (no I/O, clock or globals) and thread-safe;
 * the site lists are constant tables in channel.c. Callers: HTTP ingestion,
 * the link redirect, the pixel, imports and `utmost channel`.
 */
#ifndef UT_CORE_CHANNEL_H
#define UT_CORE_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "utmost/common.h"

/* GA4's default channel groups, in GA4's order of evaluation (first match wins). */
enum ut_channel_group {
    UT_CHANNEL_DIRECT,
    UT_CHANNEL_CROSS_NETWORK,
    UT_CHANNEL_PAID_SHOPPING,
    UT_CHANNEL_PAID_SEARCH,
    UT_CHANNEL_PAID_SOCIAL,
    UT_CHANNEL_PAID_VIDEO,
    UT_CHANNEL_DISPLAY,
    UT_CHANNEL_PAID_OTHER,
    UT_CHANNEL_ORGANIC_SHOPPING,
    UT_CHANNEL_ORGANIC_SOCIAL,
    UT_CHANNEL_ORGANIC_VIDEO,
    UT_CHANNEL_ORGANIC_SEARCH,
    UT_CHANNEL_REFERRAL,
    UT_CHANNEL_EMAIL,
    UT_CHANNEL_AFFILIATES,
    UT_CHANNEL_AUDIO,
    UT_CHANNEL_SMS,
    UT_CHANNEL_MOBILE_PUSH,
    UT_CHANNEL_UNASSIGNED,
    UT_CHANNEL_COUNT
};

/* Ad platform click ids found in landing URLs (parameter names in ut_click_id_name). */
enum ut_click_id {
    UT_CLICK_NONE,
    UT_CLICK_GCLID,     /* Google Ads */
    UT_CLICK_GBRAID,    /* Google Ads, iOS app-to-web */
    UT_CLICK_WBRAID,    /* Google Ads, iOS web-to-app */
    UT_CLICK_DCLID,     /* Google Display & Video 360 / Campaign Manager */
    UT_CLICK_FBCLID,    /* Meta; also added to organic outbound links */
    UT_CLICK_TTCLID,    /* TikTok ads */
    UT_CLICK_MSCLKID,   /* Microsoft Advertising */
    UT_CLICK_LI_FAT_ID, /* LinkedIn ads */
    UT_CLICK_TWCLID,    /* X (Twitter) ads */
    UT_CLICK_EPIK,      /* Pinterest ads */
    UT_CLICK_SCCID,     /* Snapchat ads (ScCid) */
    UT_CLICK_RDT_CID,   /* Reddit ads */
    UT_CLICK_COUNT
};

/* A borrowed string: NUL-terminated bytes, or ptr NULL (len 0) when absent. */
struct ut_touch_str {
    const char *ptr;
    size_t len;
};

/*
 * The classification of one touch. Strings point into the scratch buffer
 * given to ut_channel_classify or into static storage; they stay valid until
 * that buffer is next modified or released.
 */
struct ut_touch_info {
    enum ut_channel_group channel;
    enum ut_click_id click_id;         /* strongest click id in the URL, even with UTMs */
    struct ut_touch_str source;        /* lowercased; never absent ("(direct)" at least) */
    struct ut_touch_str medium;        /* lowercased; never absent ("(none)" at least) */
    struct ut_touch_str campaign;      /* decoded, case kept for display; absent if untagged */
    struct ut_touch_str content;       /* utm_content, decoded, case kept */
    struct ut_touch_str term;          /* utm_term, decoded, case kept */
    struct ut_touch_str click_value;   /* the click id's decoded value (offline conversions) */
    struct ut_touch_str referrer_host; /* lowercased referrer host; absent without referrer */
    bool internal_referrer;            /* the referrer is the landing URL's own site */
    bool is_touch;                     /* false: a page view inside a visit, not a new touch */
};

/*
 * Classify the visit that landed on url[0..url_len) coming from
 * referrer[0..ref_len). Either may be empty (len 0; ptr may then be NULL).
 * The landing URL must be absolute http(s); the referrer may also be
 * scheme-less or use another scheme (android-app://...). Precedence:
 *   1. utm_source / utm_medium (the first occurrence of each parameter wins,
 *      an empty value counts as absent, a missing one of the two reads
 *      "(not set)"; parameter names match case-insensitively, not decoded);
 *   2. a paid click id (gclid, msclkid, ttclid, ...) implies its platform's
 *      source / medium ("google" / "cpc", "tiktok" / "paid", ...);
 *   3. an external referrer: a known search engine gives "<engine>" /
 *      "organic", a webmail host "<host>" / "email", any other host
 *      "<host>" / "referral" (host without "www.", "m.", "l.", "lm.");
 *   4. fbclid alone gives "facebook" / "social" (Meta also tags organic links);
 *   5. otherwise "(direct)" / "(none)". An internal referrer (same site as
 *      the landing URL) or a payment page referrer (paypal.com,
 *      checkout.stripe.com, ...) at this step also clears is_touch.
 * utm_campaign, utm_content and utm_term are taken whatever the source. The
 * channel group then comes from ut_channel_group_for(). scratch is cleared
 * and receives the decoded strings (its cap bounds them: UT_ELIMIT).
 * Returns UT_OK, UT_EPARSE (malformed URL or referrer, invalid escape, or a
 * decoded control byte; diag->field says "url" or "referrer"), UT_ELIMIT
 * (URL over 8 KiB, more than 256 parameters) or UT_ENOMEM. *out is written
 * only on success. Thread-safe for distinct out / scratch.
 */
int ut_channel_classify(const char *url, size_t url_len, const char *referrer, size_t ref_len,
                        struct ut_touch_info *out, struct ut_buf *scratch, struct ut_diag *diag);

/*
 * GA4's default channel group of a (source, medium, campaign) triple,
 * compared ASCII case-insensitively; campaign may be NULL. Source lists:
 * names ("facebook", "ig") and hosts ("l.facebook.com", "google.co.uk")
 * per ut_channel_source_kind. Pure and thread-safe.
 */
enum ut_channel_group ut_channel_group_for(const char *source, size_t source_len,
                                           const char *medium, size_t medium_len,
                                           const char *campaign, size_t campaign_len);

/* Which of GA4's site lists a source belongs to. */
enum ut_source_kind {
    UT_SOURCE_OTHER,
    UT_SOURCE_SEARCH,
    UT_SOURCE_SOCIAL,
    UT_SOURCE_VIDEO,
    UT_SOURCE_SHOPPING
};

/* The list of source[0..len) (a name or a host), case-insensitively; UT_SOURCE_OTHER if none. */
enum ut_source_kind ut_channel_source_kind(const char *source, size_t len);

/* "Paid Search" etc.: GA4's display name of g; "Unassigned" for out-of-range values. */
const char *ut_channel_group_name(enum ut_channel_group g);

/* The URL parameter name of a click id ("gclid", "ScCid" as "sccid"); NULL for UT_CLICK_NONE. */
const char *ut_click_id_name(enum ut_click_id id);

#endif /* UT_CORE_CHANNEL_H */
