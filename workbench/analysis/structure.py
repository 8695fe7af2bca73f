"""The shape of the network: who is central, which parties cluster together, what hangs together.

Measures are computed with igraph, whose loops are compiled: DESIGN.md measured its multilevel
(Louvain) community detection at 0.32 s against networkx's 9.3 s on 10,000 nodes
(``tests/benchmarks/bench_structure.py`` compares the two on 20,000 parties), and networkx's
PageRank and eigenvector routines would need scipy besides.

Everything except PageRank works on the undirected simple projection of the case graph, as
:func:`workbench.analysis.graph.undirected` defines it (the links between two parties, of any
type and direction, count as one tie), without links from a party to itself. For
"who is central" the direction of a payment or an ownership matters less than the tie;
PageRank keeps direction (payer -> beneficiary, owner -> asset, director -> company), so it
ranks the parties that money and control flow towards.

Results are keyed by node id and are deterministic: vertices are ordered by id, and every
random choice (sampled sources, Louvain's visiting order) comes from a seeded generator.
"""

from __future__ import annotations

import random
import warnings
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import igraph
import networkx as nx
import numpy as np

from workbench.store import Case

MEASURES = ("degree", "betweenness", "closeness", "eigenvector", "pagerank")
#: Betweenness and closeness on more parties than this are estimated from this many sources.
SAMPLE_SIZE = 500
PAGERANK_DAMPING = 0.85


# ---------------------------------------------------------------------------------- projection


@dataclass(frozen=True)
class _Projection:
    """The graph as igraph sees it: vertex ``i`` is node ``names[i]``; no parallel links, no loops."""

    names: list[str]
    undirected: igraph.Graph
    directed: igraph.Graph  # the same graph as ``undirected`` when the input was undirected


# Frozen graphs (case_graph's) cannot change, so their projection is kept while they live:
# computing five measures converts the graph once, not five times.
_projections: weakref.WeakKeyDictionary[nx.Graph, _Projection] = weakref.WeakKeyDictionary()


def _project(graph: nx.Graph) -> _Projection:
    cached = _projections.get(graph)
    if cached is not None:
        return cached
    names = sorted(graph.nodes)
    index = {name: i for i, name in enumerate(names)}
    pairs = [(index[u], index[v]) for u, v in graph.edges() if u != v]
    directed = igraph.Graph(n=len(names), edges=pairs, directed=graph.is_directed())
    directed.simplify(multiple=True, loops=True)
    undirected = directed.as_undirected(mode="collapse") if directed.is_directed() else directed
    projection = _Projection(names=names, undirected=undirected, directed=directed)
    if nx.is_frozen(graph):
        _projections[graph] = projection
    return projection


@contextmanager
def _seeded_igraph(seed: int) -> Iterator[None]:
    """igraph draws from Python's global ``random`` module; give it its own seeded generator for
    the duration, so results repeat and the caller's random state is left alone.

    igraph has one generator per process, so two threads running seeded igraph work at once
    would share it: run structure measures from one worker at a time.
    """
    igraph.set_random_number_generator(random.Random(seed))
    try:
        yield
    finally:
        igraph.set_random_number_generator(random)


# ---------------------------------------------------------------------------------- centrality


def centrality(graph: nx.Graph, measure: str, *, seed: int = 0, samples: int = SAMPLE_SIZE) -> dict[str, float]:
    """One centrality measure for every node of ``graph``: ``{node_id: value}``.

    ``measure`` is one of :data:`MEASURES`, each normalised as networkx normalises it, so that
    values compare across cases of different size:

    * ``degree``: the fraction of the other parties a party is tied to;
    * ``betweenness``: the fraction of shortest paths between other parties that pass through
      it. Exact up to ``samples`` parties; on larger graphs, estimated from the shortest paths
      leaving ``samples`` sources drawn with ``seed`` (Brandes and Pich's estimator, as
      networkx's ``k`` argument);
    * ``closeness``: the inverse mean distance to the parties it can reach, scaled by the
      fraction it can reach (Wasserman and Faust), so a small isolated cluster does not look
      central. Exact for components of up to ``samples`` parties; in larger ones, the mean
      distance is estimated from ``samples`` seeded pivots (Eppstein and Wang);
    * ``eigenvector``: ties to well-tied parties, scaled so that the largest is 1. Only the
      best-connected component scores above zero, as the measure is defined;
    * ``pagerank``: on the directed projection, damping 0.85; values sum to 1.
    """
    compute = _MEASURES.get(measure)
    if compute is None:
        raise ValueError(f"unknown centrality measure {measure!r}; expected one of {', '.join(MEASURES)}")
    if samples < 1:
        raise ValueError(f"samples must be at least 1, not {samples}")
    projection = _project(graph)
    if not projection.names:
        return {}
    values = compute(projection, seed, samples)
    return dict(zip(projection.names, (float(value) for value in values)))


def _degree(projection: _Projection, seed: int, samples: int) -> list[float]:
    graph = projection.undirected
    others = max(graph.vcount() - 1, 1)
    return [degree / others for degree in graph.degree()]


def _betweenness(projection: _Projection, seed: int, samples: int) -> list[float]:
    graph = projection.undirected
    size = graph.vcount()
    if size < 3:
        return [0.0] * size
    if size <= samples:
        counts, scale = graph.betweenness(directed=False), 1.0
    else:
        sources = sorted(random.Random(seed).sample(range(size), samples))
        # Paths from the sampled sources to every party, scaled up to all sources.
        counts, scale = graph.betweenness(directed=False, sources=sources, targets=None), size / samples
    pairs = (size - 1) * (size - 2) / 2
    return [count * scale / pairs for count in counts]


def _closeness(projection: _Projection, seed: int, samples: int) -> list[float]:
    graph = projection.undirected
    size = graph.vcount()
    values = [0.0] * size
    if size < 2:
        return values
    rng = random.Random(seed)
    small: list[int] = []
    reach_of: dict[int, int] = {}
    for members in graph.connected_components():
        reach = len(members)
        if reach == 1:
            continue
        if reach <= samples:
            small.extend(members)
            reach_of.update((member, reach) for member in members)
            continue
        pivots = sorted(rng.sample(members, samples))
        # Summed row by row rather than as one pivots x parties array: converting igraph's
        # lists in one go costs more than the searches themselves, and 80 MB at 20,000 parties.
        # For the component that is most of the graph, asking for every target is igraph's
        # faster call; the unreachable ones are dropped after.
        whole = reach * 2 > size
        totals = np.zeros(size if whole else reach)
        for row in graph.distances(source=pivots, target=None if whole else members):
            totals += np.fromiter(row, dtype=float, count=len(totals))
        totals = (totals[members] if whole else totals) * (reach / samples)
        for member, total in zip(members, totals):
            if total > 0:
                values[member] = (reach - 1) / (size - 1) * (reach - 1) / total
    if small:
        # igraph averages over the parties a vertex reaches, which is its component.
        for member, value in zip(small, graph.closeness(vertices=small)):
            values[member] = value * (reach_of[member] - 1) / (size - 1)
    return values


def _eigenvector(projection: _Projection, seed: int, samples: int) -> list[float]:
    # The leading eigenvector of a disconnected graph lives on the component with the largest
    # leading eigenvalue; solving the whole graph at once leaves the choice to ARPACK when two
    # components tie, so find that component here and solve it alone.
    graph = projection.undirected
    values = [0.0] * graph.vcount()
    candidates = [members for members in graph.connected_components() if len(members) > 1]
    # A component's leading eigenvalue is at most its largest degree: try the likeliest first
    # and stop when no remaining component can beat the best found.
    degrees = graph.degree()
    candidates.sort(key=lambda members: (-max(degrees[m] for m in members), -len(members), members[0]))
    best_value, best_members, best_vector = -1.0, None, None
    for members in candidates:
        if max(degrees[m] for m in members) <= best_value + 1e-9:
            break
        # ARPACK starts from a random vector: seed it so the last digits repeat too.
        with warnings.catch_warnings(), _seeded_igraph(seed):
            # igraph warns when part of a long chain scores nearly zero; that is the answer.
            warnings.simplefilter("ignore", RuntimeWarning)
            vector, eigenvalue = graph.subgraph(members).eigenvector_centrality(return_eigenvalue=True)
        if eigenvalue > best_value + 1e-9:
            best_value, best_members, best_vector = eigenvalue, members, vector
    if best_members is not None:
        for member, value in zip(best_members, best_vector):
            values[member] = value
    return values


def _pagerank(projection: _Projection, seed: int, samples: int) -> list[float]:
    return projection.directed.pagerank(directed=True, damping=PAGERANK_DAMPING)


_MEASURES: dict[str, Callable[[_Projection, int, int], list[float]]] = {
    "degree": _degree,
    "betweenness": _betweenness,
    "closeness": _closeness,
    "eigenvector": _eigenvector,
    "pagerank": _pagerank,
}


# ---------------------------------------------------------------------------------- groups


def _groups(projection: _Projection, membership: Sequence[int]) -> list[list[str]]:
    grouped: dict[int, list[str]] = {}
    for vertex, group in enumerate(membership):
        grouped.setdefault(group, []).append(projection.names[vertex])
    # Names are sorted already (vertices are in id order); largest group first, then by first id.
    return sorted(grouped.values(), key=lambda members: (-len(members), members[0]))


def communities(graph: nx.Graph, *, resolution: float = 1.0, seed: int = 0) -> list[list[str]]:
    """Clusters of parties more tied to each other than to the rest (Louvain / igraph multilevel).

    Returns lists of node ids, largest first; each list sorted. A higher ``resolution`` gives
    more, smaller communities. The same graph and seed always give the same communities.
    """
    projection = _project(graph)
    if not projection.names:
        return []
    with _seeded_igraph(seed):
        clustering = projection.undirected.community_multilevel(resolution=resolution)
    return _groups(projection, clustering.membership)


def components(graph: nx.Graph) -> list[list[str]]:
    """Sets of parties linked to each other by any chain of links, largest first; each sorted."""
    projection = _project(graph)
    if not projection.names:
        return []
    return _groups(projection, projection.undirected.connected_components().membership)


def membership(groups: Sequence[Sequence[str]]) -> dict[str, int]:
    """``{node_id: group number}`` from :func:`communities` or :func:`components` (0 = largest)."""
    return {member: number for number, members in enumerate(groups) for member in members}


def store_measures(case: Case, results: Mapping[str, Mapping[str, float] | Sequence[Sequence[str]]]) -> None:
    """Save computed measures as entity metrics, so the chart can size and colour by them.

    ``results`` maps a metric name to ``{node_id: value}`` (a centrality) or to a list of groups
    (communities, components), stored as group numbers, 0 for the largest::

        store_measures(case, {"pagerank": centrality(graph, "pagerank"), "community": communities(graph)})

    Each metric replaces its earlier values (``case.metric(name)`` reads them back).
    """
    for name, values in results.items():
        if not isinstance(values, Mapping):
            values = membership(values)
        case.store_metric(name, values)
