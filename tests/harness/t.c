/*
 * tests/harness/t.c - the runner behind t.h. Usage: test_x [--fork] [--timeout S] [FILTER]
 * FILTER keeps tests whose name contains it. Output: "ok N - name" /
 * "not ok N - name", then "N passed, N failed[, N skipped]"; exit 1 on failure.
 */
#include "util/setup.h"

#include "t.h"

#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/alloc.h"

int t_failed_now;
const char *t_skip_reason;
const char *t_data_dir = UT_TEST_DATA_DIR;
const char *t_peers_dir = UT_TEST_PEERS_DIR;

void
t_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    t_failed_now = 1;
    fprintf(stdout, "#   %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    (void)fflush(stdout);
}

char *
t_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *p = NULL;
    long n;

    if (f == NULL) {
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        p = ut_malloc((size_t)n + 1);
        if (p != NULL && fread(p, 1, (size_t)n, f) != (size_t)n) {
            ut_free(p);
            p = NULL;
        } else if (p != NULL) {
            p[n] = '\0';
            if (len != NULL) {
                *len = (size_t)n;
            }
        }
    }
    (void)fclose(f);
    return p;
}

const char *
t_path(const char *dir, const char *name)
{
    static char buf[4096];

    snprintf(buf, sizeof(buf), "%s/%s", dir, name);
    return buf;
}

/* Run one test in this process; 0 pass, 1 fail, 2 skip. */
static int
run_here(const struct t_case *c)
{
    long before = ut_alloc_live();
    long after;

    t_failed_now = 0;
    t_skip_reason = NULL;
    c->fn();
    ut_alloc_fail_after(0);
    after = ut_alloc_live();
    if (!t_failed_now && t_skip_reason == NULL && after != before) {
        t_fail(__FILE__, __LINE__, "%ld allocation(s) leaked", after - before);
    }
    if (t_failed_now) {
        return 1;
    }
    return t_skip_reason != NULL ? 2 : 0;
}

static int
run_forked(const struct t_case *c, unsigned timeout)
{
    int status = 0;
    pid_t pid;

    (void)fflush(stdout);
    pid = fork();
    if (pid < 0) {
        return run_here(c);
    }
    if (pid == 0) {
        alarm(timeout);
        _exit(run_here(c));
    }
    if (waitpid(pid, &status, 0) < 0) {
        return 1;
    }
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status) <= 2 ? WEXITSTATUS(status) : 1;
    }
    printf("#   killed by signal %d%s\n", WTERMSIG(status),
           WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
    return 1;
}

int
t_main(int argc, char **argv, const struct t_case *cases, size_t n)
{
    const char *filter = NULL;
    unsigned timeout = 60;
    int use_fork = 0;
    size_t passed = 0, failed = 0, skipped = 0, num = 0;
    const char *env;

    env = getenv("UT_TEST_DATA");
    if (env != NULL) {
        t_data_dir = env;
    }
    env = getenv("UT_PEERS_DIR");
    if (env != NULL) {
        t_peers_dir = env;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--fork") == 0) {
            use_fork = 1;
        } else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
            timeout = (unsigned)strtoul(argv[++i], NULL, 10);
        } else {
            filter = argv[i];
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t i = 0; i < n; i++) {
        int r;

        if (filter != NULL && strstr(cases[i].name, filter) == NULL) {
            continue;
        }
        num++;
        r = use_fork ? run_forked(&cases[i], timeout) : run_here(&cases[i]);
        if (r == 0) {
            passed++;
            printf("ok %zu - %s\n", num, cases[i].name);
        } else if (r == 2) {
            skipped++;
            printf("ok %zu - %s # SKIP %s\n", num, cases[i].name,
                   t_skip_reason != NULL ? t_skip_reason : "");
        } else {
            failed++;
            printf("not ok %zu - %s\n", num, cases[i].name);
        }
    }
    if (skipped != 0) {
        printf("%zu passed, %zu failed, %zu skipped\n", passed, failed, skipped);
    } else {
        printf("%zu passed, %zu failed\n", passed, failed);
    }
    return failed != 0 ? 1 : 0;
}
