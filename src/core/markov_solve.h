/*
 * core/markov_solve.h - the transient part of an absorbing Markov chain and
 * the exact solver for its expected visit counts, used by model_markov.c.
 * The chain is immutable once built; a solve may "remove" states (turn them
 * into absorbing non-conversion states) through a mask. No I/O, no globals.
 */
#ifndef UT_CORE_MARKOV_SOLVE_H
#define UT_CORE_MARKOV_SOLVE_H

#include <stddef.h>
#include <stdint.h>

#include "utmost/common.h"

/* A weighted transition between two transient states. */
struct ut__mk_edge {
    uint32_t from, to;
    double w;
};

/*
 * n transient states. Row-stochastic probabilities come from weights: a state's
 * out-weight is its edges plus its conversion and null weights. The arrays are
 * owned by the chain (ut__mk_chain_release).
 */
struct ut__mk_chain {
    size_t n;
    size_t *in_ptr;   /* n + 1: in-edges of t are [in_ptr[t], in_ptr[t + 1]) */
    uint32_t *in_src; /* source state of each in-edge */
    double *in_p;     /* P(src -> t) */
    double *b;        /* P(start -> t) */
    double *conv_p;   /* P(t -> conversion) */
    uint32_t *order;  /* sweep order: reverse postorder of a DFS from the start */
    double *backp;    /* P(t -> a state not after t in order): the "late" mass */
    size_t nedges;
};

enum ut__mk_method {
    UT__MK_AUTO = 0, /* dense LU for small systems, else Gauss-Seidel (LU as fallback) */
    UT__MK_DENSE,    /* dense LU with partial pivoting and iterative refinement */
    UT__MK_ITERATIVE /* Gauss-Seidel only (tests) */
};

/*
 * Build the chain of n states from per-state start, conversion and null
 * weights (arrays of n, borrowed) and ne transient edges (borrowed; pairs may
 * not repeat). Every state must have a positive out-weight. UT_ENOMEM; on
 * failure c holds nothing to release.
 */
int ut__mk_chain_init(struct ut__mk_chain *c, size_t n, const double *start, const double *conv,
                      const double *nulls, const struct ut__mk_edge *e, size_t ne);
/* Free what c owns and zero it; an empty chain is a no-op. */
void ut__mk_chain_release(struct ut__mk_chain *c);

/*
 * Solve x = rhs + P^T x over the states not flagged in removed (NULL = none;
 * flagged states are absorbing non-conversion states, pass nothing on and get
 * x = 0). rhs (array of n, borrowed; NULL = the start distribution b) must be
 * >= 0; with b, x is the expected number of visits of each state. The
 * conversion mass sum_s x_s * conv_p_s is exact to about 1e-15 of
 * max(scale, itself): scale > 0 is a floor for that reference when the mass
 * may be tiny. *used (if not NULL) gets the method that produced x.
 * UT_ENOMEM; UT_ELIMIT if Gauss-Seidel cannot reach full precision on a system
 * too large for the dense fallback.
 */
int ut__mk_solve(const struct ut__mk_chain *c, const unsigned char *removed, const double *rhs,
                 double scale, enum ut__mk_method method, double *x, enum ut__mk_method *used);

/* ---- dense LU (core/markov_dense.c) ---------------------------------------------- */

/* A factorisation of the full chain (opaque). */
struct ut__mk_lu;

/*
 * The dense method of ut__mk_solve: factor the kept states, solve, refine.
 * Needs about (kept states)^2 doubles. UT_ENOMEM.
 */
int ut__mk_dense_solve(const struct ut__mk_chain *c, const unsigned char *removed,
                       const double *rhs, double *x);

/* Factor the full chain of c (n^2 doubles) into *out (free with ut__mk_lu_free). UT_ENOMEM. */
int ut__mk_lu_new(const struct ut__mk_chain *c, struct ut__mk_lu **out);
/* Free lu; NULL is a no-op. */
void ut__mk_lu_free(struct ut__mk_lu *lu);

/*
 * Like ut__mk_solve(c, removed, rhs, ..., UT__MK_DENSE, x) for the nd states
 * dlist flagged in removed, through lu (the factors of the full c, with
 * scratch: one solve at a time); rhs is ignored on the removed states.
 * Cheaper than a new factorisation while nd is well below n / 6. UT_ENOMEM.
 */
int ut__mk_lu_solve_removed(struct ut__mk_lu *lu, const struct ut__mk_chain *c,
                            const unsigned char *removed, const uint32_t *dlist, size_t nd,
                            const double *rhs, double *x);

#endif /* UT_CORE_MARKOV_SOLVE_H */
