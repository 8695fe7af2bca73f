"""The red-flag detectors: speed on a large mixed case, and quality on AMLSim-shaped data.

    python tests/benchmarks/bench_detectors.py [--part speed|quality|both] [--accounts 20000]
                                               [--payments 120000] [--seed 1]
    python tests/benchmarks/bench_detectors.py --amlsim DIR [DIR ...] [--detectors id,id]

AMLSim (``--amlsim``): each DIR is an AMLSim output folder, as IBM published them
(``nodes.csv``: nodeid,isFraud,...; ``transactions.csv``: sourceNodeId,targetNodeId,value,time)
or as newer AMLSim versions write them (``accounts.csv`` with an SAR/fraud flag per account;
``transactions.csv`` or ``tx.csv`` with payer, payee, amount and step). The transfers are
imported into a temporary case through the mapped-table importer (accounts as LegalEntity named
after their number, each row one Payment, step N = 2024-01-01 plus N days); then all detectors
run with their default settings in one run (as ``workbench detect`` does), timed, and each
detector alone, timed, with a baseline measured in the same run (one pass reading every payment).
Accounts named in a detector's findings are scored against the accounts AMLSim labelled:
precision and recall by account per detector and for the whole run. Nothing is tuned here.

Speed (issue 6 goal: all built-in detectors in under 30 s on 20,000 accounts and 120,000
payments). The case is the demo network plus ``--accounts`` generated parties (companies and
people with countries, addresses, phones, e-mails, websites, sectors, incorporation dates),
150 listed parties with their sanctions and look-alikes among the parties, ownership (with
layered chains through secrecy jurisdictions, circles and listed owners), directorships (with
nominee directors), bank accounts, shipments (CHPL goods, transshipment through third
countries, forwarders, end-use documents) and ``--payments`` payments (AMLSim-like background
and typologies, trade payments for shipments, structuring and cash). It is ingested with
``Case.ingest``; then, in the same run, the baselines: building the case graph
(``case_graph``, cold) and one pass reading every payment (``case.entities("Payment")``); then
each detector alone (``run_detectors(case, [id])``, which includes storing its findings).

Quality (goal: recall 0.9 and precision 0.8 of flagged accounts on cycles and fan-ins): an
AMLSim-shaped tx.csv (``generate_transactions`` in tests/plugins/test_detectors_amlsim.py) with
``--accounts`` accounts, about ``--payments`` background transfers and planted cycles, fan-ins,
fan-outs and scatter-gathers, imported through the mapped-table importer; the payment-pattern
detectors run with their defaults and with a few parameter variants, and each flagged account
is checked against the planted typologies.

Figures only: nothing here asserts a time or a score.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import random
import resource
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

import networkx as nx
import phonenumbers

from workbench.analysis.graph import case_graph
from workbench.demo import build_demo_case
from workbench.detecting import available_detectors, run_detectors
from workbench.importing import import_file
from workbench.model import Record, SourceInfo, parse_grade
from workbench.reference import chpl_tiers
from workbench.store import Case

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))
# The generator and the scoring the tests use.
from test_detectors_amlsim import (
    DATED_TX_MAPPING,
    INTENDED,
    PAYMENT_PATTERN_DETECTORS,
    account_names,
    day_of,
    generate_transactions,
    import_planted,
    quality,
)

# ----------------------------------------------------------------------------- a mixed case

COUNTRIES = {"de": 12, "us": 12, "cn": 10, "hk": 5, "ae": 5, "tr": 5, "gb": 5, "fr": 5, "jp": 4, "in": 4, "ru": 4,
             "it": 3, "nl": 3, "sg": 3, "kz": 2, "am": 2, "ge": 2, "kg": 2, "ch": 2, "cy": 2, "by": 1, "ir": 1,
             "vg": 1, "sc": 1}
LEGAL_FORMS = {"de": "GmbH", "us": "LLC", "cn": "Co., Ltd.", "hk": "Limited", "ae": "FZE", "tr": "A.S.",
               "gb": "Ltd", "fr": "SARL", "jp": "K.K.", "in": "Pvt Ltd", "ru": "OOO", "it": "S.r.l.", "nl": "B.V.",
               "sg": "Pte Ltd", "kz": "TOO", "am": "LLC", "ge": "LLC", "kg": "OsOO", "ch": "AG", "cy": "Ltd",
               "by": "OOO", "ir": "PJS", "vg": "Ltd", "sc": "Ltd"}
CITIES = {"de": "Stuttgart", "us": "Houston", "cn": "Shenzhen", "hk": "Hong Kong", "ae": "Dubai", "tr": "Istanbul",
          "gb": "London", "fr": "Lyon", "jp": "Osaka", "in": "Pune", "ru": "Moscow", "it": "Milan",
          "nl": "Eindhoven", "sg": "Singapore", "kz": "Almaty", "am": "Yerevan", "ge": "Tbilisi", "kg": "Bishkek",
          "ch": "Zug", "cy": "Limassol", "by": "Minsk", "ir": "Tehran", "vg": "Road Town", "sc": "Victoria"}
SYLLABLES = ["vel", "tra", "nor", "ka", "lum", "bri", "sen", "dor", "ax", "mer", "qua", "zel", "tor", "vin", "os",
             "ra", "tek", "pol", "gar", "ion", "sta", "mi", "ber", "lo", "den", "ur", "fa", "cor", "hel", "ris"]
# Business words, the sector they imply, and whether such firms export goods.
BUSINESSES = [("Electronics", "Electronic components distribution", True),
              ("Components", "Electronic components distribution", True),
              ("Systems", "Industrial automation systems", True), ("Machinery", "Machine tools", True),
              ("Trading", "General trading", False), ("Logistics", "Freight forwarding and logistics", False),
              ("Foods", "Food processing", False), ("Bakery", "Bakery", False), ("Textiles", "Textiles", False),
              ("Holdings", "Holding company", False), ("Engineering", "Engineering services", False),
              ("Software", "Software development", False)]
FIRST_NAMES = ["Anna", "Omar", "Li", "Maria", "Ivan", "Sofia", "Ahmet", "John", "Yuki", "Ravi", "Elena", "Hans",
               "Fatima", "Chen", "Olga", "Pierre", "Aisha", "David", "Mehmet", "Sara", "Kenji", "Nadia", "Paolo",
               "Zhang", "Irina", "Tomas", "Leyla", "Arjun", "Marta", "Sergei"]
LAST_NAMES = ["Muller", "Hassan", "Wang", "Rossi", "Petrov", "Yilmaz", "Smith", "Tanaka", "Sharma", "Novak",
              "Schmidt", "Khan", "Liu", "Ivanova", "Dubois", "Aliyev", "Cohen", "Demir", "Garcia", "Sato", "Haddad",
              "Bianchi", "Chen", "Sokolov", "Weber", "Kaya", "Gupta", "Fischer", "Popescu", "Kim", "Nazarov",
              "Lopez", "Suzuki", "Moreau", "Volkov", "Ozturk", "Park", "Jansen", "Brown", "Kuznetsov"]
ORDINARY_HS = ["020130", "090111", "610910", "640399", "870323", "940360", "300490", "392690", "730890", "847989",
               "220421", "482010", "691110", "950300", "330499"]
HIGH_RISK = ["ru", "by", "ir"]
TRANSIT = ["ae", "tr", "kz", "am", "ge", "kg", "hk"]


def _phone(rng: random.Random, country: str) -> str | None:
    example = phonenumbers.example_number_for_type(country.upper(), phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        return None
    digits = str(example.national_number)
    example.national_number = int(digits[:-4] + f"{rng.randrange(10_000):04d}")
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)


def _stem(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _company(rng, entity_id, country, *, business=None, name=None, **extra) -> dict:
    word, sector, _ = business or rng.choice(BUSINESSES)
    name = name or f"{_stem(rng)} {word} {LEGAL_FORMS[country]}"
    properties = {"name": [name], "country": [country], "sector": [sector],
                  "address": [f"{rng.randint(1, 400)} {_stem(rng)} Street, {CITIES[country]}"],
                  "incorporationDate": [f"{rng.randint(1985, 2021)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"]}
    properties.update({key: value if isinstance(value, list) else [value] for key, value in extra.items()})
    return {"id": entity_id, "schema": "Company", "properties": properties}


def build_mixed_case(case: Case, accounts: int, payments: int, seed: int) -> dict[str, int]:
    """Ingest the generated parties, links, goods and money into ``case`` (which holds the demo)."""
    rng = random.Random(seed)

    def scaled(count: int) -> int:  # the sizes below are for 20,000 accounts
        return max(3, round(count * accounts / 20_000))

    countries = rng.choices(list(COUNTRIES), weights=list(COUNTRIES.values()), k=accounts)
    entities: list[dict] = []
    party = [f"acct-{n:05d}" for n in range(accounts)]
    companies, persons, exporters, forwarders, by_country = [], [], [], [], defaultdict(list)

    # --- parties
    mass_addresses = [f"Suite {rng.randint(100, 999)}, {rng.randint(1, 99)} Harbour Road, {CITIES[c]}"
                      for c in ("hk", "ae", "vg", "sc", "cy", "gb", "hk", "ae", "cy", "sc")]
    for n, country in enumerate(countries):
        if rng.random() < 0.25:
            properties = {"name": [f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"], "nationality": [country]}
            if rng.random() < 0.3:
                properties["email"] = [f"p{n}@{rng.choice(['gmail.com', 'outlook.com', 'mail.example'])}"]
            entities.append({"id": party[n], "schema": "Person", "properties": properties})
            persons.append(party[n])
            continue
        business = rng.choice(BUSINESSES)
        slug = f"firm{n}"
        extra: dict = {}
        if rng.random() < 0.6:
            phone_country = country if rng.random() < 0.95 else rng.choice(list(COUNTRIES))
            phone = _phone(rng, phone_country)
            if phone:
                extra["phone"] = phone
        if rng.random() < 0.7:
            webmail = rng.random() < 0.12
            extra["email"] = f"{slug}@{rng.choice(['gmail.com', 'mail.ru', 'outlook.com'])}" if webmail else \
                f"info@{slug}.example"
            if not webmail and rng.random() < 0.8:
                extra["website"] = f"https://{slug}.example/"
        entity = _company(rng, party[n], country, business=business, **extra)
        if rng.random() < 0.004:
            entity["properties"]["address"] = [rng.choice(mass_addresses)]
        if rng.random() < 0.04:  # recently formed
            entity["properties"]["incorporationDate"] = [f"2022-{rng.randint(3, 12):02d}-{rng.randint(1, 28):02d}"]
        entities.append(entity)
        companies.append(party[n])
        by_country[country].append(party[n])
        if business[2] and country in ("de", "us", "jp", "fr", "gb", "it", "nl", "ch", "cn"):
            exporters.append(party[n])
        if business[0] == "Logistics":
            forwarders.append(party[n])
    for n in range(30):  # defence parties, for the civilian-near-military rule
        entities.append(_company(rng, f"mil-{n:02d}", rng.choice(["ru", "by", "ir", "cn"]),
                                 business=("Defence", "Defence research and military electronics", False),
                                 name=f"{_stem(rng)} Defence Systems Plant"))

    # --- listed parties, their sanctions, look-alikes and parties sharing their details
    listed = []
    for n in range(150):
        listed_id, country = f"listed-{n:03d}", rng.choice(["ru", "by", "ir", "cn", "kp"])
        if n < 100:
            entity = _company(rng, listed_id, country if country in LEGAL_FORMS else "ru", topics="sanction",
                              phone=_phone(rng, "ru") or "+74955550100")
        else:
            entity = {"id": listed_id, "schema": "Person", "properties": {
                "name": [f"{rng.choice(FIRST_NAMES)} {_stem(rng)}ov"], "nationality": [country], "topics": ["sanction"],
                "birthDate": [f"19{rng.randint(50, 85)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"]}}
        entities.append(entity)
        entities.append({"id": f"sanction-{n:03d}", "schema": "Sanction", "properties": {
            "entity": [listed_id], "authority": ["OFAC"], "program": ["RUSSIA-EO14024"], "startDate": ["2022-06-28"]}})
        listed.append(entity)
    by_id = {e["id"]: e for e in entities}
    for lookalike, original in zip(rng.sample(companies, 40), rng.sample(listed[:100], 40)):
        by_id[lookalike]["properties"]["name"] = [original["properties"]["name"][0].replace(" ", "  ", 1)
                                                   .replace("OOO", "LLC")]
    for sharer, original in zip(rng.sample(companies, 20), rng.sample(listed[:100], 20)):
        by_id[sharer]["properties"]["phone"] = original["properties"].get("phone", [])
        by_id[sharer]["properties"]["address"] = original["properties"]["address"]

    # --- ownership, directorships, bank accounts
    def own(owner, asset, percentage):
        entities.append({"id": f"own-{len(entities)}", "schema": "Ownership",
                         "properties": {"owner": [owner], "asset": [asset], "percentage": [str(percentage)]}})

    for _ in range(scaled(4000)):
        own(rng.choice(companies + persons), rng.choice(companies), rng.choice([10, 25, 33, 50, 51, 75, 100]))
    for listed_owner in rng.sample(listed, scaled(30)):  # OFAC 50% rule
        own(listed_owner["id"], rng.choice(companies), rng.choice([50, 60, 100]))
    for _ in range(scaled(30)):  # layers through secrecy jurisdictions
        chain = [rng.choice(persons)] + [rng.choice(by_country[c]) for c in rng.sample(["vg", "sc", "cy", "ae"], 3)]
        for owner, asset in zip(chain, chain[1:] + [rng.choice(companies)]):
            own(owner, asset, 100)
    for _ in range(scaled(10)):  # companies owning each other in a circle
        circle = rng.sample(companies, 3)
        for owner, asset in zip(circle, circle[1:] + circle[:1]):
            own(owner, asset, 40)
    nominees = rng.sample(persons, 20)
    boards = [(rng.choice(persons), rng.choice(companies)) for _ in range(scaled(6000))]
    boards += [(nominee, rng.choice(companies)) for nominee in nominees for _ in range(rng.randint(10, 30))]
    for listed_company in listed[:20]:  # a director shared with a listed company
        director = rng.choice(persons)
        boards += [(director, listed_company["id"]), (director, rng.choice(companies))]
    for director, organization in boards:
        entities.append({"id": f"dir-{len(entities)}", "schema": "Directorship",
                         "properties": {"director": [director], "organization": [organization]}})
    account_of = {}
    for holder in rng.sample(companies, scaled(3000)):
        account = f"bank-{holder}"
        bank = "Al Noor Exchange House" if rng.random() < 0.02 else f"{_stem(rng)} Bank"
        entities.append({"id": account, "schema": "BankAccount", "properties": {
            "name": [f"{by_id[holder]['properties']['name'][0]} - current account"], "bankName": [bank],
            "country": by_id[holder]["properties"]["country"]}})
        own(holder, account, 100)
        account_of[holder] = account

    # --- shipments and end-use documents (2017, the year of the payments)
    chpl = sorted(chpl_tiers())
    shipments = []

    def ship(exporter, consignee, hs, start, destination, **extra):
        day_end = start + rng.randint(3, 30)
        properties = {"exporter": [exporter], "consignee": [consignee], "hsCode": [hs],
                      "startDate": [day_of(start)], "endDate": [day_of(day_end)],
                      "amount": [f"{max(500.0, rng.lognormvariate(math.log(40_000), 1.0)):.2f}"],
                      "currency": [rng.choice(["USD", "EUR"])], "destinationCountry": [destination],
                      "originCountry": by_id[exporter]["properties"]["country"]}
        properties.update({key: value if isinstance(value, list) else [value] for key, value in extra.items()})
        entity = {"id": f"shp-{len(shipments):05d}", "schema": "Shipment", "properties": properties}
        entities.append(entity)
        shipments.append((entity, day_end))
        return entity, day_end

    for _ in range(scaled(8000)):
        exporter, consignee = rng.choice(exporters), rng.choice(companies)
        extra = {}
        if rng.random() < 0.6:
            extra["declaredEndUser"] = consignee if rng.random() < 0.95 else rng.choice(companies)
        if rng.random() < 0.2:
            extra["forwarder"] = rng.choice(forwarders)
        if rng.random() < 0.1:
            extra["notifyParty"] = rng.choice(companies)
        if rng.random() < 0.1:
            extra["transitCountries"] = rng.choice(TRANSIT)
        if rng.random() < 0.01:
            extra["declaredEndUser"] = f"mil-{rng.randrange(30):02d}"
        ship(exporter, consignee, rng.choice(chpl) if rng.random() < 0.35 else rng.choice(ORDINARY_HS),
             rng.randrange(330), by_id[consignee]["properties"]["country"][0], **extra)
    for _ in range(scaled(150)):  # imported into a third country, re-exported to a restricted one
        hub = rng.choice([c for t in TRANSIT for c in by_country[t]])
        hs = rng.choice(chpl)
        _, arrived = ship(rng.choice(exporters), hub, hs, rng.randrange(300),
                                 by_id[hub]["properties"]["country"][0])
        buyer = rng.choice([c for h in HIGH_RISK for c in by_country[h]])
        ship(hub, buyer, hs, min(364, arrived + rng.randint(3, 25)), by_id[buyer]["properties"]["country"][0])
    for n, (shipment, _) in enumerate(rng.sample(shipments, scaled(500))):
        consignee = shipment["properties"]["consignee"][0]
        stated = consignee if rng.random() < 0.9 else rng.choice(companies)
        destination = by_id[consignee]["properties"]["country"] if rng.random() < 0.9 else [rng.choice(TRANSIT)]
        entities.append({"id": f"eud-{n:04d}", "schema": "EndUseDocument", "properties": {
            "coveredShipment": [shipment["id"]], "issuer": [stated], "statedEndUser": [stated],
            "destinationCountry": destination, "endUse": ["civilian use"],
            "date": shipment["properties"]["startDate"]}})

    # --- payments: trade payments for shipments, structuring, then AMLSim-like transfers
    trade = []
    for shipment, _ in shipments:
        if rng.random() > 0.6:
            continue
        properties = shipment["properties"]
        payer = properties["consignee"][0] if rng.random() < 0.95 else rng.choice(companies)
        start = int(properties["startDate"][0][8:10]) + 31 * (int(properties["startDate"][0][5:7]) - 1)
        payment = {"payer": [payer], "beneficiary": properties["exporter"],
                   "amount": [f"{float(properties['amount'][0]) * rng.uniform(0.95, 1.0):.2f}"],
                   "currency": properties["currency"], "date": [day_of(max(0, min(364, start + rng.randint(-30, 30))))],
                   "purpose": [f"Invoice {rng.randint(1000, 9999)}" if rng.random() > 0.01 else "cash payment"]}
        if payer in account_of:
            payment["payerAccount"] = [account_of[payer]]
        trade.append(payment)
    for _ in range(scaled(60)):
        payer, payee, start = rng.choice(companies), rng.choice(companies), rng.randrange(340)
        for _ in range(rng.randint(3, 5)):
            trade.append({"payer": [payer], "beneficiary": [payee], "amount": [f"{rng.uniform(9000, 9990):.2f}"],
                          "currency": ["USD"], "date": [day_of(start + rng.randrange(20))], "purpose": ["Services"]})
    transfers = generate_transactions(accounts, payments - len(trade), cycles=scaled(100), fan_ins=scaled(100),
                                      fan_outs=scaled(50), scatter_gathers=scaled(50), seed=seed)
    for txn, payer, payee, kind, amount, step, _ in transfers.rows:
        trade.append({"payer": [party[payer]], "beneficiary": [party[payee]], "amount": [f"{amount:.2f}"],
                      "currency": ["USD"], "date": [day_of(step)], "purpose": [kind]})
    for n, properties in enumerate(trade[:payments]):
        entities.append({"id": f"pay-{n:06d}", "schema": "Payment", "properties": properties})

    source = SourceInfo(file_name="generated.ftm.json", importer_id="bench", importer_version="1",
                        grade=parse_grade("B2"))
    case.ingest((Record(e, locator=f"generated row {n + 1}") for n, e in enumerate(entities)), source)
    return dict(Counter(e["schema"] for e in entities))


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (detectors run in a worker
    process): on a machine shared with other work, the time the run itself took."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(label: str, work):
    started, started_cpu = time.perf_counter(), _cpu()
    result = work()
    wall, cpu = time.perf_counter() - started, _cpu() - started_cpu
    print(f"  {label:<44} {wall:8.2f} s  (CPU {cpu:7.2f} s)", flush=True)
    return result, wall, cpu


def speed(args, folder: Path) -> None:
    print(f"== speed: all built-in detectors on the demo plus {args.accounts:,} accounts and "
          f"{args.payments:,} payments", flush=True)
    case = build_demo_case(folder / "mixed.wbcase")
    counts, _, _ = timed("generate and ingest (not part of the goal)",
                      lambda: build_mixed_case(case, args.accounts, args.payments, args.seed))
    print("  entities generated: " + ", ".join(f"{schema} {n:,}" for schema, n in sorted(counts.items())))
    print("  in the case:        " + ", ".join(f"{schema} {n:,}" for schema, n in sorted(case.counts_by_schema().items())))
    graph, graph_seconds, _ = timed("baseline: case_graph (cold)", lambda: case_graph(case))
    print(f"    graph: {graph.number_of_nodes():,} nodes, {graph.number_of_edges():,} links")
    read, read_seconds, _ = timed("baseline: read every payment once", lambda: sum(1 for _ in case.entities("Payment")))
    print(f"    payments read: {read:,}")
    per_detector = {}
    for detector in available_detectors():
        outcomes, seconds, cpu = timed(detector.id, lambda ids=[detector.id]: run_detectors(case, ids))
        outcome = outcomes[0]
        per_detector[detector.id] = (seconds, cpu, outcome.findings, outcome.error)
    total = sum(seconds for seconds, _, _, _ in per_detector.values())
    total_cpu = sum(cpu for _, cpu, _, _ in per_detector.values())
    print()
    print(f"  {'detector':<28} {'seconds':>8} {'CPU s':>7} {'x graph':>8} {'x read':>7} {'findings':>9}")
    for detector_id, (seconds, cpu, findings, error) in sorted(per_detector.items(), key=lambda item: -item[1][0]):
        note = f"  ERROR {error}" if error else ""
        print(f"  {detector_id:<28} {seconds:8.2f} {cpu:7.2f} {seconds / graph_seconds:8.1f}"
              f" {seconds / read_seconds:7.1f} {findings:9,}{note}")
    print(f"  {'all ' + str(len(per_detector)) + ' detectors':<28} {total:8.2f} {total_cpu:7.2f}"
          f" {total / graph_seconds:8.1f} {total / read_seconds:7.1f}"
          f" {sum(f for _, _, f, _ in per_detector.values()):9,}   (goal: < 30 s)")
    silent = sorted(d for d, (_, _, findings, error) in per_detector.items() if not findings and not error)
    print(f"  detectors without findings: {', '.join(silent) or 'none'}")
    case.close()


# ------------------------------------------------------------------------------------ quality

VARIANTS = [
    ("defaults", {}),
    ("circular min_length=3", {"circular-payments": {"min_length": 3}}),
    ("circular amount_tolerance=0.45", {"circular-payments": {"amount_tolerance": 0.45}}),
    ("circular as in version 1.0 (loans repaid with interest count)", {"circular-payments": {"max_return_gain": 1.0}}),
    # What each part of the fan-in detector's defaults contributes, taken away one at a time.
    ("fan-in without the usual-payers check", {"fan-in-fan-out": {"max_usual_share": 1000}}),
    ("fan-in 3 payers", {"fan-in-fan-out": {"min_payers": 3}}),
    ("fan-in 30-day window", {"fan-in-fan-out": {"window_days": 30}}),
    ("fan-in as in version 1.0 (3 payers, 30 days, no history)",
     {"fan-in-fan-out": {"min_payers": 3, "window_days": 30, "max_usual_share": 1000}}),
    ("fan-in min_payers=5", {"fan-in-fan-out": {"min_payers": 5}}),
]


def quality_part(args, folder: Path) -> None:
    print(f"== quality: AMLSim-shaped transactions, {args.accounts:,} accounts, about {args.payments:,} "
          "background transfers", flush=True)
    size = args.accounts / 20_000  # 100 cycles and 100 fan-ins for 20,000 accounts
    data, _, _ = timed("generate", lambda: generate_transactions(
        args.accounts, args.payments, cycles=round(100 * size), margin_cycles=round(50 * size),
        fan_ins=round(100 * size), fan_outs=round(50 * size), scatter_gathers=round(50 * size), seed=args.seed))
    print("  rows by behaviour: " + ", ".join(f"{k} {v:,}" for k, v in sorted(data.counts.items())))
    print("  planted patterns:  " + ", ".join(
        f"{t} {sum(p.typology == t for p in data.patterns)} ({len(data.members(t))} accounts)"
        for t in data.typologies()))
    case = Case.create(folder / "amlsim.wbcase")
    timed("import through the mapped-table importer", lambda: import_planted(case, data, folder))
    for label, overrides in VARIANTS:
        print(f"\n  -- {label} {overrides or ''}")
        detectors = [d for d in PAYMENT_PATTERN_DETECTORS if not overrides or d in overrides]
        timed("run " + ", ".join(detectors),
              lambda ids=detectors, given=overrides: run_detectors(case, ids, overrides=given))
        figures = quality(case, data, detectors)
        print(f"  {'detector':<20} {'findings':>8} {'accounts':>8} {'precision':>9} {'(any)':>6}   "
              f"recall per typology (accounts / whole patterns / hubs)")
        for detector_id in detectors:
            print_row(detector_id, figures, data)
        if label == "defaults":
            print("  goals (recall 0.9, precision 0.8):"
                  f" cycles -> circular-payments recall {figures.recall[('cycle', 'circular-payments')]:.2f},"
                  f" precision {figures.precision['circular-payments']:.2f};"
                  f" fan-ins -> fan-in-fan-out recall {figures.recall[('fan-in', 'fan-in-fan-out')]:.2f},"
                  f" precision {figures.precision['fan-in-fan-out']:.2f}")
        false_positives(case, data, detectors)
    case.close()


def print_row(detector_id: str, figures, data, heading: str = "") -> None:
    recalls = "  ".join(
        f"{t} {figures.recall[(t, detector_id)]:.2f}/{figures.whole[(t, detector_id)]:.2f}"
        + (f"/{figures.hubs[(t, detector_id)]:.2f}" if (t, detector_id) in figures.hubs else "")
        for t in data.typologies())
    if heading:
        print(heading)
    print(f"  {detector_id:<20} {figures.findings[detector_id]:8,} {figures.flagged[detector_id]:8,}"
          f" {figures.precision[detector_id]:9.2f} {figures.precision_any[detector_id]:6.2f}   {recalls}")


def false_positives(case: Case, data, detectors: list[str]) -> None:
    """What the findings with accounts outside the intended typologies are, per detector."""
    names = account_names(case)
    typology_of = {m: p.typology for p in data.patterns for m in p.members}
    role_of = {**{m: "merchant" for m in data.roles.get("merchant", ())},
               **{m: "employer" for m in data.roles.get("employer", ())}}
    for detector_id in detectors:
        kinds: Counter = Counter()
        for finding in case.findings(detector_id=detector_id):
            accounts = [int(names[e]) for e in finding["evidence"]["entities"]]
            intended = INTENDED[detector_id]
            if all(typology_of.get(a) in intended for a in accounts):
                continue
            details = finding["evidence"].get("details", {})
            central = int(names.get(details.get("party"), -1))
            if detector_id == "circular-payments":
                kind = f"{len(accounts)}-party circle"
            elif central in role_of:
                kind = f"central party is a background {role_of[central]}"
            elif typology_of.get(central) in intended:
                kind = "planted pattern plus background parties"
            elif typology_of.get(central):
                kind = f"central party is in a planted {typology_of[central]}"
            else:
                kind = "central party is a background account"
            kinds[kind] += 1
        print(f"  findings with accounts outside {detector_id}'s typologies: "
              + ("; ".join(f"{n} {kind}" for kind, n in kinds.most_common()) or "none"))


# ------------------------------------------------------------------------------------ AMLSim

AMLSIM_BASE_DATE = date(2024, 1, 1)
# Column names of the AMLSim versions seen: IBM's published 2019 samples, then the later layout.
_ACCOUNT_FILES = ("nodes.csv", "accounts.csv")
_ACCOUNT_ID = ("nodeid", "ACCOUNT_ID", "acct_id", "ACCT_ID")
_ACCOUNT_LABEL = ("isFraud", "IS_SAR", "is_sar", "prior_sar_count", "IS_FRAUD")
_TX_FILES = ("transactions.csv", "tx.csv")
_TX_PAYER = ("sourceNodeId", "orig_acct", "ACCOUNT_ID", "nameOrig")
_TX_PAYEE = ("targetNodeId", "bene_acct", "COUNTER_PARTY_ACCOUNT_NUM", "nameDest")
_TX_AMOUNT = ("value", "base_amt", "TXN_AMOUNT_ORIG", "amount")
_TX_STEP = ("time", "tran_timestamp", "start", "step")
_TYPOLOGY_DETECTORS = {"cycle": "circular-payments", "fan-in": "fan-in", "fanin": "fan-in",
                       "fan-out": "fan-out", "fanout": "fan-out"}


def _column(fieldnames, choices, what: str, path: Path) -> str:
    for name in choices:
        if name in fieldnames:
            return name
    raise SystemExit(f"{path}: no {what} column (looked for {', '.join(choices)}; found {', '.join(fieldnames)})")


def _first_file(folder: Path, names) -> Path:
    for name in names:
        if (folder / name).exists():
            return folder / name
    raise SystemExit(f"{folder}: none of {', '.join(names)} found")


def _truthy(value: str) -> bool:
    value = (value or "").strip().lower()
    if value in ("true", "yes", "t", "y"):
        return True
    try:
        return float(value) > 0
    except ValueError:
        return False


def amlsim_labels(folder: Path) -> tuple[set[str], int]:
    """The accounts AMLSim labelled as members of a planted pattern, and how many accounts it has."""
    path = _first_file(folder, _ACCOUNT_FILES)
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        key = _column(reader.fieldnames, _ACCOUNT_ID, "account", path)
        label = _column(reader.fieldnames, _ACCOUNT_LABEL, "label", path)
        rows = list(reader)
    return {row[key] for row in rows if _truthy(row[label])}, len(rows)


def amlsim_as_dated_csv(folder: Path, target: Path) -> tuple[Path, int]:
    """AMLSim's transfers in the mapped-table layout of ``DATED_TX_MAPPING`` (a row id, a date)."""
    path = _first_file(folder, _TX_FILES)
    rows = 0
    with path.open(newline="") as handle, target.open("w", newline="") as out:
        reader = csv.DictReader(handle)
        payer, payee = _column(reader.fieldnames, _TX_PAYER, "payer", path), _column(reader.fieldnames, _TX_PAYEE, "payee", path)
        amount, step = _column(reader.fieldnames, _TX_AMOUNT, "amount", path), _column(reader.fieldnames, _TX_STEP, "step", path)
        writer = csv.writer(out)
        writer.writerow(["TXN_ID", "ACCOUNT_ID", "COUNTER_PARTY_ACCOUNT_NUM", "TXN_SOURCE_TYPE_CODE",
                         "TXN_AMOUNT_ORIG", "DATE"])
        for rows, row in enumerate(reader, start=1):
            day = AMLSIM_BASE_DATE + timedelta(days=int(float(row[step])))
            writer.writerow([rows, row[payer], row[payee], "TRANSFER", row[amount], day.isoformat()])
    return target, rows


def amlsim_typology(folder: Path) -> str | None:
    """Which typology a sample plants, from its metadata.txt ("patterns: 200 cycles") or its name;
    a sample planting several ("200 cycles and 200 fan-in") is scored against each one's detector."""
    text = folder.name.lower()
    if (folder / "metadata.txt").exists():
        text = (folder / "metadata.txt").read_text().lower() + " " + text
    found = [word for word in ("fan-in", "fan-out", "cycle") if word in text or word.replace("-", "") in text]
    return " and ".join(found) or None


def _pattern_payments(folder: Path, labelled: set[str]) -> tuple[set[tuple[str, str]], dict[str, int], int] | None:
    """The planted payments, from AMLSim's own record where the sample keeps one: ``(payer, payee)``
    of each, the step of each labelled account's first planted payment, the sample's last step.

    IBM's 2019 converter (scripts/obsolete/convert_csv.py at the commit that published the 20K
    samples) writes, per labelled account, ``fraudStep``: the step of the first planted payment it
    made, -1 if it made none. The payment is the one it made at that step to a labelled account
    (AMLSim logs it once per active member of the pattern, so it is the most repeated one).
    ``None`` where the sample has no such column (newer layouts).
    """
    path = _first_file(folder, _ACCOUNT_FILES)
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        if "fraudStep" not in (reader.fieldnames or ()):
            return None
        key = _column(reader.fieldnames, _ACCOUNT_ID, "account", path)
        first_step = {row[key]: int(float(row["fraudStep"])) for row in reader if row[key] in labelled}
    path = _first_file(folder, _TX_FILES)
    sent: dict[tuple[str, int], Counter] = defaultdict(Counter)
    last = 0
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        payer, payee = _column(reader.fieldnames, _TX_PAYER, "payer", path), _column(reader.fieldnames, _TX_PAYEE, "payee", path)
        amount, step = _column(reader.fieldnames, _TX_AMOUNT, "amount", path), _column(reader.fieldnames, _TX_STEP, "step", path)
        for row in reader:
            when = int(float(row[step]))
            last = max(last, when)
            if first_step.get(row[payer], -1) == when and row[payee] in labelled:
                sent[(row[payer], when)][(row[payee], row[amount])] += 1
    planted = {(account, counts.most_common(1)[0][0][0]) for (account, _), counts in sent.items()}
    return planted, first_step, last


def reachable_note(folder: Path, labelled: set[str]) -> str:
    """Which labelled accounts the transfers show in a planted pattern at all: the ceiling of recall
    by account for any detector that names accounts from the payments they made or received.

    With AMLSim's own record of planted payments (``fraudStep``, see ``_pattern_payments``): the
    accounts that made or received one, and of the rest those on a circle of payments among
    labelled accounts (a planted link AMLSim also pays ordinary sums over closes a circle without
    the planted payments). Without it: the accounts in a transfer between two labelled accounts of
    a sum the payer paid no one else (within 2%).

    Why so many are missing in IBM's published 20K samples (AMLSim at commit b4fd658): a pattern's
    start step is drawn from 0 to 150 and its payments' steps from there up to a period later, but
    the simulation runs 150 steps, so payments drawn after step 149 are never made; their members
    stay labelled.
    """
    found = _pattern_payments(folder, labelled)
    if found is not None:
        planted, first_step, last = found
        shown = {account for pair in planted for account in pair}
        made = sum(1 for step in first_step.values() if step >= 0)
        path = _first_file(folder, _TX_FILES)
        with path.open(newline="") as handle:
            reader = csv.DictReader(handle)
            payer, payee = _column(reader.fieldnames, _TX_PAYER, "payer", path), _column(reader.fieldnames, _TX_PAYEE, "payee", path)
            among = nx.DiGraph((row[payer], row[payee]) for row in reader
                               if row[payer] in labelled and row[payee] in labelled and row[payer] != row[payee])
        circled = {a for part in nx.strongly_connected_components(among) if len(part) > 1 for a in part}
        payers_of: dict[str, set[str]] = defaultdict(set)
        for source, target in planted:
            payers_of[target].add(source)
        fanned = {a for payee, payers in payers_of.items() if len(payers) >= 2 for a in (payee, *payers)}
        # Circles (up to 8 parties) among labelled accounts that carry at least one planted payment.
        carrying = {a for cycle in nx.simple_cycles(among, length_bound=8)
                    if any(link in planted for link in zip(cycle, cycle[1:] + cycle[:1])) for a in cycle}
        n = max(len(labelled), 1)
        latest = max(first_step.values(), default=-1)
        return (f"{made:,} of the {len(labelled):,} labelled accounts made a planted payment (AMLSim's fraudStep;"
                f" latest step {latest}, the sample's last {last});\n    {len(shown):,} ({len(shown) / n:.2f}) made or"
                f" received one, {len(labelled) - len(shown):,} appear in none: the ceiling of recall for a detector"
                f" that names accounts from planted payments;\n    {len(fanned):,} ({len(fanned) / n:.2f}) are in a"
                f" fan of 2 or more planted payers to one payee (fan-in's ceiling), {len(carrying):,}"
                f" ({len(carrying) / n:.2f}) on a circle of up to 8 labelled accounts with a planted payment on it"
                f" (circular-payments' ceiling);\n    with circles of ordinary"
                f" payments among labelled accounts (which also need the labels to tell from chance circles),"
                f" {len(shown | circled):,} ({len(shown | circled) / n:.2f})")
    path = _first_file(folder, _TX_FILES)
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        payer, payee = _column(reader.fieldnames, _TX_PAYER, "payer", path), _column(reader.fieldnames, _TX_PAYEE, "payee", path)
        amount = _column(reader.fieldnames, _TX_AMOUNT, "amount", path)
        rows = [(row[payer], row[payee], float(row[amount])) for row in reader]
    paid: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for source, target, value in rows:
        paid[source].append((value, target))
    seen: set[str] = set()
    for source, target, value in rows:
        if source in labelled and target in labelled and not any(
                other != target and abs(sum_ - value) <= 0.02 * value for sum_, other in paid[source]):
            seen.update((source, target))
    share = len(seen) / max(len(labelled), 1)
    return (f"{len(seen):,} of the {len(labelled):,} labelled accounts ({share:.2f}) made or received a payment of"
            f" a planted pattern's sum; only those payments show the pattern, so recall by account stays near that"
            f" (a circle closed over links of other payments may name a few more)")


def score_accounts(flagged: set[str], labelled: set[str]) -> tuple[float, float]:
    precision = len(flagged & labelled) / len(flagged) if flagged else 1.0
    recall = len(flagged & labelled) / len(labelled) if labelled else 1.0
    return precision, recall


def amlsim_part(args, folder: Path) -> None:
    for sample in args.amlsim:
        sample = Path(sample)
        labelled, accounts = amlsim_labels(sample)
        typology = amlsim_typology(sample)
        owns = [_TYPOLOGY_DETECTORS[t] for t in (typology or "").split(" and ") if t in _TYPOLOGY_DETECTORS]
        own = " and ".join(owns) or None
        print(f"\n== AMLSim {sample.name}: {accounts:,} accounts, {len(labelled):,} labelled"
              f" (typology: {typology or 'unknown'}; its own detector: {own or 'none'})", flush=True)
        work = folder / sample.name
        work.mkdir()
        dated, rows = amlsim_as_dated_csv(sample, work / "tx_dated.csv")
        case = Case.create(work / "amlsim.wbcase")
        timed(f"import {rows:,} transfers (mapped-table)", lambda: import_file(
            case, dated, importer_id="mapped-table", options={"mapping": DATED_TX_MAPPING}))
        names = account_names(case)
        _, read_seconds, _ = timed("baseline: read every payment once", lambda: sum(1 for _ in case.entities("Payment")))
        ids = [d.id for d in available_detectors()] if not args.detectors else args.detectors.split(",")
        # All detectors as `workbench detect` runs them (no list: a family's detectors one after the
        # other, sharing what they read); a list runs them in its order, and an alphabetical list
        # interleaves the families, so each reads the payments again (31 s of CPU instead of 13).
        outcomes, total, total_cpu = timed(f"all {len(ids)} detectors in one run (default settings)",
                                           lambda: run_detectors(case, None if not args.detectors else ids))
        errors = {o.detector_id: o.error for o in outcomes if o.error}
        flagged = {detector_id: {names.get(e, e) for f in case.findings(detector_id=detector_id)
                                 for e in f["evidence"]["entities"]} for detector_id in ids}
        findings_count = {o.detector_id: o.findings for o in outcomes}
        alone = {}
        if not args.no_alone:
            for detector_id in ids:
                _, seconds, _ = timed(f"  {detector_id} alone", lambda i=detector_id: run_detectors(case, [i]))
                alone[detector_id] = seconds
        print(f"\n  {'detector':<28} {'findings':>8} {'accounts':>8} {'precision':>9} {'recall':>7} {'seconds':>8}")
        for detector_id in ids:
            accounts_flagged = flagged[detector_id]
            if not accounts_flagged and detector_id not in errors and detector_id not in owns:
                continue
            precision, recall = score_accounts(accounts_flagged, labelled)
            seconds = f"{alone[detector_id]:8.2f}" if detector_id in alone else f"{'':8}"
            mark = "  <- typology's own" if detector_id in owns else ""
            note = f"  ERROR {errors[detector_id]}" if detector_id in errors else ""
            print(f"  {detector_id:<28} {findings_count.get(detector_id, 0):8,} {len(accounts_flagged):8,}"
                  f" {precision:9.2f} {recall:7.2f} {seconds}{mark}{note}")
        everyone = set().union(*flagged.values()) if flagged else set()
        precision, recall = score_accounts(everyone, labelled)
        print(f"  {'whole run':<28} {sum(findings_count.values()):8,} {len(everyone):8,} {precision:9.2f}"
              f" {recall:7.2f} {total:8.2f}   ({len(everyone) / max(len(labelled), 1):.2f} x the labelled"
              f" accounts; goal <= 2; time {total / read_seconds:.0f} x the baseline read, CPU {total_cpu:.1f} s;"
              f" goal < 30 s)")
        for detector_id in owns:
            precision, recall = score_accounts(flagged.get(detector_id, set()), labelled)
            print(f"  goal for {detector_id}: precision {precision:.2f} (>= 0.8), recall {recall:.2f} (>= 0.9)"
                  + (" (of all the sample's labelled accounts, whichever pattern)" if len(owns) > 1 else ""))
        print(f"  ceiling: {reachable_note(sample, labelled)}")
        silent = sorted(i for i in ids if not flagged[i] and i not in errors)
        print(f"  detectors without findings: {', '.join(silent) or 'none'}")
        case.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", choices=["speed", "quality", "both"], default="both")
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--payments", type=int, default=120_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--amlsim", nargs="+", metavar="DIR",
                        help="AMLSim output folders to score the detectors on (instead of --part)")
    parser.add_argument("--detectors", help="with --amlsim: comma-separated detector ids (default: all)")
    parser.add_argument("--no-alone", action="store_true", help="with --amlsim: skip timing each detector alone")
    args = parser.parse_args()
    print(f"load average before the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as folder:
        if args.amlsim:
            amlsim_part(args, Path(folder))
            return
        if args.part in ("speed", "both"):
            speed(args, Path(folder))
        if args.part in ("quality", "both"):
            quality_part(args, Path(folder))


if __name__ == "__main__":
    main()
