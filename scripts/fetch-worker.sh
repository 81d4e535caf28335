#!/usr/bin/env bash
# Gets mediasoup's worker the way mediasoup itself does (its postinstall: the
# prebuilt binary from GitHub, else a local build with meson and ninja from
# pip), but only when GitHub answers; exits 1 when there is still no worker.
# package.json "allowScripts" turns mediasoup's own postinstall off because,
# with no GitHub access, it spends a minute on download and pip errors, fails
# `npm install` and never says what to do; the project's postinstall runs this.
#   --npm-postinstall  always exit 0, and say in one line what to run when there
#                      is no worker (unless CONSULTROOM_FIRST_RUN is set:
#                      scripts/first-run.sh builds one itself next)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MS=$ROOT/node_modules/mediasoup
say() { echo "[fetch-worker] $*" >&2; }
fetch() {
  bash "$ROOT/scripts/find-worker.sh" >/dev/null 2>&1 && return 0
  [ -f "$MS/npm-scripts.mjs" ] || { say "node_modules/mediasoup is not installed"; return 1; }
  local base=${MEDIASOUP_WORKER_PREBUILT_DOWNLOAD_BASE_URL:-https://github.com/versatica/mediasoup/releases/download}
  # Any HTTP answer will do (mediasoup builds locally when there is no prebuilt
  # binary for this platform); no answer within 15 s means no access.
  if ! node -e 'fetch(process.argv[1], { method: "HEAD", signal: AbortSignal.timeout(15000) }).then(() => {}, () => process.exit(1))' "$base" 2>/dev/null; then
    say "$base does not answer: not trying mediasoup's download"
    return 1
  fi
  say "getting mediasoup's prebuilt worker (mediasoup's own postinstall)"
  (cd "$MS" && node npm-scripts.mjs postinstall) >&2 && [ -x "$MS/worker/out/Release/mediasoup-worker" ]
}
fetch && exit 0
[ "${1:-}" = --npm-postinstall ] || exit 1
[ -n "${CONSULTROOM_FIRST_RUN:-}" ] ||
  echo "consultroom: no mediasoup worker could be downloaded here (no GitHub access?): run \`npm run setup\` to build it offline (about 6 minutes), or just \`npm start\` / \`npm test\`, which do that too" >&2
exit 0
