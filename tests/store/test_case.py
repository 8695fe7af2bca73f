import hashlib
import sqlite3
from pathlib import Path

import pytest

from casefiles import dump
from workbench.model import Record, SourceInfo, make_entity, parse_grade
from workbench.store import (
    Case,
    CaseCorrupt,
    CaseExists,
    CaseLocked,
    CaseNotFound,
    CaseReadOnly,
    CaseTooNew,
    IngestError,
    MergeError,
    NotACase,
)
from workbench.store import migrations as migrations_module


def company(entity_id, name, **props):
    entity = make_entity("Company", entity_id)
    entity.add("name", name)
    for prop, value in props.items():
        entity.add(prop, value)
    return entity


def payment(entity_id, payer, beneficiary, amount, date):
    entity = make_entity("Payment", entity_id)
    entity.add("payer", payer)
    entity.add("beneficiary", beneficiary)
    entity.add("amount", amount)
    entity.add("currency", "USD")
    entity.add("date", date)
    return entity


def source(name="payments.csv", grade="B2", **kwargs):
    return SourceInfo(file_name=name, importer_id="test", importer_version="1", grade=parse_grade(grade), **kwargs)


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def network(case):
    case.ingest(
        [
            company("atlas", "Atlas Trading FZE", country="ae"),
            company("atlas-2", "ATLAS TRADING F.Z.E.", country="ae", phone="+971 4 555 0100"),
            company("helios", "Helios Elektronik GmbH", country="de"),
            payment("pay-1", "atlas", "helios", "9500", "2024-03-02"),
            payment("pay-2", "atlas-2", "helios", "9800", "2024-03-05"),
            payment("pay-3", "helios", "atlas", "120", "2025-01-01"),
        ],
        source(),
    )
    return case


def test_create_adds_suffix_and_refuses_to_overwrite(tmp_path):
    with Case.create(tmp_path / "investigation") as created:
        assert created.path.name == "investigation.wbcase"
    with pytest.raises(CaseExists):
        Case.create(tmp_path / "investigation.wbcase")


def test_case_file_is_wal_and_recognisable(case):
    assert case.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert case.path.read_bytes()[:16] == b"SQLite format 3\x00"


def test_ingest_keeps_every_value_with_its_source_and_grade(case):
    report = case.ingest(
        [Record(company("atlas", "Atlas Trading FZE", country="ae").to_dict(), locator="row 2", grade=parse_grade("C3"))],
        source(protected=True),
    )
    assert report.entities == 1 and report.statements == 2
    statements = {s["prop"]: s for s in case.statements("atlas")}
    assert statements["name"]["value"] == "Atlas Trading FZE"
    assert statements["name"]["locator"] == "row 2"
    assert statements["name"]["file_name"] == "payments.csv"
    assert (statements["name"]["reliability"], statements["name"]["credibility"]) == ("C", 3)
    assert statements["country"]["protected"] == 1
    assert statements["country"]["recorded_at"]


def test_statements_without_override_take_the_source_grade(network):
    grades = {(s["reliability"], s["credibility"]) for s in network.statements("helios")}
    assert grades == {("B", 2)}


def test_entities_come_back_as_ftm_entities(network):
    atlas = network.entity("atlas")
    assert atlas.schema.name == "Company"
    assert atlas.get("name") == ["Atlas Trading FZE"]
    assert network.entity("no-such-id") is None


def test_neighbours_and_edges_by_endpoint(network):
    assert network.neighbours("helios") == ["atlas", "atlas-2"]
    edges = network.edges("atlas")
    assert {(e["source_id"], e["target_id"], e["via_id"]) for e in edges} == {
        ("atlas", "helios", "pay-1"),
        ("helios", "atlas", "pay-3"),
    }


def test_entity_reference_properties_are_edges_too(case):
    shipment = make_entity("Shipment", "ship-1", exporter="helios", consignee="atlas", forwarder="gulf-freight",
                           hsCode="854231", startDate="2024-02-01")
    case.ingest([shipment], source())
    edges = {(e["source_id"], e["target_id"], e["prop"]) for e in case.edges("ship-1")}
    assert edges == {("helios", "atlas", None), ("ship-1", "gulf-freight", "forwarder")}
    assert case.neighbours("gulf-freight") == ["ship-1"]


def test_events_in_a_time_range(network):
    march = [row["id"] for row in network.events_between("2024-03-01", "2024-03-31")]
    assert march == ["pay-1", "pay-2"]
    assert [row["id"] for row in network.events_between("2024", "2025", schema="Payment")] == ["pay-1", "pay-2", "pay-3"]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM edges WHERE source_id = 'x'",
        "SELECT * FROM edges WHERE target_id = 'x'",
        "SELECT * FROM entities WHERE start_date >= '2024' AND start_date <= '2025'",
        "SELECT * FROM entities WHERE schema = 'Payment' AND start_date >= '2024' AND start_date <= '2025'",
        "SELECT s.* FROM records r JOIN statements s ON s.record_id = r.id WHERE r.entity_id = 'x'",
    ],
)
def test_lookups_are_index_searches_not_table_scans(network, sql):
    steps = [row[3] for row in network.conn.execute("EXPLAIN QUERY PLAN " + sql)]
    assert all(step.startswith("SEARCH") for step in steps), steps


def test_counts_by_schema(network):
    assert network.counts_by_schema() == {"Company": 3, "Payment": 3}


def test_reingesting_an_entity_adds_statements_and_keeps_both_sources(network):
    network.ingest([company("atlas", "Atlas Trading", website="atlas.example")], source("registry.csv", "A1"))
    files = {s["file_name"] for s in network.statements("atlas")}
    assert files == {"payments.csv", "registry.csv"}
    assert sorted(network.entity("atlas").get("name")) == ["Atlas Trading", "Atlas Trading FZE"]
    assert network.counts_by_schema()["Company"] == 3


def test_same_id_twice_in_one_ingest_is_one_entity(case):
    case.ingest([company("a", "One"), company("a", "Two")], source())
    assert sorted(case.entity("a").get("name")) == ["One", "Two"]
    assert case.counts_by_schema() == {"Company": 1}


# ---------------------------------------------------------------- atomic ingest


def test_failing_ingest_leaves_the_case_exactly_as_before(network):
    before = dump(network.path)
    good = [company(f"c{n}", f"Company {n}") for n in range(12_000)]  # spans several batches
    bad = {"id": "broken", "schema": "Company", "properties": {"colour": ["red"]}}
    with pytest.raises(IngestError, match=r"record 12001.*has no property 'colour'.*nothing from this import"):
        network.ingest(good + [bad], source("big.csv"))
    assert dump(network.path) == before
    assert network.counts_by_schema() == {"Company": 3, "Payment": 3}


def test_importer_crash_midway_rolls_back(network):
    before = dump(network.path)

    def records():
        yield company("new-1", "New One")
        raise OSError("disk read error in source file")

    with pytest.raises(OSError):
        network.ingest(records(), source())
    assert dump(network.path) == before


@pytest.mark.parametrize(
    "record, message",
    [
        ({"schema": "Company", "properties": {}}, "no id"),
        ({"id": "x", "schema": "Spaceship", "properties": {}}, "unknown type 'Spaceship'"),
        ({"id": "x", "schema": "Thing", "properties": {}}, "abstract type"),
        ({"id": "x", "schema": "Company", "properties": {"name": [{"a": 1}]}}, "is not text"),
        ("not an entity", "expected an FtM entity"),
    ],
)
def test_bad_records_are_named(case, record, message):
    with pytest.raises(IngestError, match=message):
        case.ingest([record], source())
    assert case.counts_by_schema() == {}


def test_conflicting_types_for_one_id_are_refused(network):
    before = dump(network.path)
    person = make_entity("Person", "atlas")
    person.add("name", "Atlas")
    with pytest.raises(IngestError, match="both"):
        network.ingest([person], source())
    assert dump(network.path) == before


# ---------------------------------------------------------------- merge


def test_merge_keeps_both_ids_and_every_statement(network):
    before = {(s["prop"], s["value"]) for s in network.statements("atlas") + network.statements("atlas-2")}
    network.merge("atlas", "atlas-2")
    assert network.resolve("atlas-2") == "atlas"
    merged = network.entity("atlas-2")
    assert merged.id == "atlas"
    assert sorted(merged.get("name")) == ["ATLAS TRADING F.Z.E.", "Atlas Trading FZE"]
    after = {(s["prop"], s["value"]) for s in network.statements("atlas")}
    assert after == before
    origins = {s["origin_id"] for s in network.statements("atlas") if s["value"] == "ATLAS TRADING F.Z.E."}
    assert origins == {"atlas-2"}
    assert network.counts_by_schema()["Company"] == 2
    assert network.aliases_of("atlas") == ["atlas-2"]


def test_merge_repoints_links(network):
    network.merge("atlas", "atlas-2")
    assert network.entity("pay-2").get("payer") == ["atlas"]
    assert {e["via_id"] for e in network.edges("atlas")} == {"pay-1", "pay-2", "pay-3"}
    assert network.neighbours("helios") == ["atlas"]


def test_merge_chain_resolves_to_the_last_survivor(network):
    network.merge("atlas", "atlas-2")
    network.ingest([company("atlas-3", "Atlas Trading Free Zone Establishment")], source())
    network.merge("atlas-3", "atlas")
    assert network.resolve("atlas-2") == "atlas-3"
    assert network.entity("atlas-2").id == "atlas-3"


def test_ingest_after_merge_lands_on_the_survivor(network):
    network.merge("atlas", "atlas-2")
    network.ingest([company("atlas-2", "Atlas (renamed)")], source("later.csv"))
    assert "Atlas (renamed)" in network.entity("atlas").get("name")
    assert network.entity("atlas-2").id == "atlas"
    assert network.counts_by_schema()["Company"] == 2


def test_merge_undo_and_redo(network):
    before = dump(network.path)
    network.merge("atlas", "atlas-2")
    assert network.undo() == "Merge atlas-2 into atlas"
    assert network.resolve("atlas-2") == "atlas-2"
    assert network.entity("atlas-2").get("name") == ["ATLAS TRADING F.Z.E."]
    assert network.entity("pay-2").get("payer") == ["atlas-2"]
    assert network.counts_by_schema()["Company"] == 3
    assert network.redo() == "Merge atlas-2 into atlas"
    assert network.entity("pay-2").get("payer") == ["atlas"]
    assert network.undo() and network.undo() is None
    # The journal and log grew, but the facts are as they were.
    def facts(lines):
        return sorted(line for line in lines if line.startswith(('INSERT INTO "statements"', 'INSERT INTO "entities"')))

    assert facts(dump(network.path)) == facts(before)


def test_merge_refuses_incompatible_types(network):
    person = make_entity("Person", "p1")
    person.add("name", "Atlas")
    network.ingest([person], source())
    with pytest.raises(MergeError, match="cannot merge a Company with a Person"):
        network.merge("atlas", "p1")
    with pytest.raises(MergeError, match="no entity"):
        network.merge("atlas", "missing")


# ---------------------------------------------------------------- chart state, audit


def test_chart_moves_are_undoable(case):
    case.set_chart_items({"a": {"x": 1.0, "y": 2.0}})
    case.set_chart_items({"a": {"x": 5.0, "pinned": 1}}, label="Pin")
    assert case.chart_item("a")["x"] == 5.0 and case.chart_item("a")["pinned"] == 1
    assert case.undo() == "Pin"
    assert (case.chart_item("a")["x"], case.chart_item("a")["pinned"]) == (1.0, 0)
    case.undo()
    assert case.chart_item("a") is None


def test_audit_log_is_append_only_and_chained(network):
    network.merge("atlas", "atlas-2")
    actions = [entry["action"] for entry in network.audit_log()]
    assert actions == ["case.create", "ingest", "entity.merge"]
    assert network.audit_log()[1]["actor"] == "test-analyst"
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        network.conn.execute("UPDATE audit_log SET action = 'nothing'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        network.conn.execute("DELETE FROM audit_log")
    assert network.verify_audit_log() is None
    # Someone with raw access who drops the trigger and edits history is caught by the chain.
    network.conn.execute("DROP TRIGGER audit_log_no_update")
    network.conn.execute("UPDATE audit_log SET details = '{}' WHERE seq = 2")
    assert network.verify_audit_log() == 2


# ---------------------------------------------------------------- opening bad files


def test_missing_case(tmp_path):
    with pytest.raises(CaseNotFound, match="no such case file"):
        Case.open(tmp_path / "nope.wbcase")


def test_text_file_is_not_a_case(tmp_path):
    path = tmp_path / "notes.wbcase"
    path.write_text("just some notes\n")
    with pytest.raises(NotACase, match="not an SQLite database"):
        Case.open(path)
    assert path.read_text() == "just some notes\n"


def test_other_sqlite_database_is_not_a_case(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    digest = file_hash(path)
    with pytest.raises(NotACase, match="not a Workbench case"):
        Case.open(path)
    assert file_hash(path) == digest


def test_truncated_case_is_corrupt_and_untouched(network, tmp_path):
    network.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = network.path.read_bytes()
    path = tmp_path / "cut.wbcase"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(CaseCorrupt, match="damaged|truncated"):
        with Case.open(path, readonly=True) as opened:
            opened.info()
    assert path.read_bytes() == data[: len(data) // 3]


def test_damaged_pages_are_reported_not_raised(network, tmp_path):
    network.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(network.path.read_bytes())
    for offset in range(4096, len(data), 4096):  # scribble over every page but the header page
        data[offset + 8 : offset + 200] = b"\xff" * 192
    path = tmp_path / "scribbled.wbcase"
    path.write_bytes(bytes(data))
    with pytest.raises(CaseCorrupt):
        with Case.open(path, readonly=True) as opened:
            opened.info()


def test_case_from_newer_version_is_refused_untouched(case):
    case.db["_migrations"].insert({"name": "0099_from_the_future", "applied_at": "2030-01-01"})
    case.close()
    digest = file_hash(case.path)
    with pytest.raises(CaseTooNew, match="newer Workbench.*0099_from_the_future"):
        Case.open(case.path)
    assert file_hash(case.path) == digest


def test_older_case_is_migrated_on_open(case, monkeypatch):
    case.close()

    def add_notes(db):
        db["analyst_notes"].create({"id": int, "text": str}, pk="id")

    monkeypatch.setattr(migrations_module, "MIGRATIONS", migrations_module.MIGRATIONS + [("0099_notes", add_notes)])
    monkeypatch.setattr("workbench.store.case.MIGRATIONS", migrations_module.MIGRATIONS)
    monkeypatch.setattr("workbench.store.case.KNOWN_NAMES", [n for n, _ in migrations_module.MIGRATIONS])
    with pytest.raises(CaseReadOnly, match="needs upgrading"):
        Case.open(case.path, readonly=True)
    with Case.open(case.path) as upgraded:
        assert upgraded.migrations == [name for name, _ in migrations_module.MIGRATIONS]
        assert upgraded.migrations[-1] == "0099_notes"
        assert "analyst_notes" in upgraded.db.table_names()
        assert upgraded.audit_log()[-1]["action"] == "case.migrate"


def test_locked_case_is_reported(case):
    case.close()
    holder = sqlite3.connect(case.path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(CaseLocked, match="locked by another program"):
            Case.open(case.path, lock_timeout=0.1)
        # Reading still works while someone else writes (WAL).
        with Case.open(case.path, readonly=True) as reader:
            assert reader.counts_by_schema() == {}
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_readonly_case_refuses_writes(network):
    network.close()
    with Case.open(network.path, readonly=True) as reader:
        with pytest.raises(CaseReadOnly):
            reader.merge("atlas", "atlas-2")


def test_analyst_facts_are_sourced_and_undoable(network):
    with pytest.raises(Exception, match="source note is required"):
        network.add_facts([company("new", "New Co")], note=" ")
    link = {"id": "tip-1", "schema": "UnknownLink",
            "properties": {"subject": ["atlas"], "object": ["helios"], "role": ["same office manager"]}}
    network.add_facts([company("atlas", "Atlas Crest (trading name)"), link],
                      note="Interview with a former employee, 2024-05-02", label="Add link")
    statements = [s for s in network.statements("atlas") if s["source_kind"] == "analyst"]
    assert [s["value"] for s in statements] == ["Atlas Crest (trading name)"]
    assert network.sources(kind="analyst")[0]["note"] == "Interview with a former employee, 2024-05-02"
    assert "helios" in network.neighbours("atlas")
    assert network.undo() == "Add link"
    assert network.entity("tip-1") is None
    assert network.entity("atlas").get("name") == ["Atlas Trading FZE"]
    assert network.redo() == "Add link"
    assert network.entity("tip-1") is not None and "Atlas Crest (trading name)" in network.entity("atlas").get("name")
    assert network.audit_log()[-1]["action"] == "redo"


def test_exports_leave_protected_sources_out_unless_asked(network):
    network.ingest([company("atlas", "Atlas (informant's name for it)", phone="+971 50 123 4567")],
                   source("informant.txt", "C3", protected=True))
    shared = {e.id: e for e in network.iter_entities()}
    assert "Atlas (informant's name for it)" not in shared["atlas"].get("name")
    assert shared["atlas"].get("phone") == []
    everything = {e.id: e for e in network.iter_entities(include_protected=True)}
    assert "Atlas (informant's name for it)" in everything["atlas"].get("name")
    proxy, rows = next(item for item in network.iter_entities(with_provenance=True) if item[0].id == "pay-1")
    assert rows[0][2] == "payments.csv" and rows[0][4] == "B2"


def test_positions_from_an_imported_chart_are_kept(case):
    case.set_chart_items({"b": {"x": 5.0, "y": 6.0}})
    case.ingest([Record(company("a", "A").to_dict(), extra={"position": [10, 20]}),
                 Record(company("b", "B").to_dict(), extra={"position": [99, 99]})], source())
    assert (case.chart_item("a")["x"], case.chart_item("a")["y"]) == (10.0, 20.0)
    assert (case.chart_item("b")["x"], case.chart_item("b")["y"]) == (5.0, 6.0)


def test_an_entity_known_only_from_protected_sources_does_not_leave(network):
    network.ingest([company("informant-co", "Shell Co named by an informant")], source("informant.txt", "C3", protected=True))
    assert "informant-co" not in {e.id for e in network.iter_entities()}
    assert "informant-co" in {e.id for e in network.iter_entities(include_protected=True)}


def test_every_part_of_case_declares_what_self_holds(case):
    # Each mixin of Case derives from CasePart, which declares the case's state and shared services,
    # so that what a part's ``self`` has is written down (and checked by mypy) rather than guessed.
    from workbench.store.parts import CasePart

    parts = [base for base in Case.__mro__[1:] if base not in (CasePart, object)]
    assert len(parts) >= 10
    assert [part.__name__ for part in parts if not issubclass(part, CasePart)] == []
    declared = set(CasePart.__annotations__)
    assert set(vars(case)) - declared == set()
