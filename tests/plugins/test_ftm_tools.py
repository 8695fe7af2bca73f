"""Our FtM export read by FollowTheMoney's own tools: `ftm validate`, `ftm aggregate`, `ftm export-gexf`.

The tools run in a subprocess, so they load FtM's model alone, as they do on a partner's machine
(Workbench's own schemata are loaded only where Workbench is imported). The demo and a training
case with end-use documents are exported with default settings; every entity must come through
each tool, and the file must come back into Workbench as the case it came from.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree

import pytest

from workbench.demo import build_demo_case
from workbench.importing import import_file
from workbench.store import Case
from workbench.training.generator import generate, write_case
from workbench_plugins.interchange.excel_ftm import FtmExporter

FTM = [sys.executable, "-c", "import sys; from followthemoney.cli.cli import cli; sys.exit(cli())"]


def ftm(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([*FTM, *map(str, args)], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ftm-tools")
    demo = build_demo_case(folder / "demo.wbcase")
    demo.close()
    case_path, _ = write_case(generate("paper-trail", seed=3), folder / "paper-trail.wbcase")
    return {"demo": folder / "demo.wbcase", "paper-trail": Path(case_path)}


def lines_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def export(case_path: Path, out: Path, **options) -> dict:
    with Case.open(case_path) as case:
        return FtmExporter(**options).write(case, out)


@pytest.mark.parametrize("name", ["demo", "paper-trail"])
def test_ftm_validate_and_aggregate_accept_the_export(cases, tmp_path, name):
    out = tmp_path / f"{name}.ftm.json"
    report = export(cases[name], out)
    written = lines_of(out)
    schemata = Counter(line["schema"] for line in written)
    assert "Shipment" not in schemata and "EndUseDocument" not in schemata
    assert schemata["EconomicActivity"] > 0
    assert any("EconomicActivity" in loss for loss in report["losses"])  # the export says what it did

    validated = tmp_path / "validated.ftm.json"
    result = ftm("validate", "-i", out, "-o", validated)
    assert result.returncode == 0, result.stderr[-2000:]
    checked = {line["id"]: line for line in lines_of(validated)}
    assert len(checked) == len(written)
    # FtM's cleaning keeps every value we wrote: nothing was invalid for its types.
    for line in written:
        assert checked[line["id"]]["schema"] == line["schema"]
        for prop, values in line["properties"].items():
            assert sorted(checked[line["id"]]["properties"].get(prop, [])) == sorted(values), (line["id"], prop)

    aggregated = tmp_path / "aggregated.ftm.json"
    result = ftm("aggregate", "-i", out, "-o", aggregated)
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(lines_of(aggregated)) == len(written)


def test_ftm_export_gexf_draws_shipments_between_their_parties(cases, tmp_path):
    out = tmp_path / "demo.ftm.json"
    export(cases["demo"], out)
    gexf = tmp_path / "demo.gexf"
    result = ftm("export-gexf", "-i", out, "-o", gexf)
    assert result.returncode == 0, result.stderr[-2000:]
    graph = ElementTree.parse(gexf).getroot().find("{*}graph")
    nodes = {node.get("id") for node in graph.iter() if node.tag.endswith("}node")}
    edges = [(e.get("source"), e.get("target")) for e in graph.iter() if e.tag.endswith("}edge")]
    assert nodes and edges
    # A shipment (now an EconomicActivity node) is tied to its exporter (sender) and consignee (receiver).
    # FtM names graph nodes "entity:<id>".
    shipment = "entity:demo-shp-01-rheinfeld-atlas-crest"
    ends = {a for a, b in edges if b == shipment} | {b for a, b in edges if a == shipment}
    assert shipment in nodes
    assert {"entity:demo-co-rheinfeld-elektronik", "entity:demo-co-atlas-crest-trading"} <= ends
    assert len([n for n in nodes if n.startswith("entity:demo-shp-")]) == 10


@pytest.mark.parametrize("name", ["demo", "paper-trail"])
def test_the_standard_export_comes_back_as_the_case_it_came_from(cases, tmp_path, name):
    out = tmp_path / f"{name}.ftm.json"
    export(cases[name], out)
    # Through FtM's own aggregate first: the file another tool hands back still restores.
    aggregated = tmp_path / "aggregated.ftm.json"
    assert ftm("aggregate", "-i", out, "-o", aggregated).returncode == 0
    for path in (out, aggregated):
        with Case.create(tmp_path / f"back-{path.stem}.wbcase") as back, Case.open(cases[name]) as original:
            outcome = import_file(back, path)
            assert outcome.importer_id == "ftm-json"
            assert back.counts_by_schema() == original.counts_by_schema()
            shipment = next(iter(original.conn.execute("SELECT id FROM entities WHERE schema = 'Shipment'")))[0]
            assert back.entity(shipment).to_dict()["properties"] == original.entity(shipment).to_dict()["properties"]


def test_keep_writes_workbench_types_and_says_ftm_tools_refuse_them(cases, tmp_path):
    out = tmp_path / "kept.ftm.json"
    report = export(cases["demo"], out, workbench_schemata="keep")
    assert Counter(line["schema"] for line in lines_of(out))["Shipment"] == 10
    assert any("ftm validate" in loss and "do not know them" in loss for loss in report["losses"])
    result = ftm("validate", "-i", out, "-o", tmp_path / "v.json")
    assert result.returncode != 0  # as the loss says: FtM's tools stop on Workbench's own types


def test_a_shipment_in_standard_form(cases, tmp_path):
    out = tmp_path / "demo.ftm.json"
    export(cases["demo"], out)
    lines = {line["id"]: line for line in lines_of(out)}
    shipment = lines["demo-shp-02-atlas-crest-tekhsnab"]
    props = shipment["properties"]
    assert shipment["schema"] == "EconomicActivity"
    assert props["sender"] == ["demo-co-atlas-crest-trading"]
    assert props["receiver"] == ["demo-co-tekhsnab-vostralin"]
    assert props["transport"] == ["demo-vessel-kestrel-horizon"]
    assert props["vedCode"] == ["854232"] and props["invoiceAmount"] == ["402000 USD"]
    description = props["description"][0].splitlines()
    assert "Freight forwarder: Gulfstar Freight & Logistics FZCO (demo-co-gulfstar-logistics)" in description
    assert "Transit countries: eg; tr" in description
    assert "Gulfstar Freight & Logistics FZCO" in props["namesMentioned"]
    document = lines["demo-eud-atlas-crest-2023-007"]
    assert document["schema"] == "Document"
    assert document["properties"]["title"] == ["End-use document ACGT-EUC-2023-007"]
    roles = {line["properties"]["role"][0]: line["properties"]["entity"][0]
             for line in lines.values() if line["schema"] == "Documentation"}
    assert roles == {"issuer": "demo-co-atlas-crest-trading", "stated end user": "demo-co-atlas-crest-trading"}


def test_statements_export_names_the_workbench_types_ftm_tools_do_not_know(cases, tmp_path):
    out = tmp_path / "demo.statements.json"
    with Case.open(cases["demo"]) as case:
        report = FtmExporter(statements=True).write(case, out)
    assert any(loss.startswith("1 EndUseDocument, 10 Shipment: Workbench's own types") for loss in report["losses"])
