#!/usr/bin/env bash
# Prints the path of a mediasoup-worker binary for the mediasoup version pinned
# in package.json, building it offline (scripts/offline-worker/) when the cache
# has none. The cache key is the mediasoup version plus a hash of the recipe, so
# upgrading mediasoup is a version bump in package.json and a rebuild, and any
# change to the recipe rebuilds too. Build logs go to stderr; stdout is the path.
#   SKIP_APT=1          do not apt-get the build dependencies (already installed)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RECIPE=$ROOT/scripts/offline-worker
CACHE=${CONSULTROOM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/consultroom}
VERSION=$(sed -n 's/.*"mediasoup": *"\([0-9][0-9.]*\)".*/\1/p' "$ROOT/package.json" | head -1)
[ -n "$VERSION" ] || { echo "ensure-worker: package.json must pin mediasoup to an exact version" >&2; exit 1; }
HASH=$(cd "$RECIPE" && find . -type f -not -path './tests/*' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
OUT=$CACHE/mediasoup-worker/$VERSION-$HASH
BIN=$OUT/mediasoup-worker
if [ ! -x "$BIN" ]; then
  echo "[ensure-worker] no cached worker for mediasoup $VERSION (recipe $HASH): building offline" >&2
  WORK=$CACHE/worker-build
  "$RECIPE/build-worker.sh" "$VERSION" "$WORK" >&2
  mkdir -p "$OUT"
  cp "$WORK/out/mediasoup-worker-$VERSION" "$BIN.tmp" && mv "$BIN.tmp" "$BIN"
fi
echo "$BIN"
