/*
 * util/arena.h - a per-request bump allocator (nginx's ngx_pool, h2o's
 * mem_pool): many small allocations, one release. Memory comes from
 * ut_malloc in chunks; a hard cap on those bytes turns a runaway request into
 * an allocation failure instead of unbounded memory. Not thread-safe: one
 * arena belongs to one request at a time.
 *
 * Ownership: everything handed out by an arena belongs to the arena and stays
 * valid and unmoved until ut_arena_release(); nothing is freed one by one.
 */
#ifndef UT_UTIL_ARENA_H
#define UT_UTIL_ARENA_H

#include <stddef.h>

#include "util/str.h"

struct ut_arena_chunk; /* private to arena.c */

struct ut_arena {
    struct ut_arena_chunk *head; /* newest chunk; each links to the previous one */
    char *cur, *end;             /* free bytes of head */
    size_t first_size;           /* payload size of the first chunk */
    size_t next_size;            /* payload size of the next ordinary chunk */
    size_t used;                 /* bytes obtained from ut_malloc, headers included */
    size_t max;                  /* hard cap on used (0 = no cap) */
    int err; /* why the last allocation failed: UT_ENOMEM, UT_ELIMIT; or UT_OK */
};

/* Default payload of the first chunk when ut_arena_init gets 0. */
#define UT_ARENA_CHUNK_DEFAULT 4096u

/* An empty arena (first chunk UT_ARENA_CHUNK_DEFAULT, no cap); allocates nothing. */
#define UT_ARENA_INIT                                                                              \
    {                                                                                              \
        NULL, NULL, NULL, UT_ARENA_CHUNK_DEFAULT, UT_ARENA_CHUNK_DEFAULT, 0, 0, 0                  \
    }

/*
 * Set up an empty arena. chunk_size is the first chunk's payload (0 picks
 * UT_ARENA_CHUNK_DEFAULT; later chunks double up to 1 MiB); max caps the bytes
 * the arena may take from ut_malloc (0 = unlimited). Allocates nothing.
 */
void ut_arena_init(struct ut_arena *a, size_t chunk_size, size_t max);

/*
 * size bytes aligned for any type (max_align_t), owned by the arena. Returns
 * NULL when ut_malloc fails (a->err = UT_ENOMEM) or the cap would be passed
 * (a->err = UT_ELIMIT); the arena stays usable for smaller requests. A size of
 * 0 returns a valid unique pointer.
 */
void *ut_arena_alloc(struct ut_arena *a, size_t size);

/*
 * Copy s[0..len) into the arena with a NUL after it; returns the copy as a
 * view (len unchanged). s may be NULL only when len is 0. On failure returns
 * UT_STR_NULL and a->err says why, as for ut_arena_alloc.
 */
struct ut_str ut_arena_strdup(struct ut_arena *a, const char *s, size_t len);

/* Why the last failed allocation failed (UT_ENOMEM, UT_ELIMIT); UT_OK if none has. */
int ut_arena_err(const struct ut_arena *a);

/*
 * Free every chunk: all pointers the arena handed out die. The arena is left
 * empty and reusable with the same first-chunk size and cap; releasing an
 * empty arena is a no-op.
 */
void ut_arena_release(struct ut_arena *a);

#endif /* UT_UTIL_ARENA_H */
