import pytest

from workbench.analysis.flows import flatten, pair_totals, totals, trace_funds
from workbench.analysis.graph import case_graph
from workbench.analysis.paths import (
    connecting_network,
    ego_network,
    links_along,
    shortest_path,
    simple_paths,
    time_ordered_path,
    time_ordered_paths,
)
from workbench.model import SourceInfo
from workbench.store import Case


def pay(pid, payer, beneficiary, amount, date, currency="USD"):
    return {"id": pid, "schema": "Payment", "properties": {
        "payer": [payer], "beneficiary": [beneficiary], "amount": [str(amount)], "date": [date], "currency": [currency]}}


def company(cid):
    return {"id": cid, "schema": "Company", "properties": {"name": [cid.upper()]}}


@pytest.fixture
def graph(tmp_path):
    """a pays b, b pays c; but b->c happened *before* a->b, so money from a cannot have
    reached c that way. A later route a->d->c respects time."""
    with Case.create(tmp_path / "p.wbcase") as case:
        case.ingest(
            [company(x) for x in "abcde"]
            + [
                pay("ab", "a", "b", 1000, "2024-03-01"),
                pay("bc", "b", "c", 900, "2024-02-01"),
                pay("ad", "a", "d", 500, "2024-03-02"),
                pay("dc", "d", "c", 450, "2024-03-05"),
                pay("dc2", "d", "c", 400, "2024-03-06"),
                pay("ce", "c", "e", 300, "2024-03-07", currency="EUR"),
            ],
            SourceInfo(file_name="bank.csv"),
        )
        yield case_graph(case)


def test_shortest_and_simple_paths(graph):
    assert shortest_path(graph, "a", "c") in (["a", "b", "c"], ["a", "d", "c"])
    assert simple_paths(graph, "a", "c", max_length=2) == [["a", "b", "c"], ["a", "d", "c"]]
    assert {s.via for s in links_along(graph, ["a", "d", "c"])} == {"ad", "dc", "dc2"}
    assert shortest_path(graph, "e", "a", directed=True) is None
    with pytest.raises(KeyError, match="not in the chart"):
        shortest_path(graph, "a", "zz")


def test_time_ordered_path_skips_links_that_happened_too_early(graph):
    steps = time_ordered_path(graph, "a", "c")
    assert [s.via for s in steps] == ["ad", "dc"]  # not a->b->c: b paid c before a paid b
    assert [s.date for s in steps] == ["2024-03-02", "2024-03-05"]
    assert time_ordered_path(graph, "a", "c", max_gap_days=1) is None  # d waited 3 days
    all_paths = time_ordered_paths(graph, "a", "c")
    assert [[s.via for s in p] for p in all_paths] == [["ad", "dc"], ["ad", "dc2"]]


def test_ego_and_connecting_networks(graph):
    assert set(ego_network(graph, "b", depth=1)) == {"a", "b", "c"}
    assert set(connecting_network(graph, ["b", "d"])) >= {"b", "d"}
    assert len(connecting_network(graph, ["b", "d"])) == 3


def test_totals_per_currency(graph):
    money = totals(graph, "c")
    assert money["USD"] == {"in": 1750.0, "out": 0.0, "count_in": 3, "count_out": 0, "net": 1750.0}
    assert money["EUR"]["out"] == 300.0
    assert totals(graph, "c", start="2024-03-01")["USD"]["in"] == 850.0
    top = pair_totals(graph)[0]
    assert (top["payer"], top["beneficiary"], top["total"], top["count"]) == ("a", "b", 1000.0, 1)
    assert next(p for p in pair_totals(graph) if p["payer"] == "d")["total"] == 850.0


def test_trace_forward_carries_what_arrived_first_in_first_out(graph):
    trace = trace_funds(graph, "a", direction="forward")
    by_via = {step.via: step for step in flatten(trace)}
    assert "bc" not in by_via  # happened before the money arrived at b
    assert by_via["ad"].carried == 500
    # d received 500 and paid out 450 then 400: only 50 of the second can be a's money.
    assert by_via["dc"].carried == 450 and by_via["dc2"].carried == 50
    # The EUR payment is not mixed into a USD trace.
    assert "ce" not in by_via


def test_trace_backward(graph):
    trace = trace_funds(graph, "c", direction="backward", start="2024-03-06")
    vias = [step.via for step in flatten(trace)]
    assert vias[:2] == ["dc2", "ad"] and "bc" in vias


def test_demo_case_time_ordered_route_to_the_sanctioned_institute(demo_case):
    graph = case_graph(demo_case)
    steps = time_ordered_path(graph, "demo-co-rheinfeld-elektronik", "demo-co-tekhsnab-vostralin",
                              link_schemata=frozenset({"Shipment"}))
    assert steps is not None
    assert [s.source for s in steps][0] == "demo-co-rheinfeld-elektronik"
    assert all(a.date <= b.date for a, b in zip(steps, steps[1:]))
