"""De-identified sharing and the audit log, as an analyst and a partner agency meet them.

Everything runs on real case files: the demo case, plus a protected informant's report and the
analyst's own notes that mention people, phones and e-mails in free text.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import html
import json
import os
import re
import sqlite3
import stat
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from workbench.cli import _CaseErrors
from workbench.paths import user_data_dir
from workbench.model import Record, SourceInfo, model, parse_grade
from workbench.plugin_api import find_plugin
from workbench.sharing import (
    PSEUDONYM_PATTERN,
    SharingKey,
    audit_rows,
    deidentify,
    reidentify,
    write_deidentified,
)
from workbench.sharing_cli import register
from workbench.store import Case

INFORMANT = "Yelena Dravnikova"
INFORMANT_PHONE = "+74957770123"
INFORMANT_EMAIL = "y.dravnikova@protonmail.com"
PROTECTED_ALIAS = "Arkasha the Quartermaster"
PASSPORT = "753112233"
# The analyst's note names people and contacts the way people write them, not as FtM cleans them.
NOTE = ("Met Yelena Dravnikova and VELTSIN, Arkady at the Istanbul office; call +7 (495) 555-01-17 or "
        "write to zakupki@tekhsnab-vostralin.example; see demo-person-oleg-prytkin. Rami's deputy paid "
        "9,780 USD on 2023-05-17 for ceramic capacitors.")


# ---------------------------------------------------------------------------------- fixtures


@pytest.fixture
def case(demo):
    """The demo, plus a protected informant report and the analyst's notes about it."""
    demo.ingest(
        [
            Record({"id": "informant-yelena-dravnikova", "schema": "Person",
                    "properties": {"name": [INFORMANT], "phone": [INFORMANT_PHONE], "email": [INFORMANT_EMAIL]}},
                   locator="p. 1"),
            Record({"id": "demo-person-arkady-veltsin", "schema": "Person",
                    "properties": {"alias": [PROTECTED_ALIAS]}}, locator="p. 2"),
            Record({"id": "informant-owns-atlas", "schema": "Ownership",
                    "properties": {"owner": ["informant-yelena-dravnikova"], "asset": ["demo-co-atlas-crest-trading"],
                                   "percentage": ["5"]}}, locator="p. 3"),
        ],
        SourceInfo(file_name="informant-report.pdf", sha256="0" * 64, importer_id="manual",
                   grade=parse_grade("A2"), protected=True),
    )
    demo.add_facts(
        [
            {"id": "analyst-note-front", "schema": "Company",
             "properties": {"name": ["Bosphorus Front Trading"], "description": [NOTE], "country": ["tr"]}},
            {"id": "analyst-link-informant", "schema": "UnknownLink",
             "properties": {"subject": ["informant-yelena-dravnikova"], "object": ["demo-person-arkady-veltsin"],
                            "role": ["handler"]}},
            {"id": "analyst-passport-prytkin", "schema": "Passport",
             "properties": {"holder": ["demo-person-oleg-prytkin"], "number": [PASSPORT], "country": ["ru"]}},
            {"id": "analyst-person-extra", "schema": "Person",
             "properties": {"name": ["Timur Bekov"], "religion": ["(recorded by mistake)"],
                            "passportNumber": ["AB1234567"]}},
        ],
        note="meeting with a colleague",
        grade=parse_grade("C3"),
    )
    return demo


@pytest.fixture
def key_path(tmp_path):
    # Apart from the exports: the key re-identifies everyone.
    return tmp_path / "keys" / "sharing-key.json"


@pytest.fixture
def exports(tmp_path):
    folder = tmp_path / "outbox"
    folder.mkdir()
    return folder


def run_cli(*args):
    group = _CaseErrors()
    register(group)
    return CliRunner().invoke(group, [str(arg) for arg in args], catch_exceptions=False)


def entities_in(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def readable_text(path: Path) -> str:
    """Every byte of an export as text: a workbook's XML parts unzipped and unescaped."""
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as archive:
            raw = "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
        return html.unescape(raw)
    return path.read_bytes().decode("utf-8")


def personal_originals(case: Case) -> set[str]:
    """Every original person name and name part, phone, e-mail, account number and person id,
    including those known only from protected sources."""
    originals: set[str] = set()
    for proxy in case.iter_entities(include_protected=True):
        schema = proxy.schema
        for prop_name, values in proxy.properties.items():
            prop = schema.properties[prop_name]
            if prop.type.name in ("phone", "email"):
                originals.update(values)
                originals.update(re.sub(r"\D", "", value) for value in values if prop.type.name == "phone")
            if schema.is_a("BankAccount") and prop_name in ("accountNumber", "iban"):
                originals.update(values)
            if schema.is_a("Person") and (prop.type.name in ("name", "identifier", "address")
                                          or prop_name in ("firstName", "lastName", "fatherName", "middleName")):
                originals.update(values)
            if schema.is_a("Passport") and prop_name == "number":
                originals.update(values)
        if schema.is_a("Person"):
            originals.add(proxy.id)
    return originals


def name_words(case: Case) -> set[str]:
    words = set()
    for proxy in case.iter_entities(include_protected=True):
        if proxy.schema.is_a("Person"):
            for value in proxy.get_type_values(model.get("Person").get("name").type):
                words.update(word.casefold() for word in re.findall(r"[^\W\d_]{4,}", value))
    return words - {"quartermaster"}  # a word of the protected alias that is also an English word


# ---------------------------------------------------------------------------------- nothing personal leaves


@pytest.mark.parametrize("format_name, name", [("ftm", "shared.ftm.json"), ("xlsx", "shared.xlsx")])
def test_the_shared_file_names_nobody(case, key_path, exports, format_name, name):
    output = exports / name
    report = write_deidentified(case, output, format_name, key_path=key_path)
    text = readable_text(output)

    originals = personal_originals(case)
    assert len(originals) > 60
    leaked = sorted(value for value in originals if value in text)
    assert leaked == []
    # Not even a word of a name, in any case, inside ids ("demo-own-veltsin-meridian") or text.
    words = sorted(word for word in name_words(case) if re.search(rf"\b{re.escape(word)}\b", text, re.I))
    assert words == []
    for secret in (PROTECTED_ALIAS, "informant", "Dravnikova", PASSPORT, "AB1234567", "recorded by mistake"):
        assert secret.casefold() not in text.casefold()

    # What a partner needs is still there: companies, amounts, countries, goods.
    for kept in ("Atlas Crest General Trading FZE", "Gulfstar Freight & Logistics FZCO", "854232", "447000",
                 "Bosphorus Front Trading", "9,780 USD", "ceramic capacitors"):
        assert kept in text
    assert report["entities"] > 70 and report["pseudonymised"]["phone"] >= 10


def test_free_text_keeps_its_sense_with_the_same_pseudonyms(case, key_path, exports):
    output = exports / "shared.ftm.json"
    write_deidentified(case, output, "ftm", key_path=key_path)
    key = SharingKey.load(key_path)
    pseudonym = {(entry["kind"], entry["value"]): p for p, entry in key.entries.items()}
    note = next(e for e in entities_in(output) if e["properties"].get("name") == ["Bosphorus Front Trading"])
    text = note["properties"]["description"][0]
    # A phone written with spaces and brackets, an e-mail and an id get the pseudonyms their
    # properties get elsewhere, so a partner can still join the note to the chart.
    assert pseudonym[("phone", "+74955550117")] in text
    assert pseudonym[("email", "zakupki@tekhsnab-vostralin.example")] in text
    assert pseudonym[("entity", "demo-person-oleg-prytkin")] in text
    assert text.startswith("Met Person ") and "'s deputy paid 9,780 USD on 2023-05-17 for ceramic" in text
    # The protected informant's name is scrubbed although the informant never leaves.
    assert "Dravnikova" not in text


def test_protected_sources_never_leave(case, key_path, exports):
    output = exports / "shared.ftm.json"
    report = write_deidentified(case, output, "ftm", key_path=key_path)
    shared = entities_in(output)
    shared_ids = {e["id"] for e in shared}
    schemata = [e["schema"] for e in shared]
    # The informant, the informant's stake and the analyst's link to the informant stay home.
    assert len(shared) == sum(1 for _ in case.iter_entities()) - 1
    assert schemata.count("UnknownLink") == 0 and schemata.count("Ownership") == 15
    assert report["withheld_links"] == 1
    for entity in shared:
        for prop, values in entity["properties"].items():
            if model.get(entity["schema"]).get(prop).type.name == "entity":
                assert set(values) <= shared_ids, (entity, prop)
    key = SharingKey.load(key_path)
    assert INFORMANT_PHONE not in {entry["value"] for entry in key.entries.values()}


def test_structure_amounts_and_countries_are_kept(demo, key_path, exports):
    output = exports / "shared.ftm.json"
    report = write_deidentified(demo, output, "ftm", key_path=key_path)
    shared = entities_in(output)
    original = {proxy.id: proxy for proxy in demo.iter_entities()}
    assert len(shared) == len(original) == report["entities"] == 73
    assert sum(model.get(e["schema"]).edge for e in shared) == report["links"] == 47

    key = SharingKey.load(key_path)
    for entity in shared:
        source = original[key.original(entity["id"])]
        assert entity["schema"] == source.schema.name
        for prop in ("amount", "currency", "country", "jurisdiction", "nationality", "hsCode", "percentage",
                     "originCountry", "destinationCountry", "transitCountries"):
            assert entity["properties"].get(prop, []) == source.get(prop, quiet=True), (source.id, prop)
        schema = model.get(entity["schema"])
        if schema.edge:
            # Each end points at the pseudonym of the same party.
            for end in (schema.source_prop.name, schema.target_prop.name):
                assert [key.original(v) for v in entity["properties"][end]] == source.get(end)
    # The shared phone of the two Hong Kong shells is one pseudonym in both.
    phones = [e["properties"]["phone"][0] for e in shared if "+85261550198" in
              original[key.original(e["id"])].get("phone", quiet=True)]
    assert len(phones) == 2 and phones[0] == phones[1] and phones[0].startswith("+808")


def test_the_same_key_gives_the_same_pseudonyms(demo, key_path, exports, tmp_path):
    first = exports / "monday.ftm.json"
    second = exports / "friday.ftm.json"
    write_deidentified(demo, first, "ftm", key_path=key_path)
    new = write_deidentified(demo, second, "ftm", key_path=key_path)["new_pseudonyms"]
    assert new == 0
    assert first.read_bytes() == second.read_bytes()
    # The library call gives the same entities as the file.
    again = sorted(proxy.id for proxy in deidentify(demo, key_path=key_path))
    assert again == sorted(e["id"] for e in entities_in(first))
    # Another key, other pseudonyms: nothing links two partners' copies but the key.
    other = exports / "other.ftm.json"
    write_deidentified(demo, other, "ftm", key_path=tmp_path / "elsewhere" / "other-key.json")
    assert not {e["id"] for e in entities_in(other)} & {e["id"] for e in entities_in(first)}


@pytest.mark.parametrize("coarsen, length", [("month", 7), ("year", 4)])
def test_dates_are_coarsened(case, key_path, exports, coarsen, length):
    output = exports / "shared.ftm.json"
    report = write_deidentified(case, output, "ftm", key_path=key_path, coarsen_dates=coarsen)
    dates = []
    for entity in entities_in(output):
        schema = model.get(entity["schema"])
        for prop, values in entity["properties"].items():
            if schema.get(prop).type.name == "date":
                dates.extend(values)
    assert len(dates) > 40 and all(len(value) <= length for value in dates)
    assert "2023-05" in dates if coarsen == "month" else "2023" in dates
    assert report["coarsened_dates"] > 40
    note = next(e for e in entities_in(output) if e["properties"].get("name") == ["Bosphorus Front Trading"])
    assert f"on {'2023-05' if coarsen == 'month' else '2023'} for" in note["properties"]["description"][0]


def test_birth_dates_keep_only_the_year_and_special_categories_stay_out(case, key_path, exports):
    output = exports / "shared.ftm.json"
    report = write_deidentified(case, output, "ftm", key_path=key_path)
    people = [e for e in entities_in(output) if e["schema"] == "Person"]
    assert {value for e in people for value in e["properties"].get("birthDate", [])} >= {"1961", "1978"}
    assert not any("religion" in e["properties"] for e in people)
    assert report["dropped"] == {"religion": 1}
    # An IBAN pseudonym would fail the IBAN check on import, so it moves to accountNumber.
    assert report["moved"] == {"iban -> accountNumber": 2}


# ---------------------------------------------------------------------------------- the partner's side


@pytest.mark.parametrize("format_name, name", [("ftm", "shared.ftm.json"), ("xlsx", "shared.xlsx")])
def test_a_partner_imports_the_shared_file_and_finds_the_same_network(demo, key_path, exports, tmp_path,
                                                                      format_name, name):
    from workbench.analysis.ownership import listed_share
    from workbench.importing import import_file

    output = exports / name
    write_deidentified(demo, output, format_name, key_path=key_path)
    with Case.create(tmp_path / "partner.wbcase") as partner:
        outcome = import_file(partner, output, importer_id="ftm-json" if format_name == "ftm" else "workbench-xlsx")
        # Every pseudonym is a valid value of its FtM type, so nothing is dropped on the way in.
        assert outcome.report.entities == 73
        assert partner.counts_by_schema() == demo.counts_by_schema()
        assert partner.conn.execute("SELECT count(*) FROM edges").fetchone()[0] == \
            demo.conn.execute("SELECT count(*) FROM edges").fetchone()[0]
        # The OFAC 50% rule reads the same from pseudonymised ownership.
        flagged = sorted(round(row["share"], 2) for row in listed_share(partner).values() if row["flagged"])
        assert flagged == sorted(round(row["share"], 2) for row in listed_share(demo).values() if row["flagged"])


def test_reidentify_restores_the_originals(demo, key_path, exports):
    output = exports / "shared.ftm.json"
    write_deidentified(demo, output, "ftm", key_path=key_path)
    report = reidentify(output, key_path)
    assert report.output == exports / "shared.reidentified.ftm.json" and not report.unknown
    restored = {e["id"]: e for e in entities_in(report.output)}
    for proxy in demo.iter_entities():
        entity = restored[proxy.id]
        expected = {prop: sorted(values) for prop, values in proxy.properties.items()}
        if "birthDate" in expected:  # only the year was shared
            expected["birthDate"] = [value[:4] for value in expected["birthDate"]]
        if "iban" in expected:  # moved to accountNumber on the way out
            expected["accountNumber"] = sorted(expected.get("accountNumber", []) + expected.pop("iban"))
        assert {prop: sorted(values) for prop, values in entity["properties"].items()} == expected, proxy.id


def test_reidentify_a_partners_reply(demo, key_path, exports, tmp_path):
    output = exports / "shared.xlsx"
    write_deidentified(demo, output, "xlsx", key_path=key_path)
    workbook_back = reidentify(output, key_path)
    from openpyxl import load_workbook

    people = load_workbook(workbook_back.output)["Person"]
    assert "Arkady Vasilyevich Veltsin" in [row[1] for row in people.iter_rows(values_only=True)]

    key = SharingKey.load(key_path)
    veltsin = next(p for p, e in key.entries.items() if e["value"] == "Arkady Vasilyevich Veltsin")
    reply = tmp_path / "reply.csv"
    reply.write_text(f"party,note\n{veltsin},\"also seen with Person 00000000, in Riga\"\n", encoding="utf-8")
    result = run_cli("reidentify", reply, "--key", key_path)
    assert result.exit_code == 0, result.output
    rows = list(csv.reader((tmp_path / "reply.reidentified.csv").open(encoding="utf-8")))
    assert rows[1][0] == "Arkady Vasilyevich Veltsin"
    assert "1 pseudonyms are not in this key" in result.output  # Person 00000000 came from elsewhere


# ---------------------------------------------------------------------------------- the key and the command


def test_the_key_is_private_and_holds_what_reidentifies(demo, key_path, exports):
    write_deidentified(demo, exports / "shared.ftm.json", "ftm", key_path=key_path)
    assert stat.S_IMODE(os.stat(key_path).st_mode) == 0o600
    data = json.loads(key_path.read_text(encoding="utf-8"))
    assert data["format"] == "workbench-sharing-key" and len(bytes.fromhex(data["secret"])) == 32
    assert data["pseudonyms"]["wb-" + next(iter(p for p in data["pseudonyms"] if p.startswith("wb-")))[3:]]
    assert all(PSEUDONYM_PATTERN.fullmatch(p) for p in data["pseudonyms"])
    assert data["exports"][0]["file"].endswith("shared.ftm.json")
    # The case's audit log says what left, de-identified, with which key.
    entry = audit_rows(demo, ["export"])[-1]["data"]
    assert entry["deidentified"] is True and entry["key"] == str(key_path.resolve())


def test_share_command(case, key_path, exports):
    result = run_cli("share", case.path, exports / "shared.xlsx", "--key", key_path, "--coarsen-dates", "month")
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and "de-identified, dates by month" in result.output
    assert "withheld: 1 relationships" in result.output and str(key_path.resolve()) in result.output
    assert (exports / "shared.xlsx").exists()
    assert not list(exports.glob("*.part"))


def test_share_refuses_a_key_in_the_exports_folder(demo, exports):
    result = run_cli("share", demo.path, exports / "shared.ftm.json", "--key", exports / "key.json")
    assert result.exit_code == 2 and "export's folder" in result.output
    assert not (exports / "shared.ftm.json").exists() and not (exports / "key.json").exists()
    allowed = run_cli("share", demo.path, exports / "shared.ftm.json", "--key", exports / "key.json",
                      "--key-beside-export")
    assert allowed.exit_code == 0 and "never send it with the export" in allowed.output


def test_share_keeps_one_key_per_case_by_default(demo, exports, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert run_cli("share", demo.path, exports / "a.ftm.json").exit_code == 0
    assert run_cli("share", demo.path, exports / "b.ftm.json").exit_code == 0
    keys = list((tmp_path / "data" / "workbench" / "sharing-keys").glob("*.json"))
    assert [key.stem for key in keys] == [demo.meta("case_id")]
    assert (exports / "a.ftm.json").read_bytes() == (exports / "b.ftm.json").read_bytes()


def test_a_damaged_key_is_refused(demo, tmp_path, exports):
    bad = tmp_path / "not-a-key.json"
    bad.write_text('{"hello": 1}', encoding="utf-8")
    result = run_cli("share", demo.path, exports / "shared.ftm.json", "--key", bad)
    assert result.exit_code == 2 and "not a Workbench sharing key" in result.output
    assert not (exports / "shared.ftm.json").exists()


# ---------------------------------------------------------------------------------- the audit log


@pytest.fixture
def worked_case(demo, key_path, exports):
    """The demo after a day's work: a merge, a detector run, a mark, an export and a shared copy."""
    from workbench.detecting import run_detectors

    demo.merge("demo-co-brightwave-components", "demo-co-lumen-tech-supply")
    run_detectors(demo, ["structuring"])
    demo.set_finding_status(demo.findings()[0]["id"], "confirmed")
    find_plugin("ftm-export")().write(demo, exports / "plain.ftm.json")
    demo._audit_export("ftm", exports / "plain.ftm.json", False, {"entities": 73, "links": 47})
    write_deidentified(demo, exports / "shared.ftm.json", "ftm", key_path=key_path)
    return demo


def test_audit_shows_who_did_what_when(worked_case):
    result = run_cli("audit", worked_case.path)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["#", "at", "who", "action", "what"]
    for expected in ("created the case", "imported demo.ftm.json with ftm-json: 73 entities",
                     "merged demo-co-lumen-tech-supply into demo-co-brightwave-components",
                     "ran detector structuring 1.0: 1 finding", "marked finding #1 confirmed",
                     "exported ftm to", "(de-identified)"):
        assert expected in result.output, expected
    assert "test-analyst" in result.output and "hash chain intact" in result.output

    as_json = json.loads(run_cli("audit", worked_case.path, "--json", "--action", "export").output)
    assert [entry["action"] for entry in as_json] == ["export", "export"]
    assert as_json[1]["details"]["deidentified"] is True


def test_audit_verify_passes_on_an_untouched_log(worked_case):
    result = run_cli("audit", worked_case.path, "--verify")
    assert result.exit_code == 0 and "audit log intact" in result.output
    checked = json.loads(run_cli("audit", worked_case.path, "--verify", "--json").output)
    assert checked["intact"] and checked["entries"] == len(worked_case.audit_log())


def tamper(path: Path, sql: str) -> None:
    """What someone with raw access to the file could do: drop the guard and rewrite history."""
    connection = sqlite3.connect(path)
    connection.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    connection.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    connection.execute(sql)
    connection.commit()
    connection.close()


@pytest.mark.parametrize("sql, broken", [
    # Hiding which file was imported.
    ("UPDATE audit_log SET details = replace(details, 'demo.ftm.json', 'other.json') WHERE seq = 2", 2),
    # Removing the record of the merge (#3): the entry after it no longer follows.
    ("DELETE FROM audit_log WHERE action = 'entity.merge'", 4),
])
def test_audit_verify_names_the_first_broken_entry(worked_case, sql, broken):
    path = worked_case.path
    worked_case.close()
    tamper(path, sql)
    result = run_cli("audit", path, "--verify")
    assert result.exit_code == 14
    assert f"broken at entry #{broken} (" in result.output
    assert "cannot be trusted" in result.output
    assert ("entry #3 is missing" in result.output) == (broken == 4)
    table = run_cli("audit", path)
    assert table.exit_code == 0 and f"BROKEN at entry #{broken}" in table.output
    assert f"! {broken} " in table.output


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_audit_export_carries_the_chain(worked_case, tmp_path, suffix):
    target = tmp_path / f"audit{suffix}"
    before = len(worked_case.audit_log())
    path, case_id = worked_case.path, worked_case.meta("case_id")
    worked_case.close()
    result = run_cli("audit", path, "--export", target)
    assert result.exit_code == 0 and f"{before} audit entries" in result.output
    if suffix == ".csv":
        rows = list(csv.DictReader(target.open(encoding="utf-8")))
        bodies = [row["details"] for row in rows]
    else:
        rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
        bodies = [json.dumps(row["details"], sort_keys=True) for row in rows]
    assert len(rows) == before
    # Anyone holding the file and the case's audit key can check the chain (the formula in
    # docs/sharing.md); the key's id is in the first entry, the key in the user's data folder.
    key_id = json.loads(bodies[0])["audit_key"]
    key = bytes.fromhex((user_data_dir() / "keys" / case_id / f"{key_id}.key").read_text().strip())
    previous = ""
    for row, body in zip(rows, bodies):
        message = "\x1f".join([str(row["seq"]), previous, row["at"], row["actor"], row["action"], body])
        digest = hmac.new(key, message.encode(), hashlib.sha256)
        assert row["prev_hash"] in (previous, None) and row["hash"] == digest.hexdigest()
        previous = row["hash"]
    # Taking the log out of the case is itself recorded.
    with Case.open(path, readonly=True) as reopened:
        assert reopened.audit_log()[-1]["details"]["file"] == str(target)
        assert reopened.verify_audit_log() is None


def test_reidentified_names_never_become_formulas(demo, key_path, exports, tmp_path):
    formula = '=HYPERLINK("http://example.invalid","click")'
    demo.add_facts([{"id": "analyst-formula-person", "schema": "Person", "properties": {"name": [formula]}}],
                   note="a name that looks like a formula")
    output = exports / "shared.xlsx"
    write_deidentified(demo, output, "xlsx", key_path=key_path)
    from openpyxl import load_workbook

    back = load_workbook(reidentify(output, key_path).output)["Person"]
    cell = next(row[1] for row in back.iter_rows() if row[1].value == formula)
    assert cell.data_type == "s"  # shown as text in Excel, not run
    pseudonym = next(p for p, e in SharingKey.load(key_path).entries.items() if e["value"] == formula)
    reply = tmp_path / "reply.csv"
    reply.write_text(f"party,note\n{pseudonym},=1+1\n", encoding="utf-8")
    assert run_cli("reidentify", reply, "--key", key_path).exit_code == 0
    rows = list(csv.reader((tmp_path / "reply.reidentified.csv").open(encoding="utf-8")))
    assert rows[1] == ["'" + formula, "=1+1"]  # the partner's own cell is theirs, left as it was


def test_share_says_which_references_point_nowhere(shared_data, key_path, exports, tmp_path):
    """OpenSanctions' sample names two addresses it does not carry: those references are left out
    because they point nowhere, not because of a protected source (this case has none)."""
    from workbench.importing import import_file

    with Case.create(tmp_path / "eu.wbcase") as case:
        import_file(case, shared_data / "ftm" / "eu_fsf_sample.ftm.json")
    result = run_cli("share", tmp_path / "eu.wbcase", exports / "eu.ftm.json", "--key", key_path)
    assert result.exit_code == 0, result.output
    assert "known only from protected sources" not in result.output
    assert "left out: 2 references to entities that are not in the case" in result.output
    report = json.loads(run_cli("share", tmp_path / "eu.wbcase", exports / "eu2.ftm.json", "--key", key_path,
                                "--json").output)
    assert (report["dropped_references"], report["missing_references"]) == (0, 2)
