"""Effective ownership, the OFAC 50 percent rule and ultimate owners, on cases with known answers."""

import pytest

from workbench.analysis.graph import GraphFilter, case_graph
from workbench.analysis.ownership import effective_ownership, listed_share, parse_percentage, ultimate_owners
from workbench.model import SourceInfo
from workbench.store import Case


def company(entity_id, **properties):
    return {"id": entity_id, "schema": "Company", "properties": {"name": [entity_id], **properties}}


def person(entity_id, **properties):
    return {"id": entity_id, "schema": "Person", "properties": {"name": [entity_id], **properties}}


def owns(owner, asset, percentage=None, **properties):
    if percentage is not None:
        properties["percentage"] = [str(percentage)]
    return {
        "id": f"own-{owner}-{asset}-{percentage}",
        "schema": "Ownership",
        "properties": {"owner": [owner], "asset": [asset], **properties},
    }


def make_case(tmp_path, entities):
    case = Case.create(tmp_path / "ownership.wbcase")
    case.ingest(entities, SourceInfo(file_name="x"))
    return case


def parties(*ids):
    return [person(i) if i.startswith("p") else company(i) for i in ids]


# ---------------------------------------------------------------------------------- effective shares


def test_a_two_level_chain_multiplies(tmp_path):
    case = make_case(tmp_path, parties("p1", "a", "b") + [owns("p1", "a", 60), owns("a", "b", 50)])
    shares = effective_ownership(case)
    assert shares[("p1", "a")] == pytest.approx(0.6)
    assert shares[("a", "b")] == pytest.approx(0.5)
    assert shares[("p1", "b")] == pytest.approx(0.3)
    assert shares.stated_only == {}
    assert ("b", "p1") not in shares


def test_distinct_paths_add_up(tmp_path):
    case = make_case(
        tmp_path,
        parties("p1", "a", "b", "c")
        + [owns("p1", "a", 50), owns("p1", "b", 50), owns("a", "c", 40), owns("b", "c", 20), owns("p1", "c", 10)],
    )
    # 50% x 40% + 50% x 20% + 10% direct
    assert effective_ownership(case)[("p1", "c")] == pytest.approx(0.4)


def test_circular_ownership_converges_to_the_outside_owner(tmp_path):
    # Meridian in the demo: p1 holds 60 %, the other 40 % is held by m's own subsidiary o.
    case = make_case(
        tmp_path,
        parties("p1", "m", "n", "o", "x")
        + [owns("p1", "m", 60), owns("m", "n", 100), owns("n", "o", 100), owns("o", "m", 40), owns("n", "x", 100)],
    )
    shares = effective_ownership(case)
    assert shares[("p1", "m")] == pytest.approx(1.0)
    assert shares[("p1", "x")] == pytest.approx(1.0)
    assert shares[("m", "n")] == pytest.approx(1.0)  # not the 167 % that counting every loop gives
    assert shares[("o", "m")] == pytest.approx(0.4)
    assert shares.self_held["m"] == pytest.approx(0.4)
    assert all(0 < share <= 1 for share in shares.values())


def test_cross_holdings_split_between_outside_owners(tmp_path):
    case = make_case(
        tmp_path,
        parties("p1", "p2", "a", "b")
        + [owns("a", "b", 50), owns("b", "a", 50), owns("p1", "a", 50), owns("p2", "b", 50)],
    )
    shares = effective_ownership(case)
    # From a: half to p1 directly, half to b, which passes half back to a: h = 1/2 + h/4.
    assert shares[("p1", "a")] == pytest.approx(2 / 3)
    assert shares[("p2", "a")] == pytest.approx(1 / 3)
    assert shares[("p1", "b")] == pytest.approx(1 / 3)
    assert shares[("p1", "a")] + shares[("p2", "a")] == pytest.approx(1.0)


def test_a_group_owning_itself_entirely_does_not_loop(tmp_path):
    # Two links without percentages around a loop: a singular matrix if solved naively.
    case = make_case(
        tmp_path,
        parties("a", "b", "c", "d") + [owns("a", "b"), owns("b", "a"), owns("a", "c", 50), owns("d", "c", 50)],
    )
    shares = effective_ownership(case)
    assert shares.circular == {"a", "b"}
    assert shares[("a", "c")] == pytest.approx(0.5)
    assert shares[("b", "c")] == pytest.approx(0.5)
    assert shares[("a", "b")] == pytest.approx(1.0)
    assert shares.stated_only[("b", "c")] == 0.0  # b reaches c only through a link with no percentage
    assert ("a", "c") not in shares.stated_only

    owners = ultimate_owners(case, "c")
    assert [(o["id"], o["share"], o["circular"]) for o in owners] == [
        ("a", pytest.approx(0.5), True), ("b", pytest.approx(0.5), True), ("d", pytest.approx(0.5), False)
    ]


def test_a_missing_percentage_takes_what_the_stated_shares_leave(tmp_path):
    case = make_case(
        tmp_path,
        parties("p1", "p2", "p3", "p4", "a", "b", "c")
        + [owns("p1", "a", 60), owns("p2", "a"), owns("p3", "b"), owns("p3", "c"), owns("p4", "c")],
    )
    shares = effective_ownership(case)
    assert shares[("p2", "a")] == pytest.approx(0.4)
    assert shares[("p3", "b")] == pytest.approx(1.0)  # the only owner, no percentage: 100 %
    assert shares[("p3", "c")] == shares[("p4", "c")] == pytest.approx(0.5)  # two unknowns share it
    assert shares.stated_only == {("p2", "a"): 0.0, ("p3", "b"): 0.0, ("p3", "c"): 0.0, ("p4", "c"): 0.0}


def test_shares_above_100_percent_are_scaled_and_reported(tmp_path):
    case = make_case(tmp_path, parties("p1", "p2", "a") + [owns("p1", "a", 70), owns("p2", "a", 60)])
    shares = effective_ownership(case)
    assert shares.oversubscribed == {"a"}
    assert shares[("p1", "a")] == pytest.approx(70 / 130)
    assert shares[("p1", "a")] + shares[("p2", "a")] == pytest.approx(1.0)


def test_the_same_holding_reported_twice_counts_once(tmp_path):
    twice = owns("p1", "a", 60)
    again = {**owns("p1", "a", 60), "id": "own-from-another-source"}
    case = make_case(tmp_path, parties("p1", "a") + [twice, again])
    assert effective_ownership(case)[("p1", "a")] == pytest.approx(0.6)


@pytest.mark.parametrize(
    "values, expected",
    [(["25"], 0.25), (["25.5%"], 0.255), (["25,5"], 0.255), ([" 100 "], 1.0), (["0.5"], 0.005),
     (["10", "30"], 0.3), (["abc"], None), (["150"], None), (["-5"], None), ([], None)],
)
def test_percentages_are_read_leniently(values, expected):
    assert parse_percentage(values) == (pytest.approx(expected) if expected is not None else None)


def test_a_filtered_graph_decides_which_stakes_count(tmp_path):
    case = make_case(
        tmp_path,
        parties("p1", "p2", "a")
        + [owns("p1", "a", 100, startDate=["2015-01-01"], endDate=["2020-06-30"]),
           owns("p2", "a", 100, startDate=["2020-07-01"])],
    )
    then = effective_ownership(case, case_graph(case, GraphFilter(end="2019-12-31")))
    assert then == {("p1", "a"): pytest.approx(1.0)}
    assert effective_ownership(case)[("p1", "a")] == pytest.approx(0.5)  # every recorded stake


# ---------------------------------------------------------------------------------- ultimate owners


def test_a_person_owning_through_a_seychelles_holding(tmp_path):
    case = make_case(
        tmp_path,
        [person("p-owner", nationality=["ru"]), person("p-minor"), company("holding", jurisdiction=["sc"]),
         company("trader", jurisdiction=["ae"]),
         owns("p-owner", "holding", 100), owns("holding", "trader", 80), owns("p-minor", "trader", 20)],
    )
    owners = ultimate_owners(case, "trader")
    assert [(o["id"], o["share"]) for o in owners] == [("p-owner", pytest.approx(0.8))]
    assert owners[0]["chains"] == [["p-owner", "holding", "trader"]]
    assert owners[0]["schema"] == "Person" and not owners[0]["assumed"]

    everyone = ultimate_owners(case, "trader", threshold=0.1)
    assert [o["id"] for o in everyone] == ["p-owner", "p-minor"]  # the holding is owned, so not at the top
    assert ultimate_owners(case, "p-owner") == []


def test_a_company_with_no_recorded_owner_is_the_top_of_its_chain(tmp_path):
    case = make_case(tmp_path, parties("top", "mid", "asset") + [owns("top", "mid"), owns("mid", "asset", 30)])
    owners = ultimate_owners(case, "asset")
    assert [(o["id"], o["share"], o["stated_share"], o["assumed"]) for o in owners] == [
        ("top", pytest.approx(0.3), 0.0, True)
    ]


# ---------------------------------------------------------------------------------- OFAC 50 percent rule


def listed(entity):
    entity["properties"]["topics"] = ["sanction"]
    return entity


def test_listed_shares_add_up_across_owners(tmp_path):
    case = make_case(
        tmp_path,
        [listed(person("p-x")), listed(company("y")), company("c"), person("p-other"),
         owns("p-x", "c", 30), owns("y", "c", 20), owns("p-other", "c", 50)],
    )
    result = listed_share(case)["c"]
    assert result["share"] == pytest.approx(0.5) and result["flagged"]
    assert [(o["id"], o["share"], o["listed"]) for o in result["owners"]] == [
        ("p-x", pytest.approx(0.3), True), ("y", pytest.approx(0.2), True)
    ]
    assert result["listed_owners"] == ["p-x", "y"]


def test_a_blocked_company_passes_on_its_whole_stake(tmp_path):
    # OFAC's own example: X owns 50 % of A, A owns 50 % of B; B is blocked although 50 % x 50 %
    # is only 25 %.
    case = make_case(
        tmp_path,
        [listed(person("p-x")), company("a"), company("b"), company("d"), company("e"),
         owns("p-x", "a", 50), owns("a", "b", 50), owns("p-x", "d", 40), owns("d", "e", 100)],
    )
    results = listed_share(case)
    assert results["b"]["flagged"] and results["b"]["share"] == pytest.approx(0.5)
    assert results["b"]["look_through"] == pytest.approx(0.25)
    assert results["b"]["owners"][0] == {"id": "a", "caption": "a", "share": pytest.approx(0.5), "listed": False,
                                         "assumed": False}
    assert results["b"]["listed_owners"] == ["p-x"]
    # 40 % does not block d, so d's holding in e does not count; the look-through share shows it.
    assert not results["d"]["flagged"] and results["d"]["share"] == pytest.approx(0.4)
    assert results["e"]["share"] == 0.0 and not results["e"]["flagged"]
    assert results["e"]["look_through"] == pytest.approx(0.4)


def test_a_listed_company_held_by_a_listed_person_is_not_counted_twice(tmp_path):
    case = make_case(
        tmp_path,
        [listed(person("p-x")), listed(company("y")), company("f"),
         owns("p-x", "y", 100), owns("y", "f", 50)],
    )
    result = listed_share(case)["f"]
    assert result["look_through"] == pytest.approx(0.5)
    assert result["share"] == pytest.approx(0.5)
    assert listed_share(case)["y"]["listed"]


def test_a_listed_holding_with_no_percentage_is_flagged_but_uncertain(tmp_path):
    case = make_case(tmp_path, [listed(person("p-x")), company("g"), owns("p-x", "g")])
    result = listed_share(case)["g"]
    assert result["flagged"] and result["uncertain"]
    assert result["share"] == pytest.approx(1.0) and result["stated_share"] == 0.0
    assert result["owners"][0]["assumed"]


def test_other_topics_can_be_screened(tmp_path):
    pep = person("p-pep", topics=["role.pep"])
    case = make_case(tmp_path, [pep, company("h"), owns("p-pep", "h", 75)])
    assert listed_share(case) == {}
    assert listed_share(case, topics=("role.pep",))["h"]["flagged"]


# ---------------------------------------------------------------------------------- the demo case


def test_demo_brightwave_is_blocked_in_aggregate_only(demo):
    result = listed_share(demo)["demo-co-brightwave-components"]
    assert result["share"] == pytest.approx(0.51)
    assert result["flagged"] and not result["uncertain"]
    owners = {o["id"]: o["share"] for o in result["owners"]}
    assert owners == {"demo-person-arkady-veltsin": pytest.approx(0.26),
                      "demo-org-vostralin-institute": pytest.approx(0.25)}
    assert all(share < 0.5 for share in owners.values())  # no single listed owner reaches 50 %


def test_demo_blocked_companies(demo):
    results = listed_share(demo)
    flagged = {asset for asset, result in results.items() if result["flagged"]}
    assert {"demo-co-tekhsnab-vostralin", "demo-co-brightwave-components", "demo-co-meridian-pacific-holdings",
            "demo-co-northgate-ventures", "demo-co-atlas-crest-trading"} <= flagged
    assert "demo-co-karadeniz-elektronik" not in results  # its partners are not listed
    assert results["demo-co-tekhsnab-vostralin"]["owners"][0]["id"] == "demo-org-vostralin-institute"


def test_demo_layered_and_circular_ownership(demo):
    shares = effective_ownership(demo)
    veltsin = "demo-person-arkady-veltsin"
    # 60 % of Meridian, and Meridian's other 40 % sits with its own subsidiary Orient Delta.
    assert shares[(veltsin, "demo-co-meridian-pacific-holdings")] == pytest.approx(1.0)
    assert shares[(veltsin, "demo-co-atlas-crest-trading")] == pytest.approx(1.0)
    assert shares.self_held["demo-co-meridian-pacific-holdings"] == pytest.approx(0.4)

    owners = ultimate_owners(demo, "demo-co-atlas-crest-trading")
    assert [o["id"] for o in owners] == [veltsin]
    assert owners[0]["chains"][0] == [veltsin, "demo-co-meridian-pacific-holdings", "demo-co-northgate-ventures",
                                      "demo-co-atlas-crest-trading"]

    brightwave = ultimate_owners(demo, "demo-co-brightwave-components")
    assert [(o["id"], o["share"]) for o in brightwave] == [
        ("demo-person-marie-claire-fonsette", pytest.approx(0.49)),
        (veltsin, pytest.approx(0.26)),
        ("demo-org-vostralin-institute", pytest.approx(0.25)),
    ]
