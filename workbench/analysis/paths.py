"""Paths through the case graph: shortest, all simple, time-ordered; ego and connecting networks.

A time-ordered path is i2's "find path with advancing dates": each step happens on or after
the one before, which is how money or goods can actually have moved.
"""

from __future__ import annotations

import heapq
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from itertools import combinations
from typing import Any

import networkx as nx

from workbench.analysis.graph import undirected


@dataclass(frozen=True)
class Step:
    """One link of a path: who to whom, through which relationship, when and how much."""

    source: str
    target: str
    via: str
    schema: str
    date: str | None
    amount: float | None = None
    currency: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _step(u: str, v: str, data: dict[str, Any]) -> Step:
    return Step(u, v, data["via"], data["schema"], data.get("start"), data.get("amount"), data.get("currency"))


def _check(graph: nx.MultiDiGraph, *nodes: str) -> None:
    for node in nodes:
        if node not in graph:
            raise KeyError(f"{node!r} is not in the chart (filtered out, hidden or unknown)")


def shortest_path(graph: nx.MultiDiGraph, source: str, target: str, *, directed: bool = False) -> list[str] | None:
    """The fewest-links path from ``source`` to ``target`` as node ids, or ``None``."""
    _check(graph, source, target)
    view = graph if directed else undirected(graph)
    try:
        return nx.shortest_path(view, source, target)
    except nx.NetworkXNoPath:
        return None


def simple_paths(
    graph: nx.MultiDiGraph, source: str, target: str, *, max_length: int = 4, limit: int = 100, directed: bool = False
) -> list[list[str]]:
    """Paths without repeated nodes of at most ``max_length`` links, shortest first."""
    _check(graph, source, target)
    view = graph if directed else undirected(graph)
    found = []
    for path in nx.all_simple_paths(view, source, target, cutoff=max_length):
        found.append(path)
        if len(found) >= limit * 4:
            break
    found.sort(key=lambda path: (len(path), path))
    return found[:limit]


def links_along(graph: nx.MultiDiGraph, path: list[str]) -> list[Step]:
    """The links between consecutive nodes of a path (either direction), for highlighting."""
    steps = []
    for u, v in zip(path, path[1:]):
        for a, b in ((u, v), (v, u)):
            if graph.has_edge(a, b):
                for data in graph[a][b].values():
                    steps.append(_step(a, b, data))
    return steps


def _timed_out_edges(graph: nx.MultiDiGraph, link_schemata: frozenset[str] | None):
    """Per node, its dated outgoing links sorted by date; cached on the (frozen) graph."""
    cache = graph.graph.setdefault("_timed_out_edges", {})
    cached = cache.get(link_schemata)
    if cached is not None:
        return cached
    timed: dict[str, list[tuple[str, str, dict]]] = {}
    for u, v, data in graph.edges(data=True):
        if data.get("start") is None or data.get("prop") is not None:
            continue
        if link_schemata is not None and data["schema"] not in link_schemata:
            continue
        timed.setdefault(u, []).append((data["start"], v, data))
    for links in timed.values():
        links.sort(key=lambda item: item[0])
    cache[link_schemata] = timed
    return timed


def _plus_days(iso: str, days: int) -> str:
    return (date.fromisoformat(iso[:10]) + timedelta(days=days)).isoformat()


def time_ordered_path(
    graph: nx.MultiDiGraph,
    source: str,
    target: str,
    *,
    start: str | None = None,
    max_gap_days: int | None = None,
    link_schemata: frozenset[str] | None = None,
) -> list[Step] | None:
    """The earliest-arriving path whose steps advance in time (each on or after the last).

    A Dijkstra search on arrival dates: it visits each node once at its earliest possible
    arrival, so it answers in about the time of one pass over the reachable links.
    ``max_gap_days`` bounds the wait between two steps (money parked for a year is a weaker link).
    """
    _check(graph, source, target)
    timed = _timed_out_edges(graph, link_schemata)
    best: dict[str, str] = {source: start or ""}
    came_from: dict[str, tuple[str, dict]] = {}
    queue: list[tuple[str, str]] = [(start or "", source)]
    while queue:
        arrived, node = heapq.heappop(queue)
        if node == target:
            break
        if best.get(node, "\uffff") < arrived:
            continue
        deadline = _plus_days(arrived, max_gap_days) + "\uffff" if max_gap_days is not None and arrived else None
        for when, nxt, data in timed.get(node, ()):
            if when < arrived:
                continue
            if deadline is not None and when > deadline:
                break
            if when < best.get(nxt, "\uffff"):
                best[nxt] = when
                came_from[nxt] = (node, data)
                heapq.heappush(queue, (when, nxt))
    if target not in came_from:
        return None
    steps = []
    node = target
    while node != source:
        previous, data = came_from[node]
        steps.append(_step(previous, node, data))
        node = previous
    steps.reverse()
    return steps


def time_ordered_paths(
    graph: nx.MultiDiGraph,
    source: str,
    target: str,
    *,
    max_length: int = 5,
    limit: int = 50,
    start: str | None = None,
    max_gap_days: int | None = None,
    link_schemata: frozenset[str] | None = None,
) -> list[list[Step]]:
    """All time-advancing paths of at most ``max_length`` steps (up to ``limit``), earliest first."""
    _check(graph, source, target)
    timed = _timed_out_edges(graph, link_schemata)
    found: list[list[Step]] = []

    def walk(node: str, arrived: str, path: list[Step], visited: set[str]) -> None:
        if len(found) >= limit:
            return
        if node == target and path:
            found.append(list(path))
            return
        if len(path) >= max_length:
            return
        deadline = _plus_days(arrived, max_gap_days) + "\uffff" if max_gap_days is not None and arrived else None
        for when, nxt, data in timed.get(node, ()):
            if when < arrived or nxt in visited:
                continue
            if deadline is not None and when > deadline:
                break
            path.append(_step(node, nxt, data))
            visited.add(nxt)
            walk(nxt, when, path, visited)
            visited.discard(nxt)
            path.pop()

    walk(source, start or "", [], {source})
    found.sort(key=lambda steps: (steps[-1].date or "", len(steps)))
    return found


def ego_network(graph: nx.MultiDiGraph, center: str, depth: int = 1) -> nx.MultiDiGraph:
    """The entities within ``depth`` links of ``center`` (either direction) and their links."""
    _check(graph, center)
    nodes = nx.single_source_shortest_path_length(undirected(graph), center, cutoff=depth)
    return graph.subgraph(nodes)


def connecting_network(graph: nx.MultiDiGraph, nodes: list[str], *, max_length: int = 6) -> nx.MultiDiGraph:
    """The smallest-looking network joining ``nodes``: the union of shortest paths between pairs.

    An approximation of the Steiner tree that i2 calls "connecting network"; pairs further
    apart than ``max_length`` links are left unconnected.
    """
    _check(graph, *nodes)
    view = undirected(graph)
    keep = set(nodes)
    for a, b in combinations(nodes, 2):
        try:
            path = nx.shortest_path(view, a, b)
        except nx.NetworkXNoPath:
            continue
        if len(path) - 1 <= max_length:
            keep.update(path)
    return graph.subgraph(keep)
