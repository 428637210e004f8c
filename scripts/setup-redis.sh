#!/usr/bin/env bash
# Installs what the replica tests (tests/replicas.rs, tests/state_store.rs) need: Debian's
# `redis-server` (the tests start their own server on a free loopback port and stop it).
#
# Debian's package rather than a downloaded build: the test machines reach package registries only.
# Pinned by Debian release: on bookworm (Debian 12) that is Redis 7.0.x (5:7.0.15-1~deb12u*, security
# updates move the last part); another release gets its own archive's Redis (≥ 6.2 is needed for the
# scripts' TIME and PX use; the tests say so when the server is older).
#
# Idempotent: when redis-server is on PATH it does nothing. Otherwise it runs `apt-get update` and
# installs the package without starting a system service (needs root, or sudo without a password).
# Everything it says goes to stderr.
set -euo pipefail

log() { echo "setup-redis: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

if command -v redis-server >/dev/null 2>&1; then
  log "redis-server is installed ($(redis-server --version | head -1)); nothing to do"
  exit 0
fi

command -v apt-get >/dev/null 2>&1 \
  || die "apt-get not found: install redis-server (Redis >= 6.2) by hand and put it on PATH"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || die "not root and no sudo: run this script as root"
  SUDO="sudo -n"
fi

codename="$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-unknown}")"
[ "$codename" = "bookworm" ] || log "not Debian bookworm ($codename): installing this release's redis-server"

log "installing redis-server from the distribution's archive"
export DEBIAN_FRONTEND=noninteractive
# No service start in containers without an init system: the tests start their own server.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get update -q 1>&2 || die "apt-get update failed"
$SUDO apt-get install -y -q --no-install-recommends redis-server 1>&2 \
  || die "apt-get install redis-server failed; see the messages above"

command -v redis-server >/dev/null 2>&1 || die "redis-server was installed but is not on PATH"
log "ready: $(redis-server --version | head -1)"
