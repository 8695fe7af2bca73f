"""De-identified sharing reaches dates and places written inside free text, not only typed properties."""

import json
import re

import openpyxl
import pytest

from workbench.importing import import_file
from workbench.model import SourceInfo
from workbench.sharing import write_deidentified
from workbench.store import Case

FULL_DATE = re.compile(r"\b\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{4}\b")


@pytest.fixture
def ofac_case(tmp_path, shared_data):
    case = Case.create(tmp_path / "ofac.wbcase")
    import_file(case, shared_data / "ofac" / "sdn.csv")
    yield case
    case.close()


def shared_texts(path):
    if path.suffix == ".xlsx":
        workbook = openpyxl.load_workbook(path, read_only=True)
        return [str(value) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)
                for value in row if value is not None]
    return [line for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("format_name", ["ftm", "xlsx"])
def test_ofac_remarks_keep_only_the_year_of_birth_and_no_birthplace(ofac_case, tmp_path, format_name):
    # "DOB 12 Oct 1972; POB Corozal, Belize" stayed in the remarks while birthDate was cut to 1972.
    output = tmp_path / f"shared.{format_name}"
    write_deidentified(ofac_case, output, format_name, key_path=tmp_path / "key" / "key.json")
    text = "\n".join(shared_texts(output))
    for born in ("12 Oct 1972", "28 Jul 1963", "26 Dec 1992", "17 Apr 1993"):
        assert born not in text
    assert not re.findall(r"DOB " + FULL_DATE.pattern, text)
    assert "25 Sep 2018" in text  # a company's establishment date is no one's birthday
    for place in ("Corozal", "Toledo District"):
        assert place not in text
    assert "DOB 1972; POB Place " in text and "DOB 1963; POB Place " in text
    if format_name == "ftm":
        entities = [json.loads(line) for line in text.splitlines()]
        person = next(e for e in entities if "1972" in e["properties"].get("birthDate", []))
        remark = next(note for note in person["properties"].get("notes", []) if note.startswith("DOB 1972"))
        # The place in the remark is the same pseudonym as the birth place itself.
        assert remark.split("POB ")[1].split(";")[0] == person["properties"]["birthPlace"][0]


def test_a_known_birth_date_written_another_way_in_a_note_keeps_its_year_only(tmp_path):
    case = Case.create(tmp_path / "notes.wbcase")
    case.ingest([
        {"id": "p1", "schema": "Person", "properties": {"name": ["Arkady Veltsin"], "birthDate": ["1961-04-17"]}},
        {"id": "n1", "schema": "Note", "properties": {
            "description": ["Informant says the director, born 17 April 1961, met the buyer on 3 March 2023."],
            "entity": ["p1"]}},
        {"id": "c1", "schema": "Company", "properties": {
            "name": ["Atlas Crest"], "notes": ["Director's date of birth: 17/04/1961; place of birth: Minsk, Belarus."],
            "incorporationDate": ["2011-05-02"]}},
    ], SourceInfo(file_name="notes"))
    output = tmp_path / "shared.ftm.json"
    write_deidentified(case, output, "ftm", key_path=tmp_path / "key" / "key.json")
    text = output.read_text(encoding="utf-8")
    case.close()
    assert "17 April 1961" not in text and "17/04/1961" not in text and "Minsk" not in text
    assert "born 1961, met the buyer on 3 March 2023" in text  # not a life date: kept unless coarsened
    assert "date of birth: 1961; place of birth: Place " in text


def test_coarsening_reaches_dates_written_in_words(tmp_path):
    case = Case.create(tmp_path / "coarse.wbcase")
    case.ingest([{"id": "c1", "schema": "Company", "properties": {
        "name": ["Atlas Crest"], "notes": ["Goods arrived on 3 March 2023 and were paid 2023-03-10."]}}],
        SourceInfo(file_name="coarse"))
    output = tmp_path / "shared.ftm.json"
    write_deidentified(case, output, "ftm", key_path=tmp_path / "key" / "key.json", coarsen_dates="month")
    text = output.read_text(encoding="utf-8")
    case.close()
    assert "Goods arrived on 2023-03 and were paid 2023-03." in text
