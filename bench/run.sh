#!/usr/bin/env bash
# `npm run bench [-- NAME...]`: every benchmark inside a loopback-only network
# namespace (unshare -n, then lo up), as scripts/test.sh does for the tests,
# so all benchmark traffic - HTTP, socket.io, ICE/DTLS/SRTP, RTP, Redis -
# stays on 127.0.0.1. Raises the open-file limit to its hard limit (10,000
# waiting sockets need it). Names: admit link capacity forwarding sharing hostile clinic scale.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
if [ -z "${CONSULTROOM_NETNS:-}" ]; then
  if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null || ! command -v ip >/dev/null; then
    echo "[bench] needs root with unshare and ip: the benchmarks run only in a loopback-only network namespace" >&2
    exit 1
  fi
  exec unshare -n env CONSULTROOM_NETNS=1 bash -c 'ip link set lo up && exec bash "$0" "$@"' "$0" "$@"
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
# Node >= 22 and, on an offline install, the cached offline-built mediasoup worker.
exec bash "$ROOT/scripts/with-node.sh" node "$ROOT/bench/index.ts" "$@"
