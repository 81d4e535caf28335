#!/usr/bin/env bash
# Run first by `npm start` and `npm test`, so that either works as the first
# command on a fresh clone. Each step costs milliseconds when what it checks is
# there, and says what it installs when it is not:
#   Node >= 22         scripts/node-env.sh (Node 24 from the npm registry)
#   node_modules       `npm ci` when missing or not what package-lock.json pins
#   mediasoup worker   mediasoup's prebuilt download (scripts/fetch-worker.sh),
#                      else built offline (scripts/ensure-worker.sh; cached)
#   redis-server, chromium   for the tests: apt-get as root, else a message
# Usage: first-run.sh start | first-run.sh test [vitest arguments]
# A test run of the unit project alone needs neither the worker nor the packages.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
say() { echo "[first-run] $*" >&2; }
MODE=${1:-start}
[ $# -gt 0 ] && shift

# The projects a test run names (--project x, --project=x); none means all.
unit_only() {
  local projects=() arg next=
  for arg in "$@"; do
    if [ -n "$next" ]; then projects+=("$arg"); next=; continue; fi
    case $arg in
      --project) next=1 ;;
      --project=*) projects+=("${arg#--project=}") ;;
    esac
  done
  [ ${#projects[@]} -gt 0 ] || return 1
  for arg in "${projects[@]}"; do [ "$arg" = unit ] || return 1; done
}
NEED_WORKER=1 NEED_PACKAGES=
if [ "$MODE" = test ]; then
  NEED_PACKAGES=1
  if unit_only "$@"; then NEED_WORKER= NEED_PACKAGES=; fi
fi

APT_UPDATED=
apt_install() {
  if [ -z "$APT_UPDATED" ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
is_root() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; }

# Builds the worker from the npm tarball with Debian's libraries (about 6
# minutes on 2 cores), once per mediasoup version: the cache keeps it.
build_worker_offline() {
  local deps=(build-essential pkg-config ninja-build python3 libuv1-dev libssl-dev libabsl-dev
    libsrtp2-dev flatbuffers-compiler libflatbuffers-dev)
  say "no mediasoup worker could be downloaded: building it offline (about 6 minutes on 2 cores, once; cached in $CONSULTROOM_CACHE)"
  if is_root; then
    say "apt-get: the worker's build dependencies"
    apt_install "${deps[@]}"
  else
    local missing=() p
    for p in "${deps[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
    if [ ${#missing[@]} -gt 0 ]; then
      say "building the worker needs these Debian packages: sudo apt-get install ${missing[*]}"
      exit 1
    fi
  fi
  SKIP_APT=1 bash scripts/ensure-worker.sh >/dev/null
}

# 1. Node.js >= 22.
. scripts/node-env.sh

# 2. node_modules. With a worker already at hand, npm ci skips mediasoup's
#    postinstall whatever npm's version (npm before allowScripts runs it); not
#    mediasoup's own, which npm ci deletes with node_modules.
WORKER=$(bash scripts/find-worker.sh 2>/dev/null || true)
case $WORKER in "$ROOT"/node_modules/*) WORKER= ;; esac
JUST_FETCHED=
if ! reason=$(node scripts/node-modules-current.ts 2>&1); then
  say "node_modules: $reason: npm ci"
  if [ -n "$WORKER" ]; then
    MEDIASOUP_WORKER_BIN=$WORKER npm ci --no-audit --no-fund
  elif ! CONSULTROOM_FIRST_RUN=1 npm ci --no-audit --no-fund; then
    # npm without allowScripts ran mediasoup's own postinstall, which failed.
    build_worker_offline
    WORKER=$(bash scripts/find-worker.sh)
    MEDIASOUP_WORKER_BIN=$WORKER npm ci --no-audit --no-fund
  fi
  JUST_FETCHED=1
fi

# 3. The mediasoup worker.
if [ -n "$NEED_WORKER" ] && ! bash scripts/find-worker.sh >/dev/null 2>&1; then
  # The postinstall of the npm ci above has just tried the download.
  if [ -n "$JUST_FETCHED" ] || ! bash scripts/fetch-worker.sh; then
    build_worker_offline
  fi
fi

# 4. What the tests run besides Node: a throwaway redis-server, and Chromium for e2e.
if [ -n "$NEED_PACKAGES" ]; then
  missing=()
  if [ -n "${REDIS_SERVER_BIN:-}" ]; then [ -x "$REDIS_SERVER_BIN" ] || missing+=(redis-server)
  else command -v redis-server >/dev/null || missing+=(redis-server); fi
  [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
  # The multi-node tests put HAProxy in front of two or three nodes.
  command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
  if [ ${#missing[@]} -gt 0 ]; then
    if is_root; then
      say "apt-get: ${missing[*]} (for the tests)"
      apt_install "${missing[@]}"
    else
      say "not installed, needed by the tests: ${missing[*]}; install with: sudo apt-get install ${missing[*]} (without them the Redis tests fail and the e2e tests are skipped)"
    fi
  fi
fi
