#!/usr/bin/env bash
# Installs what the browser tests (tests/confirm_page_browser.rs) need: Debian's `chromium` and
# `chromium-driver` (which ships /usr/bin/chromedriver of the same version as the browser).
#
# Debian's packages rather than a downloaded browser build: the test machines reach package
# registries only, and the distribution keeps browser and driver versions in step. The version is
# whatever the distribution's archive carries (Debian pins it per release; security updates move it).
#
# Idempotent: when /usr/bin/chromium and /usr/bin/chromedriver exist it does nothing. Otherwise it
# runs `apt-get update` and installs both packages (needs root, or sudo without a password).
# Everything it says goes to stderr.
set -euo pipefail

log() { echo "setup-browser: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  log "chromium and chromedriver are installed; nothing to do"
  exit 0
fi

command -v apt-get >/dev/null 2>&1 \
  || die "apt-get not found: install Chromium and its chromedriver by hand (they must be at /usr/bin/chromium and /usr/bin/chromedriver)"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || die "not root and no sudo: run this script as root"
  SUDO="sudo -n"
fi

log "installing chromium and chromium-driver from the distribution's archive"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q 1>&2 || die "apt-get update failed"
$SUDO apt-get install -y -q --no-install-recommends chromium chromium-driver fonts-dejavu-core 1>&2 \
  || die "apt-get install chromium chromium-driver failed; see the messages above"

[ -x /usr/bin/chromium ] || die "chromium was installed but /usr/bin/chromium is missing"
[ -x /usr/bin/chromedriver ] || die "chromium-driver was installed but /usr/bin/chromedriver is missing"
log "ready: $(/usr/bin/chromium --version 2>/dev/null || echo chromium) / $(/usr/bin/chromedriver --version 2>/dev/null | head -1)"
