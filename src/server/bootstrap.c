/*
 * server/bootstrap.c - first start of a data directory (store, workspace
 * "default", a write key and an admin key printed once) and the workspace and
 * key operations the shell commands share with the server.
 */
#include "util/setup.h"

#include <stdio.h>
#include <string.h>

#include "server/srv.h"
#include "util/num.h"

int
srv_bootstrap(const char *data, FILE *out)
{
    struct ut_store *s = NULL;
    const struct ut_store_ops *ops;
    struct ut_diag diag;
    int64_t count = 0, ws;
    char wkey[64], akey[64];
    int err;

    memset(&diag, 0, sizeof(diag));
    err = ut_store_open(&s, data, UT_STORE_CREATE, &diag);
    if (err != UT_OK) {
        fprintf(stderr, "utmost: cannot open the store in '%s': %s\n", data,
                diag.msg[0] != '\0' ? diag.msg : ut_strerror(err));
        return err;
    }
    ops = ut_store_ops(s);
    err = ops->workspace_count(s, &count);
    if (err != UT_OK || count > 0) {
        goto out;
    }
    err = ops->begin(s);
    if (err == UT_OK) {
        err = ops->workspace_create(s, "default", srv_now(), &ws);
    }
    if (err == UT_OK) {
        err = srv_key_create(s, ws, UT_KEY_WRITE, wkey, sizeof(wkey));
    }
    if (err == UT_OK) {
        err = srv_key_create(s, ws, UT_KEY_ADMIN, akey, sizeof(akey));
    }
    if (err == UT_OK) {
        err = ops->commit(s);
    }
    if (err != UT_OK) {
        (void)ops->rollback(s);
        goto out;
    }
    fprintf(out,
            "created workspace 'default' (id %lld); these keys are shown only once:\n"
            "  write key: %s\n  admin key: %s\n",
            (long long)ws, wkey, akey);
    if (fflush(out) != 0 || ferror(out)) {
        /* The workspace is there and usable; only the keys are lost: say how to get others. */
        fputs("utmost: cannot print the keys of workspace 'default'; create new ones with "
              "`utmost key create --workspace default --kind write|admin`\n",
              stderr);
    }
out:
    if (err != UT_OK) {
        fprintf(stderr, "utmost: cannot initialise '%s': %s\n", data, ops->errmsg(s));
    }
    ops->close(s);
    return err;
}

int
srv_key_create(struct ut_store *s, int64_t ws, enum ut_key_kind kind, char *key, size_t cap)
{
    unsigned char hash[32];
    char prefix[13];
    int err = srv_key_generate(kind, key, cap, hash);

    if (err != UT_OK) {
        return err;
    }
    memcpy(prefix, key, 12);
    prefix[12] = '\0';
    return ut_store_ops(s)->key_create(s, ws, kind, hash, prefix, srv_now());
}

int
srv_workspace_resolve(struct ut_store *s, const char *w, int64_t *id)
{
    const struct ut_store_ops *ops = ut_store_ops(s);
    struct ut_buf name = UT_BUF_INIT(1024);
    int64_t n;
    int err = ops->workspace_find(s, w, id);

    if (err != UT_ENOTFOUND) {
        return err;
    }
    /* not a name: maybe an id */
    if (ut_parse_i64(w, strlen(w), &n) != UT_OK || n <= 0) {
        return UT_ENOTFOUND;
    }
    err = ops->workspace_name(s, n, &name);
    ut_buf_release(&name);
    if (err == UT_OK) {
        *id = n;
    }
    return err;
}
