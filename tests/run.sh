#!/usr/bin/env bash
# Run the test layers: `tests/run.sh sanity|lint|units|packaging|integration|all`;
# `tests/run.sh docs [DIR]` writes the reference pages (docs/reference).
# `tests/run.sh ansible-test [TARGET...] [ansible-test options]` runs `ansible-test integration --local`
# against the sandbox in a copy of the collection (docs/testing.md); `integration` does that per target.
# `bench` and `reliability` (make bench / make reliability) are separate: never part of `all`.
# `all` runs ansible-test sanity and ansible-lint first, then one pytest session over the unit
# tests, the packaging checks (ansible-builder, antsibull-docs) and the integration targets, so
# the last line is pytest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
# EKS_ACCESS_VENV / EKS_ACCESS_DEPS: another venv and another folder holding
# ansible_collections/{amazon,kubernetes} (make test-matrix, tests/matrix.sh);
# by default the project venv and the collections its `ansible` package bundles.
venv="${EKS_ACCESS_VENV:-$repo/.venv}"
deps="${EKS_ACCESS_DEPS:-}"
if [ -z "$deps" ]; then
    deps="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
fi
what="${1:-all}"

collection_tree() {
    # ansible-test wants the collection under ansible_collections/<ns>/<name>.
    # Outside the checkout: inside it, ansible-test asks git for the file list
    # and a gitignored copy would have no files at all.
    local top="${TMPDIR:-/tmp}/${1:-eks-access-sanity}"
    local dest="$top/ansible_collections/eks/access"
    rm -rf "$top"; mkdir -p "$dest"
    git ls-files -co --exclude-standard -z | grep -zv -e '^tests/sandbox/aws-auth-check/' -e '^tests/bench/upsert-driver/' |
        xargs -0 -I{} cp --parents {} "$dest/" 2>/dev/null || true
    # The dependencies' collections must sit beside ours for import/validate tests.
    for ns in amazon kubernetes; do ln -sfn "$deps/ansible_collections/$ns" "$top/ansible_collections/$ns"; done
    echo "$dest"
}

run_ansible_test_integration() {
    # The sandbox wrote the variables file and the cloud/aws config the targets need (both gitignored).
    local config
    for config in tests/integration/integration_config.yml tests/integration/cloud-config-aws.ini; do
        if [ ! -f "$config" ]; then
            echo "$config is missing: start the sandbox first (make sandbox); it writes it" >&2
            return 1
        fi
    done
    local dest; dest="$(collection_tree eks-access-integration)"
    cp tests/integration/integration_config.yml tests/integration/cloud-config-aws.ini "$dest/tests/integration/"
    echo "[test] ansible-test integration --local in $dest"
    (cd "$dest" && PATH="$venv/bin:$PATH" "$venv/bin/ansible-test" integration --local --python 3.11 --color no "$@")
}

run_sanity() {
    local dest; dest="$(collection_tree)"
    # ansible-test downloads a get-pip script for its sanity venvs from a host
    # that is not reachable here; seed its cache with our ensurepip stand-in.
    local pip_version
    # (the pip version it bootstraps is written in its python_requirements.py; 24.2 in 2.19)
    pip_version="$("$venv/bin/python" - <<'PY'
import os, re, ansible_test
source = open(os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")).read()
print(re.search(r"pip='([0-9.]+)'", source).group(1))
PY
)"
    mkdir -p "$HOME/.ansible/test/cache"
    cp "$repo/tests/sanity/bootstrap_pip.py" "$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
    # ansible-test strips the environment; hand this shell's pip settings on.
    "$venv/bin/python" - "$HOME/.ansible/test/cache/eks-access-pip.conf" <<'PY'
import os, subprocess, sys
lines = ["[global]"]
for line in subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True).stdout.splitlines():
    key, _, value = line.partition("=")
    name = key.split(".", 1)[-1]
    if name not in ("disable-pip-version-check",) and value:
        lines.append("%s = %s" % (name, value.strip("'\"")))
open(sys.argv[1], "w").write("\n".join(dict.fromkeys(lines)) + "\n")
PY
    echo "[test] ansible-test sanity (python 3.11) in $dest"
    (cd "$dest" && PATH="$venv/bin:$PATH" "$venv/bin/ansible-test" sanity --local --python 3.11 --color no 2>&1 | tail -n 80)
    local rc=${PIPESTATUS[0]}
    return "$rc"
}

run_lint() {
    # ansible-lint (production profile, .ansible-lint) over the roles and playbooks.
    # It resolves eks.access.* through a collections path holding this checkout.
    local top="${TMPDIR:-/tmp}/eks-access-lint"
    mkdir -p "$top/ansible_collections/eks"
    ln -sfn "$repo" "$top/ansible_collections/eks/access"
    echo "[test] ansible-lint --profile production roles playbooks"
    ANSIBLE_COLLECTIONS_PATH="$top" PATH="$venv/bin:$PATH" "$venv/bin/ansible-lint" --nocolor roles playbooks
}

run_docs() {
    # Reference pages for every module, plugin and role, from their own
    # documentation (antsibull-docs), into docs/reference or the given folder.
    local dest="${1:-$repo/docs/reference}"
    local top="${TMPDIR:-/tmp}/eks-access-docs"
    mkdir -p "$top/ansible_collections/eks"
    ln -sfn "$repo" "$top/ansible_collections/eks/access"
    rm -rf "$dest"; mkdir -p "$dest"
    ANSIBLE_COLLECTIONS_PATH="$top" PATH="$venv/bin:$PATH" "$venv/bin/antsibull-docs" collection \
        --use-current --dest-dir "$dest" --output-format simplified-rst eks.access
}

run_pytest() {
    export PYTHONPATH="$repo/.sandbox/collections${EKS_ACCESS_DEPS:+:$EKS_ACCESS_DEPS}${PYTHONPATH:+:$PYTHONPATH}"
    if [ -f "$repo/.sandbox/env" ]; then
        # shellcheck disable=SC1091
        . "$repo/.sandbox/env"
    fi
    mkdir -p "$repo/.sandbox/collections/ansible_collections/eks"
    ln -sfn "$repo" "$repo/.sandbox/collections/ansible_collections/eks/access"
    "$venv/bin/python" -m pytest -p no:cacheprovider "$@"
}

run_import_contract() {
    # The layering (.importlinter, docs/architecture.md): arrows point down only.
    mkdir -p "$repo/.sandbox/collections/ansible_collections/eks"
    ln -sfn "$repo" "$repo/.sandbox/collections/ansible_collections/eks/access"
    echo "[test] lint-imports (.importlinter)"
    (cd "$repo" && PYTHONPATH="$repo/.sandbox/collections${EKS_ACCESS_DEPS:+:$EKS_ACCESS_DEPS}" \
        "$venv/bin/lint-imports" --no-cache .importlinter | sed -n '/^Contracts/,$p' | grep -v -e '^$' -e '^---')
}

case "$what" in
    sanity) run_sanity ;;
    lint) run_lint ;;
    docs) run_docs "${@:2}" ;;
    units) run_import_contract; run_pytest tests/unit -q "${@:2}" ;;
    packaging) run_pytest tests/packaging -q "${@:2}" ;;
    integration) run_pytest tests/integration -v "${@:2}" ;;
    ansible-test) run_ansible_test_integration "${@:2}" ;;
    bench)
        # shellcheck disable=SC1091
        . "$repo/.sandbox/env"
        # the shared test helpers (tests/lib), as pytest.ini gives them to the pytest suites
        export PYTHONPATH="$repo/tests/lib${PYTHONPATH:+:$PYTHONPATH}"
        if [ "${BENCH:-all}" = eksctl ]; then
            # case 1 beside the eksctl cases only (BENCH=eksctl make bench)
            "$venv/bin/python" tests/bench/bench.py --only-eksctl "${@:2}"
        elif [ "${BENCH:-all}" = report ]; then
            # access_report over every cluster of the sandbox (BENCH=report make bench: 20 clusters x 200 principals)
            "$venv/bin/python" tests/bench/report_bench.py "${@:2}"
        elif [ "${BENCH:-all}" = fleet ]; then
            # migrate_to_access_entries over every cluster of the sandbox (BENCH=fleet make bench: 20 clusters)
            "$venv/bin/python" tests/bench/fleet_bench.py "${@:2}"
        else
            "$venv/bin/python" tests/bench/bench.py "${@:2}"
            # EKS access entries: 200 entries through a relay in front of the AWS endpoint.
            "$venv/bin/python" tests/bench/access_entries_bench.py
        fi
        ;;
    bench-access-entries)
        # shellcheck disable=SC1091
        . "$repo/.sandbox/env"
        export PYTHONPATH="$repo/tests/lib${PYTHONPATH:+:$PYTHONPATH}"
        "$venv/bin/python" tests/bench/access_entries_bench.py "${@:2}"
        ;;
    reliability) run_pytest tests/reliability -v -s -rfEs "${@:2}" ;;
    all)
        run_sanity
        run_lint
        run_import_contract
        # the slowest tests are listed at the end, to see where the time of `make test` goes
        run_pytest tests/unit tests/packaging tests/integration -v -rfE --durations=25
        ;;
    *) echo "usage: $0 sanity|lint|docs|units|packaging|integration|ansible-test|all|bench|bench-access-entries|reliability" >&2; exit 2 ;;
esac
