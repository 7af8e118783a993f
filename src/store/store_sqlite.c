/*
 * store/store_sqlite.c - the SQLite adapter of the storage port: one file
 * DIR/utmost.db in WAL mode with synchronous=FULL (a commit is on disk before
 * it returns) and foreign keys on. Statements are prepared once per handle and
 * every value is bound; driver messages are copied into the handle. A handle
 * belongs to one thread; WAL lets one writer and several readers (each with
 * its own handle) work at the same time. Never prints, exits or aborts.
 */
#include "util/setup.h"

#include "store/store_sqlite.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <sqlite3.h>

#include "store/adapters.h"
#include "store/migrations.h"
#include "util/alloc.h"
#include "util/diag.h"

#define SQ_DB_FILE "utmost.db"
#define SQ_BUSY_TIMEOUT_MS 5000
#define SQ_PATH_MAX 4096
#define SQ_OPEN_FLAGS (UT_STORE_CREATE | UT_STORE_READONLY)

/* Unix seconds from SQLite's clock, for the few times the port does not pass one in. */
#define SQ_NOW "((julianday('now') - 2440587.5) * 86400.0)"

/* ---- statements ------------------------------------------------------------------ */

/*
 * The columns of a link read (sq_link_read), with its human and bot click
 * counts (kept on the row by a trigger, migration 0002).
 */
#define SQ_LINK_COLS                                                                               \
    "l.id, l.workspace_id, l.slug, l.destination, l.utm_source, l.utm_medium, l.utm_campaign, "    \
    "l.utm_content, l.utm_term, l.partner, l.created_at, l.click_count, l.bot_click_count "

/*
 * Every statement the adapter runs, in both files (ids in store_sqlite.h),
 * prepared on first use and kept until close. BEGIN IMMEDIATE takes the write lock at
 * once: a deferred transaction that reads first could not upgrade later while
 * another handle writes (SQLITE_BUSY_SNAPSHOT, no retry possible).
 */
static const char *const sq_sql[SQ_NSTMT] = {
    [SQ_BEGIN_WRITE] = "BEGIN IMMEDIATE",
    [SQ_BEGIN_READ] = "BEGIN",
    [SQ_COMMIT] = "COMMIT",
    [SQ_ROLLBACK] = "ROLLBACK",
    [SQ_WS_CREATE] = "INSERT INTO workspaces (name, created_at) VALUES (?, ?)",
    [SQ_WS_FIND] = "SELECT id FROM workspaces WHERE name = ?",
    [SQ_WS_NAME] = "SELECT name FROM workspaces WHERE id = ?",
    [SQ_WS_COUNT] = "SELECT count(*) FROM workspaces",
    [SQ_SET_GET] = "SELECT value FROM workspace_settings WHERE workspace_id = ? AND key = ?",
    [SQ_SET_PUT] = "INSERT INTO workspace_settings (workspace_id, key, value) VALUES (?, ?, ?) "
                   "ON CONFLICT (workspace_id, key) DO UPDATE SET value = excluded.value",
    [SQ_SET_DEL] = "DELETE FROM workspace_settings WHERE workspace_id = ? AND key = ?",
    [SQ_KEY_CREATE] = "INSERT INTO api_keys (workspace_id, kind, key_hash, key_prefix, created_at) "
                      "VALUES (?, ?, ?, ?, ?)",
    [SQ_KEY_LOOKUP] = "SELECT workspace_id, kind FROM api_keys "
                      "WHERE key_hash = ? AND revoked_at IS NULL",
    [SQ_KEY_REVOKE] = "UPDATE api_keys SET revoked_at = ? "
                      "WHERE key_hash = ? AND revoked_at IS NULL",
    [SQ_EV_PUT] = "INSERT INTO events (workspace_id, message_id, type, name, anonymous_id, "
                  "user_id, previous_id, group_id, email, ts, received_at, has_revenue, "
                  "revenue_minor, currency, url, referrer, ip, user_agent, utm_source, utm_medium, "
                  "utm_campaign, utm_content, utm_term, click_token, body, is_candidate, "
                  "internal_referrer, source, medium, campaign, content, term, click_id, channel) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                  "?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                  "ON CONFLICT (workspace_id, message_id) DO NOTHING",
    [SQ_EV_ID] = "SELECT id FROM events WHERE workspace_id = ? AND message_id = ?",
    [SQ_EV_SCAN] = "SELECT id, type, name, anonymous_id, user_id, ts, has_revenue, revenue_minor, "
                   "currency, is_candidate, internal_referrer, source, medium, campaign, content, "
                   "term, click_id, channel FROM events "
                   "WHERE workspace_id = ? AND ts >= ? AND ts < ? ORDER BY ts, id",
    [SQ_EV_COUNT] = "SELECT count(*) FROM events WHERE workspace_id = ?",
    [SQ_EDGE_PUT] = "INSERT INTO identity_edges (workspace_id, a, b, kind, event_id, ts, "
                    "confidence) VALUES (?, ?, ?, ?, ?, ?, ?)",
    [SQ_EDGE_SCAN] = "SELECT a, b, kind, event_id, ts, confidence FROM identity_edges "
                     "WHERE workspace_id = ? AND revoked_at IS NULL ORDER BY id",
    [SQ_LINK_CREATE] = "INSERT INTO links (workspace_id, slug, destination, utm_source, "
                       "utm_medium, utm_campaign, utm_content, utm_term, partner, created_at, "
                       "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [SQ_LINK_GET] = "SELECT " SQ_LINK_COLS "FROM links l "
                    "WHERE l.slug = ? AND l.deleted_at IS NULL",
    [SQ_LINK_UPDATE] = "UPDATE links SET destination = ?, utm_source = ?, utm_medium = ?, "
                       "utm_campaign = ?, utm_content = ?, utm_term = ?, partner = ?, "
                       "updated_at = " SQ_NOW " "
                       "WHERE workspace_id = ? AND slug = ? AND deleted_at IS NULL",
    [SQ_LINK_DELETE] = "UPDATE links SET deleted_at = " SQ_NOW " "
                       "WHERE workspace_id = ? AND slug = ? AND deleted_at IS NULL",
    [SQ_LINK_SCAN] = "SELECT " SQ_LINK_COLS "FROM links l "
                     "WHERE l.workspace_id = ? AND l.deleted_at IS NULL ORDER BY l.id",
    [SQ_CLICK_PUT] = "INSERT INTO clicks (link_id, workspace_id, token, visitor_id, referrer, "
                     "user_agent, ip_truncated, is_bot, ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
};

/* The stored spelling of enum ut_key_kind: part of the file format. */
static const char *const sq_key_kinds[] = {
    [UT_KEY_WRITE] = "write",
    [UT_KEY_READ] = "read",
    [UT_KEY_ADMIN] = "admin",
};

/* ---- errors and statement helpers ------------------------------------------------ */

void
ut__sqlite_seterr(struct sq_store *s, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
    va_end(ap);
}

/*
 * The ut_err for an SQLite result code (extended codes are on). Beyond the
 * port's UNIQUE -> UT_ECONFLICT: a failed foreign key means the referenced
 * row (workspace, link, event) does not exist, and a failed CHECK or NOT NULL
 * means the caller passed a value the schema refuses. SQLITE_BUSY is returned
 * only once the busy timeout has run out.
 */
static int
sq_map(int rc)
{
    switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
        return UT_ECONFLICT;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
        return UT_ENOTFOUND;
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_NOTNULL:
        return UT_EINVAL;
    default:
        break;
    }
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return UT_EAGAIN;
    case SQLITE_NOMEM:
        return UT_ENOMEM;
    default:
        return UT_ESTORE;
    }
}

/* Copy the driver's message for the failed call and map rc. */
static int
sq_fail(struct sq_store *s, int rc)
{
    ut__sqlite_seterr(s, "%s", s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
    return sq_map(rc);
}

/*
 * The handle's statement id, prepared on first use, ready for binding. A
 * statement still stepping means a row callback re-entered the same scan.
 */
int
ut__sqlite_stmt(struct sq_store *s, enum sq_stmt_id id, struct sq_bind *b)
{
    sqlite3_stmt *st = s->stmt[id];
    int rc;

    b->st = NULL;
    b->i = 1;
    b->rc = SQLITE_MISUSE; /* binds and steps on a statement that failed to prepare do nothing */
    if (st == NULL) {
        rc = sqlite3_prepare_v3(s->db, sq_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
        if (rc != SQLITE_OK) {
            return sq_fail(s, rc);
        }
        s->stmt[id] = st;
    } else if (sqlite3_stmt_busy(st)) {
        ut__sqlite_seterr(s, "statement in use: a row callback called the scan it came from");
        return UT_EINVAL;
    }
    b->st = st;
    b->rc = SQLITE_OK;
    return UT_OK;
}

/* Step once: *row says whether a row came; a bind or step failure is mapped. */
int
ut__sqlite_step(struct sq_store *s, struct sq_bind *b, int *row)
{
    int rc;

    if (b->rc != SQLITE_OK) {
        return sq_fail(s, b->rc);
    }
    assert(b->i - 1 == sqlite3_bind_parameter_count(b->st));
    rc = sqlite3_step(b->st);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
        *row = rc == SQLITE_ROW;
        return UT_OK;
    }
    return sq_fail(s, rc);
}

/* Make the statement reusable and drop the borrowed bindings. */
void
ut__sqlite_done(struct sq_bind *b)
{
    (void)sqlite3_reset(b->st);
    (void)sqlite3_clear_bindings(b->st);
}

/* Run a statement that returns no rows (INSERT, UPDATE, DELETE, BEGIN...), then reset it. */
int
ut__sqlite_run(struct sq_store *s, struct sq_bind *b)
{
    int row = 0;
    int err = ut__sqlite_step(s, b, &row);

    ut__sqlite_done(b);
    return err;
}

/* Run a one-row query whose first column is an integer; UT_ENOTFOUND when no row. */
int
ut__sqlite_query_i64(struct sq_store *s, struct sq_bind *b, int64_t *v)
{
    int row = 0;
    int err = ut__sqlite_step(s, b, &row);

    if (err == UT_OK && row) {
        *v = sqlite3_column_int64(b->st, 0);
    } else if (err == UT_OK) {
        err = UT_ENOTFOUND;
    }
    ut__sqlite_done(b);
    return err;
}

int
ut__sqlite_inval(struct sq_store *s, const char *what)
{
    ut__sqlite_seterr(s, "%s", what);
    return UT_EINVAL;
}

/* ---- opening: directory, connection, pragmas, migrations ------------------------- */

static void
sq_free(struct sq_store *s)
{
    if (s == NULL) {
        return;
    }
    for (size_t i = 0; i < SQ_NSTMT; i++) {
        (void)sqlite3_finalize(s->stmt[i]);
    }
    /* with every statement finalized, close cannot be busy; it rolls back an open transaction */
    (void)sqlite3_close(s->db);
    ut_free(s);
}

/* Make one directory (mode 0700); an existing directory is fine. 0 or an errno value. */
static int
sq_mkdir_one(const char *dir)
{
    struct stat st;
    int e;

    if (mkdir(dir, 0700) == 0) {
        return 0;
    }
    e = errno;
    if (e == EEXIST) {
        return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
    }
    return e;
}

/*
 * Create the data directory and any missing parents (mode 0700, as mkdir -p);
 * existing ones are left as they are.
 */
static int
sq_mkdir(const char *dir, struct ut_diag *diag)
{
    char path[SQ_PATH_MAX], why[128];
    size_t len = strlen(dir);
    int e = 0;

    if (len >= sizeof(path)) {
        ut_diag_set(diag, "data directory path too long");
        return UT_ELIMIT;
    }
    memcpy(path, dir, len + 1);
    for (size_t i = 1; i < len && e == 0; i++) {
        if (path[i] == '/' && path[i - 1] != '/') {
            path[i] = '\0';
            e = sq_mkdir_one(path);
            path[i] = '/';
        }
    }
    if (e == 0) {
        e = sq_mkdir_one(path);
    }
    if (e == 0) {
        return UT_OK;
    }
    if (strerror_r(e, why, sizeof(why)) != 0) {
        (void)snprintf(why, sizeof(why), "errno %d", e);
    }
    ut_diag_set(diag, "cannot create directory '%s': %s", dir, why);
    return UT_EIO;
}

static int
sq_connect(struct sq_store *s, const char *path, struct ut_diag *diag)
{
    int oflags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    struct stat st;
    int rc;

    if (s->flags & UT_STORE_READONLY) {
        oflags |= SQLITE_OPEN_READONLY;
    } else {
        oflags |= SQLITE_OPEN_READWRITE;
    }
    if (s->flags & UT_STORE_CREATE) {
        oflags |= SQLITE_OPEN_CREATE;
    } else if (stat(path, &st) != 0 && errno == ENOENT) {
        ut_diag_set(diag, "no database '%s' (open with UT_STORE_CREATE to create it)", path);
        return UT_ENOTFOUND;
    }
    rc = sqlite3_open_v2(path, &s->db, oflags, NULL);
    if (rc != SQLITE_OK) {
        int err = sq_fail(s, rc);

        ut_diag_set(diag, "cannot open '%s': %s", path, s->errmsg);
        return err;
    }
    return UT_OK;
}

/* Run trusted, value-free SQL (pragmas, embedded migrations) on the handle. */
static int
sq_exec(struct sq_store *s, const char *sql)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

    return rc == SQLITE_OK ? UT_OK : sq_fail(s, rc);
}

/* One integer from trusted, value-free SQL (pragmas, the schema version). */
static int
sq_scalar(struct sq_store *s, const char *sql, int64_t *v)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
    }
    if (rc == SQLITE_ROW) {
        *v = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_ERROR;
        ut__sqlite_seterr(s, "no result from '%s'", sql);
    } else {
        (void)sq_fail(s, rc);
    }
    (void)sqlite3_finalize(st);
    return rc == SQLITE_OK ? UT_OK : sq_map(rc);
}

/*
 * Durability and integrity settings of every connection. journal_mode=WAL is
 * persistent in the file, so a read-only handle inherits it; PRAGMA
 * journal_mode answers the mode in force, which stays "delete" where WAL is
 * impossible (no shared memory): that is refused rather than silently slower.
 * wal_autocheckpoint: random message ids make every commit of 1000 events
 * dirty hundreds of pages of the unique index, so the default (1000 pages)
 * checkpointed after almost every commit, copying pages the next commits
 * rewrote; 10000 pages (40 MiB of WAL) measured 1.5x the event_put rate.
 */
static int
sq_configure(struct sq_store *s, struct ut_diag *diag)
{
    sqlite3_stmt *st = NULL;
    int err, rc;

    (void)sqlite3_busy_timeout(s->db, SQ_BUSY_TIMEOUT_MS);
    err = sq_exec(s, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; "
                     "PRAGMA wal_autocheckpoint = 10000");
    if (err != UT_OK || (s->flags & UT_STORE_READONLY)) {
        goto out;
    }
    rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
    }
    if (rc != SQLITE_ROW) {
        err = sq_fail(s, rc);
    } else if (!ut_str_eq(sq_col_str(st, 0), UT_STR("wal"))) {
        ut__sqlite_seterr(s, "cannot use WAL mode (journal mode stays '%s')",
                          (const char *)sqlite3_column_text(st, 0));
        err = UT_ESTORE;
    }
    (void)sqlite3_finalize(st);
out:
    if (err != UT_OK) {
        ut_diag_set(diag, "cannot configure the database: %s", s->errmsg);
    }
    return err;
}

/* The highest applied migration, 0 for a database without the schema_migrations table. */
static int
sq_schema_version(struct sq_store *s, int64_t *version)
{
    int64_t n = 0;
    int err;

    err = sq_scalar(s,
                    "SELECT count(*) FROM sqlite_schema "
                    "WHERE type = 'table' AND name = 'schema_migrations'",
                    &n);
    if (err != UT_OK || n == 0) {
        *version = 0;
        return err;
    }
    return sq_scalar(s, "SELECT coalesce(max(version), 0) FROM schema_migrations", version);
}

static int
sq_too_new(struct sq_store *s, int64_t have, struct ut_diag *diag)
{
    ut__sqlite_seterr(
        s,
        "database schema version %lld is newer than this build of utmost knows (%zu): "
        "upgrade utmost",
        (long long)have, ut__migrations_count);
    ut_diag_set(diag, "%s", s->errmsg);
    return UT_ESTORE;
}

/* Apply migrations have+1 .. last; the caller holds the write transaction. */
static int
sq_apply(struct sq_store *s, int64_t have)
{
    sqlite3_stmt *st = NULL;
    int rc, err = UT_OK;

    rc = sqlite3_prepare_v2(s->db,
                            "INSERT INTO schema_migrations (version, name, applied_at) "
                            "VALUES (?, ?, " SQ_NOW ")",
                            -1, &st, NULL);
    if (rc != SQLITE_OK) {
        return sq_fail(s, rc);
    }
    for (size_t i = (size_t)have; i < ut__migrations_count && err == UT_OK; i++) {
        const struct ut__migration *m = &ut__migrations[i];
        char msg[sizeof(s->errmsg)];

        err = sq_exec(s, m->sql);
        if (err == UT_OK) {
            (void)sqlite3_bind_int(st, 1, m->version);
            (void)sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
            rc = sqlite3_step(st);
            err = rc == SQLITE_DONE ? UT_OK : sq_fail(s, rc);
            (void)sqlite3_reset(st);
        }
        if (err != UT_OK) {
            memcpy(msg, s->errmsg, sizeof(msg));
            ut__sqlite_seterr(s, "migration %s failed: %s", m->name, msg);
        }
    }
    (void)sqlite3_finalize(st);
    return err;
}

/*
 * Bring the schema to this build's version in one write transaction, so two
 * processes creating the same database serialise and a failed migration
 * leaves the previous schema intact. The version is read again under the lock.
 */
static int
sq_migrate(struct sq_store *s, struct ut_diag *diag)
{
    int64_t have = 0;
    int err;

    err = sq_exec(s, "BEGIN IMMEDIATE");
    if (err != UT_OK) {
        goto fail_begin;
    }
    err = sq_exec(s, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                     "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL"
                     ") STRICT");
    if (err == UT_OK) {
        err = sq_schema_version(s, &have);
    }
    if (err == UT_OK && (uint64_t)have > ut__migrations_count) {
        err = sq_too_new(s, have, diag);
        goto fail_migrate;
    }
    if (err == UT_OK) {
        err = sq_apply(s, have);
    }
    if (err == UT_OK) {
        err = sq_exec(s, "COMMIT");
    }
    if (err != UT_OK) {
        goto fail_migrate;
    }
    return UT_OK;

fail_migrate:
    (void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
fail_begin:
    ut_diag_set(diag, "cannot migrate the database: %s", s->errmsg);
    return err;
}

/*
 * Check the schema version: newer than this build is refused; older is
 * migrated only with UT_STORE_CREATE (a plain or read-only handle never
 * changes the schema behind the back of the handle that created it).
 */
static int
sq_schema(struct sq_store *s, const char *path, struct ut_diag *diag)
{
    int64_t have = 0;
    int err = sq_schema_version(s, &have);

    if (err != UT_OK) {
        ut_diag_set(diag, "cannot read the schema version of '%s': %s", path, s->errmsg);
        return err;
    }
    if ((uint64_t)have > ut__migrations_count) {
        return sq_too_new(s, have, diag);
    }
    if ((uint64_t)have == ut__migrations_count) {
        return UT_OK;
    }
    if (!(s->flags & UT_STORE_CREATE)) {
        ut__sqlite_seterr(
            s,
            "database '%s' is at schema version %lld, this build needs %zu: open it with "
            "UT_STORE_CREATE to migrate",
            path, (long long)have, ut__migrations_count);
        ut_diag_set(diag, "%s", s->errmsg);
        return UT_ESTORE;
    }
    return sq_migrate(s, diag);
}

/*
 * location is a data directory; the database is location/utmost.db.
 * UT_STORE_CREATE creates the directory (and missing parents, mode 0700) and
 * the database and runs pending migrations; without it a missing database is
 * UT_ENOTFOUND.
 * UT_STORE_READONLY opens a connection that cannot write (UT_ESTORE on writes).
 * *out is written only on success; close it with ops->close.
 */
static int
sq_open(struct ut_store **out, const char *location, unsigned flags, struct ut_diag *diag)
{
    struct sq_store *s = NULL;
    char path[SQ_PATH_MAX];
    int n, err;

    if (out == NULL || location == NULL || location[0] == '\0' || (flags & ~SQ_OPEN_FLAGS) != 0 ||
        (flags & SQ_OPEN_FLAGS) == SQ_OPEN_FLAGS) {
        ut_diag_set(diag, "invalid location or flags to open a store");
        return UT_EINVAL;
    }
    n = snprintf(path, sizeof(path), "%s/%s", location, SQ_DB_FILE);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        ut_diag_set(diag, "data directory path too long");
        return UT_ELIMIT;
    }
    if (flags & UT_STORE_CREATE) {
        err = sq_mkdir(location, diag);
        if (err != UT_OK) {
            goto out;
        }
    }
    s = ut_calloc(1, sizeof(*s));
    if (s == NULL) {
        ut_diag_set(diag, "out of memory");
        err = UT_ENOMEM;
        goto out;
    }
    s->base.ops = &ut__store_sqlite_ops;
    s->flags = flags;
    err = sq_connect(s, path, diag);
    if (err == UT_OK) {
        err = sq_configure(s, diag);
    }
    if (err == UT_OK) {
        err = sq_schema(s, path, diag);
    }
    if (err == UT_OK) {
        *out = (struct ut_store *)(void *)s;
        s = NULL;
    }
out:
    sq_free(s);
    return err;
}

static void
sq_close(struct ut_store *us)
{
    sq_free(sq_of(us));
}

static const char *
sq_errmsg(const struct ut_store *us)
{
    if (us == NULL) {
        return "no store handle";
    }
    return ((const struct sq_store *)(const void *)us)->errmsg;
}

/* ---- transactions ---------------------------------------------------------------- */

/*
 * A read-write handle begins IMMEDIATE (waits up to the busy timeout for the
 * write lock, then UT_EAGAIN); a read-only one begins a deferred transaction,
 * a consistent snapshot from its first read until commit or rollback.
 */
static int
sq_begin(struct ut_store *us)
{
    struct sq_store *s = sq_of(us);
    struct sq_bind b;
    int err;

    if (!sqlite3_get_autocommit(s->db)) {
        return ut__sqlite_inval(s, "a transaction is already open");
    }
    err = ut__sqlite_stmt(s, (s->flags & UT_STORE_READONLY) ? SQ_BEGIN_READ : SQ_BEGIN_WRITE, &b);
    return err != UT_OK ? err : ut__sqlite_run(s, &b);
}

/* Durable on return (synchronous=FULL). On UT_EAGAIN the transaction is still open. */
static int
sq_commit(struct ut_store *us)
{
    struct sq_store *s = sq_of(us);
    struct sq_bind b;
    int err;

    if (sqlite3_get_autocommit(s->db)) {
        return ut__sqlite_inval(s, "no transaction is open");
    }
    err = ut__sqlite_stmt(s, SQ_COMMIT, &b);
    return err != UT_OK ? err : ut__sqlite_run(s, &b);
}

/*
 * Without an open transaction this is a no-op: SQLite rolls back by itself
 * after some failures (disk full, I/O error), and callers roll back after any.
 */
static int
sq_rollback(struct ut_store *us)
{
    struct sq_store *s = sq_of(us);
    struct sq_bind b;
    int err;

    if (sqlite3_get_autocommit(s->db)) {
        return UT_OK;
    }
    err = ut__sqlite_stmt(s, SQ_ROLLBACK, &b);
    return err != UT_OK ? err : ut__sqlite_run(s, &b);
}

/* ---- workspaces and settings ----------------------------------------------------- */

/* UT_ECONFLICT when the name is taken; *id written on success. */
static int
sq_workspace_create(struct ut_store *us, const char *name, double now, int64_t *id)
{
    struct sq_store *s = sq_of(us);
    struct sq_bind b;
    int err;

    if (name == NULL || name[0] == '\0') {
        return ut__sqlite_inval(s, "workspace name is empty");
    }
    err = ut__sqlite_stmt(s, SQ_WS_CREATE, &b);
    if (err != UT_OK) {
        return err;
    }
    sq_bind_cstr(&b, name);
    sq_bind_f64(&b, now);
    err = ut__sqlite_run(s, &b);
    if (err == UT_OK && id != NULL) {
        *id = sqlite3_last_insert_rowid(s->db);
    }
    return err;
}

static int
sq_workspace_find(struct ut_store *us, const char *name, int64_t *id)
{
    struct sq_store *s = sq_of(us);
    struct sq_bind b;
    int64_t v = 0;
    int err;

    if (name == NULL) {
        return ut__sqlite_inval(s, "workspace name is NULL");
    }
    err = ut__sqlite_stmt(s, SQ_WS_FIND, &b);
    if (err != UT_OK) {
        return err;
    }
    sq_bind_cstr(&b, name);
    err = ut__sqlite_query_i64(s, &b, &v);
    if (err == UT_ENOTFOUND) {
        ut__sqlite_seterr(s, "no workspace '%s'", name);
    } else if (err == UT_OK) {
        *id = v;
    }
    return err;
}

/* Replace the content of out with the text column of b's row, or report ENOTFOUND. */
static int
sq_query_text(struct sq_store *s, struct sq_bind *b, struct ut_buf *out)
{
    int row = 0;
    int err = ut__sqlite_step(s, b, &row);

    if (err == UT_OK && row) {
        struct ut_str v = sq_col_str(b->st, 0);

        ut_buf_clear(out);
        ut_buf_add(out, v.ptr != NULL ? v.ptr : "", v.len);
        err = ut_buf_err(out);
    } else if (err == UT_OK) {
        err = UT_ENOTFOUND;
    }
    ut__sqlite_done(b);
    return err;
}

/* The name replaces the content of *name. */
static int
sq_workspace_name(struct ut_store *us, int64_t id, struct ut_buf *name)
{
    struct sq_store *s = sq_of(us);
    struct sq_bind b;
    int err = ut__sqlite_stmt(s, SQ_WS_NAME, &b);

    if (err != UT_OK) {
        return err;
    }
    sq_bind_i64(&b, id);
    err = sq_query_text(s, &b, name);
    if (err == UT_ENOTFOUND) {
        ut__sqlite_seterr(s, "no workspace %lld", (long long)id);
    }
    return err;
}

static int
sq_workspace_count(struct ut_store *us, int64_t *n)
{
    struct sq_store *s = sq_of(us);
    struct sq_bind b;
    int err = ut__sqlite_stmt(s, SQ_WS_COUNT, &b);

    return err != UT_OK ? err : ut__sqlite_query_i64(s, &b, n);
}

/*
 * The stored value replaces the content of *value; an unset key answers its
 * default (ut__store_setting_default: conversion_events is
 * ["Order Completed","Signed Up","Subscription Started"]), else UT_ENOTFOUND.
 */
static int
sq_setting_get(struct ut_store *us, int64_t ws, const char *key, struct ut_buf *value)
{
    struct sq_store *s = sq_of(us);
    struct sq_bind b;
    const char *def;
    int err;

    if (key == NULL || key[0] == '\0') {
        return ut__sqlite_inval(s, "setting key is empty");
    }
    err = ut__sqlite_stmt(s, SQ_SET_GET, &b);
    if (err != UT_OK) {
        return err;
    }
    sq_bind_i64(&b, ws);
    sq_bind_cstr(&b, key);
    err = sq_query_text(s, &b, value);
    if (err != UT_ENOTFOUND) {
        return err;
    }
    def = ut__store_setting_default(key);
    if (def == NULL) {
        ut__sqlite_seterr(s, "no setting '%s'", key);
        return UT_ENOTFOUND;
    }
    ut_buf_clear(value);
    ut_buf_addstr(value, def);
    return ut_buf_err(value);
}

/* value NULL removes the setting (back to its default); UT_ENOTFOUND for an unknown ws. */
static int
sq_setting_set(struct ut_store *us, int64_t ws, const char *key, const char *value)
{
    struct sq_store *s = sq_of(us);
    struct sq_bind b;
    int err;

    if (key == NULL || key[0] == '\0') {
        return ut__sqlite_inval(s, "setting key is empty");
    }
    err = ut__sqlite_stmt(s, value != NULL ? SQ_SET_PUT : SQ_SET_DEL, &b);
    if (err != UT_OK) {
        return err;
    }
    sq_bind_i64(&b, ws);
    sq_bind_cstr(&b, key);
    if (value != NULL) {
        sq_bind_cstr(&b, value);
    }
    return ut__sqlite_run(s, &b);
}

/* ---- keys ------------------------------------------------------------------------ */

static int
sq_key_create(struct ut_store *us, int64_t ws, enum ut_key_kind kind, const unsigned char hash[32],
              const char *prefix, double now)
{
    struct sq_store *s = sq_of(us);
    struct sq_bind b;
    int err;

    if (hash == NULL || kind < UT_KEY_WRITE || kind > UT_KEY_ADMIN) {
        return ut__sqlite_inval(s, "invalid key hash or kind");
    }
    err = ut__sqlite_stmt(s, SQ_KEY_CREATE, &b);
    if (err != UT_OK) {
        return err;
    }
    sq_bind_i64(&b, ws);
    sq_bind_cstr(&b, sq_key_kinds[kind]);
    sq_bind_blob(&b, hash, 32);
    sq_bind_cstr(&b, prefix);
    sq_bind_f64(&b, now);
    return ut__sqlite_run(s, &b);
}

static int
sq_key_kind_parse(struct ut_str v, enum ut_key_kind *kind)
{
    for (size_t i = 1; i < UT_ARRAY_LEN(sq_key_kinds); i++) {
        if (ut_str_eq(v, ut_str_cstr(sq_key_kinds[i]))) {
            *kind = (enum ut_key_kind)i;
            return UT_OK;
        }
    }
    return UT_ESTORE;
}

/* UT_ENOTFOUND for an unknown and for a revoked key alike. */
static int
sq_key_lookup(struct ut_store *us, const unsigned char hash[32], int64_t *ws,
              enum ut_key_kind *kind)
{
    struct sq_store *s = sq_of(us);
    enum ut_key_kind k = UT_KEY_READ;
    struct sq_bind b;
    int row = 0, err;

    if (hash == NULL) {
        return ut__sqlite_inval(s, "key hash is NULL");
    }
    err = ut__sqlite_stmt(s, SQ_KEY_LOOKUP, &b);
    if (err != UT_OK) {
        return err;
    }
    sq_bind_blob(&b, hash, 32);
    err = ut__sqlite_step(s, &b, &row);
    if (err == UT_OK && !row) {
        ut__sqlite_seterr(s, "unknown or revoked key");
        err = UT_ENOTFOUND;
    } else if (err == UT_OK && sq_key_kind_parse(sq_col_str(b.st, 1), &k) != UT_OK) {
        ut__sqlite_seterr(s, "stored key has an unknown kind");
        err = UT_ESTORE;
    } else if (err == UT_OK) {
        *ws = sqlite3_column_int64(b.st, 0);
        *kind = k;
    }
    ut__sqlite_done(&b);
    return err;
}

/* UT_ENOTFOUND when no active key has this hash (unknown or already revoked). */
static int
sq_key_revoke(struct ut_store *us, const unsigned char hash[32], double now)
{
    struct sq_store *s = sq_of(us);
    struct sq_bind b;
    int err;

    if (hash == NULL) {
        return ut__sqlite_inval(s, "key hash is NULL");
    }
    err = ut__sqlite_stmt(s, SQ_KEY_REVOKE, &b);
    if (err != UT_OK) {
        return err;
    }
    sq_bind_f64(&b, now);
    sq_bind_blob(&b, hash, 32);
    err = ut__sqlite_run(s, &b);
    if (err == UT_OK && sqlite3_changes(s->db) == 0) {
        ut__sqlite_seterr(s, "unknown or revoked key");
        err = UT_ENOTFOUND;
    }
    return err;
}

/* ---- the ops table --------------------------------------------------------------- */

const struct ut_store_ops ut__store_sqlite_ops = {
    .version = 1,
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .errmsg = sq_errmsg,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .workspace_create = sq_workspace_create,
    .workspace_find = sq_workspace_find,
    .workspace_name = sq_workspace_name,
    .workspace_count = sq_workspace_count,
    .workspace_setting_get = sq_setting_get,
    .workspace_setting_set = sq_setting_set,
    .key_create = sq_key_create,
    .key_lookup = sq_key_lookup,
    .key_revoke = sq_key_revoke,
    .event_put = ut__sqlite_event_put,
    .edge_put = ut__sqlite_edge_put,
    .events_scan = ut__sqlite_events_scan,
    .edges_scan = ut__sqlite_edges_scan,
    .events_count = ut__sqlite_events_count,
    .link_create = ut__sqlite_link_create,
    .link_get = ut__sqlite_link_get,
    .link_update = ut__sqlite_link_update,
    .link_delete = ut__sqlite_link_delete,
    .links_scan = ut__sqlite_links_scan,
    .click_put = ut__sqlite_click_put,
};
