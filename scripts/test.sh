#!/usr/bin/env bash
# `npm test`: the whole suite (unit, integration, e2e), the same command
# everywhere. As root it re-runs itself in a loopback-only network namespace
# (unshare -n, then lo up), so every packet the tests send - HTTP, socket.io,
# ICE, DTLS, SRTP, Redis - stays on 127.0.0.1 whatever interfaces the machine
# has; elsewhere it says so and runs on the host's loopback.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
if [ -z "${CONSULTROOM_NETNS:-}" ]; then
  # Installs whatever is missing (Node, node_modules, worker, redis-server,
  # chromium) and says so; before the namespace, which has no network.
  bash "$ROOT/scripts/first-run.sh" test "$@"
  if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && command -v ip >/dev/null; then
    exec unshare -n env CONSULTROOM_NETNS=1 bash -c 'ip link set lo up && exec bash "$0" "$@"' "$0" "$@"
  fi
  echo "[test] not root (or no unshare/ip): running on the host's loopback; tests still send only to 127.0.0.1" >&2
fi
# The e2e tests load the pages' bundles: build them from the sources as they are now.
bash "$ROOT/scripts/with-node.sh" node "$ROOT/scripts/build-client.ts" >/dev/null
# TEST_REPORT=FILE also writes vitest's JSON report there (CI prints a summary from it).
if [ -n "${TEST_REPORT:-}" ]; then
  set -- --reporter=default --reporter=json --outputFile.json="$TEST_REPORT" "$@"
fi
exec bash "$ROOT/scripts/with-node.sh" npx vitest run "$@"
