"""A large ingest builds the indexes of entity ids once at the end instead of row by row: the case
ends with the same indexes (its schema still Workbench's own), reads through them as before, and an
ingest that fails half-way leaves the indexes exactly as they were."""

import pytest
from casefiles import dump
from test_case import company, payment, source  # noqa: F401  (the store tests' data; `case` is conftest's)

from workbench.store import Case, IngestError
from workbench.store import ingest as ingest_module
from workbench.store.integrity import schema_problems


def payments(count: int, start: int = 0):
    for n in range(start, start + count):
        yield payment(f"pay-{n}", f"acct-{n % 97}", f"acct-{(n * 7 + 1) % 97}", str(100 + n), "2024-03-02")


def indexes(case: Case) -> list[tuple[str, str]]:
    return sorted(case.conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"))


@pytest.fixture
def defer_early(monkeypatch):
    """Defer after the first batch of 5,000, so a test case of 12,000 payments is a large ingest;
    the list of the times the indexes were dropped."""
    monkeypatch.setattr(ingest_module, "DEFER_AFTER", ingest_module.INGEST_BATCH)
    dropped = []
    original = ingest_module.Ingesting._drop_deferrable_indexes

    def watch(cursor):
        dropped.append(True)
        return original(cursor)

    monkeypatch.setattr(ingest_module.Ingesting, "_drop_deferrable_indexes", staticmethod(watch))
    return dropped


def test_a_large_ingest_ends_with_the_same_indexes_and_reads_through_them(case, defer_early):
    before = indexes(case)
    report = case.ingest(payments(12_000), source("big.csv"))
    assert report.new_entities == 12_000
    assert defer_early == [True]
    assert indexes(case) == before
    applied = [row[0] for row in case.conn.execute("SELECT name FROM _migrations")]
    assert schema_problems(case.conn, applied) == []
    # Read through the rebuilt indexes: a party's links, a payment's own link.
    assert len(case.edges("acct-3")) == sum(1 for n in range(12_000) if 3 in (n % 97, (n * 7 + 1) % 97))
    plan = " ".join(row[3] for row in case.conn.execute("EXPLAIN QUERY PLAN SELECT * FROM edges WHERE via_id = 'pay-5'"))
    assert "idx_edges_via" in plan
    assert [e["target_id"] for e in case.edges("pay-11999")] == [f"acct-{(11_999 * 7 + 1) % 97}"]
    case.close()
    with Case.open(case.path) as reopened:  # the schema check passes
        assert reopened.counts_by_schema()["Payment"] == 12_000


def test_a_large_ingest_that_fails_after_dropping_the_indexes_leaves_them_as_they_were(case, defer_early):
    case.ingest(payments(10), source("small.csv"))
    before = dump(case.path)
    bad = {"id": "broken", "schema": "Payment", "properties": {"colour": ["red"]}}
    with pytest.raises(IngestError, match="has no property 'colour'"):
        case.ingest([*payments(12_000, start=10), bad], source("big.csv"))
    assert defer_early == [True]
    assert dump(case.path) == before


def test_a_small_file_added_to_a_larger_case_keeps_its_indexes_throughout(case, defer_early):
    case.ingest(payments(12_000), source("big.csv"))
    del defer_early[:]
    case.ingest(payments(6_000, start=12_000), source("more.csv"))  # 6,000 added to 12,000
    assert defer_early == []
    assert case.counts_by_schema()["Payment"] == 18_000


def test_the_report_counts_what_the_case_holds_whether_entities_are_new_or_described_again(case):
    first = case.ingest([company("a", "Atlas"), company("h", "Helios"), *payments(5)], source("new.csv"))
    # Every entity new and described once: counted as written.
    assert (first.entities, first.by_schema) == (7, {"Company": 2, "Payment": 5})
    again = case.ingest([company("a", "Atlas FZE"), {"id": "a", "schema": "Organization", "properties": {}},
                         company("z", "Zeta"), *payments(2, start=4)], source("again.csv"))
    # Described again (and as another type), or new: counted once each, by the type each has now.
    assert (again.entities, again.new_entities) == (4, 2)
    assert again.by_schema == {"Company": 2, "Payment": 2}
    for report in (first, again):
        assert report.by_schema == case._schemas_of(case.conn.cursor(), report.source_id)
