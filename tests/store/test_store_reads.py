"""The reads other rooms used to write as SQL, now Case methods: what each answers on a small case."""

import pytest

from tests.store.test_case import company, payment, source
from workbench.model import make_entity
from workbench.store import Case


@pytest.fixture
def case(tmp_path):
    with Case.create(tmp_path / "reads.wbcase") as opened:
        protected = make_entity("Person", "p1")
        protected.add("name", "Informant Name")
        opened.ingest([company("c1", "Brightwave Components Limited"), company("c2", "Brightwave Trading"),
                       company("c3", "Nordhafen GmbH"), payment("pay1", "c1", "c3", "250000", "2023-04-11")],
                      source())
        opened.ingest([protected, company("c3", "Nordhafen Handels GmbH")],
                      source("liaison.txt", protected=True))
        yield opened


def test_one_rule_names_an_entity_by_id_merged_id_exact_name_then_part_of_a_name(case):
    case.merge("c1", "c2")
    assert [row[0] for row in case.find_entities("c1")] == ["c1"]
    assert [row[0] for row in case.find_entities("c2")] == ["c1"]  # merged into c1
    assert case.find_entities("nordhafen gmbh") == [("c3", "Nordhafen GmbH", "Company")]
    assert [row[0] for row in case.find_entities("hafen")] == ["c3"]
    assert case.find_entities("Veltsin") == []


def test_finding_counts_by_status_current_or_ever(case):
    finding = {"entities": ["c1"], "explanation": "c1 pays c3"}
    case.record_detector_run("d1", "1", {}, [finding, {"entities": ["c3"], "explanation": "c3 is paid"}])
    first = case.findings()[0]["id"]
    case.set_finding_status(first, "confirmed")
    case.record_detector_run("d1", "1", {}, [{"entities": ["c1"], "explanation": "c1 pays c3"}])
    assert case.findings(current_only=False)[0]["id"] == first  # the finding on c1
    assert case.finding_counts() == {"confirmed": 1}  # the one on c3 is no longer found
    assert case.finding_counts(current_only=False) == {"confirmed": 1, "open": 1}
    assert case.info()["findings"] == case.finding_counts(current_only=False)
    assert [run["detector_id"] for run in case.latest_detector_runs()] == ["d1"]
    assert case.detectors_run_since(case.last_detector_run_id() - 1) == {"d1"}


def test_chart_items_positions_and_hidden_ids(case):
    case.set_chart_items({"c1": {"x": 1.0, "y": 2.0, "pinned": 1}, "c3": {"hidden": 1, "group_name": "EU"}})
    items = case.chart_items()
    assert items["c1"]["x"] == 1.0 and items["c1"]["pinned"] == 1
    assert items["c3"]["group_name"] == "EU" and items["c3"]["x"] is None
    assert case.positions() == {"c1": (1.0, 2.0)}
    assert case.hidden_ids() == {"c3"}


def test_protected_sources_are_answered_by_the_store(case):
    assert case.protected_only_entities() == {"p1"}
    assert case.entities_with_protected_facts() == {"p1", "c3"}
    assert case.protected_only_values({"c3"}) == {"Nordhafen Handels GmbH"}
    props, grade = case.public_values({"c3"})["c3"]
    assert props["name"] == ["Nordhafen GmbH"] and grade == "B2"


def test_bulk_reads(case):
    assert case.captions(["c1", "nope"]) == {"c1": "Brightwave Components Limited"}
    assert case.caption_of("pay1") is not None and case.schema_of("pay1") == "Payment"
    assert case.link_counts()["c1"] == 1 and case.link_counts()["c3"] == 1
    assert [row[:4] for row in case.dated_links()] == [("c1", "c3", "pay1", "Payment")]
    assert case.known_ids({"c1", "nope"}) == {"c1"}


def test_copy_to_writes_a_case_that_opens(case, tmp_path):
    target = tmp_path / "copy.wbcase"
    case.copy_to(target)
    with Case.open(target, readonly=True) as copy:
        assert copy.counts_by_schema() == case.counts_by_schema()
