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


def _counting_plugin(folder, name="counting.py", plugin_id="example-counting"):
    """A user plugin file that notes each time it is run, in ``<name>.runs`` beside it."""
    runs = folder / f"{name}.runs"
    (folder / name).write_text(
        "from pathlib import Path\n"
        "from workbench.plugin_api import Detector\n"
        f"with open({str(runs)!r}, 'a') as note:\n"
        "    note.write('run\\n')\n"
        "class Counting(Detector):\n"
        f"    id = {plugin_id!r}\n"
        "    def run(self, case):\n"
        "        return iter(())\n"
    )
    return lambda: len(runs.read_text().splitlines()) if runs.exists() else 0


def test_a_user_plugin_file_runs_once_however_often_plugins_are_looked_for(plugin_dir):
    from workbench.plugin_api import detectors, find_plugin, importers, reload_plugins

    runs = _counting_plugin(plugin_dir)
    first = discover_plugins()
    detectors(), importers(), find_plugin("example-counting"), discover_plugins()
    assert runs() == 1
    # The same classes every time, so what one caller found is what the next one gets.
    assert by_id(discover_plugins())["example-counting"].plugin is by_id(first)["example-counting"].plugin
    reload_plugins()
    assert "example-counting" in by_id(discover_plugins())
    assert runs() == 2
    discover_plugins()
    assert runs() == 2


def test_a_changed_or_new_plugin_file_is_found_without_a_reload(plugin_dir):
    runs = _counting_plugin(plugin_dir)
    discover_plugins()
    assert runs() == 1
    # Saved again with another id: run again, and the new id replaces the old.
    _counting_plugin(plugin_dir, plugin_id="example-counting-renamed")
    found = by_id(discover_plugins())
    assert runs() == 2
    assert "example-counting-renamed" in found and "example-counting" not in found
    other_runs = _counting_plugin(plugin_dir, name="another.py", plugin_id="example-another")
    assert "example-another" in by_id(discover_plugins())
    assert other_runs() == 1 and runs() == 2


def test_a_shadowed_plugin_is_reported_on_every_discovery(plugin_dir):
    (plugin_dir / "duplicate.py").write_text(
        "from workbench.plugin_api import Importer\n"
        "class Dup(Importer):\n    id = 'ftm-json'\n    label = 'impostor'\n"
    )
    for _ in range(2):
        errors = {info.name: info.error for info in discover_plugins() if not info.ok}
        assert "already taken by the plugin from built-in" in errors["ftm-json"]
        # The built-in keeps its place: one caller's list never marks another's plugins.
        assert by_id(discover_plugins())["ftm-json"].origin == "built-in"
