#!/usr/bin/env bash
# tests/cli/test_attribute.sh - `utmost attribute` end to end: the real binary
# on our fixtures (tests/data/cli) and on the public peer datasets with their
# published reference outputs (../shared/data/peers). Usage: test_attribute.sh UTMOST
set -u
UT=$1
D=${UT_TEST_DATA:-$(dirname "$0")/../data}/cli
P=${UT_PEERS_DIR:-$(dirname "$0")/../../../shared/data/peers}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok $((pass + fail)) - $1"; }
nok() {
    fail=$((fail + 1))
    echo "not ok $((pass + fail)) - $1"
    sed 's/^/#   stdout: /' "$tmp/out" | head -20
    sed 's/^/#   stderr: /' "$tmp/err" | head -5
}
# run ARGS...: the binary's stdout, stderr and exit code land in $tmp/out, $tmp/err, $rc
run() { "$UT" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }

# row MODEL CHANNEL CONV VALUE: $tmp/out (csv) has that row, numbers within 1e-9 relative
row() {
    awk -F, -v m="$1" -v c="$2" -v ec="$3" -v ev="$4" '
        function near(a, b) { d = a - b; if (d < 0) d = -d; s = b < 0 ? -b : b; if (s < 1) s = 1; return d <= 1e-9 * s }
        $1 == m && $2 == c { found = 1; if (near($3, ec) && near($4, ev)) good = 1 }
        END { exit !(found && good) }' "$tmp/out"
}

# golden EXPECTED MAP: every expected row (model,channel,credit,value_credit) whose model
# maps (MAP is "theirs=ours,...") is in $tmp/out within 1e-8 relative; and no extra credit
golden() {
    awk -F, -v map="$2" '
        function near(a, b) { d = a - b; if (d < 0) d = -d; s = b < 0 ? -b : b; if (s < 1) s = 1; return d <= 1e-8 * s }
        BEGIN { n = split(map, kv, ","); for (i = 1; i <= n; i++) { split(kv[i], p, "="); m[p[1]] = p[2] } }
        FNR == NR { if (FNR > 1) { got[$1 "|" $2] = $3; gotv[$1 "|" $2] = $4 } next }
        FNR > 1 && ($1 in m) {
            k = m[$1] "|" $2; checked++
            if (!(k in got)) { if ($3 + 0 == 0) next; print "#   missing " k; bad++; next }
            if (!near(got[k], $3) || ($4 != "" && !near(gotv[k], $4))) {
                print "#   " k ": got " got[k] " / " gotv[k] ", want " $3 " / " $4; bad++ }
        }
        END { if (checked == 0) { print "#   nothing compared"; exit 1 } exit bad > 0 }' "$tmp/out" "$1"
}

# ---- hand-derived results ------------------------------------------------------------
run attribute --paths "$D/markov3.csv" --model markov --format csv
if [ $rc -eq 0 ] && row markov C1 0.2 2 && row markov C2 0.4 4 && row markov C3 0.4 4; then
    ok "markov order 1 on C1>C2>C3 gives 0.2 / 0.4 / 0.4"
else nok "markov order 1 on C1>C2>C3 gives 0.2 / 0.4 / 0.4"; fi

run attribute --paths "$D/markov3.csv" --model first,last --format csv
if [ $rc -eq 0 ] && [ "$(head -1 "$tmp/out")" = "model,channel,conversions,value" ] &&
    [ "$(cut -d, -f1,2 "$tmp/out" | tr '\n' ' ')" = "model,channel first,C1 first,C2 first,C3 last,C1 last,C2 last,C3 " ] &&
    row first C1 1 10 && row last C3 1 10 && row first C2 0 0; then
    ok "csv: header, model order as given, channels in byte order, zero rows"
else nok "csv: header, model order as given, channels in byte order, zero rows"; fi

run attribute --paths "$D/semicolon_crlf.csv" --model linear,position --format csv
if [ $rc -eq 0 ] && grep -q '^linear,quoted;name,0.5,0$' "$tmp/out" &&
    grep -q "^linear,café,1.5,0$" "$tmp/out" && grep -q "^linear,日本,1,0$" "$tmp/out"; then
    ok "';' separator, CRLF, quoted field, non-ASCII names, columns in any order"
else nok "';' separator, CRLF, quoted field, non-ASCII names, columns in any order"; fi

run attribute --paths "$D/tab_empty_path.csv" --model all --format csv
if [ $rc -eq 0 ] && row first "(none)" 2 7 && row markov "(none)" 2 7 && row markov a 0.5 2.5 &&
    row fractribution "(none)" 2 7 && row shapley b 0.5 2.5; then
    ok "tab separator; an empty path credits (none) in every model"
else nok "tab separator; an empty path credits (none) in every model"; fi

run attribute --paths "$D/header_only.csv" --model all --format json
if [ $rc -eq 0 ] && grep -q '"totals":{"conversions":0,"value":0}' "$tmp/out"; then
    ok "header-only file: no rows, zero totals"
else nok "header-only file: no rows, zero totals"; fi

run attribute --paths "$D/markov3.csv" --model markov,shapley --format json
if [ $rc -eq 0 ] && node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    if (r.models.length !== 2 || r.models[0].model !== "markov") process.exit(1);
    const c2 = r.models[0].rows.find(x => x.channel === "C2");
    if (Math.abs(c2.conversions - 0.4) > 1e-12 || r.totals.conversions !== 1 || r.totals.value !== 10) process.exit(1);' "$tmp/out"; then
    ok "json output parses and carries models, rows and totals"
else nok "json output parses and carries models, rows and totals"; fi

run attribute --paths "$D/markov3.csv" --model all --format table
if [ $rc -eq 0 ] && head -1 "$tmp/out" | grep -q '^model  *channel  *conversions  *value$'; then
    ok "table output"
else nok "table output"; fi

# ---- event input -----------------------------------------------------------------------
ev=(--touches "$D/touches.csv" --conversions "$D/conversions.csv")
run attribute "${ev[@]}" --model first,last,last_non_direct,position,markov --format csv
if [ $rc -eq 0 ] && row first "Paid Search" 1 100 && row first "Organic Social" 1 50 &&
    row first "(none)" 1 20 && row last Direct 2 150 && row last_non_direct Email 1 100 &&
    row last_non_direct "Organic Social" 1 50 && row position Direct 0.9 65 &&
    row markov Direct 0.8 60 && row markov "Paid Search" 0.4 30 && row markov "(none)" 1 20; then
    ok "event input: lookback, (none), last_non_direct, position, markov with a null path"
else nok "event input: lookback, (none), last_non_direct, position, markov with a null path"; fi

run attribute "${ev[@]}" --model time_decay --half-life 7d --format csv
w1=$(awk 'BEGIN { a = 2^(-9/7); b = 2^(-5/7); c = 2^(-1/7); printf "%.15g", a / (a + b + c) }')
if [ $rc -eq 0 ] && row time_decay "Paid Search" "$w1" "$(awk -v w="$w1" 'BEGIN { printf "%.15g", 100 * w }')"; then
    ok "time_decay weights 2^(-(T-t)/half_life)"
else nok "time_decay weights 2^(-(T-t)/half_life)"; fi

run attribute "${ev[@]}" --model first,last,last_non_direct --by source --format csv
if [ $rc -eq 0 ] && [ "$(head -1 "$tmp/out")" = "model,source,conversions,value" ] &&
    row first google 1 100 && row last "(none)" 3 170 && row last_non_direct newsletter 1 100 &&
    row last_non_direct instagram 1 50; then
    ok "--by source credits the column, direct still judged by channel"
else nok "--by source credits the column, direct still judged by channel"; fi

run attribute "${ev[@]}" --model first --lookback 200d --format csv
if [ $rc -eq 0 ] && row first Email 1 20 && ! grep -q "(none)" "$tmp/out"; then
    ok "--lookback widens the window"
else nok "--lookback widens the window"; fi

# ---- errors and exit codes ------------------------------------------------------------
expect_fail() { # NAME CODE STDERR-REGEX ARGS...
    local name=$1 code=$2 re=$3
    shift 3
    run "$@"
    if [ $rc -eq "$code" ] && [ ! -s "$tmp/out" ] && grep -Eq "$re" "$tmp/err" &&
        [ "$(wc -l <"$tmp/err")" -eq 1 ]; then
        ok "$name"
    else nok "$name (exit $rc)"; fi
}
expect_fail "unknown model: 64" 64 "unknown model 'nope'" attribute --paths "$D/markov3.csv" --model first,nope
expect_fail "order 5: 64" 64 "order" attribute --paths "$D/markov3.csv" --model markov --order 5
expect_fail "order 0: 64" 64 "order" attribute --paths "$D/markov3.csv" --model markov --order 0
expect_fail "malformed duration: 64" 64 "lookback" attribute "${ev[@]}" --model first --lookback 30x
expect_fail "unknown option: 64" 64 "unknown option" attribute --paths "$D/markov3.csv" --model first --bogus
expect_fail "time model on paths: 64" 64 "time_decay" attribute --paths "$D/markov3.csv" --model time_decay
expect_fail "unreadable file: 66" 66 "cannot open '.*nonexistent.csv'" attribute --paths "$D/nonexistent.csv" --model first
expect_fail "malformed number: 65 with file:line:col" 65 "bad_number.csv:3:[0-9]+: .*x1" attribute --paths "$D/bad_number.csv" --model first
expect_fail "missing column: 65" 65 "missing_column.csv:1:[0-9]+: .*total_conversions" attribute --paths "$D/missing_column.csv" --model first
expect_fail "empty file: 65" 65 "empty.csv:1:1: " attribute --paths "$D/empty.csv" --model first
expect_fail "timestamp without a zone: 65" 65 "touches_nozone.csv:2:[0-9]+: .*zone" attribute --touches "$D/touches_nozone.csv" --conversions "$D/conversions.csv" --model first

# ---- published reference outputs --------------------------------------------------------
for ds in toy_edge_cases toy_markov_3paths toy_markov_4rows toy_mta_fixture Data; do
    in="$P/$ds.csv"
    [ "$ds" = Data ] && in="$P/ChannelAttribution_Data.csv"
    run attribute --paths "$in" --model first,last,linear --format csv
    if [ $rc -eq 0 ] && golden "$P/expected/$ds/ca_heuristic.csv" "first_touch=first,last_touch=last,linear_touch=linear"; then
        ok "$ds: first/last/linear match ChannelAttribution"
    else nok "$ds: first/last/linear match ChannelAttribution"; fi
    for k in 1 2 3 4; do
        grep -q "exact_markov_o${k}_" "$P/expected/$ds/exact_markov.csv" || continue
        run attribute --paths "$in" --model markov --order $k --format csv
        if [ $rc -eq 0 ] && golden "$P/expected/$ds/exact_markov.csv" "exact_markov_o${k}_null_inf=markov"; then
            ok "$ds: markov order $k matches the exact solution"
        else nok "$ds: markov order $k matches the exact solution"; fi
        run attribute --paths "$in" --model markov --order $k --no-null --format csv
        if [ $rc -eq 0 ] && golden "$P/expected/$ds/exact_markov.csv" "exact_markov_o${k}_nonull_inf=markov"; then
            ok "$ds: markov order $k --no-null matches the exact solution"
        else nok "$ds: markov order $k --no-null matches the exact solution"; fi
    done
    run attribute --paths "$in" --model shapley --format csv
    if [ $rc -eq 0 ] && awk -F, 'NR > 1 { print "shapley," $2 "," $3 "," }' "$P/expected/$ds/mta_shapley.csv" >"$tmp/exp" &&
        sed -i '1i model,channel,credit,value_credit' "$tmp/exp" &&
        golden "$tmp/exp" "shapley=shapley"; then
        ok "$ds: shapley matches eeghor/mta"
    else nok "$ds: shapley matches eeghor/mta"; fi
    for tr in exposure unique first frequency; do
        run attribute --paths "$in" --model fractribution --transform $tr --format csv
        awk -F, -v t=$tr 'NR == 1 || ($1 == "shapley" && $2 == t) { print $1 "," $3 "," $4 "," $5 }' \
            "$P/expected/$ds/fractribution.csv" >"$tmp/exp"
        if [ $rc -eq 0 ] && golden "$tmp/exp" "shapley=fractribution"; then
            ok "$ds: fractribution --transform $tr matches google/fractribution"
        else nok "$ds: fractribution --transform $tr matches google/fractribution"; fi
    done
done

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
