#!/usr/bin/env bash
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Builds eksctl for `make bench` (its comparison cases) and prints the binary's path.
# Cached outside the repository, in ~/.cache/eks-access-bench/eksctl-<version>; built once.
#
# `go install github.com/weaveworks/eksctl/cmd/eksctl@<version>` refuses (eksctl's go.mod has replace
# directives), so the module source is downloaded with the go client and built as the main module.
# About 8 minutes on 2 cores the first time; a ~200 MB binary.
set -euo pipefail

version=${EKSCTL_VERSION:-v0.215.0}
cache=${EKS_ACCESS_BENCH_CACHE:-$HOME/.cache/eks-access-bench}
binary="$cache/eksctl-$version"

if [ -x "$binary" ]; then
    echo "$binary"
    exit 0
fi
if ! command -v go >/dev/null 2>&1; then
    echo "build-eksctl: no go toolchain on PATH, cannot build eksctl $version" >&2
    exit 3
fi

mkdir -p "$cache"
work=$(mktemp -d "${TMPDIR:-/tmp}/eksctl-build.XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

echo "build-eksctl: downloading the module source of github.com/weaveworks/eksctl@$version" >&2
# Outside any module, so the download does not touch a go.mod of ours.
if ! info=$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "github.com/weaveworks/eksctl@$version"); then
    # with -json, go reports the failure (module not served, checksum refused) in the JSON's "Error"
    echo "build-eksctl: go mod download failed:" >&2
    printf '%s\n' "$info" >&2
    exit 3
fi
source_dir=$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
if [ -z "$source_dir" ] || [ ! -d "$source_dir" ]; then
    echo "build-eksctl: go mod download gave no source directory:" >&2
    printf '%s\n' "$info" >&2
    exit 3
fi

# The module cache is read-only: build from a writable copy.
cp -R "$source_dir" "$work/src"
chmod -R u+w "$work/src"
echo "build-eksctl: building ./cmd/eksctl (first time only: several minutes)" >&2
(cd "$work/src" && CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" go build -trimpath -o "$binary.tmp" ./cmd/eksctl)
mv "$binary.tmp" "$binary"
echo "$binary"
