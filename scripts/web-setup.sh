#!/usr/bin/env bash
# Install the web page's and the browser test's npm packages from their lock files.
# Idempotent: skips a directory whose node_modules already matches its package-lock.json
# (npm writes node_modules/.package-lock.json; the stamp below records the lock it came from).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if ! command -v npm >/dev/null 2>&1; then
  echo "web-setup: installing Debian's nodejs and npm"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi

for dir in web tests/browser; do
  d="$ROOT/$dir"
  lock="$d/package-lock.json"
  stamp="$d/node_modules/.sigap-lock.sha256"
  if [[ ! -f "$lock" ]]; then
    echo "web-setup: $dir/package-lock.json missing" >&2
    exit 1
  fi
  want="$(sha256sum "$lock" | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    echo "web-setup: $dir up to date"
    continue
  fi
  echo "web-setup: npm ci in $dir"
  (cd "$d" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
done
