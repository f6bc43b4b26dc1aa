#!/usr/bin/env bash
# Install the Python packages the OGC client tests use (OWSLib) into tests/ogc/.venv from the
# pinned tests/ogc/requirements.txt, or with NAME those of tests/ogc/NAME.txt into
# tests/ogc/.venv-NAME (`pygeoapi`: the peer of scripts/ogc-bench.sh). Idempotent: skips when the
# venv already matches the file (the stamp records the requirements it was built from).
# Prints the venv's python. PY_SETUP_PYTHON picks the interpreter (default python3); the
# pygeoapi bench uses Debian's /usr/bin/python3, whose sqlite3 can load SpatiaLite.
#   scripts/py-setup.sh [NAME]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ $# -gt 0 ]]; then
  req="$ROOT/tests/ogc/$1.txt"
  venv="$ROOT/tests/ogc/.venv-$1"
else
  req="$ROOT/tests/ogc/requirements.txt"
  venv="$ROOT/tests/ogc/.venv"
fi
stamp="$venv/.sigap-requirements.sha256"
PYTHON="${PY_SETUP_PYTHON:-python3}"
want="$( (cat "$req"; echo "$PYTHON") | sha256sum | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$venv/bin/python" ]]; then
  echo "$venv/bin/python"
  exit 0
fi
if ! "$PYTHON" -m venv --help >/dev/null 2>&1; then
  echo "py-setup: installing Debian's python3-venv" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
fi
rm -rf "$venv"
"$PYTHON" -m venv "$venv" >&2
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
echo "$want" >"$stamp"
echo "$venv/bin/python"
