"""Background noise of a training case: legitimate trade built to stay quiet under the detectors
(``docs/training.md`` lists the rules).
"""

from __future__ import annotations

import random
import string
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from workbench.training.builder import CaseBuilder
from workbench.training.world import (
    CATEGORIES,
    CUSTOMER_SECTORS,
    DISTRIBUTOR_SECTORS,
    END_USES,
    MANUFACTURING_COUNTRIES,
    SAFE_COUNTRIES,
    WIDER_CUSTOMER_COUNTRIES,
)


# ------------------------------------------------------------------------------------ background


def _count(spec: dict[str, Any], name: str, size: float, default: float = 0) -> int:
    return max(0, round(float(spec.get(name, default)) * size))


def _lag(rng: random.Random) -> int:
    """Days from a shipment's departure to its payment (negative: paid in advance)."""
    return rng.choice((rng.randint(-20, -3), rng.randint(0, 45), rng.randint(10, 40)))


def corporate_furniture(b: CaseBuilder, rng: random.Random, company: str, key: str, country: str,
                         with_directors: bool, owner: str | None = None) -> None:
    """A director and owners for a company, as a registry extract would show them."""
    if not with_directors:
        return
    incorporated = date.fromisoformat(b.prop(company, "incorporationDate"))
    nationality = country if rng.random() < 0.9 or country not in SAFE_COUNTRIES else rng.choice(SAFE_COUNTRIES)
    director = b.person(rng, f"{key}:director", nationality)
    since = incorporated + timedelta(days=rng.randint(0, 9000))
    since = min(since, b.period[0] - timedelta(days=rng.randint(30, 900)))
    role = {"de": "Geschäftsführer", "at": "Geschäftsführer", "fr": "President", "us": "Chief Executive Officer",
            "gb": "Director"}.get(country, "Managing Director")
    b.directorship(f"{key}:directorship", director, company, max(since, incorporated), role=role)
    if owner is not None:
        b.ownership(f"{key}:owned-by-group", owner, company, 100, incorporated)
        return
    draw = rng.random()
    if draw < 0.35:
        b.ownership(f"{key}:owner", director, company, 100, incorporated)
    elif draw < 0.75:
        partner = b.person(rng, f"{key}:partner", nationality)
        share = rng.choice((50, 60, 70, 75, 80))
        b.ownership(f"{key}:owner", director, company, share, incorporated)
        b.ownership(f"{key}:partner-owner", partner, company, 100 - share, incorporated)
    # else: widely held, no owner on record


def build_background(b: CaseBuilder, rng: random.Random, spec: dict[str, Any], size: float) -> None:
    """Legitimate trade: parties, shipments, payments and end-use documents that stay quiet.

    The rules that keep the detectors quiet are deliberate (``docs/training.md`` lists them):
    distributors sell only into safe countries and receive at most two customers' payments in
    any 30 days, never paying out within four days of being paid; manufacturers receive and do
    not pay; every shipment has one payment of its value by its consignee within 60 days; CHPL
    goods go only to safe countries and to buyers whose line of business fits them; companies
    are old, have their own website and e-mail, local phones, unique addresses, one board each.
    """
    with_directors = b.with_directors
    start, end = b.period
    span = (end - start).days

    def make(role: str, count: int, pick: Callable[[], tuple[str, tuple, str, str, str]]) -> list[str]:
        created = []
        for index in range(count):
            country, categories, sector, word, schema = pick()
            key = f"bg:{role}:{index}"
            if country == "jp" and role == "manufacturer":
                word = CATEGORIES[categories[0]][3]
            elif country in ("de", "at", "ch") and role == "manufacturer":
                word = CATEGORIES[categories[0]][2]
            company = b.company(rng, key, country, role=role, word=word, sector=sector, categories=categories,
                                schema=schema, legal_form="" if schema == "Organization" else None)
            created.append(company)
        return created

    def manufacturer():
        category = rng.choice(list(CATEGORIES))
        return rng.choice(MANUFACTURING_COUNTRIES), (category,), CATEGORIES[category][0], CATEGORIES[category][1], "Company"

    made: set[str] = set()  # categories the case's manufacturers make (filled in below)

    def distributor():
        # Only lines of business someone in the case makes: a small case must still trade.
        sector, word, categories = rng.choice([d for d in DISTRIBUTOR_SECTORS if set(d[2]) & made]
                                              or DISTRIBUTOR_SECTORS)
        return rng.choice(SAFE_COUNTRIES), categories, sector, word, "Company"

    def customer():
        sector, word, categories, schema = rng.choice([c for c in CUSTOMER_SECTORS if set(c[2]) & made]
                                                      or CUSTOMER_SECTORS)
        country = rng.choice(WIDER_CUSTOMER_COUNTRIES) if rng.random() < spec.get("wider_share", 0.3) \
            else rng.choice(SAFE_COUNTRIES)
        return country, categories, sector, word, schema

    def forwarder():
        country = rng.choice(("nl", "de", "be", "dk", "gb", "us", "fr"))
        word = {"de": "Spedition", "nl": "Logistics", "be": "Logistics"}.get(country, "Freight Services")
        return country, (), "Freight forwarding", word, "Company"

    manufacturers = make("manufacturer", _count(spec, "manufacturers", size), manufacturer)
    made.update(c for m in manufacturers for c in b.parties[m].categories)
    distributors = make("distributor", _count(spec, "distributors", size), distributor)
    customers = make("customer", _count(spec, "customers", size), customer)
    forwarders = make("forwarder", _count(spec, "forwarders", size), forwarder)

    # Groups: a holding company owns a few operating companies; the rest have their own owners.
    operating = manufacturers + distributors
    owned_by: dict[str, str] = {}
    for index in range(_count(spec, "holdings", size)):
        free = [c for c in operating if c not in owned_by]
        if not free:
            break
        members = rng.sample(free, min(len(free), rng.randint(1, 3)))
        country = b.parties[members[0]].country
        holding = b.company(rng, f"bg:holding:{index}", country, role="holding", word="Holding",
                            sector="Activities of holding companies", website=rng.random() < 0.7)
        corporate_furniture(b, rng, holding, f"bg:holding:{index}", country, with_directors)
        for member in members:
            owned_by[member] = holding
    for company in manufacturers + distributors + customers + forwarders:
        party = b.parties[company]
        key = f"bg:furniture:{company}"
        if party.sector.startswith("University"):
            continue  # a public institution: no shareholders, a board elsewhere
        corporate_furniture(b, rng, company, key, party.country, with_directors, owned_by.get(company))

    # Who buys from whom. Groups never trade with themselves (a shared director would flag it).
    makers_of: dict[str, list[str]] = defaultdict(list)
    for company in manufacturers:
        makers_of[b.parties[company].categories[0]].append(company)

    def sellers_for(buyer: str, allow_distributors: bool) -> list[tuple[str, str]]:
        party = b.parties[buyer]
        options = [(m, cat) for cat in party.categories for m in makers_of.get(cat, ())]
        if allow_distributors:
            options += [(d, cat) for d in distributors for cat in party.categories
                        if cat in b.parties[d].categories and d != buyer]
        return [(s, c) for s, c in options if owned_by.get(s) is None or owned_by.get(s) != owned_by.get(buyer)]

    relationships: list[tuple[str, str, str]] = []  # (seller, buyer, category)
    for buyer in distributors:
        options = sellers_for(buyer, allow_distributors=False)
        for seller, category in rng.sample(options, min(len(options), rng.randint(2, 4))):
            relationships.append((seller, buyer, category))
    for buyer in customers:
        safe = b.parties[buyer].country in SAFE_COUNTRIES
        options = sellers_for(buyer, allow_distributors=safe)
        for seller, category in rng.sample(options, min(len(options), rng.randint(1, 3))):
            relationships.append((seller, buyer, category))
    if not relationships:
        return

    # Shipments across the relationships; a distributor's sales are capped by its calendar.
    capacity = max(1, span // 17)
    sales: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    plain: list[tuple[str, str, str]] = []
    customer_relationships = [r for r in relationships if r[1] not in distributors]
    for _ in range(_count(spec, "shipments", size) if customer_relationships else 0):
        # A distributor's own purchases are planned on its calendar below, not drawn here.
        seller, buyer, category = rng.choice(customer_relationships)
        if seller in distributors:
            if len(sales[seller]) >= capacity:
                continue
            sales[seller].append((seller, buyer, category))
        else:
            plain.append((seller, buyer, category))

    eud_share = float(spec.get("end_use_share", 0.25))
    forwarder_share = float(spec.get("forwarder_share", 0.35))
    counter = [0]

    def trade(seller: str, buyer: str, category: str, ship_day: date, pay_day: date) -> None:
        counter[0] += 1
        number = counter[0]
        seller_party, buyer_party = b.parties[seller], b.parties[buyer]
        chpl_ok = buyer_party.country in SAFE_COUNTRIES and buyer_party.role != "forwarder"
        chpl_options = [c for c in CATEGORIES[category][4] if c in b.chpl] if chpl_ok else []
        ordinary = list(CATEGORIES[category][5])
        chpl_share = float(spec.get("chpl_share", 0.35))
        code = rng.choice(chpl_options) if chpl_options and (rng.random() < chpl_share or not ordinary) \
            else rng.choice(ordinary)
        currency = seller_party.currency
        high = 900_000 if buyer_party.role == "distributor" else 300_000
        value, quantity = b.goods_value(rng, code, currency, high=high)
        forwarder_id = rng.choice(forwarders) if forwarders and rng.random() < forwarder_share else None
        shipment = b.shipment(rng, f"bg:shipment:{number}", seller, buyer, code, ship_day, value=value,
                              currency=currency, quantity=quantity, forwarder=forwarder_id)
        year = pay_day.year
        b.payment(rng, f"bg:payment:{number}", buyer, seller, value, currency, pay_day,
                  f"Invoice {rng.choice(string.ascii_uppercase)}{rng.choice(string.ascii_uppercase)}-{year}-"
                  f"{rng.randint(1000, 99999)}")
        if code in b.chpl and buyer_party.role == "customer" and rng.random() < eud_share:
            issued = ship_day - timedelta(days=rng.randint(10, 45))
            b.add("documents", "EndUseDocument", f"bg:eud:{number}", {
                "documentNumber": f"EUC-{issued.year}-{rng.randint(100, 9999):04d}",
                "issuer": buyer, "statedEndUser": buyer,
                "endUse": END_USES.get(buyer_party.sector, "the buyer's own production"),
                "destinationCountry": buyer_party.country, "coveredShipment": shipment, "date": issued,
                "description": "The goods will be used by the end user named here and not re-exported.",
            })

    for seller, buyer, category in plain:
        ship_day = start + timedelta(days=rng.randrange(span))
        trade(seller, buyer, category, ship_day, ship_day + timedelta(days=_lag(rng)))

    for distributor_id in distributors:
        # Incoming payments at least 16 days apart: never three customers in one 30-day window.
        incoming: list[date] = []
        items = sales.get(distributor_id, [])
        day = start + timedelta(days=rng.randint(0, 15))
        slack = max(0, span - 16 * len(items))
        for seller, buyer, category in items:
            day += timedelta(days=rng.randint(0, min(60, slack // max(len(items), 1))))
            incoming.append(day)
            lag = _lag(rng)
            trade(seller, buyer, category, day - timedelta(days=lag), day)
            day += timedelta(days=16)
        # Stock purchases paid on days that are not within three days after money came in.
        for seller, buyer, category in [r for r in relationships if r[1] == distributor_id]:
            for _ in range(max(1, len(items) // 4)):
                for _attempt in range(50):
                    pay_day = start + timedelta(days=rng.randrange(span))
                    if all(not (0 <= (pay_day - d).days <= 4) for d in incoming):
                        break
                trade(seller, buyer, category, pay_day - timedelta(days=_lag(rng)), pay_day)
