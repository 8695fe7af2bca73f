"""Payment and contact red flags: who paid for the goods, how money moved, and how parties present.

Nine detectors over FtM ``Payment`` entities (payer, beneficiary, amount, currency, date,
purpose, payerAccount, beneficiaryAccount), the workbench's ``Shipment`` and ``EndUseDocument``
entities, ``Ownership`` links and the parties' own phone, e-mail and website values. Each
implements one indicator of ``redflags.md`` (the ``reference`` attribute names it).

Amounts are never converted between currencies: sums and comparisons are made per currency,
and a payment without a currency is compared only with others that lack one too. Dates are
the ISO day of a payment's ``date`` (or ``startDate``) and a shipment's ``startDate`` ..
``endDate``; facts without a full date are left out of the time-windowed rules.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import combinations
from typing import Any

import numpy as np
import phonenumbers
from followthemoney.types import registry

from workbench.plugin_api import CaseReader, Detector, Parameter, mention
from workbench.plugin_api.facts import full_day, read_shipments
from workbench.plugin_api.wording import listing, money
from workbench.store.columns import NO_DAY
from workbench.reference import chpl_tiers, column

# Payment text that may say how or why money moved.
_PAYMENT_TEXT_PROPS = ("purpose", "description", "programme", "summary")
# What a party says about itself (for money service businesses).
_PARTY_TEXT_PROPS = ("name", "alias", "sector", "description", "legalForm", "classification", "summary")
_COUNTRY_PROPS = ("country", "jurisdiction", "mainCountry")
_PERSON_COUNTRY_PROPS = ("nationality", "citizenship")
# Searching for payment circles is exponential in the worst case (many equal amounts among many
# parties); stop after this many steps rather than hang.
_MAX_STEPS = 2_000_000


# ---------------------------------------------------------------------------------------- helpers


def _number(values: Iterable[str]) -> float | None:
    for value in values:
        try:
            return float(value)
        except (TypeError, ValueError):
            continue
    return None


def _money(amount: float, currency: str) -> str:
    return money(amount, currency, no_currency="(no currency given)")


def _country(code: str) -> str:
    return registry.country.caption(code) or code.upper()


def _countries(codes: Iterable[str]) -> str:
    return listing([_country(code) for code in sorted(set(codes))], "or")


def _split(text: str) -> tuple[str, ...]:
    """A comma-separated parameter as a tuple of lower-case, non-empty items."""
    return tuple(item.strip().lower() for item in (text or "").split(",") if item.strip())


def _pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    """Whole-word, case-insensitive alternation of ``terms`` (``None`` if there are none)."""
    terms = sorted({term for term in terms if term}, key=lambda term: (-len(term), term))
    if not terms:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(term) for term in terms) + r")(?!\w)", re.IGNORECASE)


def _days(delta: int) -> str:
    return f"{delta} day" if delta == 1 else f"{delta} days"


def _hs(codes: Iterable[str]) -> str:
    codes = sorted(set(codes))
    return f"HS {'/'.join(codes)}" if codes else "goods without an HS code"


class _Parties:
    """Parties' captions, countries and values, from the case's shared snapshot of its facts."""

    def __init__(self, case: Any):
        self.case = case
        self.facts = case.snapshot()

    def get(self, entity_id: str):
        return self.facts.get(entity_id)

    def name(self, entity_id: str) -> str:
        proxy = self.get(entity_id)
        return (proxy.caption if proxy is not None else None) or entity_id

    def names(self, ids: Iterable[str]) -> str:
        return listing([self.name(entity_id) for entity_id in ids])

    def countries(self, entity_id: str) -> frozenset[str]:
        """Where a party is: country, jurisdiction, main country (a person's nationality if none)."""
        proxy = self.get(entity_id)
        if proxy is None:
            return frozenset()
        found = {value.lower() for prop in _COUNTRY_PROPS if prop in proxy.schema.properties
                 for value in proxy.get(prop)}
        if not found and proxy.schema.is_a("Person"):
            found = {value.lower() for prop in _PERSON_COUNTRY_PROPS if prop in proxy.schema.properties
                     for value in proxy.get(prop)}
        return frozenset(found)

    def text(self, entity_id: str, props: Iterable[str]) -> str:
        proxy = self.get(entity_id)
        if proxy is None:
            return ""
        return " | ".join(value for prop in props if prop in proxy.schema.properties for value in proxy.get(prop))

    def account_countries(self, account_ids: Iterable[str]) -> frozenset[str]:
        """Countries of bank accounts: their ``country``, else the IBAN's country prefix."""
        found: set[str] = set()
        for account_id in account_ids:
            proxy = self.get(account_id)
            if proxy is None:
                continue
            countries = set()
            if "country" in proxy.schema.properties:
                countries = {value.lower() for value in proxy.get("country")}
            if not countries and "iban" in proxy.schema.properties:
                countries = {value[:2].lower() for value in proxy.get("iban") if value[:2].isalpha()}
            found |= countries
        return frozenset(found)


@dataclass(frozen=True, slots=True)  # millions of them on a large case: no dict per payment
class _Payment:
    id: str
    payers: tuple[str, ...]
    beneficiaries: tuple[str, ...]
    amount: float | None
    currency: str
    day: date | None
    text: str
    purpose: str
    payer_accounts: tuple[str, ...]

    @property
    def transfers(self) -> list[tuple[str, str]]:
        return [(payer, beneficiary) for payer in self.payers for beneficiary in self.beneficiaries
                if payer != beneficiary]

    def describe(self) -> str:
        when = f" on {self.day.isoformat()}" if self.day else ""
        amount = _money(self.amount, self.currency) if self.amount is not None else "an unstated amount"
        return f"{amount}{when}"


# The payments of the case, read once per run of the family rather than once per detector:
# eight detectors here read every payment, and on 120,000 payments each read took seconds.
_PAYMENTS_CACHE: dict[tuple, list[_Payment]] = {}


def _load_payments(case: Any) -> list[_Payment]:
    key = (str(case.path), case.meta("case_id"), case.facts_version)
    cached = _PAYMENTS_CACHE.get(key)
    if cached is not None:
        return list(cached)
    payments = _read_payments(case)
    _PAYMENTS_CACHE.clear()
    _PAYMENTS_CACHE[key] = payments
    return list(payments)


def release_caches() -> None:
    """Drop the payments read for this family and what was derived from them (the detector runner
    calls it when the family is done)."""
    _PAYMENTS_CACHE.clear()
    _TRANSFERS_CACHE.clear()
    _DERIVED.clear()


def _read_payments(case: Any) -> list[_Payment]:
    if hasattr(case, "payment_columns"):
        return _payments_from_columns(case)
    payments = []
    for proxy in case.snapshot().of_schema("Payment"):
        purpose = " | ".join(proxy.get("purpose"))
        payments.append(
            _Payment(
                id=proxy.id,
                payers=tuple(sorted(set(proxy.get("payer")))),
                beneficiaries=tuple(sorted(set(proxy.get("beneficiary")))),
                amount=_number(proxy.get("amount")),
                currency=(proxy.first("currency") or "").upper(),
                day=full_day(proxy.get("date") + proxy.get("startDate")),
                text=" | ".join(value for prop in _PAYMENT_TEXT_PROPS for value in proxy.get(prop)),
                purpose=purpose,
                payer_accounts=tuple(sorted(set(proxy.get("payerAccount")))),
            )
        )
    payments.sort(key=lambda p: (p.day or date.max, p.id))
    return payments


def _payments_from_columns(case: Any) -> list[_Payment]:
    """The payments from the case's compact columns (no snapshot of every payment's values).

    Values repeated across payments (parties, currencies, days, purposes) are shared objects, so
    a payment costs a few hundred bytes here instead of the 3 KB of a snapshot entry and its copy.
    """
    columns = case.payment_columns(texts=[*_PAYMENT_TEXT_PROPS, "payerAccount"])
    ids = columns.ids()
    parties = columns.parties
    currencies = [code.upper() for code in columns.currencies]
    epoch = date(1970, 1, 1).toordinal()
    days: dict[int, date | None] = {}
    text_props = [columns.texts[prop] for prop in _PAYMENT_TEXT_PROPS]
    purpose_codes, purpose_values = columns.texts["purpose"]
    account_codes, account_values = columns.texts["payerAccount"]
    account_tuples = [tuple(sorted(set(value.split(" | ")))) for value in account_values]
    text_of: dict[tuple, str] = {}
    groups: dict[tuple, tuple[str, ...]] = {}
    payments: list[_Payment] = []
    # Where each payment's rows begin (a payment has one row per payer and beneficiary).
    starts = np.flatnonzero(np.diff(columns.payment, prepend=-1)).tolist() + [len(columns)]
    block = 50_000  # payments converted to Python values at a time
    for first_payment in range(0, len(starts) - 1, block):
        low, high = starts[first_payment], starts[min(first_payment + block, len(starts) - 1)]
        numbers = columns.payment[low:high].tolist()
        payer, beneficiary = columns.payer[low:high].tolist(), columns.beneficiary[low:high].tolist()
        amount, currency = columns.amount[low:high].tolist(), columns.currency[low:high].tolist()
        day = columns.day[low:high].tolist()
        text_codes = [codes[low:high].tolist() for codes, _ in text_props]
        purposes, accounts = purpose_codes[low:high].tolist(), account_codes[low:high].tolist()
        row, count = 0, high - low
        while row < count:
            number = numbers[row]
            first = row
            payers, payees = [], []
            while row < count and numbers[row] == number:
                if payer[row] >= 0:
                    payers.append(payer[row])
                if beneficiary[row] >= 0:
                    payees.append(beneficiary[row])
                row += 1
            value, when = amount[first], day[first]
            found_day = days.get(when, False)
            if found_day is False:
                found_day = days[when] = None if when == NO_DAY else date.fromordinal(epoch + when)
            text_key = tuple(codes[first] for codes in text_codes)
            text = text_of.get(text_key)
            if text is None:
                text = text_of[text_key] = " | ".join(
                    values[code] for (_, values), code in zip(text_props, text_key) if code >= 0)
            payments.append(_Payment(
                id=ids[number],
                payers=_shared_group(groups, parties, payers),
                beneficiaries=_shared_group(groups, parties, payees),
                amount=None if value != value else value,
                currency=currencies[currency[first]] if currency[first] >= 0 else "",
                day=found_day,
                text=text,
                purpose=purpose_values[purposes[first]] if purposes[first] >= 0 else "",
                payer_accounts=account_tuples[accounts[first]] if accounts[first] >= 0 else (),
            ))
    del ids
    payments.sort(key=lambda p: (p.day or date.max, p.id))
    return payments


def _shared_group(groups: dict, parties: list[str], codes: list[int]) -> tuple[str, ...]:
    """The parties of ``codes`` as a sorted tuple of ids, one shared tuple per distinct group."""
    key = tuple(codes)
    found = groups.get(key)
    if found is None:
        found = groups[key] = tuple(sorted({parties[code] for code in codes}))
    return found


def _sum_by_currency(payments: Iterable[_Payment]) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for payment in payments:
        if payment.amount is not None:
            totals[payment.currency] += payment.amount
    return dict(sorted(totals.items()))


def _totals_phrase(totals: dict[str, float]) -> str:
    return listing([_money(amount, currency) for currency, amount in sorted(totals.items())])


def _payments_phrase(payments: list[_Payment]) -> str:
    """``EUR 268,400 on 2023-02-27`` or ``USD 19,820 in 2 payments between ... and ...``."""
    if len(payments) == 1:
        return payments[0].describe()
    days = sorted(p.day for p in payments if p.day)
    span = f" between {days[0].isoformat()} and {days[-1].isoformat()}" if days else ""
    return f"{_totals_phrase(_sum_by_currency(payments))} in {len(payments)} payments{span}"


@dataclass(frozen=True)
class _Shipment:
    id: str
    name: str  # as explanations name it: the goods' description (its caption), quoted
    exporters: tuple[str, ...]
    consignees: tuple[str, ...]
    end_users: tuple[str, ...]
    notify: tuple[str, ...]
    hs_codes: tuple[str, ...]
    amount: float | None
    currency: str
    start: date | None
    end: date | None
    destinations: tuple[str, ...]

    def distance(self, day: date) -> int:
        """Days between ``day`` and this shipment (0 while it is under way)."""
        if self.start is None:
            return 10**9
        last = self.end if self.end and self.end >= self.start else self.start
        if day < self.start:
            return (self.start - day).days
        if day > last:
            return (day - last).days
        return 0

    def when(self, day: date) -> str:
        """``7 days before`` / ``while`` / ``12 days after`` this shipment, seen from ``day``."""
        if self.start and day < self.start:
            return f"{_days((self.start - day).days)} before"
        if self.distance(day) == 0:
            return "while"
        return f"{_days(self.distance(day))} after"

    def value(self) -> str:
        return _money(self.amount, self.currency) if self.amount is not None else "of unstated value"


def _load_shipments(case: Any) -> list[_Shipment]:
    """The case's shipments from the one Shipment reader, dated to the day (a bare year or month
    does not place a shipment near a payment); HS codes as HS-6 subheadings, else as written."""
    facts = case.snapshot()
    shipments = []
    for shipment in read_shipments(facts):
        start = full_day(shipment.dates["startDate"] + shipment.dates["date"])
        end = full_day(shipment.dates["endDate"])
        shipments.append(
            _Shipment(
                id=shipment.id,
                name=mention(facts.get(shipment.id), kind=False),
                exporters=tuple(sorted(shipment.role("exporter"))),
                consignees=tuple(sorted(shipment.role("consignee"))),
                end_users=tuple(sorted(shipment.role("declaredEndUser"))),
                notify=tuple(sorted(shipment.role("notifyParty"))),
                hs_codes=tuple(sorted(shipment.hs6 or shipment.hs_codes)),
                amount=_number([shipment.amount] if shipment.amount else []),
                currency=(shipment.currency or "").upper(),
                start=start or end,
                end=end,
                destinations=tuple(sorted({c.lower() for c in shipment.destination})),
            )
        )
    shipments.sort(key=lambda s: (s.start or date.max, s.id))
    return shipments


class _Trade:
    """Shipments with the parties on the buying side of each deal and their owner groups."""

    def __init__(self, case: Any, parties: _Parties, ownership_hops: int):
        self.parties = parties
        self.hops = ownership_hops
        self.shipments = _load_shipments(case)
        self.by_exporter: dict[str, list[_Shipment]] = defaultdict(list)
        for shipment in self.shipments:
            for exporter in shipment.exporters:
                self.by_exporter[exporter].append(shipment)
        # Start dates per exporter (shipments are in date order) and the longest voyage, so that
        # finding the shipments near a payment is a bisection, not a scan.
        self._starts = {e: [s.start for s in items if s.start] for e, items in self.by_exporter.items()}
        self._longest = max(((s.end - s.start).days for s in self.shipments if s.start and s.end and s.end > s.start),
                            default=0)
        self.stated_end_users: dict[str, set[str]] = defaultdict(set)
        for document in case.snapshot().of_schema("EndUseDocument"):
            for shipment_id in document.get("coveredShipment"):
                self.stated_end_users[shipment_id].update(document.get("statedEndUser"))
        self.owners_of: dict[str, set[str]] = defaultdict(set)
        self.assets_of: dict[str, set[str]] = defaultdict(set)
        for link in case.snapshot().of_schema("Ownership"):
            for owner in link.get("owner"):
                for asset in link.get("asset"):
                    self.owners_of[asset].add(owner)
                    self.assets_of[owner].add(asset)
        self._groups: dict[str, frozenset[str]] = {}
        self._affiliates: dict[str, frozenset[str]] = {}

    def near(self, exporter: str, day: date, window: int) -> list[_Shipment]:
        """Shipments by ``exporter`` within ``window`` days of ``day``."""
        starts = self._starts.get(exporter)
        if not starts:
            return []
        low = bisect_left(starts, day - timedelta(days=window + self._longest))
        high = bisect_right(starts, day + timedelta(days=window))
        return [s for s in self.by_exporter[exporter][low:high] if s.distance(day) <= window]

    def buyers(self, shipment: _Shipment) -> tuple[str, ...]:
        """Consignee, declared end user, notify party and end user stated in an end-use document."""
        named = set(shipment.consignees) | set(shipment.end_users) | set(shipment.notify)
        named |= self.stated_end_users.get(shipment.id, set())
        return tuple(sorted(named))

    def affiliates(self, party: str) -> set[str]:
        """Owners up the chain and holdings down it, within the configured number of hops."""
        found: set[str] = set()
        for links in (self.owners_of, self.assets_of):
            frontier = {party}
            for _ in range(self.hops):
                frontier = {other for node in frontier for other in links.get(node, ())} - found - {party}
                if not frontier:
                    break
                found |= frontier
        return found

    def same_group(self, party: str, other: str) -> bool:
        """Whether ``other`` owns or is owned by ``party`` (within the configured hops)."""
        if self.hops == 0:
            return False
        found = self._affiliates.get(party)
        if found is None:
            found = self._affiliates[party] = frozenset(self.affiliates(party))
        return other in found

    def deal_group(self, shipment: _Shipment) -> frozenset[str]:
        group = self._groups.get(shipment.id)
        if group is None:
            members = set(self.buyers(shipment))
            for party in list(members):
                members |= self.affiliates(party)
            group = self._groups[shipment.id] = frozenset(members)
        return group

    def deal_countries(self, shipment: _Shipment) -> frozenset[str]:
        """Destination and the countries of the consignee and the declared or stated end users."""
        countries = set(shipment.destinations)
        for party in (*shipment.consignees, *shipment.end_users, *self.stated_end_users.get(shipment.id, ())):
            countries |= self.parties.countries(party)
        return frozenset(countries)


def _nearest(shipments: list[_Shipment], day: date) -> _Shipment:
    return min(shipments, key=lambda s: (s.distance(day), s.id))


class _FamilyDetector(Detector):
    """Shared by this family: ``findings`` yields the findings, ``run`` tidies their wording.

    Captions often end in a full stop ("Ltd. Sti."); a sentence ending with one keeps one.
    """

    def findings(self, case: Any) -> Iterator[dict[str, Any]]:
        raise NotImplementedError

    def run(self, case: CaseReader) -> Iterator[dict[str, Any]]:
        for finding in self.findings(case):
            finding["explanation"] = re.sub(r"\.\.(?=\s|$)", ".", finding["explanation"])
            yield finding


# ---------------------------------------------------------------------------------------- #13


class ThirdPartyPayerDetector(_FamilyDetector):
    """Goods paid for by someone outside the deal, or from a third country."""

    id = "third-party-payer"
    label = "Third-party or third-country payer"
    version = "1.0"
    description = (
        "A payment to an exporter within the window of one of its shipments that comes from a party who is "
        "neither the consignee, the declared or stated end user, the notify party, nor an owner or subsidiary "
        "of one of them; or that comes from a country (of the payer or its bank account) that is neither the "
        "destination nor the consignee's or end user's country."
    )
    severity = "high"
    reference = (
        "DOJ/Commerce/Treasury tri-seal note (2023-03-02); FinCEN-BIS FIN-2022-Alert003; "
        "FATF PF guidance (2021); redflags.md #13"
    )
    parameters = {
        "window_days": Parameter(default=60, minimum=0, maximum=365,
                                 help="days between a payment and the shipment it may pay for"),
        "ownership_hops": Parameter(default=3, minimum=0, maximum=10,
                                    help="owners and holdings this many links away count as the buyer's own group"),
    }

    def findings(self, case: Any) -> Iterator[dict[str, Any]]:
        window = self.options["window_days"]
        parties = _Parties(case)
        trade = _Trade(case, parties, self.options["ownership_hops"])
        groups: dict[tuple, list[_Payment]] = defaultdict(list)
        for payment in _load_payments(case):
            if payment.day is None:
                continue
            bank = parties.account_countries(payment.payer_accounts)
            for payer, beneficiary in payment.transfers:
                near = trade.near(beneficiary, payment.day, window)
                if not near or trade.same_group(payer, beneficiary):
                    continue  # money within the exporter's own group does not pay for its goods
                paid_by_buyer = [s for s in near if payer in trade.deal_group(s)]
                if paid_by_buyer:
                    if bank and all(bank.isdisjoint(trade.deal_countries(s)) for s in paid_by_buyer):
                        key = ("bank", payer, beneficiary, tuple(s.id for s in paid_by_buyer))
                        groups[key].append(payment)
                    continue
                groups[("party", payer, beneficiary, tuple(s.id for s in near))].append(payment)
        by_id = {s.id: s for s in trade.shipments}
        for key in sorted(groups, key=lambda k: (groups[k][0].day, groups[k][0].id, k)):
            kind, payer, beneficiary, shipment_ids = key
            yield self._finding(kind, payer, beneficiary, [by_id[i] for i in shipment_ids], groups[key],
                                parties, trade)

    def _finding(self, kind, payer, beneficiary, shipments, payments, parties: _Parties, trade: _Trade):
        first = payments[0]
        shipment = _nearest(shipments, first.day)
        bank = parties.account_countries(sorted({a for p in payments for a in p.payer_accounts}))
        payer_countries = parties.countries(payer)
        deal_countries = frozenset().union(*(trade.deal_countries(s) for s in shipments))
        consignees = shipment.consignees or shipment.end_users
        where = f" in {_countries(shipment.destinations)}" if shipment.destinations else ""
        payer_where = f" ({_countries(payer_countries)})" if payer_countries else ""
        goods = (f"{parties.name(beneficiary)} shipped {_hs(shipment.hs_codes)} worth {shipment.value()} "
                 f"to {parties.names(consignees) or 'an unnamed consignee'}{where} (shipment {shipment.name})")
        text = (f"{parties.name(payer)}{payer_where} paid {parties.name(beneficiary)} {_payments_phrase(payments)}, "
                f"{shipment.when(first.day)} {goods}.")
        countries_from = (payer_countries | bank) if kind == "party" else bank
        third_country = bool(countries_from) and countries_from.isdisjoint(deal_countries)
        if kind == "party":
            text += (" The payer is not the consignee, declared end user or notify party, nor an owner or "
                     "subsidiary of one of them")
            if third_country:
                text += f"; and {_countries(countries_from)} is neither the destination nor the buyer's country."
            else:
                text += "."
            score, severity = (0.8, "high") if third_country else (0.55, "medium")
        else:
            text += (f" The payer is a party to the deal, but paid from an account in {_countries(bank)}, "
                     f"neither the destination nor the buyer's country "
                     f"({_countries(deal_countries) or 'not recorded'}).")
            score, severity = 0.5, "medium"
        accounts = sorted({a for p in payments for a in p.payer_accounts})
        return {
            "entities": sorted({payer, beneficiary, *consignees}),
            "evidence": [p.id for p in payments] + [s.id for s in shipments],
            "score": score,
            "severity": severity,
            "explanation": text,
            "details": {
                "kind": "third party" if kind == "party" else "third-country bank",
                "payments": [p.id for p in payments],
                "shipments": [s.id for s in shipments],
                "payer_countries": sorted(payer_countries),
                "payer_bank_countries": sorted(bank),
                "payer_accounts": accounts,
                "deal_countries": sorted(deal_countries),
                "deal_parties": sorted(trade.buyers(shipment)),
            },
        }


# ---------------------------------------------------------------------------------------- #12


class CashForGoodsDetector(_FamilyDetector):
    """Cash, or a money service business, paying for expensive goods or a large amount."""

    id = "cash-for-goods"
    label = "Cash or money-service payment for goods"
    version = "1.0"
    description = (
        "A payment whose purpose, description or programme mentions cash (or a money transfer service), or "
        "whose payer or payer's bank is a money service business, that is at least the threshold amount or "
        "pays an exporter around the time it shipped high-priority (CHPL) goods or goods worth the threshold."
    )
    severity = "high"
    reference = "BIS Red Flag Indicators; FATF Proliferation Financing Report (2008), Annex 1; redflags.md #12"
    parameters = {
        "min_amount": Parameter(default=10_000.0, minimum=0,
                                help="flag cash payments of at least this (in the payment's own currency)"),
        "window_days": Parameter(default=60, minimum=0, maximum=365,
                                 help="days between a payment and a shipment by its beneficiary"),
        "cash_terms": Parameter(
            default="cash,in cash,banknotes,bank notes,hawala,money transfer,money order,money service,"
                    "exchange house,bureau de change,currency exchange,remittance",
            help="comma-separated words in a payment's purpose or description that mean cash or cash-like"),
        "ignore_phrases": Parameter(
            default="cash against documents,cash in advance,cash flow,cash pooling,cash management",
            help="trade-finance phrases that contain 'cash' but are bank transfers"),
        "msb_terms": Parameter(
            default="money service,money transfer,money exchange,currency exchange,exchange house,"
                    "exchange company,bureau de change,hawala,hawaladar,remittance,sarraf",
            help="comma-separated words that mark a payer or its bank as a money service business"),
    }

    def findings(self, case: Any) -> Iterator[dict[str, Any]]:
        minimum = self.options["min_amount"]
        window = self.options["window_days"]
        cash = _pattern(_split(self.options["cash_terms"]))
        ignore = _pattern(_split(self.options["ignore_phrases"]))
        msb = _pattern(_split(self.options["msb_terms"]))
        chpl = chpl_tiers()
        parties = _Parties(case)
        trade = _Trade(case, parties, 0)
        msb_words: dict[tuple[str, tuple[str, ...]], Any] = {}  # the same payers pay again and again

        def msb_word(entity_id: str, props: tuple[str, ...]):
            key = (entity_id, props)
            if key not in msb_words:
                msb_words[key] = msb.search(parties.text(entity_id, props)) if msb else None
            return msb_words[key]

        for payment in _load_payments(case):
            text = ignore.sub(" ", payment.text) if ignore else payment.text
            reasons = []
            hit = cash.search(text) if cash else None
            if hit:
                reasons.append(f'its purpose says "{payment.text.strip()}" ("{hit.group(0)}")')
            for payer in payment.payers:
                found = msb_word(payer, _PARTY_TEXT_PROPS)
                if found:
                    reasons.append(f'the payer {parties.name(payer)} is a money service business ("{found.group(0)}")')
            for account in payment.payer_accounts:
                found = msb_word(account, ("bankName", "name"))
                if found:
                    bank = parties.text(account, ("bankName",)) or account
                    reasons.append(f"it was paid through a money service business ({bank})")
            if not reasons:
                continue
            large = payment.amount is not None and payment.amount >= minimum
            goods: list[_Shipment] = []
            if payment.day is not None:
                for beneficiary in payment.beneficiaries:
                    goods += [s for s in trade.near(beneficiary, payment.day, window)
                              if any(code in chpl for code in s.hs_codes)
                              or (s.amount is not None and s.amount >= minimum)]
            if not large and not goods:
                continue
            text = (f"{parties.names(payment.payers) or 'An unknown payer'} paid "
                    f"{parties.names(payment.beneficiaries) or 'an unknown beneficiary'} {payment.describe()} "
                    f"and {listing(reasons)}.")
            if large:
                text += (f" The amount is at least the {minimum:,.0f} threshold "
                         f"(applied in the payment's own currency; amounts are not converted).")
            for shipment in goods:
                tiers = sorted({chpl[code] for code in shipment.hs_codes if code in chpl})
                tier = f" (CHPL tier {'/'.join(tiers)})" if tiers else ""
                text += (f" The payment came {shipment.when(payment.day)} {parties.names(shipment.exporters)} "
                         f"shipped {_hs(shipment.hs_codes)}{tier} worth {shipment.value()} to "
                         f"{parties.names(shipment.consignees)} on {shipment.start.isoformat()} (shipment {shipment.name}).")
            chpl_goods = any(code in chpl for s in goods for code in s.hs_codes)
            yield {
                "entities": sorted({*payment.payers, *payment.beneficiaries}),
                "evidence": [payment.id] + [s.id for s in goods],
                "score": 0.85 if chpl_goods else 0.7,
                "explanation": text,
                "details": {"payment": payment.id, "amount": payment.amount, "currency": payment.currency,
                            "reasons": reasons, "shipments": [s.id for s in goods]},
            }


# ---------------------------------------------------------------------------------------- #16


class StructuringDetector(_FamilyDetector):
    """Several payments just below a reporting threshold, from one payer or to one beneficiary."""

    id = "structuring"
    label = "Payments structured below a threshold"
    version = "1.0"
    description = (
        "At least the minimum number of payments from one payer, or to one beneficiary, in one currency, "
        "within the window, each just below the reporting threshold (within the band under it)."
    )
    severity = "medium"
    reference = (
        "FinCEN-BIS supplemental alert (2023-05-19) and UK NCA red flag 3 (many small payments); "
        "redflags.md #16, applied to amounts just under a reporting threshold"
    )
    parameters = {
        "threshold": Parameter(default=10_000.0, minimum=1,
                               help="the reporting threshold (in each payment's currency)"),
        "band": Parameter(default=0.1, minimum=0.001, maximum=0.9,
                          help="'just below' means at least threshold x (1 - band) and under the threshold"),
        "min_count": Parameter(default=3, minimum=2, maximum=100, help="payments needed within the window"),
        "window_days": Parameter(default=30, minimum=0, maximum=365, help="days from the first to the last payment"),
    }

    def findings(self, case: Any) -> Iterator[dict[str, Any]]:
        threshold = self.options["threshold"]
        low = threshold * (1 - self.options["band"])
        window = timedelta(days=self.options["window_days"])
        minimum = self.options["min_count"]
        parties = _Parties(case)
        groups: dict[tuple[str, str, str], list[_Payment]] = defaultdict(list)
        for payment in _load_payments(case):
            if payment.day is None or payment.amount is None or not low <= payment.amount < threshold:
                continue
            for payer in payment.payers:
                groups[("payer", payer, payment.currency)].append(payment)
            for beneficiary in payment.beneficiaries:
                groups[("beneficiary", beneficiary, payment.currency)].append(payment)
        clusters: dict[tuple[str, ...], tuple[str, str, list[_Payment]]] = {}
        for key in sorted(groups):
            role, party, _ = key
            items = groups[key]  # already in date order
            start = 0
            while start < len(items):
                stop = start
                while stop < len(items) and items[stop].day - items[start].day <= window:
                    stop += 1
                if stop - start >= minimum:
                    cluster = items[start:stop]
                    # One payer paying one beneficiary shows up in both groupings: report it once.
                    clusters.setdefault(tuple(p.id for p in cluster), (role, party, cluster))
                    start = stop
                else:
                    start += 1
        for ids in sorted(clusters, key=lambda ids: (clusters[ids][2][0].day, ids)):
            role, party, cluster = clusters[ids]
            yield self._finding(role, party, cluster, threshold, parties)

    def _finding(self, role, party, cluster, threshold, parties: _Parties):
        amounts = sorted(p.amount for p in cluster)
        currency = cluster[0].currency
        others = sorted({o for p in cluster for o in (p.payers if role == "beneficiary" else p.beneficiaries)})
        verb, link = ("received", "from") if role == "beneficiary" else ("made", "to")
        spread = (_money(amounts[0], currency) if amounts[0] == amounts[-1]
                  else f"{_money(amounts[0], currency)}–{amounts[-1]:,.0f}")
        text = (f"{parties.name(party)} {verb} {len(cluster)} payments of {spread} between "
                f"{cluster[0].day.isoformat()} and {cluster[-1].day.isoformat()} {link} {parties.names(others)}, "
                f"each just below the {threshold:,.0f} reporting threshold (within {self.options['band']:.0%}); "
                f"together {_money(sum(amounts), currency)}.")
        extra = len(cluster) - self.options["min_count"]
        return {
            "entities": sorted({party, *others}),
            "evidence": [p.id for p in cluster],
            "score": min(0.9, 0.55 + 0.1 * extra),
            "explanation": text,
            "details": {"grouped_by": role, "party": party, "currency": currency, "amounts": amounts,
                        "total": sum(amounts), "threshold": threshold},
        }


# ---------------------------------------------------------------------------------------- graph views


@dataclass(frozen=True, slots=True)
class _Transfer:
    payment: _Payment
    payer: str
    beneficiary: str

    @property
    def day(self) -> date:
        return self.payment.day

    @property
    def amount(self) -> float:
        return self.payment.amount

    @property
    def currency(self) -> str:
        return self.payment.currency

    @property
    def order(self) -> tuple:
        return (self.payment.day, self.payment.id, self.payer, self.beneficiary)


# What the payment-pattern detectors derive from the transfers (the transfers themselves, everyday
# sums, usual sums per counterparty), worked out once per run rather than once per detector: on
# 118,000 transfers each took a second or more. Keyed by the transfers list (kept alive here, so
# its id stays its own) and the arguments; read-only for the detectors. Only what is derived from
# the shared list is kept: a list of some transfers is made anew by each caller, so what was
# derived from it would never be asked for again and only hold memory until the family is done.
_TRANSFERS_CACHE: dict[tuple, list[_Transfer]] = {}
_DERIVED: dict[tuple, tuple[list, Any]] = {}


def _shared(function):
    def cached(transfers, *args, **kwargs):
        key = (id(transfers), function.__name__, args, tuple(sorted(kwargs.items())))
        if not any(transfers is shared for shared in _TRANSFERS_CACHE.values()):
            # A list of the moment (some of the transfers) is never asked about again: keeping
            # what was derived from it (and it) would only hold memory until the family is done.
            return function(transfers, *args, **kwargs)
        found = _DERIVED.get(key)
        if found is None or found[0] is not transfers:
            found = _DERIVED[key] = (transfers, function(transfers, *args, **kwargs))
        return found[1]
    cached.__name__, cached.__doc__, cached.__wrapped__ = function.__name__, function.__doc__, function
    return cached


def _transfers(case: Any) -> list[_Transfer]:
    """Dated payments with an amount, one per payer and beneficiary, in date order (shared by
    the detectors of one run: do not change the list)."""
    key = (str(case.path), case.meta("case_id"), case.facts_version)
    cached = _TRANSFERS_CACHE.get(key)
    if cached is not None:
        return cached
    found = [
        _Transfer(payment, payer, beneficiary)
        for payment in _load_payments(case)
        if payment.day is not None and payment.amount is not None and payment.amount > 0
        for payer, beneficiary in payment.transfers
    ]
    found.sort(key=lambda t: t.order)
    _TRANSFERS_CACHE.clear()
    _DERIVED.clear()
    _TRANSFERS_CACHE[key] = found
    return found


@_shared
def _by_party_and_currency(transfers: list[_Transfer]):
    """``{(party, currency): ([incoming], [outgoing])}`` in date order, parties sorted."""
    flows: dict[tuple[str, str], tuple[list[_Transfer], list[_Transfer]]] = defaultdict(lambda: ([], []))
    for transfer in transfers:
        flows[(transfer.beneficiary, transfer.currency)][0].append(transfer)
        flows[(transfer.payer, transfer.currency)][1].append(transfer)
    return dict(sorted(flows.items()))


# ---------------------------------------------------------------------------------------- #17


# Beneficiaries of a window tried as "the few" the money went on to (the largest ones): bounds
# the combinations tried on a party that pays hundreds.
_MAX_ONWARD_CANDIDATES = 12


class FanInFanOutDetector(_FamilyDetector):
    """Money gathered from many payers and sent on to a few beneficiaries."""

    id = "fan-in-fan-out"
    label = "Funds gathered and funnelled on (fan-in, fan-out)"
    version = "1.3"
    description = (
        "A party that, within the window, receives payments from at least the minimum number of distinct "
        "payers and, after they arrived, pays at least the given share of what came in on to a few beneficiaries "
        "(same currency), where that money stands out from what the party received over the same span before."
    )
    severity = "medium"
    reference = "FATF Proliferation Financing Report (2008); AMLSim scatter-gather typology; redflags.md #17"
    parameters = {
        # 4 payers in 14 days, three times the party's usual number: on AMLSim-shaped data (20,000
        # accounts with shops, employers, loans) that kept recall at 0.99 and lifted precision from
        # 0.24 (3 payers, 30 days, no history) to 0.9; see tests/benchmarks/bench_detectors.py.
        "min_payers": Parameter(default=4, minimum=2, maximum=1000, help="distinct payers within the window"),
        "window_days": Parameter(default=14, minimum=0, maximum=365,
                                 help="days from the first payment in to the last payment on"),
        "max_out_ratio": Parameter(default=1.1, minimum=1.0, maximum=10.0,
                                   help="at most this multiple of the money in may go out"),
        "out_ratio": Parameter(default=0.8, minimum=0.1, maximum=1.0,
                               help="share of the money in that leaves again to the few beneficiaries"),
        "max_beneficiaries": Parameter(default=2, minimum=1, maximum=50,
                                       help="how many beneficiaries count as 'few'"),
        "max_usual_share": Parameter(default=0.3, minimum=0.0, maximum=1000.0,
                                     help="payers per window over the history before, at most this share of the "
                                          "payers in the window (a shop's steady customers are not a fan-in)"),
        "history_days": Parameter(default=90, minimum=1, maximum=3650,
                                  help="days before the window that show the party's usual payers"),
        "everyday_match": Parameter(default=0.02, minimum=0.0, maximum=0.5,
                                    help="a payment on whose sum the hub also paid two or more other parties more than the window "
                                         "away is its everyday payment, not the money moving on (0: every payment counts)"),
    }

    def findings(self, case: Any) -> Iterator[dict[str, Any]]:
        window = timedelta(days=self.options["window_days"])
        parties = _Parties(case)
        transfers = _transfers(case)
        if not transfers:
            return
        records_begin = transfers[0].day
        # The hub's everyday payments (a sum it pays other parties at other times too) are its own
        # business, not the gathered money moving on.
        everyday = _everyday_amounts(transfers, self.options["everyday_match"], apart=window)
        onward = _by_party_and_currency([t for index, t in enumerate(transfers) if index not in everyday])
        for (party, currency), (incoming, _) in _by_party_and_currency(transfers).items():
            outgoing = onward.get((party, currency), ([], []))[1]
            if len({t.payer for t in incoming}) < self.options["min_payers"] or not outgoing:
                continue
            best = self._best_window(incoming, outgoing, window, records_begin)
            if best is not None:
                yield self._finding(party, currency, *best, parties)

    def _best_window(self, incoming, outgoing, window, records_begin):
        """The gathering with most payers: money in from ``first`` to ``split``, and on from ``split``.

        Money is passed on only after it has arrived: the payments on are those from the split
        day to the end of the window, the money in is what arrived from the first day to the
        split. Without that split a shop's supplier payment for last month's takings, made on
        the first day of a window, counted as passing on this month's.
        """
        out_days = [t.day for t in outgoing]
        in_days = [t.day for t in incoming]
        min_payers, usual_share = self.options["min_payers"], self.options["max_usual_share"]
        best, best_key = None, None
        for start in range(len(incoming)):
            first = incoming[start].day
            low, high = bisect_left(out_days, first), bisect_right(out_days, first + window)
            if low == high:
                continue
            earlier = None
            for split in sorted(set(out_days[low:high])):
                stop = bisect_right(in_days, split)
                payers = {t.payer for t in incoming[start:stop]}
                if len(payers) < min_payers:
                    continue
                outs = outgoing[bisect_left(out_days, split):high]
                ins = incoming[start:stop]
                money_in = sum(t.amount for t in ins)
                few = self._onward(outs, money_in)
                if few is None:
                    continue
                onward = [t for t in outs if t.beneficiary in few]
                money_out = sum(t.amount for t in onward)
                if earlier is None:
                    earlier = self._earlier_payers(incoming, in_days, start, first, window, records_begin)
                # A shop or an employer is paid by many all the time and pays a supplier from it;
                # funds collected for a purpose come from payers the party had not been hearing
                # from. Counted in payers, not money: a shop's takings swing with a few big sales.
                if earlier[1] > usual_share * len(payers):
                    continue
                key = (-len(payers), -money_in, first)
                if best_key is None or key < best_key:
                    best_key = key
                    best = (ins, onward, sorted(payers), few, money_in, money_out, earlier[0], earlier[2])
        return best

    def _onward(self, outs, money_in) -> tuple[str, ...] | None:
        """The fewest beneficiaries (at most ``max_beneficiaries``) whose payments carry on between
        ``out_ratio`` and ``max_out_ratio`` of the money in, or ``None``.

        Any few, not only the largest: the hub that passes the pooled money on also pays its rent
        and its bills, and a bigger unrelated payment the same week must not hide the onward one.
        More out than came in is the party's own money (a shop paying its supplier), not the
        collected funds moving on.
        """
        per_beneficiary: dict[str, float] = defaultdict(float)
        for t in outs:
            per_beneficiary[t.beneficiary] += t.amount
        largest = sorted(per_beneficiary, key=lambda b: (-per_beneficiary[b], b))[:_MAX_ONWARD_CANDIDATES]
        low, high = self.options["out_ratio"] * money_in, self.options["max_out_ratio"] * money_in
        for size in range(1, self.options["max_beneficiaries"] + 1):
            fitting = [few for few in combinations(largest, size)
                       if low <= sum(per_beneficiary[b] for b in few) <= high]
            if fitting:
                return tuple(sorted(max(fitting, key=lambda few: (sum(per_beneficiary[b] for b in few), sorted(few)))))
        return None

    def _earlier_payers(self, incoming, in_days, start, first, window, records_begin):
        """Payers in the ``history_days`` before ``first``, and how many that makes per window.

        Over several windows, so that a quiet month of a busy shop does not pass for a quiet party;
        when the case's records begin inside the history, over the days there are records for.
        """
        history = timedelta(days=self.options["history_days"])
        since = first - history
        earlier = sorted({t.payer for t in incoming[bisect_left(in_days, since):start]})
        seen = (first - max(since, records_begin)).days
        return earlier, len(earlier) * max(window.days, 1) / max(seen, 1), seen

    def _finding(self, party, currency, ins, outs, payers, few, money_in, money_out, earlier, seen,
                 parties: _Parties):
        last = max(t.day for t in ins + outs)
        shown = [parties.name(p) for p in payers[:6]] + ([f"{len(payers) - 6} more"] if len(payers) > 6 else [])
        text = (f"Between {ins[0].day.isoformat()} and {last.isoformat()}, {parties.name(party)} received "
                f"{_money(money_in, currency)} from {len(payers)} payers ({listing(shown)}) and paid "
                f"{_money(money_out, currency)} ({money_out / money_in:.0%}) on to {parties.names(few)}. ")
        paid_by = f"{len(earlier) if earlier else 'no'} payer{'' if len(earlier) == 1 else 's'}"
        if seen >= self.options["history_days"]:
            text += f"In the {_days(self.options['history_days'])} before, it had been paid by {paid_by}."
        elif seen > 0:
            text += (f"The case's payments begin only {_days(seen)} before; in those it had been paid by {paid_by}, "
                     f"so what is usual for it is uncertain.")
        else:
            text += "The case holds no earlier payments to tell whether that is usual for it."
        return {
            "entities": sorted({party, *payers, *few}),
            "evidence": sorted({t.payment.id for t in ins + outs}),
            "score": min(0.9, 0.55 + 0.05 * (len(payers) - self.options["min_payers"])),
            "explanation": text,
            "details": {"party": party, "currency": currency, "payers": payers, "beneficiaries": list(few),
                        "in": money_in, "out": money_out, "payers_before": earlier, "history_days_seen": seen},
        }


# ---------------------------------------------------------------------------------------- #18


@_shared
def _transfer_columns(transfers: list[_Transfer]) -> tuple[dict[str, np.ndarray], list[str], list[str]]:
    """The transfers as numpy columns, by index (``payer``, ``beneficiary`` and ``currency`` as
    integer codes, ``amount``, ``day`` as an ordinal), the parties and the currencies by code; for
    the shared derivations below,
    which compare every transfer with its neighbours and were the larger part of the family's time."""
    codes: dict[str, int] = {}
    currencies: dict[str, int] = {}
    count = len(transfers)
    columns = {
        "payer": np.fromiter((codes.setdefault(t.payer, len(codes)) for t in transfers), np.int32, count),
        "beneficiary": np.fromiter((codes.setdefault(t.beneficiary, len(codes)) for t in transfers), np.int32, count),
        "currency": np.fromiter((currencies.setdefault(t.payment.currency, len(currencies)) for t in transfers),
                                np.int32, count),
        "amount": np.fromiter((t.payment.amount for t in transfers), np.float64, count),
        "day": np.fromiter((t.payment.day.toordinal() for t in transfers), np.int32, count),
    }
    return columns, list(codes), list(currencies)


class _Marked(AbstractSet):
    """Indexes of transfers marked by a mask (``index in marked``): a byte a transfer, where a set
    of two million indexes takes about 100 MB (and the family keeps several)."""

    __slots__ = ("_flags",)

    def __init__(self, mask: np.ndarray):
        self._flags = mask.astype(np.uint8).tobytes()

    def __contains__(self, index: object) -> bool:
        return isinstance(index, int) and 0 <= index < len(self._flags) and self._flags[index] == 1

    def __iter__(self) -> Iterator[int]:
        return iter(np.flatnonzero(np.frombuffer(self._flags, dtype=np.uint8)).tolist())

    def __len__(self) -> int:
        return self._flags.count(1)


def _dense(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """One code per distinct pair of the two columns' values (0 .. pairs - 1), as int64."""
    combined = first.astype(np.int64) * (int(second.max()) + 1) + second
    return np.unique(combined, return_inverse=True)[1].reshape(-1)


@_shared
def _everyday_amounts(transfers: list[_Transfer], match: float, apart: timedelta | None = None,
                      received: bool = False) -> _Marked:
    """Indexes of transfers whose payer paid at least two *other* parties about the same sum (within
    ``match``).

    Relative to each account's own history: an account that pays everyone the same sum (wages, a
    standing amount, what it always pays) is not passing on one particular sum. Two others, not
    one: an account with a dozen payments of sums that vary has one within 2% of another by chance
    often enough (on our generator, whose sums are log-normal, one payment of a cycle in five was
    taken for everyday with one other party: circular-payments recall 0.79; with two, 0.98, and
    AMLSim's samples, whose accounts pay all their payees one sum, lose nothing). Payments of one
    payer to one beneficiary (repeats, instalments) do not count against each other. With
    ``apart``, only a payment of the same sum more than that many days away counts: a burst of
    alike payments to several parties at once (money split and sent on) is not everyday.
    ``received``: the same from the beneficiary's side (it received about the same sum from
    other payers).

    Worked out on columns: for each transfer, the transfers of its account and currency whose sums
    lie within ``match`` of its own (a sum's neighbours, found by binary search over the
    account's sums), less those of the same counterparty.
    """
    if match <= 0 or not transfers:
        return _Marked(np.zeros(len(transfers), dtype=bool))
    columns = _transfer_columns(transfers)[0]
    hub, other = (columns["beneficiary"], columns["payer"]) if received else (columns["payer"], columns["beneficiary"])
    amount = columns["amount"]
    account = _dense(hub, columns["currency"])  # the payer (or beneficiary) and currency
    pair = _dense(account, other)  # ... and the counterparty
    # Sums as ranks among all sums, so that "within match of" becomes an integer range per account.
    sums = np.unique(amount)
    rank = np.searchsorted(sums, amount)
    lowest = np.searchsorted(sums, amount * (1 - match), side="left")
    highest = np.searchsorted(sums, amount * (1 + match), side="right")  # first rank above the range
    width = len(sums) + 1

    def neighbours(group: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        keys = group * width + rank
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        return (np.searchsorted(ordered, group * width + lowest, side="left"),
                np.searchsorted(ordered, group * width + highest, side="left"), order)

    low, high, order = neighbours(account)
    same_low, same_high, _ = neighbours(pair)
    # At least two neighbours paid to (or by) other parties; of those, the ones with two distinct
    # other parties among them (more than ``apart`` away in time, if given): looked at one by one
    # (the first two found will do), a slice of candidates at a time so that memory stays small.
    found = (high - low) - (same_high - same_low) >= 2
    del same_low, same_high, pair, rank, lowest, highest
    limit = apart / timedelta(days=1) if apart is not None else -1
    days, others = array("i"), array("i")
    days.frombytes(columns["day"][order].astype(np.int32).tobytes())
    others.frombytes(other[order].astype(np.int32).tobytes())
    everyday = np.zeros(len(transfers), dtype=bool)
    candidates = np.flatnonzero(found)
    for start in range(0, len(candidates), 50_000):
        chosen = candidates[start:start + 50_000]
        for index, day, counterparty, low_position, high_position in zip(
                chosen.tolist(), columns["day"][chosen].tolist(), other[chosen].tolist(), low[chosen].tolist(),
                high[chosen].tolist()):
            first = None
            for position in range(low_position, high_position):
                party = others[position]
                if party == counterparty or abs(days[position] - day) <= limit:
                    continue
                if first is None:
                    first = party
                elif party != first:
                    everyday[index] = True
                    break
    return _Marked(everyday)


@dataclass(frozen=True)
class _Step:
    """One link of a circle: the payments from ``payer`` to ``beneficiary`` that carry the sum
    (``matched``), or, where the sum's own payment is missing, the other payments on that link."""

    payer: str
    beneficiary: str
    payments: tuple[_Transfer, ...]
    matched: bool

    @property
    def amount(self) -> float:
        return self.payments[0].amount

    @property
    def day(self) -> date:
        return min(t.day for t in self.payments)


class CircularPaymentsDetector(_FamilyDetector):
    """Money that goes round a circle of parties and comes back, a margin lost at each hop."""

    id = "circular-payments"
    label = "Circular payments"
    version = "2.2"
    description = (
        "A directed circle of parties in the payment graph along which one sum travels: each link carries a "
        "payment no larger than the one before it and at most the tolerance smaller (layering takes a cut at "
        "each hop; the circle's largest payment opens it), all in one currency, within the window from the "
        "first payment to the last. In time order or not (a parameter; simulated and real layering need not "
        "pay in order). Payments whose payer paid two or more other parties about the same sum are its everyday payments "
        "and carry no particular sum. Where a link's own payment is missing, a link the parties paid over for "
        "other sums may close the circle (at most the given number of such links). The closest circle is "
        "reported for each set of parties."
    )
    severity = "medium"
    reference = "AMLSim cycle typology; FATF trade-based money laundering (inferred); redflags.md #18"
    parameters = {
        # 2 as the published rule (#18) has it; raise to 3 on bank-statement data, where two parties
        # paying each other back is mostly a loan and its repayment.
        "min_length": Parameter(default=2, minimum=2, maximum=10, help="fewest parties in the circle"),
        "max_length": Parameter(default=8, minimum=2, maximum=12, help="most parties in the circle"),
        "time_ordered": Parameter(default=False,
                                  help="each payment of the circle on or after the one before it (money must "
                                       "have arrived before it moves on); off: in any order, as AMLSim pays"),
        "window_days": Parameter(default=365, minimum=0, maximum=3650,
                                 help="days from the circle's first payment to its last"),
        # 0.3: each account in AMLSim's sample passes on its own balance, up to 25% less per hop.
        "amount_tolerance": Parameter(default=0.3, minimum=0.0, maximum=1.0,
                                      help="each payment at most this share smaller than the one before it"),
        # Layering loses a cut at each hop; money that comes back with more than went out is, far more
        # often, a loan repaid with interest. Half a percent is left for rounding.
        "max_return_gain": Parameter(default=0.0, minimum=0.0, maximum=1.0,
                                     help="a payment may exceed the one before it by at most this share "
                                          "(besides half a percent of rounding)"),
        "everyday_match": Parameter(default=0.02, minimum=0.0, maximum=0.5,
                                    help="a payment whose payer paid two or more other parties within this share of the "
                                         "same sum is an everyday payment and carries no particular sum "
                                         "(0: every payment may)"),
        # 1: a circle needs at least 2 links anyway, so this matters only with links of other payments,
        # which are allowed only where the sum stands out of its payers' way (stand_out), and with a
        # single payment of the sum, of its beneficiary's way too. On AMLSim's 20K_cycle200, 1 instead
        # of 2 lifts recall from 0.375 to 0.45 at precision 0.99; on our generator it costs 0.01 of
        # precision (0.94 -> 0.93 on 6,000 accounts).
        "min_matched": Parameter(default=1, minimum=1, maximum=12,
                                 help="fewest links of the circle that carry the sum itself"),
        # Links of other payments close a circle only where the sum stands out of its payers' way: on
        # our own generator, where every payment is a sum of its own and no payer has a usual sum, they
        # closed chance circles (precision 0.18 at 2 without that condition); on AMLSim, whose accounts
        # pay everyone one usual sum and whose links often never get the cycle's payment, 2 lifts
        # recall from 0.11 to about 0.40 at precision 0.99.
        "max_other_links": Parameter(default=2, minimum=0, maximum=4,
                                     help="links of the circle carried only by other payments (where the sum's "
                                          "own payment is missing: not yet made, or capped by a balance), allowed "
                                          "where each payment of the sum stands out of its payer's usual payments"),
        "stand_out": Parameter(default=3.0, minimum=1.0, maximum=1000.0,
                               help="for links of other payments: the sum at least this many times smaller or larger "
                                    "than what its payer pays at least 2 other beneficiaries (times how widely those "
                                    "sums vary: upper over lower quartile); 1: no condition"),
    }

    def findings(self, case: Any) -> Iterator[dict[str, Any]]:
        transfers = _transfers(case)
        everyday = _everyday_amounts(transfers, self.options["everyday_match"])
        # One step per payer, beneficiary, currency and sum: repeats of a payment travel together.
        grouped: dict[tuple, list[_Transfer]] = defaultdict(list)
        links: dict[str, dict[str, list[_Transfer]]] = defaultdict(lambda: defaultdict(list))
        for index, transfer in enumerate(transfers):
            links[transfer.payer][transfer.beneficiary].append(transfer)
            if index not in everyday:
                grouped[(transfer.payer, transfer.beneficiary, transfer.currency, transfer.amount)].append(transfer)
        steps: dict[str, list[_Step]] = defaultdict(list)
        for (payer, beneficiary, _, _), items in grouped.items():
            steps[payer].append(_Step(payer, beneficiary, tuple(items), True))
        for items in steps.values():
            items.sort(key=lambda s: (s.amount, s.beneficiary, s.day))
        amounts = {party: [s.amount for s in items] for party, items in steps.items()}
        receivers = {t.beneficiary for t in transfers}
        self._standing = self._standing_out(transfers, steps)
        self._standing_in = self._standing_out(transfers, steps, incoming=True)
        best: dict[frozenset, tuple[tuple, list[_Step]]] = {}
        budget = [_MAX_STEPS]
        openings = sorted((s for items in steps.values() for s in items), key=lambda s: (s.day, s.payer, s.beneficiary, s.amount))
        for opening in openings:
            if opening.payer not in receivers:
                continue  # money that never comes back to its payer cannot close a circle
            for circle in self._circles_from(opening, steps, amounts, links, budget):
                if self._repaid(circle):
                    continue
                if sum(s.matched for s in circle) < 2 and not all(
                        (s.payer, s.beneficiary, s.amount) in self._standing_in for s in circle if s.matched):
                    # One payment of the sum and the rest other payments: the sum must stand out for
                    # its beneficiary too (what it receives from others), or chance closes circles.
                    continue
                key = frozenset(s.payer for s in circle)
                days = [s.day for s in circle if s.matched]
                rank = (sum(not s.matched for s in circle), max(days) - min(days), min(days),
                        tuple(sorted(t.payment.id for s in circle for t in s.payments)))
                if key not in best or rank < best[key][0]:
                    best[key] = (rank, circle)
            if budget[0] <= 0:
                break
        parties = _Parties(case)
        for _, circle in sorted(best.values(), key=lambda item: item[0][1:] + item[0][:1]):
            yield self._finding(circle, parties)

    def _standing_out(self, transfers: list[_Transfer], steps: dict[str, list[_Step]], incoming=False) -> set[tuple]:
        """``(payer, beneficiary, amount)`` of the steps whose sum stands out of the payer's usual
        payments to at least 2 other beneficiaries (see ``stand_out``); ``incoming``: of the
        beneficiary's usual receipts from at least 2 other payers."""
        factor = self.options["stand_out"]
        if factor <= 1:
            return {(payer, step.beneficiary, step.amount) for payer, items in steps.items() for step in items}
        typical = _typical_sums(transfers, incoming=incoming)
        found = set()
        for payer, items in steps.items():
            for step in items:
                party, counterparty = (step.beneficiary, payer) if incoming else (payer, step.beneficiary)
                by_other = typical.get((party, step.payments[0].currency), {})
                rest = [amount for other, amount in by_other.items() if other != counterparty]
                if len(rest) < 2:
                    continue
                needed = factor * _width(rest)
                if step.amount * needed <= min(rest) or step.amount >= max(rest) * needed:
                    found.add((payer, step.beneficiary, step.amount))
        return found

    def _repaid(self, circle: list[_Step]) -> bool:
        """Whether the circle, read from its earliest payment, was paid in time order and came back
        with more than went out: a loan repaid with interest, not layering."""
        if not all(s.matched for s in circle):
            return False
        start = min(range(len(circle)), key=lambda i: (circle[i].day, i))
        rotation = circle[start:] + circle[:start]
        if any(a.day > b.day for a, b in zip(rotation, rotation[1:])):
            return False
        return rotation[-1].amount > rotation[0].amount * (1 + self.options["max_return_gain"])

    def _circles_from(self, opening: _Step, steps, amounts, links, budget) -> Iterator[list[_Step]]:
        """Circles that start with ``opening``, its largest payment: each next payment at most the
        tolerance smaller than the one before (not larger), or a link carried by other payments."""
        options = self.options
        ordered, window = options["time_ordered"], timedelta(days=options["window_days"])
        shrink, grow = 1 - options["amount_tolerance"], 1 + options["max_return_gain"] + 0.005
        home, currency = opening.payer, opening.payments[0].currency
        # (circle so far, its parties, the sum as it stands, links without it, first and last day)
        standing = self._standing
        proud = (opening.payer, opening.beneficiary, opening.amount) in standing
        stack = [([opening], {home, opening.beneficiary}, opening.amount, 0, opening.day, opening.day, proud)]
        ceiling = opening.amount * grow / max(shrink, 0.01)  # sums the circle itself might carry
        while stack and budget[0] > 0:
            # ``proud``: every payment of the sum so far stands out of its payer's way
            circle, members, amount, gaps, first, last, proud = stack.pop()
            node = circle[-1].beneficiary
            matched = sum(s.matched for s in circle)
            extensions = []
            candidates = steps.get(node, ())
            low = bisect_left(amounts.get(node, ()), amount * shrink)
            high = bisect_right(amounts.get(node, ()), amount * grow)
            for step in candidates[low:high]:
                budget[0] -= 1
                if step.payments[0].currency != currency:
                    continue
                day = step.day if not ordered else min((t.day for t in step.payments if t.day >= last), default=None)
                if day is None or max(last, day) - min(first, day) > window:
                    continue
                if step.beneficiary == home:
                    if len(circle) + 1 >= options["min_length"] and matched + 1 >= options["min_matched"]:
                        yield circle + [step]
                elif step.beneficiary not in members and len(circle) + 1 < options["max_length"]:
                    extensions.append((circle + [step], members | {step.beneficiary}, step.amount, gaps,
                                       min(first, day), max(last, day),
                                       proud and (step.payer, step.beneficiary, step.amount) in standing))
            if gaps < options["max_other_links"] and proud:
                for beneficiary, paid in links.get(node, {}).items():
                    budget[0] -= 1
                    # Other sums only: a payment of the sum itself left out (by the window, the
                    # order or the currency) does not come back as an "other payment".
                    paid = [t for t in paid if not amount * shrink <= t.amount <= ceiling]
                    if not paid:
                        continue
                    if ordered:
                        paid = [t for t in paid if t.day >= last]
                        if not paid:
                            continue
                    other = _Step(node, beneficiary, tuple(paid), False)
                    if beneficiary == home:
                        if len(circle) + 1 >= options["min_length"] and matched >= options["min_matched"]:
                            yield circle + [other]
                    elif beneficiary not in members and len(circle) + 1 < options["max_length"]:
                        extensions.append((circle + [other], members | {beneficiary}, amount, gaps + 1,
                                           first, max(last, other.day) if ordered else last, proud))
            stack.extend(reversed(extensions))

    def _finding(self, circle: list[_Step], parties: _Parties):
        members = [s.payer for s in circle]
        named: set[str] = set()

        def who(party: str) -> str:
            if party in named:
                return parties.name(party)
            named.add(party)
            countries = parties.countries(party)
            return parties.name(party) + (f" ({_countries(countries)})" if countries else "")

        hops = []
        for step in circle:
            first = step.payments[0]
            if step.matched:
                times = f" ({len(step.payments)} times)" if len(step.payments) > 1 else ""
                days = sorted({t.day for t in step.payments})
                hops.append(f"{who(step.payer)} paid {who(step.beneficiary)} {_money(first.amount, first.currency)}"
                             f"{times} on {listing([d.isoformat() for d in days])}")
            else:
                shown = sorted(step.payments, key=lambda t: t.order)[:3]
                more = f" and {len(step.payments) - 3} more" if len(step.payments) > 3 else ""
                hops.append(f"{who(step.payer)} paid {who(step.beneficiary)} only other sums ("
                            + ", ".join(t.payment.describe() for t in shown) + more + ")")
        sums = [s.amount for s in circle if s.matched]
        days = sorted(t.day for s in circle if s.matched for t in s.payments)
        span = (days[-1] - days[0]).days
        spread = (max(sums) - min(sums)) / max(sums)
        in_order = all(a.day <= b.day for a, b in zip(circle, circle[1:]) if a.matched and b.matched)
        gaps = sum(not s.matched for s in circle)
        text = (f"Money went round a circle of {len(members)} parties within {_days(span)}: {listing(hops)}. "
                f"The sum lost at most {spread:.0%} on the way")
        text += ", and was paid on in time order." if in_order else "; its payments were not made in time order."
        text += (" None of these payers paid two or more others about the same sum (its everyday payment)." if self.options["everyday_match"] > 0
                 else "")
        if gaps:
            text += (f" {gaps} of the {len(circle)} links carried no payment of the sum itself, only the "
                     f"other payments named, which close the circle.")
        evidence = [t.payment.id for s in circle for t in sorted(s.payments, key=lambda t: t.order)
                    if s.matched] + [t.payment.id for s in circle if not s.matched
                                     for t in sorted(s.payments, key=lambda t: t.order)[:3]]
        score = 0.6 + 0.2 * (1 - spread) + 0.05 * (len(members) - 2) - 0.15 * gaps
        return {
            "entities": sorted(set(members)),
            "evidence": list(dict.fromkeys(evidence)),
            "score": round(max(0.3, min(0.9, score)), 3),
            "explanation": text,
            "details": {"parties": members, "days": span, "amounts": sums, "currency": circle[0].payments[0].currency,
                        "links_without_the_sum": gaps, "in_time_order": in_order},
        }


# ---------------------------------------------------------------------------------------- #19


class RapidPassThroughDetector(_FamilyDetector):
    """Money in, and most of it out again to someone else within days."""

    id = "rapid-pass-through"
    label = "Rapid pass-through"
    version = "2.1"
    description = (
        "A payment received, then payments out to parties other than the payer, in the same currency, within "
        "the given days, adding up to at least the minimum share of what came in (and not far above it). "
        "Each outgoing payment is counted for one incoming payment only. A payment out of a sum the account "
        "also paid two or more other parties at other times (its everyday payment: wages, rent, a standing amount) is its "
        "own business and does not count as money passed on; nor does a payment in of a sum its payer pays "
        "others too (income, such as wages)."
    )
    severity = "medium"
    reference = "FATF Proliferation Financing Report (2008), funnel accounts; FATF TBML (inferred); redflags.md #19"
    parameters = {
        "max_days": Parameter(default=3, minimum=0, maximum=60, help="days from money in to money out"),
        "min_ratio": Parameter(default=0.9, minimum=0.1, maximum=1.0, help="share of the money in that leaves"),
        "max_ratio": Parameter(default=1.1, minimum=1.0, maximum=10.0,
                               help="the money out may exceed the money in by at most this factor"),
        "everyday_match": Parameter(default=0.02, minimum=0.0, maximum=0.5,
                                    help="a payment out whose sum the account also paid two or more other parties (within this "
                                         "share) is its everyday payment, not money passed on (0: every payment counts)"),
    }

    def findings(self, case: Any) -> Iterator[dict[str, Any]]:
        days = timedelta(days=self.options["max_days"])
        parties = _Parties(case)
        findings = []
        transfers = _transfers(case)
        # An account's everyday payments (the sum it pays several parties: wages, rent, a standing
        # amount) are its own business, not money passed on: only payments of a sum of their own
        # can carry on what came in.
        everyday = _everyday_amounts(transfers, self.options["everyday_match"], apart=days)
        onward = [t for index, t in enumerate(transfers) if index not in everyday]
        # Nor is what came in its payer's everyday payment (the sum it pays others at other times
        # too: wages, a standing amount): an account that pays on its income is not passing anyone's
        # money on. A payer splitting money among several at once (a scatter) is not paying wages.
        income = _everyday_amounts(transfers, self.options["everyday_match"], apart=days)
        received = [t for index, t in enumerate(transfers) if index not in income]
        flows = _by_party_and_currency(received)
        onward_flows = _by_party_and_currency(onward)
        for (party, currency), (incoming, _) in flows.items():
            outgoing = onward_flows.get((party, currency), ([], []))[1]
            used: set[int] = set()
            out_days = [t.day for t in outgoing]
            for received in incoming:
                total, picked = 0.0, []
                for index in range(bisect_left(out_days, received.day), len(outgoing)):
                    sent = outgoing[index]
                    if sent.day > received.day + days:
                        break
                    if index in used or sent.beneficiary in (received.payer, party):
                        continue
                    if total + sent.amount > self.options["max_ratio"] * received.amount:
                        continue
                    total += sent.amount
                    picked.append(index)
                    if total >= self.options["min_ratio"] * received.amount:
                        break
                if total < self.options["min_ratio"] * received.amount:
                    continue
                used.update(picked)
                findings.append(self._finding(party, received, [outgoing[i] for i in picked], total, parties))
        findings.sort(key=lambda f: (f["details"]["received_on"], f["evidence"]))
        yield from findings

    def _finding(self, party, received: _Transfer, sent: list[_Transfer], total: float, parties: _Parties):
        lag = (max(t.day for t in sent) - received.day).days
        onward = sorted({t.beneficiary for t in sent})
        text = (f"{parties.name(party)} received {_money(received.amount, received.currency)} from "
                f"{parties.name(received.payer)} on {received.day.isoformat()} and within "
                f"{_days(lag)} paid {_money(total, received.currency)} ({total / received.amount:.0%}) on to "
                f"{parties.names(onward)}.")
        return {
            "entities": sorted({party, received.payer, *onward}),
            "evidence": [received.payment.id] + [t.payment.id for t in sent],
            "score": 0.75 if lag <= 1 else 0.65,
            "explanation": text,
            "details": {"party": party, "received_on": received.day.isoformat(), "in": received.amount,
                        "out": total, "currency": received.currency, "days": lag},
        }


class PassThroughChainDetector(_FamilyDetector):
    """One sum relayed through a chain of intermediaries, each passing it on within days."""

    id = "pass-through-chain"
    label = "Pass-through chain: money relayed through intermediaries"
    version = "1.0"
    description = (
        "A payment passed on along a chain of parties: each intermediary, within the given days of receiving "
        "it, pays a party not yet in the chain a sum at most the tolerance smaller than what it received (and "
        "not larger), in the same currency, for at least the given number of payments in a row. Payments of "
        "a sum their payer pays two or more other parties are its everyday payments and carry nothing on. "
        "The longest chain from each first payment is reported, once for each set of parties; a chain that "
        "comes back to its first payer is a circle (circular-payments)."
    )
    severity = "medium"
    reference = ("FATF Proliferation Financing Report (2008): funds layered through front companies and "
                 "intermediaries; FinCEN funnel accounts; AMLSim stack and scatter-gather typologies; redflags.md #19")
    parameters = {
        "min_payments": Parameter(default=3, minimum=2, maximum=12,
                                  help="fewest payments in the chain (3: a payer, two intermediaries, a last "
                                       "beneficiary); 2 is a single pass-through (rapid-pass-through)"),
        "max_payments": Parameter(default=8, minimum=2, maximum=16, help="most payments followed"),
        "max_days": Parameter(default=5, minimum=0, maximum=60,
                              help="days from a payment received to its passing on, at each intermediary"),
        # Each intermediary keeps a cut; 10% covers our generator's 2-8% and AMLSim's margins.
        "amount_tolerance": Parameter(default=0.1, minimum=0.0, maximum=0.9,
                                      help="each payment at most this share smaller than the one before it"),
        "everyday_match": Parameter(default=0.02, minimum=0.0, maximum=0.5,
                                    help="a payment whose payer paid two or more other parties within this share of "
                                         "the same sum is an everyday payment and carries nothing on (0: every "
                                         "payment may)"),
    }

    def findings(self, case: Any) -> Iterator[dict[str, Any]]:
        options = self.options
        transfers = _transfers(case)
        everyday = _everyday_amounts(transfers, options["everyday_match"])
        relays: dict[tuple[str, str], list[_Transfer]] = defaultdict(list)
        for index, transfer in enumerate(transfers):
            if index not in everyday:
                relays[(transfer.payer, transfer.currency)].append(transfer)
        days = {key: [t.day for t in items] for key, items in relays.items()}
        window = timedelta(days=options["max_days"])
        shrink, grow = 1 - options["amount_tolerance"], 1.005
        # A payment that carries on one received (within the window, the sum within the tolerance)
        # continues a chain; one that does not, opens one.
        def onward(received: _Transfer) -> list[_Transfer]:
            key = (received.beneficiary, received.currency)
            items = relays.get(key)
            if not items:
                return []
            low = bisect_left(days[key], received.day)
            high = bisect_right(days[key], received.day + window)
            return [t for t in items[low:high] if received.amount * shrink <= t.amount <= received.amount * grow
                    and t is not received]

        continues = {id(t) for items in relays.values() for received in items for t in onward(received)}
        best: dict[frozenset, list[_Transfer]] = {}
        budget = _MAX_STEPS
        for items in relays.values():
            for first in items:
                if id(first) in continues:
                    continue
                longest: list[_Transfer] = []
                stack = [[first]]
                while stack and budget > 0:
                    chain = stack.pop()
                    budget -= 1
                    parties = {chain[0].payer, *(t.beneficiary for t in chain)}
                    following = onward(chain[-1])
                    if any(t.beneficiary == first.payer for t in following):
                        continue  # the money comes back to its first payer: a circle, not a chain
                    nexts = [t for t in following if t.beneficiary not in parties]
                    if not nexts or len(chain) >= options["max_payments"]:
                        if len(chain) > len(longest):
                            longest = chain
                        continue
                    stack.extend(chain + [t] for t in reversed(nexts))
                if len(longest) >= options["min_payments"]:
                    key = frozenset({longest[0].payer, *(t.beneficiary for t in longest)})
                    if key not in best or [t.order for t in longest] < [t.order for t in best[key]]:
                        best[key] = longest
        # A chain inside a longer one (its parties all in it) is part of that one.
        chains = sorted(best.values(), key=lambda c: (-len(c), c[0].order))
        kept: list[tuple[frozenset, list[_Transfer]]] = []
        for chain in chains:
            members = frozenset({chain[0].payer, *(t.beneficiary for t in chain)})
            if any(members <= other for other, _ in kept):
                continue
            kept.append((members, chain))
        parties = _Parties(case)
        for _, chain in sorted(kept, key=lambda item: item[1][0].order):
            yield self._finding(chain, parties)

    def _finding(self, chain: list[_Transfer], parties: _Parties):
        first = chain[0]
        hops = [f"{parties.name(first.payer)} paid {parties.name(first.beneficiary)} "
                f"{_money(first.amount, first.currency)} on {first.day.isoformat()}"]
        for before, after in zip(chain, chain[1:]):
            lag = (after.day - before.day).days
            hops.append(f"{parties.name(after.payer)} paid {parties.name(after.beneficiary)} "
                        f"{_money(after.amount, after.currency)} {'the same day' if lag == 0 else _days(lag) + ' later'}"
                        f" ({after.amount / before.amount:.0%})")
        span = (chain[-1].day - first.day).days
        kept = chain[-1].amount / first.amount
        text = (f"A sum was passed along a chain of {len(chain) + 1} parties within {_days(span)}: {listing(hops)}. "
                f"{_money(chain[-1].amount, first.currency)} ({kept:.0%}) reached {parties.name(chain[-1].beneficiary)}.")
        if self.options["everyday_match"] > 0:
            text += " None of these payers paid two or more others about the same sum (its everyday payment)."
        members = [first.payer, *(t.beneficiary for t in chain)]
        return {
            "entities": sorted(set(members)),
            "evidence": [t.payment.id for t in chain],
            "score": round(min(0.85, 0.5 + 0.08 * (len(chain) - 2)), 3),
            "explanation": text,
            "details": {"parties": members, "amounts": [t.amount for t in chain], "currency": first.currency,
                        "first": first.day.isoformat(), "last": chain[-1].day.isoformat(), "days": span},
        }


# ---------------------------------------------------------------------------------------- accounts' profiles


def _median(values: Iterable[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _everyday_received(transfers: list[_Transfer], match: float) -> _Marked:
    """Indexes of transfers whose beneficiary received about the same sum from other payers too."""
    return _everyday_amounts(transfers, match, received=True)


@_shared
def _typical_sums(transfers: list[_Transfer], incoming: bool) -> Mapping[tuple[str, str], dict[str, float]]:
    """``{(party, currency): {counterparty: typical sum}}``: each party's usual sum per counterparty
    (the median of its payments to, or from, that counterparty), so that a payment repeated ten
    times on one link counts once, as one counterparty, in what is usual for the party."""
    if not transfers:
        return {}
    columns, names, currencies = _transfer_columns(transfers)
    party, other = (columns["beneficiary"], columns["payer"]) if incoming else (columns["payer"], columns["beneficiary"])
    account = _dense(party, columns["currency"])
    link = _dense(account, other)
    # Each link's sums in order, its median from the middle one or two (as _median has it).
    order = np.lexsort((columns["amount"], link))
    ordered = columns["amount"][order]
    starts = np.flatnonzero(np.diff(link[order], prepend=-1))
    sizes = np.diff(np.append(starts, len(order)))
    middle = starts + sizes // 2
    medians = np.where(sizes % 2 == 1, ordered[middle], (ordered[middle - 1] + ordered[middle]) / 2)
    # Accounts, and each account's counterparties, in the order they first appear among the transfers.
    link_first = np.minimum.reduceat(order, starts)
    account_first = np.full(int(account.max()) + 1, len(transfers), dtype=np.int64)
    np.minimum.at(account_first, account, np.arange(len(transfers)))
    rows = order[starts]  # a transfer of each link
    shown = np.lexsort((link_first, account_first[account[rows]]))
    rows = rows[shown]
    return _UsualSums(names, currencies, party[rows], columns["currency"][rows], other[rows], medians[shown])


class _UsualSums(Mapping):
    """``{(party, currency): {counterparty: usual sum}}`` read from arrays: a party's counterparties
    are made into a dict when it is asked for. The dicts of every party at once took about 250 MB on
    2 million payments, for each direction; the family keeps both."""

    def __init__(self, names: list[str], currencies: list[str], parties: np.ndarray, currency: np.ndarray,
                 others: np.ndarray, sums: np.ndarray):
        # Rows come grouped by party and currency, in the order the parties first appear.
        starts = np.flatnonzero((np.diff(parties, prepend=-1) != 0) | (np.diff(currency, prepend=-1) != 0))
        self._names, self._others, self._sums = names, others.astype(np.int32), sums
        self._bounds = np.append(starts, len(parties)).tolist()
        self._index = {(names[p], currencies[c]): number
                       for number, (p, c) in enumerate(zip(parties[starts].tolist(), currency[starts].tolist()))}

    def __getitem__(self, key: tuple[str, str]) -> dict[str, float]:
        number = self._index[key]
        low, high = self._bounds[number], self._bounds[number + 1]
        names = self._names
        return {names[other]: value for other, value in zip(self._others[low:high].tolist(),
                                                            self._sums[low:high].tolist())}

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)


def _width(values: list[float]) -> float:
    """How widely a party's usual sums vary: its upper quartile over its lower one (1: all alike)."""
    ordered = sorted(values)
    low, high = ordered[(len(ordered) - 1) // 4], ordered[(3 * (len(ordered) - 1) + 3) // 4]
    return high / low if low > 0 else float("inf")


def _times(ratio: float) -> str:
    return f"{ratio:,.0f} times" if ratio >= 10 else f"{ratio:.1f} times"


def _quantile_count(counts: list[int], population: int, share: float) -> int:
    """The count at ``share`` (0.99: the 99th percentile) of ``population`` parties, of whom those
    not in ``counts`` count 0."""
    if population <= 0:
        return 0
    ordered = [0] * max(population - len(counts), 0) + sorted(counts)
    return ordered[min(len(ordered) - 1, int(share * (len(ordered) - 1)))]


# ---------------------------------------------------------------------------------------- fan-in, fan-out


class _FanDetector(_FamilyDetector):
    """Shared by fan-in and fan-out: one hub, many counterparties, alike sums out of the hub's way.

    ``incoming`` says which side the hub is on: fan-in's hub receives, fan-out's hub pays. Every
    threshold is relative: sums to the hub's own usual ones, the number of counterparties to what
    the case's other accounts show measured the same way.
    """

    incoming = True
    parameters = {
        "min_counterparties": Parameter(default=2, minimum=2, maximum=1000,
                                        help="fewest distinct counterparties paying (or paid by) the hub; the "
                                             "case's own figure (peer_share) may ask for more"),
        "peer_share": Parameter(default=0.99, minimum=0.5, maximum=1.0,
                                help="the hub's counterparties must be more than this share of the case's accounts "
                                     "have, counted the same way (0.99: more than all but the top 1%)"),
        "amount_spread": Parameter(default=1.0, minimum=0.0, maximum=10.0,
                                   help="the largest of the sums at most this share above the smallest"),
        "stand_out": Parameter(default=5.0, minimum=1.0, maximum=1000.0,
                               help="the hub's typical payment in (or out) from its other counterparties is at "
                                    "least this many times larger or smaller than the fan's sums (times the width "
                                    "of those typical sums: their upper quartile over their lower one)"),
        "min_history": Parameter(default=3, minimum=1, maximum=100,
                                 help="other counterparties the hub needs for a typical sum to compare with "
                                      "(without them no fan is reported: alike sums may be its usual business)"),
        "everyday_match": Parameter(default=0.02, minimum=0.0, maximum=0.5,
                                    help="a payment whose counterparty paid (or received) about the same sum with "
                                         "two or more others too is an everyday payment, not one made for this (0: every "
                                         "payment counts)"),
        "window_days": Parameter(default=365, minimum=0, maximum=3650,
                                 help="days from the first payment of the fan to the last"),
    }

    def findings(self, case: Any) -> Iterator[dict[str, Any]]:
        options = self.options
        transfers = _transfers(case)
        match = options["everyday_match"]
        if self.incoming:
            everyday = _everyday_amounts(transfers, match)
        else:
            everyday = _everyday_received(transfers, match)
        typical = _typical_sums(transfers, self.incoming)
        by_hub: dict[tuple[str, str], list[_Transfer]] = defaultdict(list)
        for index, transfer in enumerate(transfers):
            if index not in everyday:
                by_hub[(self._hub(transfer), transfer.currency)].append(transfer)
        window = timedelta(days=options["window_days"])
        groups = {}
        for key, items in sorted(by_hub.items()):
            if len({self._other_side(t) for t in items}) < 2:
                continue
            best = self._best_group(items, window, typical[key])
            if best is not None:
                groups[key] = best
        # The case's own figure: how many counterparties its accounts show, counted the same way.
        peers = _quantile_count([len(g[1]) for g in groups.values()], len(typical), options["peer_share"])
        needed = max(options["min_counterparties"], peers + 1)
        parties = _Parties(case)
        found = [self._finding(hub, currency, *group, peers, len(typical), parties)
                 for (hub, currency), group in groups.items() if len(group[1]) >= needed]
        found.sort(key=lambda f: (f["details"]["first"], f["evidence"]))
        yield from found

    def _hub(self, transfer: _Transfer) -> str:
        return transfer.beneficiary if self.incoming else transfer.payer

    def _other_side(self, transfer: _Transfer) -> str:
        return transfer.payer if self.incoming else transfer.beneficiary

    def _best_group(self, items: list[_Transfer], window: timedelta, typical: dict[str, float]):
        """The payments of alike sums (within the spread) from the most counterparties, within the
        window, that stand out from the hub's typical sum with its other counterparties:
        ``(group, counterparties, usual, others)`` or ``None``."""
        items = sorted(items, key=lambda t: (t.amount, t.order))
        spread, stand_out = self.options["amount_spread"], self.options["stand_out"]
        best, best_key = None, None
        low = 0
        for high in range(len(items)):
            while items[low].amount * (1 + spread) < items[high].amount:
                low += 1
            group = items[low:high + 1]
            if group[-1].day - min(t.day for t in group) > window:
                group = self._within(group, window)
            members = {self._other_side(t) for t in group}
            if len(members) < 2:
                continue
            key = (-len(members), -len(group), group[0].order)
            if best_key is not None and key >= best_key:
                continue
            others = [amount for other, amount in typical.items() if other not in members]
            if len(others) < self.options["min_history"]:
                continue
            usual = _median(others)
            middle = _median(t.amount for t in group)
            # Relative to how much the hub's usual sums vary: a trader paid 5,000 to 60,000 is not
            # out of its way at 100,000, an account that always gets 200 is at 20.
            if max(usual, middle) < stand_out * _width(others) * min(usual, middle):
                continue
            best, best_key = (sorted(group, key=lambda t: t.order), sorted(members), usual, len(others)), key
        return best

    def _within(self, group: list[_Transfer], window: timedelta) -> list[_Transfer]:
        """The largest run of ``group`` (by counterparties) that fits in the window."""
        by_day = sorted(group, key=lambda t: t.order)
        best: list[_Transfer] = []
        start = 0
        for end in range(len(by_day)):
            while by_day[end].day - by_day[start].day > window:
                start += 1
            run = by_day[start:end + 1]
            if len({self._other_side(t) for t in run}) > len({self._other_side(t) for t in best}):
                best = run
        return best

    def _finding(self, hub, currency, group, counterparties, usual, others, peers, population, parties: _Parties):
        amounts = sorted(t.amount for t in group)
        total = sum(amounts)
        middle = _median(amounts)
        shown = [parties.name(p) for p in counterparties[:6]] + (
            [f"{len(counterparties) - 6} more"] if len(counterparties) > 6 else [])
        sums = (_money(amounts[0], currency) if amounts[0] == amounts[-1]
                else f"{_money(amounts[0], currency)} to {amounts[-1]:,.2f}")
        span = f"between {group[0].day.isoformat()} and {group[-1].day.isoformat()}"
        if self.incoming:
            text = (f"{parties.name(hub)} received {len(group)} payments of {sums} from {len(counterparties)} payers "
                    f"({listing(shown)}) {span}, {_money(total, currency)} in all. Its {others} other payers "
                    f"typically pay it {_money(usual, currency)}")
        else:
            text = (f"{parties.name(hub)} paid {len(counterparties)} beneficiaries ({listing(shown)}) "
                    f"{len(group)} payments of {sums} {span}, {_money(total, currency)} in all. It typically pays "
                    f"its {others} other beneficiaries {_money(usual, currency)}")
        ratio = max(usual, middle) / max(min(usual, middle), 1e-9)
        text += f", {_times(ratio)} {'more' if usual > middle else 'less'}."
        role = "payers" if self.incoming else "beneficiaries"
        text += (f" Of the case's {population:,} {'receiving' if self.incoming else 'paying'} accounts, "
                 f"{self.options['peer_share']:.1%} have at most {peers} {role} of alike sums out of their way.")
        if self.options["everyday_match"] > 0:
            text += (" None of these payers paid two or more others about the same sum (its everyday payment)." if self.incoming else
                     " None of these beneficiaries received about the same sum from two or more others.")
        return {
            "entities": sorted({hub, *counterparties}),
            "evidence": [t.payment.id for t in group],
            "score": round(min(0.9, 0.5 + 0.05 * len(counterparties)), 3),
            "explanation": text,
            "details": {"party": hub, "role": "receiver" if self.incoming else "payer",
                        "counterparties": counterparties, "currency": currency, "amounts": amounts,
                        "total": total, "usual_other_amount": usual, "other_counterparties": others,
                        "peer_counterparties": peers,
                        "first": group[0].day.isoformat(), "last": group[-1].day.isoformat()},
        }


class FanInDetector(_FanDetector):
    """Many payers sending one party alike sums that are out of its way."""

    id = "fan-in"
    label = "Fan-in: many payers, one receiver"
    version = "2.1"
    description = (
        "One party (the hub) receives payments of alike sums (within the spread) from several distinct payers, "
        "within the window, where none of those payers paid two or more others about the same sum and the sums stand "
        "out from what the hub's other payers typically pay it (at least the given factor larger or smaller). "
        "How many payers is 'several' comes from the case: more than nearly all its accounts receive counted "
        "the same way (peer_share), and at least the minimum. No onward payment is needed (fan-in-fan-out "
        "looks for that). Names the hub and its payers."
    )
    severity = "medium"
    reference = "AMLSim fan-in typology; FATF smurfing / structured deposits; redflags.md #17"
    incoming = True


class FanOutDetector(_FanDetector):
    """One payer sending many parties alike sums that are out of its way."""

    id = "fan-out"
    label = "Fan-out: one payer, many beneficiaries"
    version = "2.1"
    description = (
        "One party (the hub) pays alike sums (within the spread) to several distinct beneficiaries, within the "
        "window, where none of them received about the same sum from two or more others and the sums stand out from "
        "what the hub typically pays its other beneficiaries (at least the given factor larger or smaller). "
        "How many beneficiaries is 'several' comes from the case: more than nearly all its accounts pay counted "
        "the same way (peer_share), and at least the minimum. Names the hub and its beneficiaries."
    )
    severity = "medium"
    reference = "AMLSim fan-out typology; FATF layering through many accounts; redflags.md #17"
    incoming = False


# ---------------------------------------------------------------------------------------- out of profile


class OutOfProfileDetector(_FamilyDetector):
    """Payments far outside what an account usually does: their sums, how many in a day, with how
    many new counterparties, and after how long a silence."""

    id = "out-of-profile"
    label = "Payments out of the account's profile"
    version = "2.0"
    description = (
        "An account whose payments stand far outside its own history, in any of: sums (it pays, or receives "
        "from, one counterparty a sum at least the given factor below the smallest or above the largest of "
        "its typical sums with its other counterparties, times how widely those vary); frequency (on one day "
        "it makes, or receives, at least the given factor more payments than on its typical day with payments) "
        "and counterparties (with as many parties it had not dealt with before, against its typical day's "
        "new ones); timing (its first payments after a silence at least the given factor longer than its "
        "typical gap between days with payments, and at least the given days). Each needs the given number "
        "of other counterparties, or other days with payments, to show what is usual for it. Each counterparty "
        "counts once with its typical (median) sum, so repeated payments do not make themselves usual. The "
        "finding sets the account's usual figures next to the unusual ones."
    )
    severity = "low"
    reference = ("FinCEN and FATF: activity inconsistent with the customer's profile; redflags.md #14 and #28 "
                 "(contrary to the party's own history, a step change), applied to the sums, the number of "
                 "payments and counterparties per day and the silences between them")
    parameters = {
        "factor": Parameter(default=5.0, minimum=1.5, maximum=1000.0,
                            help="the sum at least this many times smaller than the smallest, or larger than the "
                                 "largest, of the account's typical sums with its other counterparties (times the "
                                 "width of those sums: their upper quartile over their lower one)"),
        "min_history": Parameter(default=3, minimum=2, maximum=100,
                                 help="other counterparties (for sums) or other days with payments (for frequency "
                                      "and timing) the account needs for a profile"),
        # 5: AMLSim's and our generator's accounts pay one or two a day, or a batch of the same size
        # each time; a day five times busier than the account's typical day is rare in either.
        "frequency_factor": Parameter(default=5.0, minimum=1.5, maximum=1000.0,
                                      help="payments (out, or in) on one day at least this many times the number "
                                           "on the account's typical (median) day with payments (0 payments "
                                           "more than that on fewer than 3 in all); new counterparties alike"),
        "silence_factor": Parameter(default=12.0, minimum=1.5, maximum=1000.0,
                                    help="a silence (days without any payment in or out) at least this many times "
                                         "the account's typical (mean) gap between days with payments"),
        "min_silence_days": Parameter(default=90, minimum=1, maximum=3650,
                                      help="and at least this many days"),
    }

    def findings(self, case: Any) -> Iterator[dict[str, Any]]:
        transfers = _transfers(case)
        unusual: dict[tuple[str, str], list[dict]] = defaultdict(list)
        self._sums(transfers, unusual)
        self._busy_days(transfers, unusual)
        self._silences(transfers, unusual)
        parties = _Parties(case)
        found = [self._finding(party, currency, items, parties) for (party, currency), items in unusual.items()]
        found.sort(key=lambda f: (f["details"]["first"], f["evidence"]))
        yield from found

    def _sums(self, transfers, unusual) -> None:
        # The payments of each unusual link, filled in below once those links are known (a dict of
        # every link's payments took more memory than anything else this detector holds).
        links: dict[tuple[str, str, str], list[_Transfer]] = defaultdict(list)
        factor, minimum = self.options["factor"], self.options["min_history"]
        for incoming in (False, True):
            for (party, currency), by_other in _typical_sums(transfers, incoming).items():
                if len(by_other) <= minimum:
                    continue
                ordered = sorted(by_other.values())
                for other, amount in by_other.items():
                    # The range of the *other* counterparties' sums: leave this one out.
                    rest = list(ordered)
                    rest.remove(amount)
                    low, high = rest[0], rest[-1]
                    # Relative to how much its usual sums vary (1 when it pays everyone the same).
                    needed = factor * _width(rest)
                    if amount * needed <= low or amount >= high * needed:
                        key = (party, other, currency) if not incoming else (other, party, currency)
                        unusual[(party, currency)].append({"aspect": "sum", "incoming": incoming, "other": other,
                                                           "amount": amount, "rest": rest, "paid": links[key]})
        for transfer in transfers:
            paid = links.get((transfer.payer, transfer.beneficiary, transfer.currency))
            if paid is not None:
                paid.append(transfer)

    def _busy_days(self, transfers, unusual) -> None:
        """The day with the most payments out (or in), and the one with most new counterparties,
        against the account's typical day with payments."""
        factor, minimum = self.options["frequency_factor"], self.options["min_history"]
        for incoming in (False, True):
            for (party, currency), (ins, outs) in _by_party_and_currency(transfers).items():
                items = ins if incoming else outs
                per_day: dict[date, list[_Transfer]] = defaultdict(list)
                for t in items:
                    per_day[t.day].append(t)
                if len(per_day) <= minimum:
                    continue
                seen: set[str] = set()
                new_per_day: dict[date, int] = {}
                new_on: dict[date, list[str]] = {}
                for day in sorted(per_day):
                    others = {t.payer if incoming else t.beneficiary for t in per_day[day]}
                    new_on[day] = sorted(others - seen)
                    new_per_day[day] = len(new_on[day])
                    seen |= others
                # New counterparties mean something only once the account has a history: its first
                # days (the case's records beginning) are all new ones.
                settled = sorted(per_day)[minimum:]
                for what, counts in (("payments", {d: len(v) for d, v in per_day.items()}),
                                     ("new counterparties", {d: new_per_day[d] for d in settled})):
                    if len(counts) <= minimum:
                        continue
                    busiest = max(counts, key=lambda d: (counts[d], d))
                    rest = [n for d, n in counts.items() if d != busiest]
                    # Typical over its days with any payment, new counterparties or not.
                    typical = max(_median(rest), 1)
                    if counts[busiest] >= max(3, factor * typical):
                        unusual[(party, currency)].append({
                            "aspect": "busy day", "incoming": incoming, "what": what, "day": busiest,
                            "count": counts[busiest], "typical": typical, "most": max(rest), "days": len(rest),
                            "paid": per_day[busiest], "new": new_on[busiest]})
                        break  # a day busy with new counterparties is busy with payments: say it once

    def _silences(self, transfers, unusual) -> None:
        factor, minimum, at_least = (self.options["silence_factor"], self.options["min_history"],
                                     self.options["min_silence_days"])
        for (party, currency), (ins, outs) in _by_party_and_currency(transfers).items():
            days = sorted({t.day for t in ins} | {t.day for t in outs})
            if len(days) <= minimum + 1:
                continue
            gaps = [(b - a).days for a, b in zip(days, days[1:])]
            longest = max(range(len(gaps)), key=lambda i: (gaps[i], -i))
            rest = gaps[:longest] + gaps[longest + 1:]
            # The mean of its other gaps, not the median: an account whose payments come in clusters
            # has a short median gap and long quiet spells between clusters, which are its habit.
            typical = max(sum(rest) / len(rest), 1)
            if gaps[longest] >= max(at_least, factor * typical) and longest >= minimum - 1:
                woke = days[longest + 1]
                paid = [t for t in ins + outs if t.day == woke]
                unusual[(party, currency)].append({
                    "aspect": "silence", "days": gaps[longest], "typical": typical, "since": days[longest],
                    "day": woke, "paid": sorted(paid, key=lambda t: t.order), "active_days": len(days)})

    def _finding(self, party, currency, items, parties: _Parties):
        sentences = []
        evidence: list[str] = []
        days: list[date] = []
        others: set[str] = set()
        name = parties.name(party)
        for incoming in (False, True):
            side = [item for item in items if item["aspect"] == "sum" and item["incoming"] == incoming]
            if not side:
                continue
            rest = side[0]["rest"]
            verb, role = ("receives from", "payers") if incoming else ("pays", "beneficiaries")
            usual = (f"{_money(rest[0], currency)}" if rest[0] == rest[-1]
                     else f"{_money(rest[0], currency)} to {rest[-1]:,.2f} (typically {_median(rest):,.2f})")
            unusual_parts = []
            for item in sorted(side, key=lambda item: item["paid"][0].order):
                other, amount, rest, paid = item["other"], item["amount"], item["rest"], item["paid"]
                per_day = defaultdict(int)
                for t in paid:
                    per_day[t.day] += 1
                busiest = max(per_day.values())
                ratio = (rest[0] / amount) if amount < rest[0] else (amount / rest[-1])
                often = f", {busiest} times on {max(per_day, key=per_day.get).isoformat()}" if busiest > 1 else ""
                first = min(t.day for t in paid)
                unusual_parts.append(
                    f"{'received from' if incoming else 'paid'} {parties.name(other)} {_money(amount, currency)} "
                    f"({len(paid)} payment{'s' if len(paid) != 1 else ''} from {first.isoformat()}{often}; "
                    f"{_times(ratio)} {'less' if amount < rest[0] else 'more'})")
                evidence.extend(t.payment.id for t in sorted(paid, key=lambda t: t.order))
                days.append(first)
                others.add(other)
            sentences.append(f"{name} {verb} its {len(rest)} other {role} {usual}, but {listing(unusual_parts)}.")
        for item in items:
            if item["aspect"] == "busy day":
                paid = sorted(item["paid"], key=lambda t: t.order)
                counterparts = sorted({t.payer if item["incoming"] else t.beneficiary for t in paid})
                total = sum(t.amount for t in paid)
                # Named: those that made the day busy: the counterparties new to the account, or on
                # a day of many payments those with more than one that day. The others are in the
                # explanation and the evidence (on AMLSim's samples, naming each payer of a busy day
                # named four unlabelled accounts for every labelled one).
                repeat = Counter(t.payer if item["incoming"] else t.beneficiary for t in paid)
                named = item["new"] if item["what"] != "payments" else [c for c in counterparts if repeat[c] > 1]
                direction = "received" if item["incoming"] else "made"
                shown = [parties.name(c) for c in counterparts[:4]] + (
                    [f"{len(counterparts) - 4} more"] if len(counterparts) > 4 else [])
                side = "in" if item["incoming"] else "out"
                if item["what"] == "payments":
                    usual = f"it typically {direction} {item['typical']:g} (at most {item['most']})"
                    count, what = len(paid), "payments"
                else:
                    usual = f"it typically dealt with {item['typical']:g} new counterparties (at most {item['most']})"
                    count, what = item["count"], f"payments with {item['count']} counterparties new to it"
                sentences.append(
                    f"On {item['day'].isoformat()} {name} {direction} {len(paid)} {what} "
                    f"({_money(total, currency)} in all, {'from' if item['incoming'] else 'to'} {listing(shown)}); "
                    f"on its {item['days']} other days with payments {side}, {usual}: "
                    f"{_times(count / item['typical'])} as many.")
                evidence.extend(t.payment.id for t in paid)
                days.append(item["day"])
                others.update(named)
            elif item["aspect"] == "silence":
                paid = item["paid"]
                counterparts = sorted({t.beneficiary if t.payer == party else t.payer for t in paid})
                parts = [f"{'paid' if t.payer == party else 'received from'} "
                         f"{parties.name(t.beneficiary if t.payer == party else t.payer)} {_money(t.amount, t.currency)}"
                         for t in paid[:3]] + ([f"{len(paid) - 3} more"] if len(paid) > 3 else [])
                sentences.append(
                    f"{name} made or received no payment for {_days(item['days'])} after "
                    f"{item['since'].isoformat()} (between its other {item['active_days'] - 1} days with payments it "
                    f"waited {_days(round(item['typical']))} on average); then on {item['day'].isoformat()} it "
                    f"{listing(parts)}.")
                evidence.extend(t.payment.id for t in paid)
                days.append(item["day"])
                others.update(counterparts)
        aspects = sorted({item["aspect"] for item in items})
        return {
            "entities": sorted({party, *others}),
            "evidence": list(dict.fromkeys(evidence)),
            "score": round(min(0.8, 0.4 + 0.1 * len(aspects)), 3),
            "explanation": " ".join(sentences),
            "details": {"party": party, "currency": currency, "counterparties": sorted(others), "aspects": aspects,
                        "unusual": [{"direction": "in" if i["incoming"] else "out", "counterparty": i["other"],
                                     "amount": i["amount"], "usual_low": i["rest"][0], "usual_high": i["rest"][-1],
                                     "usual_counterparties": len(i["rest"])}
                                    for i in items if i["aspect"] == "sum"],
                        "busy_days": [{"direction": "in" if i["incoming"] else "out", "what": i["what"],
                                       "day": i["day"].isoformat(), "count": i["count"], "typical": i["typical"]}
                                      for i in items if i["aspect"] == "busy day"],
                        "silences": [{"days": i["days"], "typical_gap": i["typical"], "since": i["since"].isoformat(),
                                      "until": i["day"].isoformat()} for i in items if i["aspect"] == "silence"],
                        "first": min(days).isoformat()},
        }


# ---------------------------------------------------------------------------------------- #20


class _Components:
    """Union-find over payments and shipments that pay for each other."""

    def __init__(self):
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        self.parent.setdefault(item, item)
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


class PaymentShipmentMismatchDetector(_FamilyDetector):
    """A shipment nobody in the deal paid for, a trade payment with no shipment, or values that differ."""

    id = "payment-shipment-mismatch"
    label = "Payment and shipment do not match"
    version = "1.0"
    description = (
        "Payments to an exporter within the window of its shipments are matched to them: those from the buyer "
        "side (consignee, end user, notify party, their owners and holdings), and those from outsiders who "
        "buy nothing else from that exporter then. Flags a shipment with no payment at all, a payment for goods "
        "with no shipment, and matched groups whose totals differ by more than the tolerance. Amounts in "
        "different currencies are never compared."
    )
    severity = "medium"
    reference = "FATF/Egmont trade-based money laundering indicators (inferred mapping); redflags.md #20"
    parameters = {
        "window_days": Parameter(default=60, minimum=0, maximum=365,
                                 help="days between a shipment and the payments for it"),
        "value_tolerance": Parameter(default=0.2, minimum=0.0, maximum=10.0,
                                     help="flag when payments and declared value differ by more than this share"),
        "require_payment_records": Parameter(
            default=True,
            help="check a shipment only if its consignee or end user makes some payment in the case "
                 "(otherwise the case simply holds no payment records for them)"),
        "check_payments": Parameter(default=True, help="also flag payments for goods with no shipment"),
        "trade_terms": Parameter(
            default="goods,invoice,purchase,proforma,components,equipment,parts,prepayment,delivery,shipment,"
                    "consignment,merchandise",
            help="comma-separated words that mark a payment's purpose as a payment for goods"),
        "ownership_hops": Parameter(default=3, minimum=0, maximum=10,
                                    help="owners and holdings this many links away count as the buyer's own group"),
    }

    def findings(self, case: Any) -> Iterator[dict[str, Any]]:
        window = self.options["window_days"]
        parties = _Parties(case)
        trade = _Trade(case, parties, self.options["ownership_hops"])
        payments = _load_payments(case)
        payers_in_case = {payer for p in payments for payer in p.payers}
        components = _Components()
        linked: set[str] = set()
        outsiders: dict[str, list[str]] = defaultdict(list)  # shipment id -> third-party payment ids
        for payment in payments:
            if payment.day is None:
                continue
            for payer, beneficiary in payment.transfers:
                near = trade.near(beneficiary, payment.day, window)
                if not near or trade.same_group(payer, beneficiary):
                    continue
                bought = [s for s in near if payer in trade.deal_group(s)]
                if not bought:
                    # Paid by someone outside every nearby deal (the third-party-payer detector says so):
                    # still money for those goods.
                    bought = near
                    for shipment in near:
                        outsiders[shipment.id].append(payment.id)
                for shipment in bought:
                    components.union("p:" + payment.id, "s:" + shipment.id)
                    linked |= {payment.id, shipment.id}
        findings = []
        members: dict[str, list[str]] = defaultdict(list)
        for item in sorted(components.parent):
            members[components.find(item)].append(item)
        by_payment = {p.id: p for p in payments}
        by_shipment = {s.id: s for s in trade.shipments}
        for items in members.values():
            group_payments = sorted((by_payment[i[2:]] for i in items if i.startswith("p:")),
                                    key=lambda p: (p.day, p.id))
            group_shipments = sorted((by_shipment[i[2:]] for i in items if i.startswith("s:")),
                                     key=lambda s: (s.start, s.id))
            finding = self._value_mismatch(group_payments, group_shipments, outsiders, parties)
            if finding:
                findings.append(finding)
        for shipment in trade.shipments:
            if shipment.id in linked or shipment.start is None or not shipment.exporters:
                continue
            buyers = trade.buyers(shipment)
            if self.options["require_payment_records"] and not payers_in_case.intersection(buyers):
                continue
            findings.append(self._unpaid(shipment, buyers, payers_in_case, parties))
        if self.options["check_payments"]:
            goods = _pattern(_split(self.options["trade_terms"]))
            for payment in payments:
                if payment.id in linked or payment.day is None or not goods or not goods.search(payment.text):
                    continue
                # Beneficiaries whose shipments the case holds, none of them near this payment.
                exporters = [b for b in payment.beneficiaries
                             if trade.by_exporter.get(b) and not trade.near(b, payment.day, window)]
                if exporters:
                    findings.append(self._unshipped(payment, exporters, trade, parties))
        findings.sort(key=lambda f: (f["details"]["date"], f["evidence"]))
        yield from findings

    def _value_mismatch(self, payments, shipments, outsiders, parties: _Parties):
        paid = _sum_by_currency(payments)
        shipped: dict[str, float] = defaultdict(float)
        for shipment in shipments:
            if shipment.amount is not None:
                shipped[shipment.currency] += shipment.amount
        tolerance = self.options["value_tolerance"]
        compared = sorted(set(paid) & set(shipped))
        differing = [c for c in compared if shipped[c] > 0 and abs(paid[c] - shipped[c]) / shipped[c] > tolerance]
        if not differing:
            return None
        exporters = sorted({e for s in shipments for e in s.exporters})
        consignees = sorted({c for s in shipments for c in s.consignees})
        hs = sorted({code for s in shipments for code in s.hs_codes})
        parts = []
        for currency in differing:
            gap = (paid[currency] - shipped[currency]) / shipped[currency]
            parts.append(f"{_money(paid[currency], currency)} paid against {_money(shipped[currency], currency)} "
                         f"declared ({abs(gap):.0%} {'more' if gap > 0 else 'less'})")
        text = (f"Shipments of {_hs(hs)} from {parties.names(exporters)} to {parties.names(consignees)} "
                f"({', '.join(s.name for s in shipments)}) and the payments for them within "
                f"{_days(self.options['window_days'])} ({', '.join(p.describe() for p in payments)}) do not add up: "
                f"{'; '.join(parts)}.")
        uncompared_paid = {c: v for c, v in paid.items() if c not in shipped}
        uncompared_shipped = {c: v for c, v in shipped.items() if c not in paid}
        if uncompared_paid or uncompared_shipped:
            left = _totals_phrase({**uncompared_shipped, **uncompared_paid})
            verb = "was" if len(uncompared_paid) + len(uncompared_shipped) == 1 else "were"
            text += (f" {left} in other currencies {verb} not compared: "
                     "amounts in different currencies are never converted.")
        third = {pid for s in shipments for pid in outsiders.get(s.id, ())}
        if third:
            text += (" Payments from outside the deal are included ("
                     + ", ".join(p.describe() for p in payments if p.id in third) + ").")
        payers = sorted({payer for p in payments for payer in p.payers})
        return {
            "entities": sorted({*exporters, *consignees, *payers}),
            "evidence": [s.id for s in shipments] + [p.id for p in payments],
            "score": 0.45 if (uncompared_paid or uncompared_shipped) else 0.6,
            "explanation": text,
            "details": {"kind": "value mismatch", "date": min(s.start or date.max for s in shipments).isoformat(),
                        "paid": paid, "declared": dict(shipped), "compared_currencies": compared,
                        "uncompared": {"paid": uncompared_paid, "declared": uncompared_shipped}},
        }

    def _unpaid(self, shipment: _Shipment, buyers, payers_in_case, parties: _Parties):
        exporters = parties.names(shipment.exporters)
        known = sorted(payers_in_case.intersection(buyers))
        text = (f"No payment to {exporters} from {parties.names(buyers) or 'the buying side'} (or their owners or "
                f"holdings) within {_days(self.options['window_days'])} of the shipment of "
                f"{_hs(shipment.hs_codes)} worth {shipment.value()} to {parties.names(shipment.consignees)} on "
                f"{shipment.start.isoformat()} (shipment {shipment.name}), although the case holds other payments by "
                f"{parties.names(known)}." if known else
                f"No payment to {exporters} from {parties.names(buyers) or 'the buying side'} within "
                f"{_days(self.options['window_days'])} of the shipment of {_hs(shipment.hs_codes)} worth "
                f"{shipment.value()} on {shipment.start.isoformat()} (shipment {shipment.name}).")
        return {
            "entities": sorted({*shipment.exporters, *buyers}),
            "evidence": [shipment.id],
            "score": 0.5,
            "explanation": text,
            "details": {"kind": "shipment without payment", "date": shipment.start.isoformat(),
                        "shipment": shipment.id},
        }

    def _unshipped(self, payment: _Payment, exporters, trade: _Trade, parties: _Parties):
        shipments = [s for b in exporters for s in trade.by_exporter[b] if s.start]
        nearest = _nearest(shipments, payment.day) if shipments else None
        text = (f"{parties.names(payment.payers)} paid {parties.names(exporters)} {payment.describe()} for "
                f"\"{payment.purpose or payment.text}\", but the case holds no shipment from "
                f"{parties.names(exporters)} within {_days(self.options['window_days'])} of it")
        if nearest is not None:
            text += (f"; the nearest is {_hs(nearest.hs_codes)} to {parties.names(nearest.consignees)} on "
                     f"{nearest.start.isoformat()} (shipment {nearest.name}), {_days(nearest.distance(payment.day))} away.")
        else:
            text += "."
        return {
            "entities": sorted({*payment.payers, *exporters}),
            "evidence": [payment.id],
            "score": 0.45,
            "explanation": text,
            "details": {"kind": "payment without shipment", "date": payment.day.isoformat(), "payment": payment.id,
                        "nearest_shipment": nearest.id if nearest else None},
        }


# ---------------------------------------------------------------------------------------- #22


class PhoneCountryMismatchDetector(_FamilyDetector):
    """A party whose phone number belongs to another country than the party."""

    id = "phone-country-mismatch"
    label = "Phone number from another country"
    version = "1.0"
    description = (
        "A party's phone number (E.164, read with the phonenumbers library) belongs to a country other than "
        "the party's country, jurisdiction or main country, and other than the destination of the shipments "
        "it receives. Parties with no country are skipped."
    )
    severity = "low"
    reference = "FinCEN-BIS supplemental alert (2023-05-19); UK NCA red flag 7; EU dual-use red flags; redflags.md #22"
    parameters = {
        "shared_calling_code": Parameter(
            default=True,
            help="accept a number whose calling code the party's country shares (+7 for Kazakhstan, +1 for Canada)"),
        "use_destinations": Parameter(
            default=True, help="accept a number from the destination country of shipments the party receives"),
    }

    def findings(self, case: Any) -> Iterator[dict[str, Any]]:
        parties = _Parties(case)
        destinations: dict[str, set[str]] = defaultdict(set)
        if self.options["use_destinations"]:
            for shipment in _load_shipments(case):
                for party in (*shipment.consignees, *shipment.end_users):
                    destinations[party].update(shipment.destinations)
        for party in case.snapshot().of_schema("LegalEntity"):
            phones = party.get("phone") if "phone" in party.schema.properties else []
            if not phones:
                continue
            home = parties.countries(party.id)
            if not home:
                continue
            allowed = home | destinations.get(party.id, set())
            for phone in sorted(set(phones)):
                region, code = self._region(phone)
                if region is None or region in allowed:
                    continue
                sharing = {r.lower() for r in phonenumbers.region_codes_for_country_code(code)}
                if self.options["shared_calling_code"] and sharing & allowed:
                    continue
                text = (f"{party.caption} is registered in {_countries(home)}, but its phone number {phone} "
                        f"is from {_country(region)} (calling code +{code}).")
                extra = sorted(destinations.get(party.id, set()) - home)
                if extra:
                    text += f" Nor is it from {_countries(extra)}, where its shipments went."
                yield {
                    "entities": [party.id],
                    "evidence": [party.id],
                    "score": 0.4,
                    "explanation": text,
                    "details": {"phone": phone, "phone_country": region, "party_countries": sorted(home),
                                "destinations": sorted(destinations.get(party.id, set()))},
                }

    @staticmethod
    def _region(phone: str) -> tuple[str | None, int]:
        try:
            number = phonenumbers.parse(phone if phone.startswith("+") else "+" + phone.lstrip("0"))
        except phonenumbers.NumberParseException:
            return None, 0
        region = phonenumbers.region_code_for_number(number)
        if not region or region in ("ZZ", "001"):
            return None, number.country_code
        return region.lower(), number.country_code


# ---------------------------------------------------------------------------------------- #23


class WebmailNoWebsiteDetector(_FamilyDetector):
    """A company with a free webmail address and no website."""

    id = "webmail-no-website"
    label = "Free webmail and no website"
    version = "1.0"
    description = (
        "A company or organisation (not a person) that has no website on record and uses an e-mail address at "
        "a free webmail provider (the webmail_domains reference table, plus any extra domains)."
    )
    severity = "low"
    reference = "FinCEN-BIS supplemental alert (2023-05-19); UK NCA red flag 6; EU dual-use red flags; redflags.md #23"
    parameters = {
        "domains_table": Parameter(default="webmail_domains",
                                   help="reference table (column 'domain') listing free webmail providers"),
        "extra_domains": Parameter(default="", help="comma-separated domains to treat as free webmail as well"),
    }

    def findings(self, case: Any) -> Iterator[dict[str, Any]]:
        webmail = {d.lower() for d in column(self.options["domains_table"], "domain")}
        webmail |= set(_split(self.options["extra_domains"]))
        for party in case.snapshot().of_schema("LegalEntity"):
            if party.schema.is_a("Person"):
                continue
            if party.get("website"):
                continue
            emails = sorted(set(party.get("email")))
            free = [e for e in emails if e.rpartition("@")[2].lower() in webmail]
            if not free:
                continue
            own = [e for e in emails if e not in free]
            countries = {c.lower() for prop in _COUNTRY_PROPS if prop in party.schema.properties
                         for c in party.get(prop)}
            where = f" ({_countries(countries)})" if countries else ""
            text = (f"{party.caption}{where} has no website on record and uses the free webmail "
                    f"address{'es' if len(free) > 1 else ''} {listing(free)}")
            text += f"; it also has {listing(own)}." if own else " and no address at a domain of its own."
            yield {
                "entities": [party.id],
                "evidence": [party.id],
                "score": 0.25 if own else 0.4,
                "explanation": text,
                "details": {"webmail": free, "other_email": own},
            }
