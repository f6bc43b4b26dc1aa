#!/usr/bin/env bash
# Install the Python packages the OGC client tests use (OWSLib) into tests/ogc/.venv from the
# pinned tests/ogc/requirements.txt. Idempotent: skips when the venv already matches the file
# (the stamp records the requirements it was built from). Prints the venv's python.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
req="$ROOT/tests/ogc/requirements.txt"
venv="$ROOT/tests/ogc/.venv"
stamp="$venv/.sigap-requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$venv/bin/python" ]]; then
  echo "$venv/bin/python"
  exit 0
fi
if ! python3 -m venv --help >/dev/null 2>&1; then
  echo "py-setup: installing Debian's python3-venv" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
fi
rm -rf "$venv"
python3 -m venv "$venv" >&2
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
echo "$want" >"$stamp"
echo "$venv/bin/python"
