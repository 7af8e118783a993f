/*
 * tests/unit/test_links.c - core/link and core/bot: slug, destination and
 * label checks; the redirect URL (UTM merge rules, click ids passed through,
 * parameters already in the destination kept, ut_click dropped and added,
 * fragments kept after the parameters, caps); IP truncation; and the bot
 * table against real crawler and real browser User-Agents.
 */
#include "util/setup.h"

#include <string.h>

#include "t.h"

#include "core/bot.h"
#include "core/link.h"
#include "util/buf.h"

/* ---- helpers ------------------------------------------------------------------- */

static struct ut_str
S(const char *s) {
    return ut_str_cstr(s);
}

/*
 * Build into a fresh buffer and compare with want (NULL: expect the error
 * code err instead). Returns 0 when as expected; prints the result otherwise.
 */
static int
build(const char *dest, const struct ut_link_utm *utm, const char *query, const char *token,
      const char *want, int err_want)
{
    struct ut_buf b = UT_BUF_INIT(1 << 20);
    int err = ut_link_build_url(S(dest), utm, S(query), S(token), &b);
    int bad = err != err_want || (want != NULL && strcmp(b.ptr, want) != 0);

    if (bad) {
        fprintf(stderr, "#   dest %s query %s\n#   got  %d %s\n#   want %d %s\n", dest,
                query != NULL ? query : "(none)", err, b.ptr, err_want, want != NULL ? want : "");
    }
    ut_buf_release(&b);
    return bad;
}

#define T_BUILD(dest, utm, query, token, want) T_EQ_I64(build(dest, utm, query, token, want, 0), 0)

/* ---- checks -------------------------------------------------------------------- */

TEST(slug_check)
{
    char long_slug[UT_LINK_SLUG_MAX + 2];

    T_OK(ut_link_slug_check("spring-sale_2024", 16));
    T_OK(ut_link_slug_check("A", 1));
    T_ERR(ut_link_slug_check("", 0), UT_EINVAL);
    T_ERR(ut_link_slug_check("a/b", 3), UT_EINVAL);
    T_ERR(ut_link_slug_check("a b", 3), UT_EINVAL);
    T_ERR(ut_link_slug_check("caf\xc3\xa9", 5), UT_EINVAL);
    T_ERR(ut_link_slug_check("a.b", 3), UT_EINVAL);
    T_ERR(ut_link_slug_check("..", 2), UT_EINVAL);
    memset(long_slug, 'x', sizeof(long_slug));
    T_OK(ut_link_slug_check(long_slug, UT_LINK_SLUG_MAX));
    T_ERR(ut_link_slug_check(long_slug, UT_LINK_SLUG_MAX + 1), UT_ELIMIT);
}

TEST(destination_check)
{
    static const char *const good[] = {
        "https://shop.example.com/spring?x=1#top",
        "http://example.com",
        "HTTPS://EXAMPLE.COM/a%20b",
        "https://[2001:db8::1]:8443/p",
    };
    static const char *const bad[] = {
        "",
        "example.com/x",
        "//example.com/x",
        "ftp://example.com/",
        "javascript:alert(1)",
        "https://user@example.com/",
        "https://exa mple.com/",
        "https://example.com/a b",
        "https://example.com/%zz",
        "https://example.com/\n",
        "mailto:a@example.com",
    };
    char big[UT_LINK_DEST_MAX + 32];
    struct ut_diag d;

    for (size_t i = 0; i < UT_ARRAY_LEN(good); i++) {
        T_OK(ut_link_destination_check(good[i], strlen(good[i]), NULL));
    }
    for (size_t i = 0; i < UT_ARRAY_LEN(bad); i++) {
        int err = ut_link_destination_check(bad[i], strlen(bad[i]), &d);

        T_TRUE(err == UT_EINVAL || err == UT_EPARSE);
    }
    memcpy(big, "https://example.com/", 20);
    memset(big + 20, 'a', sizeof(big) - 20);
    T_OK(ut_link_destination_check(big, UT_LINK_DEST_MAX, NULL));
    T_ERR(ut_link_destination_check(big, UT_LINK_DEST_MAX + 1, &d), UT_ELIMIT);
}

TEST(text_check)
{
    char big[UT_LINK_TEXT_MAX + 1];

    T_OK(ut_link_text_check("newsletter", 10));
    T_OK(ut_link_text_check("Spring Sale & more", 18));
    T_OK(ut_link_text_check("\xe6\x97\xa5\xe6\x9c\xac", 6));
    T_ERR(ut_link_text_check("", 0), UT_EINVAL);
    T_ERR(ut_link_text_check("a\nb", 3), UT_EINVAL);
    T_ERR(ut_link_text_check("a\x7f", 2), UT_EINVAL);
    T_ERR(ut_link_text_check("\xc2\x85", 2), UT_EINVAL);     /* C1 NEL */
    T_ERR(ut_link_text_check("\xc3", 1), UT_EINVAL);         /* truncated */
    T_ERR(ut_link_text_check("\xc0\xaf", 2), UT_EINVAL);     /* overlong */
    T_ERR(ut_link_text_check("\xed\xa0\x80", 3), UT_EINVAL); /* surrogate */
    memset(big, 'a', sizeof(big));
    T_OK(ut_link_text_check(big, UT_LINK_TEXT_MAX));
    T_ERR(ut_link_text_check(big, UT_LINK_TEXT_MAX + 1), UT_ELIMIT);
}

/* ---- redirect URL ---------------------------------------------------------------- */

TEST(build_adds_utms_in_order_and_encodes)
{
    struct ut_link_utm utm = {S("news letter"), S("email"), S("Spring&Sale=50%"), S("hero"),
                              S("caf\xc3\xa9")};

    T_BUILD("https://example.com/p", &utm, NULL, "",
            "https://example.com/p?utm_source=news%20letter&utm_medium=email&utm_campaign="
            "Spring%26Sale%3D50%25&utm_content=hero&utm_term=caf%C3%A9");
    /* absent and empty values add nothing */
    utm = (struct ut_link_utm){S("x"), UT_STR_NULL, S(""), UT_STR_NULL, UT_STR_NULL};
    T_BUILD("https://example.com/p", &utm, NULL, "", "https://example.com/p?utm_source=x");
    T_BUILD("https://example.com/p", NULL, NULL, "", "https://example.com/p");
    T_BUILD("https://example.com", &utm, NULL, "", "https://example.com?utm_source=x");
}

TEST(build_keeps_destination_params)
{
    struct ut_link_utm utm = {S("ours"), S("cpc"), S("camp"), UT_STR_NULL, UT_STR_NULL};

    /* the destination's own utm_source wins, case-insensitively; the others are added */
    T_BUILD("https://example.com/p?utm_source=theirs&a=1", &utm, NULL, "",
            "https://example.com/p?utm_source=theirs&a=1&utm_medium=cpc&utm_campaign=camp");
    T_BUILD("https://example.com/p?UTM_Medium=Email", &utm, NULL, "",
            "https://example.com/p?UTM_Medium=Email&utm_source=ours&utm_campaign=camp");
    /* bytes of the destination are kept as written: escapes, '+', empty parameters */
    T_BUILD("https://example.com/p?q=a+b%2Fc&&flag", &utm, NULL, "",
            "https://example.com/p?q=a+b%2Fc&&flag&utm_source=ours&utm_medium=cpc&utm_campaign="
            "camp");
    /* a query that ends with '&' or is empty needs no separator */
    T_BUILD("https://example.com/p?a=1&", &utm, NULL, "",
            "https://example.com/p?a=1&utm_source=ours&utm_medium=cpc&utm_campaign=camp");
    T_BUILD("https://example.com/p?", &utm, NULL, "",
            "https://example.com/p?utm_source=ours&utm_medium=cpc&utm_campaign=camp");
}

TEST(build_fragment_after_params)
{
    struct ut_link_utm utm = {S("s"), S("m"), UT_STR_NULL, UT_STR_NULL, UT_STR_NULL};

    T_BUILD("https://example.com/p#pricing", &utm, "gclid=abc", "t1",
            "https://example.com/p?utm_source=s&utm_medium=m&gclid=abc&ut_click=t1#pricing");
    T_BUILD("https://example.com/p?x=1#/route?y=2", &utm, NULL, "t1",
            "https://example.com/p?x=1&utm_source=s&utm_medium=m&ut_click=t1#/route?y=2");
    T_BUILD("https://example.com/#", &utm, NULL, "",
            "https://example.com/?utm_source=s&utm_medium=m#");
    /* a '?' inside the fragment is not a query */
    T_BUILD("https://example.com#a?utm_source=frag", &utm, NULL, "",
            "https://example.com?utm_source=s&utm_medium=m#a?utm_source=frag");
}

TEST(build_passes_click_ids)
{
    /* every click id of core/channel.h, in the request's order, raw */
    T_BUILD(
        "https://example.com/", NULL,
        "gclid=Cj0KCQ-_x&fbclid=IwAR2%2Bx&ttclid=E.C.P&msclkid=m1&li_fat_id=l-1&twclid=t"
        "&epik=dj0y&ScCid=s1&rdt_cid=r1&gbraid=g1&wbraid=w1&dclid=d1",
        "",
        "https://example.com/?gclid=Cj0KCQ-_x&fbclid=IwAR2%2Bx&ttclid=E.C.P&msclkid=m1&li_fat_id"
        "=l-1&twclid=t&epik=dj0y&ScCid=s1&rdt_cid=r1&gbraid=g1&wbraid=w1&dclid=d1");
    /* other parameters of the request, including utm_* and ut_click, are not passed */
    T_BUILD("https://example.com/", NULL, "utm_source=evil&ut_click=forged&ref=x&gclid=g&session=1",
            "tok", "https://example.com/?gclid=g&ut_click=tok");
    /* first occurrence only; names case-insensitive */
    T_BUILD("https://example.com/", NULL, "GCLID=first&gclid=second", "",
            "https://example.com/?GCLID=first");
    /* the destination's own click id is kept */
    T_BUILD("https://example.com/?gclid=dest", NULL, "gclid=req&fbclid=f", "",
            "https://example.com/?gclid=dest&fbclid=f");
    /* unsafe or empty values are dropped, never pasted */
    T_BUILD("https://example.com/", NULL,
            "gclid=a%zz&fbclid=a#b&ttclid=&msclkid=a%22b&li_fat_id=<x>&epik=ok", "",
            "https://example.com/?msclkid=a%22b&epik=ok");
}

TEST(build_click_token)
{
    T_BUILD("https://example.com/l", NULL, NULL, "0123abcd",
            "https://example.com/l?ut_click=0123abcd");
    /* a ut_click already in the destination is dropped: the token must be this click's */
    T_BUILD("https://example.com/l?ut_click=old&a=1&UT_CLICK=x", NULL, NULL, "new",
            "https://example.com/l?a=1&ut_click=new");
    T_BUILD("https://example.com/l?ut_click=old", NULL, NULL, "new",
            "https://example.com/l?ut_click=new");
    T_EQ_I64(build("https://example.com/", NULL, NULL, "bad token", NULL, UT_EINVAL), 0);
    T_EQ_I64(build("https://example.com/", NULL, NULL, "a&b=c", NULL, UT_EINVAL), 0);
}

TEST(build_rejects_bad_destination)
{
    T_EQ_I64(build("example.com/x", NULL, NULL, "", NULL, UT_EPARSE), 0);
    T_EQ_I64(build("ftp://example.com/", NULL, NULL, "", NULL, UT_EPARSE), 0);
    T_EQ_I64(build("", NULL, NULL, "", NULL, UT_EPARSE), 0);
    {
        struct ut_buf b = UT_BUF_INIT(1024);

        T_ERR(ut_link_build_url(UT_STR_NULL, NULL, UT_STR_NULL, UT_STR_NULL, &b), UT_EPARSE);
        ut_buf_release(&b);
    }
}

TEST(build_caps)
{
    static char query[UT_LINK_QUERY_MAX + 64];
    struct ut_buf b = UT_BUF_INIT(1 << 20);
    struct ut_link_utm utm = {S("s"), UT_STR_NULL, UT_STR_NULL, UT_STR_NULL, UT_STR_NULL};
    char dest[UT_LINK_DEST_MAX];
    size_t n;

    /* many long click ids: those that do not fit are dropped; the token still fits */
    n = 0;
    for (int i = 0; i < 12; i++) {
        static const char *const names[] = {"gclid",     "fbclid", "ttclid", "msclkid",
                                            "li_fat_id", "twclid", "epik",   "ScCid",
                                            "rdt_cid",   "gbraid", "wbraid", "dclid"};

        n += (size_t)snprintf(query + n, sizeof(query) - n, "%s=", names[i]);
        memset(query + n, 'v', UT_LINK_PASS_VALUE_MAX);
        n += UT_LINK_PASS_VALUE_MAX;
        query[n++] = '&';
    }
    query[n] = '\0';
    memcpy(dest, "https://example.com/", 20);
    memset(dest + 20, 'p', sizeof(dest) - 21);
    dest[sizeof(dest) - 1] = '\0';
    T_OK(ut_link_build_url(S(dest), &utm, ut_str_make(query, n), S("tok"), &b));
    T_TRUE(b.len <= UT_LINK_URL_MAX);
    T_TRUE(strstr(b.ptr, "&ut_click=tok") != NULL);
    T_TRUE(strstr(b.ptr, "gclid=vvv") != NULL);
    T_TRUE(strstr(b.ptr, "dclid=") == NULL);
    ut_buf_release(&b);
    /* a value over UT_LINK_PASS_VALUE_MAX is dropped */
    n = (size_t)snprintf(query, sizeof(query), "gclid=");
    memset(query + n, 'v', UT_LINK_PASS_VALUE_MAX + 1);
    n += UT_LINK_PASS_VALUE_MAX + 1;
    T_OK(ut_link_build_url(S("https://example.com/"), NULL, ut_str_make(query, n), S(""), &b));
    T_EQ_STR(b.ptr, "https://example.com/");
    ut_buf_release(&b);
    /* the output buffer's own cap is honoured */
    {
        struct ut_buf small = UT_BUF_INIT(16);

        T_ERR(
            ut_link_build_url(S("https://example.com/long/path"), NULL, UT_STR_NULL, S(""), &small),
            UT_ELIMIT);
        ut_buf_release(&small);
    }
}

/* ---- IP truncation ----------------------------------------------------------------- */

TEST(ip_truncate)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"203.0.113.77", "203.0.113.0"},
        {"10.1.2.3", "10.1.2.0"},
        {"0.0.0.0", "0.0.0.0"},
        {"2001:db8:85a3:8d3:1319:8a2e:370:7348", "2001:db8:85a3::"},
        {"2001:db8:85a3::1", "2001:db8:85a3::"},
        {"::1", "::"},
        {"::ffff:198.51.100.7", "198.51.100.0"},
        {"fe80::aaaa:bbbb:cccc:dddd", "fe80::"},
    };
    static const char *const bad[] = {
        "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "example.com", "fe80::1%eth0", "1.2.3.4 ", ":::"};
    char out[UT_IP_TRUNC_MAX];

    for (size_t i = 0; i < UT_ARRAY_LEN(cases); i++) {
        T_OK(ut_link_ip_truncate(cases[i].in, strlen(cases[i].in), out, sizeof(out)));
        T_EQ_STR(out, cases[i].want);
    }
    for (size_t i = 0; i < UT_ARRAY_LEN(bad); i++) {
        T_ERR(ut_link_ip_truncate(bad[i], strlen(bad[i]), out, sizeof(out)), UT_EPARSE);
    }
    /* no NUL needed: only len bytes are read */
    T_OK(ut_link_ip_truncate("192.0.2.99xyz", 10, out, sizeof(out)));
    T_EQ_STR(out, "192.0.2.0");
    T_ERR(ut_link_ip_truncate("192.0.2.99", 10, out, 8), UT_ELIMIT);
}

/* ---- bots -------------------------------------------------------------------------- */

struct ua_case {
    const char *ua;
    bool bot;
};

static const struct ua_case ua_cases[] = {
    /* link-preview fetchers and crawlers */
    {"Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", true},
    {"Slack-ImgProxy (+https://api.slack.com/robots)", true},
    {"facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", true},
    {"Facebot", true},
    {"Twitterbot/1.0", true},
    {"LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)", true},
    {"Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)", true},
    {"WhatsApp/2.23.20.0 A", true},
    {"TelegramBot (like TwitterBot)", true},
    {"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", true},
    {"Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like "
     "Gecko) Chrome/119.0.6045.199 Mobile Safari/537.36 (compatible; Googlebot/2.1; "
     "+http://www.google.com/bot.html)",
     true},
    {"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", true},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
     true},
    {"Mozilla/5.0 (compatible; redditbot/1.0; +http://www.reddit.com/feedback)", true},
    {"Pinterestbot/1.0 (+http://www.pinterest.com/bot.html)", true},
    {"Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5", true},
    {"Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)", true},
    {"Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", true},
    {"Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)", true},
    {"Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)", true},
    {"Screaming Frog SEO Spider/19.4", true},
    {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "HeadlessChrome/120.0.0.0 Safari/537.36",
     true},
    {"Google Web Preview", true},
    {"some-crawler/0.1", true},
    {"GOOGLEBOT", true},
    {"Mozilla/5.0 (Linux; Android 10; CUBOT_X30) AppleWebKit/537.36 Googlebot/2.1", true},
    /* real browsers */
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/120.0.0.0 Safari/537.36",
     false},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/120.0.0.0 Safari/537.36",
     false},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.1 Safari/605.1.15",
     false},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0", false},
    {"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0", false},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1",
     false},
    {"Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
     false},
    {"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/120.0.6099.144 Mobile Safari/537.36",
     false},
    {"Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
     "SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
     false},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
     false},
    {"Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0", false},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Mobile/15E148 [FBAN/FBIOS;FBDV/iPhone14,2;FBMD/iPhone;FBSN/iOS;FBSV/16.5;FBSS/3;"
     "FBID/phone;FBLC/en_US;FBOP/5]",
     false},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Mobile/15E148 Instagram 305.0.0.11.109 (iPhone15,3; iOS 17_0; en_US)",
     false},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Mobile/15E148 LinkedInApp/9.28.1",
     false},
    {"Mozilla/5.0 (Linux; Android 10; CUBOT_X30) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/119.0.0.0 Mobile Safari/537.36",
     false},
    {"curl/8.4.0", false},
    {"", false},
};

TEST(bot_table)
{
    size_t bots = 0, humans = 0;

    for (size_t i = 0; i < UT_ARRAY_LEN(ua_cases); i++) {
        bool got = ut_bot_match(ua_cases[i].ua, strlen(ua_cases[i].ua));

        if (got != ua_cases[i].bot) {
            t_fail(__FILE__, __LINE__, "ut_bot_match(\"%s\") = %d", ua_cases[i].ua, (int)got);
            return;
        }
        ua_cases[i].bot ? bots++ : humans++;
    }
    T_TRUE(bots + humans >= 25 && humans >= 10);
}

TEST(bot_bounds)
{
    /* no NUL needed; a marker cut by len is no match */
    T_TRUE(ut_bot_match("Twitterbot", 10));
    T_TRUE(!ut_bot_match("Twitterbot", 9));
    T_TRUE(!ut_bot_match(NULL, 0));
    T_TRUE(!ut_bot_match("b", 1));
}

T_LIST(T_CASE(slug_check), T_CASE(destination_check), T_CASE(text_check),
       T_CASE(build_adds_utms_in_order_and_encodes), T_CASE(build_keeps_destination_params),
       T_CASE(build_fragment_after_params), T_CASE(build_passes_click_ids),
       T_CASE(build_click_token), T_CASE(build_rejects_bad_destination), T_CASE(build_caps),
       T_CASE(ip_truncate), T_CASE(bot_table), T_CASE(bot_bounds))
T_MAIN()
