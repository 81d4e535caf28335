#!/usr/bin/env bash
# Prints the mediasoup-worker binary the server will run, or exits 1 when there
# is none: MEDIASOUP_WORKER_BIN if set; else mediasoup's own (its prebuilt
# download, scripts/fetch-worker.sh); else the newest offline-built one cached
# for the mediasoup version pinned in package.json (scripts/ensure-worker.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${CONSULTROOM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/consultroom}
if [ -n "${MEDIASOUP_WORKER_BIN:-}" ]; then
  [ -x "$MEDIASOUP_WORKER_BIN" ] || { echo "[find-worker] MEDIASOUP_WORKER_BIN=$MEDIASOUP_WORKER_BIN is not an executable file" >&2; exit 1; }
  echo "$MEDIASOUP_WORKER_BIN"
  exit 0
fi
OWN=$ROOT/node_modules/mediasoup/worker/out/Release/mediasoup-worker
if [ -x "$OWN" ]; then echo "$OWN"; exit 0; fi
VERSION=$(sed -n 's/.*"mediasoup": *"\([0-9][0-9.]*\)".*/\1/p' "$ROOT/package.json" | head -1)
found=$(ls -1t "$CACHE"/mediasoup-worker/"$VERSION"-*/mediasoup-worker 2>/dev/null | head -1 || true)
[ -n "$found" ] || exit 1
echo "$found"
