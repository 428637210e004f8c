#!/usr/bin/env bash
# Regenerates packaging/link-order/x86_64-unknown-linux-gnu.txt, the code layout of the distribution build
# (build.rs says why; BENCHMARKS.md "Session 9: code layout" what it saves). Run it after a compiler or dependency
# update, on x86_64 Linux with glibc, then rebuild (`cargo build --profile dist`) and commit the list.
#
# 1. Installs valgrind (Debian's package; callgrind profiles which functions run) when it is missing, and
#    the SDK venv (scripts/setup-e2e.sh) that drives the session phase.
# 2. Builds the dist binary with its symbols kept (`-C strip=none`: same profile, same symbol names as the
#    shipped build) and copies it to <target dir>/link-order/personio-mcp.
# 3. scripts/link-order.py profiles a start-up and an SDK session of that binary and writes the list.
# Takes ~10 minutes on two cores (the fat-LTO link dominates). Messages go to stderr.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
log() { echo "link-order: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(rustc -vV | sed -n 's/^host: //p')" = "x86_64-unknown-linux-gnu" ] \
  || die "the list is for x86_64-unknown-linux-gnu builds; run this on such a host"

if ! command -v valgrind >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || die "valgrind is missing and apt-get is not available: install valgrind"
  SUDO=()
  [ "$(id -u)" -eq 0 ] || SUDO=(sudo -n)
  log "installing valgrind from the distribution's archive"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends valgrind >&2
fi
scripts/setup-e2e.sh >&2

# A host build (no --target): the list's names carry the hashes of exactly that build.
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
log "building the dist binary with symbols"
cargo rustc --locked --profile dist --bin personio-mcp -- -C strip=none >&2
mkdir -p "$TARGET_DIR/link-order"
cp "$TARGET_DIR/dist/personio-mcp" "$TARGET_DIR/link-order/personio-mcp"
python3 scripts/link-order.py "$TARGET_DIR/link-order/personio-mcp"
log "done: rebuild with \`cargo build --profile dist\` (it relinks with the new list) and commit the list"
