#!/usr/bin/env bash
# Puts the Terraform OpenStack provider 3.4.0 (the version the bindings are generated for) into the
# project's filesystem mirror, .testbed/terraform-plugins/ (gitignored), so `terraform init` installs
# it from there and never asks the Terraform registry (src/exec/terraform.ts points the project's CLI
# config at the mirror once the binary is there). Idempotent: about a second when it is there.
#   - The binary is built from the Go module proxy with `go install <module>@v3.4.0`, as the
#     provider's release does (CGO_ENABLED=0, -trimpath, -s -w, its version string), under `nice`,
#     with a throw-away GOPATH and build cache. A few minutes on 2 cores.
#   - The built binary is kept in ${OPENSTACK_PROVIDER_CACHE:-~/.cache/sds-testbed/terraform-provider-openstack}
#     (outside the repository), so a fresh clone on the same machine copies it instead of building.
#   - The mirror holds it under registry.terraform.io (Terraform) and, hard-linked, registry.opentofu.org
#     (OpenTofu names the same provider there).
# Go: /usr/local/go if present, else `go` on PATH; it must be Go >= 1.24 (the provider's go.mod asks
# for it). With an older Go >= 1.21, set GOTOOLCHAIN (e.g. GOTOOLCHAIN=go1.27.3) and the go command
# fetches that toolchain from the module proxy.
#   --check   install nothing; print `missing openstack-provider 3.4.0` and exit 3 when the mirror lacks it,
#             else print `ok: ...` and exit 0
set -euo pipefail
VERSION=3.4.0
MODULE=github.com/terraform-provider-openstack/terraform-provider-openstack/v3
GO_MIN_MINOR=24
CHECK=0; [ "${1:-}" = "--check" ] && CHECK=1
root=$(cd "$(dirname "$0")/.." && pwd)
case "$(uname -m)" in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "install-openstack-provider: unsupported machine $(uname -m); allowed: x86_64, aarch64" >&2; exit 2 ;;
esac
platform=$(uname -s | tr '[:upper:]' '[:lower:]')_$arch
mirror=$root/.testbed/terraform-plugins
binary=terraform-provider-openstack_v$VERSION
dest=$mirror/registry.terraform.io/terraform-provider-openstack/openstack/$VERSION/$platform/$binary
tofu_dest=$mirror/registry.opentofu.org/terraform-provider-openstack/openstack/$VERSION/$platform/$binary
cache_dir=${OPENSTACK_PROVIDER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sds-testbed/terraform-provider-openstack}
cached=$cache_dir/v$VERSION/$platform/terraform-provider-openstack

go_minor() { "$1" env GOVERSION 2>/dev/null | sed -n 's/^go1\.\([0-9]*\).*/\1/p'; }
find_go() {
  local g min=$1
  for g in /usr/local/go/bin/go "$(command -v go || true)"; do
    [ -n "$g" ] && [ -x "$g" ] && [ "$(go_minor "$g" || echo 0)" -ge "$min" ] 2>/dev/null && { echo "$g"; return 0; }
  done
  return 1
}
GO=$(find_go $GO_MIN_MINOR || true)
# A file is the right provider when it is executable and (where Go can read its build info) was built
# from the provider's module at exactly this version.
is_provider() {
  [ -f "$1" ] && [ -x "$1" ] || return 1
  [ -z "$GO" ] || "$GO" version -m "$1" 2>/dev/null | grep -q "^[[:space:]]*mod[[:space:]]*$MODULE[[:space:]]*v$VERSION[[:space:]]"
}

if is_provider "$dest" && [ "$tofu_dest" -ef "$dest" ]; then
  echo "ok: terraform-provider-openstack $VERSION ($platform) in the filesystem mirror $mirror"
  exit 0
fi
if [ $CHECK -eq 1 ]; then echo "missing openstack-provider $VERSION"; exit 3; fi

started=$(date +%s)
if is_provider "$cached"; then
  echo "openstack provider: $VERSION from the build cache $cached"
else
  if [ -z "$GO" ] && [ -n "${GOTOOLCHAIN:-}" ]; then GO=$(find_go 21 || true); fi
  if [ -z "$GO" ]; then
    echo "install-openstack-provider: needs Go >= 1.$GO_MIN_MINOR (/usr/local/go/bin/go or go on PATH) to build the provider;" \
      "with an older Go >= 1.21, run: GOTOOLCHAIN=go1.27.3 bash $0" >&2
    exit 1
  fi
  echo "openstack provider: building $MODULE@v$VERSION with $GO ($("$GO" env GOVERSION)), a few minutes"
  work=$(mktemp -d)
  # The module cache is read-only by design: make it writable to remove it.
  trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
  # GOTOOLCHAIN=local unless the user chose one: build with this Go, never fetch another on our own.
  GOPATH="$work/gopath" GOMODCACHE="$work/gopath/pkg/mod" GOCACHE="$work/cache" GOBIN="$work/bin" \
    GOTOOLCHAIN=${GOTOOLCHAIN:-local} GOFLAGS=-buildvcs=false CGO_ENABLED=0 \
    nice -n 10 "$GO" install -trimpath -ldflags "-s -w -X $MODULE/openstack.version=$VERSION" "$MODULE@v$VERSION"
  is_provider "$work/bin/terraform-provider-openstack" || {
    echo "install-openstack-provider: go install gave no provider binary built from $MODULE v$VERSION" >&2
    exit 1
  }
  mkdir -p "$(dirname "$cached")"
  install -m 0755 "$work/bin/terraform-provider-openstack" "$cached.tmp.$$"
  mv -f "$cached.tmp.$$" "$cached"
  echo "openstack provider: built in $(($(date +%s) - started)) s, $(stat -c %s "$cached") bytes, kept in $cached"
fi
# Into the mirror by rename, so an interrupted copy never looks like a provider.
mkdir -p "$(dirname "$dest")" "$(dirname "$tofu_dest")"
install -m 0755 "$cached" "$dest.tmp.$$"
mv -f "$dest.tmp.$$" "$dest"
ln -f "$dest" "$tofu_dest"
echo "openstack provider: terraform-provider-openstack $VERSION ($platform) in the filesystem mirror $mirror ($(($(date +%s) - started)) s)"
