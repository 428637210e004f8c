#!/usr/bin/env bash
# Installs what the OAuth tests need: the OpenID Provider test harness in tests/oauth
# (oidc-provider, pinned exactly in tests/oauth/package.json and package-lock.json) via `npm ci`.
#
# Idempotent: when tests/oauth/node_modules was installed from exactly this package-lock.json (a
# SHA-256 of it and the Node major version are stored after a successful install) and the
# provider imports, it does nothing. Needs Node.js >= 20.19 and npm reaching the npm registry.
# Everything it says goes to stderr.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$ROOT/tests/oauth"
STAMP="$DIR/node_modules/.personio-mcp-oauth.stamp"

log() { echo "setup-oauth: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

command -v node >/dev/null 2>&1 || die "node not found; install Node.js 20.19 or newer"
command -v npm >/dev/null 2>&1 || die "npm not found; install Node.js with npm"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || die "Node.js $(node --version) is too old: oidc-provider needs 20.19 or newer"

want="lock-sha256=$(sha256sum "$DIR/package-lock.json" | cut -d' ' -f1) node=$(node -p 'process.versions.node.split(".")[0]')"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] \
  && (cd "$DIR" && node -e 'import("oidc-provider").then(()=>process.exit(0),()=>process.exit(1))') >/dev/null 2>&1; then
  log "tests/oauth/node_modules is up to date ($want); nothing to do"
  exit 0
fi

log "installing the pinned OpenID Provider (npm ci in tests/oauth)"
(cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error 1>&2) || die "npm ci failed; see the messages above"
(cd "$DIR" && node -e 'import("oidc-provider").then(()=>process.exit(0),()=>process.exit(1))') \
  || die "npm ci finished but oidc-provider does not import"
# Written last, so an interrupted install is redone next time.
echo "$want" >"$STAMP"
log "ready: oidc-provider $(cd "$DIR" && node -p 'require("./node_modules/oidc-provider/package.json").version')"
