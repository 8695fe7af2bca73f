import json
import sqlite3
import subprocess
import sys

import pytest

from workbench import __version__


def test_version(run):
    result = run("--version")
    assert result.exit_code == 0 and __version__ in result.output


def test_python_dash_m_works_like_the_console_script():
    result = subprocess.run([sys.executable, "-m", "workbench", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and __version__ in result.stdout


def test_new_then_info(run):
    assert run("new", "case").exit_code == 0
    result = run("info", "case.wbcase")
    assert result.exit_code == 0
    assert "0 entities" in result.output


def test_demo_then_info_shows_the_demo_network(run, tmp_path):
    result = run("demo")
    assert result.exit_code == 0, result.output
    assert "Shipment" in result.output
    info = json.loads(run("info", "demo.wbcase", "--json").output)
    assert 40 <= info["entities"] <= 80
    by_schema = info["entities_by_schema"]
    for schema in ("Company", "Person", "Payment", "Shipment", "Ownership", "Directorship", "BankAccount"):
        assert by_schema.get(schema, 0) > 0, schema
    assert info["sources"][0]["file_name"] == "demo.ftm.json"
    assert info["sources"][0]["grade"] == "B2"
    assert len(info["sources"][0]["sha256"]) == 64


def test_demo_refuses_to_overwrite_without_force(run):
    assert run("demo").exit_code == 0
    again = run("demo")
    assert again.exit_code == 4 and "--force" in again.output
    assert run("demo", "--force").exit_code == 0


def test_demo_force_never_deletes_a_file_that_is_not_a_case(run, tmp_path):
    (tmp_path / "thesis.wbcase").write_text("my thesis")
    result = run("demo", "thesis.wbcase", "--force")
    assert result.exit_code == 5
    assert (tmp_path / "thesis.wbcase").read_text() == "my thesis"


@pytest.mark.parametrize(
    "make, code, message",
    [
        (lambda p: None, 3, "no such case file"),
        (lambda p: p.write_text("hello"), 5, "not an SQLite database"),
        (lambda p: sqlite3.connect(p).execute("CREATE TABLE x (y)").connection.commit(), 5, "not a Workbench case"),
    ],
)
def test_bad_case_files_give_one_line_and_an_exit_code(run, tmp_path, make, code, message):
    path = tmp_path / "bad.wbcase"
    make(path)
    before = path.read_bytes() if path.exists() else None
    result = run("info", path)
    assert result.exit_code == code
    assert message in result.output
    assert "Traceback" not in result.output
    assert (path.read_bytes() if path.exists() else None) == before


def test_plugins_lists_the_builtin_ftm_importer(run):
    result = run("plugins")
    assert result.exit_code == 0
    assert "ftm-json" in result.output and "importer" in result.output


def test_import_with_mapping_then_reimport_is_skipped(run, tmp_path, shared_data):
    tx = shared_data / "amlsim" / "tx.csv"
    assert run("new", "case").exit_code == 0
    assert run("mapping", "draft", tx, "-o", "tx.yml").exit_code == 0
    result = run("import", "case.wbcase", tx, "--mapping", "tx.yml", "--grade", "C3", "--save-mapping", "amlsim")
    assert result.exit_code == 0, result.output
    assert "45 Payment" in result.output and "[C3]" in result.output
    again = run("import", "case.wbcase", tx, "--mapping", "amlsim", "--grade", "C3")
    assert again.exit_code == 0 and "skipped, already imported as source #1" in again.output
    info = json.loads(run("info", "case.wbcase", "--json").output)
    assert info["entities_by_schema"]["Payment"] == 45 and len(info["sources"]) == 1


def test_import_failure_exits_nonzero_and_keeps_the_case(run, tmp_path, shared_data):
    assert run("new", "case").exit_code == 0
    bad = tmp_path / "bad.ftm.json"
    bad.write_text('{"id": "a", "schema": "Company", "properties": {"name": ["A"]}}\n{"id": "b", "schema": \n')
    good = shared_data / "ftm" / "eu_fsf_sample.ftm.json"
    result = run("import", "case.wbcase", bad, good)
    assert result.exit_code == 12
    assert "bad.ftm.json line 2: not valid JSON" in result.output
    assert "not imported; the case is unchanged" in result.output
    info = json.loads(run("info", "case.wbcase", "--json").output)
    assert [s["file_name"] for s in info["sources"]] == ["eu_fsf_sample.ftm.json"]  # the good file still went in


def test_import_rejects_a_bad_grade(run):
    run("new", "case")
    result = run("import", "case.wbcase", "x.csv", "--grade", "Z9")
    assert result.exit_code == 2 and "A-F" in result.output


@pytest.fixture
def demo(run):
    assert run("demo").exit_code == 0
    return "demo.wbcase"


def test_path_time_ordered_through_the_uae_front(run, demo):
    result = run("path", demo, "Rheinfeld", "demo-co-tekhsnab-vostralin", "--time-ordered", "--link", "Shipment")
    assert result.exit_code == 0, result.output
    assert "Atlas Crest General Trading FZE" in result.output
    steps = json.loads(run("path", demo, "Rheinfeld", "demo-co-tekhsnab-vostralin", "--time-ordered",
                           "--link", "Shipment", "--json").output)[0]
    assert [s["date"] for s in steps] == sorted(s["date"] for s in steps)


def test_path_reports_ambiguous_names(run, demo):
    result = run("path", demo, "Atlas Crest", "Rheinfeld")
    assert result.exit_code == 1 and "matches several entities" in result.output


def test_flows_pairs_totals_and_trace(run, demo):
    pairs = json.loads(run("flows", demo, "--json", "--top", "3").output)
    assert len(pairs) == 3 and pairs[0]["total"] >= pairs[1]["total"]
    money = json.loads(run("flows", demo, "demo-co-atlas-crest-trading", "--json").output)
    assert money["USD"]["in"] > 0 and money["USD"]["out"] > 0
    trace = run("flows", demo, "demo-co-karadeniz-elektronik", "--trace", "forward")
    assert trace.exit_code == 0 and "Rheinfeld" in trace.output


def test_owners_applies_the_50_percent_rule_and_finds_ultimate_owners(run, demo):
    blocked = json.loads(run("owners", demo, "--listed", "--json").output)
    assert blocked["demo-co-brightwave-components"]["share"] == pytest.approx(0.51)
    result = run("owners", demo, "demo-co-atlas-crest-trading")
    assert result.exit_code == 0 and "Arkady Vasilyevich Veltsin" in result.output and "100.0%" in result.output


def test_layout_saves_positions_and_keeps_pins(run, demo):
    from workbench.store import Case

    with Case.open(demo) as case:
        case.set_chart_items({"demo-co-atlas-crest-trading": {"x": 1234.0, "y": -55.0, "pinned": 1}})
    result = run("layout", demo, "--fresh")
    assert result.exit_code == 0 and "1 pinned" in result.output
    with Case.open(demo, readonly=True) as case:
        atlas = case.chart_item("demo-co-atlas-crest-trading")
        assert (atlas["x"], atlas["y"]) == (1234.0, -55.0)
        assert case.chart_item("demo-co-gulfstar-logistics")["x"] is not None
        assert case.undo_label() == "Layout (force)"


def test_match_lists_candidates_with_reasons_and_respects_decisions(run, demo, shared_data):
    assert run("import", demo, shared_data / "un" / "un_consolidated_sample.xml").exit_code == 0
    found = json.loads(run("match", demo, "--threshold", "0.5", "--json").output)
    pair = next(c for c in found if c["left_id"] == "demo-co-tekhsnab-vostralin")
    assert pair["right_id"] == "demo-org-vostralin-institute" and pair["explanation"]
    assert run("match", demo, "--decide", pair["left_id"], pair["right_id"], "different",
               "--reason", "procurement arm, not the institute").exit_code == 0
    again = json.loads(run("match", demo, "--threshold", "0.5", "--json").output)
    assert not any(c["left_id"] == pair["left_id"] and c["right_id"] == pair["right_id"] for c in again)


def test_import_can_skip_bad_elements_and_lists_them(run, tmp_path):
    graph = tmp_path / "bad.graphml"
    graph.write_text('<?xml version="1.0"?>\n<graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
                     '<graph edgedefault="directed"><node id="a"/><node id="b"/>'
                     '<edge id="e1" source="a" target="b"/><edge id="e2" source="a" target="zz"/></graph></graphml>\n')
    run("new", "case")
    stopped = run("import", "case.wbcase", graph)
    assert stopped.exit_code == 12 and "names node 'zz'" in stopped.output
    kept = run("import", "case.wbcase", graph, "--option", "on_error=skip")
    assert kept.exit_code == 0 and "brought in differently or left out (1)" in kept.output and "edge 'e2'" in kept.output


@pytest.mark.parametrize("format_name, suffix", [("gexf", "gexf"), ("graphml", "graphml"), ("ftm", "ftm.json"),
                                                 ("xlsx", "xlsx"), ("anx", "anx"), ("mtgx", "mtgx")])
def test_export_then_import_into_a_new_case_keeps_every_entity(run, demo, format_name, suffix):
    out = f"demo-out.{suffix}"
    result = run("export", demo, out, "--format", format_name)
    assert result.exit_code == 0, result.output
    assert "not carried:" in result.output  # every format says what it loses
    assert run("new", "copy").exit_code == 0
    assert run("import", "copy.wbcase", out).exit_code == 0
    original = json.loads(run("info", demo, "--json").output)["entities_by_schema"]
    copied = json.loads(run("info", "copy.wbcase", "--json").output)["entities_by_schema"]
    assert copied == original


def test_export_rejects_unknown_options(run, demo):
    result = run("export", demo, "x.gexf", "--format", "gexf", "--option", "colour=blue")
    assert result.exit_code == 1 and "has no parameter 'colour'" in result.output


def test_detect_runs_the_red_flags_on_the_demo_and_keeps_marks(run, demo):
    result = run("detect", demo)
    assert result.exit_code == 0, result.output
    assert "transshipment-reexport" in result.output and "ERROR" not in result.output
    report = json.loads(run("detect", demo, "--only", "transshipment-reexport", "--json").stdout)
    finding = next(f for f in report["findings"] if "demo-shp-02-atlas-crest-tekhsnab" in f["evidence"]["facts"])
    assert "9 days after importing" in finding["explanation"]
    assert finding["entity_names"]["demo-co-atlas-crest-trading"] == "Atlas Crest General Trading FZE"
    assert run("finding", demo, str(finding["id"]), "--dismiss").exit_code == 1  # a reason is required
    assert run("finding", demo, str(finding["id"]), "--dismiss", "--reason", "licensed re-export").exit_code == 0
    run("detect", demo, "--only", "transshipment-reexport", "--param", "transshipment-reexport.days=20")
    kept = json.loads(run("findings", demo, "--status", "dismissed", "--json").output)
    assert [f["id"] for f in kept] == [finding["id"]] and kept[0]["parameters"]["days"] == 20


def test_export_deidentify_keeps_names_of_persons_out(run, demo, tmp_path):
    key = tmp_path / "keys" / "demo.key.json"
    key.parent.mkdir()
    result = run("export", demo, "shared.ftm.json", "--format", "ftm", "--deidentify", "--key", key)
    assert result.exit_code == 0, result.output
    text = (tmp_path / "shared.ftm.json").read_text()
    assert "Veltsin" not in text and "Atlas Crest General Trading FZE" in text
    assert key.exists()
    audit = run("audit", demo, "--verify")
    assert audit.exit_code == 0, audit.output


def test_info_refuses_a_named_pipe_without_reading_it(run, tmp_path):
    import os
    import threading

    fifo = tmp_path / "pipe.wbcase"
    os.mkfifo(fifo)
    # A writer waits at the other end: were the pipe read, it would get bytes that are no case.
    writer = threading.Thread(target=lambda: fifo.write_bytes(b"not a case"), daemon=True)
    writer.start()
    try:
        result = run("info", fifo)
    finally:
        reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # lets the writer finish if nobody read
        writer.join()
        os.close(reader)
    assert result.exit_code == 5
    assert f"{fifo}: a named pipe (FIFO), not a case file" in result.output


def test_new_refuses_a_dangling_link_and_creates_nothing_behind_it(run, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    target = tmp_path / "elsewhere" / "target.wbcase"
    (tmp_path / "x.wbcase").symlink_to(target)
    result = run("new", "x")
    assert result.exit_code == 4
    assert f"x.wbcase: a link to {target}, which does not exist" in result.output
    assert not target.exists() and not list((tmp_path / "elsewhere").iterdir())


def test_import_refuses_a_named_pipe_without_reading_it(run, tmp_path):
    import os
    import threading

    assert run("new", "case").exit_code == 0
    fifo = tmp_path / "feed.ftm.json"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(b'{"id": "p", "schema": "Person"}\n'), daemon=True)
    writer.start()
    try:
        result = run("import", "case.wbcase", fifo)
    finally:
        reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        writer.join()
        os.close(reader)
    assert result.exit_code == 12
    assert f"{fifo}: a named pipe (FIFO); import a saved copy of it" in result.output


def test_findings_name_their_evidence_not_its_ids(run, demo):
    assert run("detect", demo).exit_code == 0
    result = run("findings", demo)
    assert result.exit_code == 0, result.output
    evidence = [line for line in result.output.splitlines() if line.strip().startswith("evidence:")]
    assert evidence and not any("demo-" in line for line in evidence), evidence[:3]
    assert any("Ownership: Arkady Vasilyevich Veltsin → Brightwave Components Limited 26%" in line for line in evidence)
    assert "demo-" in run("findings", demo, "--json").output  # the ids stay available
