/*
 * core/identity.c - which identifiers an event proves to belong together.
 * identify (and any event carrying both ids) joins its anonymous id and user
 * id; alias joins previousId (as either kind of id) to userId; an email
 * trait joins the email to the event's ids; a link click token joins the
 * clicking browser to the browser that later loads the landing page.
 */
#include "util/setup.h"

#include "core/identity.h"

static void
add(struct ut_evidence *out, size_t *n, const char *kind, const char *a_ns, struct ut_str a,
    const char *b_ns, struct ut_str b)
{
    if (ut_str_empty(a) || ut_str_empty(b) || *n >= UT_EVIDENCE_MAX) {
        return;
    }
    out[*n].kind = kind;
    out[*n].a_ns = a_ns;
    out[*n].a = a;
    out[*n].b_ns = b_ns;
    out[*n].b = b;
    out[*n].confidence = 1.0;
    (*n)++;
}

size_t
ut_identity_evidence(const struct ut_event *ev, struct ut_evidence *out)
{
    size_t n = 0;
    const char *both = ev->type == UT_EVENT_IDENTIFY ? "identify" : "event";

    add(out, &n, both, "anon", ev->anonymous_id, "user", ev->user_id);
    if (ev->type == UT_EVENT_ALIAS) {
        /* previousId may have been an anonymous id or an earlier user id */
        add(out, &n, "alias", "user", ev->previous_id, "user", ev->user_id);
        add(out, &n, "alias", "anon", ev->previous_id, "user", ev->user_id);
    }
    if (!ut_str_empty(ev->user_id)) {
        add(out, &n, "email", "user", ev->user_id, "email", ev->email);
    } else {
        add(out, &n, "email", "anon", ev->anonymous_id, "email", ev->email);
    }
    add(out, &n, "click", "anon", ev->anonymous_id, "click", ev->click_token);
    if (ut_str_empty(ev->anonymous_id)) {
        add(out, &n, "click", "user", ev->user_id, "click", ev->click_token);
    }
    return n;
}
