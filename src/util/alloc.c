/*
 * util/alloc.c - the allocation wrappers. Counting is cheap (one relaxed
 * atomic add) and always on, so a leak shows up in any test binary.
 */
#include "util/setup.h"

#include "util/alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "utmost/common.h"

static atomic_long alloc_live;
static long alloc_fail_countdown; /* 0: never fail */

static int
alloc_should_fail(void)
{
    if (alloc_fail_countdown <= 0) {
        return 0;
    }
    if (alloc_fail_countdown == 1) {
        return 1; /* stays at 1: every later call fails too */
    }
    alloc_fail_countdown--;
    return 0;
}

void
ut_alloc_fail_after(long n)
{
    alloc_fail_countdown = n;
}

long
ut_alloc_live(void)
{
    return atomic_load_explicit(&alloc_live, memory_order_relaxed);
}

void *
ut_malloc(size_t size)
{
    void *p;

    if (alloc_should_fail()) {
        return NULL;
    }
    p = malloc(size == 0 ? 1 : size);
    if (p != NULL) {
        atomic_fetch_add_explicit(&alloc_live, 1, memory_order_relaxed);
    }
    return p;
}

void *
ut_calloc(size_t n, size_t size)
{
    void *p;

    if (alloc_should_fail()) {
        return NULL;
    }
    p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);
    if (p != NULL) {
        atomic_fetch_add_explicit(&alloc_live, 1, memory_order_relaxed);
    }
    return p;
}

void *
ut_realloc(void *ptr, size_t size)
{
    void *p;

    if (ptr == NULL) {
        return ut_malloc(size);
    }
    if (alloc_should_fail()) {
        return NULL;
    }
    p = realloc(ptr, size == 0 ? 1 : size);
    return p;
}

void
ut_free(void *ptr)
{
    if (ptr == NULL) {
        return;
    }
    atomic_fetch_sub_explicit(&alloc_live, 1, memory_order_relaxed);
    free(ptr);
}

int
ut_size_mul(size_t a, size_t b, size_t *out)
{
    return __builtin_mul_overflow(a, b, out) ? -1 : 0;
}

int
ut_size_add(size_t a, size_t b, size_t *out)
{
    return __builtin_add_overflow(a, b, out) ? -1 : 0;
}

int
ut_grow(void **ptr, size_t *cap, size_t need, size_t elem)
{
    size_t ncap = *cap != 0 ? *cap : 8;
    size_t bytes;
    void *p;

    if (need <= *cap) {
        return UT_OK;
    }
    while (ncap < need) {
        if (ut_size_mul(ncap, 2, &ncap) != 0) {
            return UT_ENOMEM;
        }
    }
    if (ut_size_mul(ncap, elem, &bytes) != 0) {
        return UT_ENOMEM;
    }
    p = ut_realloc(*ptr, bytes);
    if (p == NULL) {
        return UT_ENOMEM;
    }
    *ptr = p;
    *cap = ncap;
    return UT_OK;
}

void
ut_advise_huge(void *p, size_t len)
{
#if defined(MADV_HUGEPAGE)
    const size_t huge = (size_t)2 << 20;
    size_t head = (huge - (size_t)((uintptr_t)p % huge)) % huge; /* up to the first boundary */

    if (len > head && (len - head) / huge != 0) {
        (void)madvise((char *)p + head, (len - head) / huge * huge, MADV_HUGEPAGE);
    }
#else
    (void)p;
    (void)len;
#endif
}
