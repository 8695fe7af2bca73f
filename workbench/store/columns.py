"""Payments as columns: numpy arrays read straight from the case's link table, for detectors and
analyses that read every payment of a case with millions of them.

A :class:`~workbench.store.snapshot.FactsSnapshot` holds a Python object per payment (about 1 KB
each with its property lists); a detector that only needs who paid whom, how much and when can
ask for :class:`PaymentColumns` instead: about 40 bytes a payment, read in one query from the
``edges`` table (which ingest already derives: payer, beneficiary, amount, currency and date of
every payment, after merges) and released when the detector drops it.

One row per payment and payer-beneficiary pair, as the case's graph has one link per pair: a
payment with two payers is two rows with the same ``payment`` code. A payment that names no
payer or no beneficiary still has one row, with ``-1`` for the side it lacks, and its amount and
currency read from its values.
"""

from __future__ import annotations

import sqlite3
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from workbench.model import model

#: ``day`` of a payment without a full ISO date (a bare year or month is not a day).
NO_DAY = np.iinfo(np.int32).min
_CHUNK = 20_000


@dataclass
class PaymentColumns:
    """The payments of a case as parallel numpy arrays, one row per payment and payer-beneficiary pair.

    ``payment``: int32, the payment's number (0 .. ``payments - 1``, in date order, undated last),
    for :meth:`payment_ids` and to tell rows of one payment apart; ``payer`` and ``beneficiary``:
    int32 codes into :attr:`parties` (``-1``: not named); ``amount``: float64 (NaN: no amount);
    ``currency``: int32 codes into :attr:`currencies` (``-1``: none); ``day``: int32 days since
    1970-01-01 (:data:`NO_DAY` when undated); ``texts``: for each property asked for with
    ``texts=``, int32 codes per row into a list of its distinct values (``-1``: none; several
    values are joined with `` | ``).
    """

    payment: np.ndarray
    payer: np.ndarray
    beneficiary: np.ndarray
    amount: np.ndarray
    currency: np.ndarray
    day: np.ndarray
    parties: list[str]
    currencies: list[str]
    texts: dict[str, tuple[np.ndarray, list[str]]] = field(default_factory=dict)
    _rowids: np.ndarray | None = None  # the entities table's rowid of each payment, by number
    _conn: sqlite3.Connection | None = None
    _schemata: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.payment)

    @property
    def payments(self) -> int:
        return 0 if self._rowids is None else len(self._rowids)

    def payment_ids(self, numbers: Iterable[int]) -> list[str]:
        """The entity ids of payments by number (``payment`` values), in the order given."""
        numbers = [int(n) for n in numbers]
        wanted = sorted({int(self._rowids[n]) for n in numbers})
        found: dict[int, str] = {}
        for start in range(0, len(wanted), 900):
            chunk = wanted[start:start + 900]
            found.update(self._conn.execute(
                f"SELECT rowid, id FROM entities WHERE rowid IN ({','.join('?' * len(chunk))})", chunk))
        return [found[int(self._rowids[n])] for n in numbers]

    def ids(self) -> list[str]:
        """Every payment's entity id, by number (a list of strings: about 90 bytes a payment)."""
        ids = [entity_id for entity_id, in self._conn.execute(
            f"SELECT id FROM entities WHERE schema IN ({','.join('?' * len(self._schemata))})"
            " ORDER BY start_date IS NULL, start_date, rowid", self._schemata)]
        if len(ids) != self.payments:
            raise RuntimeError("the case changed while its payments were read; read them again")
        return ids

    def dates(self, rows: np.ndarray | Sequence[int] | None = None) -> np.ndarray:
        """``day`` as numpy datetime64[D] (NaT when undated), for all rows or the rows given."""
        days = self.day if rows is None else self.day[rows]
        out = days.astype("datetime64[D]")
        out[days == NO_DAY] = np.datetime64("NaT")
        return out


def _schemata(schema: str) -> list[str]:
    found = model.get(schema)
    if found is None:
        raise ValueError(f"no schema {schema!r}")
    return sorted({found.name, *(s.name for s in found.descendants)})


def payment_columns(conn: sqlite3.Connection, *, schema: str = "Payment", texts: Iterable[str] = ()) -> PaymentColumns:
    """Read the payments (or another schema with payer/beneficiary-like ends) of a case as columns."""
    names = _schemata(schema)
    marks = ",".join("?" * len(names))
    party_codes: dict[str, int] = {}
    currency_codes: dict[str, int] = {}
    payment, payer, beneficiary = array("i"), array("i"), array("i")
    amount, currency, day = array("d"), array("i"), array("i")
    rowids = array("q")
    lacking: list[int] = []  # payment numbers without a link row: ends and amount from their values
    nan = float("nan")
    rows = conn.execute(
        "SELECT e.rowid, CAST(julianday(substr(e.start_date, 1, 10)) - 2440587.5 AS INTEGER),"
        " g.source_id, g.target_id, g.amount, g.currency"
        " FROM entities e LEFT JOIN edges g ON g.via_id = e.id AND g.prop IS NULL"
        f" WHERE e.schema IN ({marks})"
        " ORDER BY e.start_date IS NULL, e.start_date, e.rowid, g.id",
        names,
    )
    last_rowid = None
    number = -1
    while True:
        chunk = rows.fetchmany(_CHUNK)
        if not chunk:
            break
        for rowid, days, source, target, value, unit in chunk:
            if rowid != last_rowid:
                last_rowid = rowid
                number += 1
                rowids.append(rowid)
                if source is None:
                    lacking.append(number)
            payment.append(number)
            day.append(NO_DAY if days is None else days)
            if source is None:
                payer.append(-1)
                beneficiary.append(-1)
                amount.append(nan)
                currency.append(-1)
                continue
            code = party_codes.get(source)
            if code is None:
                code = party_codes[source] = len(party_codes)
            payer.append(code)
            code = party_codes.get(target)
            if code is None:
                code = party_codes[target] = len(party_codes)
            beneficiary.append(code)
            amount.append(nan if value is None else value)
            if unit is None:
                currency.append(-1)
            else:
                code = currency_codes.get(unit)
                if code is None:
                    code = currency_codes[unit] = len(currency_codes)
                currency.append(code)
    columns = PaymentColumns(
        payment=np.frombuffer(payment, dtype=np.int32).copy(),
        payer=np.frombuffer(payer, dtype=np.int32).copy(),
        beneficiary=np.frombuffer(beneficiary, dtype=np.int32).copy(),
        amount=np.frombuffer(amount, dtype=np.float64).copy(),
        currency=np.frombuffer(currency, dtype=np.int32).copy(),
        day=np.frombuffer(day, dtype=np.int32).copy(),
        parties=list(party_codes),
        currencies=list(currency_codes),
        _rowids=np.frombuffer(rowids, dtype=np.int64).copy(),
        _conn=conn,
        _schemata=names,
    )
    del payment, payer, beneficiary, amount, currency, day, rowids
    if lacking:
        columns = _with_lacking(conn, columns, lacking, party_codes, currency_codes)
    texts = list(texts)
    if texts:
        _read_texts(conn, columns, names, texts)
    return columns


def _values_of(conn: sqlite3.Connection, rowids: list[int], props: list[str]):
    """(rowid, prop, value) of the entities with these rowids, in statement order."""
    prop_marks = ",".join("?" * len(props))
    for start in range(0, len(rowids), 500):
        chunk = rowids[start:start + 500]
        yield from conn.execute(
            "SELECT e.rowid, s.prop, s.value FROM entities e JOIN records r ON r.entity_id = e.id"
            " JOIN statements s ON s.record_id = r.id"
            f" WHERE e.rowid IN ({','.join('?' * len(chunk))}) AND s.prop IN ({prop_marks}) ORDER BY s.id",
            [*chunk, *props],
        )


def _with_lacking(conn, columns: PaymentColumns, lacking: list[int], party_codes, currency_codes) -> PaymentColumns:
    """Fill in the payments that have no link row: one-sided (a cash deposit) or without ends."""
    aliases = dict(conn.execute("SELECT alias_id, canonical_id FROM entity_aliases"))
    number_of = {int(columns._rowids[n]): n for n in lacking}
    values: dict[int, dict[str, list[str]]] = {n: {} for n in lacking}
    for rowid, prop, value in _values_of(conn, sorted(number_of), ["payer", "beneficiary", "amount", "currency"]):
        found = values[number_of[rowid]].setdefault(prop, [])
        if value not in found:
            found.append(value)
    # Rows of lacking payments are replaced by one row per pair (at least one row).
    keep = ~np.isin(columns.payment, np.asarray(lacking, dtype=np.int32))
    extra: dict[str, list] = {key: [] for key in ("payment", "payer", "beneficiary", "amount", "currency", "day")}
    day_of = dict(zip(columns.payment[~keep].tolist(), columns.day[~keep].tolist()))

    def code(table: dict[str, int], key: str | None) -> int:
        if key is None:
            return -1
        if key not in table:
            table[key] = len(table)
        return table[key]

    for number in lacking:
        props = values[number]
        value = None
        for text in props.get("amount", ()):
            try:
                value = float(text)
                break
            except ValueError:
                continue
        unit = props["currency"][0] if value is not None and props.get("currency") else None
        payers = [aliases.get(p, p) for p in props.get("payer", ())] or [None]
        payees = [aliases.get(p, p) for p in props.get("beneficiary", ())] or [None]
        for source in payers:
            for target in payees:
                extra["payment"].append(number)
                extra["payer"].append(code(party_codes, source))
                extra["beneficiary"].append(code(party_codes, target))
                extra["amount"].append(float("nan") if value is None else value)
                extra["currency"].append(code(currency_codes, unit))
                extra["day"].append(day_of[number])
    merged = {}
    dtypes = {"payment": np.int32, "payer": np.int32, "beneficiary": np.int32, "amount": np.float64,
              "currency": np.int32, "day": np.int32}
    order = None
    for key, dtype in dtypes.items():
        merged[key] = np.concatenate([getattr(columns, key)[keep], np.asarray(extra[key], dtype=dtype)])
    order = np.argsort(merged["payment"], kind="stable")
    for key in dtypes:
        setattr(columns, key, merged[key][order])
    columns.parties = list(party_codes)
    columns.currencies = list(currency_codes)
    return columns


def _read_texts(conn, columns: PaymentColumns, names: list[str], props: list[str]) -> None:
    """Code the text values of ``props`` per payment (joined with ' | ' when several), in one pass."""
    rowids = columns._rowids
    sorter = np.argsort(rowids, kind="stable")
    sorted_rowids = rowids[sorter]
    marks = ",".join("?" * len(names))
    prop_marks = ",".join("?" * len(props))
    vocabularies: dict[str, dict[str, int]] = {prop: {} for prop in props}
    by_payment = {prop: np.full(columns.payments, -1, dtype=np.int32) for prop in props}
    several: dict[str, dict[int, list[str]]] = {prop: {} for prop in props}  # more than one value (few)
    rows = conn.execute(
        "SELECT e.rowid, s.prop, s.value FROM entities e JOIN records r ON r.entity_id = e.id"
        " JOIN statements s ON s.record_id = r.id"
        f" WHERE e.schema IN ({marks}) AND s.prop IN ({prop_marks}) ORDER BY s.id",
        [*names, *props],
    )
    while True:
        chunk = rows.fetchmany(_CHUNK)
        if not chunk:
            break
        found = np.searchsorted(sorted_rowids, np.fromiter((row[0] for row in chunk), dtype=np.int64, count=len(chunk)))
        numbers = sorter[np.minimum(found, len(sorter) - 1)].tolist()
        for number, (_, prop, value) in zip(numbers, chunk):
            vocabulary = vocabularies[prop]
            code = vocabulary.get(value)
            if code is None:
                code = vocabulary[value] = len(vocabulary)
            codes = by_payment[prop]
            current = codes[number]
            if current == -1:
                codes[number] = code
            elif current != code or number in several[prop]:
                several[prop].setdefault(number, []).append(value)
    for prop in props:
        vocabulary, codes = vocabularies[prop], by_payment[prop]
        values = list(vocabulary)
        for number, extra in several[prop].items():
            text = " | ".join(dict.fromkeys([values[codes[number]], *extra]))
            code = vocabulary.get(text)
            if code is None:
                code = vocabulary[text] = len(vocabulary)
                values.append(text)
            codes[number] = code
        columns.texts[prop] = (codes[columns.payment], values)


def facts_having(conn: sqlite3.Connection, schema: str, props: Iterable[str], having: Iterable[str]):
    """:class:`EntityFacts` of the entities of ``schema`` that have a value for one of ``having``,
    with the values of ``props`` only, ordered by id (values in the order recorded).

    For the few payments that name a bank account among millions that do not: the snapshot would
    read every payment to find them.
    """
    from workbench.store.snapshot import EntityFacts

    names = _schemata(schema)
    props, having = list(props), list(having)
    rows = conn.execute(
        "SELECT e.id, e.schema, s.prop, s.value FROM entities e JOIN records r ON r.entity_id = e.id"
        " JOIN statements s ON s.record_id = r.id"
        f" WHERE e.schema IN ({','.join('?' * len(names))}) AND s.prop IN ({','.join('?' * len(props))})"
        " AND e.id IN (SELECT r2.entity_id FROM records r2 JOIN statements s2 ON s2.record_id = r2.id"
        f" WHERE s2.prop IN ({','.join('?' * len(having))})) ORDER BY e.id, s.id",
        [*names, *props, *having],
    )
    found: list[EntityFacts] = []
    current = None
    values_of: dict[str, list[str]] = {}
    for entity_id, schema_name, prop, value in rows:
        if entity_id != current:
            current, values_of = entity_id, {}
            found.append(EntityFacts(entity_id, model.get(schema_name), values_of))
        values = values_of.setdefault(prop, [])
        if value not in values:
            values.append(value)
    return found


__all__ = ["NO_DAY", "PaymentColumns", "facts_having", "payment_columns"]
