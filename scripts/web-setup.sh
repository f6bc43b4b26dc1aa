#!/usr/bin/env bash
# Install the web page's and the browser test's npm packages from their lock files, and render
# the map's label glyphs (below).
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

# Glyph PBFs for the map's labels (MapLibre needs SDF glyphs; no font server, no internet at run
# time): rendered from Debian's Noto Sans by tools/glyphs (stadiamaps' pbf_font_tools, FreeType
# built from source) into web/glyphs/<font>/<range>.pbf. Redone only when the fonts or the tool change.
FONT_DIR=/usr/share/fonts/truetype/noto
FONTS=("$FONT_DIR/NotoSans-Regular.ttf" "$FONT_DIR/NotoSans-Bold.ttf")
if [[ ! -f "${FONTS[0]}" || ! -f "${FONTS[1]}" ]]; then
  echo "web-setup: installing Debian's fonts-noto-core (Noto Sans for the map labels)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq fonts-noto-core >/dev/null
fi
GLYPHS="$ROOT/web/glyphs"
want="$(cat "${FONTS[@]}" "$ROOT/tools/glyphs/Cargo.toml" "$ROOT/tools/glyphs/src/main.rs" | sha256sum | cut -d' ' -f1)"
if [[ -f "$GLYPHS/.sigap-glyphs.sha256" && "$(cat "$GLYPHS/.sigap-glyphs.sha256")" == "$want" ]]; then
  echo "web-setup: glyphs up to date"
else
  TARGET_DIR="$(cd "$ROOT" && realpath -m "${CARGO_TARGET_DIR:-target}")"
  echo "web-setup: building tools/glyphs and rendering Noto Sans glyphs"
  cargo build --quiet --release --manifest-path "$ROOT/tools/glyphs/Cargo.toml" --target-dir "$TARGET_DIR"
  rm -rf "$GLYPHS.tmp" && mkdir -p "$GLYPHS.tmp"
  "$TARGET_DIR/release/sigap-glyphs" "$GLYPHS.tmp" "${FONTS[@]}"
  echo "$want" >"$GLYPHS.tmp/.sigap-glyphs.sha256"
  rm -rf "$GLYPHS" && mv "$GLYPHS.tmp" "$GLYPHS"
fi

# Brotli and gzip copies of MapLibre, uPlot and the glyphs beside them, which sigap sends to
# browsers that accept them (first paint: 1.7 MB of MapLibre becomes 0.37 MB on the wire).
# Redone per file only when the file is newer than its copies.
node "$ROOT/scripts/precompress.mjs" "$ROOT/web"
