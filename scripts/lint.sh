#!/usr/bin/env bash
# scripts/lint.sh - every static check of STYLE.md "Static analysis and lint" in one run:
# scripts/checksrc.sh, clang-tidy (root .clang-tidy) and cppcheck, over our own sources only
# (src/ tests/ fuzz/ bench/ as listed in build/dev/compile_commands.json, plus include/ for
# checksrc). Exits 1 when any of them reports something.
#
# usage: scripts/lint.sh [-j N] [--exclude FILE]... [--skip checksrc|tidy|cppcheck]... [FILE...]
#   FILE...        lint only these (default: everything)
#   --exclude F    leave F out (repeatable), e.g. a file being rewritten
#   --skip STEP    leave a step out (repeatable)
#   -j N           parallel jobs (default: nproc)
# Environment: UT_LINT_BUILD_DIR (default build/dev; configured with `cmake --preset dev` when
# its compile_commands.json is missing or does not list every source), CLANG_TIDY, CPPCHECK.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2

usage() {
    echo "usage: scripts/lint.sh [-j N] [--exclude FILE]... [--skip checksrc|tidy|cppcheck]... [FILE...]" >&2
    exit 64
}

jobs=$(nproc 2>/dev/null || echo 2)
excludes=()
skips=" "
only=()
while [ $# -gt 0 ]; do
    case $1 in
    -j) [ $# -ge 2 ] || usage; jobs=$2; shift 2 ;;
    -j*) jobs=${1#-j}; shift ;;
    --exclude) [ $# -ge 2 ] || usage; excludes+=("$(realpath -m --relative-to="$root" "$2")"); shift 2 ;;
    --skip) [ $# -ge 2 ] || usage; skips="$skips$2 "; shift 2 ;;
    -h | --help) usage ;;
    -*) usage ;;
    *) only+=("$(realpath -m --relative-to="$root" "$1")"); shift ;;
    esac
done
case $jobs in '' | *[!0-9]*) usage ;; esac

build=${UT_LINT_BUILD_DIR:-build/dev}
tidy=${CLANG_TIDY:-clang-tidy}
cppcheck=${CPPCHECK:-cppcheck}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=()

skipped() {
    case $skips in *" $1 "*) return 0 ;; esac
    return 1
}

# Keep the paths of stdin that are selected (FILE... if given) and not excluded.
select_files() {
    local f x keep
    while IFS= read -r f; do
        keep=1
        if [ ${#only[@]} -gt 0 ]; then
            keep=0
            for x in "${only[@]}"; do
                [ "$f" = "$x" ] && keep=1
            done
        fi
        for x in "${excludes[@]+"${excludes[@]}"}"; do
            [ "$f" = "$x" ] && keep=0
        done
        [ $keep = 1 ] && echo "$f"
    done
    return 0
}

# ---- compilation database -----------------------------------------------------------------
all_sources() {
    find src tests fuzz bench -path bench/data -prune -o -type f -name '*.c' -print 2>/dev/null |
        LC_ALL=C sort
}

db_sources() {
    # "file" entries of compile_commands.json under our source dirs, relative to the root.
    sed -n 's/^ *"file": *"\(.*\)",\{0,1\} *$/\1/p' "$build/compile_commands.json" |
        sed "s|^$root/||" | grep -E '^(src|tests|fuzz|bench)/' | LC_ALL=C sort -u
}

if ! skipped tidy || ! skipped cppcheck; then
    if [ ! -f "$build/compile_commands.json" ] ||
        [ -n "$(LC_ALL=C comm -23 <(all_sources) <(db_sources))" ]; then
        echo "lint: configuring $build (compile_commands.json missing or stale)" >&2
        if [ "$build" = build/dev ]; then
            cmake --preset dev >"$tmp/configure.log" 2>&1
        else
            cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug >"$tmp/configure.log" 2>&1
        fi || { cat "$tmp/configure.log" >&2; echo "lint: configure failed" >&2; exit 2; }
    fi
    # sources generated at build time (embedded migrations and web assets) must exist for the
    # checkers: build just the libraries that generate them
    cmake --build "$build" --target ut_store ut_server >"$tmp/generate.log" 2>&1 ||
        { cat "$tmp/generate.log" >&2; echo "lint: cannot generate sources" >&2; exit 2; }
    db_sources | select_files >"$tmp/sources"
fi

# ---- checksrc --------------------------------------------------------------------------------
if ! skipped checksrc; then
    echo "== checksrc"
    find src include tests fuzz bench -path bench/data -prune -o -type f \
        \( -name '*.c' -o -name '*.h' \) -print 2>/dev/null | LC_ALL=C sort |
        select_files >"$tmp/checksrc_files"
    if [ -s "$tmp/checksrc_files" ]; then
        mapfile -t files <"$tmp/checksrc_files"
        scripts/checksrc.sh "${files[@]}" || failed+=(checksrc)
    fi
fi

# ---- clang-tidy ------------------------------------------------------------------------------
# One clang-tidy per file, in parallel, each into its own log so the output stays in file
# order. tests/: readability-function-size is off, because every T_* assertion is a macro
# expanding to an if inside a do-while, so statement counts and nesting of a plain list of
# assertions say nothing about the test.
run_tidy_one() {
    local f=$1 extra=()
    case $f in tests/*) extra=(--checks=-readability-function-size) ;; esac
    "$tidy" -p "$build" --quiet --extra-arg=-Wno-unknown-warning-option "${extra[@]}" "$f" \
        >"$tmp/tidy/$(echo "$f" | tr / _).log" 2>&1
    return 0
}

if ! skipped tidy; then
    echo "== clang-tidy ($(wc -l <"$tmp/sources") files)"
    mkdir -p "$tmp/tidy"
    export -f run_tidy_one
    export tidy build tmp
    # shellcheck disable=SC2016 # $1 is expanded by the inner bash
    xargs -a "$tmp/sources" -P "$jobs" -I{} bash -c 'run_tidy_one "$1"' _ {}
    while IFS= read -r f; do
        # drop the "N warnings generated." chatter clang prints to stderr
        grep -v -E '^[0-9]+ (warning|error)s? (and [0-9]+ (warning|error)s? )?generated\.$' \
            "$tmp/tidy/$(echo "$f" | tr / _).log" | sed "s|$root/||g"
    done <"$tmp/sources" >"$tmp/tidy.out"
    # A header's findings repeat once per file including it: print each diagnostic once.
    grep -E '^[^ ].*:[0-9]+:[0-9]+: (warning|error):' "$tmp/tidy.out" | LC_ALL=C sort -u \
        >"$tmp/tidy.list"
    if [ -s "$tmp/tidy.list" ]; then
        cat "$tmp/tidy.out"
        echo "-- clang-tidy: $(wc -l <"$tmp/tidy.list") distinct findings:"
        cat "$tmp/tidy.list"
        failed+=(clang-tidy)
    fi
fi

# ---- cppcheck --------------------------------------------------------------------------------
# Suppressed globally, with the reason:
#   missingIncludeSystem  cppcheck does not need libc headers (STYLE.md).
#   variableScope         declaring locals at the top of a block is the project idiom: whatever
#                         the exit path frees is declared and set empty before the first goto
#                         (rule 10), as git and curl do.
if ! skipped cppcheck; then
    echo "== cppcheck"
    cpp_excl=()
    for x in "${excludes[@]+"${excludes[@]}"}"; do
        cpp_excl+=("-i$x")
    done
    if [ ${#only[@]} -gt 0 ]; then
        # cppcheck has no "only these" switch: exclude every other listed source.
        while IFS= read -r f; do
            grep -qxF "$f" "$tmp/sources" || cpp_excl+=("-i$f")
        done < <(db_sources)
    fi
    if [ -s "$tmp/sources" ]; then
        "$cppcheck" --project="$build/compile_commands.json" \
            --enable=warning,style,performance,portability --inline-suppr --error-exitcode=1 \
            --suppress=missingIncludeSystem --suppress=variableScope \
            -ibuild "${cpp_excl[@]+"${cpp_excl[@]}"}" -j "$jobs" --quiet \
            --template='{file}:{line}:{column}: {severity}: {message} [{id}]' 2>&1 |
            sed "s|$root/||g" || failed+=(cppcheck)
    fi
fi

if [ ${#failed[@]} -gt 0 ]; then
    echo "lint: findings from: ${failed[*]}"
    exit 1
fi
echo "lint: clean"
