#!/usr/bin/env bash
# Runs a command with Node >= 22 on PATH and, when the mediasoup package has no
# worker binary of its own (offline install), the cached offline-built one.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/node-env.sh"
if [ -z "${MEDIASOUP_WORKER_BIN:-}" ] && [ ! -x "$ROOT/node_modules/mediasoup/worker/out/Release/mediasoup-worker" ]; then
  found=$(bash "$ROOT/scripts/find-worker.sh" 2>/dev/null || true)
  if [ -n "$found" ]; then export MEDIASOUP_WORKER_BIN=$found; fi
fi
exec "$@"
