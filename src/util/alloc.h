/*
 * util/alloc.h - every allocation of the library goes through these wrappers,
 * so tests can count live blocks and fail the Nth call (OOM tests). Raw
 * malloc/free anywhere else is rejected by scripts/checksrc.sh.
 */
#ifndef UT_UTIL_ALLOC_H
#define UT_UTIL_ALLOC_H

#include <stddef.h>

void *ut_malloc(size_t size);
void *ut_calloc(size_t n, size_t size);
void *ut_realloc(void *ptr, size_t size);
void ut_free(void *ptr);

/* Multiply/add with overflow checks: return 0 and set *out, or -1 on overflow. */
int ut_size_mul(size_t a, size_t b, size_t *out);
int ut_size_add(size_t a, size_t b, size_t *out);

/*
 * Grow *ptr (an array of *cap elements of size elem) so that it holds at least
 * need elements, doubling. Returns 0 or UT_ENOMEM (the array is then untouched).
 */
int ut_grow(void **ptr, size_t *cap, size_t need, size_t elem);

/*
 * Ask the kernel for huge pages behind [p, p + len) (Linux transparent huge
 * pages in "madvise" mode): big arrays walked at random miss the TLB less. A
 * hint only; does nothing where unsupported.
 */
void ut_advise_huge(void *p, size_t len);

#define UT_FREE_AND_NULL(p)                                                                        \
    do {                                                                                           \
        ut_free(p);                                                                                \
        (p) = NULL;                                                                                \
    } while (0)

/*
 * Test hooks. ut_alloc_fail_after(n): the n-th allocation from now (1-based)
 * and every later one fail until ut_alloc_fail_after(0). ut_alloc_live(): blocks
 * allocated and not yet freed. Not thread-safe; meant for single-threaded tests.
 */
void ut_alloc_fail_after(long n);
long ut_alloc_live(void);

#endif /* UT_UTIL_ALLOC_H */
