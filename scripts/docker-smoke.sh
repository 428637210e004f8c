#!/usr/bin/env bash
# Builds the container image and checks it the way an operator meets it:
#   1. the default command refuses to start without bearer tokens (it listens on 0.0.0.0);
#   2. with a token and the embedded sandbox it serves: /healthz answers, the HEALTHCHECK turns the
#      container healthy, it runs as uid 10001, and an MCP initialize over /mcp succeeds.
# Needs docker or podman (Debian: apt-get install podman) and a reachable container registry for the
# base images (rust:*-slim-bookworm, debian:bookworm-slim); not part of scripts/test.sh for that reason.
# Everything it says goes to stderr; exits non-zero on the first failed check.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# docker when its daemon answers, else podman (daemonless); ENGINE=... overrides.
if [ -z "${ENGINE:-}" ]; then
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then ENGINE=docker
  else ENGINE="$(command -v podman || true)"; fi
fi
IMAGE="personio-mcp:smoke"
NAME="personio-mcp-smoke-$$"
PORT="${PORT:-18000}"

log() { echo "docker-smoke: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[ -n "$ENGINE" ] || die "neither docker nor podman found (Debian: apt-get install podman)"

log "building $IMAGE with $ENGINE (base images come from the container registry)"
"$ENGINE" build -t "$IMAGE" "$ROOT" 1>&2 || die "image build failed"

log "1. the default command must refuse to start without tokens"
if "$ENGINE" run --rm "$IMAGE" >/dev/null 2>&1; then die "serve --http 0.0.0.0:8000 started without tokens"; fi
[ "$("$ENGINE" image inspect -f '{{.Config.User}}' "$IMAGE")" = "10001:10001" ] || die "image does not run as 10001:10001"
[ "$("$ENGINE" image inspect -f '{{index .Config.Labels "io.modelcontextprotocol.server.name"}}' "$IMAGE")" \
  = "io.github.personio-mcp/personio-mcp" ] || die "label io.modelcontextprotocol.server.name missing"

log "2. with a token and the embedded sandbox it serves and becomes healthy"
trap '"$ENGINE" rm -f "$NAME" >/dev/null 2>&1 || true' EXIT
"$ENGINE" run -d --name "$NAME" -p "127.0.0.1:$PORT:8000" \
  -e PERSONIO_MCP_AUTH_TOKENS="smoke-token-0123456789abcdef smoke@example.com hr" \
  "$IMAGE" serve --http 0.0.0.0:8000 --sandbox >/dev/null
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 1
done
curl -fsS "http://127.0.0.1:$PORT/healthz" | grep -q '"status":"ok"' || die "/healthz did not answer"
"$ENGINE" exec "$NAME" id -u | grep -qx 10001 || die "the server process is not uid 10001"
curl -fsS -X POST "http://127.0.0.1:$PORT/mcp" \
  -H 'Authorization: Bearer smoke-token-0123456789abcdef' -H 'Content-Type: application/json' \
  -H 'Accept: application/json, text/event-stream' \
  -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"smoke","version":"1"}}}' \
  | grep -q '"serverInfo"' || die "MCP initialize over /mcp failed"
for _ in $(seq 1 90); do
  status="$("$ENGINE" inspect -f '{{.State.Health.Status}}' "$NAME" 2>/dev/null || true)"
  [ "$status" = "healthy" ] && break
  sleep 1
done
[ "$status" = "healthy" ] || die "HEALTHCHECK did not report healthy (last: $status)"
log "ok: image $IMAGE refuses to run without tokens, serves as uid 10001 and is healthy"
