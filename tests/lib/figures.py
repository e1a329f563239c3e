# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Result lines of the reliability suite and the benchmarks, and the machine they were taken on."""

from __future__ import annotations

import json
import os
import platform


def figure(text):
    """Print a result line that `make reliability` shows (run with -s)."""
    print("\n[figure] %s" % text, flush=True)


def write_json(path, document, default=None):
    """Write ``document`` as indented JSON to ``path`` (its folder created); returns ``path``."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(document, f, indent=2, default=default)
    return path


def machine():
    """'N cores, X GiB RAM, arch, Python V': the machine a figure was taken on."""
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    return "%d cores, %.1f GiB RAM, %s, Python %s" % (
        os.cpu_count(), mem_kb / 1048576.0, platform.machine(), platform.python_version())


def run_figures(case, results):
    """The medians over the runs of a bench case; each result holds ``first`` and ``rerun`` (seconds),
    ``first_counts`` and ``rerun_counts`` (apicount.Counts with ``cpu_s`` and ``metrics_configmap_writes``),
    ``all_present`` and ``node_mappings_kept``."""
    import statistics

    med = statistics.median
    return {
        "case": case,
        "runs": len(results),
        "wall_s": med([r["first"] for r in results]),
        "wall_s_all": [round(r["first"], 2) for r in results],
        "rerun_wall_s": med([r["rerun"] for r in results]),
        "cpu_s": med([r["first_counts"]["cpu_s"] for r in results]),
        "requests": med([r["first_counts"].requests for r in results]),
        "writes": med([r["first_counts"].writes for r in results]),
        "metrics_configmap_writes": med([r["first_counts"]["metrics_configmap_writes"] for r in results]),
        "rerun_requests": med([r["rerun_counts"].requests for r in results]),
        "rerun_writes": med([r["rerun_counts"].writes for r in results]),
        "all_present": all(r["all_present"] for r in results),
        "node_mappings_kept": all(r["node_mappings_kept"] for r in results),
        "requests_by_verb": results[0]["first_counts"]["by"],
    }
