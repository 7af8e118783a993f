/*
 * tests/unit/test_segment.c - ingest/segment: the Segment HTTP Tracking API
 * decoder, driven with payloads shaped like @segment/analytics-node's and
 * analytics.js's requests: every call type, clock-skew correction, field
 * validation with exact JSON paths, every cap, UTF-8 and JSON syntax errors,
 * derived message ids, money, and out-of-memory at every allocation.
 * JSON in this file is written with ' for " (see J()).
 */
#include "util/setup.h"

#include "t.h"

#include "ingest/segment.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/buf.h"

/* 2023-11-14T22:13:20Z */
#define RECV 1700000000.0
#define RECV_ISO "2023-11-14T22:13:20.000Z"

static struct ut_arena arena = UT_ARENA_INIT;
static struct ut_segment_batch out;
static struct ut_diag diag;

/* s with every ' turned into " (in one of four rotating static buffers). */
static const char *
J(const char *s)
{
    static char bufs[4][8192];
    static int next;
    char *b = bufs[next++ % 4];
    size_t i;

    for (i = 0; s[i] != '\0' && i + 1 < sizeof(bufs[0]); i++) {
        b[i] = (char)(s[i] == '\'' ? '"' : s[i]);
    }
    b[i] = '\0';
    return b;
}

static int
dec_lim(enum ut_event_type t, const char *body, size_t len, const struct ut_segment_limits *lim)
{
    ut_arena_release(&arena);
    memset(&out, 0, sizeof(out));
    return ut_segment_decode(t, body, len, RECV, lim, &arena, &out, &diag);
}

/* Decode J(json) on the path of type t (0 = /v1/batch). */
static int
dec(enum ut_event_type t, const char *json)
{
    const char *body = J(json);

    return dec_lim(t, body, strlen(body), NULL);
}

/* Release what the last decode left in the arena (call at the end of each test). */
static void
done(void)
{
    ut_arena_release(&arena);
}

/* The first occurrence of needle in s[0..len), or NULL (memmem is a GNU extension). */
static const char *
find(const char *s, size_t len, const char *needle)
{
    size_t k = strlen(needle);

    for (size_t i = 0; s != NULL && k <= len && i <= len - k; i++) {
        if (memcmp(s + i, needle, k) == 0) {
            return s + i;
        }
    }
    return NULL;
}

static int
has(struct ut_str s, const char *needle)
{
    return find(s.ptr, s.len, needle) != NULL;
}

static size_t
count(struct ut_str s, const char *needle)
{
    size_t n = 0, k = strlen(needle);
    const char *p = s.ptr, *end = s.ptr + s.len;

    while (p != NULL && (p = find(p, (size_t)(end - p), needle)) != NULL) {
        n++;
        p += k;
    }
    return n;
}

#define T_VIEW(v, lit)                                                                             \
    T_EQ_MEM((v).ptr != NULL ? (v).ptr : "(null)", (v).ptr != NULL ? (v).len : 6, (lit),           \
             strlen(lit))
#define T_ABSENT(v) T_TRUE((v).ptr == NULL && (v).len == 0)
/* err with diag->field == field and diag->msg containing text. */
#define T_FAIL(call, err_, field_, text_)                                                          \
    do {                                                                                           \
        T_ERR((call), (err_));                                                                     \
        T_EQ_STR(diag.field, (field_));                                                            \
        if (strstr(diag.msg, (text_)) == NULL) {                                                   \
            t_fail(__FILE__, __LINE__, "diag \"%s\" lacks \"%s\"", diag.msg, (text_));             \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* What @segment/analytics-node 2.x posts for analytics.track() (its publisher's body). */
static const char node_track_batch[] =
    "{'batch':[{'type':'track','event':'Order Completed','userId':'user-42',"
    "'properties':{'revenue':19.99,'currency':'usd','order_id':'o-1'},"
    "'messageId':'node-next-1699999995000-6f1c2b3a-1111-4a2b-8c3d-123456789abc',"
    "'timestamp':'2023-11-14T22:13:15.000Z',"
    "'_metadata':{'nodeVersion':'20.9.0','jsRuntime':'node'},"
    "'context':{'library':{'name':'@segment/analytics-node','version':'2.1.0'}},"
    "'integrations':{}}],'sentAt':'2023-11-14T22:13:19.500Z'}";

/* ==== call types ============================================================================ */

TEST(track_from_analytics_node)
{
    const struct ut_event *e;

    T_OK(dec(0, node_track_batch));
    T_EQ_SIZE(out.n, 1);
    e = &out.events[0];
    T_EQ_I64(e->type, UT_EVENT_TRACK);
    T_VIEW(e->name, "Order Completed");
    T_VIEW(e->user_id, "user-42");
    T_ABSENT(e->anonymous_id);
    T_VIEW(e->message_id, "node-next-1699999995000-6f1c2b3a-1111-4a2b-8c3d-123456789abc");
    T_EQ_I64(e->has_revenue, 1);
    T_EQ_I64(e->revenue_minor, 1999);
    T_VIEW(e->currency, "USD");
    /* sentAt - timestamp = 4.5 s on the client's clock, so 4.5 s before receipt */
    T_NEAR(e->timestamp, RECV - 4.5, 1e-12);
    T_NEAR(e->received_at, RECV, 0);
    T_ABSENT(out.write_key);
    /* stored as received, plus the batch's sentAt and the server's receivedAt */
    T_TRUE(has(e->body, J("{'type':'track','event':'Order Completed','userId':'user-42',")));
    T_TRUE(has(e->body, J(",'sentAt':'2023-11-14T22:13:19.500Z','receivedAt':'" RECV_ISO "'}")));
    T_TRUE(has(e->body, J("'_metadata':{'nodeVersion':'20.9.0','jsRuntime':'node'}")));
    T_EQ_SIZE(strlen(e->body.ptr), e->body.len);
    done();
}

TEST(identify_page_screen_group_alias_in_one_batch)
{
    const struct ut_event *e;

    T_OK(dec(0, "{'batch':["
                "{'type':'identify','userId':'u1','traits':{'email':'ada@example.com',"
                "'name':'Ada'},'context':{'traits':{'email':'other@example.com'}}},"
                "{'type':'page','anonymousId':'a1','name':'Pricing','properties':{"
                "'url':'https://shop.example/pricing?ut_click=tok%2B1&x=1','referrer':"
                "'https://www.google.com/'}},"
                "{'type':'screen','anonymousId':'a1','name':'Home'},"
                "{'type':'group','userId':'u1','groupId':'acme','traits':{'email':"
                "'billing@acme.test'}},"
                "{'type':'alias','previousId':'a1','userId':'u1'}]}"));
    T_EQ_SIZE(out.n, 5);
    e = &out.events[0];
    T_EQ_I64(e->type, UT_EVENT_IDENTIFY);
    T_VIEW(e->email, "ada@example.com");
    T_EQ_I64(e->has_revenue, 0);
    T_ABSENT(e->currency);
    e = &out.events[1];
    T_EQ_I64(e->type, UT_EVENT_PAGE);
    T_VIEW(e->name, "Pricing");
    T_VIEW(e->url, "https://shop.example/pricing?ut_click=tok%2B1&x=1");
    T_VIEW(e->referrer, "https://www.google.com/");
    T_VIEW(e->click_token, "tok+1");
    T_VIEW(e->anonymous_id, "a1");
    T_ABSENT(e->user_id);
    e = &out.events[2];
    T_EQ_I64(e->type, UT_EVENT_SCREEN);
    T_VIEW(e->name, "Home");
    e = &out.events[3];
    T_EQ_I64(e->type, UT_EVENT_GROUP);
    T_VIEW(e->group_id, "acme");
    T_ABSENT(e->email); /* group traits describe the company, not the person */
    e = &out.events[4];
    T_EQ_I64(e->type, UT_EVENT_ALIAS);
    T_VIEW(e->previous_id, "a1");
    T_VIEW(e->user_id, "u1");
    for (size_t i = 0; i < out.n; i++) {
        T_NEAR(out.events[i].timestamp, RECV, 0); /* no times at all: received_at */
        T_TRUE(has(out.events[i].message_id, "ut-"));
    }
    done();
}

TEST(single_calls_take_the_type_from_the_path)
{
    T_OK(dec(UT_EVENT_TRACK, "{'userId':'u','event':'Signed Up','messageId':'m-1'}"));
    T_EQ_I64(out.events[0].type, UT_EVENT_TRACK);
    T_TRUE(has(out.events[0].body, J(",'type':'track','receivedAt':'" RECV_ISO "'}")));
    T_OK(dec(UT_EVENT_IDENTIFY, "{'userId':'u','traits':{'email':'x@y.z'}}"));
    T_VIEW(out.events[0].email, "x@y.z");
    T_OK(dec(UT_EVENT_PAGE, "{'type':'page','anonymousId':'a','context':{'page':{'url':"
                            "'https://a.example/?ut_click=c1'}}}"));
    T_VIEW(out.events[0].click_token, "c1");
    T_EQ_I64(count(out.events[0].body, "\"type\""), 1); /* present: not appended again */
    T_OK(dec(UT_EVENT_SCREEN, "{'anonymousId':'a','name':'Settings'}"));
    T_VIEW(out.events[0].name, "Settings");
    T_OK(dec(UT_EVENT_GROUP, "{'userId':'u','groupId':77}"));
    T_VIEW(out.events[0].group_id, "77");
    T_OK(dec(UT_EVENT_ALIAS, "{'previousId':'anon','userId':'u'}"));
    T_VIEW(out.events[0].previous_id, "anon");
    done();
}

TEST(single_call_type_must_match_the_path)
{
    T_FAIL(dec(UT_EVENT_TRACK, "{'type':'page','userId':'u','event':'e'}"), UT_EINVAL, "type",
           "does not match the endpoint /v1/track");
    T_FAIL(dec(UT_EVENT_TRACK, "{'type':7,'userId':'u','event':'e'}"), UT_EINVAL, "type",
           "'type' must be a string");
    T_ERR(dec(UT_EVENT_CLICK, "{'userId':'u'}"), UT_EINVAL);
    T_ERR(dec((enum ut_event_type)99, "{'userId':'u'}"), UT_EINVAL);
    done();
}

TEST(batch_types_are_required_and_known)
{
    T_FAIL(dec(0, "{'batch':[{'type':'track','userId':'u','event':'e'},{'userId':'u'}]}"),
           UT_EINVAL, "batch[1].type", "'type' is required");
    T_FAIL(dec(0, "{'batch':[{'type':'click','userId':'u'}]}"), UT_EINVAL, "batch[0].type",
           "must be one of track, identify, page, screen, group, alias");
    T_FAIL(dec(0, "{'batch':[{'type':'Track','userId':'u','event':'e'}]}"), UT_EINVAL,
           "batch[0].type", "must be one of");
    T_FAIL(dec(0, "{'batch':[{'type':null,'userId':'u'}]}"), UT_EINVAL, "batch[0].type",
           "'type' is required");
    done();
}

/* ==== time ================================================================================== */

TEST(clock_skew_ten_minutes_ahead)
{
    /* The client's clock is 10 minutes fast: it says the event happened 5 s before sending. */
    T_OK(dec(0, "{'batch':[{'type':'track','userId':'u','event':'e',"
                "'originalTimestamp':'2023-11-14T22:23:15Z'}],'sentAt':'2023-11-14T22:23:20Z'}"));
    T_NEAR(out.events[0].timestamp, RECV - 5, 1e-12);
    /* The same event without sentAt keeps the client's (wrong) time: 10 minutes apart. */
    T_OK(dec(0, "{'batch':[{'type':'track','userId':'u','event':'e',"
                "'timestamp':'2023-11-14T22:23:15Z'}]}"));
    T_NEAR(out.events[0].timestamp, RECV + 595, 1e-12);
    done();
}

TEST(event_sent_at_wins_over_the_batch)
{
    T_OK(dec(0, "{'batch':[{'type':'track','userId':'u','event':'e',"
                "'timestamp':'2023-11-14T22:00:00Z','sentAt':'2023-11-14T22:00:10Z'}],"
                "'sentAt':'2023-11-14T22:00:50Z'}"));
    T_NEAR(out.events[0].timestamp, RECV - 10, 1e-12);
    T_EQ_I64(count(out.events[0].body, "sentAt"), 1); /* its own, the batch's not appended */
    done();
}

TEST(original_timestamp_beats_timestamp)
{
    T_OK(dec(UT_EVENT_TRACK, "{'userId':'u','event':'e','timestamp':'2001-01-01T00:00:00Z',"
                             "'originalTimestamp':'2023-11-14T23:00:00+01:00',"
                             "'sentAt':'2023-11-14T23:00:30+01:00'}"));
    T_NEAR(out.events[0].timestamp, RECV - 30, 1e-12);
    /* without sentAt: timestamp, then originalTimestamp, then received_at */
    T_OK(dec(UT_EVENT_TRACK, "{'userId':'u','event':'e','timestamp':'2023-11-14T22:00:00Z',"
                             "'originalTimestamp':'2023-11-14T21:00:00Z'}"));
    T_NEAR(out.events[0].timestamp, RECV - 800, 1e-12);
    T_OK(dec(UT_EVENT_TRACK, "{'userId':'u','event':'e','originalTimestamp':"
                             "'2023-11-14T21:00:00.250Z'}"));
    T_NEAR(out.events[0].timestamp, RECV - 4400 + 0.25, 1e-12);
    done();
}

TEST(bad_times_name_the_field)
{
    T_FAIL(dec(0, "{'batch':[{'type':'track','userId':'u','event':'e','timestamp':'yesterday'}]}"),
           UT_EINVAL, "batch[0].timestamp", "'timestamp' is not a valid timestamp");
    T_FAIL(dec(0, "{'batch':[{'type':'track','userId':'u','event':'e','timestamp':1700000000}]}"),
           UT_EINVAL, "batch[0].timestamp", "must be an ISO-8601 string");
    T_FAIL(dec(UT_EVENT_TRACK, "{'userId':'u','event':'e','timestamp':'2023-11-14T22:00:00'}"),
           UT_EINVAL, "timestamp", "zone");
    T_FAIL(dec(0, "{'batch':[{'type':'track','userId':'u','event':'e'}],'sentAt':'now'}"),
           UT_EINVAL, "sentAt", "'sentAt' is not a valid timestamp");
    T_FAIL(dec(UT_EVENT_TRACK, "{'userId':'u','event':'e','originalTimestamp':"
                               "'1970-01-01T00:00:00Z','sentAt':'9999-01-01T00:00:00Z'}"),
           UT_EINVAL, "originalTimestamp", "out of range");
    done();
}

TEST(received_at_is_an_iso_string_in_the_body)
{
    struct ut_diag d;

    ut_arena_release(&arena);
    T_OK(ut_segment_decode(UT_EVENT_TRACK, J("{'userId':'u','event':'e'}"), 26, 951782400.5, NULL,
                           &arena, &out, &d));
    T_TRUE(has(out.events[0].body, "\"receivedAt\":\"2000-02-29T00:00:00.500Z\"}"));
    T_ERR(ut_segment_decode(UT_EVENT_TRACK, J("{'userId':'u','event':'e'}"), 26, -1, NULL, &arena,
                            &out, &d),
          UT_EINVAL);
    T_ERR(ut_segment_decode(UT_EVENT_TRACK, J("{'userId':'u','event':'e'}"), 26, NAN, NULL, &arena,
                            &out, &d),
          UT_EINVAL);
    /* a client's receivedAt is replaced, never duplicated */
    T_OK(dec(UT_EVENT_TRACK, "{'userId':'u','event':'e','receivedAt':'2000-01-01T00:00:00Z'}"));
    T_EQ_SIZE(count(out.events[0].body, "receivedAt"), 1);
    T_TRUE(has(out.events[0].body, RECV_ISO));
    done();
}

/* ==== fields ================================================================================ */

TEST(missing_and_wrong_typed_fields_name_their_path)
{
    T_FAIL(dec(0, "{'batch':[{'type':'track','userId':'u','event':'e'},"
                  "{'type':'track','userId':'u'}]}"),
           UT_EINVAL, "batch[1].event", "'event' is required");
    T_FAIL(dec(0, "{'batch':[{'type':'track','userId':'u','event':42}]}"), UT_EINVAL,
           "batch[0].event", "'event' must be a string");
    T_FAIL(dec(UT_EVENT_TRACK, "{'userId':'u','event':''}"), UT_EINVAL, "event",
           "must not be empty");
    T_FAIL(dec(0, "{'batch':[{'type':'identify','userId':'u'},{'type':'identify','userId':'u'},"
                  "{'type':'identify','userId':'u'},{'type':'track','userId':'u','event':'e',"
                  "'properties':[1,2]}]}"),
           UT_EINVAL, "batch[3].properties", "'properties' must be an object");
    T_FAIL(dec(UT_EVENT_IDENTIFY, "{'userId':'u','traits':'vip'}"), UT_EINVAL, "traits",
           "'traits' must be an object");
    T_FAIL(dec(UT_EVENT_IDENTIFY, "{'userId':'u','context':5}"), UT_EINVAL, "context",
           "'context' must be an object");
    T_FAIL(dec(UT_EVENT_IDENTIFY, "{'userId':'u','integrations':true}"), UT_EINVAL, "integrations",
           "'integrations' must be an object");
    T_FAIL(dec(UT_EVENT_IDENTIFY, "{'userId':true}"), UT_EINVAL, "userId",
           "'userId' must be a string");
    T_FAIL(dec(UT_EVENT_IDENTIFY, "{'anonymousId':{}}"), UT_EINVAL, "anonymousId",
           "'anonymousId' must be a string");
    T_FAIL(dec(0, "{'batch':[{'type':'page','properties':{}}]}"), UT_EINVAL, "batch[0].userId",
           "'userId' or 'anonymousId' is required");
    T_FAIL(dec(UT_EVENT_PAGE, "{'userId':'','anonymousId':null}"), UT_EINVAL, "userId",
           "is required");
    T_FAIL(dec(UT_EVENT_GROUP, "{'userId':'u'}"), UT_EINVAL, "groupId", "'groupId' is required");
    T_FAIL(dec(UT_EVENT_ALIAS, "{'userId':'u'}"), UT_EINVAL, "previousId",
           "'previousId' is required");
    T_FAIL(dec(UT_EVENT_ALIAS, "{'anonymousId':'a','previousId':'p'}"), UT_EINVAL, "userId",
           "'userId' is required");
    T_FAIL(dec(UT_EVENT_PAGE, "{'userId':'u','context':{'page':'x'}}"), UT_EINVAL, "context.page",
           "'context.page' must be an object");
    T_FAIL(dec(0, "{'batch':[{'type':'page','userId':'u','context':{'campaign':{'source':1}}}]}"),
           UT_EINVAL, "batch[0].context.campaign.source",
           "'context.campaign.source' must be a string");
    T_FAIL(dec(UT_EVENT_PAGE, "{'userId':'u','properties':{'url':['x']}}"), UT_EINVAL,
           "properties.url", "must be a string");
    done();
}

TEST(null_means_absent)
{
    /* analytics.js sends userId null for anonymous visitors */
    T_OK(dec(UT_EVENT_PAGE, "{'userId':null,'anonymousId':'a','properties':null,'context':null,"
                            "'name':null,'messageId':null,'timestamp':null}"));
    T_ABSENT(out.events[0].user_id);
    T_VIEW(out.events[0].anonymous_id, "a");
    T_ABSENT(out.events[0].name);
    T_TRUE(has(out.events[0].message_id, "ut-"));
    done();
}

TEST(numeric_ids_become_their_javascript_text)
{
    static const struct {
        const char *json, *text;
    } cases[] = {
        {"{'userId':12345}", "12345"},
        {"{'userId':-7}", "-7"},
        {"{'userId':1.5}", "1.5"},
        {"{'userId':0}", "0"},
        {"{'userId':1e21}", "1e+21"},
        {"{'userId':123456789012345680000}", "123456789012345680000"},
        {"{'userId':0.000001}", "0.000001"},
        {"{'userId':1e-7}", "1e-7"},
        {"{'userId':2.5e-10}", "2.5e-10"},
        {"{'userId':9007199254740993}", "9007199254740992"},
    };

    for (size_t i = 0; i < UT_ARRAY_LEN(cases); i++) {
        T_OK(dec(UT_EVENT_IDENTIFY, cases[i].json));
        T_VIEW(out.events[0].user_id, cases[i].text);
    }
    T_OK(dec(UT_EVENT_IDENTIFY, "{'anonymousId':4.25}"));
    T_VIEW(out.events[0].anonymous_id, "4.25");
    T_OK(dec(UT_EVENT_ALIAS, "{'previousId':17,'userId':18}"));
    T_VIEW(out.events[0].previous_id, "17");
    done();
}

TEST(context_fields_and_campaign)
{
    const struct ut_event *e;

    T_OK(dec(0, "{'batch':[{'type':'track','anonymousId':'a','event':'Viewed',"
                "'context':{'ip':'203.0.113.9','userAgent':'Mozilla/5.0',"
                "'page':{'url':'https://ex.test/p?utm_source=x&ut_click=ab%20cd#frag',"
                "'referrer':'https://t.co/x'},"
                "'campaign':{'source':'newsletter','medium':'email','name':'launch',"
                "'content':'hero','term':'crm'},'traits':{'email':'ctx@example.com'}}}]}"));
    e = &out.events[0];
    T_VIEW(e->ip, "203.0.113.9");
    T_VIEW(e->user_agent, "Mozilla/5.0");
    T_VIEW(e->url, "https://ex.test/p?utm_source=x&ut_click=ab%20cd#frag");
    T_VIEW(e->referrer, "https://t.co/x");
    T_VIEW(e->campaign_source, "newsletter");
    T_VIEW(e->campaign_medium, "email");
    T_VIEW(e->campaign_name, "launch");
    T_VIEW(e->campaign_content, "hero");
    T_VIEW(e->campaign_term, "crm");
    T_VIEW(e->email, "ctx@example.com");
    T_VIEW(e->click_token, "ab cd");
    T_EQ_SIZE(strlen(e->campaign_term.ptr), e->campaign_term.len); /* NUL-terminated copies */
    done();
}

TEST(click_token_sources)
{
    /* properties.ut_click wins over the URL */
    T_OK(dec(UT_EVENT_PAGE, "{'anonymousId':'a','properties':{'ut_click':'P',"
                            "'url':'https://x.test/?ut_click=U'}}"));
    T_VIEW(out.events[0].click_token, "P");
    /* page calls take properties.url over context.page.url */
    T_OK(dec(UT_EVENT_PAGE, "{'anonymousId':'a','properties':{'url':'https://x.test/?ut_click=U'},"
                            "'context':{'page':{'url':'https://x.test/?ut_click=C'}}}"));
    T_VIEW(out.events[0].click_token, "U");
    T_VIEW(out.events[0].url, "https://x.test/?ut_click=U");
    /* the fragment is not the query; a malformed escape is no token; empty is none */
    T_OK(dec(UT_EVENT_PAGE,
             "{'anonymousId':'a','properties':{'url':'https://x.test/#?ut_click=F'}}"));
    T_ABSENT(out.events[0].click_token);
    T_OK(dec(UT_EVENT_PAGE,
             "{'anonymousId':'a','properties':{'url':'https://x.test/?ut_click=%zz'}}"));
    T_ABSENT(out.events[0].click_token);
    T_OK(dec(UT_EVENT_PAGE,
             "{'anonymousId':'a','properties':{'url':'https://x.test/?ut_click=%00'}}"));
    T_ABSENT(out.events[0].click_token);
    T_OK(dec(UT_EVENT_PAGE,
             "{'anonymousId':'a','properties':{'url':'https://x.test/?ut_click=%ff'}}"));
    T_ABSENT(out.events[0].click_token);
    T_OK(dec(UT_EVENT_PAGE,
             "{'anonymousId':'a','properties':{'url':'https://x.test/?ut_click=&a=1'}}"));
    T_ABSENT(out.events[0].click_token);
    T_OK(dec(UT_EVENT_TRACK, "{'anonymousId':'a','event':'e','properties':{'url':"
                             "'https://x.test/?ut_click=T'}}"));
    T_ABSENT(out.events[0].click_token); /* properties.url counts for page calls only */
    done();
}

TEST(email_sources)
{
    T_OK(dec(UT_EVENT_IDENTIFY, "{'userId':'u','context':{'traits':{'email':'ctx@x.test'}}}"));
    T_VIEW(out.events[0].email, "ctx@x.test");
    T_OK(dec(UT_EVENT_TRACK, "{'userId':'u','event':'e','traits':{'email':'top@x.test'},"
                             "'context':{'traits':{'email':'ctx@x.test'}}}"));
    T_VIEW(out.events[0].email, "ctx@x.test"); /* top-level traits count for identify only */
    T_FAIL(dec(UT_EVENT_IDENTIFY, "{'userId':'u','traits':{'email':['a']}}"), UT_EINVAL,
           "traits.email", "must be a string");
    done();
}

TEST(batch_context_is_merged_as_defaults)
{
    const struct ut_event *e;

    T_OK(dec(0, "{'batch':[{'type':'track','userId':'u','event':'e','context':{'library':"
                "{'version':'2'},'ip':'10.0.0.1'}},{'type':'track','userId':'u','event':'f'},"
                "{'type':'track','userId':'u','event':'g','context':null}],"
                "'context':{'ip':'9.9.9.9','userAgent':'UA/1','library':{'name':'lib',"
                "'version':'1'}}}"));
    e = &out.events[0];
    T_VIEW(e->ip, "10.0.0.1"); /* the event's own value wins */
    T_VIEW(e->user_agent, "UA/1");
    T_TRUE(has(e->body, J("'library':{'version':'2','name':'lib'}")));
    e = &out.events[1];
    T_VIEW(e->ip, "9.9.9.9");
    T_TRUE(has(e->body, J("'context':{'ip':'9.9.9.9','userAgent':'UA/1','library':{'name':"
                          "'lib','version':'1'}}")));
    T_VIEW(out.events[2].user_agent, "UA/1");
    T_FAIL(dec(0, "{'batch':[{'type':'track','userId':'u','event':'e'}],'context':[]}"), UT_EINVAL,
           "context", "'context' must be an object");
    done();
}

TEST(write_key_in_body)
{
    T_OK(dec(0, "{'batch':[{'type':'track','userId':'u','event':'e','writeKey':'inner'}],"
                "'writeKey':'wk_live_123','sentAt':'2023-11-14T22:13:20Z'}"));
    T_VIEW(out.write_key, "wk_live_123");
    T_TRUE(!has(out.events[0].body, "writeKey")); /* credentials are not stored */
    T_TRUE(!has(out.events[0].body, "inner"));
    T_OK(dec(UT_EVENT_IDENTIFY, "{'userId':'u','writeKey':'wk_single'}"));
    T_VIEW(out.write_key, "wk_single");
    T_TRUE(!has(out.events[0].body, "wk_single"));
    T_FAIL(dec(UT_EVENT_IDENTIFY, "{'userId':'u','writeKey':5}"), UT_EINVAL, "writeKey",
           "must be a string");
    done();
}

TEST(body_is_the_compact_event)
{
    T_OK(dec(UT_EVENT_TRACK, "{ 'userId' : 'u1',\n\t'event':'E', 'properties': {'a': 1.0, "
                             "'b':'\\u00e9\\/\\n', 'c':[true,false,null,-0.5e1]} , "
                             "'messageId':'m-1'}"));
    T_VIEW(out.events[0].body, J("{'userId':'u1','event':'E','properties':{'a':1,'b':'\xc3\xa9/"
                                 "\\n','c':[true,false,null,-5]},'messageId':'m-1','type':"
                                 "'track','receivedAt':'" RECV_ISO "'}"));
    done();
}

TEST(body_numbers_read_back_exactly)
{
    /* cJSON's own printer would store 0.3 and 1.23456789012346e+19 here (found by fuzzing) */
    T_OK(dec(UT_EVENT_TRACK, "{'userId':12345678901234598760,'event':'e','properties':{"
                             "'a':0.30000000000000004,'b':12345678901234598760,'c':1e21,"
                             "'d':1.5e-7,'e':-2.5E+3,'f':9007199254740993,'g':5e-324,"
                             "'s':'\\b\\f\\u001f\\u007f'}}"));
    T_VIEW(out.events[0].user_id, "12345678901234598000");
    T_TRUE(has(out.events[0].body, J("{'userId':12345678901234598000,'event':'e','properties':"
                                     "{'a':0.30000000000000004,'b':12345678901234598000,"
                                     "'c':1e+21,'d':1.5e-7,'e':-2500,'f':9007199254740992,"
                                     "'g':5e-324,'s':'\\u0008\\u000c\\u001f\x7f'}")));
    done();
}

TEST(duplicate_keys_are_rejected)
{
    struct ut_buf b = UT_BUF_INIT(1 << 16);

    T_FAIL(dec(UT_EVENT_TRACK, "{'userId':'a','event':'e','userId':'b'}"), UT_EINVAL, "userId",
           "duplicate key");
    T_FAIL(dec(0, "{'batch':[{'type':'track','userId':'a','event':'e','properties':{'x':1,"
                  "'x':2}}]}"),
           UT_EINVAL, "batch[0].properties.x", "duplicate key");
    /* a wide object takes the sorting path */
    ut_buf_addstr(&b, "{\"userId\":\"u\",\"event\":\"e\",\"properties\":{");
    for (int i = 0; i < 40; i++) {
        ut_buf_addf(&b, "\"k%d\":%d,", i, i);
    }
    ut_buf_addstr(&b, "\"k17\":0}}");
    T_OK(ut_buf_err(&b));
    T_FAIL(dec_lim(UT_EVENT_TRACK, b.ptr, b.len, NULL), UT_EINVAL, "properties.k17",
           "duplicate key");
    ut_buf_release(&b);
    done();
}

TEST(message_id_rules)
{
    struct ut_buf b = UT_BUF_INIT(1024);

    T_FAIL(dec(UT_EVENT_TRACK, "{'userId':'u','event':'e','messageId':12}"), UT_EINVAL, "messageId",
           "'messageId' must be a string");
    T_FAIL(dec(UT_EVENT_TRACK, "{'userId':'u','event':'e','messageId':''}"), UT_EINVAL, "messageId",
           "must not be empty");
    ut_buf_addf(&b, "{\"userId\":\"u\",\"event\":\"e\",\"messageId\":\"%0200d\"}", 7);
    T_OK(dec_lim(UT_EVENT_TRACK, b.ptr, b.len, NULL));
    T_EQ_SIZE(out.events[0].message_id.len, 200);
    ut_buf_clear(&b);
    ut_buf_addf(&b, "{\"userId\":\"u\",\"event\":\"e\",\"messageId\":\"%0201d\"}", 7);
    T_FAIL(dec_lim(UT_EVENT_TRACK, b.ptr, b.len, NULL), UT_ELIMIT, "messageId",
           "longer than 200 bytes");
    ut_buf_release(&b);
    done();
}

/* ==== derived message ids ===================================================================== */

static int
message_id_of(enum ut_event_type t, const char *json, char idbuf[64])
{
    int err = dec(t, json);

    if (err == UT_OK) {
        snprintf(idbuf, 64, "%.*s", (int)out.events[0].message_id.len,
                 out.events[0].message_id.ptr);
    }
    return err;
}

TEST(derived_message_id_is_stable_across_retries)
{
    char a[64], b[64], c[64], d[64], single[64];

    T_OK(message_id_of(0,
                       "{'batch':[{'type':'track','event':'Signup','anonymousId':'a-1',"
                       "'properties':{'plan':'pro','seats':3},'timestamp':"
                       "'2023-11-14T22:13:10Z'}],'sentAt':'2023-11-14T22:13:19Z'}",
                       a));
    T_EQ_SIZE(strlen(a), 35);
    T_TRUE(memcmp(a, "ut-", 3) == 0);
    T_EQ_SIZE(strspn(a + 3, "0123456789abcdef"), 32);
    T_TRUE(has(out.events[0].body, a)); /* and stored in the body */
    /* The retry: new sentAt, other key order, whitespace, escapes and number spelling. */
    T_OK(message_id_of(0,
                       "{ 'sentAt' : '2023-11-14T22:14:02Z', 'batch' : [ { 'properties' : "
                       "{ 'seats' : 3.0, 'plan' : '\\u0070ro' }, 'anonymousId' : 'a-1', "
                       "'type' : 'track', 'event' : 'Signup', 'timestamp' : "
                       "'2023-11-14T22:13:10Z', 'sentAt' : '2023-11-14T22:14:02Z' } ] }",
                       b));
    T_EQ_STR(a, b);
    /* The same content sent as a single call. */
    T_OK(message_id_of(UT_EVENT_TRACK,
                       "{'event':'Signup','anonymousId':'a-1','properties':"
                       "{'plan':'pro','seats':3},'timestamp':"
                       "'2023-11-14T22:13:10Z'}",
                       single));
    T_EQ_STR(a, single);
    /* Different content, different id. */
    T_OK(message_id_of(0,
                       "{'batch':[{'type':'track','event':'Signup','anonymousId':'a-1',"
                       "'properties':{'plan':'pro','seats':4},'timestamp':"
                       "'2023-11-14T22:13:10Z'}]}",
                       c));
    T_TRUE(strcmp(a, c) != 0);
    T_OK(message_id_of(0,
                       "{'batch':[{'type':'page','event':'Signup','anonymousId':'a-1',"
                       "'properties':{'plan':'pro','seats':3},'timestamp':"
                       "'2023-11-14T22:13:10Z'}]}",
                       d));
    T_TRUE(strcmp(a, d) != 0); /* the type counts */
    T_OK(message_id_of(0,
                       "{'batch':[{'type':'track','event':'Signup','anonymousId':'a-1',"
                       "'properties':{'plan':'pro','seats':[3]},'timestamp':"
                       "'2023-11-14T22:13:10Z'}]}",
                       d));
    T_TRUE(strcmp(a, d) != 0);
    T_OK(message_id_of(0,
                       "{'batch':[{'type':'track','event':'Signup','anonymousId':'a-1',"
                       "'properties':{'plan':'pro','seats':'3'},'timestamp':"
                       "'2023-11-14T22:13:10Z'}]}",
                       d));
    T_TRUE(strcmp(a, d) != 0);
    done();
}

TEST(derived_message_ids_differ_within_a_batch)
{
    T_OK(dec(0, "{'batch':[{'type':'track','userId':'u','event':'a'},"
                "{'type':'track','userId':'u','event':'b'},"
                "{'type':'track','userId':'u','event':'a','messageId':'given'}]}"));
    T_TRUE(!ut_str_eq(out.events[0].message_id, out.events[1].message_id));
    T_VIEW(out.events[2].message_id, "given");
    T_TRUE(!has(out.events[2].body, "ut-"));
    done();
}

/* ==== money ================================================================================= */

static int
revenue(const char *props, int64_t *minor, const char **currency)
{
    static char cur[4];
    char json[512];
    int err;

    snprintf(json, sizeof(json), "{'userId':'u','event':'Order Completed','properties':%s}", props);
    err = dec(UT_EVENT_TRACK, json);
    *minor = -1;
    cur[0] = '\0';
    if (err == UT_OK && out.events[0].has_revenue) {
        *minor = out.events[0].revenue_minor;
    }
    if (err == UT_OK) {
        snprintf(cur, sizeof(cur), "%.*s", (int)out.events[0].currency.len,
                 out.events[0].currency.ptr);
    }
    *currency = cur;
    return err;
}

TEST(revenue_value_total_and_currencies)
{
    int64_t m;
    const char *cur;

    T_OK(revenue("{'revenue':19.99}", &m, &cur));
    T_EQ_I64(m, 1999);
    T_EQ_STR(cur, "USD");
    T_OK(revenue("{'value':'12.50','currency':'eur'}", &m, &cur));
    T_EQ_I64(m, 1250);
    T_EQ_STR(cur, "EUR");
    T_OK(revenue("{'total':7}", &m, &cur));
    T_EQ_I64(m, 700);
    T_OK(revenue("{'revenue':5,'value':6,'total':7}", &m, &cur));
    T_EQ_I64(m, 500);
    T_OK(revenue("{'revenue':null,'value':6}", &m, &cur));
    T_EQ_I64(m, 600);
    T_OK(revenue("{'revenue':1500,'currency':'JPY'}", &m, &cur));
    T_EQ_I64(m, 1500);
    T_EQ_STR(cur, "JPY");
    T_OK(revenue("{'revenue':'1499.6','currency':'jpy'}", &m, &cur));
    T_EQ_I64(m, 1500);
    T_OK(revenue("{'revenue':1.234,'currency':'KWD'}", &m, &cur));
    T_EQ_I64(m, 1234);
    T_EQ_STR(cur, "KWD");
    T_OK(revenue("{'revenue':-5.5}", &m, &cur)); /* refunds */
    T_EQ_I64(m, -550);
    T_OK(revenue("{'revenue':1.005}", &m, &cur));
    T_EQ_I64(m, 101);
    T_OK(revenue("{'plan':'pro'}", &m, &cur));
    T_EQ_I64(m, -1); /* no revenue */
    T_EQ_STR(cur, "USD");
    done();
}

TEST(revenue_errors)
{
    int64_t m;
    const char *cur;

    T_FAIL(revenue("{'revenue':'abc'}", &m, &cur), UT_EINVAL, "properties.revenue",
           "'properties.revenue' must be a number or a numeric string");
    T_FAIL(revenue("{'value':true}", &m, &cur), UT_EINVAL, "properties.value", "must be a number");
    T_FAIL(revenue("{'total':' 12'}", &m, &cur), UT_EINVAL, "properties.total", "numeric string");
    T_FAIL(revenue("{'revenue':1e16}", &m, &cur), UT_ELIMIT, "properties.revenue", "out of range");
    T_FAIL(revenue("{'revenue':1,'currency':'US'}", &m, &cur), UT_EINVAL, "properties.currency",
           "3-letter ISO-4217 code");
    T_FAIL(revenue("{'revenue':1,'currency':840}", &m, &cur), UT_EINVAL, "properties.currency",
           "3-letter");
    T_FAIL(revenue("{'revenue':1,'currency':'U$D'}", &m, &cur), UT_EINVAL, "properties.currency",
           "3-letter");
    /* revenue is a track concern: a page's properties.revenue is just a property */
    T_OK(dec(UT_EVENT_PAGE, "{'anonymousId':'a','properties':{'revenue':'n/a'}}"));
    T_EQ_I64(out.events[0].has_revenue, 0);
    done();
}

/* ==== caps ================================================================================== */

/* A single /v1/track body whose properties hold nest arrays inside each other. */
static char *
nested_track(int nest, size_t *len)
{
    struct ut_buf b = UT_BUF_INIT(1 << 20);

    ut_buf_addstr(&b, "{\"userId\":\"u\",\"event\":\"e\",\"properties\":{\"a\":");
    for (int i = 0; i < nest; i++) {
        ut_buf_addch(&b, '[');
    }
    for (int i = 0; i < nest; i++) {
        ut_buf_addch(&b, ']');
    }
    ut_buf_addstr(&b, "}}");
    return ut_buf_detach(&b, len);
}

TEST(depth_32_accepted_33_rejected)
{
    size_t len;
    char *body;

    /* the body object is depth 1, properties 2, so 30 arrays reach 32 */
    body = nested_track(30, &len);
    T_OK(dec_lim(UT_EVENT_TRACK, body, len, NULL));
    ut_free(body);
    body = nested_track(31, &len);
    T_FAIL(dec_lim(UT_EVENT_TRACK, body, len, NULL), UT_ELIMIT, "", "nested deeper than 32");
    T_EQ_SIZE(diag.col, 74 + 1); /* the 31st bracket, at depth 33 */
    ut_free(body);
    /* a batch adds two levels (batch array, element) */
    T_OK(dec(0, "{'batch':[{'type':'track','userId':'u','event':'e','properties':{'a':"
                "[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}]}"));
    T_ERR(dec(0, "{'batch':[{'type':'track','userId':'u','event':'e','properties':{'a':"
                 "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}]}"),
          UT_ELIMIT);
    /* very deep input never reaches cJSON or the C stack */
    body = nested_track(100000, &len);
    T_ERR(dec_lim(UT_EVENT_TRACK, body, len, NULL), UT_ELIMIT);
    ut_free(body);
    done();
}

TEST(string_caps)
{
    struct ut_buf b = UT_BUF_INIT(1 << 16);
    char field[64];

    ut_buf_addstr(&b, "{\"batch\":[{\"type\":\"track\",\"userId\":\"u\",\"event\":\"e\","
                      "\"properties\":{\"big\":\"");
    for (int i = 0; i < 8192; i++) {
        ut_buf_addch(&b, 'x');
    }
    ut_buf_addstr(&b, "\"}}]}");
    T_OK(dec_lim(0, b.ptr, b.len, NULL)); /* exactly 8 KiB is fine */
    ut_buf_clear(&b);
    ut_buf_addstr(&b, "{\"batch\":[{\"type\":\"track\",\"userId\":\"u\",\"event\":\"e\","
                      "\"properties\":{\"big\":\"");
    for (int i = 0; i < 8191; i++) {
        ut_buf_addch(&b, 'x');
    }
    ut_buf_addstr(&b, "\\u00e9\"}}]}"); /* 8191 + 2 bytes once unescaped */
    T_FAIL(dec_lim(0, b.ptr, b.len, NULL), UT_ELIMIT, "batch[0].properties.big",
           "string too long at 'batch[0].properties.big'");
    ut_buf_clear(&b);
    ut_buf_addstr(&b, "{\"userId\":\"u\",\"event\":\"e\",\"properties\":{\"");
    for (int i = 0; i < 8193; i++) {
        ut_buf_addch(&b, 'k');
    }
    ut_buf_addstr(&b, "\":1}}");
    /* the path is cut to fit diag.field (63 bytes) */
    memset(field, 'k', sizeof(field));
    memcpy(field, "properties.", 11);
    field[63] = '\0';
    T_FAIL(dec_lim(UT_EVENT_TRACK, b.ptr, b.len, NULL), UT_ELIMIT, field, "key too long");
    ut_buf_release(&b);
    done();
}

/* A batch of n events, each with a property string of pad bytes. */
static char *
padded_batch(size_t n, size_t pad, size_t *len)
{
    struct ut_buf b = UT_BUF_INIT(1 << 22);

    ut_buf_addstr(&b, "{\"batch\":[");
    for (size_t i = 0; i < n; i++) {
        ut_buf_addf(&b, "%s{\"type\":\"track\",\"userId\":\"u\",\"event\":\"e\",\"properties\":{",
                    i > 0 ? "," : "");
        for (size_t k = 0; k < pad / 8000; k++) {
            ut_buf_addf(&b, "%s\"p%zu\":\"", k > 0 ? "," : "", k);
            for (size_t j = 0; j < 8000; j++) {
                ut_buf_addch(&b, 'x');
            }
            ut_buf_addch(&b, '"');
        }
        ut_buf_addstr(&b, "}}");
    }
    ut_buf_addstr(&b, "]}");
    return ut_buf_detach(&b, len);
}

TEST(event_and_batch_size_caps)
{
    struct ut_segment_limits lim = UT_SEGMENT_LIMITS_DEFAULT;
    size_t len;
    char *body;

    T_EQ_SIZE(lim.max_event_bytes, 32768);
    T_EQ_SIZE(lim.max_batch_bytes, 512000);
    /* 3 x 8000 bytes: fine; 5 x 8000 bytes: the event is over 32 KiB */
    body = padded_batch(2, 24000, &len);
    T_OK(dec_lim(0, body, len, NULL));
    ut_free(body);
    body = padded_batch(2, 40000, &len);
    T_FAIL(dec_lim(0, body, len, NULL), UT_ELIMIT, "batch[0]", "event is larger than 32768 bytes");
    ut_free(body);
    /* 16 events of 32000 bytes: each fine, the batch over 500 KB */
    body = padded_batch(16, 32000, &len);
    T_TRUE(len > 512000);
    T_FAIL(dec_lim(0, body, len, NULL), UT_ELIMIT, "", "exceeds the limit of 512000");
    ut_free(body);
    /* a single call is capped at 32 KiB */
    body = padded_batch(1, 40000, &len);
    T_ERR(dec_lim(UT_EVENT_TRACK, body, len, NULL), UT_ELIMIT);
    ut_free(body);
    done();
}

TEST(event_count_cap_and_empty_batch)
{
    struct ut_segment_limits lim = UT_SEGMENT_LIMITS_DEFAULT;
    const char *body = J("{'batch':[{'type':'identify','userId':'a'},{'type':'identify',"
                         "'userId':'b'},{'type':'identify','userId':'c'}]}");

    lim.max_events = 3;
    T_OK(dec_lim(0, body, strlen(body), &lim));
    T_EQ_SIZE(out.n, 3);
    lim.max_events = 2;
    T_FAIL(dec_lim(0, body, strlen(body), &lim), UT_ELIMIT, "batch", "more than 2 events");
    T_FAIL(dec(0, "{'batch':[]}"), UT_EINVAL, "batch", "batch is empty");
    T_FAIL(dec(0, "{'batch':{}}"), UT_EINVAL, "batch", "'batch' must be an array");
    T_FAIL(dec(0, "{'sentAt':'2023-11-14T22:13:20Z'}"), UT_EINVAL, "batch", "'batch' is required");
    T_FAIL(dec(0, "{'batch':[{'type':'identify','userId':'a'},7]}"), UT_EINVAL, "batch[1]",
           "batch element must be an object");
    T_FAIL(dec(0, "[{'type':'identify','userId':'a'}]"), UT_EINVAL, "",
           "body must be a JSON object");
    T_FAIL(dec(UT_EVENT_TRACK, "'track'"), UT_EINVAL, "", "body must be a JSON object");
    done();
}

TEST(arena_cap_is_a_limit)
{
    struct ut_arena small;
    const char *body = J(node_track_batch);
    int err;

    ut_arena_init(&small, 256, 1024);
    err = ut_segment_decode(0, body, strlen(body), RECV, NULL, &small, &out, &diag);
    ut_arena_release(&small);
    T_ERR(err, UT_ELIMIT);
}

/* ==== bytes ================================================================================= */

TEST(invalid_utf8_is_rejected_with_its_offset)
{
    static const char *const bad[] = {
        "\xc0\xaf",         /* overlong '/' */
        "\xe0\x80\xaf",     /* overlong, 3 bytes */
        "\xf0\x80\x80\xaf", /* overlong, 4 bytes */
        "\xed\xa0\x80",     /* U+D800, a surrogate */
        "\xed\xbf\xbf",     /* U+DFFF */
        "\xf4\x90\x80\x80", /* past U+10FFFF */
        "\xf5\x80\x80\x80", /* never a lead byte */
        "\xff",
        "\x80",         /* a lone continuation byte */
        "\xe2\x82",     /* truncated euro sign */
        "\xc3\x28",     /* a lead byte followed by ASCII */
        "\xf0\x9f\x98", /* truncated emoji */
    };
    const char *prefix = "{\"userId\":\"u\",\"event\":\"";
    char body[64], want[64];

    for (size_t i = 0; i < UT_ARRAY_LEN(bad); i++) {
        int n = snprintf(body, sizeof(body), "%s%s\"}", prefix, bad[i]);

        snprintf(want, sizeof(want), "invalid UTF-8 at byte %zu", strlen(prefix));
        T_FAIL(dec_lim(UT_EVENT_TRACK, body, (size_t)n, NULL), UT_EPARSE, "", want);
        T_EQ_SIZE(diag.col, strlen(prefix) + 1);
    }
    /* truncated at the very end of the body */
    T_ERR(dec_lim(UT_EVENT_TRACK, "{\"userId\":\"u\",\"event\":\"e\"}\xe2\x82", 28, NULL),
          UT_EPARSE);
    T_TRUE(strstr(diag.msg, "at byte 26") != NULL);
    /* valid 2, 3 and 4 byte sequences pass and are stored as they are */
    T_OK(dec(UT_EVENT_TRACK, "{'userId':'u','event':'caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 "
                             "\xef\xbf\xbf \xf4\x8f\xbf\xbf'}"));
    T_VIEW(out.events[0].name, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbf "
                               "\xf4\x8f\xbf\xbf");
    done();
}

TEST(malformed_json_gives_the_byte_offset)
{
    static const struct {
        const char *json; /* with ' for " */
        const char *at;   /* where the error is: the first occurrence of this text */
        const char *what;
    } cases[] = {
        {"{'userId':'u','event':'e',}", "}", "expected a string key"},
        {"{'userId':'u' 'event':'e'}", "'event", "expected ',' or '}'"},
        {"{'userId':+1}", "+", "unexpected character"},
        {"{'userId':01}", "1}", "expected ',' or '}'"},
        {"{'userId':.5}", ".", "unexpected character"},
        {"{'userId':1.}", "}", "malformed number"},
        {"{'userId':1e}", "}", "malformed number"},
        {"{'userId':-}", "}", "malformed number"},
        {"{'a':[1,2,]}", "]", "unexpected character"},
        {"{'a':tru}", "tru", "unexpected character"},
        {"{'a':NaN}", "NaN", "unexpected character"},
        {"{'a':1} x", "x", "unexpected data after the JSON value"},
        {"{'a':1}{}", "{}", "unexpected data after the JSON value"},
        {"{'a' 1}", "1", "expected ':'"},
        {"{'a':'\\x'}", "\\x", "invalid escape"},
        {"{'a':'\\u12G4'}", "G", "invalid \\u escape"},
        {"{'a':'x\\u0000y'}", "\\u0000", "\\u0000 is not supported"},
        {"{'a':'\\ud800'}", "\\ud800", "unpaired surrogate escape"},
        {"{'a':'\\udc00\\ud800'}", "\\udc00", "unpaired surrogate escape"},
        {"{'a':'\\ud800\\u0041'}", "\\ud800", "unpaired surrogate escape"},
        {"{'a':'abc", NULL, "unterminated string"},
        {"{'a':", NULL, "unexpected end of input"},
        {"{'a':[1", NULL, "expected ',' or ']'"},
        {"{'a\x01':1}", "\x01", "control character in string"},
        {"\xef\xbb\xbf{'a':1}", "\xef", "unexpected character"}, /* a BOM */
        {"", NULL, "unexpected end of input"},
        {"   ", NULL, "unexpected end of input"},
        {"{\v'a':1}", "\v", "expected a string key"},
    };

    for (size_t i = 0; i < UT_ARRAY_LEN(cases); i++) {
        const char *body = J(cases[i].json);
        size_t at =
            cases[i].at != NULL ? (size_t)(strstr(body, J(cases[i].at)) - body) : strlen(body);
        char want[128];

        snprintf(want, sizeof(want), "malformed JSON at byte %zu: %s", at, cases[i].what);
        T_FAIL(dec(UT_EVENT_IDENTIFY, cases[i].json), UT_EPARSE, "", want);
        T_EQ_SIZE(diag.col, at + 1);
    }
    /* a valid surrogate pair is fine */
    T_OK(dec(UT_EVENT_IDENTIFY, "{'userId':'\\ud83d\\ude00'}"));
    T_VIEW(out.events[0].user_id, "\xf0\x9f\x98\x80");
    done();
}

TEST(numbers_cjson_would_mangle_are_rejected)
{
    char big[128];

    T_FAIL(dec(UT_EVENT_IDENTIFY, "{'userId':'u','traits':{'n':1e999}}"), UT_ELIMIT, "",
           "number out of range at byte 28");
    T_FAIL(dec(UT_EVENT_IDENTIFY, "{'userId':'u','traits':{'n':-1E+400}}"), UT_ELIMIT, "",
           "number out of range");
    memset(big, '7', sizeof(big));
    memcpy(big, "{'userId':'u','traits':{'n':", 28);
    memcpy(big + 28 + 64, "}}", 3);
    T_FAIL(dec(UT_EVENT_IDENTIFY, big), UT_ELIMIT, "", "number longer than 63 bytes");
    memcpy(big + 28 + 63, "}}", 3);
    T_OK(dec(UT_EVENT_IDENTIFY, big));
    T_OK(dec(UT_EVENT_IDENTIFY, "{'userId':'u','traits':{'n':1e-400}}")); /* underflow is 0 */
    done();
}

TEST(bad_arguments)
{
    struct ut_segment_batch keep = {NULL, 7, UT_STR_NULL};

    T_ERR(ut_segment_decode(0, NULL, 5, RECV, NULL, &arena, &out, &diag), UT_EINVAL);
    T_ERR(ut_segment_decode(0, "{}", 2, RECV, NULL, NULL, &out, &diag), UT_EINVAL);
    T_ERR(ut_segment_decode(0, "{}", 2, RECV, NULL, &arena, NULL, &diag), UT_EINVAL);
    T_ERR(ut_segment_decode(0, NULL, 0, RECV, NULL, &arena, &out, NULL), UT_EPARSE);
    /* out is untouched on failure; diag is optional */
    T_ERR(ut_segment_decode(0, "{\"batch\":[]}", 12, RECV, NULL, &arena, &keep, NULL), UT_EINVAL);
    T_EQ_SIZE(keep.n, 7);
    done();
}

/* ==== memory ================================================================================ */

TEST(out_of_memory_at_every_allocation)
{
    const char *body = J("{'batch':[{'type':'track','userId':'u','event':'Order Completed',"
                         "'properties':{'revenue':'10.5','currency':'eur','url':'x'},"
                         "'context':{'page':{'url':'https://s.test/?ut_click=abc'}}},"
                         "{'type':'page','anonymousId':'a','messageId':'m2','context':null},"
                         "{'type':'identify','userId':7,'traits':{'email':'e@x.test'}}],"
                         "'context':{'ip':'1.2.3.4','library':{'name':'n'}},"
                         "'sentAt':'2023-11-14T22:13:20Z','writeKey':'k'}");
    size_t len = strlen(body);
    long before = ut_alloc_live();
    int err = UT_ENOMEM;
    long n;

    for (n = 1; n < 10000 && err != UT_OK; n++) {
        struct ut_arena a;
        struct ut_segment_batch res;

        ut_arena_init(&a, 128, 0);
        ut_alloc_fail_after(n);
        err = ut_segment_decode(0, body, len, RECV, NULL, &a, &res, &diag);
        ut_alloc_fail_after(0);
        ut_arena_release(&a);
        if (err != UT_OK) {
            T_ERR(err, UT_ENOMEM);
        }
        T_EQ_I64(ut_alloc_live(), before);
    }
    T_OK(err);
    T_TRUE(n > 8); /* the loop really went through the allocation sites */
}

T_LIST(
    T_CASE(track_from_analytics_node), T_CASE(identify_page_screen_group_alias_in_one_batch),
    T_CASE(single_calls_take_the_type_from_the_path), T_CASE(single_call_type_must_match_the_path),
    T_CASE(batch_types_are_required_and_known), T_CASE(clock_skew_ten_minutes_ahead),
    T_CASE(event_sent_at_wins_over_the_batch), T_CASE(original_timestamp_beats_timestamp),
    T_CASE(bad_times_name_the_field), T_CASE(received_at_is_an_iso_string_in_the_body),
    T_CASE(missing_and_wrong_typed_fields_name_their_path), T_CASE(null_means_absent),
    T_CASE(numeric_ids_become_their_javascript_text), T_CASE(context_fields_and_campaign),
    T_CASE(click_token_sources), T_CASE(email_sources), T_CASE(batch_context_is_merged_as_defaults),
    T_CASE(write_key_in_body), T_CASE(body_is_the_compact_event),
    T_CASE(body_numbers_read_back_exactly), T_CASE(duplicate_keys_are_rejected),
    T_CASE(message_id_rules), T_CASE(derived_message_id_is_stable_across_retries),
    T_CASE(derived_message_ids_differ_within_a_batch), T_CASE(revenue_value_total_and_currencies),
    T_CASE(revenue_errors), T_CASE(depth_32_accepted_33_rejected), T_CASE(string_caps),
    T_CASE(event_and_batch_size_caps), T_CASE(event_count_cap_and_empty_batch),
    T_CASE(arena_cap_is_a_limit), T_CASE(invalid_utf8_is_rejected_with_its_offset),
    T_CASE(malformed_json_gives_the_byte_offset), T_CASE(numbers_cjson_would_mangle_are_rejected),
    T_CASE(bad_arguments), T_CASE(out_of_memory_at_every_allocation))
T_MAIN()
