/*
 * cli/cli.c - error printing, input files and output for the subcommands.
 */
#include "util/setup.h"

#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "util/alloc.h"

/* Most bytes read from a pipe; mapped files are limited by memory only. */
#define CLI_STDIN_MAX ((size_t)4 << 30)

void
cli_error(const char *fmt, ...)
{
    va_list ap;

    fputs("utmost: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int
cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "utmost %s: ", cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see 'utmost %s --help')\n", cmd->name);
    return EX_USAGE;
}

int
cli_option_error(const struct cli_cmd *cmd, int c, const char *opt)
{
    return cli_usage_error(cmd, "%s option '%s'", c == ':' ? "missing argument to" : "unknown",
                           opt);
}

int
cli_store_open_rw(const char *data, struct ut_store **s)
{
    struct ut_diag diag;
    int err;

    memset(&diag, 0, sizeof(diag));
    err = ut_store_open(s, data, UT_STORE_CREATE, &diag);
    if (err != UT_OK) {
        cli_error("cannot open the store in '%s': %s", data,
                  diag.msg[0] != '\0' ? diag.msg : ut_strerror(err));
        return EX_UNAVAILABLE;
    }
    return 0;
}

static int
file_read_fd(struct cli_file *f, int fd)
{
    size_t cap = 0, len = 0;
    char *p = NULL;

    for (;;) {
        ssize_t n;

        if (ut_grow((void **)&p, &cap, len + 65536, 1) != 0 || len > CLI_STDIN_MAX) {
            ut_free(p);
            errno = len > CLI_STDIN_MAX ? EFBIG : ENOMEM;
            return -1;
        }
        n = read(fd, p + len, cap - len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            int saved = errno;

            ut_free(p);
            errno = saved;
            return -1;
        }
        if (n == 0) {
            break;
        }
        len += (size_t)n;
    }
    f->heap = p;
    f->data = p;
    f->len = len;
    return 0;
}

int
cli_file_open(struct cli_file *f, const char *path)
{
    struct stat st;
    int fd;

    memset(f, 0, sizeof(*f));
    f->path = path;
    f->data = "";
    fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) {
        cli_error("cannot open '%s': %s", path, strerror(errno));
        goto fail;
    }
    if (S_ISDIR(st.st_mode)) {
        cli_error("cannot read '%s': is a directory", path);
        goto fail;
    }
    if (S_ISREG(st.st_mode) && st.st_size > 0) {
        f->map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (f->map != MAP_FAILED) {
            f->map_len = (size_t)st.st_size;
            f->data = f->map;
            f->len = f->map_len;
            (void)madvise(f->map, f->map_len, MADV_SEQUENTIAL | MADV_WILLNEED);
            goto done;
        }
        f->map = NULL;
    }
    if (file_read_fd(f, fd) != 0) {
        cli_error("cannot read '%s': %s", path, strerror(errno));
        goto fail;
    }
done:
    if (fd != STDIN_FILENO) {
        close(fd);
    }
    return 0;
fail:
    if (fd >= 0 && fd != STDIN_FILENO) {
        close(fd);
    }
    return EX_NOINPUT;
}

void
cli_file_close(struct cli_file *f)
{
    if (f->map != NULL) {
        munmap(f->map, f->map_len);
    }
    ut_free(f->heap);
    memset(f, 0, sizeof(*f));
}

int
cli_write_stdout(const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, data, len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            cli_error("cannot write output: %s", strerror(errno));
            return EX_IOERR;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}
