#!/usr/bin/env bash
# Run the test layers: `tests/run.sh sanity|units|integration|all`.
# `all` runs ansible-test sanity first, then one pytest session over the unit
# tests and the integration targets, so the last line is pytest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
venv="$repo/.venv"
what="${1:-all}"

collection_tree() {
    # ansible-test wants the collection under ansible_collections/<ns>/<name>.
    local top="$repo/.sandbox/sanity"
    local dest="$top/ansible_collections/eks/access"
    rm -rf "$top"; mkdir -p "$dest"
    git ls-files -co --exclude-standard -z | grep -zv '^tests/sandbox/aws-auth-check/' |
        xargs -0 -I{} cp --parents {} "$dest/" 2>/dev/null || true
    # files git does not know yet (a fresh, uncommitted tree) still count
    echo "$dest"
}

run_sanity() {
    local dest; dest="$(collection_tree)"
    echo "[test] ansible-test sanity (python 3.11) in $dest"
    (cd "$dest" && "$venv/bin/ansible-test" sanity --venv --python 3.11 --color no \
        --exclude tests/sandbox/ --exclude tests/integration/ --exclude tests/unit/ 2>&1 | tail -n 60)
    local rc=${PIPESTATUS[0]}
    return "$rc"
}

run_pytest() {
    export PYTHONPATH="$repo/.sandbox/collections${PYTHONPATH:+:$PYTHONPATH}"
    if [ -f "$repo/.sandbox/env" ]; then
        # shellcheck disable=SC1091
        . "$repo/.sandbox/env"
    fi
    mkdir -p "$repo/.sandbox/collections/ansible_collections/eks"
    ln -sfn "$repo" "$repo/.sandbox/collections/ansible_collections/eks/access"
    "$venv/bin/python" -m pytest -p no:cacheprovider "$@"
}

case "$what" in
    sanity) run_sanity ;;
    units) run_pytest tests/unit -q ;;
    integration) run_pytest tests/integration -v ;;
    all)
        run_sanity
        run_pytest tests/unit tests/integration -v -rfE
        ;;
    *) echo "usage: $0 sanity|units|integration|all" >&2; exit 2 ;;
esac
