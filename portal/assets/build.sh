#!/usr/bin/env bash
# Build the portal's front-end assets: install the pinned npm packages (package-lock.json) and
# copy the parts of Det Fælles Designsystem (dkfds) the portal uses into portal/static/dkfds/
# (git-ignored). Run from anywhere: `bash portal/assets/build.sh`.
set -euo pipefail
ASSETS_DIR="$(cd "$(dirname "$0")" && pwd)"
STATIC_DIR="$(cd "$ASSETS_DIR/../static" && pwd)"
OUT="$STATIC_DIR/dkfds"

command -v npm >/dev/null 2>&1 || { echo "build.sh: npm is required (apt-get install npm)" >&2; exit 1; }

cd "$ASSETS_DIR"
npm ci --no-audit --no-fund --loglevel=error

DIST="$ASSETS_DIR/node_modules/dkfds/dist"
[ -d "$DIST" ] || { echo "build.sh: $DIST is missing after npm ci" >&2; exit 1; }

rm -rf "$OUT"
mkdir -p "$OUT/css" "$OUT/js" "$OUT/fonts/IBMPlexSans" "$OUT/img"
cp "$DIST/css/dkfds.min.css" "$DIST/css/dkfds.min.css.map" "$OUT/css/"
cp "$DIST/js/dkfds.min.js" "$DIST/js/dkfds.min.js.map" "$OUT/js/"
# The CSS refers to ../fonts/IBMPlexSans/complete/{eot,ttf,woff,woff2}/… and ../img/….
cp -R "$DIST/fonts/IBMPlexSans/complete" "$OUT/fonts/IBMPlexSans/"
rm -rf "$OUT/fonts/IBMPlexSans/complete/otf"
cp -R "$DIST/img/svg-icons" "$DIST/img/all-svg-icons.svg" "$OUT/img/"
cp "$DIST/img/logo-placeholder.png" "$DIST/img/logo-header-placeholder.png" "$OUT/img/"
cp "$DIST/LICENSE.md" "$OUT/"
version="$(node -p "require('$ASSETS_DIR/node_modules/dkfds/package.json').version")"
echo "$version" > "$OUT/.built"
echo "build.sh: dkfds $version copied to $OUT"
