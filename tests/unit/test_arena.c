/*
 * tests/unit/test_arena.c - util/arena: alignment, chunk growth, large
 * allocations beside the current chunk, the hard cap, OOM and release.
 */
#include "util/setup.h"

#include "t.h"

#include <stdalign.h>

#include "util/alloc.h"
#include "util/arena.h"
#include "utmost/common.h"

TEST(empty_arena_allocates_nothing)
{
    struct ut_arena a = UT_ARENA_INIT;
    long live = ut_alloc_live();

    T_EQ_I64(ut_alloc_live(), live);
    T_OK(ut_arena_err(&a));
    ut_arena_release(&a);
    ut_arena_release(&a); /* releasing an empty arena twice is fine */
    T_EQ_SIZE(a.used, 0);
}

TEST(alignment_and_distinct_pointers)
{
    struct ut_arena a;
    char *prev = NULL;

    ut_arena_init(&a, 256, 0);
    for (size_t i = 0; i < 1000; i++) {
        char *p = ut_arena_alloc(&a, i % 37);

        T_NOTNULL(p);
        T_EQ_SIZE((uintptr_t)p % alignof(max_align_t), 0);
        T_TRUE(p != prev);
        memset(p, 0xab, i % 37); /* ASan checks the bytes are ours */
        prev = p;
    }
    ut_arena_release(&a);
}

TEST(strdup_copies_and_terminates)
{
    struct ut_arena a;
    struct ut_str s, e;
    char src[] = "hello world";

    ut_arena_init(&a, 0, 0);
    s = ut_arena_strdup(&a, src, 5);
    src[0] = 'J';
    T_EQ_SIZE(s.len, 5);
    T_EQ_STR(s.ptr, "hello");
    T_EQ_STR(src, "Jello world"); /* the source changed, the copy did not */
    e = ut_arena_strdup(&a, NULL, 0);
    T_NOTNULL(e.ptr);
    T_EQ_SIZE(e.len, 0);
    T_EQ_STR(e.ptr, "");
    /* Strings are packed (no alignment padding): two 3-byte copies are 4 bytes apart. */
    s = ut_arena_strdup(&a, "abc", 3);
    e = ut_arena_strdup(&a, "def", 3);
    T_EQ_I64(e.ptr - s.ptr, 4);
    ut_arena_release(&a);
}

TEST(large_allocation_keeps_current_chunk)
{
    struct ut_arena a;
    char *small1, *big, *small2;

    ut_arena_init(&a, 1024, 0);
    small1 = ut_arena_alloc(&a, 16);
    big = ut_arena_alloc(&a, 100000);
    small2 = ut_arena_alloc(&a, 16);
    T_NOTNULL(small1);
    T_NOTNULL(big);
    memset(big, 1, 100000);
    /* The big block got its own chunk: the small ones still share the first. */
    T_EQ_I64(small2 - small1, 16);
    ut_arena_release(&a);
}

TEST(chunks_grow_and_release_frees_all)
{
    struct ut_arena a;
    long live = ut_alloc_live();

    ut_arena_init(&a, 64, 0);
    for (int i = 0; i < 5000; i++) {
        T_NOTNULL(ut_arena_alloc(&a, 24));
    }
    T_TRUE(ut_alloc_live() - live < 20); /* doubling: few chunks for 120 KB */
    ut_arena_release(&a);
    T_EQ_I64(ut_alloc_live(), live);
    T_EQ_SIZE(a.used, 0);
    /* Reusable after release, with the same first chunk size and cap. */
    T_NOTNULL(ut_arena_alloc(&a, 10));
    T_EQ_SIZE(a.next_size, 128);
    ut_arena_release(&a);
}

TEST(cap_turns_into_allocation_failure)
{
    struct ut_arena a;
    size_t got = 0;

    ut_arena_init(&a, 1024, 8192);
    while (ut_arena_alloc(&a, 100) != NULL) {
        got += 100;
        T_TRUE(got <= 8192);
    }
    T_TRUE(got > 6000); /* the last chunk is shrunk to the remaining budget */
    T_ERR(ut_arena_err(&a), UT_ELIMIT);
    T_TRUE(a.used <= 8192);
    T_NULL(ut_arena_alloc(&a, 100000));
    T_NOTNULL(ut_arena_strdup(&a, "x", 1).ptr); /* what still fits the last chunk is served */
    {
        char big[300];

        memset(big, 'y', sizeof(big));
        T_NULL(ut_arena_strdup(&a, big, sizeof(big)).ptr);
    }
    ut_arena_release(&a);
    T_OK(ut_arena_err(&a));
}

TEST(oversized_requests_fail_cleanly)
{
    struct ut_arena a;

    ut_arena_init(&a, 0, 0);
    T_NULL(ut_arena_alloc(&a, SIZE_MAX));
    T_ERR(ut_arena_err(&a), UT_ENOMEM);
    T_NULL(ut_arena_alloc(&a, SIZE_MAX - 8));
    T_NULL(ut_arena_strdup(&a, "x", SIZE_MAX).ptr);
    T_NOTNULL(ut_arena_alloc(&a, 8)); /* still usable */
    ut_arena_release(&a);
}

TEST(out_of_memory)
{
    struct ut_arena a;

    ut_arena_init(&a, 128, 0);
    T_NOTNULL(ut_arena_alloc(&a, 8)); /* first chunk */
    ut_alloc_fail_after(1);
    T_NOTNULL(ut_arena_alloc(&a, 8)); /* served from the chunk: no ut_malloc */
    T_NULL(ut_arena_alloc(&a, 4096));
    T_ERR(ut_arena_err(&a), UT_ENOMEM);
    ut_alloc_fail_after(0);
    T_NOTNULL(ut_arena_alloc(&a, 4096));
    ut_arena_release(&a);
}

TEST(zero_size_gives_unique_pointers)
{
    struct ut_arena a;
    void *p, *q;

    ut_arena_init(&a, 0, 0);
    p = ut_arena_alloc(&a, 0);
    q = ut_arena_alloc(&a, 0);
    T_NOTNULL(p);
    T_NOTNULL(q);
    T_TRUE(p != q);
    ut_arena_release(&a);
}

T_LIST(T_CASE(empty_arena_allocates_nothing), T_CASE(alignment_and_distinct_pointers),
       T_CASE(strdup_copies_and_terminates), T_CASE(large_allocation_keeps_current_chunk),
       T_CASE(chunks_grow_and_release_frees_all), T_CASE(cap_turns_into_allocation_failure),
       T_CASE(oversized_requests_fail_cleanly), T_CASE(out_of_memory),
       T_CASE(zero_size_gives_unique_pointers))
T_MAIN()
