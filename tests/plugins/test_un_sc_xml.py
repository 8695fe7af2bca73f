"""The UN Security Council Consolidated List importer, against the real sample of the list."""

import re
import time
import tracemalloc
from pathlib import Path

import pytest

from casefiles import dump
from workbench.model import SourceInfo
from workbench.plugin_api import SourceFormatError, choose_importer, find_plugin
from workbench.store import Case
from workbench_plugins.importers.un_sc_xml import UnConsolidatedListImporter

SAMPLE_NAME = "un_consolidated_sample.xml"


@pytest.fixture
def sample(shared_data) -> Path:
    return shared_data / "un" / SAMPLE_NAME


@pytest.fixture
def sample_text(sample) -> str:
    return sample.read_text(encoding="utf-8")


def read_all(path: Path) -> dict[str, dict]:
    """Entities by id, with their locator alongside."""
    entities = {}
    for record in UnConsolidatedListImporter().read(path):
        assert record.entity["id"] not in entities, f"duplicate id {record.entity['id']}"
        entities[record.entity["id"]] = {**record.entity, "locator": record.locator, "extra": record.extra}
    return entities


def props(entities: dict[str, dict], entity_id: str) -> dict[str, list[str]]:
    return entities[entity_id]["properties"]


def write_copy(tmp_path: Path, text: str, name: str = SAMPLE_NAME) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def individual_block(text: str, data_id: str) -> str:
    """The whole <INDIVIDUAL> element with this DATAID, as it stands in the file."""
    match = re.search(rf"    <INDIVIDUAL>\s*<DATAID>{data_id}</DATAID>.*?</INDIVIDUAL>\n", text, re.S)
    assert match, f"no INDIVIDUAL with DATAID {data_id} in the sample"
    return match.group(0)


def ingest(case_path: Path, path: Path):
    with Case.open(case_path) as case:
        importer = UnConsolidatedListImporter()
        source = SourceInfo.from_file(path, importer_id=importer.id, importer_version=importer.version)
        return case.ingest(importer.read(path), source)


# ---------------------------------------------------------------------------- manifest and sniffing


def test_manifest_and_discovery():
    assert find_plugin("un-sc-xml", "importer") is UnConsolidatedListImporter
    assert UnConsolidatedListImporter.topics == ("sanction",)
    assert UnConsolidatedListImporter.manifest()["kind"] == "importer"


def test_sniff_recognises_the_list_by_its_root(sample, tmp_path):
    assert UnConsolidatedListImporter.sniff(sample) == 0.95
    # The name does not matter, the root does.
    renamed = tmp_path / "download.dat"
    renamed.write_bytes(sample.read_bytes())
    assert UnConsolidatedListImporter.sniff(renamed) == 0.95
    assert choose_importer(sample) is UnConsolidatedListImporter


def test_sniff_refuses_other_files(tmp_path):
    other_xml = write_copy(tmp_path, '<?xml version="1.0"?>\n<sdnList><sdnEntry/></sdnList>\n', "sdn.xml")
    json_lines = write_copy(tmp_path, '{"id": "x", "schema": "Person"}\n', "entities.jsonl")
    empty = write_copy(tmp_path, "", "empty.xml")
    with_dtd = write_copy(tmp_path, '<!DOCTYPE CONSOLIDATED_LIST [<!ENTITY a "b">]>\n<CONSOLIDATED_LIST/>\n', "dtd.xml")
    for path in (other_xml, json_lines, empty, with_dtd, tmp_path / "missing.xml"):
        assert UnConsolidatedListImporter.sniff(path) == 0.0, path.name


def test_sniff_reads_only_the_head(sample_text, tmp_path):
    # A file cut off after the root start tag is still recognised: sniffing never parses the rest.
    head = sample_text[: sample_text.index("<INDIVIDUALS>")]
    assert UnConsolidatedListImporter.sniff(write_copy(tmp_path, head)) == 0.95


# ---------------------------------------------------------------------------- mapping


def test_person_names_birth_and_passport(sample):
    entities = read_all(sample)
    agha_jani = props(entities, "un-sc-IRi.002")
    assert entities["un-sc-IRi.002"]["schema"] == "Person"
    assert agha_jani["name"] == ["DAWOOD AGHA-JANI"]
    assert agha_jani["firstName"] == ["DAWOOD"]
    assert agha_jani["secondName"] == ["AGHA-JANI"]
    assert agha_jani["birthDate"] == ["1957-04-23"]
    assert agha_jani["birthPlace"] == ["Ardebil, Iran (Islamic Republic of)"]
    assert agha_jani["birthCountry"] == ["ir"]
    assert agha_jani["passportNumber"] == ["I5824769"]
    assert agha_jani["position"] == ["Head of the Pilot Fuel Enrichment Plant (PFEP) (Natanz)"]
    assert agha_jani["modifiedAt"] == ["2014-12-17"]
    # FtM has no place for the passport's issuing country; it is kept as a note.
    assert "Passport I5824769: issued by Iran (Islamic Republic of)" in agha_jani["notes"]
    assert agha_jani["notes"][0] == "[Old Reference # I.37.C.3]"


def test_person_nationality_aliases_and_two_birth_years(sample):
    entities = read_all(sample)
    aghajani = props(entities, "un-sc-IRi.003")
    assert aghajani["nationality"] == ["ir"]
    # One ALIAS_NAME of quality "Good" listing two spellings becomes two aliases.
    assert aghajani["alias"] == ["Azim Adhajani", "Azim Agha-Jani"]
    assert aghajani["passportNumber"] == ["6620505", "9003213"]
    assert "birthDate" not in aghajani  # the list gives an empty INDIVIDUAL_DATE_OF_BIRTH

    abbasi_davani = props(entities, "un-sc-IRi.001")
    assert abbasi_davani["birthDate"] == ["1958", "1959"]
    assert abbasi_davani["birthPlace"] == ["Abadan, Iran (Islamic Republic of)"]
    # The list hard-wraps long values; the line break is not part of the title.
    assert abbasi_davani["position"] == [
        "Senior Ministry of Defence and Armed Forces Logistics (MODAFL) Scientist"
    ]
    assert abbasi_davani["notes"][0].startswith(
        'Has "links to the Institute of Applied Physics, working closely with Mohsen Fakhrizadeh-Mahabadi"'
    )
    assert props(entities, "un-sc-IRi.004")["position"] == ["Vice Admiral", "Chief of IRGC Joint Staff"]


def test_entity_aliases_and_addresses(sample):
    entities = read_all(sample)
    assert entities["un-sc-IRe.003"]["schema"] == "Organization"
    amin = props(entities, "un-sc-IRe.003")
    assert amin["name"] == ["AMIN INDUSTRIAL COMPLEX"]
    assert amin["alias"] == ["Amin Industrial Compound", "Amin Industrial Company"]
    assert amin["country"] == ["ir"]
    assert "P.O. Box 91735-549, Mashad, Iran (Islamic Republic of)" in amin["address"]
    assert len(amin["address"]) == 3
    # An address with only an empty COUNTRY adds nothing.
    seventh_of_tir = props(entities, "un-sc-IRe.001")
    assert "address" not in seventh_of_tir and "country" not in seventh_of_tir
    # No LAST_DAY_UPDATED for AEOI, so no modifiedAt.
    assert "modifiedAt" not in props(entities, "un-sc-IRe.006")


def test_every_listing_has_a_sanction(sample):
    entities = read_all(sample)
    sanction = entities["un-sc-IRi.002-sanction"]
    assert sanction["schema"] == "Sanction"
    assert sanction["properties"] == {
        "entity": ["un-sc-IRi.002"],
        "authority": ["United Nations Security Council"],
        "program": ["Iran"],
        "unscId": ["IRi.002"],
        "listingDate": ["2006-12-23"],
        "modifiedAt": ["2014-12-17"],
        "sourceUrl": ["https://scsanctions.un.org/"],
        "publisher": ["United Nations Security Council Consolidated List"],
    }
    assert props(entities, "un-sc-IRe.003-sanction")["listingDate"] == ["2010-06-09"]
    parties = [entity for entity in entities.values() if entity["schema"] != "Sanction"]
    assert len(parties) == 16
    for party in parties:
        assert party["properties"]["topics"] == ["sanction"]
        assert party["properties"]["publisher"] == ["United Nations Security Council Consolidated List"]
        assert entities[party["id"] + "-sanction"]["properties"]["entity"] == [party["id"]]


def test_locators_name_element_position_dataid_and_line(sample):
    entities = read_all(sample)
    assert entities["un-sc-IRi.003"]["locator"] == (
        "un_consolidated_sample.xml INDIVIDUALS/INDIVIDUAL[3] (DATAID 110444), line 89"
    )
    assert entities["un-sc-IRi.003-sanction"]["locator"] == entities["un-sc-IRi.003"]["locator"]
    assert entities["un-sc-IRe.008"]["locator"] == (
        "un_consolidated_sample.xml ENTITIES/ENTITY[8] (DATAID 110396), line 525"
    )
    assert entities["un-sc-IRe.008"]["extra"] == {"un_dataid": "110396", "list_generated": "2026-02-27T00:00:09.554Z"}
    lines = sample.read_text(encoding="utf-8").splitlines()
    assert lines[89 - 1].strip() == "<INDIVIDUAL>" and lines[90 - 1].strip() == "<DATAID>110444</DATAID>"


def test_fields_the_sample_leaves_empty(sample_text, tmp_path):
    """Elements of the full list that the sample does not exercise, added to a copy of it."""
    original = individual_block(sample_text, "110441")
    enriched = original.replace(
        "<FIRST_NAME>BEHMAN</FIRST_NAME>",
        "<FIRST_NAME>BEHMAN</FIRST_NAME><THIRD_NAME>REZA</THIRD_NAME>"
        "<NAME_ORIGINAL_SCRIPT>بهمن اصغرپور</NAME_ORIGINAL_SCRIPT><GENDER>Male</GENDER>"
        "<TITLE><VALUE>Dr.</VALUE></TITLE>"
        "<NATIONALITY><VALUE>Iran (Islamic Republic of)</VALUE><VALUE>Atlantis</VALUE></NATIONALITY>",
    ).replace(
        "<INDIVIDUAL_DOCUMENT />",
        "<INDIVIDUAL_ALIAS><QUALITY>Low</QUALITY><ALIAS_NAME>Abu Behman</ALIAS_NAME></INDIVIDUAL_ALIAS>"
        "<INDIVIDUAL_DOCUMENT><TYPE_OF_DOCUMENT>National Identification Number</TYPE_OF_DOCUMENT>"
        "<NUMBER>0071234567</NUMBER></INDIVIDUAL_DOCUMENT>"
        "<INDIVIDUAL_DOCUMENT><TYPE_OF_DOCUMENT>Other</TYPE_OF_DOCUMENT><NUMBER>B-77</NUMBER>"
        "<ISSUING_COUNTRY>Iraq</ISSUING_COUNTRY><DATE_OF_ISSUE>2001-05-01</DATE_OF_ISSUE>"
        "<NOTE>driving licence</NOTE></INDIVIDUAL_DOCUMENT>"
        "<INDIVIDUAL_ADDRESS><STREET>12 Example St.</STREET><CITY>Tehran</CITY><COUNTRY>Iran</COUNTRY>"
        "</INDIVIDUAL_ADDRESS>",
    ).replace(
        "<INDIVIDUAL_DATE_OF_BIRTH>\n        <TYPE_OF_DATE />\n      </INDIVIDUAL_DATE_OF_BIRTH>",
        "<INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>BETWEEN</TYPE_OF_DATE><FROM_YEAR>1960</FROM_YEAR>"
        "<TO_YEAR>1962</TO_YEAR></INDIVIDUAL_DATE_OF_BIRTH>"
        "<INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>APPROXIMATELY</TYPE_OF_DATE><YEAR>1961</YEAR>"
        "</INDIVIDUAL_DATE_OF_BIRTH>",
    )
    assert enriched.count("FROM_YEAR") == 2 and enriched.count("Abu Behman") == 1
    entities = read_all(write_copy(tmp_path, sample_text.replace(original, enriched)))
    person = props(entities, "un-sc-IRi.006")
    assert person["name"] == ["BEHMAN ASGARPOUR REZA"]
    assert person["firstName"] == ["BEHMAN"] and person["secondName"] == ["ASGARPOUR"]
    assert "middleName" not in person  # THIRD_NAME stays in the full name only
    assert person["alias"] == ["بهمن اصغرپور", "Behman Asgharpour", "Behman Asgharpur"]
    assert person["weakAlias"] == ["Abu Behman"]
    assert person["gender"] == ["male"]
    assert person["title"] == ["Dr."]
    assert person["nationality"] == ["ir"]
    assert person["idNumber"] == ["0071234567", "B-77"]
    assert person["birthDate"] == ["1960", "1961", "1962"]
    assert person["address"] == ["12 Example St., Tehran, Iran"]
    assert person["country"] == ["ir"]
    assert "Nationality (not recognised): Atlantis" in person["notes"]
    assert "Other B-77: issued by Iraq; issued on 2001-05-01; driving licence" in person["notes"]
    assert "Date of birth: between 1960 and 1962" in person["notes"]
    assert "Date of birth: approximately 1961" in person["notes"]


def test_a_repeated_reference_number_does_not_fuse_two_parties(sample_text, tmp_path):
    text = sample_text.replace(
        "<REFERENCE_NUMBER>IRi.002</REFERENCE_NUMBER>", "<REFERENCE_NUMBER>IRi.001</REFERENCE_NUMBER>"
    )
    entities = read_all(write_copy(tmp_path, text))
    assert props(entities, "un-sc-IRi.001")["name"] == ["FEREIDOUN ABBASI-DAVANI"]
    assert props(entities, "un-sc-110445")["name"] == ["DAWOOD AGHA-JANI"]
    assert props(entities, "un-sc-110445-sanction")["unscId"] == ["IRi.001"]


def test_missing_reference_number_falls_back_to_dataid(sample_text, tmp_path):
    text = sample_text.replace("<REFERENCE_NUMBER>IRe.002</REFERENCE_NUMBER>", "")
    entities = read_all(write_copy(tmp_path, text))
    assert props(entities, "un-sc-110402")["name"] == ["ABZAR BORESH KAVEH CO. (BK CO.)"]
    assert "unscId" not in props(entities, "un-sc-110402-sanction")


# ---------------------------------------------------------------------------- into a case


def test_ingest_into_a_case(sample, tmp_path):
    case_path = tmp_path / "un.wbcase"
    Case.create(case_path).close()
    report = ingest(case_path, sample)
    assert report.by_schema == {"Person": 8, "Sanction": 16, "Organization": 8}
    with Case.open(case_path, readonly=True) as case:
        assert case.counts_by_schema() == {"Organization": 8, "Person": 8, "Sanction": 16}
        statements = case.statements("un-sc-IRi.003")
        assert statements, "no statements for AZIM AGHAJANI"
        assert {row["locator"] for row in statements} == {
            "un_consolidated_sample.xml INDIVIDUALS/INDIVIDUAL[3] (DATAID 110444), line 89"
        }
        assert {row["file_name"] for row in statements} == {SAMPLE_NAME}
        assert {row["importer_id"] for row in statements} == {"un-sc-xml"}
        assert ("passportNumber", "9003213") in {(row["prop"], row["value"]) for row in statements}
        # The Sanction links to the listed party.
        assert case.neighbours("un-sc-IRi.003") == ["un-sc-IRi.003-sanction"]
        assert case.entity("un-sc-IRi.003-sanction").get("listingDate") == ["2012-04-18"]


def test_a_truncated_file_leaves_the_case_unchanged(sample, sample_text, tmp_path):
    case_path = tmp_path / "un.wbcase"
    Case.create(case_path).close()
    ingest(case_path, sample)
    before = dump(case_path)

    # Cut inside the sixth ENTITY: twenty-six records come out before the parser finds the fault.
    cut = sample_text.index("<FIRST_NAME>ATOMIC ENERGY")
    truncated = write_copy(tmp_path, sample_text[:cut], "un_truncated.xml")
    yielded = []

    def counted(records):
        for record in records:
            yielded.append(record)
            yield record

    with Case.open(case_path) as case:
        importer = UnConsolidatedListImporter()
        source = SourceInfo.from_file(truncated, importer_id=importer.id, importer_version=importer.version)
        with pytest.raises(SourceFormatError, match=r"un_truncated\.xml line \d+, column \d+: not well-formed"):
            case.ingest(counted(importer.read(truncated)), source)

    assert len(yielded) == 26
    assert dump(case_path) == before


# ---------------------------------------------------------------------------- bad input


def test_truncated_file_names_file_line_and_column(sample_text, tmp_path):
    text = sample_text[: sample_text.index("<COMMENTS1>[Old Reference # I.03.I.1]")]
    path = write_copy(tmp_path, text, "cut.xml")
    last_line = text.count("\n") + 1
    with pytest.raises(SourceFormatError) as raised:
        list(UnConsolidatedListImporter().read(path))
    assert re.fullmatch(
        rf"cut\.xml line {last_line}, column \d+: not well-formed XML \(no element found\); the file may be "
        r"truncated or damaged; the innermost open element is INDIVIDUAL, opened on line 178",
        str(raised.value),
    )


def test_unclosed_tag_names_the_line(sample_text, tmp_path):
    text = sample_text.replace("<FIRST_NAME>AZIM</FIRST_NAME>", "<FIRST_NAME>AZIM")
    line = text[: text.index("<FIRST_NAME>AZIM")].count("\n") + 1
    with pytest.raises(SourceFormatError) as raised:
        list(UnConsolidatedListImporter().read(write_copy(tmp_path, text)))
    # expat notices only at </INDIVIDUAL>, where it expected </FIRST_NAME>; the message also
    # points back at the element left open.
    closing = line + text[text.index("<FIRST_NAME>AZIM") :].split("</INDIVIDUAL>")[0].count("\n")
    assert str(raised.value) == (
        f"{SAMPLE_NAME} line {closing}, column 7: not well-formed XML (mismatched tag); the file may be "
        f"truncated or damaged; the innermost open element is FIRST_NAME, opened on line {line}"
    )


def test_empty_file(tmp_path):
    expected = r"empty\.xml line 1, column 1: not well-formed XML \(no element found\)"
    with pytest.raises(SourceFormatError, match=expected):
        list(UnConsolidatedListImporter().read(write_copy(tmp_path, "", "empty.xml")))


def test_other_root_says_what_was_expected(tmp_path):
    path = write_copy(tmp_path, '<?xml version="1.0"?>\n<sdnList>\n  <sdnEntry/>\n</sdnList>\n', "sdn.xml")
    with pytest.raises(SourceFormatError) as raised:
        list(UnConsolidatedListImporter().read(path))
    assert str(raised.value) == (
        "sdn.xml line 2: expected the root element CONSOLIDATED_LIST "
        "(UN Security Council Consolidated List), found sdnList"
    )


def test_listing_without_dataid(sample_text, tmp_path):
    text = sample_text.replace("<DATAID>110444</DATAID>", "")
    with pytest.raises(SourceFormatError) as raised:
        list(UnConsolidatedListImporter().read(write_copy(tmp_path, text)))
    assert str(raised.value) == (
        f"{SAMPLE_NAME} INDIVIDUALS/INDIVIDUAL[3] (line 89): no DATAID; every listing in the UN list has one"
    )


def test_listing_without_a_name(sample_text, tmp_path):
    text = sample_text.replace("<FIRST_NAME>AZIM</FIRST_NAME>", "").replace("<SECOND_NAME>AGHAJANI</SECOND_NAME>", "")
    with pytest.raises(SourceFormatError) as raised:
        list(UnConsolidatedListImporter().read(write_copy(tmp_path, text)))
    assert str(raised.value) == (
        f"{SAMPLE_NAME} INDIVIDUALS/INDIVIDUAL[3] (DATAID 110444), line 89: no name; expected at least a FIRST_NAME"
    )

    text = sample_text.replace("<FIRST_NAME>AMIN INDUSTRIAL COMPLEX</FIRST_NAME>", "<FIRST_NAME> </FIRST_NAME>")
    with pytest.raises(SourceFormatError, match=r"ENTITIES/ENTITY\[3\] \(DATAID 110401\), line 373: no name"):
        list(UnConsolidatedListImporter().read(write_copy(tmp_path, text)))


def test_wrong_element_in_a_section(sample_text, tmp_path):
    block = individual_block(sample_text, "110446")
    misplaced = block.replace("<INDIVIDUAL>", "<ENTITY>").replace("</INDIVIDUAL>", "</ENTITY>")
    text = sample_text.replace(block, misplaced)
    expected = f"{SAMPLE_NAME} line 4: expected INDIVIDUAL elements in INDIVIDUALS, found ENTITY"
    with pytest.raises(SourceFormatError, match=re.escape(expected)):
        list(UnConsolidatedListImporter().read(write_copy(tmp_path, text)))


def test_entity_expansion_is_refused(tmp_path):
    # "Billion laughs": a few hundred bytes that would expand to gigabytes.
    declarations = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">' for level in range(1, 10)
    )
    text = (
        f'<?xml version="1.0"?>\n<!DOCTYPE CONSOLIDATED_LIST [{declarations}]>\n'
        "<CONSOLIDATED_LIST>&lol9;</CONSOLIDATED_LIST>\n"
    )
    path = write_copy(tmp_path, text, "laughs.xml")
    started = time.perf_counter()
    with pytest.raises(SourceFormatError, match=r"laughs\.xml line 2: the file declares a DOCTYPE"):
        list(UnConsolidatedListImporter().read(path))
    assert time.perf_counter() - started < 1
    assert UnConsolidatedListImporter.sniff(path) == 0.0


def test_memory_stays_flat_on_a_long_list(sample_text, tmp_path):
    """A list of 1,500 individuals (about 2 MB, the size of the full UN list) is read without holding its tree."""
    block = individual_block(sample_text, "110445")
    copies = "".join(
        block.replace("110445", str(2_000_000 + number)).replace("IRi.002", f"IRi.{number:05d}")
        for number in range(1500)
    )
    path = write_copy(tmp_path, sample_text.replace(block, copies), "long.xml")
    size = path.stat().st_size
    list(UnConsolidatedListImporter().read(write_copy(tmp_path, sample_text, "warm-up.xml")))  # load FtM's lookups
    tracemalloc.start()
    try:
        count = sum(1 for _ in UnConsolidatedListImporter().read(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 2 * (1500 + 15)
    # Holding the parsed tree takes about five times the file's size; streaming takes less than it.
    assert peak < size, f"peak {peak:,} bytes for a {size:,}-byte file"
