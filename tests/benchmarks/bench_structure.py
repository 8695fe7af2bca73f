"""Centralities and communities on a synthetic case; networkx's own Louvain as the baseline.

    python tests/benchmarks/bench_structure.py [--parties 20000] [--payments 120000] [--accuracy]

Builds a real case in a temporary folder: ``--parties`` companies in clusters of about 100
(four payments in five stay inside the payer's cluster, the rest go anywhere, so there are
communities to find), and ``--payments`` payments between them, ingested through
``Case.ingest``. Then times the graph build (``case_graph``), the projection to igraph, each
centrality, igraph's communities, and networkx's Louvain on the same graph in the same run,
and prints the ratio and both partitions' modularity. The goal is communities plus the five
centralities in under 5 s. ``--accuracy`` also computes exact betweenness and closeness (slow)
to show how close the sampled estimates come.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path

import networkx as nx
import numpy as np

from workbench.analysis import structure
from workbench.analysis.graph import case_graph, undirected
from workbench.model import Record, SourceInfo, parse_grade
from workbench.store import Case

CLUSTER_SIZE = 100
INSIDE_CLUSTER = 0.8


def build_entities(parties: int, payments: int, seed: int = 11) -> list[Record]:
    rng = random.Random(seed)
    entities = [
        Record({"id": f"co-{n:06d}", "schema": "Company", "properties": {"name": [f"Company {n:06d}"]}})
        for n in range(parties)
    ]
    clusters = max(1, parties // CLUSTER_SIZE)
    for n in range(payments):
        payer = rng.randrange(parties)
        if rng.random() < INSIDE_CLUSTER:
            cluster = payer % clusters
            beneficiary = cluster + clusters * rng.randrange((parties - cluster + clusters - 1) // clusters)
        else:
            beneficiary = rng.randrange(parties)
        date = f"20{rng.randrange(18, 25)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        entities.append(
            Record(
                {
                    "id": f"pay-{n:07d}",
                    "schema": "Payment",
                    "properties": {
                        "payer": [f"co-{payer:06d}"],
                        "beneficiary": [f"co-{beneficiary:06d}"],
                        "amount": [f"{rng.randrange(100, 5_000_000) / 100:.2f}"],
                        "currency": ["USD"],
                        "date": [date],
                    },
                },
                locator=f"payments.csv row {n + 2}",
            )
        )
    return entities


def timed(label: str, work, figures: dict[str, tuple[float, float]]):
    """Run ``work``, keep its wall-clock time, and print it with the CPU time, which other
    programs on a shared machine disturb less."""
    started, started_cpu = time.perf_counter(), time.process_time()
    result = work()
    wall, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    figures[label] = (wall, cpu)
    print(f"{label:<40} {wall:8.3f} s  (CPU {cpu:.3f} s)", flush=True)
    return result


def rank_agreement(estimate: dict[str, float], exact: dict[str, float]) -> str:
    """Spearman correlation over all parties, the overlap of the top 100 and top 1,000, and the
    largest relative error among the exact top 100."""
    names = sorted(exact)
    ranks_estimate = np.argsort(np.argsort([estimate[n] for n in names]))
    ranks_exact = np.argsort(np.argsort([exact[n] for n in names]))
    spearman = float(np.corrcoef(ranks_estimate, ranks_exact)[0, 1])

    def best(values: dict[str, float], count: int) -> set[str]:
        return set(sorted(values, key=values.get, reverse=True)[:count])

    overlaps = [len(best(estimate, count) & best(exact, count)) / count for count in (100, 1000)]
    error = max(abs(estimate[n] - exact[n]) / exact[n] for n in best(exact, 100))
    return (f"Spearman {spearman:.3f}, top-100 overlap {overlaps[0]:.0%}, top-1000 overlap {overlaps[1]:.0%},"
            f" worst relative error in the top 100 {error:.0%}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parties", type=int, default=20_000)
    parser.add_argument("--payments", type=int, default=120_000)
    parser.add_argument("--accuracy", action="store_true", help="compare sampled measures with exact ones")
    args = parser.parse_args()
    print(f"load average before the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
          " (other programs inflate the wall-clock times; compare the CPU times)")

    print(f"building {args.parties:,} companies and {args.payments:,} payments ...", flush=True)
    entities = build_entities(args.parties, args.payments)
    figures: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        case = Case.create(Path(folder) / "structure.wbcase")
        source = SourceInfo(
            file_name="payments.csv", importer_id="bench", importer_version="1", grade=parse_grade("B2")
        )
        timed("ingest (not part of the goal)", lambda: case.ingest(entities, source), figures)
        graph = timed("case_graph", lambda: case_graph(case), figures)
        print(f"  graph: {graph.number_of_nodes():,} nodes, {graph.number_of_edges():,} links")

        timed("projection to igraph (once per graph)", lambda: structure._project(graph), figures)
        measures = {}
        for measure in structure.MEASURES:
            measures[measure] = timed(f"centrality {measure}", lambda: structure.centrality(graph, measure), figures)
        found = timed("communities (igraph multilevel)", lambda: structure.communities(graph), figures)
        timed("components", lambda: structure.components(graph), figures)
        timed("store_measures (6 metrics)", lambda: structure.store_measures(case, {**measures, "community": found}),
              figures)

        simple = timed("networkx undirected() projection", lambda: undirected(graph), figures)
        simple.remove_edges_from(list(nx.selfloop_edges(simple)))
        baseline = timed("networkx louvain_communities (baseline)",
                         lambda: nx.community.louvain_communities(simple, seed=0), figures)

        if args.accuracy:
            exact_b = timed("exact betweenness (igraph)",
                            lambda: structure.centrality(graph, "betweenness", samples=graph.number_of_nodes()),
                            figures)
            exact_c = timed("exact closeness (igraph)",
                            lambda: structure.centrality(graph, "closeness", samples=graph.number_of_nodes()),
                            figures)
        case.close()

    goal_labels = [f"centrality {m}" for m in structure.MEASURES] + ["communities (igraph multilevel)"]
    goal, goal_cpu = (sum(figures[label][i] for label in goal_labels) for i in (0, 1))
    projection = figures["projection to igraph (once per graph)"][0]
    print()
    print(f"communities + 5 centralities            {goal:8.3f} s  (CPU {goal_cpu:.3f} s;"
          f" {goal + projection:.3f} s with the projection; goal: < 5 s)")
    ratio = figures["networkx louvain_communities (baseline)"][0] / figures["communities (igraph multilevel)"][0]
    print(f"networkx Louvain / igraph multilevel    {ratio:8.1f}x")
    print(f"communities found: igraph {len(found):,}, networkx {len(baseline):,}"
          f"  (planted clusters: {max(1, args.parties // CLUSTER_SIZE):,})")
    print(f"modularity: igraph {nx.community.modularity(simple, [set(c) for c in found]):.4f},"
          f" networkx {nx.community.modularity(simple, baseline):.4f}")
    if args.accuracy:
        for name, exact in (("betweenness", exact_b), ("closeness", exact_c)):
            print(f"sampled {name:<12} vs exact: {rank_agreement(measures[name], exact)}")


if __name__ == "__main__":
    main()
