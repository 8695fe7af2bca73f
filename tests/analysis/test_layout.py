"""Layouts: positions as plain data, stable, incremental, and shaped as the chart needs."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

from workbench.analysis.graph import case_graph
from workbench.analysis.layout import (
    EDGE_LENGTH,
    EXACT_REPULSION_LIMIT,
    LAYOUTS,
    LayoutCancelled,
    by_type,
    circular,
    force_directed,
    grouped,
    hierarchical,
    lay_out,
)


def mean_link(graph, positions) -> float:
    return float(np.mean([math.dist(positions[u], positions[v]) for u, v in graph.edges()]))


def clustered_graph(clusters: int = 4, size: int = 8, seed: int = 1) -> nx.Graph:
    """Dense clusters joined in a ring by one link each."""
    graph = nx.Graph()
    for c in range(clusters):
        block = nx.gnm_random_graph(size, size * 2, seed=seed + c)
        graph.add_edges_from((f"c{c}-{u}", f"c{c}-{v}") for u, v in block.edges())
        graph.add_nodes_from(f"c{c}-{n}" for n in range(size))
        graph.add_edge(f"c{c}-0", f"c{(c + 1) % clusters}-1")
    return graph


# ----------------------------------------------------------------------------- force-directed


@pytest.fixture(scope="module")
def demo_graph(tmp_path_factory):
    from workbench.demo import build_demo_case

    case = build_demo_case(tmp_path_factory.mktemp("layout") / "demo.wbcase")
    graph = case_graph(case)
    yield graph
    case.close()


def test_force_directed_places_every_demo_node_centred_with_links_of_chart_length(demo_graph):
    positions = force_directed(demo_graph)
    assert set(positions) == set(demo_graph.nodes)
    assert all(isinstance(x, float) and isinstance(y, float) for x, y in positions.values())
    xy = np.array(list(positions.values()))
    assert np.abs(xy.mean(axis=0)).max() < 1e-6
    assert mean_link(nx.Graph(demo_graph), positions) == pytest.approx(EDGE_LENGTH, rel=0.2)
    # Nobody sits on top of anybody else.
    nearest = min(math.dist(a, b) for i, a in enumerate(xy) for b in xy[i + 1:])
    assert nearest > EDGE_LENGTH / 10


def test_same_seed_same_positions_other_seed_other_positions():
    graph = clustered_graph()
    first = force_directed(graph, seed=3)
    assert force_directed(graph, seed=3) == first
    assert force_directed(graph, seed=4) != first


def test_result_does_not_depend_on_the_order_the_graph_was_built_in():
    graph = clustered_graph()
    shuffled = nx.Graph()
    shuffled.add_nodes_from(reversed(list(graph.nodes)))
    shuffled.add_edges_from(reversed(list(graph.edges)))
    assert force_directed(shuffled, seed=1) == force_directed(graph, seed=1)


def test_pinned_nodes_stay_exactly_where_they_were_put():
    graph = clustered_graph()
    pinned = {"c0-0": (1234.5678, -98.7654321), "c2-3": (-0.1, 0.3), "c3-1": (1e6 / 7, 2e6 / 3)}
    positions = force_directed(graph, pinned=pinned, seed=2)
    for node, xy in pinned.items():
        assert positions[node] == xy
    # Pins win over initial positions for the same node.
    initial = {node: (0.0, 0.0) for node in pinned}
    assert force_directed(graph, pinned=pinned, initial=initial)["c0-0"] == pinned["c0-0"]


def test_free_nodes_are_laid_out_around_pinned_ones():
    graph = nx.path_graph(["a", "b", "c"])
    positions = force_directed(graph, pinned={"a": (0.0, 0.0), "c": (400.0, 0.0)})
    # b sits between its two pinned neighbours, not somewhere off chart.
    assert 0 < positions["b"][0] < 400
    assert abs(positions["b"][1]) < 200


def test_rerun_from_its_own_result_moves_little():
    graph = clustered_graph()
    settled = force_directed(graph, seed=5)
    again = force_directed(graph, initial=settled, iterations=10, seed=9)
    moves = [math.dist(settled[n], again[n]) for n in graph]
    # A fifth of a link at most for most nodes, where a fresh layout moves them by several links.
    assert np.median(moves) < EDGE_LENGTH / 5
    assert max(moves) < EDGE_LENGTH / 2
    fresh = force_directed(graph, seed=9)
    assert np.median([math.dist(settled[n], fresh[n]) for n in graph]) > 2 * EDGE_LENGTH


def test_initial_positions_shape_the_result():
    graph = nx.path_graph(5)
    # A line along y: a fresh layout would not know which way to lay it.
    initial = {n: (0.0, 150.0 * n) for n in graph}
    positions = force_directed(graph, initial=initial, iterations=30)
    xs, ys = zip(*(positions[n] for n in graph))
    assert np.ptp(ys) > 3 * np.ptp(xs)
    assert list(ys) == sorted(ys)


def test_new_node_starts_next_to_its_placed_neighbours():
    graph = clustered_graph()
    settled = force_directed(graph)
    graph.add_edge("new", "c1-2")
    positions = force_directed(graph, initial=settled, iterations=20)
    assert math.dist(positions["new"], positions["c1-2"]) < 3 * EDGE_LENGTH


def test_progress_increases_to_one_and_cancel_raises():
    graph = clustered_graph()
    fractions = []
    force_directed(graph, iterations=95, progress=fractions.append)
    assert len(fractions) > 5
    assert fractions == sorted(set(fractions))
    assert fractions[-1] == 1.0

    asked = []

    def cancel_on_third_question():
        asked.append(True)
        return len(asked) >= 3

    seen = []
    with pytest.raises(LayoutCancelled):
        force_directed(graph, progress=seen.append, cancelled=cancel_on_third_question)
    # Asked once before starting and once before each chunk: one chunk ran.
    assert len(seen) == 1


def test_empty_and_single_node_graphs():
    fractions = []
    assert force_directed(nx.Graph(), progress=fractions.append) == {}
    assert fractions == [1.0]
    single = nx.Graph()
    single.add_node("only")
    assert force_directed(single) == {"only": (0.0, 0.0)}
    assert force_directed(single, pinned={"only": (5.0, 7.0)}) == {"only": (5.0, 7.0)}
    for layout in (hierarchical, circular, by_type):
        assert layout(nx.Graph()) == {}
        assert layout(single) == {"only": (0.0, 0.0)}


def test_parallel_links_self_links_and_isolated_nodes():
    graph = nx.MultiDiGraph()
    graph.add_edge("a", "b", schema="Payment")
    graph.add_edge("a", "b", schema="Payment")
    graph.add_edge("b", "a", schema="Payment")
    graph.add_edge("b", "b", schema="Payment")
    graph.add_nodes_from(["lone1", "lone2"])
    positions = force_directed(graph)
    assert set(positions) == {"a", "b", "lone1", "lone2"}
    assert math.dist(positions["a"], positions["b"]) == pytest.approx(EDGE_LENGTH)
    assert all(math.dist(p, (0, 0)) < 10 * EDGE_LENGTH for p in positions.values())


def test_large_graph_uses_grid_repulsion_and_keeps_clusters_apart():
    clusters, size = 12, 60
    assert clusters * size > EXACT_REPULSION_LIMIT
    graph = clustered_graph(clusters=clusters, size=size)
    positions = force_directed(graph, seed=1)
    xy = {c: np.array([positions[f"c{c}-{n}"] for n in range(size)]) for c in range(clusters)}
    spread_within = np.mean([np.linalg.norm(points - points.mean(axis=0), axis=1).mean() for points in xy.values()])
    centres = np.array([points.mean(axis=0) for points in xy.values()])
    gaps = [np.linalg.norm(centres[i] - centres[j]) for i in range(clusters) for j in range(i + 1, clusters)]
    assert min(gaps) > spread_within


def test_a_node_pinned_far_away_does_not_squash_the_rest():
    graph = clustered_graph(clusters=10, size=60)
    assert graph.number_of_nodes() > EXACT_REPULSION_LIMIT
    settled = force_directed(graph, seed=1)
    far = {"c0-0": (1e6, -1e6)}
    positions = force_directed(graph, initial=settled, pinned=far, seed=1)
    assert positions["c0-0"] == far["c0-0"]

    def median_spacing(layout):
        xy = np.array([layout[n] for n in graph if n not in far])
        distance = np.linalg.norm(xy[:, None] - xy[None], axis=2)
        np.fill_diagonal(distance, np.inf)
        return np.median(distance.min(axis=1))

    assert median_spacing(positions) == pytest.approx(median_spacing(settled), rel=0.5)


# ------------------------------------------------------------------------------- hierarchical


def ownership_graph(*links, kind="Ownership") -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph()
    for owner, asset in links:
        graph.add_edge(owner, asset, schema=kind, prop=None)
    return graph


def test_hierarchical_puts_owners_above_assets_with_y_growing_downwards():
    positions = hierarchical(ownership_graph(("A", "B"), ("B", "C")))
    assert positions["A"][1] < positions["B"][1] < positions["C"][1]
    assert positions["B"][1] - positions["A"][1] == pytest.approx(positions["C"][1] - positions["B"][1])


def test_hierarchical_ignores_other_links_and_shelves_unowned_nodes_below():
    graph = ownership_graph(("A", "B"), ("B", "C"))
    graph.add_edge("C", "A", schema="Payment", prop=None)  # money flowing back is not ownership
    graph.add_edge("X", "Y", schema="Payment", prop=None)
    positions = hierarchical(graph)
    assert positions["A"][1] < positions["B"][1] < positions["C"][1]
    assert min(positions["X"][1], positions["Y"][1]) > positions["C"][1]


def test_hierarchical_survives_ownership_cycles():
    # A owns B owns C owns A (a circular holding), and C owns D.
    positions = hierarchical(ownership_graph(("A", "B"), ("B", "C"), ("C", "A"), ("C", "D")))
    assert positions["A"][1] == positions["B"][1] == positions["C"][1]
    assert positions["D"][1] > positions["C"][1]
    assert len(set(positions.values())) == 4


def test_hierarchical_roots_and_link_kinds():
    graph = ownership_graph(("A", "B"), ("B", "C"), ("Z", "C"))
    graph.add_edge("P", "B", schema="Directorship", prop=None)
    positions = hierarchical(graph, roots=["B"])
    assert positions["B"][1] < positions["C"][1]
    # Only B's tree is the tree; A, Z and P are shelved below it.
    assert all(positions[n][1] > positions["C"][1] for n in ("A", "Z", "P"))
    both = hierarchical(graph, link_schemata=("Ownership", "Directorship"))
    assert both["P"][1] < both["B"][1]


def test_hierarchical_owner_of_only_a_deep_company_sits_just_above_it():
    positions = hierarchical(ownership_graph(("A", "B"), ("B", "C"), ("Z", "C")))
    assert positions["Z"][1] == positions["B"][1]


def test_hierarchical_on_demo_case(demo_graph):
    positions = hierarchical(demo_graph)
    assert set(positions) == set(demo_graph.nodes)
    for owner, asset, data in demo_graph.edges(data=True):
        if data["schema"] == "Ownership":
            assert positions[owner][1] <= positions[asset][1]
    assert len(set(positions.values())) == len(positions)


# ----------------------------------------------------------------------------- circle, groups


def test_circular_is_an_even_circle_of_chart_spacing():
    graph = nx.cycle_graph(12)
    positions = circular(graph)
    radii = [math.hypot(x, y) for x, y in positions.values()]
    assert max(radii) == pytest.approx(min(radii))
    # A ring laid out on a circle: every link joins neighbours, EDGE_LENGTH apart.
    assert all(math.dist(positions[u], positions[v]) == pytest.approx(EDGE_LENGTH) for u, v in graph.edges())


def test_circular_on_demo_case(demo_graph):
    positions = circular(demo_graph)
    assert set(positions) == set(demo_graph.nodes)
    assert np.abs(np.array(list(positions.values())).mean(axis=0)).max() < 1e-6


def bounding_boxes(positions, groups):
    boxes = {}
    for node, (x, y) in positions.items():
        group = groups.get(node)
        low_x, low_y, high_x, high_y = boxes.get(group, (x, y, x, y))
        boxes[group] = (min(low_x, x), min(low_y, y), max(high_x, x), max(high_y, y))
    return boxes


def assert_apart(boxes):
    items = list(boxes.items())
    for i, (name, (ax0, ay0, ax1, ay1)) in enumerate(items):
        for other, (bx0, by0, bx1, by1) in items[i + 1:]:
            overlapping = ax0 <= bx1 and bx0 <= ax1 and ay0 <= by1 and by0 <= ay1
            assert not overlapping, f"groups {name} and {other} overlap"


def test_grouped_keeps_groups_apart():
    graph = clustered_graph(clusters=5, size=7)
    graph.add_nodes_from(["loner1", "loner2"])
    groups = {node: node.split("-")[0] for node in graph if node.startswith("c")}
    positions = grouped(graph, groups)
    assert set(positions) == set(graph.nodes)
    assert_apart(bounding_boxes(positions, groups))


def test_by_type_on_demo_case(demo_graph):
    positions = by_type(demo_graph)
    assert set(positions) == set(demo_graph.nodes)
    types = {node: data["schema"] for node, data in demo_graph.nodes(data=True)}
    assert len(set(types.values())) > 3
    assert_apart(bounding_boxes(positions, types))
    assert by_type(demo_graph) == positions


def test_one_table_of_layouts_serves_the_command_line_and_the_app(demo_graph):
    from workbench.cli.analysis import layout as layout_command
    from workbench.ui.chart_menus import LAYOUTS as MENU

    kinds = next(p for p in layout_command.params if p.name == "kind").type.choices
    assert list(kinds) == [kind for kind in LAYOUTS if kind != "group"]
    assert [kind for _label, kind in MENU] == list(LAYOUTS)
    groups = {node: data["schema"] for node, data in demo_graph.nodes(data=True)}
    for kind in LAYOUTS:
        positions = lay_out(demo_graph, kind, groups=groups)
        assert set(positions) == set(demo_graph.nodes), kind
    assert lay_out(demo_graph, "circular") == circular(demo_graph)
    assert lay_out(demo_graph, "group", groups=groups) == grouped(demo_graph, groups)
    with pytest.raises(ValueError, match="'spiral': no such layout; expected one of force, hierarchical"):
        lay_out(demo_graph, "spiral")
