/*
 * util/hash.c - the byte hash, the string interner and the uint64 map.
 * Tables stay at most half full so probes stay short.
 */
#include "util/setup.h"

#include "util/hash.h"

#include <string.h>

#include "util/alloc.h"
#include "utmost/common.h"

static inline uint64_t
load64(const unsigned char *p)
{
    uint64_t v;

    memcpy(&v, p, 8);
    return v;
}

static inline uint64_t
mix(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;

    return (uint64_t)(r >> 64) ^ (uint64_t)r;
}

uint64_t
ut_hash_bytes(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = seed ^ 0x9e3779b97f4a7c15ULL ^ (len * 0xff51afd7ed558ccdULL);
    uint64_t tail = 0;
    size_t i;

    for (i = 0; i + 8 <= len; i += 8) {
        h = mix(h ^ load64(p + i), 0xa0761d6478bd642fULL);
    }
    for (size_t k = 0; i + k < len; k++) {
        tail |= (uint64_t)p[i + k] << (8 * k);
    }
    h = mix(h ^ tail, 0xe7037ed1a0b428dbULL);
    return ut_hash_u64(h);
}

/* ---- string interner ---------------------------------------------------- */

#define STRTAB_CHUNK (64 * 1024)

void
ut_strtab_init(struct ut_strtab *t)
{
    memset(t, 0, sizeof(*t));
}

void
ut_strtab_release(struct ut_strtab *t)
{
    for (size_t i = 0; i < t->nchunks; i++) {
        ut_free(t->chunks[i]);
    }
    ut_free(t->chunks);
    ut_free(t->slots);
    ut_free(t->hashes);
    ut_free(t->strs);
    ut_free(t->lens);
    ut_strtab_init(t);
}

static int
strtab_rehash(struct ut_strtab *t, size_t nslots)
{
    uint32_t *slots = ut_calloc(nslots, sizeof(*slots));
    size_t mask = nslots - 1;

    if (slots == NULL) {
        return UT_ENOMEM;
    }
    for (size_t id = 0; id < t->count; id++) {
        size_t i = t->hashes[id] & mask;

        while (slots[i] != 0) {
            i = (i + 1) & mask;
        }
        slots[i] = (uint32_t)id + 1;
    }
    ut_free(t->slots);
    t->slots = slots;
    t->mask = mask;
    return UT_OK;
}

static char *
strtab_store(struct ut_strtab *t, const char *s, size_t len)
{
    char *p;

    if (t->chunk == NULL || t->chunk_cap - t->chunk_used < len + 1) {
        size_t cap = len + 1 > STRTAB_CHUNK ? len + 1 : STRTAB_CHUNK;

        if (ut_grow((void **)&t->chunks, &t->chunks_cap, t->nchunks + 1, sizeof(void *)) !=
            UT_OK) {
            return NULL;
        }
        t->chunk = ut_malloc(cap);
        if (t->chunk == NULL) {
            return NULL;
        }
        t->chunks[t->nchunks++] = t->chunk;
        t->chunk_cap = cap;
        t->chunk_used = 0;
    }
    p = t->chunk + t->chunk_used;
    if (len != 0) {
        memcpy(p, s, len);
    }
    p[len] = '\0';
    t->chunk_used += len + 1;
    return p;
}

static size_t
strtab_probe(const struct ut_strtab *t, const char *s, size_t len, uint32_t h, uint32_t *found)
{
    size_t i = h & t->mask;

    for (;;) {
        uint32_t v = t->slots[i];

        if (v == 0) {
            *found = 0;
            return i;
        }
        if (t->hashes[v - 1] == h && t->lens[v - 1] == len &&
            memcmp(t->strs[v - 1], s, len) == 0) {
            *found = v;
            return i;
        }
        i = (i + 1) & t->mask;
    }
}

int
ut_strtab_find(const struct ut_strtab *t, const char *s, size_t len, uint32_t *id)
{
    uint32_t found;

    if (t->slots == NULL) {
        return UT_ENOTFOUND;
    }
    (void)strtab_probe(t, s, len, (uint32_t)ut_hash_bytes(s, len, 0), &found);
    if (found == 0) {
        return UT_ENOTFOUND;
    }
    *id = found - 1;
    return UT_OK;
}

int
ut_strtab_intern(struct ut_strtab *t, const char *s, size_t len, uint32_t *id)
{
    uint32_t h = (uint32_t)ut_hash_bytes(s, len, 0);
    uint32_t found;
    size_t slot;
    char *copy;
    int err;

    if (len > UINT32_MAX) {
        return UT_ELIMIT;
    }
    if (t->slots == NULL || (t->count + 1) * 2 > t->mask + 1) {
        err = strtab_rehash(t, t->slots == NULL ? 64 : (t->mask + 1) * 2);
        if (err != UT_OK) {
            return err;
        }
    }
    slot = strtab_probe(t, s, len, h, &found);
    if (found != 0) {
        *id = found - 1;
        return UT_OK;
    }
    if (t->count >= UINT32_MAX - 1) {
        return UT_ELIMIT;
    }
    if (t->count == t->cap) {
        size_t cap = t->cap;

        err = ut_grow((void **)&t->strs, &cap, t->count + 1, sizeof(*t->strs));
        if (err == UT_OK) {
            cap = t->cap;
            err = ut_grow((void **)&t->lens, &cap, t->count + 1, sizeof(*t->lens));
        }
        if (err == UT_OK) {
            cap = t->cap;
            err = ut_grow((void **)&t->hashes, &cap, t->count + 1, sizeof(*t->hashes));
        }
        if (err != UT_OK) {
            return err;
        }
        t->cap = cap;
    }
    copy = strtab_store(t, s, len);
    if (copy == NULL) {
        return UT_ENOMEM;
    }
    t->strs[t->count] = copy;
    t->lens[t->count] = (uint32_t)len;
    t->hashes[t->count] = h;
    t->slots[slot] = (uint32_t)t->count + 1;
    *id = (uint32_t)t->count;
    t->count++;
    return UT_OK;
}

const char *
ut_strtab_get(const struct ut_strtab *t, uint32_t id, size_t *len)
{
    if (id >= t->count) {
        if (len != NULL) {
            *len = 0;
        }
        return NULL;
    }
    if (len != NULL) {
        *len = t->lens[id];
    }
    return t->strs[id];
}

/* ---- uint64 map --------------------------------------------------------- */

#define U64MAP_EMPTY UINT64_MAX

void
ut_u64map_init(struct ut_u64map *m)
{
    memset(m, 0, sizeof(*m));
}

void
ut_u64map_release(struct ut_u64map *m)
{
    ut_free(m->keys);
    ut_free(m->vals);
    ut_u64map_init(m);
}

static int
u64map_resize(struct ut_u64map *m, size_t nslots)
{
    uint64_t *keys = ut_malloc(nslots * sizeof(*keys));
    uint64_t *vals = ut_malloc(nslots * sizeof(*vals));
    size_t mask = nslots - 1;

    if (keys == NULL || vals == NULL) {
        ut_free(keys);
        ut_free(vals);
        return UT_ENOMEM;
    }
    memset(keys, 0xff, nslots * sizeof(*keys));
    if (m->keys != NULL) {
        for (size_t i = 0; i <= m->mask; i++) {
            size_t j;

            if (m->keys[i] == U64MAP_EMPTY) {
                continue;
            }
            j = ut_hash_u64(m->keys[i]) & mask;
            while (keys[j] != U64MAP_EMPTY) {
                j = (j + 1) & mask;
            }
            keys[j] = m->keys[i];
            vals[j] = m->vals[i];
        }
    }
    ut_free(m->keys);
    ut_free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->mask = mask;
    return UT_OK;
}

int
ut_u64map_reserve(struct ut_u64map *m, size_t n)
{
    size_t nslots = 16;

    while (nslots < n * 2) {
        nslots *= 2;
    }
    if (m->keys != NULL && nslots <= m->mask + 1) {
        return UT_OK;
    }
    return u64map_resize(m, nslots);
}

int
ut_u64map_upsert(struct ut_u64map *m, uint64_t key, uint64_t init, uint64_t **val, int *inserted)
{
    size_t i;

    if (key == U64MAP_EMPTY) {
        return UT_EINVAL;
    }
    if (m->keys == NULL || (m->count + 1) * 2 > m->mask + 1) {
        int err = u64map_resize(m, m->keys == NULL ? 16 : (m->mask + 1) * 2);

        if (err != UT_OK) {
            return err;
        }
    }
    i = ut_hash_u64(key) & m->mask;
    while (m->keys[i] != U64MAP_EMPTY) {
        if (m->keys[i] == key) {
            *val = &m->vals[i];
            if (inserted != NULL) {
                *inserted = 0;
            }
            return UT_OK;
        }
        i = (i + 1) & m->mask;
    }
    m->keys[i] = key;
    m->vals[i] = init;
    m->count++;
    *val = &m->vals[i];
    if (inserted != NULL) {
        *inserted = 1;
    }
    return UT_OK;
}

uint64_t *
ut_u64map_get(const struct ut_u64map *m, uint64_t key)
{
    size_t i;

    if (m->keys == NULL || key == U64MAP_EMPTY) {
        return NULL;
    }
    i = ut_hash_u64(key) & m->mask;
    while (m->keys[i] != U64MAP_EMPTY) {
        if (m->keys[i] == key) {
            return &m->vals[i];
        }
        i = (i + 1) & m->mask;
    }
    return NULL;
}
