#!/usr/bin/env bash
# scripts/deps.sh - install the Debian packages utmost needs to build and test,
# only those that are missing (apt-get update runs first when something is).
# Safe to run again; needs root (or sudo) only when something is missing.
set -euo pipefail

pkgs=(build-essential cmake ninja-build pkg-config clang clang-tidy cppcheck libsqlite3-dev libcjson-dev
      libssl-dev libmicrohttpd-dev sqlite3 curl gzip chromium)
# The e2e tests (tests/e2e) need Node.js >= 20 with npm. Node is often installed outside apt
# (nodesource, nvm) and Debian's npm package would pull Debian's older nodejs over it: ask apt
# only for what is missing from PATH.
if ! command -v node >/dev/null 2>&1; then
    pkgs+=(nodejs)
fi
if ! command -v npm >/dev/null 2>&1; then
    pkgs+=(npm)
fi

missing=()
for p in "${pkgs[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
node_check() {
    local major
    major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
    if [ "$major" -lt 20 ]; then
        echo "warning: tests/e2e needs Node.js >= 20 (found: $(node --version 2>/dev/null || echo none))" >&2
    fi
}
if [ "${#missing[@]}" -eq 0 ]; then
    node_check
    exit 0
fi
echo "installing: ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
node_check
