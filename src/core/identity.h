/*
 * core/identity.h - deterministic identity evidence carried by one event.
 * Each piece of evidence links two identifiers ("anon:…", "user:…",
 * "email:…", "click:…"); persons are the connected components of all the
 * evidence of a workspace. Probabilistic evidence (fingerprint, IP + user
 * agent) is not produced here and never joins two known users.
 */
#ifndef UT_CORE_IDENTITY_H
#define UT_CORE_IDENTITY_H

#include <stddef.h>

#include "core/event.h"

#define UT_EVIDENCE_MAX 6

struct ut_evidence {
    const char *kind; /* "identify", "event", "alias", "email", "click" */
    const char *a_ns; /* namespace of a: "anon", "user", "email", "click" */
    struct ut_str a;
    const char *b_ns;
    struct ut_str b;
    double confidence; /* 1.0 for deterministic evidence */
};

/* Fill out[] with the evidence of ev (at most UT_EVIDENCE_MAX) and return the count. */
size_t ut_identity_evidence(const struct ut_event *ev, struct ut_evidence *out);

#endif /* UT_CORE_IDENTITY_H */
