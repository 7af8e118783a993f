/*
 * utmost/attribution.h - the attribution engine: journeys in, credit out.
 *
 * A journey set holds interned channel names and journeys (ordered touches,
 * plus the conversions, non-conversions "nulls" and value they end in).
 * ut_attribute() runs one model over the set and returns credit per channel.
 * Every model conserves totals: the credited conversions and value add up to
 * the conversions and value of the journeys. Journeys with no touches credit
 * the channel "(none)".
 *
 * Ownership: a struct ut_journeys belongs to its creator (ut_journeys_free);
 * strings passed in are copied; strings returned are borrowed from the set and
 * live as long as it does. Credits are owned by the caller (ut_credits_release).
 * Thread-safety: a set is not safe for concurrent mutation; ut_attribute()
 * only reads it, so several models may run on one set from several threads.
 * Errors: functions return UT_OK or a negative enum ut_err; an optional
 * struct ut_diag receives a human message.
 */
#ifndef UT_ATTRIBUTION_H
#define UT_ATTRIBUTION_H

#include <stddef.h>
#include <stdint.h>

#include "utmost/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The channel that receives conversions of journeys without touches. */
#define UT_CHANNEL_NONE "(none)"

/* Most channels (distinct names) in one set. */
#define UT_MAX_CHANNELS 1000000u

enum ut_touch_flags {
    UT_TOUCH_DIRECT = 1 << 0 /* the touch's channel is "direct" (last_non_direct skips it) */
};

/* One touch of a journey. time is Unix seconds (only read by time-aware models). */
struct ut_touch {
    uint32_t channel; /* id from ut_journeys_intern() */
    uint32_t flags;   /* enum ut_touch_flags */
    double time;
};

struct ut_journeys;

/* Create an empty set in *out. UT_ENOMEM. */
UT_API int ut_journeys_new(struct ut_journeys **out);
/* Free a set and everything it owns; NULL is a no-op. */
UT_API void ut_journeys_free(struct ut_journeys *j);

/*
 * Intern a channel name (bytes, not necessarily NUL-terminated) and store its
 * dense id (0, 1, ...) in *id. UT_ENOMEM, UT_ELIMIT past UT_MAX_CHANNELS.
 */
UT_API int ut_journeys_intern(struct ut_journeys *j, const char *name, size_t len, uint32_t *id);
/* Number of channels interned so far. */
UT_API size_t ut_journeys_channel_count(const struct ut_journeys *j);
/* Name of channel id (borrowed, NUL-terminated) or NULL; *len gets its length if not NULL. */
UT_API const char *ut_journeys_channel_name(const struct ut_journeys *j, uint32_t id,
                                            size_t *len);

/*
 * Append a journey: n touches in order (copied), the time of its conversion
 * (Unix seconds; 0 for path data), and the conversions, nulls and value it
 * carries. conversions and nulls must be finite and >= 0, value finite
 * (UT_EINVAL otherwise); channel ids must have been interned.
 * A journey with n == 0 credits its conversions and value to "(none)" in every
 * model and is left out of fitting data-driven models.
 */
UT_API int ut_journeys_add(struct ut_journeys *j, const struct ut_touch *touches, size_t n,
                           double time, double conversions, double nulls, double value);

/* Mark the set as carrying real touch and conversion times (enables time_decay). */
UT_API void ut_journeys_set_timed(struct ut_journeys *j, int timed);

/* Number of journeys; totals of conversions, nulls and value over all journeys. */
UT_API size_t ut_journeys_count(const struct ut_journeys *j);
UT_API double ut_journeys_total_conversions(const struct ut_journeys *j);
UT_API double ut_journeys_total_nulls(const struct ut_journeys *j);
UT_API double ut_journeys_total_value(const struct ut_journeys *j);

/* ---- building journeys from events ------------------------------------------ */

/* A touch of a person (an index the caller assigned, dense from 0). */
struct ut_event_touch {
    uint32_t person;
    uint32_t channel; /* interned id of the credited dimension */
    uint32_t flags;   /* enum ut_touch_flags */
    double time;      /* Unix seconds */
};

struct ut_event_conversion {
    uint32_t person;
    double time;
    double value;
};

/*
 * Turn events into journeys, appended to j:
 * - each conversion at time T gets the person's touches with
 *   T - lookback <= t <= T, ordered by (t, input order), as 1 conversion with its value;
 * - each person's touches strictly after their last conversion (all of them
 *   if they never converted), limited to lookback before that person's last
 *   touch, become one journey with 1 null (skipped when empty).
 * Arrays are borrowed; input order is their index order. UT_EINVAL for a
 * negative or non-finite lookback, UT_ENOMEM. Marks the set timed.
 */
UT_API int ut_journeys_add_events(struct ut_journeys *j, const struct ut_event_touch *touches,
                                  size_t ntouches, const struct ut_event_conversion *convs,
                                  size_t nconvs, double lookback, struct ut_diag *diag);

/* ---- models ------------------------------------------------------------------ */

enum ut_transform {
    UT_TRANSFORM_EXPOSURE = 0, /* collapse consecutive repeats */
    UT_TRANSFORM_UNIQUE,       /* the path as is */
    UT_TRANSFORM_FIRST,        /* first occurrence of each channel */
    UT_TRANSFORM_FREQUENCY     /* first occurrences tagged with their count */
};

struct ut_model_opts {
    unsigned order;              /* markov: 1..4 */
    int no_null;                 /* markov: drop non-converting journeys and the null state */
    enum ut_transform transform; /* fractribution */
    double position_first;       /* position: percent to the first touch (default 40) */
    double position_last;        /* position: percent to the last touch (default 40) */
    double half_life;            /* time_decay: seconds (default 7 days) */
};

#define UT_MODEL_OPTS_INIT {1, 0, UT_TRANSFORM_EXPOSURE, 40.0, 40.0, 7.0 * 86400.0}

enum ut_model_flags {
    UT_MODEL_TIMED = 1 << 0,      /* needs touch times (event input) */
    UT_MODEL_DATA_DRIVEN = 1 << 1 /* fits over all journeys, converting and not */
};

struct ut_model_info {
    const char *name;    /* "first", "markov", ... */
    unsigned flags;      /* enum ut_model_flags */
    const char *summary; /* one line for --help */
};

/* Models in their canonical order ("all" runs them in this order). */
UT_API size_t ut_model_count(void);
UT_API const struct ut_model_info *ut_model_at(size_t i);
/* The model named name, or NULL. */
UT_API const struct ut_model_info *ut_model_find(const char *name);

/* Credit per channel id, arrays of n (= channel count at the time of the call). */
struct ut_credits {
    size_t n;
    double *conversions;
    double *value;
};

/*
 * Run model name on j with options o (NULL = defaults) and store the credit in
 * *out (owned by the caller). UT_ENOTFOUND for an unknown model, UT_EINVAL for
 * options out of range or a timed model on an untimed set (message in diag),
 * UT_ENOMEM. On failure *out is untouched.
 */
UT_API int ut_attribute(const struct ut_journeys *j, const char *name,
                        const struct ut_model_opts *o, struct ut_credits *out,
                        struct ut_diag *diag);
/* Free the arrays of c and zero it; an empty struct is a no-op. */
UT_API void ut_credits_release(struct ut_credits *c);

#ifdef __cplusplus
}
#endif

#endif /* UT_ATTRIBUTION_H */
