#!/usr/bin/env bash
# scripts/test.sh - the whole test suite, as CI runs it: installs what is
# missing, builds with -Werror under ASan + UBSan, and runs every ctest test
# (unit, model golden files, CLI, Node end-to-end, fuzz corpus replays), then
# the static checks (clang-tidy, cppcheck; scripts/lint.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
if [ -x scripts/checksrc.sh ]; then
    scripts/checksrc.sh
fi
(cd tests/e2e && npm ci --no-audit --no-fund)
cmake --workflow --preset ci
scripts/lint.sh
