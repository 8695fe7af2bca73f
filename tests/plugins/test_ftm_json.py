import json
import sqlite3

import pytest

from workbench.importing import import_file
from workbench.plugin_api import SourceFormatError, choose_importer
from workbench.store import Case
from workbench_plugins.importers.ftm_json import FtmJsonImporter


@pytest.fixture
def sample(shared_data):
    return shared_data / "ftm" / "eu_fsf_sample.ftm.json"


@pytest.fixture
def case(tmp_path):
    with Case.create(tmp_path / "case.wbcase") as created:
        yield created


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
    before = list(sqlite3.connect(case.path).iterdump())
    with pytest.raises(SourceFormatError, match=r"broken\.ftm\.json line 4: not valid JSON"):
        import_file(case, broken, importer_id="ftm-json")
    assert list(sqlite3.connect(case.path).iterdump()) == before


def test_unknown_schema_is_named(case, tmp_path):
    path = tmp_path / "odd.ftm.json"
    path.write_text('{"id": "x", "schema": "Spaceship", "properties": {}}\n')
    with pytest.raises(SourceFormatError, match=r"odd\.ftm\.json line 1"):
        import_file(case, path, importer_id="ftm-json")
