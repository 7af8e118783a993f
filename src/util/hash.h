/*
 * util/hash.h - hashing and two open-addressing tables used by the engine:
 * a string interner (bytes -> dense uint32 ids) and a uint64 -> uint64 map.
 * Neither is thread-safe; both keep memory until released.
 */
#ifndef UT_UTIL_HASH_H
#define UT_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

/* 64-bit hash of len bytes (not cryptographic; fine for in-memory tables). */
uint64_t ut_hash_bytes(const void *data, size_t len, uint64_t seed);

/* Finaliser for integer keys (a bijection on uint64). */
static inline uint64_t
ut_hash_u64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/*
 * String interner: each distinct byte string gets the next id (0, 1, ...).
 * Interned bytes are copied, NUL-terminated, and stay valid and unmoved until
 * ut_strtab_release().
 */
struct ut_strtab {
    uint32_t *slots;  /* id + 1 per slot, 0 = empty */
    uint32_t *hashes; /* low 32 bits of each id's hash, indexed by id */
    size_t mask;      /* slots - 1 (power of two) */
    char **strs;      /* per id: the bytes */
    uint32_t *lens;   /* per id: length */
    size_t count, cap;
    char *chunk; /* current arena chunk */
    size_t chunk_used, chunk_cap;
    void **chunks; /* every chunk, for release */
    size_t nchunks, chunks_cap;
};

void ut_strtab_init(struct ut_strtab *t);
void ut_strtab_release(struct ut_strtab *t);
/* Intern s[0..len) and store its id in *id. Returns UT_OK, UT_ENOMEM or UT_ELIMIT (2^32-1 ids). */
int ut_strtab_intern(struct ut_strtab *t, const char *s, size_t len, uint32_t *id);
/* Look s up without inserting: UT_OK with *id, or UT_ENOTFOUND. */
int ut_strtab_find(const struct ut_strtab *t, const char *s, size_t len, uint32_t *id);
/* Bytes of id (borrowed, NUL-terminated); *len receives the length if not NULL. */
const char *ut_strtab_get(const struct ut_strtab *t, uint32_t id, size_t *len);

/*
 * uint64 -> uint64 map with linear probing. The key UINT64_MAX is reserved
 * (marks empty slots).
 */
struct ut_u64map {
    uint64_t *keys;
    uint64_t *vals;
    size_t mask;
    size_t count;
};

void ut_u64map_init(struct ut_u64map *m);
void ut_u64map_release(struct ut_u64map *m);
/* Size the table for n keys in advance (optional). */
int ut_u64map_reserve(struct ut_u64map *m, size_t n);
/*
 * Find key or insert it with value init; *val points at the stored value (valid
 * until the next insertion). *inserted (if not NULL) tells which happened.
 */
int ut_u64map_upsert(struct ut_u64map *m, uint64_t key, uint64_t init, uint64_t **val,
                     int *inserted);
/* Pointer to key's value or NULL. */
uint64_t *ut_u64map_get(const struct ut_u64map *m, uint64_t key);

#endif /* UT_UTIL_HASH_H */
