import json

import pytest
from click.testing import CliRunner

from workbench.cli import main
from workbench.plugin_api import choose_importer


@pytest.mark.parametrize(
    "relative, expected",
    [
        ("ofac/sdn.csv", "ofac-sdn"),
        ("csl/consolidated.csv", "us-csl"),
        ("un/un_consolidated_sample.xml", "un-sc-xml"),
        ("ftm/eu_fsf_sample.ftm.json", "ftm-json"),
        ("amlsim/tx.csv", "mapped-table"),
    ],
)
def test_the_importer_is_recognised_from_the_real_file(shared_data, relative, expected):
    assert choose_importer(shared_data / relative).id == expected


def test_all_lists_in_one_command_are_marked_as_listed(shared_data, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(main, ["new", "lists"]).exit_code == 0
    files = [shared_data / p for p in ("ofac/sdn.csv", "csl/consolidated.csv", "un/un_consolidated_sample.xml",
                                       "ftm/eu_fsf_sample.ftm.json")]
    result = runner.invoke(main, ["import", "lists.wbcase", *map(str, files), "--grade", "A1"])
    assert result.exit_code == 0, result.output
    info = json.loads(runner.invoke(main, ["info", "lists.wbcase", "--json"]).output)
    assert [s["importer"] for s in info["sources"]] == ["ofac-sdn", "us-csl", "un-sc-xml", "ftm-json"]
    from workbench.store import Case

    with Case.open("lists.wbcase", readonly=True) as case:
        publishers = set()
        for entity in case.entities("LegalEntity"):
            if "sanction" in entity.get("topics") or "export.control" in entity.get("topics"):
                publishers.update(entity.get("publisher"))
        assert any("OFAC" in p for p in publishers)
        assert any("United Nations" in p for p in publishers)
        assert any("Entity List" in p for p in publishers)
