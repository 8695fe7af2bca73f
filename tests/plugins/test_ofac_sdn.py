"""The OFAC SDN importer, on the real sample in shared/data/ofac and on damaged copies of it.

The sample (18 real SDN rows cut from moov-io/watchman's test data) has a few rows in add.csv
and alt.csv whose ent_num is not in sdn.csv: they belonged to parties left out of the cut, and
the importer must not give them to anybody.
"""

import re
import shutil
from pathlib import Path

import pytest
from followthemoney.types import registry

from casefiles import dump
from workbench.model import SourceInfo, model
from workbench.plugin_api import SourceFormatError, find_plugin
from workbench.store import Case
from workbench_plugins.importers.ofac_sdn import (
    PUBLISHER,
    OfacSdnImporter,
    normalise_name,
    parse_ofac_dates,
)

OFAC_FILES = ("sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv")
LISTED_SCHEMATA = {"Person": 4, "Organization": 7, "Vessel": 4, "Airplane": 2}
# Everything the sample becomes: 17 listed parties, a Sanction each, 32 crypto wallets named in
# remarks, 11 "Linked To" links to 11 parties not in the sample, and the aircraft operator Air Koryo.
SAMPLE_COUNTS = {
    **LISTED_SCHEMATA,
    "Sanction": 17,
    "CryptoWallet": 32,
    "UnknownLink": 11,
    "LegalEntity": 12,
}
LOCATOR = re.compile(r"^(sdn|add|alt|sdn_comments)\.csv line \d+( and sdn_comments\.csv line \d+)?$")


# --------------------------------------------------------------------------- helpers

@pytest.fixture
def ofac_dir(shared_data) -> Path:
    return shared_data / "ofac"


def merged(records) -> dict:
    """Records merged by entity id, as the store merges them."""
    entities = {}
    for record in records:
        proxy = model.get_proxy(record.entity)
        if proxy.id in entities:
            entities[proxy.id].merge(proxy)
        else:
            entities[proxy.id] = proxy
    return entities


@pytest.fixture
def entities(ofac_dir) -> dict:
    return merged(OfacSdnImporter().read(ofac_dir / "sdn.csv"))


def of_schema(entities: dict, schema: str) -> list:
    return [entity for entity in entities.values() if entity.schema.name == schema]


def linked_to(entities: dict, subject_id: str) -> dict:
    """Names of the parties a listed party is "Linked To", mapped to their entities."""
    links = {}
    for link in of_schema(entities, "UnknownLink"):
        if link.get("subject") == [subject_id]:
            target = entities[link.first("object")]
            links[target.first("name")] = target
    return links


def copy_sample(ofac_dir: Path, folder: Path, files=OFAC_FILES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in files:
        shutil.copyfile(ofac_dir / name, folder / name)
    return folder / "sdn.csv"


def ingest(case: Case, path: Path):
    source = SourceInfo.from_file(path, importer_id=OfacSdnImporter.id, importer_version=OfacSdnImporter.version)
    return case.ingest(OfacSdnImporter().read(path), source)


# --------------------------------------------------------------------------- manifest

def test_manifest_and_entry_point():
    assert find_plugin("ofac-sdn", "importer") is OfacSdnImporter
    manifest = OfacSdnImporter.manifest()
    assert manifest["id"] == "ofac-sdn" and manifest["kind"] == "importer"
    assert OfacSdnImporter.topics == ("sanction",)


# --------------------------------------------------------------------------- the real sample

def test_sample_counts_by_schema(entities):
    counts = {}
    for entity in entities.values():
        counts[entity.schema.name] = counts.get(entity.schema.name, 0) + 1
    assert counts == SAMPLE_COUNTS


def test_every_listed_party_is_marked_as_listed(entities, ofac_dir):
    ent_nums = [line.split(",", 1)[0] for line in (ofac_dir / "sdn.csv").read_text("latin-1").splitlines()]
    assert len(ent_nums) == 17
    for ent_num in ent_nums:
        party = entities[f"ofac-sdn-{ent_num}"]
        assert party.get("topics") == ["sanction"]
        assert party.get("publisher") == [PUBLISHER]
        assert party.get("program")
    # Parties only named in remarks are linked to the list, not on it.
    for stub in of_schema(entities, "LegalEntity"):
        assert stub.get("topics") == ["sanction.linked"]
        assert not stub.get("publisher")


def test_organisation_names_aliases_addresses_and_programs(entities):
    iami = entities["ofac-sdn-11195"]
    assert iami.schema.name == "Organization"
    assert iami.get("name") == ["IRAN AIRCRAFT MANUFACTURING INDUSTRIAL COMPANY"]
    # alt.csv holds the strong aliases; the remarks' a.k.a.s are OFAC's weak ones.
    assert "HESA TRADE CENTER" in iami.get("alias")
    assert "KARKHANEJATE SANAYE HAVAPAYMAIE IRAN" in iami.get("alias")
    assert {"HESA", "SHAHIN CO.", "HAVAPEYMA SAZI IRAN"} <= set(iami.get("weakAlias"))
    assert iami.get("program") == ["NPWMD", "IFSR", "IRAN-CON-ARMS-EO"]
    assert iami.get("country") == ["ir"]
    assert "P.O. Box 83145-311, 28 km Esfahan - Tehran Freeway, Shahin Shahr, Esfahan, Iran" in iami.get("address")
    assert len(iami.get("address")) == 5
    assert iami.get("registrationNumber") == ["26740"]
    assert iami.get("idNumber") == ["10100722073"]
    assert "Linked To: ISLAMIC REVOLUTIONARY GUARD CORPS" in iami.first("notes")

    gicdf = entities["ofac-sdn-12685"]
    assert sorted(gicdf.get("country")) == ["ch", "ly"]
    assert gicdf.get("website") == ["http://www.gicdf.org/"]
    assert gicdf.get("email") == ["info@gicdf.org"]
    assert gicdf.get("registrationNumber") == ["CH-660.0.699.004-7"]

    tnk = entities["ofac-sdn-28603"]
    assert tnk.get("vatCode") == ["CHE-267.936.404"]
    assert tnk.get("registrationNumber") == ["CH-660.0.559.011-2"]

    dialog = entities["ofac-sdn-50544"]
    assert dialog.get("incorporationDate") == ["2020-07-21"]
    assert sorted(dialog.get("website")) == ["http://www.dialog-regions.ru/", "http://www.dialog.info/"]


def test_rows_for_parties_missing_from_sdn_csv_are_not_attached(entities):
    # alt.csv line 1 is "10416,10278,aka,KARADH AL-HASSAN": ent_num 10416, alt_num 10278.
    everyone = [name for entity in entities.values() for name in entity.get_type_values(registry.name)]
    assert "KARADH AL-HASSAN" not in everyone
    assert entities["ofac-sdn-10278"].get("alias") == []
    # add.csv line 26 ("33997,50972,...Izvore, Kosovo") is not the vessel FRUNZE's (ent_num 50972).
    assert entities["ofac-sdn-50972"].get("country") == []


def test_people(entities):
    logan = entities["ofac-sdn-10278"]
    assert logan.schema.name == "Person"
    assert logan.get("lastName") == ["LOGAN MOREY"] and logan.get("firstName") == ["Elvis Angus"]
    assert logan.get("birthDate") == ["1963-07-28"]
    assert logan.get("birthPlace") == ["Toledo District, Belize"]
    assert logan.get("birthCountry") == ["bz"]
    assert logan.get("passportNumber") == ["P0017003"]
    assert logan.get("weakAlias") == ["BURTON BURGESS"]

    khoroshev = entities["ofac-sdn-48603"]
    assert khoroshev.get("birthDate") == ["1993-04-17"]
    assert khoroshev.get("nationality") == ["ru"] and khoroshev.get("citizenship") == ["ru"]
    assert khoroshev.get("gender") == ["male"]
    assert sorted(khoroshev.get("passportNumber")) == ["2006801524", "2018278055"]
    assert khoroshev.get("taxNumber") == ["366110340670"]
    assert khoroshev.get("weakAlias") == ["LOCKBITSUPP"]
    assert "KHOROSHEV, Dmitriy Yurevich" in khoroshev.get("alias")
    assert sorted(khoroshev.get("email")) == ["khoroshev1@icloud.com", "sitedev5@yandex.ru"]

    lifshits = entities["ofac-sdn-29702"]
    assert lifshits.get("phone") == ["+79110354982"]  # "79110354982", read for a Russian national
    wallets = [w for w in of_schema(entities, "CryptoWallet") if w.get("holder") == ["ofac-sdn-29702"]]
    assert {(w.first("currency"), w.first("publicKey")) for w in wallets} >= {
        ("XBT", "12udabs2TkX7NXCSj6KpqXfakjE52ZPLhz"),
        ("ETH", "0x901bb9583b24d97e995513c6778dc6888ab6870e"),
        ("DASH", "Xs3vzQmNvAxRa3Xo8XzQqUb3BMgb9EogF4"),
    }
    assert len(wallets) == 6


def test_phone_numbers_are_read_only_when_unambiguous(entities):
    # "(218) (0)214778301" is valid only as a Libyan number; "(022) 7363030" is valid both in
    # Geneva and in Libya, where the foundation has addresses, so it stays only in the notes.
    gicdf = entities["ofac-sdn-12685"]
    assert gicdf.get("phone") == ["+218214778301"]
    assert "Telephone No. (022) 7363030" in gicdf.first("notes")


def test_vessels(entities):
    ns_leader = entities["ofac-sdn-47371"]
    assert ns_leader.schema.name == "Vessel"
    assert ns_leader.get("imoNumber") == ["IMO9339301"]
    assert ns_leader.get("mmsi") == ["636013272"]
    assert ns_leader.get("flag") == ["ga"]
    assert ns_leader.get("callSign") == ["A8LU7"]
    assert ns_leader.get("type") == ["Crude Oil Tanker"]
    assert ns_leader.get("program") == ["RUSSIA-EO14024"]

    makran = entities["ofac-sdn-40716"]
    assert makran.get("imoNumber") == ["IMO9486910"]
    assert makran.get("flag") == ["ir"]
    assert makran.get("type") == ["Naval Auxiliary Vessel"]
    assert makran.get("weakAlias") == ["MAKRAN"]

    assert entities["ofac-sdn-50972"].get("flag") == ["ck"]
    assert entities["ofac-sdn-52327"].get("imoNumber") == ["IMO9313149"]


def test_aircraft(entities):
    il76 = entities["ofac-sdn-48727"]
    assert il76.schema.name == "Airplane"
    assert il76.get("registrationNumber") == ["EP-PUS"]
    assert il76.get("model") == ["Ilyushin IL-76TD"]
    assert il76.get("buildDate") == ["1992"]
    assert il76.get("serialNumber") == ["1023409321"]
    assert il76.get("program") == ["SDGT", "NPWMD", "IRGC", "IFSR"]
    # FtM has no property for a Mode S transponder code: it stays in the notes.
    assert "Aircraft Mode S Transponder Code 7342B3" in il76.first("notes")

    an24 = entities["ofac-sdn-20540"]
    assert an24.get("model") == ["AN24-RV"]
    operator = entities[an24.first("operator")]
    assert operator.schema.name == "LegalEntity" and operator.get("name") == ["Air Koryo"]


def test_sanction_per_listed_party(entities):
    sanctions = {s.first("entity"): s for s in of_schema(entities, "Sanction")}
    assert len(sanctions) == 17
    iami = sanctions["ofac-sdn-11195"]
    assert iami.get("authority") == ["Office of Foreign Assets Control"]
    assert iami.get("authorityId") == ["11195"]
    assert iami.get("program") == ["NPWMD", "IFSR", "IRAN-CON-ARMS-EO"]
    assert iami.get("sourceUrl") == ["https://sanctionslist.ofac.treas.gov/"]
    assert iami.get("provisions") == ["Additional Sanctions Information - Subject to Secondary Sanctions"]
    assert "Secondary sanctions risk: See Section 11 of Executive Order 14024." in sanctions["ofac-sdn-47371"].get(
        "provisions"
    )


def test_linked_to_an_unlisted_party_makes_a_stub(entities):
    links = linked_to(entities, "ofac-sdn-11195")
    assert set(links) == {"MINISTRY OF DEFENSE AND ARMED FORCES LOGISTICS", "ISLAMIC REVOLUTIONARY GUARD CORPS"}
    irgc = links["ISLAMIC REVOLUTIONARY GUARD CORPS"]
    assert irgc.schema.name == "LegalEntity"
    assert irgc.id.startswith("ofac-sdn-named-")
    link = next(l for l in of_schema(entities, "UnknownLink") if l.get("object") == [irgc.id])
    assert link.get("role") == ["Linked To"]
    assert set(linked_to(entities, "ofac-sdn-47371")) == {"NS LEADER SHIPPING INCORPORATED"}
    # The full stop that ends OFAC's remarks cannot be told from one that ends "LTD.".
    assert set(linked_to(entities, "ofac-sdn-15102")) == {"D'S SUPERMARKET COMPANY LTD"}


def test_remarks_continued_in_sdn_comments(ofac_dir):
    records = list(OfacSdnImporter().read(ofac_dir / "sdn.csv"))
    suex = merged(records)["ofac-sdn-33151"]
    sdn_part = (ofac_dir / "sdn.csv").read_text("latin-1").splitlines()[8].rsplit(',"', 1)[1].rstrip('"')
    comment = (ofac_dir / "sdn_comments.csv").read_text("latin-1").strip().split(",", 1)[1].strip('"')
    assert len(sdn_part) == 1000  # sdn.csv's limit: the rest is in sdn_comments.csv
    assert suex.get("notes") == [sdn_part + comment]
    assert suex.get("leiCode") == ["5299007NTWCC3U23WM81"]
    assert suex.get("registrationNumber") == ["07486049"]
    assert suex.get("incorporationDate") == ["2018-09-25"]
    assert suex.get("weakAlias") == ["SUCCESSFUL EXCHANGE"]

    def locator_of(prop, value):
        return [r.locator for r in records if value in r.entity["properties"].get(prop, [])]

    assert locator_of("leiCode", "5299007NTWCC3U23WM81") == ["sdn_comments.csv line 1"]
    assert locator_of("website", "http://suex.io/") == ["sdn.csv line 9"]
    # The bitcoin address cut by the 1000-character limit comes from both files.
    assert locator_of("publicKey", "1B64QRxfaa35MVkf7sDjuGUYAP5izQt7Qi") == ["sdn.csv line 9 and sdn_comments.csv line 1"]


def test_a_space_at_the_remarks_cut_is_kept(ofac_dir, tmp_path):
    # Cut Elvis LOGAN MOREY's remarks right after "Passport " and continue them in sdn_comments.csv.
    sdn = copy_sample(ofac_dir, tmp_path / "cut")
    text = sdn.read_text("latin-1")
    rest = "P0017003 (Belize); SSN 561-77-9011 (United States); a.k.a. 'BURTON BURGESS'."
    sdn.write_text(text.replace(rest + '"', '"', 1), "latin-1", newline="")
    with (tmp_path / "cut" / "sdn_comments.csv").open("a", encoding="latin-1", newline="") as handle:
        handle.write(f'10278,"{rest}"\r\n')
    records = list(OfacSdnImporter().read(sdn))
    logan = merged(records)["ofac-sdn-10278"]
    assert logan.get("passportNumber") == ["P0017003"]
    assert logan.get("notes") == ["DOB 28 Jul 1963; POB Toledo District, Belize; Passport " + rest]
    passport = [r.locator for r in records if "passportNumber" in r.entity["properties"] and r.entity["id"] == logan.id]
    assert passport == ["sdn.csv line 1 and sdn_comments.csv line 2"]
    assert [r.locator for r in records if "weakAlias" in r.entity["properties"] and r.entity["id"] == logan.id] == [
        "sdn_comments.csv line 2"
    ]


def test_every_record_names_its_file_and_line(ofac_dir):
    records = list(OfacSdnImporter().read(ofac_dir / "sdn.csv"))
    assert all(LOCATOR.match(record.locator) for record in records)
    by_locator = {}
    for record in records:
        if record.entity["id"] == "ofac-sdn-11195":
            by_locator.setdefault(record.locator, {}).update(record.entity["properties"])
    assert by_locator["alt.csv line 2"] == {"alias": ["HESA TRADE CENTER"]}
    assert by_locator["add.csv line 3"]["address"] == [
        "P.O. Box 14155-5568, No. 27 Shahamat Ave, Vallie Asr Sqr, Tehran 15946, Iran"
    ]
    assert "HESA" in by_locator["sdn.csv line 2"]["weakAlias"]


def test_any_of_the_four_files_reads_the_whole_list(ofac_dir):
    expected = [(r.locator, r.entity) for r in OfacSdnImporter().read(ofac_dir / "sdn.csv")]
    for name in ("add.csv", "alt.csv", "sdn_comments.csv"):
        assert [(r.locator, r.entity) for r in OfacSdnImporter().read(ofac_dir / name)] == expected


def test_missing_companion_files_are_fine(ofac_dir, tmp_path):
    sdn = copy_sample(ofac_dir, tmp_path / "only-sdn", files=("sdn.csv",))
    entities = merged(OfacSdnImporter().read(sdn))
    iami = entities["ofac-sdn-11195"]
    assert iami.get("alias") == [] and iami.get("address") == []
    assert "HESA" in iami.get("weakAlias")
    # Without sdn_comments.csv the remarks stop at sdn.csv's 1000 characters.
    assert entities["ofac-sdn-33151"].get("leiCode") == []
    assert len(entities["ofac-sdn-33151"].first("notes")) == 1000


def test_linked_to_resolves_to_the_listed_party_of_that_name(ofac_dir, tmp_path):
    sdn = copy_sample(ofac_dir, tmp_path / "linked")
    added = (
        # Names written with other case and punctuation, a strong alias (alt.csv), a weak one
        # (remarks), a vessel, and a vessel owner whose "&" is written "and".
        '90001,"TEST TANKER","vessel","IRAN",-0- ,-0- ,"Crude Oil Tanker",-0- ,-0- ,"Panama",'
        '"Aircraft, Avionics, Parts and Support Ltd",'
        '"Linked To: Iran Aircraft Manufacturing Industrial Company; Linked To: HESA TRADE CENTER; '
        'Linked To: SHAHIN CO.; Linked To: IRIS MAKRAN; Linked To: HTC; Linked To: TEST TANKER."\r\n'
        # A second party with the weak alias "HTC" makes that name ambiguous.
        '90002,"TEST HOLDING",-0- ,"IRAN",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"a.k.a. \'HTC\'."\r\n'
    )
    with sdn.open("ab") as handle:
        handle.write(added.encode("cp1252"))
    entities = merged(OfacSdnImporter().read(sdn))
    objects = {link.first("object") for link in of_schema(entities, "UnknownLink") if link.get("subject") == ["ofac-sdn-90001"]}
    htc_stub = next(e for e in of_schema(entities, "LegalEntity") if e.get("name") == ["HTC"])
    # A party never links to itself: "TEST TANKER" is only this vessel's own name.
    self_stub = next(e for e in of_schema(entities, "LegalEntity") if e.get("name") == ["TEST TANKER"])
    assert objects == {"ofac-sdn-11195", "ofac-sdn-40716", htc_stub.id, self_stub.id}
    assert entities["ofac-sdn-90001"].get("owner") == ["ofac-sdn-19709"]


def test_normalise_name():
    assert normalise_name("OPEN JOINT-STOCK COMPANY") == normalise_name("Open Joint Stock  Company")
    assert normalise_name("PARTS & SUPPORT LTD.") == "parts and support ltd"


def test_parse_ofac_dates():
    assert parse_ofac_dates("12 Feb 1960") == ["1960-02-12"]
    assert parse_ofac_dates("Feb 1960") == ["1960-02"]
    assert parse_ofac_dates("circa 1960") == ["1960"]
    assert parse_ofac_dates("1960 to 1962") == ["1960", "1962"]
    assert parse_ofac_dates("01 Jan 1960 to 31 Dec 1962") == ["1960-01-01", "1962-12-31"]
    assert parse_ofac_dates("31 Feb 1960") == []


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8"])
def test_accented_names_in_either_encoding(ofac_dir, tmp_path, encoding):
    sdn = copy_sample(ofac_dir, tmp_path / encoding)
    text = sdn.read_text("latin-1").replace('"MORENO, Daniel"', '"MUÑOZ, Daniel \u2018Danny\u2019"')
    sdn.write_bytes(text.encode(encoding))
    entities = merged(OfacSdnImporter().read(sdn))
    assert entities["ofac-sdn-15102"].get("name") == ["MUÑOZ, Daniel \u2018Danny\u2019"]


# --------------------------------------------------------------------------- into a case

def test_ingest_into_a_case(ofac_dir, tmp_path):
    sdn = ofac_dir / "sdn.csv"
    with Case.create(tmp_path / "sdn.wbcase") as case:
        report = ingest(case, sdn)
        assert case.counts_by_schema() == SAMPLE_COUNTS
        assert report.new_entities == sum(SAMPLE_COUNTS.values())

        iami = case.entity("ofac-sdn-11195")
        assert iami.get("topics") == ["sanction"]
        assert "HESA TRADE CENTER" in iami.get("alias")

        statements = case.statements("ofac-sdn-11195")
        assert {s["file_name"] for s in statements} == {"sdn.csv"}
        assert all(LOCATOR.match(s["locator"]) for s in statements)
        where = {(s["prop"], s["value"]): s["locator"] for s in statements}
        assert where[("name", "IRAN AIRCRAFT MANUFACTURING INDUSTRIAL COMPANY")] == "sdn.csv line 2"
        assert where[("weakAlias", "HESA")] == "sdn.csv line 2"
        assert where[("alias", "HESA TRADE CENTER")] == "alt.csv line 2"
        assert where[("address", "Shahih Shar Industrial Zone, Esfahan, Iran")] == "add.csv line 5"

        vessel = {(s["prop"], s["value"]): s["locator"] for s in case.statements("ofac-sdn-47371")}
        assert vessel[("imoNumber", "IMO9339301")] == "sdn.csv line 12"

        links = [e for e in case.edges("ofac-sdn-11195") if e["schema"] == "UnknownLink"]
        targets = {case.entity(e["target_id"]).first("name") for e in links}
        assert targets == {"MINISTRY OF DEFENSE AND ARMED FORCES LOGISTICS", "ISLAMIC REVOLUTIONARY GUARD CORPS"}


def test_failed_ingest_leaves_the_case_unchanged(ofac_dir, tmp_path):
    case_path = tmp_path / "existing.wbcase"
    with Case.create(case_path) as case:
        ingest(case, ofac_dir / "sdn.csv")
    before = dump(case_path)

    sdn = copy_sample(ofac_dir, tmp_path / "truncated")
    data = sdn.read_bytes()
    sdn.write_bytes(data[: data.rindex(b"MMSI 35") + len(b"MMSI 35")])  # cut inside the last remarks
    with Case.open(case_path) as case:
        with pytest.raises(SourceFormatError, match=r"sdn\.csv line 17: .*truncated"):
            ingest(case, sdn)
    assert dump(case_path) == before


# --------------------------------------------------------------------------- sniffing

def test_sniff(ofac_dir, shared_data, tmp_path):
    assert OfacSdnImporter.sniff(ofac_dir / "sdn.csv") == 0.9
    renamed = tmp_path / "sdn-2024-06.csv"
    shutil.copyfile(ofac_dir / "sdn.csv", renamed)
    assert OfacSdnImporter.sniff(renamed) == 0.9  # recognised by its first row
    # The companions are claimed too: importing one imports the list through the sdn.csv beside it.
    for name in ("add.csv", "alt.csv", "sdn_comments.csv"):
        assert OfacSdnImporter.sniff(ofac_dir / name) == 0.9
        assert OfacSdnImporter().main_file(ofac_dir / name) == ofac_dir / "sdn.csv"
    assert OfacSdnImporter().main_file(ofac_dir / "sdn.csv") == ofac_dir / "sdn.csv"
    for other in ("csl/consolidated.csv", "un/un_consolidated_sample.xml", "ftm/eu_fsf_sample.ftm.json",
                  "amlsim/tx.csv", "graphs/miserables.graphml"):
        assert OfacSdnImporter.sniff(shared_data / other) == 0.0
    # OFAC's Consolidated (non-SDN) list has the same layout but is another list.
    consolidated = tmp_path / "cons_prim.csv"
    shutil.copyfile(ofac_dir / "sdn.csv", consolidated)
    assert OfacSdnImporter.sniff(consolidated) == 0.0
    assert OfacSdnImporter.sniff(tmp_path / "missing.csv") == 0.0


# --------------------------------------------------------------------------- bad input

def _replace_in(name: str, old: str, new: str):
    def mutate(folder: Path) -> None:
        path = folder / name
        text = path.read_text("latin-1")
        assert old in text
        path.write_text(text.replace(old, new, 1), "latin-1", newline="")

    return mutate


def _cut_after(marker: bytes):
    def mutate(folder: Path) -> None:
        path = folder / "sdn.csv"
        data = path.read_bytes()
        path.write_bytes(data[: data.rindex(marker) + len(marker)])

    return mutate


def _replace_sdn_with(content):
    def mutate(folder: Path) -> None:
        data = content.read_bytes() if isinstance(content, Path) else content
        (folder / "sdn.csv").write_bytes(data)

    return mutate


BAD_INPUTS = {
    "cut inside a quoted field": (
        _cut_after(b"MMSI 35"),
        r"sdn\.csv line 17: the file ends inside a quoted field .*truncated",
    ),
    "cut inside an unquoted field": (
        _cut_after(b'52327,"TASCA","vessel","IRAN-EO13846",-0'),
        r"sdn\.csv line 17: expected 12 columns \(ent_num, SDN_Name, .*\), found 5",
    ),
    "a column missing": (
        _replace_in("sdn.csv", '"LIBYA2",-0- ,', '"LIBYA2",'),
        r"sdn\.csv line 3: expected 12 columns .* found 11",
    ),
    "a non-numeric ent_num": (
        _replace_in("sdn.csv", "15102,", "A15102,"),
        r"sdn\.csv line 4: expected a numeric ent_num in column 1, found 'A15102'",
    ),
    "an unknown SDN_Type": (
        _replace_in("sdn.csv", '"IRIS MAKRAN","vessel"', '"IRIS MAKRAN","ship"'),
        r"sdn\.csv line 10: expected SDN_Type individual, vessel, aircraft or -0- in column 3, found 'ship'",
    ),
    "an ent_num listed twice": (
        _replace_in("sdn.csv", "11195,", "10278,"),
        r"sdn\.csv line 2: ent_num 10278 is listed twice \(also sdn\.csv line 1\)",
    ),
    "a companion file with a column too many": (
        _replace_in("alt.csv", '"KARKHANEJATE SANAYE HAVAPAYMAIE IRAN",-0- ', '"KARKHANEJATE SANAYE HAVAPAYMAIE IRAN",-0- ,x'),
        r"alt\.csv line 5: expected 5 columns \(ent_num, alt_num, alt_type, alt_name, alt_remarks\), found 6",
    ),
    "a binary file": (
        _replace_sdn_with(b"PK\x03\x04\x14\x00\x00\x00\x08\x00"),
        r"sdn\.csv line 1: not a text file",
    ),
    "an empty file": (
        _replace_sdn_with(b""),
        r"sdn\.csv: expected at least one listed party",
    ),
}


@pytest.mark.parametrize("case_name", sorted(BAD_INPUTS))
def test_bad_input_is_reported_with_file_and_line(ofac_dir, tmp_path, case_name):
    mutate, message = BAD_INPUTS[case_name]
    sdn = copy_sample(ofac_dir, tmp_path / "bad")
    mutate(tmp_path / "bad")
    with pytest.raises(SourceFormatError, match=message):
        list(OfacSdnImporter().read(sdn))


@pytest.mark.parametrize(
    "other, message",
    [
        ("csl/consolidated.csv", r"sdn\.csv line 1: expected 12 columns .* found 29"),
        ("un/un_consolidated_sample.xml", r"sdn\.csv line 1: expected 12 columns .* found 1 \(.<\?xml"),
        ("ftm/eu_fsf_sample.ftm.json", r"sdn\.csv line 1: expected a comma after the closing \" of a field"),
    ],
)
def test_another_kind_of_file_named_sdn_csv(shared_data, tmp_path, other, message):
    sdn = tmp_path / "sdn.csv"
    shutil.copyfile(shared_data / other, sdn)
    with pytest.raises(SourceFormatError, match=message):
        list(OfacSdnImporter().read(sdn))


def test_a_companion_file_without_sdn_csv(ofac_dir, tmp_path):
    copy_sample(ofac_dir, tmp_path / "alone", files=("alt.csv",))
    with pytest.raises(SourceFormatError, match=r"alt\.csv: expected sdn\.csv in the same folder"):
        list(OfacSdnImporter().read(tmp_path / "alone" / "alt.csv"))


def test_the_consolidated_list_is_refused(ofac_dir, tmp_path):
    consolidated = tmp_path / "cons_prim.csv"
    shutil.copyfile(ofac_dir / "sdn.csv", consolidated)
    with pytest.raises(SourceFormatError, match=r"cons_prim\.csv: this is OFAC's Consolidated \(non-SDN\) list"):
        list(OfacSdnImporter().read(consolidated))


def test_changed_companion_file_is_a_new_import_not_a_duplicate(shared_data, tmp_path):
    import shutil

    from workbench.importing import import_file
    from workbench.store import Case

    folder = tmp_path / "ofac"
    shutil.copytree(shared_data / "ofac", folder)
    with Case.create(tmp_path / "c.wbcase") as case:
        assert import_file(case, folder / "sdn.csv").report is not None
        assert import_file(case, folder / "sdn.csv").skipped
        with (folder / "alt.csv").open("a", encoding="utf-8") as handle:
            handle.write('306,999,"aka","EXAMPLE NEW ALIAS",-0-\n')
        assert import_file(case, folder / "sdn.csv").report is not None
