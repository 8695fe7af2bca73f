"""Facts readers: the case's entities as the plain records detectors reason about.

One reader per kind of fact, so that two detectors never disagree about what a shipment says.
:func:`read_shipments` turns every ``Shipment`` of a case's snapshot into a :class:`ShipmentFacts`
with its parties by role, its HS codes (as written and as HS-6 subheadings), goods, countries,
dates and value. HS codes are read one way everywhere (:func:`hs6`): dots and spaces ignored,
a leading zero a spreadsheet dropped put back, and a code of fewer than six digits has no HS-6.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from workbench.plugin_api.wording import money

#: The roles a party plays in a shipment, as FtM's Shipment properties name them.
SHIPMENT_ROLES = ("exporter", "consignee", "declaredEndUser", "notifyParty", "forwarder")


def hs_digits(code: str | None) -> str:
    """The digits of an HS code ("8542.32.00" -> "85423200").

    A spreadsheet that read the code as a number drops its leading zero ("30617" for 0306.17),
    so an odd number of digits (5, 7, 9) gets the zero back.
    """
    digits = re.sub(r"\D", "", code or "")
    if len(digits) in (5, 7, 9):
        digits = "0" + digits
    return digits


def hs6(code: str | None) -> str | None:
    """The HS-6 subheading of a code of six digits or more (dots and spaces ignored), else None."""
    digits = hs_digits(code)
    return digits[:6] if len(digits) >= 6 else None


def hs6_codes(codes: Iterable[str]) -> tuple[str, ...]:
    """The distinct HS-6 subheadings of ``codes``, in the order first written."""
    return tuple(dict.fromkeys(code for code in map(hs6, codes) if code))


def hs_chapter(code: str | None) -> str | None:
    """The HS chapter (first two digits) of a code of at least four digits, else None."""
    digits = hs_digits(code)
    return digits[:2] if len(digits) >= 4 else None


def parse_date(value: str | None) -> date | None:
    """An ISO date or prefix ("2023", "2023-03") as a date on its first day; None if unreadable."""
    match = re.match(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", (value or "").strip())
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2) or 1), int(match.group(3) or 1))
    except ValueError:
        return None


def full_day(values: Iterable[str]) -> date | None:
    """The first full ISO date among ``values`` (a bare year or month is not a day)."""
    for value in values:
        try:
            return date.fromisoformat(value[:10])
        except (TypeError, ValueError):
            continue
    return None


@dataclass(frozen=True, eq=False)
class ShipmentFacts:
    """What one Shipment entity says, party ids resolved (when a resolver was given)."""

    id: str
    parties: dict[str, tuple[str, ...]]
    hs_codes: tuple[str, ...]  # as written
    hs6: tuple[str, ...]  # the distinct HS-6 subheadings of hs_codes (see hs6())
    description: str
    origin: tuple[str, ...]
    destination: tuple[str, ...]
    transit: tuple[str, ...]
    dates: dict[str, tuple[str, ...]]  # startDate, endDate and date as written
    start: date | None  # its start date, else its date (a year or a month counts as its first day)
    end: date | None  # its end date, else its date
    amount: str | None
    currency: str | None
    quantity: str | None
    unit: str | None

    def role(self, name: str) -> tuple[str, ...]:
        return self.parties.get(name, ())

    @property
    def departed(self) -> date | None:
        return self.start or self.end

    @property
    def arrived(self) -> date | None:
        return self.end or self.start

    @property
    def value_text(self) -> str:
        """``USD 310,000``, or ``""`` when no value is recorded."""
        return money(self.amount, self.currency)

    @property
    def hs_text(self) -> str:
        """``854232/854231``; the codes as written when none has six digits; ``(no HS code)``."""
        return "/".join(self.hs6) if self.hs6 else "/".join(self.hs_codes) or "(no HS code)"


def read_shipment(proxy: Any, resolve: Callable[[str], str] | None = None) -> ShipmentFacts:
    """The facts of one Shipment (an FtM proxy or the snapshot's entity); ``resolve`` maps a party id
    to the id it was merged into."""

    def ids(prop: str) -> tuple[str, ...]:
        values = proxy.get(prop, quiet=True)
        return tuple(dict.fromkeys(resolve(value) for value in values) if resolve else dict.fromkeys(values))

    codes = tuple(proxy.get("hsCode"))
    dates = {prop: tuple(proxy.get(prop)) for prop in ("startDate", "endDate", "date")}
    dated = parse_date(dates["date"][0]) if dates["date"] else None
    return ShipmentFacts(
        id=proxy.id,
        parties={role: ids(role) for role in SHIPMENT_ROLES},
        hs_codes=codes,
        hs6=hs6_codes(codes),
        description=proxy.first("goodsDescription") or proxy.first("description") or "",
        origin=tuple(proxy.get("originCountry")),
        destination=tuple(proxy.get("destinationCountry")),
        transit=tuple(proxy.get("transitCountries")),
        dates=dates,
        start=parse_date(proxy.first("startDate")) or dated,
        end=parse_date(proxy.first("endDate")) or dated,
        amount=proxy.first("amount"),
        currency=proxy.first("currency"),
        quantity=proxy.first("quantity"),
        unit=proxy.first("quantityUnit"),
    )


def read_shipments(facts: Any, resolve: Callable[[str], str] | None = None) -> list[ShipmentFacts]:
    """Every Shipment of a case's snapshot (``case.snapshot()``), ordered by id."""
    return sorted((read_shipment(proxy, resolve) for proxy in facts.of_schema("Shipment")), key=lambda s: s.id)


__all__ = ["SHIPMENT_ROLES", "ShipmentFacts", "full_day", "hs6", "hs6_codes", "hs_chapter", "hs_digits",
           "parse_date", "read_shipment", "read_shipments"]
