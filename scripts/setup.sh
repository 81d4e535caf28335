#!/usr/bin/env bash
# `npm run setup`: installs the project where mediasoup's prebuilt worker
# cannot be downloaded (air-gapped trusts, CI here). Node >= 22 from the npm
# registry if needed; the mediasoup worker built offline from the npm tarball
# and Debian packages (scripts/offline-worker/), cached by version and recipe
# hash; then `npm ci` with MEDIASOUP_WORKER_BIN pointing at it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
. scripts/node-env.sh
BIN=$(bash scripts/ensure-worker.sh)
echo "[setup] mediasoup worker: $BIN" >&2
MEDIASOUP_WORKER_BIN=$BIN npm ci --no-audit --no-fund
npm run build:client
