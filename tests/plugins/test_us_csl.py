"""The US Consolidated Screening List importer, on the real sample and on broken copies of it."""

import csv
from pathlib import Path

import pytest

from casefiles import dump
from workbench.model import SourceInfo
from workbench.plugin_api import SourceFormatError, choose_importer
from workbench.store import Case
from workbench_plugins.importers.us_csl import CSL_COLUMNS, ConsolidatedScreeningListImporter

IMPORTER = ConsolidatedScreeningListImporter

# Ids of parties in the sample, by row (row 1 is the header).
SINOBRIGHT = "us-csl-isn-233a4d725770c81fb561ffe3842c14010c2201971d6be62eca1e613b"  # row 2
RIM_RYONG_NAM = "us-csl-sdn-52291"  # row 6
I_ASH = "us-csl-dpl-b601cbf2841d0aaedfe63661581ffbc3d54b6ba39d7e3a9027cff50e"  # row 8
ROSNEFT_TRADE = "us-csl-ssi-18300"  # row 9
ABU_JHEISHEH = "us-csl-plc-9673"  # row 5
TNK_TRADING = "us-csl-ssi-28603"  # row 12
CETC_13 = "us-csl-el-99ed1b052fdb09695fae1ba87516d8a0882b0df04652e07aeb5ce7be"  # row 13
SME_BANK = "us-csl-ssi-18283"  # row 14


@pytest.fixture
def sample(shared_data) -> Path:
    return shared_data / "csl" / "consolidated.csv"


@pytest.fixture
def records(sample):
    return list(IMPORTER().read(sample))


def by_id(records):
    return {record.entity["id"]: record for record in records}


def props(records, entity_id):
    return by_id(records)[entity_id].entity["properties"]


def write_csl(path: Path, *rows: dict[str, str]) -> Path:
    """A CSL file with the real header, quoted as trade.gov writes it, holding ``rows``."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSL_COLUMNS, quoting=csv.QUOTE_ALL, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


def semicolon_copy(sample: Path, path: Path) -> Path:
    """The sample as a European-locale spreadsheet saves it: separated by ';'."""
    rows = list(csv.reader(sample.open(encoding="utf-8", newline="")))
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(rows)
    return path


def ingest(case_path: Path, path: Path):
    with Case.open(case_path) as case:
        return case.ingest(
            IMPORTER().read(path),
            SourceInfo.from_file(path, importer_id=IMPORTER.id, importer_version=IMPORTER.version),
        )


# ---------------------------------------------------------------------- sniffing


def test_sniff_recognises_the_sample_and_is_chosen_for_it(sample):
    assert IMPORTER.sniff(sample) == 0.95
    assert choose_importer(sample) is IMPORTER


def test_sniff_accepts_a_byte_order_mark(sample, tmp_path):
    copy = tmp_path / "consolidated.csv"
    copy.write_bytes(b"\xef\xbb\xbf" + sample.read_bytes())
    assert IMPORTER.sniff(copy) == 0.95


@pytest.mark.parametrize(
    "content",
    [
        b"name,country\nAtlas Trading,AE\n",
        b'{"id": "x", "schema": "Person", "properties": {}}\n',
        b"\x00\x01\x02\xff\xfe binary",
        b"",
    ],
    ids=["other-csv", "ftm-json", "binary", "empty"],
)
def test_sniff_declines_other_files(tmp_path, content):
    path = tmp_path / "other.csv"
    path.write_bytes(content)
    assert IMPORTER.sniff(path) == 0.0


def test_sniff_declines_a_semicolon_copy_and_a_missing_file(sample, tmp_path):
    assert IMPORTER.sniff(semicolon_copy(sample, tmp_path / "consolidated.csv")) == 0.0
    assert IMPORTER.sniff(tmp_path / "nowhere.csv") == 0.0


# ---------------------------------------------------------------------- facts from the sample


def test_entity_list_party_has_its_addresses_country_aliases_and_export_control_topic(records):
    cetc = by_id(records)[CETC_13]
    assert cetc.entity["schema"] == "LegalEntity"  # BIS rows do not say person or company
    properties = cetc.entity["properties"]
    assert properties["name"] == ["China Electronics Technology Group Corporation 13th Research Institute (CETC 13)"]
    assert properties["country"] == ["cn"]
    assert properties["topics"] == ["export.control"]
    assert properties["publisher"] == ["Entity List (EL) - Bureau of Industry and Security"]
    # "...; and 21 Changsheng Street, ..." : the BIS "and" before the last items is not an address.
    assert properties["address"] == [
        "113 Hezuo Road, Shijiazhuang, Hebei, China",
        "21 Changsheng Street, Shijiazhuang, Hebei, China",
        "21 Changsheng Road, Shijiazhuang, Hebei, China, Shijiazhuang, Hebei Province, CN",
    ]
    assert len(properties["alias"]) == 6
    assert properties["alias"][0] == "Hebei Semiconductor Research Institute"
    assert properties["alias"][-1] == "CETC Research Institute 13"
    assert cetc.locator == "consolidated.csv row 13"


def test_entity_list_sanction_has_notices_dates_and_licence_terms(records):
    sanction = props(records, f"{CETC_13}-sanction")
    assert sanction["entity"] == [CETC_13]
    assert sanction["authority"] == ["US Department of Commerce, Bureau of Industry and Security"]
    assert sanction["listingDate"] == ["2018-08-01"]
    assert sanction["reason"] == ["83 FR 37423", "87 FR 77505"]
    assert any(p.startswith("License review policy: Policy of denial") for p in sanction["provisions"])


def test_sdn_person_has_birth_date_nationality_and_passport(records):
    rim = by_id(records)[RIM_RYONG_NAM]
    assert rim.entity["schema"] == "Person"
    properties = rim.entity["properties"]
    assert properties["name"] == ["RIM, Ryong Nam"]
    assert properties["birthDate"] == ["1978-12-05"]
    assert properties["nationality"] == ["kp"]
    assert properties["gender"] == ["male"]
    assert properties["passportNumber"] == ["836238033"]
    assert properties["address"] == ["Shenyang, CN", "Pyongyang, KP"]
    assert sorted(properties["country"]) == ["cn", "kp"]
    assert properties["topics"] == ["sanction"]
    # The passport's issuing country, which passportNumber cannot carry, is on a Passport.
    passports = [r.entity for r in records if r.entity["schema"] == "Passport" and r.locator.endswith("row 6")]
    assert len(passports) == 1
    assert passports[0]["properties"]["holder"] == [RIM_RYONG_NAM]
    assert passports[0]["properties"]["number"] == ["836238033"]
    assert passports[0]["properties"]["country"] == ["kp"]


def test_sdn_sanction_has_program_and_the_sanction_terms_from_ids(records):
    sanction = props(records, f"{RIM_RYONG_NAM}-sanction")
    assert sanction["program"] == ["NPWMD"]
    assert sanction["authorityId"] == ["52291"]
    assert sanction["sourceUrl"] == ["https://sanctionslist.ofac.treas.gov/Home/SdnList"]
    assert "Secondary sanctions risk: North Korea Sanctions Regulations, sections 510.201 and 510.210" in (
        sanction["provisions"]
    )
    # Sanction terms are not identifiers: they must not reach the person's idNumber.
    assert "idNumber" not in props(records, RIM_RYONG_NAM)


def test_aliases_are_split(records):
    assert props(records, ABU_JHEISHEH)["alias"] == ["Mohammad Mutlaq ABU JHESHEH", "Mohammed ABU JEHEISHA"]
    assert props(records, ABU_JHEISHEH)["birthDate"] == ["1955"]
    assert props(records, ABU_JHEISHEH)["birthPlace"] == ["Izna, Hebron"]


def test_sanction_with_several_programs(records):
    assert props(records, f"{TNK_TRADING}-sanction")["program"] == ["VENEZUELA-EO13850", "UKRAINE-EO13662"]


def test_ids_map_to_ftm_properties(records):
    bank = props(records, SME_BANK)
    assert bank["registrationNumber"] == ["1027739108649"]
    assert bank["swiftBic"] == ["RUDVRUMM"]
    assert bank["website"] == ["http://mspbank.ru/"]
    assert props(records, ROSNEFT_TRADE)["email"] == ["hrm@rosneft-sh.com.cy"]
    assert props(records, TNK_TRADING)["vatCode"] == ["CHE-267.936.404"]


def test_denied_person_sanction_has_end_date_and_standard_order(records):
    assert by_id(records)[I_ASH].entity["properties"]["topics"] == ["debarment", "export.control"]
    sanction = props(records, f"{I_ASH}-sanction")
    assert sanction["endDate"] == ["2056-06-29"]
    assert sanction["provisions"] == ["Standard denial order"]


def test_successor_clause_leaves_the_name_for_a_note(records):
    sinobright = props(records, SINOBRIGHT)
    assert sinobright["name"] == ["Sinobright Import and Export Company"]
    assert sinobright["notes"] == ["The listing covers any successor, sub-unit, or subsidiary thereof."]


def test_topics_follow_the_list(records):
    topics = {
        record.entity["properties"]["publisher"][0].split(" - ")[0]: record.entity["properties"]["topics"]
        for record in records
        if record.entity["schema"] != "Sanction" and "topics" in record.entity["properties"]
    }
    assert topics == {
        "Nonproliferation Sanctions (ISN)": ["sanction"],
        "Unverified List (UVL)": ["export.control"],
        "Military End User (MEU) List": ["export.control"],
        "Palestinian Legislative Council List (PLC)": ["sanction"],
        "Specially Designated Nationals (SDN)": ["sanction"],
        "ITAR Debarred (DTC)": ["debarment", "export.control"],
        "Denied Persons List (DPL)": ["debarment", "export.control"],
        "Sectoral Sanctions Identifications List (SSI)": ["sanction"],
        "Foreign Sanctions Evaders (FSE)": ["sanction"],
        "Entity List (EL)": ["export.control"],
    }


def test_every_row_yields_a_party_and_a_sanction_located_at_its_row(records):
    sanctions = [r for r in records if r.entity["schema"] == "Sanction"]
    assert [r.locator for r in sanctions] == [f"consolidated.csv row {n}" for n in range(2, 15)]
    assert all(r.locator.startswith("consolidated.csv row ") for r in records)


# ---------------------------------------------------------------------- into a case


def test_ingest_counts_by_schema_and_locators(sample, tmp_path):
    case_path = tmp_path / "case.wbcase"
    Case.create(case_path).close()
    report = ingest(case_path, sample)
    assert report.entities == 28
    with Case.open(case_path, readonly=True) as case:
        assert case.counts_by_schema() == {
            "LegalEntity": 6,
            "Organization": 3,
            "Passport": 2,
            "Person": 4,
            "Sanction": 13,
        }
        statements = case.statements(RIM_RYONG_NAM)
        assert {s["locator"] for s in statements} == {"consolidated.csv row 6"}
        assert {s["file_name"] for s in statements} == {"consolidated.csv"}
        assert {s["importer_id"] for s in statements} == {"us-csl"}
        birth = [s for s in statements if s["prop"] == "birthDate"]
        assert [s["value"] for s in birth] == ["1978-12-05"]
        # The party is linked to its Sanction and its Passport.
        neighbours = case.neighbours(RIM_RYONG_NAM)
        assert f"{RIM_RYONG_NAM}-sanction" in neighbours
        assert any(n.startswith(f"{RIM_RYONG_NAM}-doc-") for n in neighbours)


def test_reimporting_the_same_file_keeps_the_same_ids(sample, tmp_path):
    case_path = tmp_path / "case.wbcase"
    Case.create(case_path).close()
    ingest(case_path, sample)
    ingest(case_path, sample)
    with Case.open(case_path, readonly=True) as case:
        assert sum(case.counts_by_schema().values()) == 28


def test_rows_keep_their_numbers_after_a_value_with_line_breaks(sample, tmp_path):
    text = sample.read_text(encoding="utf-8")
    copy = tmp_path / "consolidated.csv"
    copy.write_text(text.replace('"HAMAS - Hebron"', '"HAMAS -\nHebron"'), encoding="utf-8")
    records = list(IMPORTER().read(copy))
    assert props(records, ABU_JHEISHEH)["notes"] == ["HAMAS -\nHebron"]
    # Row 14 is the 15th line of the copy, but still the 14th row.
    assert by_id(records)[SME_BANK].locator == "consolidated.csv row 14"


# ---------------------------------------------------------------------- rows the sample lacks


def test_vessel_with_owner_imo_and_flag(tmp_path):
    path = write_csl(
        tmp_path / "consolidated.csv",
        {
            "_id": "9999",
            "source": "Specially Designated Nationals (SDN) - Treasury Department",
            "entity_number": "9999",
            "type": "Vessel",
            "programs": "IRAN",
            "name": "SAMPLE STAR",
            "call_sign": "9BAB",
            "vessel_type": "Crude Oil Tanker",
            "gross_registered_tonnage": "150000",
            "vessel_flag": "Iran",
            "vessel_owner": "Sample Shipping Co",
            "ids": "Vessel Registration Identification, IMO 9187629; MMSI, 422031200; Vessel Year of Build, 1998",
        },
    )
    records = list(IMPORTER().read(path))
    vessel = props(records, "us-csl-sdn-9999")
    assert by_id(records)["us-csl-sdn-9999"].entity["schema"] == "Vessel"
    expected = {
        "imoNumber": ["IMO9187629"],
        "mmsi": ["422031200"],
        "flag": ["ir"],
        "callSign": ["9BAB"],
        "buildDate": ["1998"],
        "grossRegisteredTonnage": ["150000"],
    }
    assert {name: vessel.get(name) for name in expected} == expected
    owner_id = vessel["owner"][0]
    assert by_id(records)[owner_id].entity["schema"] == "LegalEntity"
    assert props(records, owner_id)["name"] == ["Sample Shipping Co"]


def test_aircraft_unknown_list_and_cmic(tmp_path):
    path = write_csl(
        tmp_path / "consolidated.csv",
        {
            "_id": "1001",
            "source": "Specially Designated Nationals (SDN) - Treasury Department",
            "entity_number": "1001",
            "type": "Aircraft",
            "name": "EP-ABC",
            "ids": "Aircraft Model, A310; Aircraft Manufacturer's Serial Number (MSN), 499; Aircraft Operator, X AIR",
        },
        {"_id": "abc", "source": "Some Future List (SFL) - Department of Tomorrow", "name": "Future Party"},
        {
            "_id": "2002",
            "source": "Non-SDN Chinese Military-Industrial Complex Companies List (CMIC) - Treasury Department",
            "entity_number": "2002",
            "type": "Entity",
            "name": "Sample Holdings",
        },
    )
    records = by_id(IMPORTER().read(path))
    airplane = records["us-csl-sdn-1001"].entity
    assert airplane["schema"] == "Airplane"
    assert airplane["properties"]["model"] == ["A310"]
    assert airplane["properties"]["serialNumber"] == ["499"]
    # FtM's Airplane.operator points to an entity; the operator's name is kept as a note.
    assert airplane["properties"]["notes"] == ["Aircraft Operator: X AIR"]
    future = records["us-csl-sfl-abc"].entity["properties"]
    assert "topics" not in future  # no topic is claimed for a list this importer does not know
    assert records["us-csl-sfl-abc-sanction"].entity["properties"]["authority"] == ["Department of Tomorrow"]
    assert sorted(records["us-csl-cmic-2002"].entity["properties"]["topics"]) == ["invest.ban", "sanction"]


def test_unknown_id_types_and_unreadable_values_are_kept_as_notes(tmp_path):
    path = write_csl(
        tmp_path / "consolidated.csv",
        {
            "_id": "3003",
            "source": "Specially Designated Nationals (SDN) - Treasury Department",
            "entity_number": "3003",
            "type": "Individual",
            "name": "Sample Person",
            "dates_of_birth": "1955 to 1958; circa 1960; 05 Dec 1978",
            "ids": "Digital Currency Address - XBT, 1AbCdEf; Phone Number, 12",
        },
    )
    person = props(list(IMPORTER().read(path)), "us-csl-sdn-3003")
    assert person["idNumber"] == ["1AbCdEf"]
    assert person["birthDate"] == ["1955", "1978-12-05"]
    assert person["notes"] == [
        "Date of birth: 1955 to 1958",
        "Date of birth: circa 1960",
        "Digital Currency Address - XBT: 1AbCdEf",
        "Phone Number: 12",
    ]


# ---------------------------------------------------------------------- bad input


def test_missing_columns_are_named(sample, tmp_path):
    rows = list(csv.DictReader(sample.open(encoding="utf-8", newline="")))
    kept = [c for c in CSL_COLUMNS if c not in ("type", "programs")]
    copy = tmp_path / "consolidated.csv"
    with copy.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=kept, extrasaction="ignore", quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(rows)
    assert IMPORTER.sniff(copy) == 0.0
    with pytest.raises(SourceFormatError, match=r"consolidated\.csv row 1: missing column\(s\) type, programs"):
        list(IMPORTER().read(copy))


def test_semicolon_delimiter_is_reported(sample, tmp_path):
    copy = semicolon_copy(sample, tmp_path / "consolidated.csv")
    with pytest.raises(SourceFormatError, match=r"consolidated\.csv row 1: .*separated by ';', not by commas"):
        list(IMPORTER().read(copy))


def test_windows_1252_copy_is_refused_naming_byte_and_row(sample, tmp_path):
    copy = tmp_path / "consolidated.csv"
    data = sample.read_text(encoding="utf-8").encode("cp1252")
    copy.write_bytes(data)
    offset = data.index(b"\xa7")  # the first "§", in the MEU row's licence policy
    with pytest.raises(SourceFormatError) as raised:
        list(IMPORTER().read(copy))
    assert str(raised.value).startswith(f"consolidated.csv row 4: byte {offset} (0xA7) is not UTF-8")


def test_truncated_file_is_reported_at_its_row(sample, tmp_path):
    data = sample.read_bytes()
    copy = tmp_path / "consolidated.csv"
    copy.write_bytes(data[: data.index(b"Hebei Semiconductor Research")])  # inside row 13's alt_names
    with pytest.raises(SourceFormatError, match=r"consolidated\.csv row 13 \(line 13\): unexpected end of data"):
        list(IMPORTER().read(copy))


def test_row_cut_short_is_reported(sample, tmp_path):
    data = sample.read_bytes()
    copy = tmp_path / "consolidated.csv"
    entity_list_url = b',"https://www.bis.doc.gov/index.php/policy-guidance/lists-of-parties-of-concern/entity-list"'
    copy.write_bytes(data[: data.index(entity_list_url)])  # row 13 ends after its 21st field
    with pytest.raises(SourceFormatError, match=r"consolidated\.csv row 13: 21 fields where the header has 29"):
        list(IMPORTER().read(copy))


@pytest.mark.parametrize(
    "row, message",
    [
        ({"_id": "1", "source": "Entity List (EL) - Bureau of Industry and Security"}, "the name column is empty"),
        ({"_id": "1", "name": "X"}, "the source column is empty"),
        ({"source": "Entity List (EL) - Bureau of Industry and Security", "name": "X"}, "both _id and entity_number"),
        (
            {"_id": "1", "source": "Entity List (EL) - Bureau of Industry and Security", "name": "X", "type": "Ship"},
            "unknown type 'Ship'",
        ),
    ],
    ids=["no-name", "no-source", "no-id", "unknown-type"],
)
def test_rows_that_cannot_be_read_are_reported(tmp_path, row, message):
    path = write_csl(tmp_path / "consolidated.csv", row)
    with pytest.raises(SourceFormatError, match=rf"consolidated\.csv row 2: {message}"):
        list(IMPORTER().read(path))


def test_empty_file_is_reported(tmp_path):
    path = tmp_path / "consolidated.csv"
    path.write_bytes(b"")
    with pytest.raises(SourceFormatError, match=r"consolidated\.csv row 1: the file is empty"):
        list(IMPORTER().read(path))


def test_broken_copy_leaves_an_existing_case_unchanged(sample, tmp_path):
    case_path = tmp_path / "case.wbcase"
    Case.create(case_path).close()
    ingest(case_path, sample)
    before = dump(case_path)

    # A long copy whose last row is cut inside a quoted value: over 5,000 records (a full ingest
    # batch) reach the case's transaction before the importer fails, so undoing them is tested.
    rows = list(csv.DictReader(sample.open(encoding="utf-8", newline="")))
    broken = tmp_path / "broken" / "consolidated.csv"
    broken.parent.mkdir()
    copies = 200
    with broken.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSL_COLUMNS, quoting=csv.QUOTE_ALL)
        writer.writeheader()
        for copy in range(copies):
            for row in rows:
                key = f"{row['_id']}-{copy}"
                writer.writerow({**row, "_id": key, "entity_number": key if row["entity_number"] else ""})
        handle.write('"cut","Entity List (EL) - Bureau of Industry and Security","","","","Cut Short Trad')
    failing_row = 1 + copies * len(rows) + 1
    with pytest.raises(SourceFormatError, match=rf"consolidated\.csv row {failing_row} "):
        ingest(case_path, broken)

    assert dump(case_path) == before
