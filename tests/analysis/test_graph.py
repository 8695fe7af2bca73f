import networkx as nx
import pytest

from workbench.analysis.graph import GraphFilter, case_graph
from workbench.model import SourceInfo, parse_grade
from workbench.store import Case


def pay(pid, payer, beneficiary, amount, date):
    return {"id": pid, "schema": "Payment",
            "properties": {"payer": [payer], "beneficiary": [beneficiary], "amount": [amount], "date": [date]}}


def company(cid, name):
    return {"id": cid, "schema": "Company", "properties": {"name": [name]}}


@pytest.fixture
def case(tmp_path):
    with Case.create(tmp_path / "g.wbcase") as created:
        created.ingest([company("a", "A"), company("b", "B"), company("c", "C"),
                        pay("p1", "a", "b", "100", "2024-01-05"), pay("p2", "b", "c", "90", "2024-02-01")],
                       SourceInfo(file_name="bank.csv", grade=parse_grade("B2")))
        created.ingest([pay("p3", "c", "a", "5", "2024-03-01")], SourceInfo(file_name="tip.txt", grade=parse_grade("E5")))
        yield created


def test_parties_are_nodes_and_relationships_are_edges(case):
    graph = case_graph(case)
    assert set(graph.nodes) == {"a", "b", "c"}
    assert {(u, v, d["via"]) for u, v, d in graph.edges(data=True)} == {("a", "b", "p1"), ("b", "c", "p2"), ("c", "a", "p3")}
    data = graph.get_edge_data("a", "b")
    (attrs,) = data.values()
    assert attrs["amount"] == 100.0 and attrs["start"] == "2024-01-05" and attrs["grade"] == "B2"


def test_graph_is_frozen_and_cached_until_the_case_changes(case):
    graph = case_graph(case)
    assert nx.is_frozen(graph)
    assert case_graph(case) is graph
    case.ingest([company("d", "D")], SourceInfo(file_name="more.csv"))
    assert "d" in case_graph(case)


def test_filters_by_time_and_grade(case):
    january = case_graph(case, GraphFilter(start="2024-01-01", end="2024-01-31"))
    assert {d["via"] for _, _, d in january.edges(data=True)} == {"p1"}
    strong = case_graph(case, GraphFilter(min_grade="C3"))
    assert {d["via"] for _, _, d in strong.edges(data=True)} == {"p1", "p2"}


def test_hidden_items_can_be_left_out(case):
    case.set_chart_items({"c": {"hidden": 1}})
    assert "c" not in case_graph(case, GraphFilter(include_hidden=False))
    assert case_graph(case).nodes["c"]["hidden"]


def test_demo_case_graph(demo_case):
    graph = case_graph(demo_case)
    schemata = {d["schema"] for _, _, d in graph.edges(data=True)}
    assert {"Payment", "Shipment", "Ownership", "Directorship"} <= schemata
    assert all(d["schema"] is not None for _, d in graph.nodes(data=True))
    # A shipment's forwarder is linked from the exporter, through the shipment.
    forwarded = [(u, v) for u, v, d in graph.edges(data=True) if d["prop"] == "forwarder"]
    assert forwarded and all(graph.nodes[u]["schema"] for u, _ in forwarded)


def test_an_ongoing_stake_stays_in_later_windows(tmp_path):
    with Case.create(tmp_path / "o.wbcase") as case:
        case.ingest([company("a", "A"), company("b", "B"),
                     {"id": "own", "schema": "Ownership", "properties": {
                         "owner": ["a"], "asset": ["b"], "percentage": ["60"], "startDate": ["2019-01-01"]}},
                     pay("p-old", "a", "b", "5", "2019-02-01")],
                    SourceInfo(file_name="registry.csv"))
        later = case_graph(case, GraphFilter(start="2024-01-01", end="2024-12-31"))
        assert {d["via"] for _, _, d in later.edges(data=True)} == {"own"}


def test_topics_are_node_attributes_and_a_filter(demo_case):
    graph = case_graph(demo_case)
    assert "sanction" in graph.nodes["demo-org-vostralin-institute"]["topics"]
    listed = case_graph(demo_case, GraphFilter(topics=frozenset({"sanction"})))
    assert "demo-org-vostralin-institute" in listed and "demo-co-gulfstar-logistics" not in listed
    plan = " ".join(row[3] for row in demo_case.conn.execute(
        "EXPLAIN QUERY PLAN SELECT value FROM statements WHERE prop = 'topics' AND value = 'sanction'"))
    assert "idx_statements_topics" in plan
