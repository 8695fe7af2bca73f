"""Overview groups and their layout, on plain graphs (no Qt)."""

from __future__ import annotations

import networkx as nx
import numpy as np

from workbench.analysis import grouping


def _two_clusters_and_islands() -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph()
    for prefix in ("a", "b"):
        members = [f"{prefix}{k}" for k in range(30)]
        for i, u in enumerate(members):
            for v in members[i + 1: i + 4]:
                graph.add_edge(u, v)
    graph.add_edge("a0", "b0")  # one bridge
    for k in range(5):
        graph.add_edge(f"island{k}x", f"island{k}y")  # small separate networks
    return graph


def test_overview_finds_the_clusters_gathers_the_islands_and_keeps_standouts_out():
    graph = _two_clusters_and_islands()
    captions = {n: n.upper() for n in graph.nodes}
    groups = grouping.overview_groups(graph, {"a5"}, captions)
    members = {n for held in groups.values() for n in held}
    assert "a5" not in members, "a standout is never grouped"
    islands = [name for name, held in groups.items() if all(n.startswith("island") for n in held)]
    assert islands == ["5 small separate networks"]
    clusters = [set(held) for name, held in groups.items() if name not in islands]
    assert any(c <= {f"a{k}" for k in range(30)} for c in clusters)
    assert any(c <= {f"b{k}" for k in range(30)} for c in clusters)
    # Named by their most linked members, short enough for a chart label.
    assert all(len(name) <= 40 for name in groups)


def test_overview_keeps_to_the_most_groups_it_is_allowed():
    graph = nx.connected_caveman_graph(30, 6)
    groups = grouping.overview_groups(graph, set(), {n: str(n) for n in graph.nodes}, most=10)
    assert 1 <= len(groups) <= 10


def test_a_hub_s_leaves_open_as_a_fan_not_a_clump():
    graph = nx.star_graph(24)  # hub 0 and 24 leaves
    graph.add_edges_from([(0, 100), (100, 101), (101, 0)])
    placed = grouping.member_positions(graph, list(graph.nodes), (0.0, 0.0), spacing=50.0)
    hub = np.array(placed[0])
    leaves = np.array([placed[k] for k in range(1, 25)])
    distance = np.hypot(*(leaves - hub).T)
    assert np.allclose(distance, distance[0]), "leaves sit on one arc around the hub"
    gaps = np.hypot(*np.diff(leaves[np.argsort(np.arctan2(*(leaves - hub).T[::-1]))], axis=0).T)
    assert gaps.min() > 30.0, "neighbouring leaves do not touch"


def test_make_way_keeps_directions_and_clears_the_disc():
    points = np.array([[10.0, 0.0], [0.0, -5.0], [100.0, 100.0]])
    moved = grouping.make_way(points, (0.0, 0.0), 50.0)
    assert (np.hypot(*moved.T) >= 50.0).all()
    assert np.allclose(np.arctan2(moved[:, 1], moved[:, 0]), np.arctan2(points[:, 1], points[:, 0]))


def test_a_group_is_named_by_its_first_members_in_a_short_label_cut_at_a_word():
    captions = {"a": "Nalark Freight Services Ltd", "b": "Orion", "c": "Short Co", "d": "Hexa"}
    # As many members as fit, then the count of the rest.
    assert grouping.group_caption(["c", "d", "a"], captions) == "Short Co, Hexa +1"
    # A long first name is cut at a word, with no space or comma before the ellipsis.
    assert grouping.group_caption(["a", "b", "c"], captions) == "Nalark Freight… +2"
    assert all(len(grouping.group_caption([m], captions)) <= 16 for m in captions)
