#!/usr/bin/env bash
# make test-matrix: sanity + unit tests + a smoke subset of the integration
# targets on each supported combination of ansible-core and of the oldest /
# newest amazon.aws and kubernetes.core of the ranges in galaxy.yml
# (docs/testing.md#support-matrix has the last results). Not part of make test.
#
# Every ansible-core version gets a venv of its own, and every collection set a
# collections folder of its own, both cached outside the checkout
# (~/.cache/eks-access-matrix); a combination is one venv with one collections
# folder. The collections come out of the `ansible` package of PyPI that
# bundles them (Galaxy is not reachable from every machine that runs this).
#
#   tests/matrix.sh                         every combination, every layer
#   COMBOS="2.17/oldest 2.19/newest" tests/matrix.sh
#   LAYERS="sanity units" tests/matrix.sh
#
# The smoke layer needs the sandbox (make sandbox): it wrote the files the
# integration targets read. Logs: tests/output/matrix/<combo>-<layer>.log;
# results: tests/output/matrix/<combo>-<layer>.result; the table of every result
# so far: tests/output/matrix/summary.md. Exit status 1 when a cell of this run fails.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
repo="$PWD"
cache="${EKS_ACCESS_MATRIX_CACHE:-$HOME/.cache/eks-access-matrix}"
python="${PYTHON:-python3.11}"
out="$repo/tests/output/matrix"

# ansible-core: the newest patch release of each minor version that runs on Python 3.11.
declare -A CORE=([2.16]=2.16.19 [2.17]=2.17.14 [2.18]=2.18.19 [2.19]=2.19.14)
# Collection sets: the `ansible` release that bundles them.
#   oldest: amazon.aws 9.0.0, kubernetes.core 5.0.0 (ansible 11.0.0)
#   newest: amazon.aws 10.1.2, kubernetes.core 6.2.0 (ansible 12.3.0; newer ones are on Galaxy only)
declare -A BUNDLE=([oldest]=11.0.0 [newest]=12.3.0)
# ansible-core 2.16 runs with the oldest set only: amazon.aws 10 requires ansible-core 2.17 or newer.
COMBOS="${COMBOS:-2.16/oldest 2.17/oldest 2.17/newest 2.18/oldest 2.18/newest 2.19/oldest 2.19/newest}"
LAYERS="${LAYERS:-sanity units smoke}"
# Reading a cluster (EKS and its Kubernetes API) and writing aws-auth safely: the two paths
# every role goes through; the whole set runs in make test on the pinned versions.
SMOKE_TARGETS="${SMOKE_TARGETS:-eks_cluster_info aws_auth_mapping}"

log() { echo "[matrix] $*" >&2; }

core_venv() {
    # venv-core-<minor>: ansible-core and what the tests import; no `ansible` package,
    # so the only amazon.aws / kubernetes.core are those of the collections folder.
    local minor="$1" version="${CORE[$1]}"
    local venv="$cache/venv-core-$minor"
    local stamp
    stamp="$venv/.installed-$version-$(md5sum <requirements.txt | cut -c1-8)"
    if [ ! -f "$stamp" ]; then
        log "creating $venv (ansible-core $version)"
        rm -rf "$venv"
        "$python" -m venv "$venv" || return 1
        "$venv/bin/pip" install --quiet "ansible-core==$version" -r requirements.txt \
            "moto[server]==5.2.5" "pytest>=8" "pytest-xdist>=3" voluptuous >&2 || return 1
        touch "$stamp"
    fi
    echo "$venv"
}

collection_set() {
    # collections-<set>/ansible_collections/{amazon/aws,kubernetes/core}, taken from the
    # `ansible` wheel that bundles them.
    local name="$1" bundle="${BUNDLE[$1]}"
    local dest="$cache/collections-$name"
    if [ ! -f "$dest/.installed-$bundle" ]; then
        mkdir -p "$cache/wheels"
        local wheel="$cache/wheels/ansible-$bundle-py3-none-any.whl"
        if [ ! -f "$wheel" ]; then
            log "downloading ansible $bundle (for its amazon.aws and kubernetes.core)"
            "$python" -m pip download --quiet --no-deps -d "$cache/wheels" "ansible==$bundle" >&2 || return 1
        fi
        rm -rf "$dest"; mkdir -p "$dest"
        "$python" - "$wheel" "$dest" <<'PY' || return 1
import sys, zipfile
wheel, dest = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    z.extractall(dest, [n for n in z.namelist() if n.startswith(("ansible_collections/amazon/aws/",
                                                                 "ansible_collections/kubernetes/core/"))])
PY
        touch "$dest/.installed-$bundle"
    fi
    echo "$dest"
}

collection_version() {
    "$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["collection_info"]["version"])' \
        "$1/ansible_collections/$2/MANIFEST.json"
}

run_layer() {
    local layer="$1" venv="$2" deps="$3" tmp="$4"
    export EKS_ACCESS_VENV="$venv" EKS_ACCESS_DEPS="$deps" TMPDIR="$tmp"
    case "$layer" in
        sanity) bash tests/run.sh sanity ;;
        units) bash tests/run.sh units ;;
        smoke) local targets; read -ra targets <<<"$SMOKE_TARGETS"; bash tests/run.sh ansible-test "${targets[@]}" ;;
    esac
}

mkdir -p "$out"
failed=0
for combo in $COMBOS; do
    minor="${combo%/*}" set="${combo#*/}"
    if [ -z "${CORE[$minor]:-}" ] || [ -z "${BUNDLE[$set]:-}" ]; then
        log "unknown combination $combo (ansible-core: ${!CORE[*]}; collection sets: ${!BUNDLE[*]})"; exit 2
    fi
    # One result file per cell (<minor>-<set>-<layer>.result), so that runs of some
    # layers or combinations add up to one table.
    if ! venv="$(core_venv "$minor")" || ! deps="$(collection_set "$set")"; then
        log "$combo: cannot be installed here"
        for layer in $LAYERS; do echo "not installable" >"$out/${minor}-${set}-${layer}.result"; done
        failed=1; continue
    fi
    tmp="${TMPDIR:-/tmp}/eks-access-matrix-${minor}-${set}"
    mkdir -p "$tmp"
    for layer in sanity units smoke; do
        [[ " $LAYERS " == *" $layer "* ]] || continue
        logfile="$out/${minor}-${set}-${layer}.log"
        log "$combo $layer (log: ${logfile#"$repo"/})"
        if (run_layer "$layer" "$venv" "$deps" "$tmp") >"$logfile" 2>&1; then
            result="pass"
        else
            result="FAIL"; failed=1
            if [ "$layer" = sanity ]; then
                # run.sh keeps the end of ansible-test's output only; the findings are in its bot files.
                cat "$tmp"/eks-access-sanity/ansible_collections/eks/access/tests/output/bot/*.json >>"$logfile" 2>/dev/null
            fi
            tail -n 30 "$logfile" >&2
        fi
        echo "$result ($(date -u +%Y-%m-%d))" >"$out/${minor}-${set}-${layer}.result"
        log "$combo $layer: $result"
    done
done

cell() { if [ -f "$out/$1.result" ]; then cat "$out/$1.result"; else echo "not run"; fi; }
{
    echo "Python $("$python" -c 'import platform; print(platform.python_version())'); each cell: result (date, UTC)."
    echo
    echo "| ansible-core | amazon.aws | kubernetes.core | sanity | units | smoke integration |"
    echo "| --- | --- | --- | --- | --- | --- |"
    for minor in 2.16 2.17 2.18 2.19; do
        for set in oldest newest; do
            [ "$minor/$set" = 2.16/newest ] && continue  # amazon.aws 10 requires ansible-core >= 2.17
            deps="$cache/collections-$set"
            if [ -f "$deps/.installed-${BUNDLE[$set]}" ]; then
                versions="$(collection_version "$deps" amazon/aws) | $(collection_version "$deps" kubernetes/core)"
            else
                versions="? | ?"
            fi
            echo "| ${CORE[$minor]} | $versions | $(cell "$minor-$set-sanity") | $(cell "$minor-$set-units") | $(cell "$minor-$set-smoke") |"
        done
    done
} >"$out/summary.md"
cat "$out/summary.md"
exit "$failed"
