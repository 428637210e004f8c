#!/usr/bin/env bash
# The project's test command (README "Set-up"): installs what the tests need, then runs them all.
# - scripts/setup-e2e.sh: a Python venv (.venv) with the official MCP SDK, pinned (idempotent).
# - scripts/setup-e2e-ts.sh: tests/e2e_ts/node_modules with the official MCP TypeScript SDK, the
#   MCP Inspector and Node.js 22, pinned (idempotent).
# - scripts/setup-browser.sh: Debian's chromium + chromium-driver for tests/confirm_page_browser.rs.
# - scripts/setup-oauth.sh: the OpenID Provider (oidc-provider, pinned) the OAuth tests start (idempotent).
# - scripts/setup-packaging.sh: the official MCPB CLI, pinned, for tests/packaging.rs (idempotent).
# - scripts/setup-redis.sh: Debian's redis-server for tests/replicas.rs and tests/state_store.rs.
# - cargo test: unit, integration (real loopback HTTP against the sandbox) and end-to-end tests
#   (tests/e2e_python.rs and tests/e2e_typescript.rs drive the binary cargo just built with the
#   Python and TypeScript SDKs).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-e2e.sh
scripts/setup-e2e-ts.sh
scripts/setup-browser.sh
scripts/setup-oauth.sh
scripts/setup-packaging.sh
scripts/setup-redis.sh
# --no-fail-fast: one run reports every failing suite, not just the first.
exec cargo test --no-fail-fast "$@"
