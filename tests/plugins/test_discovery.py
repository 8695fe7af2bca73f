import pytest
from click.testing import CliRunner

from workbench.cli import main
from workbench.importing import import_file
from workbench.model import SourceInfo
from workbench.plugin_api import ParameterError, choose_importer, discover_plugins
from workbench.store import Case


def by_id(found):
    return {info.plugin.id: info for info in found if info.ok}


def test_documented_examples_load_from_the_user_folder(plugin_dir):
    found = by_id(discover_plugins())
    assert found["example-watchlist"].plugin.kind == "importer"
    assert found["example-round-amounts"].plugin.kind == "detector"
    assert found["example-watchlist"].origin.startswith("user folder")
    assert found["ftm-json"].origin == "built-in"


def test_example_importer_imports_and_example_detector_finds(plugin_dir, tmp_path):
    watchlist = tmp_path / "people.watchlist.txt"
    watchlist.write_text("# analyst's list\nAtlas Crest General Trading | United Arab Emirates\nOleg Prytkin | RU\n")
    assert choose_importer(watchlist).id == "example-watchlist"
    with Case.create(tmp_path / "case.wbcase") as case:
        import_file(case, watchlist)
        names = {e.first("name"): e for e in case.entities("LegalEntity")}
        assert names["Atlas Crest General Trading"].get("country") == ["ae"]
        assert names["Oleg Prytkin"].get("topics") == ["poi"]
        case.ingest(
            [
                {"id": "p1", "schema": "Payment", "properties": {"payer": ["a"], "beneficiary": ["b"], "amount": ["50000"]}},
                {"id": "p2", "schema": "Payment", "properties": {"payer": ["a"], "beneficiary": ["b"], "amount": ["50001"]}},
            ],
            SourceInfo(file_name="pay.csv"),
        )
        detector = by_id(discover_plugins())["example-round-amounts"].plugin
        findings = list(detector().run(case))
        assert [f["evidence"] for f in findings] == [["p1"]]
        # A parameter typed as text (as on the command line) is converted: 50001 = 7 * 7143.
        assert [f["evidence"] for f in detector(multiple="7").run(case)] == [["p2"]]
        with pytest.raises(ParameterError, match="at least 1"):
            detector(multiple=0)


def test_broken_plugins_are_reported_and_skipped(plugin_dir):
    (plugin_dir / "broken_syntax.py").write_text("def oops(:\n")
    (plugin_dir / "raises_on_import.py").write_text("raise RuntimeError('licence server unreachable')\n")
    (plugin_dir / "no_plugins.py").write_text("X = 1\n")
    (plugin_dir / "duplicate.py").write_text(
        "from workbench.plugin_api import Importer\n"
        "class Dup(Importer):\n    id = 'ftm-json'\n    label = 'impostor'\n"
    )
    found = discover_plugins()
    errors = {info.name: info.error for info in found if not info.ok}
    assert "SyntaxError" in errors["broken_syntax"]
    assert "licence server unreachable" in errors["raises_on_import"]
    assert "defines no plugin class" in errors["no_plugins"]
    assert "already taken by the plugin from built-in" in errors["ftm-json"]
    # The others still load.
    assert {"example-watchlist", "example-round-amounts", "ftm-json"} <= set(by_id(found))


def test_plugins_command_shows_origin_and_failures(plugin_dir):
    (plugin_dir / "raises_on_import.py").write_text("raise RuntimeError('licence server unreachable')\n")
    result = CliRunner().invoke(main, ["plugins"])
    assert result.exit_code == 0
    assert "example-watchlist" in result.output and "user folder" in result.output
    assert "FAILED" in result.output and "licence server unreachable" in result.output


def test_unknown_parameter_is_named():
    from workbench_plugins.importers.ftm_json import FtmJsonImporter

    with pytest.raises(ParameterError, match="has no parameter 'delimiter'"):
        FtmJsonImporter(delimiter=";")
