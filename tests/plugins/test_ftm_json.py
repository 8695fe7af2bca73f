import json

import pytest

from casefiles import dump
from workbench.importing import import_file
from workbench.plugin_api import SourceFormatError, choose_importer
from workbench.store import Case
from workbench_plugins.importers.ftm_json import FtmJsonImporter


@pytest.fixture
def sample(shared_data):
    return shared_data / "ftm" / "eu_fsf_sample.ftm.json"


def test_opensanctions_stream_keeps_topics_datasets_and_referents(case, sample):
    assert choose_importer(sample) is FtmJsonImporter
    outcome = import_file(case, sample)
    lines = [json.loads(line) for line in sample.read_text().splitlines() if line.strip()]
    assert outcome.report.entities == len(lines)
    inter_tobacco = case.entity("NK-2GdmHtZTeNXjNVrBGEXZNj")
    assert inter_tobacco.get("topics") == ["sanction"]
    assert inter_tobacco.get("country") == ["by"]
    # Referents are the ids other publishers gave the same party: they resolve here.
    assert case.resolve("ofac-32733") == "NK-2GdmHtZTeNXjNVrBGEXZNj"
    assert case.entity("eu-fsf-eu-8282-49").id == "NK-2GdmHtZTeNXjNVrBGEXZNj"
    extra = case.conn.execute(
        "SELECT extra FROM records WHERE entity_id = 'NK-2GdmHtZTeNXjNVrBGEXZNj'"
    ).fetchone()[0]
    assert json.loads(extra)["datasets"] == ["eu_fsf"]
    assert case.statements(inter_tobacco.id)[0]["locator"] == "eu_fsf_sample.ftm.json line 1"


def test_bad_json_line_is_named_and_nothing_is_written(case, sample, tmp_path):
    broken = tmp_path / "broken.ftm.json"
    lines = sample.read_text().splitlines()
    broken.write_text("\n".join(lines[:3] + [lines[3][:40]] + lines[4:]) + "\n")
    before = dump(case.path)
    with pytest.raises(SourceFormatError, match=r"broken\.ftm\.json line 4: not valid JSON"):
        import_file(case, broken, importer_id="ftm-json")
    assert dump(case.path) == before


def test_unknown_schema_is_named(case, tmp_path):
    path = tmp_path / "odd.ftm.json"
    path.write_text('{"id": "x", "schema": "Spaceship", "properties": {}}\n')
    with pytest.raises(SourceFormatError, match=r"odd\.ftm\.json line 1"):
        import_file(case, path, importer_id="ftm-json")


# ---------------------------------------------------------------------------------- damaged files on the command line


@pytest.fixture
def damaged(sample, tmp_path):
    """Two damaged copies of the real sample: a latin-1 byte past the first 8 KB, and a line
    nested deeper than any JSON reader recurses."""
    text = sample.read_bytes().rstrip(b"\n") + b"\n"
    padding = b"".join(b'{"id":"pad-%d","schema":"Person","properties":{"name":["Padding Person %d"]}}\n' % (k, k)
                       for k in range(20))
    latin1 = tmp_path / "latin1.ftm.json"
    latin1.write_bytes(text + padding + b'{"id":"jose","schema":"Person","properties":{"name":["Jos\xe9 Mart\xednez"]}}\n')
    assert latin1.read_bytes().index(b"\xe9") > 8192
    latin1_line = latin1.read_bytes().count(b"\n")
    first = text.splitlines()[0]
    nested = tmp_path / "nested.ftm.json"
    nested.write_bytes(first + b'\n{"id":"deep","schema":"Person","properties":{"notes":'
                       + b"[" * 200_000 + b"]" * 200_000 + b"}}\n")
    return latin1, latin1_line, nested


def test_damaged_files_are_named_and_the_next_files_still_import(damaged, sample, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from workbench.cli import main

    latin1, latin1_line, nested = damaged
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(main, ["new", "x"]).exit_code == 0
    result = runner.invoke(main, ["import", "x.wbcase", str(latin1), str(nested), str(sample)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 12, result.output
    output = " ".join(result.output.split())
    assert (f"latin1.ftm.json line {latin1_line}: not UTF-8 text (byte 0xe9 at column 58); "
            "expected FtM JSON lines in UTF-8") in output
    assert "nested.ftm.json line 2: JSON nested too deeply to read; expected one FtM entity per line" in output
    assert f"{latin1}: not imported; the case is unchanged" in output
    assert f"{nested}: not imported; the case is unchanged" in output
    assert f"{sample}: imported with ftm-json as source #1" in output
    # Only the good file changed the case: nothing of the damaged files' readable lines came in.
    with Case.open(tmp_path / "x.wbcase", readonly=True) as case:
        assert case.info()["entities"] == 7 and len(case.info()["sources"]) == 1
        ids = {row[0] for row in case.conn.execute("SELECT id FROM entities")}
    assert not any(i.startswith(("pad-", "jose", "deep")) for i in ids)


def test_an_importer_that_crashes_is_named_and_the_case_stays_unchanged(case, sample, monkeypatch):
    """Whatever an importer raises, the host names the file and the importer, and writes nothing."""

    def crash(self, path):
        yield from ()
        raise KeyError("properties")

    monkeypatch.setattr(FtmJsonImporter, "read", crash)
    before = dump(case.path)
    with pytest.raises(SourceFormatError, match=r"eu_fsf_sample\.ftm\.json: the ftm-json importer failed "
                                                 r"\(KeyError: 'properties'\)"):
        import_file(case, sample)
    assert dump(case.path) == before


def test_an_importer_reading_text_that_is_not_utf8_gets_the_line_named(case, damaged, monkeypatch):
    """The host's net under every importer: a text-mode reader's UnicodeDecodeError names file and line."""
    latin1, latin1_line, _ = damaged

    def read_as_text(self, path):
        for line in path.open(encoding="utf-8"):
            yield from ()

    monkeypatch.setattr(FtmJsonImporter, "read", read_as_text)
    before = dump(case.path)
    with pytest.raises(SourceFormatError) as raised:
        import_file(case, latin1)
    assert str(raised.value) == (f"latin1.ftm.json line {latin1_line} (byte 0xe9 at column 58): not utf-8 text "
                                 "(invalid continuation byte); the ftm-json importer expects utf-8")
    assert dump(case.path) == before


def test_properties_ftm_does_not_know_are_named_in_the_import_summary(tmp_path):
    from click.testing import CliRunner

    from workbench.cli import main

    source = tmp_path / "people.ftm.json"
    source.write_text(
        '{"id": "p1", "schema": "Person", "properties": {"name": ["Ann Example"], "favouriteColour": ["blue"]}}\n'
        '{"id": "p2", "schema": "Person", "properties": {"name": ["Bob Example"], "favouriteColour": ["red"]}}\n',
        encoding="utf-8",
    )
    runner = CliRunner()
    assert runner.invoke(main, ["new", str(tmp_path / "case")]).exit_code == 0
    result = runner.invoke(main, ["import", str(tmp_path / "case.wbcase"), str(source)])
    assert result.exit_code == 0, result.output
    assert "favouriteColour" in result.output and "2 entities were not imported" in result.output
    assert "people.ftm.json line 1" in result.output
