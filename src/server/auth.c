/*
 * server/auth.c - API keys: generation (random, from OpenSSL), hashing
 * (SHA-256; only hashes are stored), a small cache in front of the store so a
 * request costs no database read, and a token bucket per key. Cached answers
 * live SRV_KEY_TTL seconds: a key created or revoked from the shell while the
 * server runs takes effect within that time.
 */
#include "util/setup.h"

#include <openssl/rand.h>
#include <openssl/sha.h>
#include <string.h>

#include "server/srv.h"
#include "util/alloc.h"

#define SRV_KEY_TTL 2.0
#define SRV_KEYCACHE_MAX 65536 /* entries; the cache is cleared when full */

struct key_entry {
    unsigned char hash[32];
    int found;
    int64_t workspace;
    enum ut_key_kind kind;
    double expires;
    double tokens, last; /* rate limit bucket */
};

struct srv_keycache {
    pthread_mutex_t mu;
    struct ut_store *store; /* read-only connection, used under mu */
    struct ut_u64map index; /* first 8 hash bytes -> entries index + 1 */
    struct key_entry *entries;
    size_t n, cap;
};

static const char key_prefix[][5] = {"", "utw_", "utr_", "uta_"};

void
srv_key_hash(const char *key, size_t len, unsigned char hash[32])
{
    SHA256((const unsigned char *)key, len, hash);
}

int
srv_key_generate(enum ut_key_kind kind, char *out, size_t cap, unsigned char hash[32])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[24];
    size_t o;

    if (cap < 4 + 2 * sizeof(raw) + 1 || kind < UT_KEY_WRITE || kind > UT_KEY_ADMIN) {
        return UT_EINVAL;
    }
    if (RAND_bytes(raw, (int)sizeof(raw)) != 1) {
        return UT_EINTERNAL;
    }
    memcpy(out, key_prefix[kind], 4);
    o = 4;
    for (size_t i = 0; i < sizeof(raw); i++) {
        out[o++] = hex[raw[i] >> 4];
        out[o++] = hex[raw[i] & 15];
    }
    out[o] = '\0';
    srv_key_hash(out, o, hash);
    return UT_OK;
}

int
srv_keycache_new(struct srv_keycache **out, const char *data)
{
    struct srv_keycache *kc = ut_calloc(1, sizeof(*kc));
    int err;

    if (kc == NULL) {
        return UT_ENOMEM;
    }
    err = ut_store_open(&kc->store, data, UT_STORE_READONLY, NULL);
    if (err != UT_OK) {
        ut_free(kc);
        return err;
    }
    pthread_mutex_init(&kc->mu, NULL);
    ut_u64map_init(&kc->index);
    *out = kc;
    return UT_OK;
}

void
srv_keycache_free(struct srv_keycache *kc)
{
    if (kc == NULL) {
        return;
    }
    ut_store_ops(kc->store)->close(kc->store);
    ut_u64map_release(&kc->index);
    ut_free(kc->entries);
    pthread_mutex_destroy(&kc->mu);
    ut_free(kc);
}

static uint64_t
hash_key(const unsigned char hash[32])
{
    uint64_t k;

    memcpy(&k, hash, sizeof(k));
    return k == UINT64_MAX ? k - 1 : k;
}

/* The entry for hash, creating it (unfilled, expired) if needed; NULL when out of memory. */
static struct key_entry *
entry_for(struct srv_keycache *kc, const unsigned char hash[32])
{
    uint64_t *slot;
    int inserted;

    if (kc->n >= SRV_KEYCACHE_MAX) {
        ut_u64map_release(&kc->index); /* a flood of random keys: start over */
        kc->n = 0;
    }
    if (ut_u64map_upsert(&kc->index, hash_key(hash), 0, &slot, &inserted) != UT_OK) {
        return NULL;
    }
    if (!inserted && memcmp(kc->entries[*slot].hash, hash, 32) == 0) {
        return &kc->entries[*slot];
    }
    if (inserted) {
        if (ut_grow((void **)&kc->entries, &kc->cap, kc->n + 1, sizeof(*kc->entries)) != UT_OK) {
            return NULL;
        }
        *slot = kc->n++;
    }
    /* new, or a 64-bit prefix collision: (re)use the slot for this key */
    memset(&kc->entries[*slot], 0, sizeof(kc->entries[*slot]));
    memcpy(kc->entries[*slot].hash, hash, 32);
    return &kc->entries[*slot];
}

int
srv_keycache_lookup(struct srv_keycache *kc, const char *key, size_t len, struct srv_auth *auth)
{
    unsigned char hash[32];
    struct key_entry *e;
    double now = srv_now();
    int err = UT_OK;

    srv_key_hash(key, len, hash);
    pthread_mutex_lock(&kc->mu);
    e = entry_for(kc, hash);
    if (e == NULL) {
        err = UT_ENOMEM;
        goto out;
    }
    if (e->expires <= now) {
        err = ut_store_ops(kc->store)->key_lookup(kc->store, hash, &e->workspace, &e->kind);
        if (err != UT_OK && err != UT_ENOTFOUND) {
            goto out;
        }
        e->found = err == UT_OK;
        e->expires = now + SRV_KEY_TTL;
    }
    err = e->found ? UT_OK : UT_ENOTFOUND;
    if (err == UT_OK) {
        auth->kind = e->kind;
        auth->workspace = e->workspace;
        memcpy(auth->hash, hash, 32);
    }
out:
    pthread_mutex_unlock(&kc->mu);
    return err;
}

unsigned
srv_keycache_ratelimit(struct srv_keycache *kc, const struct srv_auth *auth, double rate,
                       double now)
{
    struct key_entry *e;
    unsigned wait = 0;

    if (rate <= 0) {
        return 0;
    }
    pthread_mutex_lock(&kc->mu);
    e = entry_for(kc, auth->hash);
    if (e != NULL) {
        double burst = rate * 2;

        if (e->last == 0) {
            e->tokens = burst;
        } else {
            e->tokens += (now - e->last) * rate;
            e->tokens = e->tokens > burst ? burst : e->tokens;
        }
        e->last = now;
        if (e->tokens >= 1) {
            e->tokens -= 1;
        } else {
            wait = (unsigned)((1 - e->tokens) / rate) + 1;
        }
    }
    pthread_mutex_unlock(&kc->mu);
    return wait;
}
