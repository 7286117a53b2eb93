#!/usr/bin/env bash
# Installs the real peers the mirror tests run against (no fakes):
#   docker-registry  — Debian's build of distribution v2 (the OCI registry)
#   skopeo           — the image copier the mirror uses
#   apache2-utils    — htpasswd, for the registry's bcrypt basic-auth file
# Idempotent: does nothing when every binary is already on PATH, and runs
# `apt-get update` at most once.
set -euo pipefail

declare -A bin_for=( [docker-registry]=docker-registry [skopeo]=skopeo [apache2-utils]=htpasswd )
missing=()
for pkg in "${!bin_for[@]}"; do
  if ! command -v "${bin_for[$pkg]}" >/dev/null 2>&1 && [ ! -x "/usr/bin/${bin_for[$pkg]}" ]; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-peers: docker-registry, skopeo and htpasswd already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

echo "install-peers: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# --no-install-recommends keeps the registry from pulling in an init system;
# the tests start it themselves on a loopback port.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

# Debian's package starts a registry service on :5000 where an init system
# exists; the tests never use it, and it must not hold the port.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet docker-registry 2>/dev/null; then
  $SUDO systemctl stop docker-registry || true
fi

for pkg in "${!bin_for[@]}"; do
  command -v "${bin_for[$pkg]}" >/dev/null 2>&1 || { echo "install-peers: ${bin_for[$pkg]} still missing after install" >&2; exit 1; }
done
echo "install-peers: ok ($(skopeo --version))"
