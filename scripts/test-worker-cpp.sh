#!/usr/bin/env bash
# Builds and runs mediasoup's own C++ unit tests (Catch2) against the offline
# recipe's shims, for the mediasoup version pinned in package.json. Needs the
# offline worker built first (scripts/ensure-worker.sh) and cmake. Takes about
# 15 minutes on 2 cores. Expected: 144 of 145 test cases pass; "Scenario: RTP
# Packet" is excluded because the npm tarball lacks its test/data files.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${CONSULTROOM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/consultroom}
VERSION=$(sed -n 's/.*"mediasoup": *"\([0-9][0-9.]*\)".*/\1/p' "$ROOT/package.json" | head -1)
bash "$ROOT/scripts/ensure-worker.sh" >/dev/null
exec "$ROOT/scripts/offline-worker/build-worker-tests.sh" "$VERSION" "$CACHE/worker-build"
