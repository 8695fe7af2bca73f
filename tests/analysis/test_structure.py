"""Centrality, communities and components: known answers, networkx as the reference, determinism."""

import random

import networkx as nx
import numpy as np
import pytest

from workbench.analysis.graph import case_graph, undirected
from workbench.analysis.structure import (
    MEASURES,
    centrality,
    communities,
    components,
    membership,
    store_measures,
)
from workbench.demo import build_demo_case
from workbench.model import SourceInfo
from workbench.store import Case


def named(graph):
    """Nodes as zero-padded strings, as case ids are."""
    return nx.relabel_nodes(graph, {node: f"n{node:04d}" for node in graph})


def close(values, expected, tolerance=1e-9):
    return set(values) == set(expected) and all(abs(values[k] - expected[k]) < tolerance for k in expected)


def top(values, count):
    return set(sorted(values, key=lambda k: (-values[k], k))[:count])


def pagerank_by_power_iteration(graph, damping=0.85, rounds=200):
    """PageRank written out, as networkx's needs scipy: dangling nodes spread evenly."""
    nodes = sorted(graph)
    rank = dict.fromkeys(nodes, 1 / len(nodes))
    for _ in range(rounds):
        dangling = sum(rank[n] for n in nodes if graph.out_degree(n) == 0)
        rank = {
            n: (1 - damping) / len(nodes)
            + damping * (dangling / len(nodes) + sum(rank[m] / graph.out_degree(m) for m in graph.predecessors(n)))
            for n in nodes
        }
    return rank


@pytest.fixture
def karate_and_more():
    """The karate club, a separate chain of five and an isolated party: three components."""
    graph = nx.disjoint_union(nx.Graph(nx.karate_club_graph()), nx.path_graph(5))
    graph.add_node(39)
    return named(graph)


# ---------------------------------------------------------------------------------- centrality


def test_a_star_centre_is_central_by_every_measure():
    star = named(nx.star_graph(6))
    for measure in MEASURES:
        values = centrality(star, measure)
        assert max(values, key=values.get) == "n0000", measure
    assert centrality(star, "degree")["n0000"] == 1.0
    assert centrality(star, "betweenness")["n0000"] == pytest.approx(1.0)
    assert centrality(star, "closeness")["n0000"] == pytest.approx(1.0)
    assert centrality(star, "betweenness")["n0001"] == 0.0


@pytest.mark.parametrize("measure, reference", [
    ("degree", nx.degree_centrality),
    ("betweenness", nx.betweenness_centrality),
    ("closeness", nx.closeness_centrality),
])
def test_measures_match_networkx(karate_and_more, measure, reference):
    assert close(centrality(karate_and_more, measure), reference(karate_and_more))


def test_eigenvector_is_the_leading_eigenvector_of_the_best_connected_component(karate_and_more):
    values = centrality(karate_and_more, "eigenvector")
    karate = sorted(karate_and_more)[:34]
    _, vectors = np.linalg.eigh(nx.to_numpy_array(karate_and_more.subgraph(karate), nodelist=karate, weight=None))
    leading = np.abs(vectors[:, -1]) / np.abs(vectors[:, -1]).max()
    assert all(values[n] == pytest.approx(leading[i]) for i, n in enumerate(karate))
    assert max(values.values()) == pytest.approx(1.0)
    assert all(values[n] == 0.0 for n in sorted(karate_and_more)[34:])  # the chain and the isolated party


def test_pagerank_follows_link_direction():
    graph = nx.DiGraph([(0, 1), (1, 2), (2, 0), (2, 3), (3, 0), (3, 4), (5, 3)])
    values = centrality(named(graph), "pagerank")
    expected = pagerank_by_power_iteration(named(graph))
    assert close(values, expected, tolerance=1e-6)
    assert sum(values.values()) == pytest.approx(1.0)


def test_a_case_graph_is_projected_to_one_tie_per_pair(tmp_path):
    def pays(number, payer, beneficiary):
        return {"id": f"pay-{number}", "schema": "Payment",
                "properties": {"payer": [payer], "beneficiary": [beneficiary], "amount": ["100"]}}

    companies = [{"id": c, "schema": "Company", "properties": {"name": [c]}} for c in "abcd"]
    case = Case.create(tmp_path / "tiny.wbcase")
    case.ingest(companies + [pays(1, "a", "b"), pays(2, "a", "b"), pays(3, "b", "a"), pays(4, "b", "c"),
                             pays(5, "c", "c")], SourceInfo(file_name="x"))
    graph = case_graph(case)
    assert graph.number_of_edges() == 5
    simple = undirected(graph)
    simple.remove_edges_from(list(nx.selfloop_edges(simple)))
    assert close(centrality(graph, "degree"), nx.degree_centrality(simple))
    assert centrality(graph, "degree") == {"a": 1 / 3, "b": 2 / 3, "c": 1 / 3, "d": 0.0}
    assert close(centrality(graph, "betweenness"), nx.betweenness_centrality(simple))
    # PageRank keeps direction but not repetition: a pays b twice, b pays a and c; d is alone.
    directed = nx.DiGraph([("a", "b"), ("b", "a"), ("b", "c")])
    directed.add_node("d")
    assert close(centrality(graph, "pagerank"), pagerank_by_power_iteration(directed), tolerance=1e-6)
    case.close()


def test_large_graphs_are_sampled_deterministically():
    graph = named(nx.powerlaw_cluster_graph(1500, 2, 0.1, seed=1))
    for measure in ("betweenness", "closeness"):
        estimate = centrality(graph, measure, seed=3)
        assert estimate == centrality(graph, measure, seed=3)
        assert estimate != centrality(graph, measure, seed=4)
        exact = centrality(graph, measure, samples=graph.number_of_nodes())
        # The hubs come out on top, within 20 % of their exact values.
        assert top(exact, 10) <= top(estimate, 20), measure
        assert all(abs(estimate[n] - exact[n]) < 0.2 * exact[n] for n in top(exact, 10)), measure


def test_sampled_closeness_in_several_large_components_stays_close():
    graph = named(nx.disjoint_union(nx.powerlaw_cluster_graph(700, 2, 0.1, seed=1),
                                    nx.powerlaw_cluster_graph(400, 2, 0.1, seed=2)))
    estimate = centrality(graph, "closeness", samples=300)  # both components are sampled
    exact = nx.closeness_centrality(graph)
    assert all(abs(estimate[n] - exact[n]) < 0.05 * exact[n] for n in graph)


def test_exact_closeness_of_a_large_component_matches_networkx():
    graph = named(nx.powerlaw_cluster_graph(600, 2, 0.1, seed=2))
    assert close(centrality(graph, "closeness", samples=600), nx.closeness_centrality(graph))


def test_an_unknown_measure_is_refused():
    with pytest.raises(ValueError, match="unknown centrality measure 'fame'"):
        centrality(nx.path_graph(3), "fame")


def test_an_empty_graph_has_no_measures():
    empty = nx.MultiDiGraph()
    assert all(centrality(empty, measure) == {} for measure in MEASURES)
    assert communities(empty) == [] and components(empty) == []


def test_a_graph_that_changes_is_not_served_from_a_stale_projection():
    graph = named(nx.path_graph(3))
    assert centrality(graph, "degree")["n0000"] == 0.5
    graph.add_edge("n0000", "n0002")
    assert centrality(graph, "degree")["n0000"] == 1.0


# ---------------------------------------------------------------------------------- groups


def test_two_cliques_joined_by_one_link_are_two_communities():
    graph = nx.disjoint_union(nx.complete_graph(5), nx.complete_graph(6))
    graph.add_edge(0, 5)
    found = communities(named(graph))
    assert found == [[f"n{n:04d}" for n in range(5, 11)], [f"n{n:04d}" for n in range(5)]]


def test_planted_communities_are_found_whatever_the_insertion_order():
    planted = nx.planted_partition_graph(4, 25, 0.5, 0.02, seed=3)
    graph = named(planted)
    found = communities(graph)
    expected = sorted(([f"n{n:04d}" for n in sorted(block)] for block in planted.graph["partition"]),
                      key=lambda members: (-len(members), members[0]))
    assert found == expected

    nodes, edges = list(graph.nodes), list(graph.edges)
    random.Random(5).shuffle(nodes)
    random.Random(6).shuffle(edges)
    shuffled = nx.Graph()
    shuffled.add_nodes_from(nodes)
    shuffled.add_edges_from(edges)
    assert communities(shuffled) == found
    assert communities(graph, seed=0) == communities(graph, seed=0)


def test_seeding_leaves_the_global_random_state_alone():
    random.seed(42)
    expected = random.random()
    random.seed(42)
    communities(named(nx.karate_club_graph()), seed=7)
    assert random.random() == expected


def test_components_are_largest_first(karate_and_more):
    found = components(karate_and_more)
    assert [len(members) for members in found] == [34, 5, 1]
    assert found[2] == ["n0039"]
    assert membership(found)["n0039"] == 2


def test_store_measures_saves_metrics_for_the_chart(demo):
    graph = case_graph(demo)
    store_measures(demo, {"pagerank": centrality(graph, "pagerank"), "community": communities(graph)})
    pagerank = demo.metric("pagerank")
    assert set(pagerank) == set(graph.nodes) and sum(pagerank.values()) == pytest.approx(1.0)
    community = demo.metric("community")
    assert set(community.values()) == set(range(len(communities(graph))))
    assert community["demo-co-karadeniz-elektronik"] == community["demo-person-oleg-prytkin"]


# ---------------------------------------------------------------------------------- the demo case


def test_demo_the_dubai_front_is_the_hub(demo):
    graph = case_graph(demo)
    for measure in MEASURES:
        values = centrality(graph, measure)
        assert max(values, key=values.get) == "demo-co-atlas-crest-trading", measure
        assert values == centrality(graph, measure)
    assert top(centrality(graph, "betweenness"), 4) == {
        "demo-co-atlas-crest-trading", "demo-co-brightwave-components", "demo-co-tekhsnab-vostralin",
        "demo-co-karadeniz-elektronik",
    }


def test_demo_communities_follow_the_story(demo):
    graph = case_graph(demo)
    found = communities(graph)
    assert sorted(member for members in found for member in members) == sorted(graph.nodes)
    group = membership(found)
    # The listed institute and its director with their sanctions; the offshore holding chain.
    assert group["demo-org-vostralin-institute"] == group["demo-person-arkady-veltsin"] \
        == group["demo-sanction-vostralin-ofac"]
    assert group["demo-co-meridian-pacific-holdings"] == group["demo-co-northgate-ventures"] \
        == group["demo-co-orient-delta-holdings"]
    assert group["demo-co-rheinfeld-elektronik"] != group["demo-org-vostralin-institute"]

    rebuilt = build_demo_case(demo.path.with_name("again.wbcase"))
    assert communities(case_graph(rebuilt)) == found
    rebuilt.close()
    assert components(graph) == [sorted(graph.nodes)]
