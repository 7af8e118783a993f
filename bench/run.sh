#!/usr/bin/env bash
# bench/run.sh - build the release preset, generate the benchmark inputs into bench/data/
# (git-ignored) when they are missing, time `utmost attribute` on them and print a markdown
# table: median wall time and peak RSS over N runs of each case.
#
# usage: bench/run.sh [--runs N] [--gen-only] [--regen] [--no-build]
#   --runs N     runs per case, median reported (default 3)
#   --gen-only   build bench_gen and generate the data, time nothing
#   --regen      regenerate the data even when present
#   --no-build   use the binaries already in build/release
# Environment: UT_BENCH_SEED (default 1) seeds the generator; data files are named after their
# size and seed, so a different seed never reuses stale files.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

runs=3
gen_only=0
regen=0
build=1
while [ $# -gt 0 ]; do
    case $1 in
    --runs) [ $# -ge 2 ] || { echo "bench/run.sh: --runs needs a value" >&2; exit 64; }
        runs=$2; shift 2 ;;
    --gen-only) gen_only=1; shift ;;
    --regen) regen=1; shift ;;
    --no-build) build=0; shift ;;
    -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown option '$1'" >&2
        echo "usage: bench/run.sh [--runs N] [--gen-only] [--regen] [--no-build]" >&2
        exit 64 ;;
    esac
done
case $runs in '' | *[!0-9]* | 0) echo "bench/run.sh: bad --runs '$runs'" >&2; exit 64 ;; esac

bin=build/release
data=bench/data
seed=${UT_BENCH_SEED:-1}
paths=$data/paths_1m_s$seed.csv
touches=$data/touches_10m_s$seed.csv
convs=$data/conversions_10m_s$seed.csv

# ---- build -----------------------------------------------------------------------------------
if [ $build = 1 ]; then
    targets=(bench_gen)
    [ $gen_only = 1 ] || targets+=(utmost)
    echo "building ${targets[*]} (release preset)" >&2
    cmake --preset release >/dev/null
    cmake --build --preset release --target "${targets[@]}" >/dev/null
fi

# ---- data ------------------------------------------------------------------------------------
# Written under a temporary name and renamed, so an interrupted run leaves no half file.
gen() {
    local out=$1
    shift
    if [ $regen = 0 ] && [ -s "$out" ]; then
        return 0
    fi
    echo "generating $out" >&2
    "$bin/bench_gen" "$@" --out "$out.tmp"
    mv "$out.tmp" "$out"
}

gen_events() {
    if [ $regen = 0 ] && [ -s "$touches" ] && [ -s "$convs" ]; then
        return 0
    fi
    echo "generating $touches and $convs" >&2
    "$bin/bench_gen" events --touches 10000000 --persons 1000000 --seed "$seed" \
        --out-touches "$touches.tmp" --out-conversions "$convs.tmp"
    mv "$touches.tmp" "$touches"
    mv "$convs.tmp" "$convs"
}

mkdir -p "$data"
gen "$paths" paths --rows 1000000 --seed "$seed"
gen_events
if [ $gen_only = 1 ]; then
    ls -l "$paths" "$touches" "$convs"
    exit 0
fi

# ---- timing ----------------------------------------------------------------------------------
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

have_time=0
if [ -x /usr/bin/time ]; then
    have_time=1
else
    echo "note: /usr/bin/time not found (apt-get install time); peak RSS not measured" >&2
fi

# Run "$@" once, stdout to /dev/null; print "seconds peak_kb" or "FAIL <exit code>".
run_once() {
    local rc=0 t
    if [ $have_time = 1 ]; then
        /usr/bin/time -f '%e %M' -o "$tmp/time" "$@" >/dev/null 2>"$tmp/stderr" || rc=$?
    else
        TIMEFORMAT=%R
        { time "$@" >/dev/null 2>"$tmp/stderr"; } 2>"$tmp/time" || rc=$?
        t=$(tail -n 1 "$tmp/time")
        echo "$t -" >"$tmp/time"
    fi
    if [ $rc != 0 ]; then
        echo "FAIL $rc"
        return 0
    fi
    tail -n 1 "$tmp/time"
}

# Median of the numbers on stdin (the middle one; the lower middle for an even count).
median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "-" } else { print v[int((NR + 1) / 2)] } }'
}

rows=()
bench_case() {
    local name=$1 input=$2 r out secs=() kbs=() fail=""
    shift 2
    echo "timing: $name ($runs runs)" >&2
    for r in $(seq "$runs"); do
        out=$(run_once "$bin/utmost" "$@")
        if [ "${out%% *}" = FAIL ]; then
            fail="exit ${out#FAIL }"
            echo "  run $r failed ($fail): $(head -c 300 "$tmp/stderr")" >&2
            break
        fi
        secs+=("${out%% *}")
        kbs+=("${out#* }")
        echo "  run $r: ${out%% *} s, ${out#* } KB" >&2
    done
    if [ -n "$fail" ]; then
        rows+=("| $name | $input | failed ($fail) | | | |")
        return 0
    fi
    local med min max kb
    med=$(printf '%s\n' "${secs[@]}" | median)
    min=$(printf '%s\n' "${secs[@]}" | sort -g | head -n 1)
    max=$(printf '%s\n' "${secs[@]}" | sort -g | tail -n 1)
    if [ "${kbs[0]}" = - ]; then
        kb=n/a
    else
        kb=$(printf '%s\n' "${kbs[@]}" | median | awk '{ printf "%.0f", $1 / 1024 }')
    fi
    rows+=("| $name | $input | $med | $min | $max | $kb |")
}

bench_case "markov, order 1" "1M path rows" \
    attribute --paths "$paths" --model markov --order 1 --format csv
bench_case "markov, order 3" "1M path rows" \
    attribute --paths "$paths" --model markov --order 3 --format csv
bench_case "all models" "1M path rows" \
    attribute --paths "$paths" --model all --format csv
bench_case "all models, event level" "10M touches, ~1M conversions" \
    attribute --touches "$touches" --conversions "$convs" --model all --format csv

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
echo
echo "utmost $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo '+dirty'), release preset; ${cpu:-unknown cpu}, $(nproc) cpus; median of $runs runs"
echo
echo "| case | input | median s | min s | max s | peak RSS MB |"
echo "|---|---|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
