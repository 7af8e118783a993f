/*
 * core/channel.c - touch classification: UTM parameters, ad click ids and
 * referrers to source / medium, then GA4's default channel grouping rules
 * (support.google.com/analytics/answer/9756891) over built-in site lists.
 * Pure: no I/O, no clock, no globals besides constant tables; it must not
 * allocate except through the caller's scratch buffer.
 */
#include "util/setup.h"

#include "core/channel.h"

#include <string.h>

#include "util/ascii.h"
#include "util/diag.h"
#include "util/url.h"

/* ==== site lists ================================================================ */

/*
 * Where a source points. NONE marks hosts under a listed brand that are not
 * in that brand's list (docs.google.com is not a search engine); MAIL and
 * PAYMENT only matter for referrers (webmail means email; a payment page
 * the buyer returns from is no touch at all).
 */
enum site_cat {
    SITE_NONE,
    SITE_SEARCH,
    SITE_SOCIAL,
    SITE_VIDEO,
    SITE_SHOPPING,
    SITE_MAIL,
    SITE_PAYMENT
};

/* A host and its subdomains; name is the source reported for search engines. */
struct site_host {
    const char *host;
    unsigned char cat;
    const char *name;
};

/*
 * Hosts matched on themselves and every subdomain, the most specific host
 * first, before the brands below. Besides GA4's published source list this
 * holds Android app referrers (android-app://<package>) and a few hosts
 * that GA4's list puts elsewhere on purpose (webmail is email, not search).
 */
static const struct site_host site_hosts[] = {
    {"search.brave.com", SITE_SEARCH, "brave"},
    {"kagi.com", SITE_SEARCH, "kagi"},
    {"ask.com", SITE_SEARCH, "ask"},
    {"ya.ru", SITE_SEARCH, "yandex"},
    {"go.mail.ru", SITE_SEARCH, "mail.ru"},
    {"onet.pl", SITE_SEARCH, "onet"},
    {"com.google.android.googlequicksearchbox", SITE_SEARCH, "google"},
    {"accounts.google.com", SITE_NONE, NULL},
    {"ads.google.com", SITE_NONE, NULL},
    {"analytics.google.com", SITE_NONE, NULL},
    {"calendar.google.com", SITE_NONE, NULL},
    {"chat.google.com", SITE_NONE, NULL},
    {"classroom.google.com", SITE_NONE, NULL},
    {"cloud.google.com", SITE_NONE, NULL},
    {"developers.google.com", SITE_NONE, NULL},
    {"docs.google.com", SITE_NONE, NULL},
    {"drive.google.com", SITE_NONE, NULL},
    {"gemini.google.com", SITE_NONE, NULL},
    {"meet.google.com", SITE_NONE, NULL},
    {"support.google.com", SITE_NONE, NULL},
    {"groups.google.com", SITE_SOCIAL, NULL},
    {"sites.google.com", SITE_SOCIAL, NULL},
    {"answers.yahoo.com", SITE_SOCIAL, NULL},
    {"blog.naver.com", SITE_SOCIAL, NULL},
    {"cafe.naver.com", SITE_SOCIAL, NULL},
    {"kin.naver.com", SITE_SOCIAL, NULL},
    {"mail.google.com", SITE_MAIL, NULL},
    {"mail.yahoo.com", SITE_MAIL, NULL},
    {"mail.yahoo.co.jp", SITE_MAIL, NULL},
    {"mail.yandex.ru", SITE_MAIL, NULL},
    {"mail.aol.com", SITE_MAIL, NULL},
    {"outlook.live.com", SITE_MAIL, NULL},
    {"outlook.office.com", SITE_MAIL, NULL},
    {"outlook.office365.com", SITE_MAIL, NULL},
    {"mail.proton.me", SITE_MAIL, NULL},
    {"mail.zoho.com", SITE_MAIL, NULL},
    {"app.fastmail.com", SITE_MAIL, NULL},
    {"com.google.android.gm", SITE_MAIL, NULL},
    {"t.co", SITE_SOCIAL, NULL},
    {"x.com", SITE_SOCIAL, NULL},
    {"lnkd.in", SITE_SOCIAL, NULL},
    {"fb.me", SITE_SOCIAL, NULL},
    {"fb.com", SITE_SOCIAL, NULL},
    {"m.me", SITE_SOCIAL, NULL},
    {"t.me", SITE_SOCIAL, NULL},
    {"wa.me", SITE_SOCIAL, NULL},
    {"line.me", SITE_SOCIAL, NULL},
    {"vk.com", SITE_SOCIAL, NULL},
    {"ok.ru", SITE_SOCIAL, NULL},
    {"threads.net", SITE_SOCIAL, NULL},
    {"threads.com", SITE_SOCIAL, NULL},
    {"bsky.app", SITE_SOCIAL, NULL},
    {"mastodon.social", SITE_SOCIAL, NULL},
    {"mastodon.online", SITE_SOCIAL, NULL},
    {"news.ycombinator.com", SITE_SOCIAL, NULL},
    {"medium.com", SITE_SOCIAL, NULL},
    {"stackoverflow.com", SITE_SOCIAL, NULL},
    {"bit.ly", SITE_SOCIAL, NULL},
    {"com.facebook.katana", SITE_SOCIAL, NULL},
    {"com.instagram.android", SITE_SOCIAL, NULL},
    {"com.linkedin.android", SITE_SOCIAL, NULL},
    {"com.twitter.android", SITE_SOCIAL, NULL},
    {"com.reddit.frontpage", SITE_SOCIAL, NULL},
    {"com.zhiliaoapp.musically", SITE_SOCIAL, NULL},
    {"youtu.be", SITE_VIDEO, NULL},
    {"ted.com", SITE_VIDEO, NULL},
    {"com.google.android.youtube", SITE_VIDEO, NULL},
    {"shopping.naver.com", SITE_SHOPPING, NULL},
    {"shopping.yahoo.com", SITE_SHOPPING, NULL},
    {"shopping.yahoo.co.jp", SITE_SHOPPING, NULL},
    {"shop.app", SITE_SHOPPING, NULL},
    {"target.com", SITE_SHOPPING, NULL},
    {"checkout.stripe.com", SITE_PAYMENT, NULL},
    {"hooks.stripe.com", SITE_PAYMENT, NULL},
    {"pay.google.com", SITE_PAYMENT, NULL},
};

/*
 * Brands: matched as plain source names ("google") and on the label before
 * the public suffix of a host, whatever the country ("news.google.co.uk",
 * "amazon.de", "yandex.com.tr"). Only distinctive names belong here; short
 * or common words go to site_hosts with their exact domain. Search brands
 * are reported by their brand name as GA4 does ("google" / "organic").
 */
static const char *const brands_search[] = {
    "google",    "bing",    "yahoo",  "yandex",  "baidu",  "naver", "duckduckgo",
    "ecosia",    "qwant",   "seznam", "sogou",   "daum",   "aol",   "msn",
    "startpage", "dogpile", "lycos",  "rambler", "mojeek",
};
static const char *const brands_social[] = {
    "facebook",    "instagram", "linkedin", "twitter",   "pinterest", "reddit",   "tiktok",
    "snapchat",    "tumblr",    "quora",    "weibo",     "whatsapp",  "telegram", "discord",
    "messenger",   "flipboard", "xing",     "wechat",    "douban",    "kakao",    "skype",
    "tripadvisor", "yelp",      "meetup",   "vkontakte",
};
static const char *const brands_video[] = {
    "youtube", "vimeo",      "twitch",  "dailymotion", "netflix",         "hulu", "wistia", "youku",
    "iqiyi",   "disneyplus", "crackle", "veoh",        "curiositystream",
};
static const char *const brands_shopping[] = {
    "amazon",  "ebay",         "etsy",         "walmart",   "alibaba", "aliexpress",
    "shopify", "mercadolibre", "mercadolivre", "shopzilla", "temu",    "stripe",
};
static const char *const brands_payment[] = {"paypal", "klarna", "adyen"};

/* Plain source names that are neither brands nor hosts (utm_source=ig). */
static const char *const names_search[] = {"google-play", "googlemybusiness", "brave", "kagi",
                                           "ask"};
static const char *const names_social[] = {"fb",      "ig",       "x",    "threads",
                                           "bluesky", "mastodon", "line", "vk"};
static const char *const names_shopping[] = {"igshopping", "google shopping"};

struct site_list {
    const char *const *items;
    size_t n;
    unsigned char cat;
};

static const struct site_list site_brands[] = {
    {brands_search, UT_ARRAY_LEN(brands_search), SITE_SEARCH},
    {brands_social, UT_ARRAY_LEN(brands_social), SITE_SOCIAL},
    {brands_video, UT_ARRAY_LEN(brands_video), SITE_VIDEO},
    {brands_shopping, UT_ARRAY_LEN(brands_shopping), SITE_SHOPPING},
    {brands_payment, UT_ARRAY_LEN(brands_payment), SITE_PAYMENT},
};
static const struct site_list site_names[] = {
    {names_search, UT_ARRAY_LEN(names_search), SITE_SEARCH},
    {names_social, UT_ARRAY_LEN(names_social), SITE_SOCIAL},
    {names_shopping, UT_ARRAY_LEN(names_shopping), SITE_SHOPPING},
};

/* Second-level labels of country suffixes: "co" in "amazon.co.uk", "com" in "google.com.br". */
static const char *const generic_slds[] = {"co", "com", "net", "org", "gov", "edu", "ac",  "ne",
                                           "or", "go",  "gob", "mil", "nom", "ltd", "plc", "sch"};

/* ==== ad click ids ============================================================== */

/* The URL parameter of each click id and the source / medium it implies. */
static const struct {
    const char *param;
    const char *source;
    const char *medium;
} click_ids[UT_CLICK_COUNT] = {
    [UT_CLICK_NONE] = {NULL, NULL, NULL},
    [UT_CLICK_GCLID] = {"gclid", "google", "cpc"},
    [UT_CLICK_GBRAID] = {"gbraid", "google", "cpc"},
    [UT_CLICK_WBRAID] = {"wbraid", "google", "cpc"},
    [UT_CLICK_DCLID] = {"dclid", "google", "display"},
    [UT_CLICK_FBCLID] = {"fbclid", "facebook", "social"},
    [UT_CLICK_TTCLID] = {"ttclid", "tiktok", "paid"},
    [UT_CLICK_MSCLKID] = {"msclkid", "bing", "cpc"},
    [UT_CLICK_LI_FAT_ID] = {"li_fat_id", "linkedin", "paid"},
    [UT_CLICK_TWCLID] = {"twclid", "twitter", "paid"},
    [UT_CLICK_EPIK] = {"epik", "pinterest", "paid"},
    [UT_CLICK_SCCID] = {"sccid", "snapchat", "paid"},
    [UT_CLICK_RDT_CID] = {"rdt_cid", "reddit", "paid"},
};

/*
 * When a URL carries several click ids, the first of this order names the
 * touch. fbclid comes last: Meta appends it to organic outbound links too,
 * so it is weaker evidence than any referrer (see ut_channel_classify).
 */
static const enum ut_click_id click_priority[] = {
    UT_CLICK_GCLID,   UT_CLICK_GBRAID, UT_CLICK_WBRAID,    UT_CLICK_DCLID,
    UT_CLICK_MSCLKID, UT_CLICK_TTCLID, UT_CLICK_LI_FAT_ID, UT_CLICK_TWCLID,
    UT_CLICK_EPIK,    UT_CLICK_SCCID,  UT_CLICK_RDT_CID,   UT_CLICK_FBCLID,
};

static const char *const group_names[UT_CHANNEL_COUNT] = {
    [UT_CHANNEL_DIRECT] = "Direct",
    [UT_CHANNEL_CROSS_NETWORK] = "Cross-network",
    [UT_CHANNEL_PAID_SHOPPING] = "Paid Shopping",
    [UT_CHANNEL_PAID_SEARCH] = "Paid Search",
    [UT_CHANNEL_PAID_SOCIAL] = "Paid Social",
    [UT_CHANNEL_PAID_VIDEO] = "Paid Video",
    [UT_CHANNEL_DISPLAY] = "Display",
    [UT_CHANNEL_PAID_OTHER] = "Paid Other",
    [UT_CHANNEL_ORGANIC_SHOPPING] = "Organic Shopping",
    [UT_CHANNEL_ORGANIC_SOCIAL] = "Organic Social",
    [UT_CHANNEL_ORGANIC_VIDEO] = "Organic Video",
    [UT_CHANNEL_ORGANIC_SEARCH] = "Organic Search",
    [UT_CHANNEL_REFERRAL] = "Referral",
    [UT_CHANNEL_EMAIL] = "Email",
    [UT_CHANNEL_AFFILIATES] = "Affiliates",
    [UT_CHANNEL_AUDIO] = "Audio",
    [UT_CHANNEL_SMS] = "SMS",
    [UT_CHANNEL_MOBILE_PUSH] = "Mobile Push Notifications",
    [UT_CHANNEL_UNASSIGNED] = "Unassigned",
};

/* ==== case-insensitive ASCII matching =========================================== */

/* s[0..n) contains the lowercase literal lit, ignoring ASCII case. */
static bool
ch_contains(const char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);

    for (size_t i = 0; i + m <= n; i++) {
        if (ut_ascii_ieq_lit(s + i, m, lit)) {
            return true;
        }
    }
    return false;
}

static bool
ch_ends_with(const char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);

    return n >= m && ut_ascii_ieq_lit(s + n - m, m, lit);
}

/* s[0..n) equals one of the NULL-terminated lowercase literals. */
static bool
ch_ieq_any(const char *s, size_t n, const char *const *lits)
{
    for (; *lits != NULL; lits++) {
        if (ut_ascii_ieq_lit(s, n, *lits)) {
            return true;
        }
    }
    return false;
}

/* ==== site lookup =============================================================== */

struct site_hit {
    unsigned char cat;
    const char *name; /* source name for search engines; NULL otherwise */
};

static bool
ch_list_find(const struct site_list *lists, size_t nlists, const char *s, size_t n,
             struct site_hit *hit)
{
    for (size_t l = 0; l < nlists; l++) {
        for (size_t i = 0; i < lists[l].n; i++) {
            if (ut_ascii_ieq_lit(s, n, lists[l].items[i])) {
                hit->cat = lists[l].cat;
                hit->name = lists[l].cat == SITE_SEARCH ? lists[l].items[i] : NULL;
                return true;
            }
        }
    }
    return false;
}

/* The brand label of host h[0..n): the label before "com", "co.uk", "com.br"... */
static struct ut_url_part
ch_host_brand(const char *h, size_t n)
{
    struct ut_url_part r = {NULL, 0};
    size_t end, dots[3], nd = 0;

    for (size_t i = n; i > 0 && nd < 3; i--) {
        if (h[i - 1] == '.') {
            dots[nd++] = i - 1;
        }
    }
    if (nd == 0) {
        return r;
    }
    end = dots[0];
    if (nd >= 2 && n - dots[0] - 1 == 2) {
        const char *sld = h + dots[1] + 1;
        size_t sld_len = dots[0] - dots[1] - 1;

        for (size_t i = 0; i < UT_ARRAY_LEN(generic_slds); i++) {
            if (ut_ascii_ieq_lit(sld, sld_len, generic_slds[i])) {
                end = dots[1];
                break;
            }
        }
    }
    r.ptr = h;
    for (size_t i = 0; i < nd; i++) {
        if (dots[i] < end) {
            r.ptr = h + dots[i] + 1;
            break;
        }
    }
    r.len = (size_t)(h + end - r.ptr);
    return r;
}

/* Look host h[0..n) up: itself and its parent domains in site_hosts, then its brand. */
static bool
ch_site_for_host(const char *h, size_t n, struct site_hit *hit)
{
    const char *p = h, *end = h + n;
    struct ut_url_part brand;

    while (p < end) {
        const char *dot;

        for (size_t i = 0; i < UT_ARRAY_LEN(site_hosts); i++) {
            if (ut_ascii_ieq_lit(p, (size_t)(end - p), site_hosts[i].host)) {
                hit->cat = site_hosts[i].cat;
                hit->name = site_hosts[i].name;
                return true;
            }
        }
        dot = memchr(p, '.', (size_t)(end - p));
        if (dot == NULL) {
            break;
        }
        p = dot + 1;
    }
    brand = ch_host_brand(h, n);
    return brand.len != 0 &&
           ch_list_find(site_brands, UT_ARRAY_LEN(site_brands), brand.ptr, brand.len, hit);
}

/* A source is a host when it holds a dot, a plain name otherwise. */
static bool
ch_site_for_source(const char *s, size_t n, struct site_hit *hit)
{
    if (n == 0) {
        return false;
    }
    if (memchr(s, '.', n) != NULL) {
        return ch_site_for_host(s, n, hit);
    }
    return ch_list_find(site_brands, UT_ARRAY_LEN(site_brands), s, n, hit) ||
           ch_list_find(site_names, UT_ARRAY_LEN(site_names), s, n, hit);
}

enum ut_source_kind
ut_channel_source_kind(const char *source, size_t len)
{
    struct site_hit hit = {SITE_NONE, NULL};

    if (!ch_site_for_source(source, len, &hit)) {
        return UT_SOURCE_OTHER;
    }
    switch (hit.cat) {
    case SITE_SEARCH:
        return UT_SOURCE_SEARCH;
    case SITE_SOCIAL:
        return UT_SOURCE_SOCIAL;
    case SITE_VIDEO:
        return UT_SOURCE_VIDEO;
    case SITE_SHOPPING:
        return UT_SOURCE_SHOPPING;
    default:
        return UT_SOURCE_OTHER;
    }
}

/* ==== GA4 default channel grouping ============================================== */

/* Medium matches ^(.*cp.*|ppc|retargeting|paid.*)$ */
static bool
ch_medium_paid(const char *m, size_t n)
{
    return ch_contains(m, n, "cp") || ut_ascii_ieq_lit(m, n, "ppc") ||
           ut_ascii_ieq_lit(m, n, "retargeting") || (n >= 4 && ut_ascii_ieq_lit(m, 4, "paid"));
}

/* Campaign name matches ^(.*(([^a-df-z]|^)shop|shopping).*)$ (case-insensitively). */
static bool
ch_campaign_shop(const char *c, size_t n)
{
    if (ch_contains(c, n, "shopping")) {
        return true;
    }
    for (size_t i = 0; i + 4 <= n; i++) {
        unsigned char prev;

        if (!ut_ascii_ieq_lit(c + i, 4, "shop")) {
            continue;
        }
        if (i == 0) {
            return true;
        }
        prev = ut_ascii_lower((unsigned char)c[i - 1]);
        if (!((prev >= 'a' && prev <= 'd') || (prev >= 'f' && prev <= 'z'))) {
            return true;
        }
    }
    return false;
}

static const char *const email_words[] = {"email", "e-mail", "e_mail", "e mail", NULL};

/* GA4's rules from Direct to Paid Other; UT_CHANNEL_COUNT when none matched. */
static enum ut_channel_group
ch_group_paid(const char *s, size_t sn, const char *m, size_t mn, const char *c, size_t cn,
              enum ut_source_kind kind)
{
    static const char *const direct_media[] = {"(not set)", "(none)", NULL};
    static const char *const display_media[] = {"display",      "banner", "expandable",
                                                "interstitial", "cpm",    NULL};
    bool paid = ch_medium_paid(m, mn);

    if (ut_ascii_ieq_lit(s, sn, "(direct)") && ch_ieq_any(m, mn, direct_media)) {
        return UT_CHANNEL_DIRECT;
    }
    if (ch_contains(c, cn, "cross-network")) {
        return UT_CHANNEL_CROSS_NETWORK;
    }
    if (paid && (kind == UT_SOURCE_SHOPPING || ch_campaign_shop(c, cn))) {
        return UT_CHANNEL_PAID_SHOPPING;
    }
    if (paid && kind == UT_SOURCE_SEARCH) {
        return UT_CHANNEL_PAID_SEARCH;
    }
    if (paid && kind == UT_SOURCE_SOCIAL) {
        return UT_CHANNEL_PAID_SOCIAL;
    }
    if (paid && kind == UT_SOURCE_VIDEO) {
        return UT_CHANNEL_PAID_VIDEO;
    }
    if (ch_ieq_any(m, mn, display_media)) {
        return UT_CHANNEL_DISPLAY;
    }
    return paid ? UT_CHANNEL_PAID_OTHER : UT_CHANNEL_COUNT;
}

/* GA4's rules from Organic Shopping to Unassigned. */
static enum ut_channel_group
ch_group_organic(const char *s, size_t sn, const char *m, size_t mn, const char *c, size_t cn,
                 enum ut_source_kind kind)
{
    static const char *const social_media[] = {
        "social", "social-network", "social-media", "sm", "social network", "social media", NULL};
    static const char *const referral_media[] = {"referral", "app", "link", NULL};

    if (kind == UT_SOURCE_SHOPPING || ch_campaign_shop(c, cn)) {
        return UT_CHANNEL_ORGANIC_SHOPPING;
    }
    if (kind == UT_SOURCE_SOCIAL || ch_ieq_any(m, mn, social_media)) {
        return UT_CHANNEL_ORGANIC_SOCIAL;
    }
    if (kind == UT_SOURCE_VIDEO || ch_contains(m, mn, "video")) {
        return UT_CHANNEL_ORGANIC_VIDEO;
    }
    if (kind == UT_SOURCE_SEARCH || ut_ascii_ieq_lit(m, mn, "organic")) {
        return UT_CHANNEL_ORGANIC_SEARCH;
    }
    if (ch_ieq_any(m, mn, referral_media)) {
        return UT_CHANNEL_REFERRAL;
    }
    if (ch_ieq_any(s, sn, email_words) || ch_ieq_any(m, mn, email_words)) {
        return UT_CHANNEL_EMAIL;
    }
    if (ut_ascii_ieq_lit(m, mn, "affiliate")) {
        return UT_CHANNEL_AFFILIATES;
    }
    if (ut_ascii_ieq_lit(m, mn, "audio")) {
        return UT_CHANNEL_AUDIO;
    }
    if (ut_ascii_ieq_lit(s, sn, "sms") || ut_ascii_ieq_lit(m, mn, "sms")) {
        return UT_CHANNEL_SMS;
    }
    if (ch_ends_with(m, mn, "push") || ch_contains(m, mn, "mobile") ||
        ch_contains(m, mn, "notification") || ut_ascii_ieq_lit(s, sn, "firebase")) {
        return UT_CHANNEL_MOBILE_PUSH;
    }
    return UT_CHANNEL_UNASSIGNED;
}

enum ut_channel_group
ut_channel_group_for(const char *source, size_t source_len, const char *medium, size_t medium_len,
                     const char *campaign, size_t campaign_len)
{
    enum ut_source_kind kind = ut_channel_source_kind(source, source_len);
    enum ut_channel_group g;

    if (campaign == NULL) {
        campaign = "";
        campaign_len = 0;
    }
    g = ch_group_paid(source, source_len, medium, medium_len, campaign, campaign_len, kind);
    if (g != UT_CHANNEL_COUNT) {
        return g;
    }
    return ch_group_organic(source, source_len, medium, medium_len, campaign, campaign_len, kind);
}

const char *
ut_channel_group_name(enum ut_channel_group g)
{
    if ((unsigned)g >= UT_CHANNEL_COUNT) {
        return group_names[UT_CHANNEL_UNASSIGNED];
    }
    return group_names[g];
}

const char *
ut_click_id_name(enum ut_click_id id)
{
    if ((unsigned)id >= UT_CLICK_COUNT) {
        return NULL;
    }
    return click_ids[id].param;
}

/* ==== classification ============================================================ */

enum { UTM_SOURCE, UTM_MEDIUM, UTM_CAMPAIGN, UTM_CONTENT, UTM_TERM, UTM_COUNT };

static const char *const utm_params[UTM_COUNT] = {"utm_source", "utm_medium", "utm_campaign",
                                                  "utm_content", "utm_term"};

/* A result string under construction: static text, or a range of the scratch buffer. */
struct ch_str {
    const char *stat;
    size_t off, len;
    bool set;
};

/* Everything one classification works on. */
struct ch_work {
    struct ut_url land, ref;
    bool have_land, have_ref, internal, payment_ref;
    bool no_touch; /* fell back to direct because of an internal or payment referrer */
    struct ut_url_part utm[UTM_COUNT];        /* raw values, first occurrence */
    struct ut_url_part click[UT_CLICK_COUNT]; /* raw values, first occurrence */
    enum ut_click_id click_id;
    struct ch_str source, medium, campaign, content, term, click_value, ref_host;
    struct ut_buf *b;     /* the caller's scratch: decoded strings */
    struct ut_diag *diag; /* the caller's diagnostics, may be NULL */
    const char *url;      /* the landing URL, for error columns */
};

static void
ch_static(struct ch_str *s, const char *text)
{
    s->stat = text;
    s->set = true;
}

/* Append bytes and a NUL to scratch; the range becomes *s. Lowercases when asked. */
static int
ch_copy(struct ut_buf *b, const char *p, size_t n, bool lower, struct ch_str *s)
{
    size_t off = b->len;

    ut_buf_add(b, p, n);
    ut_buf_add(b, "", 1);
    if (ut_buf_err(b) != UT_OK) {
        return ut_buf_err(b);
    }
    for (size_t i = 0; lower && i < n; i++) {
        b->ptr[off + i] = (char)ut_ascii_lower((unsigned char)b->ptr[off + i]);
    }
    s->stat = NULL;
    s->off = off;
    s->len = n;
    s->set = true;
    return UT_OK;
}

/* Percent- and '+'-decode a raw query value into scratch (then a NUL); see ch_copy. */
static int
ch_decode(struct ch_work *w, struct ut_url_part raw, bool lower, const char *param,
          struct ch_str *s)
{
    struct ut_buf *b = w->b;
    size_t off = b->len, n = 0;
    int err = ut_buf_reserve(b, raw.len + 1);

    if (err == UT_OK) {
        err = ut_url_decode(raw.ptr, raw.len, b->ptr + off, b->cap - off, &n,
                            UT_URL_DECODE_PLUS | UT_URL_DECODE_NO_CTL);
    }
    if (err == UT_EPARSE) {
        ut_diag_at(w->diag, 1, (size_t)(raw.ptr - w->url) + 1,
                   "invalid escape or control byte in '%s'", param);
        ut_diag_field(w->diag, "url", 3);
        return err;
    }
    if (err != UT_OK) {
        return err;
    }
    for (size_t i = 0; lower && i < n; i++) {
        b->ptr[off + i] = (char)ut_ascii_lower((unsigned char)b->ptr[off + i]);
    }
    b->len = off + n + 1; /* keep the NUL: the next string starts after it */
    b->ptr[b->len] = '\0';
    s->stat = NULL;
    s->off = off;
    s->len = n;
    s->set = true;
    return UT_OK;
}

/* Record the first occurrence of every UTM parameter and click id of the landing URL. */
static void
ch_collect_params(struct ch_work *w)
{
    const char *cur = w->land.query.ptr, *end;
    struct ut_url_part key, value;

    if (cur == NULL) {
        return;
    }
    end = cur + w->land.query.len;
    while (ut_query_next(&cur, end, &key, &value) == 1) {
        for (size_t i = 0; i < UTM_COUNT; i++) {
            if (w->utm[i].ptr == NULL && ut_ascii_ieq_lit(key.ptr, key.len, utm_params[i])) {
                w->utm[i] = value;
            }
        }
        for (size_t i = 1; i < UT_CLICK_COUNT; i++) {
            if (w->click[i].ptr == NULL && ut_ascii_ieq_lit(key.ptr, key.len, click_ids[i].param)) {
                w->click[i] = value;
            }
        }
    }
    for (size_t i = 0; i < UT_ARRAY_LEN(click_priority); i++) {
        if (w->click[click_priority[i]].len != 0) {
            w->click_id = click_priority[i];
            break;
        }
    }
}

/* Parse both inputs; diag->field names the one that failed. */
static int
ch_parse_inputs(struct ch_work *w, const char *url, size_t url_len, const char *referrer,
                size_t ref_len)
{
    struct ut_diag *diag = w->diag;
    const char *cur;
    int err;

    if (url_len != 0) {
        cur = url;
        err = ut_url_parse(&w->land, &cur, url + url_len, 0, diag);
        if (err != UT_OK) {
            ut_diag_field(diag, "url", 3);
            return err;
        }
        w->have_land = true;
        ch_collect_params(w);
    }
    if (ref_len != 0) {
        cur = referrer;
        err = ut_url_parse(&w->ref, &cur, referrer + ref_len, UT_URL_NO_SCHEME | UT_URL_ANY_SCHEME,
                           diag);
        if (err != UT_OK) {
            ut_diag_field(diag, "referrer", 8);
            return err;
        }
        w->have_ref = true;
        w->internal = w->have_land && ut_url_same_site(w->land.host, w->land.host_len, w->ref.host,
                                                       w->ref.host_len);
    }
    return UT_OK;
}

/* Source / medium from an external referrer; *used is false for payment pages (no touch). */
static int
ch_from_referrer(struct ch_work *w, bool *used)
{
    struct site_hit hit = {SITE_NONE, NULL};
    struct ut_url_part site = ut_url_host_site(w->ref.host, w->ref.host_len);

    (void)ch_site_for_host(w->ref.host, w->ref.host_len, &hit);
    if (hit.cat == SITE_PAYMENT) {
        w->payment_ref = true;
        *used = false;
        return UT_OK;
    }
    *used = true;
    if (hit.cat == SITE_SEARCH && hit.name != NULL) {
        ch_static(&w->source, hit.name);
        ch_static(&w->medium, "organic");
        return UT_OK;
    }
    ch_static(&w->medium, hit.cat == SITE_MAIL ? "email" : "referral");
    return ch_copy(w->b, site.ptr, site.len, true, &w->source);
}

/* Source and medium by the precedence documented in channel.h. */
static int
ch_pick_source(struct ch_work *w)
{
    int err;
    bool used = false;

    if (w->utm[UTM_SOURCE].len != 0 || w->utm[UTM_MEDIUM].len != 0) {
        ch_static(&w->source, "(not set)");
        ch_static(&w->medium, "(not set)");
        err = w->utm[UTM_SOURCE].len == 0
                  ? UT_OK
                  : ch_decode(w, w->utm[UTM_SOURCE], true, "utm_source", &w->source);
        if (err == UT_OK && w->utm[UTM_MEDIUM].len != 0) {
            err = ch_decode(w, w->utm[UTM_MEDIUM], true, "utm_medium", &w->medium);
        }
        return err;
    }
    if (w->click_id != UT_CLICK_NONE && w->click_id != UT_CLICK_FBCLID) {
        ch_static(&w->source, click_ids[w->click_id].source);
        ch_static(&w->medium, click_ids[w->click_id].medium);
        return UT_OK;
    }
    if (w->have_ref && !w->internal) {
        err = ch_from_referrer(w, &used);
        if (err != UT_OK || used) {
            return err;
        }
    }
    if (w->click_id == UT_CLICK_FBCLID) {
        ch_static(&w->source, click_ids[UT_CLICK_FBCLID].source);
        ch_static(&w->medium, click_ids[UT_CLICK_FBCLID].medium);
        return UT_OK;
    }
    ch_static(&w->source, "(direct)");
    ch_static(&w->medium, "(none)");
    w->no_touch = w->internal || w->payment_ref;
    return UT_OK;
}

/* Decode campaign, content, term and the click id value. */
static int
ch_decode_extras(struct ch_work *w)
{
    struct ch_str *dst[] = {&w->campaign, &w->content, &w->term};
    int err = UT_OK;

    for (size_t i = 0; i < UT_ARRAY_LEN(dst) && err == UT_OK; i++) {
        struct ut_url_part raw = w->utm[UTM_CAMPAIGN + i];

        if (raw.len != 0) {
            err = ch_decode(w, raw, false, utm_params[UTM_CAMPAIGN + i], dst[i]);
        }
    }
    if (err == UT_OK && w->click_id != UT_CLICK_NONE) {
        err = ch_decode(w, w->click[w->click_id], false, click_ids[w->click_id].param,
                        &w->click_value);
    }
    if (err == UT_OK && w->have_ref) {
        err = ch_copy(w->b, w->ref.host, w->ref.host_len, false, &w->ref_host);
    }
    return err;
}

static struct ut_touch_str
ch_emit(const struct ut_buf *b, const struct ch_str *s)
{
    struct ut_touch_str r = {NULL, 0};

    if (s->stat != NULL) {
        r.ptr = s->stat;
        r.len = strlen(s->stat);
    } else if (s->set) {
        r.ptr = b->ptr + s->off;
        r.len = s->len;
    }
    return r;
}

static void
ch_fill(const struct ch_work *w, const struct ut_buf *b, struct ut_touch_info *out)
{
    memset(out, 0, sizeof(*out));
    out->click_id = w->click_id;
    out->source = ch_emit(b, &w->source);
    out->medium = ch_emit(b, &w->medium);
    out->campaign = ch_emit(b, &w->campaign);
    out->content = ch_emit(b, &w->content);
    out->term = ch_emit(b, &w->term);
    out->click_value = ch_emit(b, &w->click_value);
    out->referrer_host = ch_emit(b, &w->ref_host);
    out->internal_referrer = w->internal;
    out->is_touch = !w->no_touch;
    out->channel = ut_channel_group_for(out->source.ptr, out->source.len, out->medium.ptr,
                                        out->medium.len, out->campaign.ptr, out->campaign.len);
}

int
ut_channel_classify(const char *url, size_t url_len, const char *referrer, size_t ref_len,
                    struct ut_touch_info *out, struct ut_buf *scratch, struct ut_diag *diag)
{
    struct ch_work w;
    int err;

    memset(&w, 0, sizeof(w));
    w.b = scratch;
    w.diag = diag;
    w.url = url;
    /* A never-grown buffer shares the static "": do not write it (threads may share it). */
    if (scratch->cap != 0) {
        ut_buf_clear(scratch);
    }
    scratch->err = UT_OK;
    err = ch_parse_inputs(&w, url, url_len, referrer, ref_len);
    if (err != UT_OK) {
        return err;
    }
    err = ch_pick_source(&w);
    if (err == UT_OK) {
        err = ch_decode_extras(&w);
    }
    if (err == UT_ELIMIT || err == UT_ENOMEM) {
        ut_diag_set(diag, "%s",
                    err == UT_ELIMIT ? "classification exceeds the scratch buffer"
                                     : "out of memory");
    }
    if (err != UT_OK) {
        return err;
    }
    ch_fill(&w, scratch, out);
    return UT_OK;
}
