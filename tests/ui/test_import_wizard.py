"""The import wizard and the plugins dialog on real widgets, with the real AMLSim sample."""

import os
from pathlib import Path

import pytest

from workbench.ui.app import wait_for_jobs
from workbench.ui.import_wizard import ImportWizard


@pytest.fixture
def window(demo_window):
    return demo_window


def test_wizard_proposes_previews_drafts_and_dry_runs(qtbot, shared_data):
    wizard = ImportWizard(shared_data / "amlsim" / "tx.csv")
    qtbot.addWidget(wizard)
    assert wizard.importer.currentData() == "mapped-table"
    assert wizard.preview.columnCount() == 8 and wizard.preview.rowCount() == 10
    assert "Payment" in wizard.mapping.toPlainText()
    result = wizard.dry_run()
    assert result["error"] is None and result["counts"]["Payment"] == 45
    wizard.mapping.setPlainText(wizard.mapping.toPlainText().replace("TXN_AMOUNT_ORIG", "NO_SUCH_COLUMN"))
    failed = wizard.dry_run()
    assert "NO_SUCH_COLUMN" in failed["error"] and "Would fail" in wizard.report.text()


def test_wizard_recognises_a_sanctions_list(qtbot, shared_data):
    wizard = ImportWizard(shared_data / "un" / "un_consolidated_sample.xml")
    qtbot.addWidget(wizard)
    assert wizard.importer.currentData() == "un-sc-xml"
    assert not wizard.mapping.isEnabled()
    assert wizard.dry_run()["counts"]["Sanction"] == 16


def test_import_in_a_worker_updates_the_window(window, shared_data):
    before = len(window.model.ids)
    window.import_file(shared_data / "un" / "un_consolidated_sample.xml", grade="A1")
    wait_for_jobs(window)
    assert "Imported un_consolidated_sample.xml" in window.last_notice
    assert len(window.model.ids) > before
    window.import_file(shared_data / "un" / "un_consolidated_sample.xml", grade="A1")
    wait_for_jobs(window)
    assert "already imported" in window.last_notice


def test_import_says_which_types_came_in_as_their_nearest(window):
    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "interchange" / "maltego3_transforms.mtgx"
    window.import_file(fixture)
    wait_for_jobs(window)
    notice = window.last_notice
    assert notice.startswith("Imported maltego3_transforms.mtgx: 21 entities")
    assert "brought in differently or left out: 1 Maltego entity of type 'acme.registry.Company'" in notice
    assert "(and 2 more)" in notice


def test_failed_import_leaves_the_case_unchanged(window, tmp_path):
    bad = tmp_path / "cut.ftm.json"
    bad.write_text('{"id": "x", "schema": "Company", "properties": {"name": ["X"]}}\n{"id": "y", "sch')
    before = window.case.counts_by_schema()
    window.import_file(bad, importer_id="ftm-json")
    wait_for_jobs(window)
    assert "Not imported; the case is unchanged" in window.last_notice
    assert window.case.counts_by_schema() == before


def test_plugins_dialog_lists_plugins_and_origins(window):
    window.plugins_dialog()
    tree = window.plugins_tree
    rows = [[tree.topLevelItem(i).text(c) for c in range(5)] for i in range(tree.topLevelItemCount())]
    assert any(row[0] == "FollowTheMoney JSON lines" and row[3] == "built-in" and row[4] == "loaded" for row in rows)


def test_reload_in_the_plugins_dialog_runs_a_changed_plugin_file_again(window, tmp_path, monkeypatch, qtbot):
    from PySide6.QtCore import Qt

    folder = tmp_path / "plugins"
    folder.mkdir()
    monkeypatch.setenv("WORKBENCH_PLUGIN_DIR", str(folder))
    runs = folder / "runs.txt"

    def write_plugin(label):
        (folder / "mine.py").write_text(
            "from workbench.plugin_api import Detector\n"
            f"open({str(runs)!r}, 'a').write('run\\n')\n"
            f"class Mine(Detector):\n    id = 'my-detector'\n    label = {label!r}\n"
            "    def run(self, case):\n        return iter(())\n"
        )

    def listed():
        tree = window.plugins_tree
        return [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]

    write_plugin("My detector")
    window.plugins_dialog()
    window.plugins_dialog()
    assert "My detector" in listed() and runs.read_text().count("run") == 1
    # The analyst edits the file in place, keeping its size and time (an editor that restores
    # them, a copy over the network): only Reload runs it again.
    stat = (folder / "mine.py").stat()
    write_plugin("My detectoR")
    os.utime(folder / "mine.py", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    window.plugins_dialog()
    assert "My detector" in listed() and runs.read_text().count("run") == 1
    qtbot.mouseClick(window.plugins_reload_button, Qt.LeftButton)
    assert "My detectoR" in listed() and runs.read_text().count("run") == 2
    choices = [window.findings.detector_choice.itemText(i) for i in range(window.findings.detector_choice.count())]
    assert "My detectoR" in choices
