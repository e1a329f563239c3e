#!/usr/bin/env bash
# Build the sandbox's real servers from the Go module proxy, once per version.
#
# Binaries land in $EKS_SANDBOX_CACHE/bin-<versions-key>/ (outside the repo), so
# a second `make sandbox` finds them and starts in seconds.  Each component is
# built in its own throw-away module so its go.mod decides its dependencies.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=versions.sh
. "$here/versions.sh"

cache="${EKS_SANDBOX_CACHE:-$HOME/.cache/eks-access-sandbox}"
bindir="$cache/bin-$SANDBOX_KEY"
work="$cache/src"
logs="$cache/logs"
mkdir -p "$bindir" "$work" "$logs"

export GOFLAGS="${GOFLAGS:--buildvcs=false}"
export CGO_ENABLED=0

step() { printf '[sandbox build] %s\n' "$*"; }

run_logged() {
    # run_logged NAME CMD...: run CMD, keep its output in a log, say where on failure.
    local name="$1"; shift
    local log="$logs/build-$name.log"
    local start=$SECONDS
    if ! "$@" >"$log" 2>&1; then
        step "FAILED: $name (log: $log)"
        tail -n 30 "$log" >&2
        exit 1
    fi
    step "built $name in $((SECONDS - start))s"
}

version_ldflags() {
    # What `hack/lib/version.sh` stamps in a release build, so /version reports
    # the real release and not v0.0.0-master.
    local minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
    local pkg
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        printf -- "-X %s.gitVersion=%s -X %s.gitMajor=1 -X %s.gitMinor=%s -X %s.gitTreeState=clean " \
            "$pkg" "$K8S_VERSION" "$pkg" "$pkg" "$minor" "$pkg"
    done
}

build_kubernetes() {
    local want=(kube-apiserver kube-controller-manager kube-scheduler etcd)
    local missing=0
    for b in "${want[@]}"; do [ -x "$bindir/$b" ] || missing=1; done
    [ "$missing" = 1 ] || { step "kubernetes $K8S_VERSION: cached"; return; }

    local dir="$work/kubernetes-$K8S_VERSION"
    mkdir -p "$dir"
    step "kubernetes $K8S_VERSION: resolving modules (first time only)"
    (
        cd "$dir"
        gomod_json="$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION")"
        gomod="$(printf '%s' "$gomod_json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')"
        staging_version="v0.${K8S_VERSION#v1.}"
        {
            echo "module eks.access/sandbox/kubernetes"
            echo
            echo "go 1.24"
            echo
            echo "require k8s.io/kubernetes $K8S_VERSION"
            echo
            # k8s.io/kubernetes points its staging modules at ./staging; the
            # proxy serves each of them as k8s.io/<name> v0.<minor>.<patch>.
            grep -E '^\s*k8s.io/[a-z0-9-]+ => ./staging/' "$gomod" |
                awk -v v="$staging_version" '{print "replace " $1 " => " $1 " " v}'
        } > go.mod
        cat > tools.go <<'EOF'
//go:build tools

package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
EOF
        go mod tidy -e
    ) >"$logs/build-kubernetes-mod.log" 2>&1 || { step "FAILED: kubernetes modules (log: $logs/build-kubernetes-mod.log)"; tail -n 30 "$logs/build-kubernetes-mod.log" >&2; exit 1; }
    for b in kube-apiserver kube-controller-manager kube-scheduler; do
        [ -x "$bindir/$b" ] && continue
        step "building $b (a few minutes on 2 cores)"
        run_logged "$b" bash -c "cd '$dir' && go build -trimpath -ldflags='-s -w $(version_ldflags)' -o '$bindir/$b' k8s.io/kubernetes/cmd/$b"
    done
    if [ ! -x "$bindir/etcd" ]; then
        step "building etcd (the version $K8S_VERSION is tested with)"
        run_logged etcd bash -c "cd '$dir' && go build -trimpath -ldflags='-s -w' -o '$bindir/etcd' go.etcd.io/etcd/server/v3"
    fi
}

build_standalone() {
    # build_standalone BINARY MODULE@VERSION PACKAGE: build PACKAGE with its own go.mod.
    local bin="$1" modver="$2" pkg="$3"
    [ -x "$bindir/$bin" ] && { step "$bin: cached"; return; }
    step "building $bin from $modver"
    local dir="$work/$bin"
    rm -rf "$dir"; mkdir -p "$dir"
    run_logged "$bin" bash -c "
        set -e
        cd '$dir'
        src=\$(go mod download -json '$modver' | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"Dir\"])')
        cp -r \"\$src\" src && chmod -R u+w src && cd src
        go build -trimpath -ldflags='-s -w' -o '$bindir/$bin' '$pkg'
    "
}

build_checker() {
    # A tiny program on aws-iam-authenticator's own ConfigMap parser: the
    # ground truth for what the authenticator accepts.
    # The binary is rebuilt when main.go changes (its hash is kept beside it).
    local sum; sum="$(sha256sum "$here/aws-auth-check/main.go" | cut -d' ' -f1)"
    if [ -x "$bindir/aws-auth-check" ] && [ "$(cat "$bindir/aws-auth-check.sha256" 2>/dev/null)" = "$sum" ]; then
        step "aws-auth-check: cached"; return
    fi
    local dir="$work/aws-auth-check"
    rm -rf "$dir"; mkdir -p "$dir"
    cp "$here/aws-auth-check/main.go" "$dir/main.go"
    step "building aws-auth-check on sigs.k8s.io/aws-iam-authenticator $AUTHENTICATOR_VERSION"
    run_logged aws-auth-check bash -c "
        set -e
        cd '$dir'
        printf 'module eks.access/sandbox/awsauthcheck\n\ngo 1.24\n' > go.mod
        go get sigs.k8s.io/aws-iam-authenticator@$AUTHENTICATOR_VERSION
        go mod tidy
        go build -trimpath -ldflags='-s -w' -o '$bindir/aws-auth-check' .
    "
    echo "$sum" > "$bindir/aws-auth-check.sha256"
}

what="${1:-all}"
case "$what" in
    kubernetes) build_kubernetes ;;
    kwok) build_standalone kwok "sigs.k8s.io/kwok@$KWOK_VERSION" ./cmd/kwok ;;
    checker) build_checker ;;
    all)
        build_standalone kwok "sigs.k8s.io/kwok@$KWOK_VERSION" ./cmd/kwok
        build_checker
        build_kubernetes
        ;;
    *) echo "usage: $0 [all|kubernetes|kwok|checker]" >&2; exit 2 ;;
esac
echo "$bindir"
