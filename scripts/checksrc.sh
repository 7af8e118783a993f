#!/usr/bin/env bash
# scripts/checksrc.sh - the source rules no compiler enforces (curl's scripts/checksrc.pl idea;
# STYLE.md rules 5, 6, 15, 25, 35):
#   banned      strcpy strcat sprintf vsprintf gets strtok atoi atol atof strncpy strncat alloca
#   rawalloc    malloc calloc realloc free strdup strndup aligned_alloc posix_memalign
#               reallocarray asprintf vasprintf, anywhere but src/util/alloc.c (use ut_malloc & co;
#               member calls such as a->free() are fine). No other exemption: bench/ and tests/
#               allocate through ut_* as well.
#   cxxcomment  // comments (use /* */)
#   include     the first #include of every .c is "util/setup.h"
#   guard       headers open with #ifndef/#define of the guard named after their path:
#               include/utmost/x.h -> UT_X_H, src/dir/x.h -> UT_DIR_X_H,
#               tests/**/x.h -> UT_TESTS_X_H, fuzz/x.h -> UT_FUZZ_X_H, bench/x.h -> UT_BENCH_X_H
#   trailing    trailing whitespace (CR included)
#   tab         tab characters
# Comments and string literals are ignored by banned/rawalloc/cxxcomment. A line containing
# "checksrc: ok" (in a comment, with the reason) is exempt from those three.
#
# usage: scripts/checksrc.sh [FILE...]   (default: every .c/.h under src include tests fuzz bench)
# Prints file:line: message (rule) and exits 1 on any violation.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
files=()
if [ $# -gt 0 ]; then
    for f in "$@"; do
        files+=("$(realpath -m --relative-to="$root" "$f")")
    done
    cd "$root"
else
    cd "$root"
    while IFS= read -r f; do
        files+=("$f")
    done < <(find src include tests fuzz bench -path bench/data -prune -o -type f \
                  \( -name '*.c' -o -name '*.h' \) -print 2>/dev/null | LC_ALL=C sort)
fi
[ ${#files[@]} -gt 0 ] || exit 0

exec awk '
function guard_for(path,    g, n, parts) {
    if (path ~ /^include\/utmost\//) {
        g = substr(path, length("include/utmost/") + 1)
    } else if (path ~ /^src\//) {
        g = substr(path, 5)
    } else if (path ~ /^(tests|fuzz|bench)\//) {
        n = split(path, parts, "/")
        g = parts[1] "/" parts[n]
    } else {
        g = path
    }
    sub(/\.h$/, "", g)
    gsub(/[^A-Za-z0-9]/, "_", g)
    return "UT_" toupper(g) "_H"
}

function report(msg, rule) {
    printf "%s:%d: %s (%s)\n", FILENAME, FNR, msg, rule
    bad++
}

# The function name in the text matched by the last match() ("(malloc (" -> "malloc").
function callee(s,    fn) {
    fn = substr(s, RSTART, RLENGTH)
    sub(/^[^A-Za-z_]/, "", fn)
    sub(/[ \t]*\($/, "", fn)
    return fn
}

# Checks on a whole file, run when the next file starts and at the end (POSIX awk has no ENDFILE).
function finish_file() {
    if (cur_file != "" && cur_is_h && ndirective == 0) {
        printf "%s:1: no header guard (expected %s) (guard)\n", cur_file, guard
        bad++
    }
}

# The line with comments and string/char literal contents blanked out; in_comment carries
# a /* ... */ across lines.
function strip(line,    out, i, n, c, d, q) {
    out = ""
    n = length(line)
    for (i = 1; i <= n; i++) {
        c = substr(line, i, 1)
        d = substr(line, i, 2)
        if (in_comment) {
            if (d == "*/") {
                in_comment = 0
                i++
            }
            out = out " "
            continue
        }
        if (d == "/*") {
            in_comment = 1
            out = out " "
            i++
            continue
        }
        if (c == "\"" || c == "\047") {
            q = c
            out = out q
            for (i++; i <= n; i++) {
                c = substr(line, i, 1)
                if (c == "\\") {
                    i++
                    continue
                }
                if (c == q) {
                    break
                }
            }
            out = out q
            continue
        }
        out = out c
    }
    return out
}

FNR == 1 {
    finish_file()
    cur_file = FILENAME
    in_comment = 0
    is_c = FILENAME ~ /\.c$/
    is_h = FILENAME ~ /\.h$/
    cur_is_h = is_h
    is_alloc = FILENAME == "src/util/alloc.c"
    seen_include = 0
    ndirective = 0
    guard = guard_for(FILENAME)
}

{
    line = $0
    if (index(line, "\t") > 0) {
        report("tab character", "tab")
    }
    if (line ~ /[ \t\r]+$/) {
        report("trailing whitespace", "trailing")
    }
    code = strip(line)
    if (index(line, "checksrc: ok") == 0) {
        rest = code
        while (match(rest, /(^|[^A-Za-z0-9_])(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol|atof|strncpy|strncat|alloca)[ \t]*\(/)) {
            report("banned function " callee(rest) "()", "banned")
            rest = substr(rest, RSTART + RLENGTH)
        }
        rest = is_alloc ? "" : code
        while (match(rest, /(^|[^A-Za-z0-9_.>])(malloc|calloc|realloc|free|strdup|strndup|aligned_alloc|posix_memalign|reallocarray|asprintf|vasprintf)[ \t]*\(/)) {
            fn = callee(rest)
            report("raw allocation " fn "(); use ut_" (fn ~ /^(malloc|calloc|realloc|free)$/ ? fn : "malloc") "() from util/alloc.h", "rawalloc")
            rest = substr(rest, RSTART + RLENGTH)
        }
        if (index(code, "//") > 0) {
            report("C++ comment; use /* */", "cxxcomment")
        }
    }
    if (is_c && !seen_include && code ~ /^[ \t]*#[ \t]*include/) {
        seen_include = 1
        if (line !~ /^#include "util\/setup\.h"/) {
            report("first include must be \"util/setup.h\"", "include")
        }
    }
    if (is_h && ndirective < 2 && code ~ /^[ \t]*#/) {
        ndirective++
        want = (ndirective == 1 ? "#ifndef " : "#define ") guard
        got = code
        sub(/[ \t]+$/, "", got)
        gsub(/[ \t]+/, " ", got)
        if (got != want) {
            report("header guard: expected \"" want "\"", "guard")
            ndirective = 2
        }
    }
}

END {
    finish_file()
    exit bad > 0 ? 1 : 0
}
' "${files[@]}"
