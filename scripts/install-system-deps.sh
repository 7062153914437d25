#!/usr/bin/env bash
# Installs the Debian packages the tests and the local lab need. Idempotent; needs root.
#   --check   only list what is missing (exit 3 if anything is), install nothing
set -euo pipefail
CHECK=0; [ "${1:-}" = "--check" ] && CHECK=1
PKGS=(
  # Ceph 16.2 (Filestore still supported), fio with its rbd engine
  ceph-mon ceph-mgr ceph-osd ceph-common fio
  # QEMU with the rbd block driver, and the guest image's parts
  qemu-system-x86 qemu-utils qemu-block-extra busybox-static gcc libc6-dev
  # Load balancer, network namespaces and shaping
  haproxy iproute2
  # Ansible 7 (ansible-core 2.14) and its linters
  ansible ansible-lint yamllint
  # Real config validators: oslo-config-validator with the nova and cinder option namespaces
  python3-oslo.config python3-nova python3-cinder
  # XML well-formedness (libvirt secret)
  libxml2-utils
  # SVG -> PNG for the report's figures (rsvg-convert)
  librsvg2-bin
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then echo "system deps: all ${#PKGS[@]} packages present"; exit 0; fi
if [ $CHECK -eq 1 ]; then echo "missing: ${missing[*]}"; exit 3; fi
echo "system deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system deps: done"
