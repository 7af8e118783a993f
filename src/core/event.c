/*
 * core/event.c - names of event types. The table is the one place that spells
 * them; everything else goes through ut_event_type_name / _parse.
 */
#include "util/setup.h"

#include "core/event.h"

#include <string.h>

/* Indexed by enum ut_event_type; slot 0 is "no type". */
static const char *const event_type_names[] = {
    NULL, "track", "identify", "page", "screen", "group", "alias", "click",
};

const char *
ut_event_type_name(enum ut_event_type t)
{
    if ((size_t)t == 0 || (size_t)t >= UT_ARRAY_LEN(event_type_names)) {
        return NULL;
    }
    return event_type_names[t];
}

enum ut_event_type
ut_event_type_parse(const char *s, size_t len)
{
    if (s == NULL) {
        return (enum ut_event_type)0;
    }
    for (size_t i = 1; i < UT_ARRAY_LEN(event_type_names); i++) {
        if (strlen(event_type_names[i]) == len && memcmp(event_type_names[i], s, len) == 0) {
            return (enum ut_event_type)i;
        }
    }
    return (enum ut_event_type)0;
}
