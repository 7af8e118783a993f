/*
 * fuzz/replay.c - main() for fuzz targets in ordinary builds: feeds every file
 * of the given corpus folders (or files) to LLVMFuzzerTestOneInput once, so
 * each saved input is a regression test under ctest.
 */
#include "util/setup.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "util/alloc.h"

static int
replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    long n;
    size_t got;

    if (f == NULL) {
        fprintf(stderr, "cannot open '%s'\n", path);
        return 1;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        (void)fclose(f);
        return 1;
    }
    buf = ut_malloc((size_t)n + 1);
    if (buf == NULL) {
        (void)fclose(f);
        return 1;
    }
    got = fread(buf, 1, (size_t)n, f);
    (void)fclose(f);
    (void)LLVMFuzzerTestOneInput(buf, got);
    ut_free(buf);
    return 0;
}

int
main(int argc, char **argv)
{
    size_t ok = 0, bad = 0;

    for (int i = 1; i < argc; i++) {
        struct stat st;
        DIR *d;
        struct dirent *e;

        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "cannot stat '%s'\n", argv[i]);
            bad++;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            replay_file(argv[i]) == 0 ? ok++ : bad++;
            continue;
        }
        d = opendir(argv[i]);
        if (d == NULL) {
            bad++;
            continue;
        }
        while ((e = readdir(d)) != NULL) {
            char path[4096];

            if (e->d_name[0] == '.') {
                continue;
            }
            snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
            replay_file(path) == 0 ? ok++ : bad++;
        }
        closedir(d);
    }
    printf("%zu passed, %zu failed\n", ok, bad);
    return bad != 0 ? 1 : 0;
}
