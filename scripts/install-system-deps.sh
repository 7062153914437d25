#!/usr/bin/env bash
# Installs what the tests and the local lab need: the Debian packages below, QEMU >= 9 from
# bookworm-backports, and a Terraform CLI (scripts/install-tofu.sh). Idempotent (about a second
# when everything is there); needs root. The lab's preflight and the test command run it.
#   --check   install nothing; print one line per missing item and exit 3 if anything is missing:
#               missing package NAME        a Debian package of the list below
#               missing qemu VERSION        qemu-system-x86_64 is older than 9.0 (VERSION is "absent" when there is none)
#               missing terraform WHAT      neither terraform nor tofu (WHAT: the OpenTofu it would build)
#             every word is [A-Za-z0-9.+-]; with nothing missing it prints `ok` and a summary, exit 0
set -euo pipefail
CHECK=0; [ "${1:-}" = "--check" ] && CHECK=1
here=$(cd "$(dirname "$0")" && pwd)
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
BACKPORTS_PKGS=(qemu-system-x86 qemu-system-common qemu-system-data qemu-utils qemu-block-extra seabios)
qemu_version() { qemu-system-x86_64 --version 2>/dev/null | sed -n 's/^QEMU emulator version \([0-9][0-9.]*\).*/\1/p'; }
qemu=$(qemu_version || true)
need_backports=0
[ "${qemu%%.*}" -ge 9 ] 2>/dev/null || need_backports=1

missing=()
# One dpkg-query for the whole list (a package it does not know prints nothing).
installed=" $(dpkg-query -W -f='${db:Status-Status} ${Package}\n' "${PKGS[@]}" 2>/dev/null | awk '$1=="installed"{printf "%s ", $2}' || true)"
for p in "${PKGS[@]}"; do
  [[ "$installed" == *" $p "* ]] || missing+=("$p")
done
need_terraform=0
terraform_check=$(bash "$here/install-tofu.sh" --check) || need_terraform=1

if [ ${#missing[@]} -eq 0 ] && [ $need_backports -eq 0 ] && [ $need_terraform -eq 0 ]; then
  echo "ok: all ${#PKGS[@]} packages present, QEMU $qemu, $(command -v terraform || command -v tofu || echo /usr/local/bin/tofu)"
  exit 0
fi
if [ $CHECK -eq 1 ]; then
  for p in ${missing[@]+"${missing[@]}"}; do echo "missing package $p"; done
  [ $need_backports -eq 0 ] || echo "missing qemu ${qemu:-absent}"
  [ $need_terraform -eq 0 ] || echo "$terraform_check"
  exit 3
fi
[ "$(id -u)" -eq 0 ] || { echo "install-system-deps: needs root to install; run: sudo bash $here/install-system-deps.sh" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
# Progress: one line per package as dpkg sets it up (apt's errors go to stderr as they are).
apt_install() { apt-get install -y -q --no-install-recommends "$@" | { grep --line-buffered '^Setting up ' || true; }; }
if [ $need_backports -eq 1 ]; then
  # shellcheck source=scripts/backports.sh
  . "$here/backports.sh"
  ensure_backports_source
fi
if [ ${#missing[@]} -gt 0 ] || [ $need_backports -eq 1 ]; then
  echo "system deps: apt-get update"
  apt-get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "system deps: installing ${#missing[@]} packages: ${missing[*]}"
  apt_install "${missing[@]}" || { echo "install-system-deps: apt-get install failed (its errors are above)" >&2; exit 1; }
fi
if [ $need_backports -eq 1 ]; then
  echo "system deps: QEMU ${qemu:-absent} -> QEMU from bookworm-backports"
  apt_install -t bookworm-backports "${BACKPORTS_PKGS[@]}" || { echo "install-system-deps: apt-get install -t bookworm-backports failed (its errors are above)" >&2; exit 1; }
fi
[ $need_terraform -eq 0 ] || bash "$here/install-tofu.sh"
echo "system deps: done"
