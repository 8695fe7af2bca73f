"""Planted diversion patterns (:data:`PATTERNS`) and innocent look-alikes (:data:`DECOYS`): each a
function that adds the entities of one typology to a :class:`~workbench.training.builder.CaseBuilder`
and returns its answer.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from workbench.reference import column
from workbench.training.background import corporate_furniture
from workbench.training.builder import CaseBuilder, Planted, Step
from workbench.training.world import (
    CATEGORIES,
    CHPL_GOODS,
    COUNTRIES,
    CUSTOMER_SECTORS,
    HUBS,
    INVASION_DATE,
    ORDINARY_GOODS,
    SAFE_COUNTRIES,
    SECRECY,
    country_name,
    iso_day,
    restricted_countries,
    slug,
    transshipment_hubs,
)


# ------------------------------------------------------------------------------------ patterns


def _window(b: CaseBuilder, rng: random.Random) -> date:
    """A start day for a pattern, leaving room for its events inside the period."""
    start, end = b.period
    return start + timedelta(days=rng.randint(30, max(31, (end - start).days - 150)))


def _supplier(b: CaseBuilder, rng: random.Random, key: str, categories: tuple[str, ...],
              quiet: tuple[date, date] | None = None) -> str:
    """A legitimate manufacturer to sell to the network: a background one if one fits, else a new one."""
    fits = [m for m in b.by_role["manufacturer"]
            if b.parties[m].categories[0] in categories and b.parties[m].country in SAFE_COUNTRIES
            and (quiet is None or b.quiet_for(m, *quiet))]
    if fits:
        return rng.choice(sorted(fits))
    category = rng.choice(categories)
    country = rng.choice(("de", "us", "jp", "nl", "gb", "fr", "it", "ch", "se"))
    word = CATEGORIES[category][3] if country == "jp" else (CATEGORIES[category][2] if country in ("de", "ch")
                                                             else CATEGORIES[category][1])
    company = b.company(rng, key, country, role="manufacturer", word=word, sector=CATEGORIES[category][0],
                        categories=(category,))
    corporate_furniture(b, rng, company, key, country, b.with_directors)
    return company


def _pick_chpl(b: CaseBuilder, rng: random.Random, category: str, tiers: tuple[str, ...] = ()) -> str:
    codes = [c for c in CATEGORIES[category][4] if c in b.chpl and (not tiers or b.chpl[c][:1] in tiers)]
    return rng.choice(codes or [c for c in CATEGORIES[category][4] if c in b.chpl])


def _goods_text(b: CaseBuilder, code: str) -> str:
    description = (CHPL_GOODS.get(code) or ORDINARY_GOODS[code])[0]
    tier = b.chpl.get(code)
    return f"HS {code} ({description.lower()}{f', CHPL tier {tier}' if tier else ''})"


def _hub(rng: random.Random, options: dict[str, Any], preferred: tuple[str, ...] = HUBS) -> str:
    hubs = [h for h in preferred if h in transshipment_hubs()] or list(transshipment_hubs())
    chosen = options.get("country") or rng.choice(hubs)
    if chosen not in COUNTRIES:
        raise ValueError(f"unknown country {chosen!r} for a pattern")
    return chosen


def _local_director(b: CaseBuilder, rng: random.Random, key: str, company: str, nationality: str,
                    since: date, owner_too: bool = True) -> list[str]:
    if not b.with_directors:
        return []
    director = b.person(rng, f"{key}:director", nationality)
    ids = [director, b.directorship(f"{key}:directorship", director, company, since)]
    if owner_too:
        ids.append(b.ownership(f"{key}:owner", director, company, 100, since))
    return ids


def front_company_hub(b: CaseBuilder, rng: random.Random, options: dict[str, Any]) -> Planted:
    """A newly formed trading company in a hub, with webmail and a foreign phone, importing CHPL goods."""
    hub = _hub(rng, options, ("ae", "tr", "hk", "am", "ge", "kz"))
    first_import = _window(b, rng)
    incorporated = max(INVASION_DATE + timedelta(days=rng.randint(30, 200)),
                       first_import - timedelta(days=rng.randint(45, 200)))
    free_zone = hub == "ae"
    form, word = {"ae": ("FZE", "General Trading"), "tr": ("Ltd. Şti.", "Dış Ticaret"),
                  "hk": ("Limited", "Trading"), "kz": ("LLP", "Trading")}.get(hub, ("LLC", "Trading"))
    phone_country = options.get("phone_country") or ("by" if hub == "kz" else "ru")
    stem = b.stem(rng, COUNTRIES[hub][0])
    webmail = rng.choice(("gmail.com", "mail.ru", "outlook.com", "yandex.ru"))
    front = b.company(rng, "front", hub, role="front", word=word, legal_form=form, stem=stem,
                      sector="General trading", incorporated=incorporated, website=False,
                      email=f"{slug(stem).replace('-', '.')}.{hub}@{webmail}",
                      phone=b.phone(rng, phone_country, mobile=True), free_zone=free_zone)
    owner = directorship = stake = None
    if b.with_directors:
        owner = b.person(rng, "front:owner", phone_country)
        directorship = b.directorship("front:directorship", owner, front, incorporated)
        stake = b.ownership("front:stake", owner, front, 100, incorporated)
    supplier = _supplier(b, rng, "front:supplier", ("electronics", "computing"))
    category = b.parties[supplier].categories[0]
    code = _pick_chpl(b, rng, category, ("1", "2"))
    shipment, value, currency = b.sale(rng, "front:shipment", supplier, front, code, first_import, (40_000, 350_000))
    paid = b.payment(rng, "front:payment", front, supplier, value, currency,
                     first_import + timedelta(days=rng.randint(-15, 20)), f"Proforma invoice {rng.randint(1000, 9999)}")
    days = (first_import - incorporated).days
    country = country_name(hub)
    flags = ["chpl-to-risky-destination", "intermediary-as-consignee"] + (["free-trade-zone-consignee"] if free_zone else [])
    steps = [
        Step(f"{b.label(front)} was incorporated in {country} on {iso_day(incorporated)}, after the invasion of Ukraine, "
             f"and imported CHPL goods {days} days later.", [front], [shipment], ["new-company-chpl"]),
        Step(f"It has no website and writes from a free webmail address ({b.prop(front, 'email')}); its phone number "
             f"{b.prop(front, 'phone')} is from {country_name(phone_country)}, not {country}.",
             [front], [], ["webmail-no-website", "phone-country-mismatch"]),
        Step(f"{b.label(supplier)} shipped {_goods_text(b, code)} to it in {country}, a transshipment hub"
             + (", at a free-zone address" if free_zone else "") + f"; a 'general trading' firm is the consignee "
             f"({shipment}).", [front], [shipment], flags),
    ]
    if owner:
        steps.append(Step(f"Its owner and director is {b.label(owner)}, a national of {country_name(phone_country)}.",
                          [owner], [directorship, stake], []))
    return Planted(
        kind="front-company-hub", title="Front company in a transshipment hub",
        description=(f"A trading company set up in {country} shortly before it began buying high-priority electronics: "
                     "new, no website, webmail, a phone number from the country the goods are really for."),
        entities=[front, *([owner] if owner else [])], facts=[shipment, *([directorship, stake] if owner else [])],
        context=[supplier, paid],
        detectors=["new-company-chpl", "webmail-no-website", "phone-country-mismatch", *flags], steps=steps)


def layered_ownership(b: CaseBuilder, rng: random.Random, options: dict[str, Any]) -> Planted:
    """A beneficial owner behind two or three shells in secrecy jurisdictions and a nominee director."""
    owner_country = options.get("owner_country") or rng.choice(restricted_countries())
    layers_count = int(options.get("layers", rng.choice((2, 3))))
    secrecy = [c for c in SECRECY if c in column("secrecy_jurisdictions", "country")] or list(SECRECY)
    countries = rng.sample(secrecy, min(layers_count, len(secrecy)))
    hub = _hub(rng, options, ("hk", "ae", "tr", "am", "ge", "rs"))
    day = _window(b, rng)
    owner = b.person(rng, "layers:owner", owner_country)
    agent_country = countries[0]
    agent_address = b.address(rng, agent_country)
    nominee = b.person(rng, "layers:nominee", agent_country,
                       description="Employee of a corporate-services provider; serves as nominee director.")
    founded = day - timedelta(days=rng.randint(400, 900))
    layers = []
    for index, country in enumerate(countries):
        word = rng.choice(("Holdings", "Ventures", "Investments", "Capital", "Global"))
        layers.append(b.company(rng, f"layers:shell:{index}", country, role="shell", word=word,
                                website=False, phone=False, incorporated=founded + timedelta(days=25 * index),
                                address=agent_address if country == agent_country else None,
                                legal_form="International Business Company" if country == "sc" else None))
    operating = b.company(rng, "layers:operating", hub, role="operating", word="Technology",
                          sector="Distribution of electronic components", categories=("computing",),
                          incorporated=founded + timedelta(days=120))
    local = _local_director(b, rng, "layers:operating", operating, hub, founded + timedelta(days=120), owner_too=False)
    chain = [owner, *layers, operating]
    stakes = []
    for index, (upper, lower) in enumerate(zip(chain, chain[1:])):
        share = 100 if index else rng.choice((75, 90, 100))
        stakes.append(b.ownership(f"layers:stake:{index}", upper, lower, share,
                                  founded + timedelta(days=25 * index + 10)))
    # The nominee sits on the boards of the shells and of other clients' shells at the same
    # registered-agent address: the mass-registration signature.
    extra_count = int(options.get("extra_shells", 4))
    extras = [b.company(rng, f"layers:client-shell:{index}", agent_country, role="shell",
                        word=rng.choice(("Holdings", "Ventures", "Investments", "Trustees")), website=False,
                        phone=False, address=agent_address,
                        legal_form="International Business Company" if agent_country == "sc" else None)
              for index in range(extra_count)]
    boards = [b.directorship(f"layers:nominee:{index}", nominee, company, founded + timedelta(days=30 * index),
                             role="Nominee director")
              for index, company in enumerate(layers + extras)]
    supplier = _supplier(b, rng, "layers:supplier", ("computing",))
    code = rng.choice(CATEGORIES["computing"][5])
    shipment, value, currency = b.sale(rng, "layers:shipment", supplier, operating, code, day, (20_000, 150_000))
    paid = b.payment(rng, "layers:payment", operating, supplier, value, currency, day + timedelta(days=rng.randint(0, 30)),
                     f"Invoice {rng.randint(10000, 99999)}")
    layer_text = " → ".join(f"{b.label(c)} ({country_name(b.parties[c].country)})" for c in chain)
    steps = [
        Step(f"{b.label(operating)} in {country_name(hub)} looks like an ordinary distributor buying computers "
             f"({shipment}).", [operating], [], []),
        Step(f"Its registry extract shows who owns it, layer by layer: {layer_text}.", chain, stakes,
             ["opaque-ownership"]),
        Step(f"The shells sit in secrecy jurisdictions ({', '.join(country_name(c) for c in countries)}); the top "
             f"owner, {b.label(owner)}, is a national of {country_name(owner_country)}.", [owner, *layers], stakes,
             ["opaque-ownership"]),
        Step(f"{b.label(nominee)} is nominee director of {len(layers) + len(extras)} companies, "
             f"{len(extras) + 1} of them at one registered-agent address in {country_name(agent_country)}.",
             [nominee, *layers], boards[:len(layers)], ["mass-registration-or-nominee"]),
    ]
    return Planted(
        kind="layered-ownership", title="Layered ownership in secrecy jurisdictions",
        description=(f"A {country_name(owner_country)} owner hides behind {len(layers)} shell companies in secrecy "
                     "jurisdictions, run by a nominee director, above an ordinary-looking distributor."),
        entities=[owner, *layers, operating, nominee], facts=stakes + boards[:len(layers)],
        context=[*extras, *boards[len(layers):], *local, supplier, shipment, paid],
        detectors=["opaque-ownership", "mass-registration-or-nominee"], steps=steps)


def chpl_reexport(b: CaseBuilder, rng: random.Random, options: dict[str, Any]) -> Planted:
    """CHPL goods imported into a hub and re-exported, same HS code and quantity, to a restricted country."""
    hub = _hub(rng, options, ("ae", "tr", "hk", "kz", "am", "ge", "kg", "uz", "rs"))
    destination = options.get("destination") or rng.choice(("ru", "by"))
    start = _window(b, rng)
    intermediary = b.company(rng, "reexport:intermediary", hub, role="intermediary", word="Electronics",
                             sector="Distribution of electronic components", categories=("electronics",),
                             incorporated=date(rng.randint(2011, 2019), rng.randint(1, 12), rng.randint(1, 28)))
    _local_director(b, rng, "reexport:intermediary", intermediary, hub,
                    date.fromisoformat(b.prop(intermediary, "incorporationDate")))
    buyer = b.company(rng, "reexport:buyer", destination, role="restricted-buyer", word="",
                      sector="Radio-electronic equipment manufacturing", categories=("electronics",),
                      legal_form=rng.choice(COUNTRIES[destination][4]))
    supplier = _supplier(b, rng, "reexport:supplier", ("electronics",))
    code = _pick_chpl(b, rng, "electronics", ("1", "2"))
    currency = "USD"
    value, quantity = b.goods_value(rng, code, currency, 60_000, 500_000)
    inbound = b.shipment(rng, "reexport:inbound", supplier, intermediary, code, start, value=value, currency=currency,
                         quantity=quantity, transit_days=rng.randint(6, 12))
    arrived = b.arrival(inbound)
    gap = rng.randint(4, 20)
    transit = [options["transit"]] if options.get("transit") else (
        [rng.choice(("kz", "am", "ge"))] if hub in ("tr", "ae", "hk") and rng.random() < 0.5 else None)
    markup = rng.uniform(1.35, 1.9)
    outbound = b.shipment(rng, "reexport:outbound", intermediary, buyer, code, arrived + timedelta(days=gap),
                          value=round(value * markup, 2), currency=currency, quantity=quantity, destination=destination,
                          transit=transit, transit_days=rng.randint(8, 18))
    pay_in = b.payment(rng, "reexport:pay-supplier", intermediary, supplier, value, currency,
                       start - timedelta(days=rng.randint(0, 10)), f"Purchase order {rng.randint(1000, 9999)}")
    pay_out = b.payment(rng, "reexport:pay-intermediary", buyer, intermediary, round(value * markup, 2), currency,
                        arrived + timedelta(days=gap + rng.randint(1, 20)), f"Contract {rng.randint(10, 99)}/{start.year}")
    route = f" via {', '.join(country_name(c) for c in transit)}" if transit else ""
    steps = [
        Step(f"{b.label(supplier)} shipped {quantity:,} units of {_goods_text(b, code)} to {b.label(intermediary)} "
             f"in {country_name(hub)}, arriving {iso_day(arrived)} ({inbound}).", [intermediary], [inbound],
             ["chpl-to-risky-destination"]),
        Step(f"{gap} days later {b.label(intermediary)} sent the same HS code, the same {quantity:,} units, to "
             f"{b.label(buyer)} in {country_name(destination)}{route} ({outbound}).", [intermediary, buyer],
             [outbound], ["transshipment-reexport", "chpl-to-risky-destination"]),
        Step(f"The money ran the other way: {b.label(buyer)} paid {b.label(intermediary)} about "
             f"{markup - 1:.0%} more than the intermediary had paid the supplier.", [buyer, intermediary],
             [pay_out, pay_in], []),
    ]
    return Planted(
        kind="chpl-reexport", title="Re-export of CHPL goods after import",
        description=(f"High-priority electronics enter {country_name(hub)} and leave again within weeks for "
                     f"{country_name(destination)}: the hub company is a conduit, not an end user."),
        entities=[intermediary, buyer], facts=[inbound, outbound, pay_out], context=[supplier, pay_in],
        detectors=["transshipment-reexport", "chpl-to-risky-destination"], steps=steps)


def third_country_payment(b: CaseBuilder, rng: random.Random, options: dict[str, Any]) -> Planted:
    """Goods for one country paid for by an unrelated company in another."""
    consignee_country = options.get("country") or rng.choice([c for c in ("kz", "am", "ge", "kg", "uz", "rs", "tr")
                                                              if c in transshipment_hubs()])
    payer_country = options.get("payer_country") or rng.choice([c for c in ("hk", "ae", "tr", "cn", "sg")
                                                                if c != consignee_country])
    start = _window(b, rng)
    sector, word, categories, _ = rng.choice([s for s in CUSTOMER_SECTORS if s[0] in
                                              ("Industrial automation", "Precision engineering")])
    category = "instruments" if sector == "Industrial automation" else "machine_tools"
    consignee = b.company(rng, "third:consignee", consignee_country, role="customer", word=word, sector=sector,
                          categories=categories)
    _local_director(b, rng, "third:consignee", consignee, consignee_country,
                    date.fromisoformat(b.prop(consignee, "incorporationDate")))
    payer = b.company(rng, "third:payer", payer_country, role="payer", word="Holdings",
                      sector="Investment and consulting", incorporated=date(rng.randint(2016, 2021), rng.randint(1, 12), 1))
    supplier = _supplier(b, rng, "third:supplier", (category,), quiet=(start - timedelta(days=30), start + timedelta(days=60)))
    code = _pick_chpl(b, rng, category)
    shipment, value, currency = b.sale(rng, "third:shipment", supplier, consignee, code, start, (30_000, 400_000))
    paid = b.payment(rng, "third:payment", payer, supplier, value, currency, start + timedelta(days=rng.randint(-20, 25)),
                     f"Payment for {b.label(consignee)}, invoice {rng.randint(1000, 99999)}")
    steps = [
        Step(f"{b.label(supplier)} shipped {_goods_text(b, code)} to {b.label(consignee)} in "
             f"{country_name(consignee_country)} ({shipment}).", [consignee], [shipment], ["chpl-to-risky-destination"]),
        Step(f"The goods were paid for by {b.label(payer)} in {country_name(payer_country)}, which neither received them "
             f"nor owns the buyer ({paid}).", [payer], [paid], ["third-party-payer"]),
        Step("A payer from a third country is how a hidden buyer pays without appearing on the shipping papers.",
             [payer, consignee], [], []),
    ]
    return Planted(
        kind="third-country-payment", title="Payment from a third country",
        description=(f"Goods shipped to {country_name(consignee_country)} are paid for by an unrelated company in "
                     f"{country_name(payer_country)}."),
        entities=[payer, consignee], facts=[paid, shipment], context=[supplier],
        detectors=["third-party-payer", "chpl-to-risky-destination"], steps=steps)


def structuring(b: CaseBuilder, rng: random.Random, options: dict[str, Any]) -> Planted:
    """A CHPL purchase paid in instalments each just below a 10,000 reporting threshold."""
    hub = _hub(rng, options, ("ae", "tr", "hk", "kz", "am", "ge", "rs"))
    start = _window(b, rng)
    buyer = b.company(rng, "structuring:buyer", hub, role="buyer", word="Engineering", sector="Engineering services",
                      categories=("electronics",))
    _local_director(b, rng, "structuring:buyer", buyer, hub, date.fromisoformat(b.prop(buyer, "incorporationDate")))
    supplier = _supplier(b, rng, "structuring:supplier", ("electronics", "instruments"))
    code = _pick_chpl(b, rng, b.parties[supplier].categories[0])
    threshold = float(options.get("threshold", 10_000))
    count = int(options.get("instalments", rng.randint(4, 6)))
    amounts = [round(rng.uniform(threshold * 0.93, threshold * 0.999), 2) for _ in range(count)]
    total = round(sum(amounts), 2)
    _, _, (cheap, dear) = CHPL_GOODS[code]
    quantity = max(1, round(total / ((cheap + dear) / 2)))
    shipment = b.shipment(rng, "structuring:shipment", supplier, buyer, code, start, value=total, currency="USD",
                          quantity=quantity)
    day = start - timedelta(days=rng.randint(5, 12))
    payments = []
    for index, amount in enumerate(amounts):
        payments.append(b.payment(rng, f"structuring:payment:{index}", buyer, b.parties[supplier].id, amount, "USD", day,
                                  f"Partial payment {index + 1} of {count}, order {rng.randint(100, 999)}"))
        day += timedelta(days=rng.randint(2, 6))
    steps = [
        Step(f"{b.label(buyer)} in {country_name(hub)} ordered {_goods_text(b, code)} worth USD {total:,.2f} from "
             f"{b.label(supplier)} ({shipment}).", [buyer], [shipment], ["chpl-to-risky-destination"]),
        Step(f"It paid in {count} instalments of USD {min(amounts):,.2f} to {max(amounts):,.2f} within "
             f"{(day - start).days + 12} days, each just under the {threshold:,.0f} reporting threshold.",
             [buyer], payments, ["structuring"]),
    ]
    return Planted(
        kind="structuring", title="Structuring below a threshold",
        description="One purchase split into several payments that each stay just below the reporting threshold.",
        entities=[buyer], facts=[*payments, shipment], context=[supplier],
        detectors=["structuring", "chpl-to-risky-destination"], steps=steps)


def forwarder_consignee(b: CaseBuilder, rng: random.Random, options: dict[str, Any]) -> Planted:
    """A freight forwarder named as consignee of CHPL goods, with no end user declared."""
    hub = _hub(rng, options, ("ae", "tr", "hk", "ge", "am", "kz"))
    start = _window(b, rng)
    free_zone = hub == "ae"
    forwarder = b.company(rng, "forwarder:consignee", hub, role="pattern-forwarder", word="Freight & Logistics",
                          legal_form="FZCO" if free_zone else None, sector="Freight forwarding and logistics",
                          free_zone=free_zone, incorporated=date(rng.randint(2009, 2019), rng.randint(1, 12), 1))
    _local_director(b, rng, "forwarder:consignee", forwarder, hub,
                    date.fromisoformat(b.prop(forwarder, "incorporationDate")))
    supplier = _supplier(b, rng, "forwarder:supplier", ("electronics", "computing"))
    code = _pick_chpl(b, rng, b.parties[supplier].categories[0], ("1", "2", "3"))
    shipment, value, currency = b.sale(rng, "forwarder:shipment", supplier, forwarder, code, start, (25_000, 300_000))
    flags = ["intermediary-as-consignee", "chpl-to-risky-destination"] + (["free-trade-zone-consignee"] if free_zone else [])
    steps = [
        Step(f"{b.label(supplier)} shipped {_goods_text(b, code)} to {b.label(forwarder)} in {country_name(hub)}"
             f"{', in a free zone' if free_zone else ''} ({shipment}).", [forwarder], [shipment],
             ["chpl-to-risky-destination"] + (["free-trade-zone-consignee"] if free_zone else [])),
        Step(f"{b.label(forwarder)} is a freight forwarder: it moves goods, it does not use them. No end user is "
             "declared, so nobody on paper is the real buyer.", [forwarder], [shipment], ["intermediary-as-consignee"]),
    ]
    return Planted(
        kind="forwarder-consignee", title="A forwarder as consignee",
        description=f"A freight forwarder in {country_name(hub)} receives high-priority goods in its own name.",
        entities=[forwarder], facts=[shipment], context=[supplier], detectors=flags, steps=steps)


def falsified_end_use(b: CaseBuilder, rng: random.Random, options: dict[str, Any]) -> Planted:
    """An end-use certificate the shipment contradicts (another end user) or the goods' next move does."""
    variant = options.get("variant") or rng.choice(("end-user", "re-export"))
    hub = _hub(rng, options, ("ae", "tr", "hk", "kz", "am", "ge", "rs"))
    start = _window(b, rng)
    consignee = b.company(rng, "eud:consignee", hub, role="consignee", word="Technology Solutions",
                          sector="Supply of electronic components", categories=("electronics",),
                          incorporated=date(rng.randint(2012, 2020), rng.randint(1, 12), 1))
    _local_director(b, rng, "eud:consignee", consignee, hub, date.fromisoformat(b.prop(consignee, "incorporationDate")))
    supplier = _supplier(b, rng, "eud:supplier", ("electronics", "instruments"))
    category = b.parties[supplier].categories[0]
    code = _pick_chpl(b, rng, category, ("1", "2", "3", "4"))
    shipment, value, currency = b.sale(rng, "eud:shipment", supplier, consignee, code, start, (30_000, 300_000))
    paid = b.payment(rng, "eud:payment", consignee, supplier, value, currency, start + timedelta(days=rng.randint(-10, 30)),
                     f"Invoice {rng.randint(10000, 99999)}")
    issued = start - timedelta(days=rng.randint(10, 40))
    if variant == "end-user":
        university = b.company(rng, "eud:university", hub, role="victim", schema="Organization",
                               word=rng.choice(("Technical University", "Institute of Applied Physics",
                                                "University of Science and Technology")),
                               legal_form="", sector="Higher education and research")
        document = b.add("documents", "EndUseDocument", "eud:document", {
            "documentNumber": f"{''.join(w[0] for w in b.label(university).split()[:3]).upper()}-EUC-{issued.year}-"
                              f"{rng.randint(1, 999):03d}",
            "issuer": university, "statedEndUser": university, "destinationCountry": hub, "date": issued,
            "endUse": "teaching and research in the university's electronics laboratory",
            "coveredShipment": shipment,
            "description": "Certifies that the goods are for the university's own laboratory and will not be re-exported.",
        })
        steps = [
            Step(f"{b.label(supplier)} shipped {_goods_text(b, code)} to {b.label(consignee)} in {country_name(hub)} "
                 f"({shipment}).", [consignee], [shipment], ["chpl-to-risky-destination"]),
            Step(f"The end-use certificate {b.prop(document, 'documentNumber')} names {b.label(university)} as end user, "
                 f"but the goods were consigned to {b.label(consignee)}, which the certificate does not mention: the "
                 "university's name was borrowed.", [consignee], [document, shipment], ["end-use-document-mismatch"]),
        ]
        return Planted(
            kind="falsified-end-use", variant=variant, title="Falsified end-use document",
            description="An end-use certificate naming a respectable university covers goods consigned to someone else.",
            entities=[consignee], facts=[document, shipment], context=[supplier, university, paid],
            detectors=["end-use-document-mismatch", "chpl-to-risky-destination"], steps=steps)
    destination = options.get("destination") or rng.choice(("ru", "by"))
    buyer = b.company(rng, "eud:onward-buyer", destination, role="restricted-buyer", word="",
                      sector="Radio-electronic equipment manufacturing", categories=("electronics",))
    document = b.add("documents", "EndUseDocument", "eud:document", {
        "documentNumber": f"{slug(b.label(consignee))[:4].upper()}-EUC-{issued.year}-{rng.randint(1, 999):03d}",
        "issuer": consignee, "statedEndUser": consignee, "destinationCountry": hub, "date": issued,
        "endUse": "in-house testing laboratory", "coveredShipment": shipment,
        "description": "Declares that the goods will remain in the country of destination and not be re-exported.",
    })
    arrived = b.arrival(shipment)
    gap = rng.randint(5, 25)
    onward = b.shipment(rng, "eud:onward", consignee, buyer, code, arrived + timedelta(days=gap),
                        value=round(value * rng.uniform(1.3, 1.8), 2), currency=currency,
                        quantity=b.prop(shipment, "quantity"), destination=destination, transit_days=rng.randint(7, 15))
    paid_onward = b.payment(rng, "eud:onward-payment", buyer, consignee, float(b.prop(onward, "amount")), currency,
                            arrived + timedelta(days=gap + rng.randint(2, 25)), f"Contract {rng.randint(10, 99)}")
    steps = [
        Step(f"{b.label(consignee)} certified in {b.prop(document, 'documentNumber')} that the {_goods_text(b, code)} "
             f"would stay in {country_name(hub)} for its own laboratory.", [consignee], [document, shipment], []),
        Step(f"{gap} days after they arrived it shipped the same goods to {b.label(buyer)} in "
             f"{country_name(destination)} ({onward}).", [consignee, buyer], [onward],
             ["end-use-document-mismatch", "transshipment-reexport", "chpl-to-risky-destination"]),
    ]
    return Planted(
        kind="falsified-end-use", variant=variant, title="Falsified end-use document",
        description="An end-use statement that the goods will stay put, broken within weeks by a re-export.",
        entities=[consignee, buyer], facts=[document, shipment, onward], context=[supplier, paid, paid_onward],
        detectors=["end-use-document-mismatch", "transshipment-reexport", "chpl-to-risky-destination"], steps=steps)


SANCTION_AUTHORITIES = {
    "ru": ("US Department of the Treasury, Office of Foreign Assets Control", "RUSSIA-EO14024"),
    "by": ("Council of the European Union", "EU Regulation 765/2006 (Belarus)"),
    "ir": ("US Department of the Treasury, Office of Foreign Assets Control", "NPWMD"),
}


def listed_two_hops(b: CaseBuilder, rng: random.Random, options: dict[str, Any]) -> Planted:
    """A sanctioned party two links away from a declared end user, through a shared director or a holding."""
    variant = options.get("variant") or rng.choice(("shared-director", "ownership"))
    listed_country = options.get("listed_country") or rng.choice(restricted_countries())
    hub = _hub(rng, options, ("am", "ge", "kz", "kg", "rs", "tr", "ae", "uz"))
    start = _window(b, rng)
    stem = b.stem(rng, COUNTRIES[listed_country][0])
    name = {"ru": f"{stem} Research Institute of Radio Engineering",
            "by": f"{stem} Scientific Production Association",
            "ir": f"{stem} Electronic Industries"}[listed_country]
    listed = b.company(rng, "listed:party", listed_country, role="listed", schema="Organization", name=name,
                       stem=stem, legal_form="", sector="Radar and radio-electronic systems", family="sanctions",
                       topics=["sanction"], website=False, phone=False,
                       description="Develops radar and electronic-warfare systems (fictional).")
    authority, program = SANCTION_AUTHORITIES[listed_country]
    since = INVASION_DATE + timedelta(days=rng.randint(60, 400)) if listed_country != "ir" else date(2019, 11, 4)
    sanction = b.add("sanctions", "Sanction", "listed:sanction", {
        "entity": listed, "authority": authority, "program": program, "country": "us" if "Treasury" in authority else None,
        "listingDate": since, "startDate": since,
        "reason": "Involved in the development of military electronics.",
        "summary": "Fictional listing generated for a Workbench training case.",
    })
    end_user = b.company(rng, "listed:end-user", hub, role="end-user", word=rng.choice(("Automation", "Telecom")),
                         sector=rng.choice(("Industrial automation", "Telecommunications equipment")),
                         categories=("electronics",), incorporated=date(rng.randint(2013, 2020), rng.randint(1, 12), 1))
    supplier = _supplier(b, rng, "listed:supplier", ("electronics", "computing"))
    code = _pick_chpl(b, rng, b.parties[supplier].categories[0], ("1", "2"))
    shipment, value, currency = b.sale(rng, "listed:shipment", supplier, end_user, code, start, (30_000, 250_000))
    paid = b.payment(rng, "listed:payment", end_user, supplier, value, currency, start + timedelta(days=rng.randint(0, 30)),
                     f"Invoice {rng.randint(10000, 99999)}")
    founded = date.fromisoformat(b.prop(end_user, "incorporationDate"))
    first_step = Step(f"{b.label(supplier)} shipped {_goods_text(b, code)} to {b.label(end_user)} in "
                      f"{country_name(hub)}, which declared itself the end user ({shipment}).",
                      [end_user], [shipment], ["chpl-to-risky-destination"])
    listing = Step(f"{b.label(listed)} is on a sanctions list ({authority}, {program}, since {iso_day(since)}).",
                   [listed], [sanction], [])
    if variant == "shared-director":
        intermediary = b.person(rng, "listed:director", listed_country, position="Deputy Director General")
        boards = [b.directorship("listed:board-listed", intermediary, listed, date(2015, 3, 1), role="Deputy Director General"),
                  b.directorship("listed:board-end-user", intermediary, end_user, founded, role="Director")]
        b.ownership("listed:end-user-owner", intermediary, end_user, 100, founded)
        steps = [first_step, Step(f"Its director, {b.label(intermediary)}, is also Deputy Director General of "
                                  f"{b.label(listed)}.", [end_user, intermediary, listed], boards,
                                  ["shared-identifier-with-listed", "civilian-near-military"]), listing]
        detectors = ["civilian-near-military", "shared-identifier-with-listed", "chpl-to-risky-destination"]
        facts = [*boards, sanction, shipment]
    else:
        _local_director(b, rng, "listed:end-user", end_user, hub, founded, owner_too=False)
        intermediary = b.company(rng, "listed:holding", hub, role="holding", word="Holding",
                                 sector="Activities of holding companies", website=False,
                                 incorporated=founded - timedelta(days=rng.randint(60, 400)))
        share = rng.choice((51, 60, 75))
        boards = [b.ownership("listed:stake-holding", listed, intermediary, share, founded - timedelta(days=30)),
                  b.ownership("listed:stake-end-user", intermediary, end_user, 100, founded)]
        steps = [first_step, Step(f"{b.label(end_user)} is wholly owned by {b.label(intermediary)}, which "
                                  f"{b.label(listed)} owns {share}% of: under OFAC's 50% rule both count as blocked.",
                                  [end_user, intermediary, listed], boards,
                                  ["ofac-50-percent", "civilian-near-military"]), listing]
        detectors = ["civilian-near-military", "ofac-50-percent", "chpl-to-risky-destination"]
        facts = [*boards, sanction, shipment]
    return Planted(
        kind="listed-two-hops", variant=variant, title="A listed party two hops away",
        description=(f"The declared end user looks clean, but one link further sits a party sanctioned for military "
                     f"electronics work in {country_name(listed_country)}."),
        entities=[end_user, intermediary, listed], facts=facts, context=[supplier, paid],
        detectors=detectors, steps=steps)


#: The planted patterns: kind -> function(builder, rng, options) returning its answer.
PATTERNS: dict[str, Callable[[CaseBuilder, random.Random, dict[str, Any]], Planted]] = {
    "front-company-hub": front_company_hub,
    "layered-ownership": layered_ownership,
    "chpl-reexport": chpl_reexport,
    "third-country-payment": third_country_payment,
    "structuring": structuring,
    "forwarder-consignee": forwarder_consignee,
    "falsified-end-use": falsified_end_use,
    "listed-two-hops": listed_two_hops,
}


# ------------------------------------------------------------------------------------ decoys


def hub_distributor(b: CaseBuilder, rng: random.Random, options: dict[str, Any]) -> Planted:
    """An old, well-documented distributor in a hub buying CHPL goods for its own market."""
    country = options.get("country") or rng.choice(("sg", "tr", "in"))
    start = _window(b, rng)
    distributor = b.company(rng, "decoy:hub-distributor", country, role="decoy", word="Electronics",
                            sector="Distribution of electronic components", categories=("electronics",),
                            incorporated=date(rng.randint(1978, 2002), rng.randint(1, 12), 1))
    _local_director(b, rng, "decoy:hub-distributor", distributor, country,
                    date.fromisoformat(b.prop(distributor, "incorporationDate")))
    supplier = _supplier(b, rng, "decoy:hub-supplier", ("electronics",))
    code = _pick_chpl(b, rng, "electronics", ("3", "4"))
    shipment, value, currency = b.sale(rng, "decoy:hub-shipment", supplier, distributor, code, start, (20_000, 200_000))
    paid = b.payment(rng, "decoy:hub-payment", distributor, supplier, value, currency,
                     start + timedelta(days=rng.randint(0, 30)), f"Invoice {rng.randint(10000, 99999)}")
    document = b.add("documents", "EndUseDocument", "decoy:hub-eud", {
        "documentNumber": f"EUC-{start.year}-{rng.randint(100, 999)}", "issuer": distributor,
        "statedEndUser": distributor, "destinationCountry": country, "coveredShipment": shipment,
        "date": start - timedelta(days=20), "endUse": "resale to local electronics manufacturers",
    })
    return Planted(
        kind="hub-distributor", title="Decoy: an established distributor in a hub",
        description=(f"{b.label(distributor)} has traded since {b.prop(distributor, 'incorporationDate')[:4]}, has a "
                     "website, a local phone, consistent papers, and the goods stayed where they were declared. "
                     "A CHPL shipment to a hub is a reason to look, not proof."),
        entities=[distributor], facts=[shipment], context=[supplier, paid, document],
        detectors=["chpl-to-risky-destination"], steps=[])


def forwarder_with_end_user(b: CaseBuilder, rng: random.Random, options: dict[str, Any]) -> Planted:
    """A forwarder as consignee, with the real end user declared on the shipment."""
    country = options.get("country") or rng.choice(("nl", "de", "be"))
    start = _window(b, rng)
    forwarder = b.company(rng, "decoy:forwarder", country, role="decoy", word="Logistics",
                          sector="Freight forwarding and logistics")
    _local_director(b, rng, "decoy:forwarder", forwarder, country, date.fromisoformat(b.prop(forwarder, "incorporationDate")))
    hospital = b.company(rng, "decoy:hospital", country, role="decoy", word="Medical Systems",
                         sector="Medical equipment", categories=("electronics", "instruments"))
    supplier = _supplier(b, rng, "decoy:forwarder-supplier", ("instruments", "electronics"))
    code = _pick_chpl(b, rng, b.parties[supplier].categories[0])
    shipment, value, currency = b.sale(rng, "decoy:forwarder-shipment", supplier, forwarder, code, start,
                                       (15_000, 150_000), declared_end_user=hospital)
    paid = b.payment(rng, "decoy:forwarder-payment", hospital, supplier, value, currency,
                     start + timedelta(days=rng.randint(0, 30)), f"Invoice {rng.randint(10000, 99999)}")
    return Planted(
        kind="forwarder-with-end-user", title="Decoy: a forwarder with a declared end user",
        description=(f"{b.label(forwarder)} is consignee, but the shipment declares {b.label(hospital)} as end user, "
                     "and the end user paid: a forwarder clearing goods for a named customer is ordinary business."),
        entities=[forwarder], facts=[shipment], context=[supplier, hospital, paid],
        detectors=["intermediary-as-consignee"], steps=[])


def offshore_family_holding(b: CaseBuilder, rng: random.Random, options: dict[str, Any]) -> Planted:
    """A family business held through one disclosed offshore holding."""
    country = options.get("country") or rng.choice(("gb", "de", "nl"))
    haven = options.get("haven") or rng.choice(("bs", "pa"))
    company = b.company(rng, "decoy:family-company", country, role="decoy", word="Furniture",
                        sector="Manufacture of furniture", categories=("furniture",))
    founded = date.fromisoformat(b.prop(company, "incorporationDate"))
    owner = b.person(rng, "decoy:family-owner", country)
    holding = b.company(rng, "decoy:family-holding", haven, role="decoy", word="Family Holdings", website=False,
                        phone=False, incorporated=founded + timedelta(days=3650))
    stakes = [b.ownership("decoy:family-stake", owner, holding, 100, founded + timedelta(days=3650)),
              b.ownership("decoy:family-holding-stake", holding, company, 100, founded + timedelta(days=3660))]
    b.directorship("decoy:family-director", owner, company, founded)
    return Planted(
        kind="offshore-family-holding", title="Decoy: a disclosed offshore family holding",
        description=(f"{b.label(company)} is held by its founder through {b.label(holding)} in "
                     f"{country_name(haven)}: one layer, the owner on record, a furniture maker with no controlled goods."),
        entities=[holding], facts=stakes, context=[company, owner], detectors=["opaque-ownership"], steps=[])


#: Legitimate look-alikes: a detector fires, the answer is "innocent".
DECOYS: dict[str, Callable[[CaseBuilder, random.Random, dict[str, Any]], Planted]] = {
    "hub-distributor": hub_distributor,
    "forwarder-with-end-user": forwarder_with_end_user,
    "offshore-family-holding": offshore_family_holding,
}
