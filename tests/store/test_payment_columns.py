"""Payments as numpy columns (``Case.payment_columns``): the same payers, beneficiaries, amounts and
days as the snapshot says, after merges too, for one-sided and undated payments as well."""

import math
from datetime import date
from pathlib import Path

from test_case import company, network, payment, source  # noqa: F401  (the store tests' data; `case` is conftest's)

from workbench.importing import import_file
from workbench.model import make_entity
from workbench.store.columns import NO_DAY

AMLSIM_CUT = Path(__file__).resolve().parents[1] / "fixtures" / "amlsim_cut"


def rows_of(columns):
    """(payment id, payer id, beneficiary id, amount, currency, ISO day) per row."""
    ids = columns.payment_ids(columns.payment.tolist())
    found = []
    for n, payment_id in enumerate(ids):
        payer, payee = int(columns.payer[n]), int(columns.beneficiary[n])
        amount = float(columns.amount[n])
        day = int(columns.day[n])
        found.append((
            payment_id,
            columns.parties[payer] if payer >= 0 else None,
            columns.parties[payee] if payee >= 0 else None,
            None if math.isnan(amount) else amount,
            columns.currencies[int(columns.currency[n])] if columns.currency[n] >= 0 else None,
            None if day == NO_DAY else date.fromordinal(date(1970, 1, 1).toordinal() + day).isoformat(),
        ))
    return found


def test_columns_say_what_the_payments_say(network):
    columns = network.payment_columns()
    assert len(columns) == 3 and columns.payments == 3
    assert rows_of(columns) == [
        ("pay-1", "atlas", "helios", 9500.0, "USD", "2024-03-02"),
        ("pay-2", "atlas-2", "helios", 9800.0, "USD", "2024-03-05"),
        ("pay-3", "helios", "atlas", 120.0, "USD", "2025-01-01"),
    ]
    assert columns.dates().tolist() == [date(2024, 3, 2), date(2024, 3, 5), date(2025, 1, 1)]


def test_columns_follow_merges_and_undo(network):
    network.merge("atlas", "atlas-2")
    assert [row[1] for row in rows_of(network.payment_columns())] == ["atlas", "atlas", "helios"]
    network.undo()
    assert [row[1] for row in rows_of(network.payment_columns())] == ["atlas", "atlas-2", "helios"]


def test_one_sided_undated_and_shared_payments_have_their_rows(network):
    deposit = make_entity("Payment", "cash-in")  # a cash deposit: a beneficiary, no payer
    deposit.add("beneficiary", "helios")
    deposit.add("amount", "9,900")  # not a plain number: no amount
    deposit.add("amount", "9900")
    deposit.add("currency", "EUR")
    deposit.add("purpose", "cash")
    joint = payment("joint", "atlas", "helios", "500", "2024-03-03")
    joint.add("payer", "atlas-2")  # two payers: one row each
    joint.add("purpose", "invoice 7")
    joint.add("purpose", "freight")
    month = payment("month-only", "helios", "atlas", "75", "2024-05")  # a month is not a day
    network.ingest([deposit, joint, month], source("more.csv"))
    columns = network.payment_columns(texts=["purpose"])
    rows = rows_of(columns)
    assert rows == [
        ("pay-1", "atlas", "helios", 9500.0, "USD", "2024-03-02"),
        ("joint", "atlas", "helios", 500.0, "USD", "2024-03-03"),
        ("joint", "atlas-2", "helios", 500.0, "USD", "2024-03-03"),
        ("pay-2", "atlas-2", "helios", 9800.0, "USD", "2024-03-05"),
        ("month-only", "helios", "atlas", 75.0, "USD", None),
        ("pay-3", "helios", "atlas", 120.0, "USD", "2025-01-01"),
        ("cash-in", None, "helios", 9900.0, "EUR", None),
    ]
    assert columns.payments == 6
    assert columns.ids() == ["pay-1", "joint", "pay-2", "month-only", "pay-3", "cash-in"]
    codes, values = columns.texts["purpose"]
    assert [values[c] if c >= 0 else None for c in codes.tolist()] == \
        [None, "invoice 7 | freight", "invoice 7 | freight", None, None, None, "cash"]


def test_columns_agree_with_the_snapshot_on_amlsim(tmp_path):
    """On a cut of IBM's AMLSim data imported as an analyst would: every payment's payer,
    beneficiary, amount and day as the snapshot has them."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from bench_detectors import amlsim_as_dated_csv  # the benchmark's own conversion of AMLSim's files
    from test_detectors_amlsim import DATED_TX_MAPPING
    from workbench.store import Case

    table, count = amlsim_as_dated_csv(AMLSIM_CUT, tmp_path / "tx.csv")
    with Case.create(tmp_path / "cut.wbcase") as cut:
        import_file(cut, table, importer_id="mapped-table", options={"mapping": DATED_TX_MAPPING})
        columns = cut.payment_columns()
        found = rows_of(columns)
        expected = sorted(
            (p.id, p.first("payer"), p.first("beneficiary"), float(p.first("amount")), "USD", p.first("date"))
            for p in cut.snapshot().of_schema("Payment")
        )
    assert columns.payments == count == len(columns)
    assert sorted(found) == expected


def test_only_payments_naming_an_account_are_read_for_accounts(network):
    """``facts_having``: the payments that name a bank account, with the values asked for, and no
    others (on a bank-records case, a few among millions)."""
    by_wire = payment("wire", "atlas", "helios", "700", "2024-04-01")
    by_wire.add("payerAccount", "acct-atlas")
    by_wire.add("purpose", "invoice 12")
    network.ingest([by_wire], source("wires.csv"))
    found = network.facts_having("Payment", ["payer", "payerAccount"], ["payerAccount", "beneficiaryAccount"])
    assert [(f.id, f.get("payer"), f.get("payerAccount"), f.get("purpose")) for f in found] == \
        [("wire", ["atlas"], ["acct-atlas"], [])]
