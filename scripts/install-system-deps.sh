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
  # The lab's container hosts: systemd-nspawn, their rootfs, their package cache, SSH to them
  systemd-container debootstrap apt-cacher-ng openssh-client
  # Ansible 7 (ansible-core 2.14) and its linters
  ansible ansible-lint yamllint
  # Real config validators: oslo-config-validator with the nova and cinder option namespaces
  python3-oslo.config python3-nova python3-cinder
  # XML well-formedness (libvirt secret)
  libxml2-utils
  # SVG -> PNG for the report's figures (rsvg-convert)
  librsvg2-bin
)
# QEMU from bookworm-backports (10.x): under TCG, Debian 12's QEMU 7.2 loses guest writes during
# live migration (upstream fix 03bfc2188f, QEMU 9.0), and on this kind of machine KVM guests do not
# boot, so the lab runs TCG. The backports source reuses the machine's own Debian URI.
BACKPORTS=/etc/apt/sources.list.d/testbed-backports.sources
BACKPORTS_PKGS=(qemu-system-x86 qemu-system-common qemu-system-data qemu-utils qemu-block-extra seabios)
qemu_major() { qemu-system-x86_64 --version 2>/dev/null | sed -n 's/.*version \([0-9]*\)\..*/\1/p'; }
need_backports=0
[ "$(qemu_major || echo 0)" -ge 9 ] 2>/dev/null || need_backports=1

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ] && [ $need_backports -eq 0 ]; then echo "system deps: all ${#PKGS[@]} packages present, QEMU $(qemu_major)"; exit 0; fi
if [ $CHECK -eq 1 ]; then
  [ $need_backports -eq 1 ] && missing+=("qemu>=9(bookworm-backports)")
  echo "missing: ${missing[*]}"; exit 3
fi
echo "system deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if [ $need_backports -eq 1 ] && [ ! -f "$BACKPORTS" ]; then
  uri=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
  [ -n "$uri" ] || uri=$(awk '$1=="deb" && $3=="bookworm" {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
  printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uri" > "$BACKPORTS"
fi
apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; fi
if [ $need_backports -eq 1 ]; then
  echo "system deps: QEMU from bookworm-backports"
  apt-get install -y -qq --no-install-recommends -t bookworm-backports "${BACKPORTS_PKGS[@]}" >/dev/null
fi
echo "system deps: done"
