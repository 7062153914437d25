#!/usr/bin/env bash
# Runs the README's commands as a new user would, on a fresh Debian 12: a debootstrap rootfs with
# none of the project's system packages, entered with chroot. Needs root and debootstrap.
#
#   scripts/fresh-machine-check.sh [--keep] [test|start|both|'<command>']   (default: both)
#
# The rootfs gets only what a fresh machine of this kind has before the project installs anything:
# Debian 12 base, git, Node.js 20 and npm (copied from this machine: Debian 12's own nodejs is 18),
# and Go at /usr/local/go when this machine has it. It does NOT get terraform, so the project's own
# install step must provide one (OpenTofu built with go install).
# The project is a fresh clone of this checkout's HEAD, with ../shared beside it.
# Output of each command goes to <root>/fresh-<command>.log and to this terminal.
set -euo pipefail
KEEP=0
[ "${1:-}" = "--keep" ] && { KEEP=1; shift; }
WHAT=${1:-both}
ROOT=${FRESH_ROOT:-/var/tmp/fresh-deb12}
SRC=$(cd "$(dirname "$0")/.." && pwd)
SHARED=$(cd "$SRC/../shared" && pwd)
MIRROR=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
MIRROR=${MIRROR:-http://deb.debian.org/debian}

if [ ! -x "$ROOT/usr/bin/apt-get" ]; then
  echo "fresh: debootstrap bookworm into $ROOT"
  debootstrap --include=git,ca-certificates,procps,xz-utils bookworm "$ROOT" "$MIRROR" >/dev/null
fi

mounted=()
mnt() { mount "$@"; mounted+=("${*: -1}"); }
cleanup() {
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
  if findmnt -rn -o TARGET | grep -q "^$ROOT/"; then
    echo "fresh: mounts under $ROOT remain; not removing it" >&2
  elif [ $KEEP -eq 0 ]; then
    rm -rf "$ROOT"
  fi
}
trap cleanup EXIT

# The rootfs bound onto itself: inside, / is then a mount point as on a machine (ip netns exec
# runs `mount --make-rslave /`, which fails on a plain folder).
mnt --bind "$ROOT" "$ROOT"
mnt -t proc proc "$ROOT/proc"
# Plain mounts, not recursive binds: the chroot sees a short mount table, as a machine would.
mnt -t sysfs sysfs "$ROOT/sys"
# The machine's cgroup tree (systemd-nspawn reads it to boot the lab's container hosts).
mnt --rbind /sys/fs/cgroup "$ROOT/sys/fs/cgroup"
mnt --bind /dev "$ROOT/dev"
mnt -t devpts -o newinstance,ptmxmode=0666 devpts "$ROOT/dev/pts"
mnt -t tmpfs tmpfs "$ROOT/dev/shm"
mnt -t tmpfs tmpfs "$ROOT/run"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# The machine's Debian sources, so apt (and the backports the install step adds) use the same mirror.
cp /etc/apt/sources.list.d/debian.sources "$ROOT/etc/apt/sources.list.d/debian.sources" 2>/dev/null && rm -f "$ROOT/etc/apt/sources.list"

# The machine's own trust store and client settings (a fresh machine of this kind has them: the
# registries are reached through a proxy whose CA is installed locally).
cp -a /usr/local/share/ca-certificates/. "$ROOT/usr/local/share/ca-certificates/" 2>/dev/null || true
chroot "$ROOT" update-ca-certificates >/dev/null 2>&1 || true
for f in .npmrc .config/go/env; do
  if [ -f "/root/$f" ]; then mkdir -p "$(dirname "$ROOT/root/$f")" && cp -a "/root/$f" "$ROOT/root/$f"; fi
done

# Node.js 20 and npm as a fresh machine of this kind has them; Go too where this machine has it.
cp -a /usr/bin/node "$ROOT/usr/bin/node"
mkdir -p "$ROOT/usr/lib/node_modules"
cp -a /usr/lib/node_modules/npm "$ROOT/usr/lib/node_modules/"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$ROOT/usr/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$ROOT/usr/bin/npx"
if [ -d /usr/local/go ] && [ ! -d "$ROOT/usr/local/go" ]; then cp -a /usr/local/go "$ROOT/usr/local/go"; fi

rm -rf "$ROOT/work"
mkdir -p "$ROOT/work"
git clone -q "$SRC" "$ROOT/work/main"
cp -a "$SHARED" "$ROOT/work/shared"

run_in() {
  local name=$1 cmd=$2
  echo "fresh: \$ $cmd"
  local start=$SECONDS rc=0
  # The machine's environment (CA variables and the like), with a fresh machine's PATH and HOME.
  chroot "$ROOT" /usr/bin/env HOME=/root TERM="${TERM:-dumb}" \
    PATH=/usr/local/go/bin:/root/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    bash -c "cd /work/main && $cmd" 2>&1 | tee "$ROOT/../fresh-$name.log" || rc=${PIPESTATUS[0]}
  echo "fresh: exit $rc after $((SECONDS - start)) s ($ROOT/../fresh-$name.log)"
  return "$rc"
}

rc=0
if [ "$WHAT" = test ] || [ "$WHAT" = both ]; then run_in test 'npm ci && npm test' || rc=$?; fi
if [ "$WHAT" = start ] || [ "$WHAT" = both ]; then run_in start 'npm ci && npm start' || rc=$?; fi
case $WHAT in test | start | both) ;; *) run_in custom "$WHAT" || rc=$? ;; esac
exit "$rc"
