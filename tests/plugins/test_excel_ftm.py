"""FtM JSON lines, FtM statements and Excel workbooks: export, re-import, and what comes back.

Round trips compare every entity (type and all values) and every link of the re-imported case
with the case that was exported; they differ only in what the format's ``losses`` name.
"""

from __future__ import annotations

import json
import zipfile
from datetime import datetime
from itertools import groupby
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from casefiles import dump
from workbench.cli import main
from workbench.importing import import_file
from workbench.model import Record, SourceInfo, parse_grade
from workbench.plugin_api import SourceFormatError, choose_importer, find_exporter
from workbench.store import Case
from workbench_plugins.interchange.excel_ftm import (
    FtmExporter,
    FtmStatementsImporter,
    XlsxExporter,
    XlsxImporter,
    decode_values,
    encode_values,
)

ANALYST_NOTES = "first line\nsecond line with a \\ backslash\r\nthird = line"
FORMULA_ALIAS = '=HYPERLINK("http://example.invalid","click")'
SECRET = "Protected-Informant-Alias"


# ---------------------------------------------------------------------------------- fixtures and helpers


@pytest.fixture
def rich(demo):
    """The demo plus what the formats must carry or keep back: the analyst's own facts with
    awkward text, a protected source, a merge, chart positions and a finding."""
    demo.add_facts(
        [
            {"id": "analyst-person-1", "schema": "Person",
             "properties": {"name": ["Vera Analystova"], "notes": [ANALYST_NOTES],
                            "alias": [FORMULA_ALIAS, "V. Analystova"], "nationality": ["ru", "tr"]}},
            {"id": "analyst-person-dup", "schema": "Person",
             "properties": {"name": ["Arkady V. Veltsin"], "birthDate": ["1961-04-17"]}},
            {"id": "analyst-link-1", "schema": "UnknownLink",
             "properties": {"subject": ["analyst-person-1"], "object": ["demo-person-arkady-veltsin"],
                            "role": ["met in Istanbul"]}},
        ],
        note="telephone call with a colleague",
        grade=parse_grade("C3"),
    )
    demo.ingest(
        [
            Record({"id": "secret-person", "schema": "Person", "properties": {"name": [SECRET]}}, locator="p. 3"),
            Record({"id": "demo-person-arkady-veltsin", "schema": "Person", "properties": {"alias": [SECRET]}},
                   locator="p. 4"),
        ],
        SourceInfo(file_name="informant-report.pdf", sha256="0" * 64, importer_id="manual",
                   grade=parse_grade("A1"), protected=True),
    )
    demo.merge("demo-person-arkady-veltsin", "analyst-person-dup")
    demo.set_chart_items({"demo-person-arkady-veltsin": {"x": 12.5, "y": -3.25},
                          "analyst-person-1": {"x": 0.0, "y": 100.0}})
    demo.record_detector_run(
        "test-detector", "1.0", {"threshold": 2},
        [{"entities": ["demo-person-arkady-veltsin"], "evidence": ["analyst-link-1"],
          "explanation": "Met a listed person.", "score": 0.75}],
        severity="high",
    )
    return demo


def entities_of(case: Case, include_protected: bool = False) -> dict[str, tuple[str, dict[str, list[str]]]]:
    """Every entity with something to show: id -> (schema, {property: sorted values})."""
    return {
        proxy.id: (proxy.schema.name, {prop: sorted(values) for prop, values in proxy.properties.items()})
        for proxy, provenance in case.iter_entities(include_protected=include_protected, with_provenance=True)
        if provenance
    }


def links_of(case: Case) -> set[tuple]:
    return set(case.conn.execute("SELECT source_id, target_id, via_id, prop, schema FROM edges"))


def grades_of(case: Case) -> dict[str, str]:
    return dict(case.conn.execute("SELECT id, grade FROM entities"))


def reimport(tmp_path: Path, path: Path, name: str, importer_id: str | None = None, **options) -> Case:
    case = Case.create(tmp_path / f"{name}.wbcase")
    outcome = import_file(case, path, importer_id=importer_id, options=options or None)
    assert outcome.report is not None, outcome.skipped
    return case


# ---------------------------------------------------------------------------------- value encoding


@pytest.mark.parametrize(
    "values",
    [["plain"], ["two", "values"], ["a\nb", "c\\d", "e\r\nf", "\\n literally"], ["ends with \\"], []],
)
def test_cell_encoding_gives_back_the_values(values):
    assert decode_values(encode_values(values)) == values


def test_a_single_plain_value_is_written_as_it_is():
    assert encode_values(["Atlas Crest General Trading FZE"]) == "Atlas Crest General Trading FZE"
    assert encode_values(["ru", "tr"]) == "ru\ntr"


# ---------------------------------------------------------------------------------- Excel


def test_xlsx_round_trip_of_the_demo_is_exact(demo, tmp_path):
    path = tmp_path / "demo.xlsx"
    report = XlsxExporter().write(demo, path)
    assert report["entities"] == 73 and report["links"] == 47
    assert choose_importer(path) is XlsxImporter
    back = reimport(tmp_path, path, "back")
    assert entities_of(back) == entities_of(demo)
    assert links_of(back) == links_of(demo)
    # Each row's best grade comes back as the entity's grade.
    assert grades_of(back) == grades_of(demo)
    # Where each row came from is kept with the re-imported record.
    extra = json.loads(back.conn.execute(
        "SELECT extra FROM records WHERE entity_id = 'demo-person-arkady-veltsin'").fetchone()[0])
    assert extra == {"exported_sources": ["demo.ftm.json"], "exported_locators": ["demo.ftm.json line 2"]}


def test_xlsx_round_trip_carries_positions_merges_and_awkward_text(rich, tmp_path):
    path = tmp_path / "rich.xlsx"
    report = XlsxExporter().write(rich, path)
    assert set(XlsxExporter.losses) <= set(report["losses"])
    back = reimport(tmp_path, path, "back")
    assert entities_of(back) == entities_of(rich)
    assert links_of(back) == links_of(rich)
    vera = back.entity("analyst-person-1")
    assert vera.get("notes") == [ANALYST_NOTES]
    assert sorted(vera.get("alias")) == sorted([FORMULA_ALIAS, "V. Analystova"])
    assert back.resolve("analyst-person-dup") == "demo-person-arkady-veltsin"
    for entity_id in ("demo-person-arkady-veltsin", "analyst-person-1"):
        position = back.chart_item(entity_id)
        assert (position["x"], position["y"]) == (rich.chart_item(entity_id)["x"], rich.chart_item(entity_id)["y"])
    assert grades_of(back)["analyst-person-1"] == "C3"
    # Protected values stayed in the case.
    assert back.entity("secret-person") is None
    assert SECRET not in back.entity("demo-person-arkady-veltsin").get("alias")


def test_workbook_layout(rich, tmp_path):
    path = tmp_path / "rich.xlsx"
    XlsxExporter().write(rich, path)
    workbook = load_workbook(path)
    names = workbook.sheetnames
    assert names[0] == "About" and names[-2:] == ["Sources", "Findings"]
    assert all(len(name) <= 31 for name in names)
    # Things first, then relationships, each alphabetically.
    assert names[1:-2] == ["BankAccount", "Company", "EndUseDocument", "Organization", "Person", "Sanction",
                           "Vessel", "Directorship", "Ownership", "Payment", "Shipment", "UnknownLink"]
    person = workbook["Person"]
    header = [cell.value for cell in person[1]]
    assert header[:3] == ["id", "caption", "name"]  # featured properties first
    assert header[-6:] == ["chart x", "chart y", "merged ids", "source files", "source locators", "best grade"]
    assert person.freeze_panes == "C2"
    assert person.auto_filter.ref == f"A1:{person.cell(1, len(header)).column_letter}{person.max_row}"
    rows = {row[0]: dict(zip(header, row)) for row in person.iter_rows(min_row=2, values_only=True)}
    arkady = rows["demo-person-arkady-veltsin"]
    assert arkady["merged ids"] == "analyst-person-dup"
    assert (arkady["chart x"], arkady["chart y"]) == (12.5, -3.25)
    assert arkady["source files"] == "demo.ftm.json\nanalyst's own facts"
    assert arkady["best grade"] == "B2"
    vera_row = next(row for row in person.iter_rows(min_row=2) if row[0].value == "analyst-person-1")
    alias_cell = vera_row[header.index("alias")]
    assert alias_cell.data_type == "s" and FORMULA_ALIAS in alias_cell.value  # text, never a formula
    assert vera_row[header.index("nationality")].value == "ru\ntr"
    link = workbook["UnknownLink"]
    link_header = [cell.value for cell in link[1]]
    link_row = dict(zip(link_header, next(link.iter_rows(min_row=2, values_only=True))))
    arkady_caption = rich.entity("demo-person-arkady-veltsin").caption
    assert link_row["caption"] == f"Vera Analystova linked to {arkady_caption}"
    assert link_row["object (caption)"] == arkady_caption
    payment = dict(zip([cell.value for cell in workbook["Payment"][1]],
                       next(workbook["Payment"].iter_rows(min_row=2, values_only=True))))
    assert payment["caption"] == "OOO Tekhsnab-Vostralin paid Karadeniz Elektronik Dis Ticaret Ltd. Sti. (310000)"

    sources = workbook["Sources"]
    assert [cell.value for cell in sources[1]][:7] == ["id", "file", "sha256", "importer", "imported at", "grade",
                                                      "protected"]
    files = [row[1] for row in sources.iter_rows(min_row=2, values_only=True)]
    assert files == ["demo.ftm.json", None]  # the analyst's facts; the protected report is left out
    assert sources.freeze_panes == "A2" and sources.auto_filter.ref == "A1:I3"

    findings = workbook["Findings"]
    assert [cell.value for cell in findings[1]][:8] == ["id", "detector", "severity", "score", "status",
                                                       "explanation", "entities", "evidence"]
    # The case has a protected source, so findings stay out unless the analyst includes protected material.
    assert list(findings.iter_rows(min_row=2, values_only=True)) == []
    shared_path = tmp_path / "with-protected.xlsx"
    XlsxExporter().write(rich, shared_path, include_protected=True)
    finding = next(load_workbook(shared_path, read_only=True)["Findings"].iter_rows(min_row=2, values_only=True))
    assert finding[1:8] == ("test-detector", "high", 0.75, "open", "Met a listed person.",
                            "demo-person-arkady-veltsin", "analyst-link-1")


def test_protected_values_leave_only_when_asked(rich, tmp_path):
    path = tmp_path / "rich.xlsx"
    XlsxExporter().write(rich, path)
    with zipfile.ZipFile(path) as archive:
        text = "".join(archive.read(name).decode("utf-8") for name in archive.namelist())
    assert SECRET not in text and "informant-report.pdf" not in text and "secret-person" not in text
    XlsxExporter().write(rich, path, include_protected=True)
    back = reimport(tmp_path, path, "everything")
    assert entities_of(back) == entities_of(rich, include_protected=True)


def test_what_excel_cannot_hold_is_named_cell_by_cell(demo, tmp_path):
    demo.add_facts([{"id": "long-note", "schema": "Person",
                     "properties": {"name": ["Bell\x07 Ringer"], "notes": ["x" * 40_000]}}], note="test")
    path = tmp_path / "demo.xlsx"
    report = XlsxExporter().write(demo, path)
    sheet = load_workbook(path)["Person"]
    header = [cell.value for cell in sheet[1]]
    row_number, row = next((n, row) for n, row in enumerate(sheet.iter_rows(values_only=True), start=1)
                           if row[0] == "long-note")
    notes = f"Person!{sheet.cell(1, header.index('notes') + 1).column_letter}{row_number}"
    assert f"1 cells longer than Excel's 32,767 characters were cut (use the ftm format for those): {notes}" \
        in report["losses"]
    assert any(loss.startswith("2 cells held control characters") and f"Person!B{row_number}" in loss
               for loss in report["losses"])  # the caption and the name
    assert len(row[header.index("notes")]) == 32_767 and row[header.index("name")] == "Bell Ringer"


def test_values_an_analyst_typed_into_the_workbook_are_read_as_ftm_text(demo, tmp_path):
    path = tmp_path / "demo.xlsx"
    XlsxExporter().write(demo, path)
    workbook = load_workbook(path)
    sheet = workbook["Payment"]
    header = [cell.value for cell in sheet[1]]
    row = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == "demo-pay-01-tekhsnab-karadeniz")
    row[header.index("amount")].value = 310000  # Excel turns typed digits into a number
    row[header.index("date")].value = datetime(2023, 2, 20)  # and dates into dates
    row[header.index("purpose")].value = "Advance payment\nsecond purpose"
    workbook.save(path)
    back = reimport(tmp_path, path, "edited")
    payment = back.entity("demo-pay-01-tekhsnab-karadeniz")
    assert payment.get("amount") == ["310000"] and payment.get("date") == ["2023-02-20"]
    assert payment.get("purpose") == ["Advance payment", "second purpose"]


def test_a_generic_workbook_goes_to_the_mapped_table_importer(tmp_path):
    path = tmp_path / "table.xlsx"
    workbook = Workbook()
    workbook.active.append(["name", "country"])
    workbook.active.append(["ACME", "de"])
    workbook.save(path)
    assert XlsxImporter.sniff(path) == 0.0
    assert choose_importer(path).id == "mapped-table"


@pytest.fixture
def exported(demo, tmp_path):
    path = tmp_path / "demo.xlsx"
    XlsxExporter().write(demo, path)
    return path


def _edit(path: Path, change) -> Path:
    workbook = load_workbook(path)
    change(workbook)
    workbook.save(path)
    return path


@pytest.fixture
def target(tmp_path):
    with Case.create(tmp_path / "target.wbcase") as case:
        case.add_facts([{"id": "already-here", "schema": "Company", "properties": {"name": ["Already Here Ltd"]}}],
                       note="set up")
        yield case


def _refused(target: Case, path: Path, match: str, **options) -> None:
    before = dump(target)
    with pytest.raises(SourceFormatError, match=match):
        import_file(target, path, importer_id="workbench-xlsx", options=options or None)
    assert dump(target) == before


def test_a_sheet_without_an_id_column_is_refused(exported, target):
    _edit(exported, lambda workbook: setattr(workbook["Person"]["A1"], "value", "identifier"))
    _refused(target, exported,
             r"demo\.xlsx sheet 'Person' cell A1: expected the column header 'id'.*found 'identifier'")


def test_an_unknown_type_sheet_is_refused(exported, target):
    _edit(exported, lambda workbook: setattr(workbook["Vessel"], "title", "Spaceship"))
    _refused(target, exported, r"demo\.xlsx sheet 'Spaceship': not an entity type; expected sheets named by a "
                               r"concrete FollowTheMoney schema")


def test_a_property_the_type_lacks_is_refused(exported, target):
    _edit(exported, lambda workbook: setattr(workbook["Person"]["D1"], "value", "favouriteColour"))
    _refused(target, exported, r"demo\.xlsx sheet 'Person' cell D1: 'favouriteColour' is not a property of Person; "
                               r"expected a Person property name")


def test_an_invalid_value_is_refused_naming_its_cell(exported, target):
    def change(workbook):
        sheet = workbook["Person"]
        column = [cell.value for cell in sheet[1]].index("nationality") + 1
        sheet.cell(3, column).value = "Atlantis"

    _edit(exported, change)
    _refused(target, exported, r"sheet 'Person' cell D3: 'Atlantis' is not a valid country for Person\.nationality")


def test_a_row_without_an_id_is_refused(exported, target):
    _edit(exported, lambda workbook: setattr(workbook["Company"]["A4"], "value", None))
    _refused(target, exported, r"sheet 'Company' cell A4: expected an entity id")


def test_a_damaged_file_is_refused(exported, target, tmp_path):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(exported.read_bytes()[:2000])
    _refused(target, broken, r"broken\.xlsx: not a readable Excel workbook")


def test_skip_keeps_what_it_can_and_lists_exactly_what_it_left_out(exported, target, demo):
    def change(workbook):
        workbook["Vessel"].title = "Spaceship"
        workbook["Person"]["D1"].value = "favouriteColour"
        workbook["Company"]["A4"].value = None

    _edit(exported, change)
    importer = XlsxImporter(on_error="skip")
    records = list(importer.read(exported))
    assert importer.skipped == [
        "demo.xlsx sheet 'Company' cell A4: expected an entity id; the row has values but no id",
        "demo.xlsx sheet 'Person' cell D1: 'favouriteColour' is not a property of Person; expected a Person "
        "property name (such as name, nationality, birthDate, title, firstName, secondName) or one of the "
        "columns 'id', 'caption', 'chart x', 'chart y', 'merged ids', 'source files', 'source locators', "
        "'best grade'",
        "demo.xlsx sheet 'Spaceship': not an entity type; expected sheets named by a concrete FollowTheMoney "
        "schema (Person, Company, Ownership, ...) or About, Sources, Findings",
    ]
    kept = {record.entity["id"] for record in records}
    assert len(kept) == 73 - 1 - 1  # one company row, the vessel sheet
    header = [cell.value for cell in load_workbook(exported)["Person"][1]]
    assert all(header[3] not in record.entity["properties"] for record in records)
    # The same through the host: the import goes through and the skipped rows are absent.
    outcome = import_file(target, exported, importer_id="workbench-xlsx", options={"on_error": "skip"})
    assert outcome.report.entities == 71
    assert outcome.left_out == importer.skipped


# ---------------------------------------------------------------------------------- FtM


def test_ftm_round_trip_through_the_ftm_json_importer(rich, tmp_path):
    path = tmp_path / "rich.ftm.json"
    report = find_exporter("ftm")().write(rich, path)
    assert report["losses"][:-1] == list(FtmExporter.entity_losses)
    assert report["losses"][-1].startswith("1 EndUseDocument, 10 Shipment: written as FtM's EconomicActivity")
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    made_for_ftm = [line for line in lines if "derived_from" in line.get("workbench", {})]
    assert len(made_for_ftm) == 2  # the end-use document's issuer and stated end user, as Documentation
    assert len(lines) - len(made_for_ftm) == report["entities"] == len(entities_of(rich))
    arkady = next(line for line in lines if line["id"] == "demo-person-arkady-veltsin")
    assert set(arkady) == {"id", "schema", "properties", "datasets", "referents", "first_seen", "last_seen"}
    assert arkady["referents"] == ["analyst-person-dup"]
    assert arkady["datasets"] == ["demo_vostralin_procurement_network_fictional"]
    assert choose_importer(path).id == "ftm-json"
    back = reimport(tmp_path, path, "back")
    assert entities_of(back) == entities_of(rich)
    assert links_of(back) == links_of(rich)
    assert back.resolve("analyst-person-dup") == "demo-person-arkady-veltsin"
    assert SECRET not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("suffix", [".statements.json", ".statements.csv"])
def test_statements_round_trip_keeps_each_values_origin_and_grade(rich, tmp_path, suffix):
    path = tmp_path / f"rich{suffix}"
    report = find_exporter("ftm-statements")().write(rich, path)
    assert report["entities"] == len(entities_of(rich))
    assert choose_importer(path) is FtmStatementsImporter  # not ftm-json, which would misread it
    back = reimport(tmp_path, path, "back")
    assert entities_of(back) == entities_of(rich)
    assert links_of(back) == links_of(rich)
    assert back.resolve("analyst-person-dup") == "demo-person-arkady-veltsin"
    by_value = {(row["prop"], row["value"]): row for row in back.statements("demo-person-arkady-veltsin")}
    assert by_value[("name", "Arkady Vasilyevich Veltsin")]["locator"] == "demo.ftm.json line 2"
    assert by_value[("name", "Arkady Vasilyevich Veltsin")]["reliability"] == "B"
    # The merged-in fact keeps the analyst's C3, not the entity's best grade.
    merged_in = by_value[("name", "Arkady V. Veltsin")]
    assert (merged_in["reliability"], merged_in["credibility"]) == ("C", 3)
    assert merged_in["locator"] == "analyst's own facts"
    assert SECRET not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("statement_format", ["json", "csv"])
def test_ftm_reads_the_statements_as_ftm_statements(rich, tmp_path, statement_format):
    from followthemoney.dataset import Dataset
    from followthemoney.statement import StatementEntity, read_path_statements

    path = tmp_path / f"rich.statements.{statement_format}"
    FtmExporter(statements=True, statement_format=statement_format).write(rich, path)
    dataset = Dataset.make({"name": "rich", "title": "rich"})
    aggregated = {}
    for _, statements in groupby(read_path_statements(path, statement_format), key=lambda s: s.canonical_id):
        entity = StatementEntity.from_statements(dataset, list(statements))
        aggregated[entity.id] = (entity.schema.name, {p: sorted(v) for p, v in entity.properties.items()})
    expected = entities_of(rich)
    if statement_format == "csv":
        # In CSV a would-be formula keeps the ' that makes a spreadsheet show it as text; FtM reads it as written.
        aliases = expected["analyst-person-1"][1]["alias"]
        aliases[aliases.index(FORMULA_ALIAS)] = "'" + FORMULA_ALIAS
        aliases.sort()
    assert aggregated == expected


def test_bad_statements_are_named(tmp_path):
    path = tmp_path / "bad.statements.json"
    good = {"entity_id": "p1", "prop": "name", "schema": "Person", "value": "Ann", "dataset": "d"}
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "prop": "wingspan"}) + "\n{broken\n")
    with pytest.raises(SourceFormatError, match=r"bad\.statements\.json line 2: Person has no property 'wingspan'"):
        list(FtmStatementsImporter().read(path))
    importer = FtmStatementsImporter(on_error="skip")
    records = list(importer.read(path))
    assert [record.entity for record in records] == [{"id": "p1", "schema": "Person", "properties": {"name": ["Ann"]}}]
    assert len(importer.skipped) == 2
    assert importer.skipped[0] == "bad.statements.json line 2: Person has no property 'wingspan'"
    assert importer.skipped[1].startswith("bad.statements.json line 3: not valid JSON (")


def test_command_line_reaches_every_format(demo, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    demo.close()
    runner = CliRunner()
    for format_name, name in (("xlsx", "out.xlsx"), ("ftm", "out.ftm.json"), ("ftm-statements", "out.statements.csv")):
        result = runner.invoke(main, ["export", str(tmp_path / "demo.wbcase"), "--format", format_name, name],
                               catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert "73 entities, 47 links" in result.output and "not carried:" in result.output
    assert (tmp_path / "out.statements.csv").read_text().startswith('"canonical_id","entity_id","prop"')


# ---------------------------------------------------------------------------------- the shared graphs


def _case_from_gexf(path: Path, case_path: Path) -> Case:
    """Les Misérables as characters (LegalEntity) and co-appearances (UnknownLink), with the
    layout from the file, read here so this test does not depend on the graph-formats importer.

    (networkx's reader misses the positions: the file's viz namespace is misspelt.)
    """
    root = ElementTree.parse(path).getroot()

    def children(element, name):
        return [child for child in element.iter() if child.tag.rsplit("}", 1)[-1] == name]

    records, positions = [], {}
    for node in children(root, "node"):
        hub = next(value.get("value") for value in children(node, "attvalue") if value.get("for") == "hub")
        records.append(Record({"id": f"node-{node.get('id')}", "schema": "LegalEntity",
                               "properties": {"name": [node.get("label")], "notes": [f"hub {hub}"]}},
                              locator=f"node {node.get('id')}"))
        position = children(node, "position")[0]
        positions[f"node-{node.get('id')}"] = {"x": float(position.get("x")), "y": float(position.get("y"))}
    for edge in children(root, "edge"):
        records.append(Record({"id": f"edge-{edge.get('id')}", "schema": "UnknownLink",
                               "properties": {"subject": [f"node-{edge.get('source')}"],
                                              "object": [f"node-{edge.get('target')}"],
                                              "summary": [f"weight {edge.get('weight', '1')}"]}},
                              locator=f"edge {edge.get('id')}"))
    case = Case.create(case_path)
    case.ingest(records, SourceInfo.from_file(path, importer_id="test", grade=parse_grade("C3")))
    case.set_chart_items(positions)
    return case


@pytest.mark.parametrize("format_name", ["xlsx", "ftm", "ftm-statements"])
def test_les_miserables_round_trip(shared_data, tmp_path, format_name):
    case = _case_from_gexf(shared_data / "graphs" / "les_miserables.gexf", tmp_path / "lesmis.wbcase")
    path = tmp_path / f"lesmis.{format_name}"
    report = find_exporter(format_name)().write(case, path)
    assert (report["entities"], report["links"]) == (77 + 254, 254)
    back = reimport(tmp_path, path, "back", importer_id={"xlsx": "workbench-xlsx", "ftm": "ftm-json",
                                                         "ftm-statements": "ftm-statements"}[format_name])
    assert entities_of(back) == entities_of(case)
    assert links_of(back) == links_of(case)
    positions = lambda c: dict(((row[0], (row[1], row[2])) for row in c.conn.execute(  # noqa: E731
        "SELECT entity_id, x, y FROM chart_items")))
    if format_name == "xlsx":
        assert positions(back) == positions(case)  # the layout survives the workbook
    else:
        assert positions(back) == {}  # FtM has no place for it: listed in the losses
        assert any("chart positions" in loss for loss in report["losses"])
    case.close()


def test_findings_stay_out_of_a_shared_workbook_when_sources_are_protected(tmp_path):
    from openpyxl import load_workbook

    from workbench.model import SourceInfo
    from workbench.store import Case
    from workbench_plugins.interchange.excel_ftm import XlsxExporter

    with Case.create(tmp_path / "p.wbcase") as case:
        case.ingest([{"id": "x", "schema": "Company", "properties": {"name": ["Informant's Co"]}}],
                    SourceInfo(file_name="informant.txt", protected=True))
        case.record_detector_run("d", "1", {}, [{"entities": ["x"], "evidence": [],
                                                 "explanation": "Informant's Co is a front"}])
        report = XlsxExporter().write(case, tmp_path / "out.xlsx")
        assert any("findings: left out" in loss for loss in report["losses"])
        sheet = load_workbook(tmp_path / "out.xlsx", read_only=True)["Findings"]
        assert "Informant" not in " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c)


# ---------------------------------------------------------------------------------- formulas in CSV

FORMULA_NAMES = ['=HYPERLINK("http://example.invalid","click")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
                 "@SUM(1+1)*cmd|' /C calc'!A0", "'=already marked"]


def test_statements_csv_never_hands_a_spreadsheet_a_formula(tmp_path, monkeypatch):
    import csv

    monkeypatch.chdir(tmp_path)
    lines = [{"id": f"p{k}", "schema": "Person", "properties": {"name": [name], "phone": ["+971500000999"]}}
             for k, name in enumerate(FORMULA_NAMES)]
    lines.append({"id": "-minus-id", "schema": "Address", "properties": {"full": ["=1+1"], "latitude": ["-33.86"]}})
    (tmp_path / "people.ftm.json").write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    runner = CliRunner()
    for args in (["new", "x"], ["import", "x.wbcase", "people.ftm.json"],
                 ["export", "x.wbcase", "out.statements.csv", "--format", "ftm-statements"]):
        result = runner.invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
    assert "13 cells starting with =, +, - or @ written with a ' in front" in result.output
    with open(tmp_path / "out.statements.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "@", "+", "-") and cell not in ("+971500000999", "-33.86")]
    values = {row[rows[0].index("value")] for row in rows[1:]}
    assert {"'" + name for name in FORMULA_NAMES} <= values
    assert {"'-minus-id", "'=1+1", "+971500000999", "-33.86"} <= values | {row[1] for row in rows[1:]}
    # The workbench's own importer takes the marks off again: the values come back as they were.
    result = runner.invoke(main, ["new", "back"], catch_exceptions=False)
    result = runner.invoke(main, ["import", "back.wbcase", "out.statements.csv"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with Case.open(tmp_path / "x.wbcase") as before, Case.open(tmp_path / "back.wbcase") as after:
        assert entities_of(after) == entities_of(before)
        assert sorted(entities_of(after)["p0"][1]["name"]) == [FORMULA_NAMES[0]]


def test_audit_log_csv_never_hands_a_spreadsheet_a_formula(tmp_path, monkeypatch):
    import csv

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WORKBENCH_ANALYST", "=HYPERLINK(\"http://example.invalid\")")
    runner = CliRunner()
    assert runner.invoke(main, ["new", "x"], catch_exceptions=False).exit_code == 0
    result = runner.invoke(main, ["audit", "x.wbcase", "--export", "log.csv"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with open(tmp_path / "log.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and all(row["actor"] == "'=HYPERLINK(\"http://example.invalid\")" for row in rows)


def test_amounts_and_dates_are_typed_cells_that_sum_and_sort(demo, tmp_path):
    """Amounts are numbers and dates are dates in the workbook (openpyxl reads them back as such),
    so an analyst can sum a Payment sheet's amounts or sort shipments by date; what Excel could
    not hold exactly stays text as written."""
    demo.add_facts(
        [{"id": "odd-payment", "schema": "Payment",
          "properties": {"payer": ["demo-co-tekhsnab-vostralin"], "beneficiary": ["demo-co-karadeniz-elektronik"],
                         "amount": ["12345678901234567890"], "date": ["2023-05"]}},
         {"id": "old-person", "schema": "Person", "properties": {"name": ["Old Timer"], "birthDate": ["1899-12-30"]}},
         {"id": "decimal-payment", "schema": "Payment",
          "properties": {"payer": ["demo-co-tekhsnab-vostralin"], "beneficiary": ["demo-co-karadeniz-elektronik"],
                         "amount": ["1500.25"], "date": ["2023-06-01T10:15:30"]}}],
        note="typed-cell test",
    )
    path = tmp_path / "typed.xlsx"
    XlsxExporter().write(demo, path)
    workbook = load_workbook(path)
    sheet = workbook["Payment"]
    header = [cell.value for cell in sheet[1]]
    rows = {row[0].value: dict(zip(header, row)) for row in sheet.iter_rows(min_row=2)}
    demo_amounts = [row["amount"] for key, row in rows.items() if key.startswith("demo-")]
    assert demo_amounts and all(cell.data_type == "n" and isinstance(cell.value, (int, float)) for cell in demo_amounts)
    assert all(cell.number_format == "#,##0.00" for cell in demo_amounts)
    total = sum(cell.value for cell in demo_amounts)
    expected = sum(float(p.first("amount")) for p in (demo.entity(k) for k in rows if k.startswith("demo-")))
    assert total == expected
    dates = [row["date"] for key, row in rows.items() if key.startswith("demo-")]
    assert all(cell.is_date and isinstance(cell.value, datetime) for cell in dates)
    assert rows["decimal-payment"]["amount"].value == 1500.25
    assert rows["decimal-payment"]["date"].value == datetime(2023, 6, 1, 10, 15, 30)
    # Too many digits for a double, and a date without a day: text, as written.
    assert rows["odd-payment"]["amount"].value == "12345678901234567890"
    assert rows["odd-payment"]["date"].value == "2023-05"
    shipments = workbook["Shipment"]
    header = [cell.value for cell in shipments[1]]
    quantity = [dict(zip(header, row))["quantity"] for row in shipments.iter_rows(min_row=2)]
    assert all(cell.data_type == "n" for cell in quantity if cell.value is not None)
    people = workbook["Person"]
    header = [cell.value for cell in people[1]]
    born = {row[0].value: dict(zip(header, row))["birthDate"].value for row in people.iter_rows(min_row=2)}
    assert born["old-person"] == "1899-12-30"  # before Excel's first date
    assert born["demo-person-arkady-veltsin"] == datetime(1961, 4, 17)
    # The typed cells read back into Workbench as the text that went out.
    back = reimport(tmp_path, path, "typed-back")
    assert entities_of(back) == entities_of(demo)
