"""Time-ordered paths and fund tracing on a case of 120,000 payments among 20,000 accounts.

    python tests/benchmarks/bench_paths_flows.py [--payments 120000] [--queries 20]

Prints the graph build time, then per query: time-ordered path (earliest arrival), FIFO fund
trace forward (4 hops, 30-day window), totals; baseline in the same run: networkx's
unconstrained shortest path between the same pairs (the same graph, no time constraint).
Goal: under 1 s per query.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import networkx as nx

from workbench.analysis.flows import flatten, totals, trace_funds
from workbench.analysis.graph import case_graph, undirected
from workbench.analysis.paths import time_ordered_path
from workbench.model import SourceInfo
from workbench.store import Case


def payments(count: int, accounts: int, seed: int = 11):
    rng = random.Random(seed)
    for n in range(count):
        day = 1 + n * 730 // count
        yield {
            "id": f"pay-{n}",
            "schema": "Payment",
            "properties": {
                "payer": [f"acct-{rng.randrange(accounts)}"],
                "beneficiary": [f"acct-{rng.randrange(accounts)}"],
                "amount": [f"{rng.randrange(100, 100_000)}"],
                "currency": ["USD"],
                "date": [f"{2023 + day // 366}-{(day % 366) // 31 % 12 + 1:02d}-{(day % 31) % 28 + 1:02d}"],
            },
        }


def _reachable_pair(graph, rng, accounts: int) -> tuple[str, str]:
    """A source and a target that a time-advancing walk of up to 6 payments connects."""
    while True:
        source = f"acct-{rng.randrange(accounts)}"
        node, when, hops = source, "", 0
        while hops < 6:
            later = [(d["start"], v) for _, v, d in graph.out_edges(node, data=True) if d["start"] >= when]
            if not later:
                break
            when, node = rng.choice(later)
            hops += 1
        if hops >= 2 and node != source:
            return source, node


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--payments", type=int, default=120_000)
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(5)
    with tempfile.TemporaryDirectory() as folder:
        with Case.create(Path(folder) / "flows.wbcase") as case:
            parties = [{"id": f"acct-{n}", "schema": "LegalEntity", "properties": {"name": [f"Account {n}"]}}
                       for n in range(args.accounts)]
            case.ingest(list(parties) + list(payments(args.payments, args.accounts)), SourceInfo(file_name="bench"))
            started = time.perf_counter()
            graph = case_graph(case)
            build = time.perf_counter() - started
            plain = undirected(graph)
            started = time.perf_counter()
            time_ordered_path(graph, "acct-0", "acct-1")  # builds the per-graph index of dated links
            index_build = time.perf_counter() - started
            pairs = [_reachable_pair(graph, rng, args.accounts) for _ in range(args.queries // 2)]
            pairs += [(f"acct-{rng.randrange(args.accounts)}", f"acct-{rng.randrange(args.accounts)}")
                      for _ in range(args.queries - len(pairs))]
            timings = {"time-ordered path": [], "trace forward 4 hops": [], "totals": [], "nx shortest path (baseline)": []}
            found = steps = 0
            for source, target in pairs:
                started = time.perf_counter()
                path = time_ordered_path(graph, source, target)
                timings["time-ordered path"].append(time.perf_counter() - started)
                found += path is not None
                started = time.perf_counter()
                trace = trace_funds(graph, source, max_hops=4, max_days=30)
                timings["trace forward 4 hops"].append(time.perf_counter() - started)
                steps += len(flatten(trace))
                started = time.perf_counter()
                totals(graph, source)
                timings["totals"].append(time.perf_counter() - started)
                started = time.perf_counter()
                try:
                    nx.shortest_path(plain, source, target)
                except nx.NetworkXNoPath:
                    pass
                timings["nx shortest path (baseline)"].append(time.perf_counter() - started)
    print(f"{args.payments:,} payments among {args.accounts:,} accounts; graph built in {build:.2f} s, "
          f"dated-link index in {index_build:.2f} s (once per graph)")
    baseline = statistics.median(timings["nx shortest path (baseline)"])
    for name, values in timings.items():
        median, worst = statistics.median(values), max(values)
        print(f"{name:<30} median {median * 1000:8.1f} ms  max {worst * 1000:8.1f} ms  "
              f"({median / baseline:5.1f}x nx shortest path)")
    print(f"time-ordered paths found: {found}/{len(pairs)} (half the pairs are known to be connected); "
          f"trace steps per query: {steps / len(pairs):.0f}")


if __name__ == "__main__":
    main()
