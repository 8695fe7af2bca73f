"""What running detectors guarded costs: a worker process on a read-only view, a time limit, checks.

    python tests/benchmarks/bench_detector_isolation.py CASE [CASE ...] [--repeat 3]

For each case, every detector runs (storing its findings) both ways, each in a fresh Python
process so that no cache of an earlier run helps, alternating, ``--repeat`` times:

* ``inline``: the way detectors ran before: in the host, on the host's writable connection;
* ``guarded``: ``run_detectors`` as ``workbench detect`` uses it.

Prints the fastest and median wall time of each and the overhead, absolute and relative.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path


def run_once(case_path: str, mode: str) -> float:
    from workbench.bulk import collector_paused
    from workbench.detecting import available_detectors, run_detectors
    from workbench.store import Case

    with Case.open(case_path) as case:
        chosen = available_detectors()
        started = time.perf_counter()
        if mode == "guarded":
            run_detectors(case)
        else:
            for detector in chosen:
                parameters = case.detector_parameters(detector.id)
                instance = detector(**parameters)
                try:
                    with collector_paused():
                        findings = list(instance.run(case))
                except Exception as error:  # noqa: BLE001
                    case.record_detector_run(detector.id, detector.version, parameters, [], error=str(error))
                    continue
                case.record_detector_run(detector.id, detector.version, instance.options, findings,
                                         severity=detector.severity)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="+")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--once", choices=["inline", "guarded"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.once:
        print(f"{run_once(args.cases[0], args.once):.4f}")
        return
    for case in args.cases:
        times: dict[str, list[float]] = {"inline": [], "guarded": []}
        for mode in ("inline", "guarded"):  # a first run of each stores findings; not counted
            subprocess.run([sys.executable, __file__, case, "--once", mode], check=True, capture_output=True)
        for _ in range(args.repeat):
            for mode in ("inline", "guarded"):
                out = subprocess.run([sys.executable, __file__, case, "--once", mode], check=True,
                                     capture_output=True, text=True).stdout
                times[mode].append(float(out.strip().splitlines()[-1]))
        best = {mode: min(values) for mode, values in times.items()}
        median = {mode: statistics.median(values) for mode, values in times.items()}
        print(f"{Path(case).name}: all detectors, {args.repeat} runs each")
        for mode in ("inline", "guarded"):
            print(f"  {mode:<8} fastest {best[mode]:7.3f} s   median {median[mode]:7.3f} s   "
                  f"({', '.join(f'{t:.3f}' for t in times[mode])})")
        extra = best["guarded"] - best["inline"]
        print(f"  overhead (fastest) {extra:+.3f} s = {extra / best['inline']:+.1%}; "
              f"(median) {median['guarded'] - median['inline']:+.3f} s")


if __name__ == "__main__":
    main()
