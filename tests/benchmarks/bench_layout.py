"""Force-directed layout: ours on 10,000 nodes / 30,000 links, and against networkx on 2,000.

    python tests/benchmarks/bench_layout.py [--nodes 10000] [--links 30000] [--small 2000]

Prints, for a synthetic graph (clusters of 10-100 nodes, most links inside a cluster, the rest
random), the time of :func:`workbench.analysis.layout.force_directed` (goal: under 3 s at
10,000 / 30,000), then networkx ``spring_layout`` and ours on a graph of ``--small`` nodes, and
their ratio. For the record it also times igraph's grid Fruchterman-Reingold the two ways a UI
could call it: in one call (fast, but no progress and no cancel) and in 20 chunks (what progress
and cancel need; the grid is rebuilt each call). networkx needs scipy above 500 nodes; without
it that comparison is skipped. No assertions: figures only.
"""

from __future__ import annotations

import argparse
import random
import time

import networkx as nx

from workbench.analysis.layout import force_directed


def synthetic_graph(nodes: int, links: int, inside_share: float = 0.8, seed: int = 7) -> nx.Graph:
    """Clusters of 10-100 nodes; ``inside_share`` of the links join two members of a cluster."""
    rng = random.Random(seed)
    cluster_of, members, start = [], [], 0
    while start < nodes:
        size = min(rng.randint(10, 100), nodes - start)
        members.append(range(start, start + size))
        cluster_of.extend([len(members) - 1] * size)
        start += size
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < links:
        source = rng.randrange(nodes)
        if rng.random() < inside_share:
            target = rng.choice(members[cluster_of[source]])
        else:
            target = rng.randrange(nodes)
        if source != target:
            pairs.add((min(source, target), max(source, target)))
    graph = nx.Graph()
    graph.add_nodes_from(range(nodes))
    graph.add_edges_from(sorted(pairs))
    return graph


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def bench_igraph(graph: nx.Graph, chunks: int = 20, iterations: int = 500) -> None:
    try:
        import igraph
    except ImportError:
        print("igraph not installed: its figures skipped")
        return
    simple = igraph.Graph(n=graph.number_of_nodes(), edges=list(graph.edges()))
    # igraph's own start: uniform in a square of side sqrt(n), which its grid assumes (a start
    # in the unit square puts every node in one cell and the run takes minutes).
    rng = random.Random(7)
    half = simple.vcount() ** 0.5 / 2
    start = [[rng.uniform(-half, half), rng.uniform(-half, half)] for _ in range(simple.vcount())]
    _, one_call = timed(simple.layout_fruchterman_reingold, seed=start, niter=iterations, grid=True)
    print(f"igraph grid FR, {iterations} iterations in one call:     {one_call:7.2f} s")
    temperature = simple.vcount() ** 0.5 / 10  # igraph's own default start temperature

    def chunked():
        positions = start
        for chunk in range(chunks):
            positions = simple.layout_fruchterman_reingold(
                seed=positions, niter=iterations // chunks, grid=True,
                start_temp=temperature * (1 - chunk / chunks),
            ).coords

    _, in_chunks = timed(chunked)
    print(f"igraph grid FR, {iterations} iterations in {chunks} calls:    {in_chunks:7.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--links", type=int, default=30_000)
    parser.add_argument("--small", type=int, default=2_000, help="nodes of the graph networkx is timed on")
    args = parser.parse_args()

    big, built = timed(synthetic_graph, args.nodes, args.links)
    print(f"synthetic graph: {big.number_of_nodes():,} nodes, {big.number_of_edges():,} links (built in {built:.1f} s)")
    reports = []
    positions, ours_big = timed(force_directed, big, progress=reports.append)
    print(f"ours, force_directed:                           {ours_big:7.2f} s  ({len(reports)} progress reports)")
    _, warm = timed(force_directed, big, initial=positions, iterations=50)
    print(f"ours, re-run from those positions, 50 iterations: {warm:5.2f} s")
    bench_igraph(big)

    small = synthetic_graph(args.small, 3 * args.small)
    print(f"\nsmaller graph: {small.number_of_nodes():,} nodes, {small.number_of_edges():,} links")
    _, ours_small = timed(force_directed, small)
    print(f"ours, force_directed:                           {ours_small:7.2f} s")
    try:
        import scipy  # noqa: F401  (networkx's spring_layout needs it above 500 nodes)
    except ImportError:
        print("networkx spring_layout skipped: it needs scipy for graphs over 500 nodes")
        return
    _, theirs = timed(nx.spring_layout, small, seed=7)
    print(f"networkx spring_layout:                         {theirs:7.2f} s")
    print(f"ratio networkx / ours:                          {theirs / ours_small:7.1f}x")


if __name__ == "__main__":
    main()
