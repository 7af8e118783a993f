/*
 * core/markov_solve.c - exact solutions of x = rhs + P^T x on the transient
 * states of an absorbing Markov chain (rhs = b, the start distribution, gives
 * the expected visits). Every state can reach absorption (each lies on a
 * journey that ends), so rho(P) < 1 and A = I - P^T is a nonsingular
 * M-matrix, weakly diagonally dominant by columns. Two methods:
 *
 * - Gauss-Seidel in reverse postorder of a DFS from the start. Edges that are
 *   not DFS back edges point forward in that order, so forward flow settles in
 *   one sweep and only back-edge mass (loops such as a>b>a) needs more. It
 *   converges for a nonsingular M-matrix (Stein-Rosenberg: no slower than
 *   Jacobi, whose rate is rho(P) < 1). From x = 0 with rhs >= 0 the iterates
 *   grow monotonically and the residual r = rhs - A x stays >= 0; after a sweep
 *   r_t is the change of the sources swept after t, so ||r||_1 <= bound =
 *   sum_s |dx_s| * backp_s. The error of the conversion mass sum_s x_s p_s
 *   (p_s = P(s -> conversion)) is p^T A^-1 r = sum_t g_t r_t with g_t the
 *   probability of converting from t, in [0, 1]: at most the bound, and the
 *   same holds for sum_s |error of x_s p_s|. Sweeps stop once the bound is
 *   below 1e-15 of the conversion mass (or of a floor the caller gives), at an
 *   exact fixed point, or at the rounding floor (no progress for 8 sweeps with
 *   the bound under 1e-13 of it).
 * - Dense LU with partial pivoting plus two steps of iterative refinement with
 *   the sparse residual (core/markov_dense.c): for small systems (<= 128
 *   states), and as the fallback (<= 2048 states, 32 MiB) once Gauss-Seidel
 *   has spent about the work of a factorisation; column dominance keeps
 *   elimination stable. Larger systems that do not converge within a work cap
 *   give UT_ELIMIT rather than a rough answer.
 */
#include "util/setup.h"

#include "core/markov_solve.h"

#include <math.h>
#include <string.h>

#include "util/alloc.h"

#define DENSE_SMALL 128       /* dense LU up to this many active states */
#define DENSE_MAX 2048        /* largest dense fallback (32 MiB matrix) */
#define GS_MIN_SWEEPS 64      /* sweeps always tried before the dense fallback */
#define GS_SOFT_SWEEPS 10000  /* most sweeps before the dense fallback */
#define GS_HARD_SWEEPS 200000 /* most sweeps when no fallback is possible */
#define GS_HARD_WORK 5e10     /* ... and most edge visits */
#define GS_TOL 1e-15          /* target error bound, relative to P(conversion) */
#define GS_FLOOR 1e-13        /* bound accepted at the rounding floor */
#define GS_STALL 8            /* sweeps without progress that mean "floor" */

/* ---- building ------------------------------------------------------------ */

void
ut__mk_chain_release(struct ut__mk_chain *c)
{
    if (c == NULL) {
        return;
    }
    ut_free(c->in_ptr);
    ut_free(c->in_src);
    ut_free(c->in_p);
    ut_free(c->b);
    ut_free(c->conv_p);
    ut_free(c->order);
    ut_free(c->backp);
    memset(c, 0, sizeof(*c));
}

/* Allocate the arrays of c for n states and ne edges. */
static int
chain_alloc(struct ut__mk_chain *c, size_t n, size_t ne)
{
    c->n = n;
    c->nedges = ne;
    c->in_ptr = ut_calloc(n + 1, sizeof(*c->in_ptr));
    c->in_src = ut_calloc(ne, sizeof(*c->in_src));
    c->in_p = ut_calloc(ne, sizeof(*c->in_p));
    c->b = ut_calloc(n, sizeof(*c->b));
    c->conv_p = ut_calloc(n, sizeof(*c->conv_p));
    c->order = ut_calloc(n, sizeof(*c->order));
    c->backp = ut_calloc(n, sizeof(*c->backp));
    if (c->in_ptr == NULL || c->in_src == NULL || c->in_p == NULL || c->b == NULL ||
        c->conv_p == NULL || c->order == NULL || c->backp == NULL) {
        return UT_ENOMEM;
    }
    return UT_OK;
}

/* Fill in_ptr/in_src/in_p (edges grouped by target, in input order). cur: n scratch. */
static void
chain_fill_in_edges(struct ut__mk_chain *c, const double *outw, const struct ut__mk_edge *e,
                    size_t ne, size_t *cur)
{
    for (size_t k = 0; k < ne; k++) {
        c->in_ptr[e[k].to + 1]++;
    }
    for (size_t t = 0; t < c->n; t++) {
        c->in_ptr[t + 1] += c->in_ptr[t];
        cur[t] = c->in_ptr[t];
    }
    for (size_t k = 0; k < ne; k++) {
        size_t at = cur[e[k].to]++;

        c->in_src[at] = e[k].from;
        c->in_p[at] = e[k].w / outw[e[k].from];
    }
}

/* Order scratch: the DFS stack, each node's next out-edge, and visited flags. */
struct dfs {
    const size_t *out_ptr;
    const uint32_t *out_dst;
    uint32_t *stack;
    size_t *cursor;
    unsigned char *seen;
    size_t left; /* next free slot of order, filled from the end */
};

/* Iterative DFS from root, writing each node into c->order as it finishes. */
static void
dfs_from(struct ut__mk_chain *c, struct dfs *d, uint32_t root)
{
    size_t depth = 0;

    d->seen[root] = 1;
    d->stack[depth++] = root;
    d->cursor[root] = d->out_ptr[root];
    while (depth > 0) {
        uint32_t v = d->stack[depth - 1];
        uint32_t w;

        if (d->cursor[v] == d->out_ptr[v + 1]) {
            depth--;
            c->order[--d->left] = v;
            continue;
        }
        w = d->out_dst[d->cursor[v]++];
        if (!d->seen[w]) {
            d->seen[w] = 1;
            d->cursor[w] = d->out_ptr[w];
            d->stack[depth++] = w;
        }
    }
}

/*
 * Reverse postorder of a DFS over the out-edges, rooted at the start states in
 * id order, then at anything left (nothing, when every state is reachable).
 */
static void
chain_order(struct ut__mk_chain *c, const double *start, struct dfs *d)
{
    d->left = c->n;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t r = 0; r < c->n; r++) {
            if (!d->seen[r] && (pass == 1 || start[r] > 0)) {
                dfs_from(c, d, (uint32_t)r);
            }
        }
    }
}

/* backp[s]: probability of s's edges into states not after s in the sweep order. */
static void
chain_backp(struct ut__mk_chain *c, const double *outw, const struct ut__mk_edge *e, size_t ne,
            size_t *pos)
{
    for (size_t k = 0; k < c->n; k++) {
        pos[c->order[k]] = k;
    }
    for (size_t k = 0; k < ne; k++) {
        if (pos[e[k].to] <= pos[e[k].from]) {
            c->backp[e[k].from] += e[k].w / outw[e[k].from];
        }
    }
}

/* Out-edge lists for the DFS: out_ptr (n + 1, zeroed) and out_dst (ne). */
static void
chain_out_edges(size_t n, const struct ut__mk_edge *e, size_t ne, size_t *out_ptr,
                uint32_t *out_dst, size_t *cur)
{
    for (size_t k = 0; k < ne; k++) {
        out_ptr[e[k].from + 1]++;
    }
    for (size_t s = 0; s < n; s++) {
        out_ptr[s + 1] += out_ptr[s];
        cur[s] = out_ptr[s];
    }
    for (size_t k = 0; k < ne; k++) {
        out_dst[cur[e[k].from]++] = e[k].to;
    }
}

/* Out-weights, start distribution and conversion probabilities. */
static void
chain_probs(struct ut__mk_chain *c, const double *start, const double *conv, const double *nulls,
            const struct ut__mk_edge *e, size_t ne, double *outw)
{
    double total = 0;

    for (size_t s = 0; s < c->n; s++) {
        outw[s] = conv[s] + nulls[s];
        total += start[s];
    }
    for (size_t k = 0; k < ne; k++) {
        outw[e[k].from] += e[k].w;
    }
    for (size_t s = 0; s < c->n; s++) {
        c->b[s] = total > 0 ? start[s] / total : 0;
        c->conv_p[s] = outw[s] > 0 ? conv[s] / outw[s] : 0;
    }
}

int
ut__mk_chain_init(struct ut__mk_chain *c, size_t n, const double *start, const double *conv,
                  const double *nulls, const struct ut__mk_edge *e, size_t ne)
{
    double *outw = ut_calloc(n, sizeof(*outw));
    size_t *cur = ut_calloc(n, sizeof(*cur));
    size_t *out_ptr = ut_calloc(n + 1, sizeof(*out_ptr));
    uint32_t *out_dst = ut_calloc(ne, sizeof(*out_dst));
    uint32_t *stack = ut_calloc(n, sizeof(*stack));
    unsigned char *seen = ut_calloc(n, 1);
    struct dfs d;
    int err = UT_ENOMEM;

    memset(c, 0, sizeof(*c));
    if (outw == NULL || cur == NULL || out_ptr == NULL || out_dst == NULL || stack == NULL ||
        seen == NULL || chain_alloc(c, n, ne) != UT_OK) {
        ut__mk_chain_release(c);
        goto out;
    }
    chain_probs(c, start, conv, nulls, e, ne, outw);
    chain_fill_in_edges(c, outw, e, ne, cur);
    chain_out_edges(n, e, ne, out_ptr, out_dst, cur);
    d.out_ptr = out_ptr;
    d.out_dst = out_dst;
    d.stack = stack;
    d.cursor = cur;
    d.seen = seen;
    chain_order(c, start, &d);
    chain_backp(c, outw, e, ne, cur);
    err = UT_OK;
out:
    ut_free(outw);
    ut_free(cur);
    ut_free(out_ptr);
    ut_free(out_dst);
    ut_free(stack);
    ut_free(seen);
    return err;
}

/* ---- Gauss-Seidel ---------------------------------------------------------- */

/* One sweep; returns the residual bound and adds the conversion probability to *pconv. */
static double
gs_sweep(const struct ut__mk_chain *c, const unsigned char *removed, const double *rhs, double *x,
         double *pconv)
{
    double bound = 0, p = 0;

    for (size_t k = 0; k < c->n; k++) {
        uint32_t t = c->order[k];
        double v = rhs[t];

        if (removed != NULL && removed[t]) {
            continue; /* stays 0: absorbing, passes nothing on */
        }
        for (size_t e = c->in_ptr[t]; e < c->in_ptr[t + 1]; e++) {
            v += c->in_p[e] * x[c->in_src[e]];
        }
        bound += fabs(v - x[t]) * c->backp[t];
        x[t] = v;
        p += v * c->conv_p[t];
    }
    *pconv = p;
    return bound;
}

/*
 * Sweep from x = 0 until the error bound is met: 1 if it was, 0 after
 * max_sweeps. A bound of 0 is an exact fixed point; otherwise it is judged
 * against ref = max(scale, this solve's conversion mass), so it waits for a
 * positive ref.
 */
static int
gs_run(const struct ut__mk_chain *c, const unsigned char *removed, const double *rhs, double scale,
       size_t max_sweeps, double *x)
{
    double best = HUGE_VAL;
    int stall = 0;

    memset(x, 0, c->n * sizeof(*x));
    for (size_t sweep = 0; sweep < max_sweeps; sweep++) {
        double pconv;
        double bound = gs_sweep(c, removed, rhs, x, &pconv);
        double ref = fmax(scale, pconv);

        if (bound == 0 || (ref > 0 && bound <= GS_TOL * ref)) {
            return 1;
        }
        if (bound < best) {
            best = bound;
            stall = 0;
        } else if (++stall >= GS_STALL && bound <= GS_FLOOR * ref) {
            return 1;
        }
    }
    return 0;
}

/* ---- dispatch ------------------------------------------------------------------ */

/*
 * Sweeps Gauss-Seidel may take. With a dense fallback: about the work of one
 * factorisation (m^3 / 3 against nedges + n per sweep), so a slowly converging
 * system costs at most about twice the better method. Without: a work cap.
 */
static size_t
gs_budget(const struct ut__mk_chain *c, size_t m)
{
    double sweep = (double)(c->nedges + c->n + 1);
    double sweeps = (double)m * (double)m * (double)m / 3 / sweep;
    double most = GS_SOFT_SWEEPS;

    if (m > DENSE_MAX) {
        sweeps = GS_HARD_WORK / sweep;
        most = GS_HARD_SWEEPS;
    }
    sweeps = sweeps > most ? most : sweeps;
    return sweeps < GS_MIN_SWEEPS ? GS_MIN_SWEEPS : (size_t)sweeps;
}

int
ut__mk_solve(const struct ut__mk_chain *c, const unsigned char *removed, const double *rhs,
             double scale, enum ut__mk_method method, double *x, enum ut__mk_method *used)
{
    size_t m = 0;
    enum ut__mk_method dummy;

    if (used == NULL) {
        used = &dummy;
    }
    if (rhs == NULL) {
        rhs = c->b;
    }
    for (size_t s = 0; s < c->n; s++) {
        m += (removed == NULL || !removed[s]) ? 1 : 0;
    }
    *used = UT__MK_DENSE;
    if (method == UT__MK_DENSE || (method == UT__MK_AUTO && m <= DENSE_SMALL)) {
        return ut__mk_dense_solve(c, removed, rhs, x);
    }
    if (gs_run(c, removed, rhs, scale,
               method == UT__MK_ITERATIVE ? GS_HARD_SWEEPS : gs_budget(c, m), x)) {
        *used = UT__MK_ITERATIVE;
        return UT_OK;
    }
    if (method == UT__MK_AUTO && m <= DENSE_MAX) {
        return ut__mk_dense_solve(c, removed, rhs, x);
    }
    return UT_ELIMIT;
}
