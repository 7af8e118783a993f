/*
 * core/markov_dense.c - the dense side of core/markov_solve.c: LU with
 * partial pivoting of A = I - P^T over the active states, and one
 * factorisation of the full chain reused for removals of a few states through
 * their capacitance matrix. Both refine with the exact sparse residual. Column
 * diagonal dominance of A (P is substochastic) keeps elimination stable; the
 * capacitance matrix, a principal submatrix of the inverse of an M-matrix, is
 * nonsingular. Memory is n^2 doubles, so callers keep n <= 2048.
 */
#include "util/setup.h"

#include "core/markov_solve.h"

#include <math.h>
#include <string.h>

#include "util/alloc.h"

#define REFINE_STEPS 2 /* refinement steps after the first solve */

/* ---- LU of a dense matrix -------------------------------------------------------- */

/* Swap rows k and p of the m x m row-major a. */
static void
swap_rows(double *a, size_t m, size_t k, size_t p)
{
    for (size_t j = 0; j < m; j++) {
        double tmp = a[k * m + j];

        a[k * m + j] = a[p * m + j];
        a[p * m + j] = tmp;
    }
}

/* Eliminate column k below the pivot row k, keeping the multipliers in place. */
static void
eliminate(double *a, size_t m, size_t k)
{
    const double *rk = a + k * m;

    for (size_t i = k + 1; i < m; i++) {
        double *ri = a + i * m;
        double l = ri[k] / rk[k];

        ri[k] = l;
        if (l == 0) {
            continue; /* sparse rows stay cheap */
        }
        for (size_t j = k + 1; j < m; j++) {
            ri[j] -= l * rk[j];
        }
    }
}

/* In-place LU of the m x m row-major a with row pivots piv; -1 if singular. */
static int
lu_factor(double *a, size_t m, size_t *piv)
{
    for (size_t k = 0; k < m; k++) {
        size_t p = k;

        for (size_t i = k + 1; i < m; i++) {
            if (fabs(a[i * m + k]) > fabs(a[p * m + k])) {
                p = i;
            }
        }
        piv[k] = p;
        if (a[p * m + k] == 0) {
            return -1;
        }
        if (p != k) {
            swap_rows(a, m, k, p);
        }
        eliminate(a, m, k);
    }
    return 0;
}

/* Solve with the factors of lu_factor; v holds the right-hand side, then the solution. */
static void
lu_solve(const double *a, size_t m, const size_t *piv, double *v)
{
    for (size_t k = 0; k < m; k++) {
        double tmp = v[k];

        v[k] = v[piv[k]];
        v[piv[k]] = tmp;
    }
    for (size_t i = 0; i < m; i++) {
        double s = v[i];

        for (size_t j = 0; j < i; j++) {
            s -= a[i * m + j] * v[j];
        }
        v[i] = s;
    }
    for (size_t i = m; i-- > 0;) {
        double s = v[i];

        for (size_t j = i + 1; j < m; j++) {
            s -= a[i * m + j] * v[j];
        }
        v[i] = s / a[i * m + i];
    }
}

/*
 * r_t = rhs_t - x_t + sum_{s kept} P(s,t) x_s for the kept states t, 0 for
 * removed ones (removed may be NULL). r and x are indexed by state.
 */
static void
residual(const struct ut__mk_chain *c, const unsigned char *removed, const double *rhs,
         const double *x, double *r)
{
    for (size_t t = 0; t < c->n; t++) {
        double v = rhs[t] - x[t];

        r[t] = 0;
        if (removed != NULL && removed[t]) {
            continue;
        }
        for (size_t e = c->in_ptr[t]; e < c->in_ptr[t + 1]; e++) {
            /* removed sources have x = 0 */
            v += c->in_p[e] * x[c->in_src[e]];
        }
        r[t] = v;
    }
}

/*
 * Fill the m x m matrix A = I - P^T of the kept states; idx maps a state to
 * its row (states are numbered in order, so act[] is implied).
 */
static void
fill(const struct ut__mk_chain *c, const unsigned char *removed, const uint32_t *idx, size_t m,
     double *a)
{
    for (size_t t = 0; t < c->n; t++) {
        size_t i = idx[t];

        if (removed != NULL && removed[t]) {
            continue;
        }
        a[i * m + i] = 1;
        for (size_t e = c->in_ptr[t]; e < c->in_ptr[t + 1]; e++) {
            uint32_t s = c->in_src[e];

            if (removed == NULL || !removed[s]) {
                a[i * m + idx[s]] -= c->in_p[e];
            }
        }
    }
}

/* A factorisation of the kept states of c: row idx[s] of a is state s. */
struct ut__mk_lu {
    size_t n, m;
    uint32_t *idx; /* state -> row (UINT32_MAX when removed) */
    double *a;     /* m x m LU factors, row-major */
    size_t *piv;
    double *v; /* m scratch */
};

void
ut__mk_lu_free(struct ut__mk_lu *lu)
{
    if (lu == NULL) {
        return;
    }
    ut_free(lu->idx);
    ut_free(lu->a);
    ut_free(lu->piv);
    ut_free(lu->v);
    ut_free(lu);
}

/* Factor the kept states of c (removed may be NULL) into *out. */
static int
lu_new(const struct ut__mk_chain *c, const unsigned char *removed, struct ut__mk_lu **out)
{
    struct ut__mk_lu *lu = ut_calloc(1, sizeof(*lu));
    size_t mm;
    int err = UT_ENOMEM;

    if (lu == NULL) {
        return UT_ENOMEM;
    }
    lu->idx = ut_calloc(c->n, sizeof(*lu->idx));
    if (lu->idx == NULL) {
        goto fail;
    }
    lu->n = c->n;
    for (size_t s = 0; s < c->n; s++) {
        lu->idx[s] = removed != NULL && removed[s] ? UINT32_MAX : (uint32_t)lu->m++;
    }
    if (ut_size_mul(lu->m, lu->m, &mm) != 0) {
        goto fail;
    }
    lu->a = ut_calloc(mm, sizeof(*lu->a));
    lu->piv = ut_calloc(lu->m, sizeof(*lu->piv));
    lu->v = ut_calloc(lu->m, sizeof(*lu->v));
    if (lu->a == NULL || lu->piv == NULL || lu->v == NULL) {
        goto fail;
    }
    fill(c, removed, lu->idx, lu->m, lu->a);
    if (lu_factor(lu->a, lu->m, lu->piv) != 0) {
        err = UT_EINTERNAL; /* cannot happen: A is a nonsingular M-matrix */
        goto fail;
    }
    *out = lu;
    return UT_OK;
fail:
    ut__mk_lu_free(lu);
    return err;
}

int
ut__mk_lu_new(const struct ut__mk_chain *c, struct ut__mk_lu **out)
{
    return lu_new(c, NULL, out);
}

/* Solve A v = r for the kept states through lu (r, v indexed by state, v may be r). */
static void
lu_apply(struct ut__mk_lu *lu, const double *r, double *v)
{
    for (size_t s = 0; s < lu->n; s++) {
        if (lu->idx[s] != UINT32_MAX) {
            lu->v[lu->idx[s]] = r[s];
        }
    }
    lu_solve(lu->a, lu->m, lu->piv, lu->v);
    for (size_t s = 0; s < lu->n; s++) {
        v[s] = lu->idx[s] != UINT32_MAX ? lu->v[lu->idx[s]] : 0;
    }
}

int
ut__mk_dense_solve(const struct ut__mk_chain *c, const unsigned char *removed, const double *rhs,
                   double *x)
{
    struct ut__mk_lu *lu = NULL;
    double *r = ut_calloc(c->n, sizeof(*r));
    int err = r == NULL ? UT_ENOMEM : lu_new(c, removed, &lu);

    if (err == UT_OK) {
        memset(x, 0, c->n * sizeof(*x));
        for (int step = 0; step <= REFINE_STEPS; step++) {
            /* step 0 solves A x = rhs; the others refine x with the residual */
            residual(c, removed, rhs, x, r);
            lu_apply(lu, r, r);
            for (size_t s = 0; s < c->n; s++) {
                x[s] += r[s];
            }
        }
    }
    ut__mk_lu_free(lu);
    ut_free(r);
    return err;
}

/* ---- removals through the full factorisation ------------------------------------- */

/*
 * With D the nd removed states and K the kept ones, A_KK d_K = r_K is solved
 * with the factors of the full A: y = A^-1 [r_K; 0], W = A^-1 [e_j, j in D],
 * S = W_D (the capacitance matrix), f = -S^-1 y_D; then y + W f vanishes on D
 * and A (y + W f) = [r_K; f], so its K part is d_K. Cost about 2 nd n^2 + nd^3
 * against n^3 / 3 for a new factorisation.
 */
struct capacitance {
    size_t nd;
    const uint32_t *dlist;
    double *w; /* nd columns of n */
    double *s; /* nd x nd factors */
    size_t *piv;
    double *f; /* nd */
};

static int
capacitance_init(struct capacitance *cp, struct ut__mk_lu *lu, const uint32_t *dlist, size_t nd)
{
    size_t wn, ss;

    cp->nd = nd;
    cp->dlist = dlist;
    if (ut_size_mul(nd, lu->n, &wn) != 0 || ut_size_mul(nd, nd, &ss) != 0) {
        return UT_ENOMEM;
    }
    cp->w = ut_calloc(wn, sizeof(*cp->w));
    cp->s = ut_calloc(ss, sizeof(*cp->s));
    cp->piv = ut_calloc(nd, sizeof(*cp->piv));
    cp->f = ut_calloc(nd, sizeof(*cp->f));
    if (cp->w == NULL || cp->s == NULL || cp->piv == NULL || cp->f == NULL) {
        return UT_ENOMEM;
    }
    for (size_t k = 0; k < nd; k++) {
        double *wk = cp->w + k * lu->n;

        wk[dlist[k]] = 1;
        lu_apply(lu, wk, wk);
        for (size_t i = 0; i < nd; i++) {
            cp->s[i * nd + k] = wk[dlist[i]];
        }
    }
    return lu_factor(cp->s, nd, cp->piv) == 0 ? UT_OK : UT_EINTERNAL;
}

static void
capacitance_release(struct capacitance *cp)
{
    ut_free(cp->w);
    ut_free(cp->s);
    ut_free(cp->piv);
    ut_free(cp->f);
}

/* y = the solution of A_KK y_K = r_K (y_D = 0) for r indexed by state with r_D = 0. */
static void
capacitance_apply(struct capacitance *cp, struct ut__mk_lu *lu, double *y)
{
    size_t n = lu->n;

    lu_apply(lu, y, y);
    for (size_t k = 0; k < cp->nd; k++) {
        cp->f[k] = -y[cp->dlist[k]];
    }
    lu_solve(cp->s, cp->nd, cp->piv, cp->f);
    for (size_t k = 0; k < cp->nd; k++) {
        const double *wk = cp->w + k * n;

        for (size_t s = 0; s < n; s++) {
            y[s] += cp->f[k] * wk[s];
        }
    }
    for (size_t k = 0; k < cp->nd; k++) {
        y[cp->dlist[k]] = 0; /* exactly: rounding leaves ~1e-17 there */
    }
}

int
ut__mk_lu_solve_removed(struct ut__mk_lu *lu, const struct ut__mk_chain *c,
                        const unsigned char *removed, const uint32_t *dlist, size_t nd,
                        const double *rhs, double *x)
{
    struct capacitance cp;
    double *r = ut_calloc(c->n, sizeof(*r));
    int err;

    memset(&cp, 0, sizeof(cp));
    err = r == NULL ? UT_ENOMEM : capacitance_init(&cp, lu, dlist, nd);
    if (err == UT_OK) {
        memset(x, 0, c->n * sizeof(*x));
        for (int step = 0; step <= REFINE_STEPS; step++) {
            residual(c, removed, rhs, x, r);
            capacitance_apply(&cp, lu, r);
            for (size_t s = 0; s < c->n; s++) {
                x[s] += r[s];
            }
        }
    }
    capacitance_release(&cp);
    ut_free(r);
    return err;
}
