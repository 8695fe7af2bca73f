import shutil

import pytest
from openpyxl import Workbook

from workbench.importing import import_file
from workbench.model import SourceInfo, model
from workbench.plugin_api import SourceFormatError
from workbench_plugins.importers.mapped_table import MappedTableImporter, draft_spec, read_csv

TX_MAPPING = {
    "entities": {
        "payer": {
            "schema": "LegalEntity",
            "keys": ["ACCOUNT_ID"],
            "key_literal": "account",
            "properties": {"name": {"column": "ACCOUNT_ID"}},
        },
        "payee": {
            "schema": "LegalEntity",
            "keys": ["COUNTER_PARTY_ACCOUNT_NUM"],
            "key_literal": "account",
            "properties": {"name": {"column": "COUNTER_PARTY_ACCOUNT_NUM"}},
        },
        "payment": {
            "schema": "Payment",
            "keys": ["TXN_ID"],
            "properties": {
                "payer": {"entity": "payer"},
                "beneficiary": {"entity": "payee"},
                "amount": {"column": "TXN_AMOUNT_ORIG"},
                "purpose": {"column": "TXN_SOURCE_TYPE_CODE"},
                "currency": {"literal": "USD"},
            },
        },
    }
}


def dump(path):
    # Imported here: the benchmarks import this module for TX_MAPPING with only tests/plugins on their path.
    from casefiles import dump as dump_case

    return dump_case(path)


@pytest.fixture
def tx_csv(shared_data):
    return shared_data / "amlsim" / "tx.csv"


def test_amlsim_rows_become_payer_payee_and_payment(case, tx_csv):
    outcome = import_file(case, tx_csv, importer_id="mapped-table", options={"mapping": TX_MAPPING})
    counts = case.counts_by_schema()
    assert counts["Payment"] == 45  # one per data row of tx.csv
    # An account that pays in one row and receives in another is one party.
    accounts = {line.split(",")[1] for line in tx_csv.read_text().splitlines()[1:]}
    accounts |= {line.split(",")[2] for line in tx_csv.read_text().splitlines()[1:]}
    assert counts["LegalEntity"] == len(accounts)
    assert outcome.report.edges == 45

    first_row = tx_csv.read_text().splitlines()[1].split(",")  # 2,15,25,CHECK,1,125.05,1,1
    row_2 = case.conn.execute(
        "SELECT entity_id FROM records WHERE locator = 'tx.csv row 2' AND schema = 'Payment'"
    ).fetchone()[0]
    payment = case.entity(row_2)
    assert payment.get("amount") == [first_row[5]]
    payer = case.entity(payment.get("payer")[0])
    beneficiary = case.entity(payment.get("beneficiary")[0])
    assert payer.get("name") == [first_row[1]] and beneficiary.get("name") == [first_row[2]]
    assert payment.get("purpose") == ["CHECK"]
    locators = {s["locator"] for s in case.statements(payment.id)}
    assert locators == {"tx.csv row 2"}


def test_ids_match_ftm_map_for_the_same_mapping(tx_csv):
    """An Aleph user's mapping gives the same entity ids here as with `ftm map`."""
    ours = {
        (record.entity["schema"], record.entity["id"])
        for record in MappedTableImporter(mapping=TX_MAPPING).read(tx_csv)
    }
    theirs = {
        (entity.schema.name, entity.id)
        for entity in model.map_entities({**TX_MAPPING, "csv_url": str(tx_csv)})
    }
    assert ours == theirs


def test_reimporting_the_same_file_duplicates_nothing(case, tx_csv):
    import_file(case, tx_csv, importer_id="mapped-table", options={"mapping": TX_MAPPING})
    before = dump(case.path)
    outcome = import_file(case, tx_csv, importer_id="mapped-table", options={"mapping": TX_MAPPING})
    assert outcome.skipped and "already imported as source #1" in outcome.skipped
    assert dump(case.path) == before


def test_dates_amounts_and_countries_are_normalised(case, tmp_path):
    table = tmp_path / "orders.csv"
    table.write_text(
        "order,buyer,country,amount,date\n"
        "A-1,Atlas Crest FZE,United Arab Emirates,\"USD 1,234.50\",03/04/2024\n"
        "A-2,Helios GmbH,Deutschland,\"1.234,50\",2024-04-05\n"
        "A-3,Karadeniz AS,TR,(500),5 Feb 2023\n",
        encoding="utf-8",
    )
    spec = {
        "entities": {
            "buyer": {
                "schema": "Company",
                "keys": ["buyer"],
                "properties": {"name": {"column": "buyer"}, "country": {"column": "country"}},
            },
            "order": {
                "schema": "Payment",
                "keys": ["order"],
                "properties": {
                    "payer": {"entity": "buyer"},
                    "amount": {"column": "amount"},
                    "date": {"column": "date"},
                },
            },
        }
    }
    import_file(case, table, importer_id="mapped-table", options={"mapping": spec, "dayfirst": "true"})
    by_name = {c.first("name"): c for c in case.entities("Company")}
    assert by_name["Atlas Crest FZE"].get("country") == ["ae"]
    assert by_name["Helios GmbH"].get("country") == ["de"]
    assert by_name["Karadeniz AS"].get("country") == ["tr"]
    payments = {p.first("date"): p.first("amount") for p in case.entities("Payment")}
    assert payments == {"2024-04-03": "1234.50", "2024-04-05": "1234.50", "2023-02-05": "-500"}


def test_xlsx_import_keeps_sheet_and_row(case, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.title = "Parties"
    sheet.append(["Name", "Country", "Phone"])
    sheet.append(["Atlas Crest General Trading FZE", "AE", "+971 4 555 0100"])
    sheet.append(["Gulfstar Freight", "United Arab Emirates", None])
    path = tmp_path / "parties.xlsx"
    book.save(path)
    spec = draft_spec(["Name", "Country", "Phone"])
    import_file(case, path, importer_id="mapped-table", options={"mapping": spec})
    entities = {e.first("name"): e for e in case.entities("LegalEntity")}
    assert entities["Atlas Crest General Trading FZE"].get("country") == ["ae"]
    assert entities["Atlas Crest General Trading FZE"].get("phone") == ["+97145550100"]
    locator = case.statements(entities["Gulfstar Freight"].id)[0]["locator"]
    assert locator == "parties.xlsx Parties!row 3"


def test_drafted_spec_for_transactions_imports(case, tx_csv):
    header, rows, _ = read_csv(tx_csv)
    rows.close()
    spec = draft_spec(header)
    assert set(spec["entities"]) == {"payer", "payee", "payment"}
    import_file(case, tx_csv, importer_id="mapped-table", options={"mapping": spec})
    assert case.counts_by_schema()["Payment"] == 45


# ---------------------------------------------------------------- bad input


def expect_unchanged_failure(case, path, options, match):
    case.ingest([], source=SourceInfo(file_name="seed"))
    before = dump(case.path)
    with pytest.raises(SourceFormatError, match=match):
        import_file(case, path, importer_id="mapped-table", options=options)
    assert dump(case.path) == before


def test_truncated_csv_names_the_row(case, tx_csv, tmp_path):
    data = tx_csv.read_text()
    cut = tmp_path / "tx.csv"
    cut.write_text(data[: len(data) - 9])  # the last row loses its last fields
    expect_unchanged_failure(case, cut, {"mapping": TX_MAPPING}, r"tx\.csv row 46: \d fields where the header has 8")


def test_unclosed_quote_names_the_row(case, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text('TXN_ID,ACCOUNT_ID,COUNTER_PARTY_ACCOUNT_NUM,TXN_SOURCE_TYPE_CODE,TXN_AMOUNT_ORIG\n1,2,3,"WIRE,5\n')
    expect_unchanged_failure(case, path, {"mapping": TX_MAPPING}, r"bad\.csv row 2")


def test_wrong_delimiter_is_named(case, tx_csv, tmp_path):
    semicolons = tmp_path / "tx.csv"
    semicolons.write_text(tx_csv.read_text().replace(",", ";"))
    # Guessing copes with it...
    outcome = import_file(case, semicolons, importer_id="mapped-table", options={"mapping": TX_MAPPING})
    assert outcome.report.by_schema["Payment"] == 45
    # ...and a wrong delimiter the analyst forces is explained.
    expect_unchanged_failure(
        case, semicolons, {"mapping": TX_MAPPING, "delimiter": ","}, "is the delimiter wrong"
    )


def test_wrong_encoding_names_line_and_byte(case, tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("TXN_ID,ACCOUNT_ID,COUNTER_PARTY_ACCOUNT_NUM,TXN_SOURCE_TYPE_CODE,TXN_AMOUNT_ORIG\n"
                     "1,Société Générale,3,WIRE,5\n".encode("cp1252"))
    expect_unchanged_failure(case, path, {"mapping": TX_MAPPING}, r"latin\.csv line 2: byte 0xe9 .* is not utf-8")
    outcome = import_file(case, path, importer_id="mapped-table", options={"mapping": TX_MAPPING, "encoding": "cp1252"})
    assert "Société Générale" in {e.first("name") for e in case.entities("LegalEntity")}


def test_mapping_naming_missing_columns(case, tx_csv, tmp_path):
    spec = {"entities": {"p": {"schema": "Person", "keys": ["FULL_NAME"], "properties": {"name": {"column": "FULL_NAME"}}}}}
    expect_unchanged_failure(case, tx_csv, {"mapping": spec}, "not in the header: FULL_NAME.*The header has: TXN_ID")


def test_invalid_mapping_is_explained(case, tx_csv):
    spec = {"entities": {"p": {"schema": "Person", "keys": ["TXN_ID"], "properties": {"colour": {"column": "TXN_ID"}}}}}
    expect_unchanged_failure(case, tx_csv, {"mapping": spec}, "mapping: Invalid property: colour")


def test_merged_header_cells_are_named(case, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["Party", None, "Country"])
    sheet.append(["Atlas", "FZE", "AE"])
    sheet.merge_cells("A1:B1")
    path = tmp_path / "merged.xlsx"
    book.save(path)
    spec = {"entities": {"p": {"schema": "Company", "keys": ["Party"], "properties": {"name": {"column": "Party"}}}}}
    expect_unchanged_failure(case, path, {"mapping": spec}, "header cells B1 are empty; merged header cells")


def test_not_an_xlsx(case, tx_csv, tmp_path):
    fake = tmp_path / "fake.xlsx"
    shutil.copy(tx_csv, fake)
    expect_unchanged_failure(case, fake, {"mapping": TX_MAPPING}, "fake.xlsx: not a readable XLSX workbook")
