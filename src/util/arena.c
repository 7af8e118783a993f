/*
 * util/arena.c - the bump allocator. Ordinary chunks double from the first
 * size up to ARENA_CHUNK_MAX; a request larger than a quarter of the next
 * chunk (and than ARENA_LARGE_MIN) gets a chunk of its own, linked behind the
 * current one so the free tail of the current chunk is not wasted. Never
 * frees anything before ut_arena_release().
 */
#include "util/setup.h"

#include "util/arena.h"

#include <stdalign.h>
#include <string.h>

#include "util/alloc.h"
#include "utmost/common.h"

/* Ordinary chunks stop doubling here. */
#define ARENA_CHUNK_MAX ((size_t)1 << 20)
/* Requests above this and above a quarter of the next chunk get a chunk of their own. */
#define ARENA_LARGE_MIN 512u

struct ut_arena_chunk {
    struct ut_arena_chunk *prev;
};

/* Chunk header rounded up so the payload keeps ut_malloc's max_align_t alignment. */
#define ARENA_HDR                                                                                  \
    ((sizeof(struct ut_arena_chunk) + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1))

void
ut_arena_init(struct ut_arena *a, size_t chunk_size, size_t max)
{
    if (chunk_size == 0) {
        chunk_size = UT_ARENA_CHUNK_DEFAULT;
    }
    a->head = NULL;
    a->cur = NULL;
    a->end = NULL;
    a->first_size = chunk_size;
    a->next_size = chunk_size;
    a->used = 0;
    a->max = max;
    a->err = UT_OK;
}

void
ut_arena_release(struct ut_arena *a)
{
    struct ut_arena_chunk *c = a->head;

    while (c != NULL) {
        struct ut_arena_chunk *prev = c->prev;

        ut_free(c);
        c = prev;
    }
    ut_arena_init(a, a->first_size, a->max);
}

int
ut_arena_err(const struct ut_arena *a)
{
    return a->err;
}

/*
 * A new chunk able to hold need bytes (already padded for alignment). Ordinary
 * chunks become the head; a large one is linked behind the head. Returns the
 * start of the new payload or NULL with a->err set.
 */
static char *
arena_new_chunk(struct ut_arena *a, size_t need)
{
    int large = need > ARENA_LARGE_MIN && need > a->next_size / 4;
    size_t payload = large || need > a->next_size ? need : a->next_size;
    size_t total;
    struct ut_arena_chunk *c;

    if (ut_size_add(payload, ARENA_HDR, &total) != 0) {
        a->err = UT_ENOMEM;
        return NULL;
    }
    if (a->max != 0 && (a->used > a->max || total > a->max - a->used)) {
        /* Shrink an ordinary chunk to the remaining budget when the request still fits. */
        if (a->used > a->max || a->max - a->used < need + ARENA_HDR) {
            a->err = UT_ELIMIT;
            return NULL;
        }
        total = a->max - a->used;
        payload = total - ARENA_HDR;
    }
    c = ut_malloc(total);
    if (c == NULL) {
        a->err = UT_ENOMEM;
        return NULL;
    }
    a->used += total;
    if (large && a->head != NULL) {
        c->prev = a->head->prev;
        a->head->prev = c;
        return (char *)c + ARENA_HDR;
    }
    c->prev = a->head;
    a->head = c;
    a->cur = (char *)c + ARENA_HDR;
    a->end = a->cur + payload;
    if (!large && a->next_size < ARENA_CHUNK_MAX) {
        a->next_size *= 2;
    }
    return a->cur;
}

/* size bytes aligned to align (a power of two no larger than max_align_t's). */
static void *
arena_alloc_aligned(struct ut_arena *a, size_t size, size_t align)
{
    size_t pad, avail;
    char *p;

    if (size == 0) {
        size = 1; /* a unique pointer, as malloc(0) may give */
    }
    if (a->cur != NULL) {
        pad = (align - ((uintptr_t)a->cur & (align - 1))) & (align - 1);
        avail = (size_t)(a->end - a->cur);
        if (pad <= avail && size <= avail - pad) {
            p = a->cur + pad;
            a->cur = p + size;
            return p;
        }
    }
    /* A fresh payload starts max_align_t-aligned, so no padding is needed there. */
    p = arena_new_chunk(a, size);
    if (p == NULL) {
        return NULL;
    }
    if (p == a->cur) {
        a->cur += size;
    }
    return p;
}

void *
ut_arena_alloc(struct ut_arena *a, size_t size)
{
    return arena_alloc_aligned(a, size, alignof(max_align_t));
}

struct ut_str
ut_arena_strdup(struct ut_arena *a, const char *s, size_t len)
{
    size_t need;
    char *p;

    if (ut_size_add(len, 1, &need) != 0) {
        a->err = UT_ENOMEM;
        return UT_STR_NULL;
    }
    p = arena_alloc_aligned(a, need, 1);
    if (p == NULL) {
        return UT_STR_NULL;
    }
    if (len != 0) {
        memcpy(p, s, len);
    }
    p[len] = '\0';
    return ut_str_make(p, len);
}
