#!/usr/bin/env bash
# Installs what the end-to-end tests need: a Python virtualenv at .venv (repo root) holding the
# official MCP Python SDK and pytest, at the exact versions pinned in tests/e2e/requirements.txt.
#
# Idempotent: when .venv already holds exactly these requirements (a SHA-256 of requirements.txt
# and the interpreter version are stored in .venv after a successful install) and imports work,
# it does nothing. Needs only python3 (with the venv module) and pip reaching PyPI.
#
# Environment: PYTHON (default python3) picks the interpreter. Everything it says goes to stderr.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
REQ="$ROOT/tests/e2e/requirements.txt"
STAMP="$VENV/.personio-mcp-e2e.stamp"
PYTHON="${PYTHON:-python3}"

log() { echo "setup-e2e: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ -f "$REQ" ] || die "missing $REQ"
command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found; install Python 3.11 or newer"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
  || die "$("$PYTHON" -V 2>&1) is too old: the pinned test requirements need Python 3.11 or newer (set PYTHON=...)"

# What a satisfied venv must match: the requirements file and the interpreter that built it.
want="$("$PYTHON" - "$REQ" <<'EOF'
import hashlib, sys
with open(sys.argv[1], "rb") as f:
    digest = hashlib.sha256(f.read()).hexdigest()
print(f"requirements-sha256={digest} python={sys.version_info[0]}.{sys.version_info[1]}")
EOF
)"

if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] \
  && "$VENV/bin/python" -c 'import mcp, pytest, jsonschema, anyio' >/dev/null 2>&1; then
  log "$VENV is up to date ($want); nothing to do"
  exit 0
fi

if [ -e "$VENV" ]; then
  [ -f "$VENV/pyvenv.cfg" ] || die "$VENV exists but is not a Python venv; move it away and run this again"
  if [ -f "$STAMP" ]; then
    log "$VENV is out of date (have: $(cat "$STAMP"); want: $want); rebuilding it"
  else
    log "$VENV exists but was not built by this script (or its install did not finish); rebuilding it"
  fi
  rm -rf "$VENV"
fi

log "creating $VENV with $("$PYTHON" -V 2>&1)"
"$PYTHON" -m venv "$VENV" \
  || die "python3 -m venv failed (on Debian/Ubuntu: apt-get install python3-venv)"

log "installing the pinned requirements from tests/e2e/requirements.txt"
# No pip self-upgrade (it would be an unpinned download); stdout goes to stderr as well.
PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/python" -m pip install --no-input -q -r "$REQ" 1>&2 \
  || die "pip install failed; see the messages above"
"$VENV/bin/python" -m pip check 1>&2 || die "the installed packages are inconsistent (pip check)"
"$VENV/bin/python" -c 'import mcp, pytest, jsonschema, anyio' \
  || die "the venv was installed but the test packages do not import"

# Written last, so an interrupted install is redone next time.
echo "$want" >"$STAMP"
log "ready: $("$VENV/bin/python" -m pip freeze 2>/dev/null | grep -E '^(mcp|pytest|jsonschema|anyio)==' | tr '\n' ' ')"
