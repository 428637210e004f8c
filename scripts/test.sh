#!/usr/bin/env bash
# The project's test command (README "Set-up"): installs what the tests need, then runs them all.
# - scripts/setup-e2e.sh: a Python venv (.venv) with the official MCP SDK, pinned (idempotent).
# - scripts/setup-packaging.sh: the official MCPB CLI, pinned, for tests/packaging.rs (idempotent).
# - cargo test: unit, integration (real loopback HTTP against the sandbox) and end-to-end tests
#   (tests/e2e_python.rs drives the binary cargo just built with the Python SDK).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-e2e.sh
scripts/setup-packaging.sh
exec cargo test "$@"
