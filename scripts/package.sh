#!/usr/bin/env bash
# Release packaging for personio-mcp.
#
#   scripts/package.sh mcpb [--binary PATH | --profile NAME] [--target TRIPLE] [--out DIR] [--update-server-json]
#       Builds dist/personio-mcp-<version>-<target>.mcpb, the Claude Desktop bundle, from
#       packaging/mcpb/manifest.json and one binary. Without --binary it builds the binary with
#       `cargo build --locked --profile NAME` (default: dist, the small LTO build). The bundle's manifest
#       is the source manifest with `compatibility.platforms` narrowed to the target's platform (one
#       bundle holds one binary). Packed and validated by the pinned official MCPB CLI.
#       --update-server-json writes the bundle's SHA-256 into the server.json package whose identifier
#       ends with the bundle's file name (--server-json FILE: another file): run it on the artefact that
#       is uploaded, so fileSha256 is true.
#       Prints the bundle's path, then its SHA-256, on stdout.
#
#   scripts/package.sh plan
#       `dist plan` with the pinned cargo-dist (installed by scripts/setup-packaging.sh --dist): what a
#       release would build (targets, archives, checksums, installers) without building it.
#
# Needs node/npm (scripts/setup-packaging.sh installs the MCPB CLI). Messages go to stderr.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MCPB="$ROOT/packaging/tools/node_modules/.bin/mcpb"

log() { echo "package: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
usage() { sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# The package version, from Cargo.toml's [package] table (the one source of truth).
cargo_version() {
  awk '/^\[package\]/{p=1;next} /^\[/{p=0} p && /^version *=/{gsub(/[" ]/,"",$0); sub(/^version=/,"",$0); print; exit}' \
    "$ROOT/Cargo.toml"
}

mcpb() {
  local binary="" profile="dist" target="" out="$ROOT/dist" update=0 server_json="$ROOT/server.json"
  while [ $# -gt 0 ]; do
    case "$1" in
      --binary) binary="${2:?--binary needs a path}"; shift 2 ;;
      --profile) profile="${2:?--profile needs a name}"; shift 2 ;;
      --target) target="${2:?--target needs a triple}"; shift 2 ;;
      --out) out="${2:?--out needs a directory}"; shift 2 ;;
      --update-server-json) update=1; shift ;;
      --server-json) server_json="${2:?--server-json needs a file}"; shift 2 ;;
      *) usage ;;
    esac
  done
  "$ROOT/scripts/setup-packaging.sh"
  [ -x "$MCPB" ] || die "the MCPB CLI is missing ($MCPB)"

  local version host
  version="$(cargo_version)"
  [ -n "$version" ] || die "no version in Cargo.toml"
  host="$(rustc -vV | sed -n 's/^host: //p')"
  target="${target:-$host}"

  if [ -z "$binary" ]; then
    local args=(build --locked --profile "$profile" --bin personio-mcp)
    local dir="$profile"
    [ "$profile" = "dev" ] && dir="debug"
    if [ "$target" != "$host" ]; then
      args+=(--target "$target")
      dir="$target/$dir"
    fi
    log "cargo ${args[*]}"
    (cd "$ROOT" && cargo "${args[@]}" 1>&2)
    binary="$ROOT/target/$dir/personio-mcp"
    case "$target" in *windows*) binary="$binary.exe" ;; esac
  fi
  [ -f "$binary" ] || die "no binary at $binary"

  local platform exe=""
  case "$target" in
    *windows*) platform=win32; exe=".exe" ;;
    *apple-darwin*) platform=darwin ;;
    *linux*) platform=linux ;;
    *) die "unsupported target $target (linux, apple-darwin or windows)" ;;
  esac

  local stage
  stage="$(mktemp -d)"
  trap 'rm -rf "$stage"' RETURN
  mkdir -p "$stage/server" "$out"
  cp "$binary" "$stage/server/personio-mcp$exe"
  chmod 0755 "$stage/server/personio-mcp$exe"
  # The bundle's manifest: the source one, checked against Cargo.toml and narrowed to this platform.
  node - "$ROOT/packaging/mcpb/manifest.json" "$stage/manifest.json" "$version" "$platform" <<'EOF'
const fs = require("fs");
const [src, dst, version, platform] = process.argv.slice(2);
const m = JSON.parse(fs.readFileSync(src, "utf8"));
if (m.version !== version) {
  console.error(`package: ERROR: ${src} says version ${m.version}, Cargo.toml says ${version}`);
  process.exit(1);
}
m.compatibility = { ...(m.compatibility || {}), platforms: [platform] };
fs.writeFileSync(dst, JSON.stringify(m, null, 2) + "\n");
EOF
  "$MCPB" validate "$stage/manifest.json" 1>&2 || die "mcpb validate rejected the manifest"

  local bundle="$out/personio-mcp-$version-$target.mcpb"
  rm -f "$bundle"
  "$MCPB" pack "$stage" "$bundle" 1>&2 || die "mcpb pack failed"
  local sha
  sha="$(sha256sum "$bundle" | cut -d' ' -f1)"
  log "wrote $bundle (sha256 $sha)"

  if [ "$update" = 1 ]; then
    node - "$server_json" "$(basename "$bundle")" "$sha" <<'EOF'
const fs = require("fs");
const [file, name, sha] = process.argv.slice(2);
const s = JSON.parse(fs.readFileSync(file, "utf8"));
const hits = (s.packages || []).filter((p) => p.registryType === "mcpb" && p.identifier.endsWith("/" + name));
if (hits.length !== 1) {
  console.error(`package: ERROR: server.json has ${hits.length} mcpb packages ending in /${name}; expected 1`);
  process.exit(1);
}
hits[0].fileSha256 = sha;
fs.writeFileSync(file, JSON.stringify(s, null, 2) + "\n");
EOF
    log "server.json: fileSha256 of $(basename "$bundle") is now $sha"
  fi
  echo "$bundle"
  echo "$sha"
}

plan() {
  "$ROOT/scripts/setup-packaging.sh" --dist
  (cd "$ROOT" && "$ROOT/.tools/bin/dist" plan "$@")
}

case "${1:-}" in
  mcpb) shift; mcpb "$@" ;;
  plan) shift; plan "$@" ;;
  *) usage ;;
esac
