/*
 * store/migrations.h - the schema migrations embedded at build time from
 * src/store/migrations/NNNN_<name>.sql (by embed_migrations.cmake). The SQL of
 * one migration may hold several statements and never BEGIN/COMMIT: the
 * adapter runs every pending migration inside one transaction.
 */
#ifndef UT_STORE_MIGRATIONS_H
#define UT_STORE_MIGRATIONS_H

#include <stddef.h>

struct ut__migration {
    int version;      /* 1, 2, 3, ... without gaps (checked when embedding) */
    const char *name; /* the file name without ".sql", e.g. "0001_init" */
    const char *sql;  /* the file's text */
};

/* The migrations in version order: ut__migrations[i].version == i + 1. */
extern const struct ut__migration ut__migrations[];
extern const size_t ut__migrations_count;

#endif /* UT_STORE_MIGRATIONS_H */
