#!/usr/bin/env bash
# Installs the Debian packages the tests and benchmarks need, only when missing.
set -euo pipefail
need=()
dpkg -s postgresql-15-postgis-3 >/dev/null 2>&1 || need+=(postgresql-15-postgis-3)
command -v ogrinfo >/dev/null 2>&1 || need+=(gdal-bin)
command -v cs2cs >/dev/null 2>&1 || need+=(proj-bin)  # the reference transform of tests/ogc_crs.rs
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
# Noto Sans: the map's label glyphs are rendered from it (scripts/web-setup.sh).
[ -f /usr/share/fonts/truetype/noto/NotoSans-Regular.ttf ] || need+=(fonts-noto-core)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

