/*
 * tests/unit/test_channel.c - core/channel: GA4 default channel grouping on
 * UTM-tagged URLs, click ids and referrers (one table row per visit), site
 * list lookups, group names, errors, limits and the OOM loop. Pure: no files.
 */
#include "util/setup.h"

#include <string.h>

#include "t.h"

#include "core/channel.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/url.h"

#define SCRATCH_MAX ((size_t)64 << 10)

/* ---- the classification table -------------------------------------------------- */

struct visit {
    const char *url, *ref;
    enum ut_channel_group channel;
    const char *source, *medium;
    const char *campaign; /* NULL = absent */
    enum ut_click_id click;
    bool internal, touch;
};

#define U "https://shop.example/landing"

/* Tagged visits: UTM parameters decide source / medium; GA4's order decides the group. */
static const struct visit tagged[] = {
    {U "?utm_source=google&utm_medium=cpc&utm_campaign=Spring_Sale", NULL, UT_CHANNEL_PAID_SEARCH,
     "google", "cpc", "Spring_Sale", UT_CLICK_NONE, false, true},
    {U "?utm_source=Google&utm_medium=CPC", NULL, UT_CHANNEL_PAID_SEARCH, "google", "cpc", NULL,
     UT_CLICK_NONE, false, true},
    {U "?utm_source=bing&utm_medium=ppc", NULL, UT_CHANNEL_PAID_SEARCH, "bing", "ppc", NULL,
     UT_CLICK_NONE, false, true},
    {U "?utm_source=duckduckgo&utm_medium=paid_search", NULL, UT_CHANNEL_PAID_SEARCH, "duckduckgo",
     "paid_search", NULL, UT_CLICK_NONE, false, true},
    {U "?utm_source=google.co.uk&utm_medium=retargeting", NULL, UT_CHANNEL_PAID_SEARCH,
     "google.co.uk", "retargeting", NULL, UT_CLICK_NONE, false, true},
    {U "?utm_source=google&utm_medium=cpm", NULL, UT_CHANNEL_PAID_SEARCH, "google", "cpm", NULL,
     UT_CLICK_NONE, false, true},
    {U "?utm_source=facebook&utm_medium=paid", NULL, UT_CHANNEL_PAID_SOCIAL, "facebook", "paid",
     NULL, UT_CLICK_NONE, false, true},
    {U "?utm_source=fb&utm_medium=cpc", NULL, UT_CHANNEL_PAID_SOCIAL, "fb", "cpc", NULL,
     UT_CLICK_NONE, false, true},
    {U "?utm_source=l.facebook.com&utm_medium=cpm", NULL, UT_CHANNEL_PAID_SOCIAL, "l.facebook.com",
     "cpm", NULL, UT_CLICK_NONE, false, true},
    {U "?utm_source=Instagram&utm_medium=Paid_Social", NULL, UT_CHANNEL_PAID_SOCIAL, "instagram",
     "paid_social", NULL, UT_CLICK_NONE, false, true},
    {U "?utm_source=tiktok&utm_medium=paid", NULL, UT_CHANNEL_PAID_SOCIAL, "tiktok", "paid", NULL,
     UT_CLICK_NONE, false, true},
    {U "?utm_source=youtube&utm_medium=cpv", NULL, UT_CHANNEL_PAID_VIDEO, "youtube", "cpv", NULL,
     UT_CLICK_NONE, false, true},
    {U "?utm_source=vimeo.com&utm_medium=paid", NULL, UT_CHANNEL_PAID_VIDEO, "vimeo.com", "paid",
     NULL, UT_CLICK_NONE, false, true},
    {U "?utm_source=amazon&utm_medium=cpc", NULL, UT_CHANNEL_PAID_SHOPPING, "amazon", "cpc", NULL,
     UT_CLICK_NONE, false, true},
    {U "?utm_source=google&utm_medium=cpc&utm_campaign=Shopping-Q4", NULL, UT_CHANNEL_PAID_SHOPPING,
     "google", "cpc", "Shopping-Q4", UT_CLICK_NONE, false, true},
    {U "?utm_source=google&utm_medium=cpc&utm_campaign=eshop_brand", NULL, UT_CHANNEL_PAID_SHOPPING,
     "google", "cpc", "eshop_brand", UT_CLICK_NONE, false, true},
    {U "?utm_source=google&utm_medium=cpc&utm_campaign=2024_shop", NULL, UT_CHANNEL_PAID_SHOPPING,
     "google", "cpc", "2024_shop", UT_CLICK_NONE, false, true},
    {U "?utm_source=google&utm_medium=cpc&utm_campaign=workshop", NULL, UT_CHANNEL_PAID_SEARCH,
     "google", "cpc", "workshop", UT_CLICK_NONE, false, true},
    {U "?utm_source=google&utm_medium=cpc&utm_campaign=WORKSHOP", NULL, UT_CHANNEL_PAID_SEARCH,
     "google", "cpc", "WORKSHOP", UT_CLICK_NONE, false, true},
    {U "?utm_source=google&utm_medium=cpc&utm_campaign=pmax_cross-network", NULL,
     UT_CHANNEL_CROSS_NETWORK, "google", "cpc", "pmax_cross-network", UT_CLICK_NONE, false, true},
    {U "?utm_source=newsletter&utm_medium=email&utm_campaign=CROSS-NETWORK", NULL,
     UT_CHANNEL_CROSS_NETWORK, "newsletter", "email", "CROSS-NETWORK", UT_CLICK_NONE, false, true},
    {U "?utm_source=partner&utm_medium=display", NULL, UT_CHANNEL_DISPLAY, "partner", "display",
     NULL, UT_CLICK_NONE, false, true},
    {U "?utm_source=partner&utm_medium=Banner", NULL, UT_CHANNEL_DISPLAY, "partner", "banner", NULL,
     UT_CLICK_NONE, false, true},
    {U "?utm_source=partner&utm_medium=interstitial", NULL, UT_CHANNEL_DISPLAY, "partner",
     "interstitial", NULL, UT_CLICK_NONE, false, true},
    {U "?utm_source=criteo&utm_medium=cpm", NULL, UT_CHANNEL_DISPLAY, "criteo", "cpm", NULL,
     UT_CLICK_NONE, false, true},
    {U "?utm_source=criteo&utm_medium=retargeting", NULL, UT_CHANNEL_PAID_OTHER, "criteo",
     "retargeting", NULL, UT_CLICK_NONE, false, true},
    {U "?utm_source=newsletter&utm_medium=paid", NULL, UT_CHANNEL_PAID_OTHER, "newsletter", "paid",
     NULL, UT_CLICK_NONE, false, true},
    {U "?utm_source=ebay&utm_medium=referral", NULL, UT_CHANNEL_ORGANIC_SHOPPING, "ebay",
     "referral", NULL, UT_CLICK_NONE, false, true},
    {U "?utm_source=IGShopping&utm_medium=social", NULL, UT_CHANNEL_ORGANIC_SHOPPING, "igshopping",
     "social", NULL, UT_CLICK_NONE, false, true},
    {U "?utm_source=partner&utm_medium=referral&utm_campaign=shop_launch", NULL,
     UT_CHANNEL_ORGANIC_SHOPPING, "partner", "referral", "shop_launch", UT_CLICK_NONE, false, true},
    {U "?utm_source=facebook&utm_medium=social", NULL, UT_CHANNEL_ORGANIC_SOCIAL, "facebook",
     "social", NULL, UT_CLICK_NONE, false, true},
    {U "?utm_source=newsletter&utm_medium=social-network", NULL, UT_CHANNEL_ORGANIC_SOCIAL,
     "newsletter", "social-network", NULL, UT_CLICK_NONE, false, true},
    {U "?utm_source=x&utm_medium=post", NULL, UT_CHANNEL_ORGANIC_SOCIAL, "x", "post", NULL,
     UT_CLICK_NONE, false, true},
    {U "?utm_source=partner&utm_medium=sm", NULL, UT_CHANNEL_ORGANIC_SOCIAL, "partner", "sm", NULL,
     UT_CLICK_NONE, false, true},
    {U "?utm_source=youtube&utm_medium=organic", NULL, UT_CHANNEL_ORGANIC_VIDEO, "youtube",
     "organic", NULL, UT_CLICK_NONE, false, true},
    {U "?utm_source=partner&utm_medium=video_post", NULL, UT_CHANNEL_ORGANIC_VIDEO, "partner",
     "video_post", NULL, UT_CLICK_NONE, false, true},
    {U "?utm_source=bing&utm_medium=organic", NULL, UT_CHANNEL_ORGANIC_SEARCH, "bing", "organic",
     NULL, UT_CLICK_NONE, false, true},
    {U "?utm_source=partner&utm_medium=Organic", NULL, UT_CHANNEL_ORGANIC_SEARCH, "partner",
     "organic", NULL, UT_CLICK_NONE, false, true},
    {U "?utm_source=partner&utm_medium=referral", NULL, UT_CHANNEL_REFERRAL, "partner", "referral",
     NULL, UT_CLICK_NONE, false, true},
    {U "?utm_source=partner&utm_medium=app", NULL, UT_CHANNEL_REFERRAL, "partner", "app", NULL,
     UT_CLICK_NONE, false, true},
    {U "?utm_source=partner&utm_medium=link", NULL, UT_CHANNEL_REFERRAL, "partner", "link", NULL,
     UT_CLICK_NONE, false, true},
    {U "?utm_source=newsletter&utm_medium=email", NULL, UT_CHANNEL_EMAIL, "newsletter", "email",
     NULL, UT_CLICK_NONE, false, true},
    {U "?utm_source=Email&utm_medium=blast", NULL, UT_CHANNEL_EMAIL, "email", "blast", NULL,
     UT_CLICK_NONE, false, true},
    {U "?utm_source=crm&utm_medium=e_mail", NULL, UT_CHANNEL_EMAIL, "crm", "e_mail", NULL,
     UT_CLICK_NONE, false, true},
    {U "?utm_source=crm&utm_medium=e+mail", NULL, UT_CHANNEL_EMAIL, "crm", "e mail", NULL,
     UT_CLICK_NONE, false, true},
    {U "?utm_source=crm&utm_medium=E%2DMail", NULL, UT_CHANNEL_EMAIL, "crm", "e-mail", NULL,
     UT_CLICK_NONE, false, true},
    {U "?utm_source=partner&utm_medium=affiliate", NULL, UT_CHANNEL_AFFILIATES, "partner",
     "affiliate", NULL, UT_CLICK_NONE, false, true},
    {U "?utm_source=partner&utm_medium=affiliates", NULL, UT_CHANNEL_UNASSIGNED, "partner",
     "affiliates", NULL, UT_CLICK_NONE, false, true},
    {U "?utm_source=spotify&utm_medium=audio", NULL, UT_CHANNEL_AUDIO, "spotify", "audio", NULL,
     UT_CLICK_NONE, false, true},
    {U "?utm_source=sms&utm_medium=text", NULL, UT_CHANNEL_SMS, "sms", "text", NULL, UT_CLICK_NONE,
     false, true},
    {U "?utm_source=twilio&utm_medium=SMS", NULL, UT_CHANNEL_SMS, "twilio", "sms", NULL,
     UT_CLICK_NONE, false, true},
    {U "?utm_source=app&utm_medium=push", NULL, UT_CHANNEL_MOBILE_PUSH, "app", "push", NULL,
     UT_CLICK_NONE, false, true},
    {U "?utm_source=app&utm_medium=web-push", NULL, UT_CHANNEL_MOBILE_PUSH, "app", "web-push", NULL,
     UT_CLICK_NONE, false, true},
    {U "?utm_source=app&utm_medium=mobile_inbox", NULL, UT_CHANNEL_MOBILE_PUSH, "app",
     "mobile_inbox", NULL, UT_CLICK_NONE, false, true},
    {U "?utm_source=app&utm_medium=Notification", NULL, UT_CHANNEL_MOBILE_PUSH, "app",
     "notification", NULL, UT_CLICK_NONE, false, true},
    {U "?utm_source=Firebase&utm_medium=inapp", NULL, UT_CHANNEL_MOBILE_PUSH, "firebase", "inapp",
     NULL, UT_CLICK_NONE, false, true},
    {U "?utm_source=partner&utm_medium=print", NULL, UT_CHANNEL_UNASSIGNED, "partner", "print",
     NULL, UT_CLICK_NONE, false, true},
    {U "?utm_source=(direct)&utm_medium=(none)", NULL, UT_CHANNEL_DIRECT, "(direct)", "(none)",
     NULL, UT_CLICK_NONE, false, true},
    {U "?utm_medium=email", NULL, UT_CHANNEL_EMAIL, "(not set)", "email", NULL, UT_CLICK_NONE,
     false, true},
    {U "?utm_source=partner", NULL, UT_CHANNEL_UNASSIGNED, "partner", "(not set)", NULL,
     UT_CLICK_NONE, false, true},
    {U "?utm_campaign=spring", NULL, UT_CHANNEL_DIRECT, "(direct)", "(none)", "spring",
     UT_CLICK_NONE, false, true},
    {U "?UTM_SOURCE=Facebook&Utm_Medium=Paid", NULL, UT_CHANNEL_PAID_SOCIAL, "facebook", "paid",
     NULL, UT_CLICK_NONE, false, true},
    {U "?utm_source=%47oogle&utm_medium=cpc&utm_campaign=Black%20Friday+%E2%80%94+UK", NULL,
     UT_CHANNEL_PAID_SEARCH, "google", "cpc", "Black Friday \xe2\x80\x94 UK", UT_CLICK_NONE, false,
     true},
    {U "?utm_source=google&utm_source=bing&utm_medium=cpc&utm_medium=email", NULL,
     UT_CHANNEL_PAID_SEARCH, "google", "cpc", NULL, UT_CLICK_NONE, false, true},
    {U "?utm_source=&utm_source=bing&utm_medium=email", NULL, UT_CHANNEL_EMAIL, "(not set)",
     "email", NULL, UT_CLICK_NONE, false, true},
    {U "?utm_source=newsletter&utm_medium=email#utm_medium=cpc", NULL, UT_CHANNEL_EMAIL,
     "newsletter", "email", NULL, UT_CLICK_NONE, false, true},
};

/* Click ids without UTM parameters imply their platform's paid channel. */
static const struct visit clicks[] = {
    {U "?gclid=Cj0KCQ", NULL, UT_CHANNEL_PAID_SEARCH, "google", "cpc", NULL, UT_CLICK_GCLID, false,
     true},
    {U "?gbraid=0AAAA", NULL, UT_CHANNEL_PAID_SEARCH, "google", "cpc", NULL, UT_CLICK_GBRAID, false,
     true},
    {U "?wbraid=ClkK", NULL, UT_CHANNEL_PAID_SEARCH, "google", "cpc", NULL, UT_CLICK_WBRAID, false,
     true},
    {U "?dclid=CJbT", NULL, UT_CHANNEL_DISPLAY, "google", "display", NULL, UT_CLICK_DCLID, false,
     true},
    {U "?msclkid=5f3c", NULL, UT_CHANNEL_PAID_SEARCH, "bing", "cpc", NULL, UT_CLICK_MSCLKID, false,
     true},
    {U "?ttclid=E.C.P", NULL, UT_CHANNEL_PAID_SOCIAL, "tiktok", "paid", NULL, UT_CLICK_TTCLID,
     false, true},
    {U "?li_fat_id=abc-1", NULL, UT_CHANNEL_PAID_SOCIAL, "linkedin", "paid", NULL,
     UT_CLICK_LI_FAT_ID, false, true},
    {U "?twclid=2-7", NULL, UT_CHANNEL_PAID_SOCIAL, "twitter", "paid", NULL, UT_CLICK_TWCLID, false,
     true},
    {U "?epik=dj0y", NULL, UT_CHANNEL_PAID_SOCIAL, "pinterest", "paid", NULL, UT_CLICK_EPIK, false,
     true},
    {U "?ScCid=9a8b", NULL, UT_CHANNEL_PAID_SOCIAL, "snapchat", "paid", NULL, UT_CLICK_SCCID, false,
     true},
    {U "?rdt_cid=123", NULL, UT_CHANNEL_PAID_SOCIAL, "reddit", "paid", NULL, UT_CLICK_RDT_CID,
     false, true},
    {U "?fbclid=IwAR1", NULL, UT_CHANNEL_ORGANIC_SOCIAL, "facebook", "social", NULL,
     UT_CLICK_FBCLID, false, true},
    {U "?fbclid=IwAR1", "https://l.instagram.com/", UT_CHANNEL_ORGANIC_SOCIAL, "instagram.com",
     "referral", NULL, UT_CLICK_FBCLID, false, true},
    {U "?fbclid=IwAR1", "https://shop.example/cart", UT_CHANNEL_ORGANIC_SOCIAL, "facebook",
     "social", NULL, UT_CLICK_FBCLID, true, true},
    {U "?fbclid=IwAR1&gclid=x", NULL, UT_CHANNEL_PAID_SEARCH, "google", "cpc", NULL, UT_CLICK_GCLID,
     false, true},
    {U "?msclkid=a&ttclid=b", NULL, UT_CHANNEL_PAID_SEARCH, "bing", "cpc", NULL, UT_CLICK_MSCLKID,
     false, true},
    {U "?gclid=x&utm_source=newsletter&utm_medium=email", NULL, UT_CHANNEL_EMAIL, "newsletter",
     "email", NULL, UT_CLICK_GCLID, false, true},
    {U "?utm_source=facebook&utm_medium=paid&fbclid=x", NULL, UT_CHANNEL_PAID_SOCIAL, "facebook",
     "paid", NULL, UT_CLICK_FBCLID, false, true},
    {U "?utm_campaign=brand&gclid=x", NULL, UT_CHANNEL_PAID_SEARCH, "google", "cpc", "brand",
     UT_CLICK_GCLID, false, true},
    {U "?gclid=", NULL, UT_CHANNEL_DIRECT, "(direct)", "(none)", NULL, UT_CLICK_NONE, false, true},
    {U "?gclid=x", "https://www.google.com/", UT_CHANNEL_PAID_SEARCH, "google", "cpc", NULL,
     UT_CLICK_GCLID, false, true},
    {U "?GCLID=x", "https://shop.example/", UT_CHANNEL_PAID_SEARCH, "google", "cpc", NULL,
     UT_CLICK_GCLID, true, true},
};

/* Untagged visits: the referrer decides. */
static const struct visit referred[] = {
    {U, "https://www.google.com/", UT_CHANNEL_ORGANIC_SEARCH, "google", "organic", NULL,
     UT_CLICK_NONE, false, true},
    {U, "https://www.google.co.uk/search?q=shoes", UT_CHANNEL_ORGANIC_SEARCH, "google", "organic",
     NULL, UT_CLICK_NONE, false, true},
    {U, "https://news.google.co.uk/", UT_CHANNEL_ORGANIC_SEARCH, "google", "organic", NULL,
     UT_CLICK_NONE, false, true},
    {U, "https://WWW.GOOGLE.COM.BR/", UT_CHANNEL_ORGANIC_SEARCH, "google", "organic", NULL,
     UT_CLICK_NONE, false, true},
    {U, "https://www.bing.com/search?q=a", UT_CHANNEL_ORGANIC_SEARCH, "bing", "organic", NULL,
     UT_CLICK_NONE, false, true},
    {U, "https://search.yahoo.co.jp/", UT_CHANNEL_ORGANIC_SEARCH, "yahoo", "organic", NULL,
     UT_CLICK_NONE, false, true},
    {U, "https://duckduckgo.com/", UT_CHANNEL_ORGANIC_SEARCH, "duckduckgo", "organic", NULL,
     UT_CLICK_NONE, false, true},
    {U, "https://yandex.com.tr/search/", UT_CHANNEL_ORGANIC_SEARCH, "yandex", "organic", NULL,
     UT_CLICK_NONE, false, true},
    {U, "https://search.brave.com/search?q=a", UT_CHANNEL_ORGANIC_SEARCH, "brave", "organic", NULL,
     UT_CLICK_NONE, false, true},
    {U, "https://m.baidu.com/", UT_CHANNEL_ORGANIC_SEARCH, "baidu", "organic", NULL, UT_CLICK_NONE,
     false, true},
    {U, "https://www.ecosia.org/", UT_CHANNEL_ORGANIC_SEARCH, "ecosia", "organic", NULL,
     UT_CLICK_NONE, false, true},
    {U, "android-app://com.google.android.googlequicksearchbox/", UT_CHANNEL_ORGANIC_SEARCH,
     "google", "organic", NULL, UT_CLICK_NONE, false, true},
    {U, "https://l.facebook.com/l.php?u=x", UT_CHANNEL_ORGANIC_SOCIAL, "facebook.com", "referral",
     NULL, UT_CLICK_NONE, false, true},
    {U, "https://lm.facebook.com/", UT_CHANNEL_ORGANIC_SOCIAL, "facebook.com", "referral", NULL,
     UT_CLICK_NONE, false, true},
    {U, "https://t.co/abc", UT_CHANNEL_ORGANIC_SOCIAL, "t.co", "referral", NULL, UT_CLICK_NONE,
     false, true},
    {U, "https://www.linkedin.com/feed/", UT_CHANNEL_ORGANIC_SOCIAL, "linkedin.com", "referral",
     NULL, UT_CLICK_NONE, false, true},
    {U, "https://de.pinterest.com/pin/1", UT_CHANNEL_ORGANIC_SOCIAL, "de.pinterest.com", "referral",
     NULL, UT_CLICK_NONE, false, true},
    {U, "https://old.reddit.com/r/x", UT_CHANNEL_ORGANIC_SOCIAL, "old.reddit.com", "referral", NULL,
     UT_CLICK_NONE, false, true},
    {U, "news.ycombinator.com/item?id=1", UT_CHANNEL_ORGANIC_SOCIAL, "news.ycombinator.com",
     "referral", NULL, UT_CLICK_NONE, false, true},
    {U, "https://www.youtube.com/", UT_CHANNEL_ORGANIC_VIDEO, "youtube.com", "referral", NULL,
     UT_CLICK_NONE, false, true},
    {U, "https://m.youtube.com/watch?v=1", UT_CHANNEL_ORGANIC_VIDEO, "youtube.com", "referral",
     NULL, UT_CLICK_NONE, false, true},
    {U, "https://youtu.be/x", UT_CHANNEL_ORGANIC_VIDEO, "youtu.be", "referral", NULL, UT_CLICK_NONE,
     false, true},
    {U, "https://www.amazon.co.uk/dp/1", UT_CHANNEL_ORGANIC_SHOPPING, "amazon.co.uk", "referral",
     NULL, UT_CLICK_NONE, false, true},
    {U, "https://www.ebay.de/", UT_CHANNEL_ORGANIC_SHOPPING, "ebay.de", "referral", NULL,
     UT_CLICK_NONE, false, true},
    {U, "https://blog.example.org/post", UT_CHANNEL_REFERRAL, "blog.example.org", "referral", NULL,
     UT_CLICK_NONE, false, true},
    {U, "https://docs.google.com/document/d/1", UT_CHANNEL_REFERRAL, "docs.google.com", "referral",
     NULL, UT_CLICK_NONE, false, true},
    {U, "https://mail.google.com/", UT_CHANNEL_EMAIL, "mail.google.com", "email", NULL,
     UT_CLICK_NONE, false, true},
    {U, "https://outlook.live.com/mail/0/", UT_CHANNEL_EMAIL, "outlook.live.com", "email", NULL,
     UT_CLICK_NONE, false, true},
    {U, "android-app://com.google.android.gm/", UT_CHANNEL_EMAIL, "com.google.android.gm", "email",
     NULL, UT_CLICK_NONE, false, true},
    {U, "https://www.paypal.com/checkoutnow", UT_CHANNEL_DIRECT, "(direct)", "(none)", NULL,
     UT_CLICK_NONE, false, false},
    {U, "https://checkout.stripe.com/c/pay", UT_CHANNEL_DIRECT, "(direct)", "(none)", NULL,
     UT_CLICK_NONE, false, false},
    {U, NULL, UT_CHANNEL_DIRECT, "(direct)", "(none)", NULL, UT_CLICK_NONE, false, true},
    {U, "https://shop.example/cart", UT_CHANNEL_DIRECT, "(direct)", "(none)", NULL, UT_CLICK_NONE,
     true, false},
    {"https://www.shop.example/", "https://SHOP.example/x", UT_CHANNEL_DIRECT, "(direct)", "(none)",
     NULL, UT_CLICK_NONE, true, false},
    {U "?utm_source=newsletter&utm_medium=email", "https://shop.example/", UT_CHANNEL_EMAIL,
     "newsletter", "email", NULL, UT_CLICK_NONE, true, true},
    {U, "https://blog.shop.example/", UT_CHANNEL_REFERRAL, "blog.shop.example", "referral", NULL,
     UT_CLICK_NONE, false, true},
    {U "?utm_source=partner&utm_medium=affiliate", "https://www.google.com/", UT_CHANNEL_AFFILIATES,
     "partner", "affiliate", NULL, UT_CLICK_NONE, false, true},
};

/* Compare one result with its row; a message on mismatch, NULL when equal. */
static const char *
visit_mismatch(const struct ut_touch_info *t, const struct visit *v)
{
    if (t->channel != v->channel) {
        return "channel";
    }
    if (t->source.ptr == NULL || strcmp(t->source.ptr, v->source) != 0 ||
        t->source.len != strlen(v->source)) {
        return "source";
    }
    if (t->medium.ptr == NULL || strcmp(t->medium.ptr, v->medium) != 0) {
        return "medium";
    }
    if ((v->campaign == NULL) != (t->campaign.ptr == NULL) ||
        (v->campaign != NULL && strcmp(t->campaign.ptr, v->campaign) != 0)) {
        return "campaign";
    }
    if (t->click_id != v->click) {
        return "click id";
    }
    if (t->internal_referrer != v->internal || t->is_touch != v->touch) {
        return "internal / touch";
    }
    if ((v->ref == NULL) != (t->referrer_host.ptr == NULL)) {
        return "referrer host";
    }
    return NULL;
}

static void
run_visits(const struct visit *v, size_t n, const char *table)
{
    struct ut_buf scratch = UT_BUF_INIT(SCRATCH_MAX);

    for (size_t i = 0; i < n; i++) {
        struct ut_touch_info t;
        struct ut_diag d;
        const char *ref = v[i].ref != NULL ? v[i].ref : "";
        int err =
            ut_channel_classify(v[i].url, strlen(v[i].url), ref, strlen(ref), &t, &scratch, &d);
        const char *bad = err == UT_OK ? visit_mismatch(&t, &v[i]) : "error";

        if (bad != NULL) {
            t_fail(__FILE__, __LINE__,
                   "%s[%zu] %s / %s: %s differs (err %d): got %s, %s / %s, campaign %s", table, i,
                   v[i].url, ref, bad, err, err == UT_OK ? ut_channel_group_name(t.channel) : "-",
                   err == UT_OK ? t.source.ptr : "-", err == UT_OK ? t.medium.ptr : "-",
                   err == UT_OK && t.campaign.ptr != NULL ? t.campaign.ptr : "(none)");
            break;
        }
    }
    ut_buf_release(&scratch);
}

TEST(tagged_visits)
{
    run_visits(tagged, UT_ARRAY_LEN(tagged), "tagged");
}

TEST(click_id_visits)
{
    run_visits(clicks, UT_ARRAY_LEN(clicks), "clicks");
}

TEST(referred_visits)
{
    run_visits(referred, UT_ARRAY_LEN(referred), "referred");
}

TEST(table_covers_every_group)
{
    bool seen[UT_CHANNEL_COUNT] = {false};
    const struct visit *tables[] = {tagged, clicks, referred};
    const size_t sizes[] = {UT_ARRAY_LEN(tagged), UT_ARRAY_LEN(clicks), UT_ARRAY_LEN(referred)};
    size_t total = 0;

    for (size_t k = 0; k < 3; k++) {
        for (size_t i = 0; i < sizes[k]; i++) {
            seen[tables[k][i].channel] = true;
        }
        total += sizes[k];
    }
    for (size_t g = 0; g < UT_CHANNEL_COUNT; g++) {
        if (!seen[g]) {
            t_fail(__FILE__, __LINE__, "no case for '%s'", ut_channel_group_name(g));
            return;
        }
    }
    T_TRUE(total >= 60);
}

/* ---- details of one classification --------------------------------------------- */

TEST(all_fields)
{
    static const char url[] = "https://Shop.example/p?utm_source=News+Letter&utm_medium=Email"
                              "&utm_campaign=Spring%20SALE&utm_content=Hero%2BButton"
                              "&utm_term=Red+Shoes&gclid=Cj0%2DK";
    static const char ref[] = "https://WWW.Example.ORG/x";
    struct ut_buf scratch = UT_BUF_INIT(SCRATCH_MAX);
    struct ut_touch_info t;

    T_OK(ut_channel_classify(url, strlen(url), ref, strlen(ref), &t, &scratch, NULL));
    T_EQ_STR(t.source.ptr, "news letter");
    T_EQ_STR(t.medium.ptr, "email");
    T_EQ_STR(t.campaign.ptr, "Spring SALE");
    T_EQ_SIZE(t.campaign.len, 11);
    T_EQ_STR(t.content.ptr, "Hero+Button");
    T_EQ_STR(t.term.ptr, "Red Shoes");
    T_EQ_STR(t.click_value.ptr, "Cj0-K");
    T_EQ_STR(t.referrer_host.ptr, "www.example.org");
    T_EQ_I64(t.click_id, UT_CLICK_GCLID);
    T_EQ_I64(t.channel, UT_CHANNEL_EMAIL);
    T_TRUE(!t.internal_referrer && t.is_touch);
    ut_buf_release(&scratch);
}

TEST(no_landing_url)
{
    struct ut_buf scratch = UT_BUF_INIT(SCRATCH_MAX);
    struct ut_touch_info t;

    T_OK(ut_channel_classify(NULL, 0, "https://www.bing.com/", 21, &t, &scratch, NULL));
    T_EQ_I64(t.channel, UT_CHANNEL_ORGANIC_SEARCH);
    T_OK(ut_channel_classify(NULL, 0, NULL, 0, &t, &scratch, NULL));
    T_EQ_I64(t.channel, UT_CHANNEL_DIRECT);
    T_TRUE(t.is_touch);
    T_NULL(t.referrer_host.ptr);
    T_NULL(t.campaign.ptr);
    ut_buf_release(&scratch);
}

TEST(scratch_is_reused)
{
    struct ut_buf scratch = UT_BUF_INIT(SCRATCH_MAX);
    struct ut_touch_info t;
    static const char a[] = "https://a.example/?utm_source=one&utm_medium=email";
    static const char b[] = "https://a.example/?utm_source=two&utm_medium=sms";

    T_OK(ut_channel_classify(a, strlen(a), NULL, 0, &t, &scratch, NULL));
    T_EQ_STR(t.source.ptr, "one");
    T_OK(ut_channel_classify(b, strlen(b), NULL, 0, &t, &scratch, NULL));
    T_EQ_STR(t.source.ptr, "two");
    T_EQ_I64(t.channel, UT_CHANNEL_SMS);
    ut_buf_release(&scratch);
}

/* ---- errors and limits --------------------------------------------------------- */

struct bad_visit {
    const char *url, *ref;
    int err;
    const char *field;
};

static const struct bad_visit bad_visits[] = {
    {"not a url", "", UT_EPARSE, "url"},
    {"shop.example/?utm_source=x", "", UT_EPARSE, "url"},
    {"ftp://shop.example/", "", UT_EPARSE, "url"},
    {U "?utm_source=%zz", "", UT_EPARSE, "url"},
    {U "?utm_source=a%00b&utm_medium=email", "", UT_EPARSE, "url"},
    {U "?utm_campaign=line%0Abreak", "", UT_EPARSE, "url"},
    {U "?gclid=%0d", "", UT_EPARSE, "url"},
    {U, "http://a b/", UT_EPARSE, "referrer"},
    {U, "https://www.google.com/\n", UT_EPARSE, "referrer"},
    {U, "localhost", UT_EPARSE, "referrer"},
};

TEST(malformed_input)
{
    struct ut_buf scratch = UT_BUF_INIT(SCRATCH_MAX);

    for (size_t i = 0; i < UT_ARRAY_LEN(bad_visits); i++) {
        const struct bad_visit *c = &bad_visits[i];
        struct ut_touch_info t;
        struct ut_diag d;
        int err;

        memset(&t, 0x5a, sizeof(t));
        memset(&d, 0, sizeof(d));
        err = ut_channel_classify(c->url, strlen(c->url), c->ref, strlen(c->ref), &t, &scratch, &d);
        if (err != c->err || strcmp(d.field, c->field) != 0 || d.msg[0] == '\0') {
            t_fail(__FILE__, __LINE__, "case %zu: err %d field '%s' msg '%s'", i, err, d.field,
                   d.msg);
            break;
        }
        if ((unsigned char)((const char *)&t)[0] != 0x5a) {
            t_fail(__FILE__, __LINE__, "case %zu: output written on failure", i);
            break;
        }
    }
    ut_buf_release(&scratch);
}

TEST(decode_error_column)
{
    static const char url[] = U "?utm_source=ok&utm_term=a%00b";
    struct ut_buf scratch = UT_BUF_INIT(SCRATCH_MAX);
    struct ut_touch_info t;
    struct ut_diag d;

    memset(&d, 0, sizeof(d));
    T_ERR(ut_channel_classify(url, strlen(url), NULL, 0, &t, &scratch, &d), UT_EPARSE);
    T_EQ_SIZE(d.col, strlen(U "?utm_source=ok&utm_term=") + 1);
    T_EQ_STR(d.field, "url");
    T_TRUE(strstr(d.msg, "utm_term") != NULL);
    ut_buf_release(&scratch);
}

TEST(limits)
{
    static char url[UT_URL_MAX + 64];
    struct ut_buf scratch = UT_BUF_INIT(SCRATCH_MAX), tiny = UT_BUF_INIT(16);
    struct ut_touch_info t;
    size_t n = strlen(U "?");

    memcpy(url, U "?", n);
    while (n < UT_URL_MAX + 1) {
        url[n++] = 'x';
    }
    T_ERR(ut_channel_classify(url, n, NULL, 0, &t, &scratch, NULL), UT_ELIMIT);
    n = strlen(U "?");
    for (size_t i = 0; i < UT_URL_PARAMS_MAX + 1; i++) {
        memcpy(url + n, "a=1&", 4);
        n += 4;
    }
    T_ERR(ut_channel_classify(url, n, NULL, 0, &t, &scratch, NULL), UT_ELIMIT);
    T_OK(ut_channel_classify(url, n - 4, NULL, 0, &t, &scratch, NULL)); /* 256 parameters */
    n = strlen(U "?utm_campaign=");
    memcpy(url, U "?utm_campaign=", n);
    memset(url + n, 'c', 40);
    T_ERR(ut_channel_classify(url, n + 40, NULL, 0, &t, &tiny, NULL), UT_ELIMIT);
    ut_buf_release(&tiny);
    ut_buf_release(&scratch);
}

TEST(out_of_memory)
{
    static const char url[] = U "?utm_source=Google&utm_medium=cpc&utm_campaign=x&utm_term=y";
    static const char ref[] = "https://www.google.com/";
    struct ut_touch_info t;
    int err = UT_ENOMEM;
    long failures = 0;

    for (long n = 1; n < 64 && err == UT_ENOMEM; n++) {
        struct ut_buf scratch = UT_BUF_INIT(SCRATCH_MAX);

        ut_alloc_fail_after(n);
        err = ut_channel_classify(url, strlen(url), ref, strlen(ref), &t, &scratch, NULL);
        ut_alloc_fail_after(0);
        if (err != UT_OK && err != UT_ENOMEM) {
            t_fail(__FILE__, __LINE__, "allocation %ld: error %d", n, err);
        }
        failures += err == UT_ENOMEM;
        ut_buf_release(&scratch);
    }
    T_OK(err);
    T_TRUE(failures >= 1);
    T_EQ_I64(t.channel, UT_CHANNEL_PAID_SEARCH);
}

/* ---- tables and lookups -------------------------------------------------------- */

TEST(group_names)
{
    static const char *const want[UT_CHANNEL_COUNT] = {
        "Direct",         "Cross-network", "Paid Shopping",
        "Paid Search",    "Paid Social",   "Paid Video",
        "Display",        "Paid Other",    "Organic Shopping",
        "Organic Social", "Organic Video", "Organic Search",
        "Referral",       "Email",         "Affiliates",
        "Audio",          "SMS",           "Mobile Push Notifications",
        "Unassigned"};

    for (size_t g = 0; g < UT_CHANNEL_COUNT; g++) {
        T_EQ_STR(ut_channel_group_name((enum ut_channel_group)g), want[g]);
    }
    T_EQ_STR(ut_channel_group_name(UT_CHANNEL_COUNT), "Unassigned");
}

TEST(click_id_names)
{
    T_NULL(ut_click_id_name(UT_CLICK_NONE));
    T_EQ_STR(ut_click_id_name(UT_CLICK_GCLID), "gclid");
    T_EQ_STR(ut_click_id_name(UT_CLICK_LI_FAT_ID), "li_fat_id");
    T_EQ_STR(ut_click_id_name(UT_CLICK_SCCID), "sccid");
    T_EQ_STR(ut_click_id_name(UT_CLICK_RDT_CID), "rdt_cid");
    for (size_t i = 1; i < UT_CLICK_COUNT; i++) {
        T_NOTNULL(ut_click_id_name((enum ut_click_id)i));
    }
    T_NULL(ut_click_id_name(UT_CLICK_COUNT));
}

TEST(source_kinds)
{
    static const struct {
        const char *s;
        enum ut_source_kind k;
    } cases[] = {
        {"google", UT_SOURCE_SEARCH},
        {"GOOGLE", UT_SOURCE_SEARCH},
        {"news.google.co.uk", UT_SOURCE_SEARCH},
        {"www.google.com.br", UT_SOURCE_SEARCH},
        {"google.com", UT_SOURCE_SEARCH},
        {"docs.google.com", UT_SOURCE_OTHER},
        {"groups.google.com", UT_SOURCE_SOCIAL},
        {"mail.google.com", UT_SOURCE_OTHER},
        {"search.yahoo.com", UT_SOURCE_SEARCH},
        {"uk.mail.yahoo.com", UT_SOURCE_OTHER},
        {"answers.yahoo.com", UT_SOURCE_SOCIAL},
        {"shopping.yahoo.co.jp", UT_SOURCE_SHOPPING},
        {"youtube", UT_SOURCE_VIDEO},
        {"m.youtube.com", UT_SOURCE_VIDEO},
        {"tiktok", UT_SOURCE_SOCIAL},
        {"ig", UT_SOURCE_SOCIAL},
        {"x", UT_SOURCE_SOCIAL},
        {"x.com", UT_SOURCE_SOCIAL},
        {"xx.com", UT_SOURCE_OTHER},
        {"t.co", UT_SOURCE_SOCIAL},
        {"t.com", UT_SOURCE_OTHER},
        {"igshopping", UT_SOURCE_SHOPPING},
        {"Google Shopping", UT_SOURCE_SHOPPING},
        {"amazon.co.jp", UT_SOURCE_SHOPPING},
        {"smile.amazon.com", UT_SOURCE_SHOPPING},
        {"paypal", UT_SOURCE_OTHER},
        {"ask.com", UT_SOURCE_SEARCH},
        {"ask.fm", UT_SOURCE_OTHER},
        {"co.uk", UT_SOURCE_OTHER},
        {".co.uk", UT_SOURCE_OTHER},
        {"google.", UT_SOURCE_SEARCH}, /* FQDN form */
        {"", UT_SOURCE_OTHER},
        {"newsletter", UT_SOURCE_OTHER},
    };

    for (size_t i = 0; i < UT_ARRAY_LEN(cases); i++) {
        enum ut_source_kind k = ut_channel_source_kind(cases[i].s, strlen(cases[i].s));

        if (k != cases[i].k) {
            t_fail(__FILE__, __LINE__, "'%s': kind %d, want %d", cases[i].s, (int)k,
                   (int)cases[i].k);
            return;
        }
    }
}

TEST(group_for_direct_strings)
{
    T_EQ_I64(ut_channel_group_for("(direct)", 8, "(not set)", 9, NULL, 0), UT_CHANNEL_DIRECT);
    T_EQ_I64(ut_channel_group_for("(DIRECT)", 8, "(NONE)", 6, NULL, 0), UT_CHANNEL_DIRECT);
    T_EQ_I64(ut_channel_group_for("(direct)", 8, "email", 5, NULL, 0), UT_CHANNEL_EMAIL);
    T_EQ_I64(ut_channel_group_for("", 0, "", 0, NULL, 0), UT_CHANNEL_UNASSIGNED);
    T_EQ_I64(ut_channel_group_for("bing", 4, "CPC", 3, "ShopNow", 7), UT_CHANNEL_PAID_SHOPPING);
    T_EQ_I64(ut_channel_group_for("bing", 4, "organic", 7, "summer-shopping", 15),
             UT_CHANNEL_ORGANIC_SHOPPING);
}

T_LIST(T_CASE(tagged_visits), T_CASE(click_id_visits), T_CASE(referred_visits),
       T_CASE(table_covers_every_group), T_CASE(all_fields), T_CASE(no_landing_url),
       T_CASE(scratch_is_reused), T_CASE(malformed_input), T_CASE(decode_error_column),
       T_CASE(limits), T_CASE(out_of_memory), T_CASE(group_names), T_CASE(click_id_names),
       T_CASE(source_kinds), T_CASE(group_for_direct_strings))
T_MAIN()
