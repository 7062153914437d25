#!/usr/bin/env bash
# Makes sure cdktf has a Terraform CLI. Idempotent; fast (no work) when one is there.
#   - `terraform` or `tofu` on PATH: nothing to do (the project prefers terraform, see src/exec/terraform.ts).
#   - neither: builds OpenTofu ${TOFU_VERSION} from the Go module proxy (`go mod download` + `go build`) into
#     ${TOFU_BIN_DIR:-/usr/local/bin}/tofu; the project then runs cdktf with TERRAFORM_BINARY_NAME=tofu.
# Go comes from /usr/local/go if present, else a `go` on PATH that is new enough, else Debian's
# golang-1.23-go from bookworm-backports (installed here; Debian 12's own golang is 1.19, too old).
# OpenTofu 1.9 is pinned because its go.mod asks for Go 1.22, so Debian's backported Go builds it;
# 1.10 and later need Go 1.24+, which Debian 12 does not package.
#   --check   print `missing terraform tofu-<version>` and exit 3 when neither binary is found; install nothing
set -euo pipefail
TOFU_VERSION=v1.9.4
GO_MIN_MINOR=22
BIN_DIR=${TOFU_BIN_DIR:-/usr/local/bin}
CHECK=0; [ "${1:-}" = "--check" ] && CHECK=1
here=$(cd "$(dirname "$0")" && pwd)

if command -v terraform >/dev/null 2>&1 || command -v tofu >/dev/null 2>&1 || [ -x "$BIN_DIR/tofu" ]; then
  [ $CHECK -eq 1 ] || echo "terraform: $(command -v terraform || command -v tofu || echo "$BIN_DIR/tofu")"
  exit 0
fi
if [ $CHECK -eq 1 ]; then echo "missing terraform tofu-${TOFU_VERSION#v}"; exit 3; fi

go_minor() { "$1" env GOVERSION 2>/dev/null | sed -n 's/^go1\.\([0-9]*\).*/\1/p'; }
find_go() {
  local g
  for g in /usr/local/go/bin/go "$(command -v go || true)" /usr/lib/go-1.23/bin/go; do
    [ -n "$g" ] && [ -x "$g" ] && [ "$(go_minor "$g" || echo 0)" -ge $GO_MIN_MINOR ] 2>/dev/null && { echo "$g"; return 0; }
  done
  return 1
}
GO=$(find_go || true)
if [ -z "$GO" ]; then
  [ "$(id -u)" -eq 0 ] || { echo "install-tofu: no Go >= 1.$GO_MIN_MINOR found; run as root: bash $here/install-tofu.sh" >&2; exit 1; }
  echo "terraform: no Go >= 1.$GO_MIN_MINOR; installing golang-1.23-go from bookworm-backports"
  # shellcheck source=scripts/backports.sh
  . "$here/backports.sh"
  ensure_backports_source
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -q --no-install-recommends -t bookworm-backports golang-1.23-go
  GO=$(find_go) || { echo "install-tofu: golang-1.23-go did not give a usable Go" >&2; exit 1; }
fi

echo "terraform: neither terraform nor tofu on PATH; building OpenTofu $TOFU_VERSION with $GO ($("$GO" env GOVERSION)), a few minutes"
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
started=$(date +%s)
mkdir -p "$BIN_DIR"
# A throw-away GOPATH and build cache; GOTOOLCHAIN=local: build with this Go, never fetch another toolchain.
# Not `go install ...@version`: OpenTofu's go.mod has a replace directive (its HCL fork), which only
# applies when OpenTofu is the main module, so the module is downloaded and built in place.
export GOPATH="$work/gopath" GOCACHE="$work/cache" GOTOOLCHAIN=local CGO_ENABLED=0
src=$("$GO" mod download -json "github.com/opentofu/opentofu@$TOFU_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
[ -d "$src" ] || { echo "install-tofu: go mod download gave no source folder for OpenTofu $TOFU_VERSION" >&2; exit 1; }
(cd "$src" && "$GO" build -trimpath -ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" -o "$work/tofu" ./cmd/tofu)
install -m 0755 "$work/tofu" "$BIN_DIR/tofu"
echo "terraform: $("$BIN_DIR/tofu" version | head -1) at $BIN_DIR/tofu, built in $(($(date +%s) - started)) s"
