"""Goods and destinations: where high-priority goods go, who receives them, what the papers say.

Seven detectors over ``Shipment`` and ``EndUseDocument`` entities, each implementing one published
red flag of ``redflags.md`` (the catalogue numbers are in each ``reference``):

* ``chpl-to-risky-destination`` (#5) CHPL goods shipped to or through a restricted or
  transshipment country;
* ``transshipment-reexport`` (#6) a party imports an HS-6 and exports the same HS-6 within days to
  a restricted or transshipment destination;
* ``intermediary-as-consignee`` (#8) a forwarder, trading house or bank is the consignee or end user;
* ``free-trade-zone-consignee`` (#9) the consignee or end user sits in a free trade zone;
* ``outside-line-of-business`` (#10) goods that do not fit the buyer's stated business (a heuristic);
* ``new-company-chpl`` (#4, #28) a newly formed company trading CHPL goods;
* ``end-use-document-mismatch`` (#27) an end-use document contradicted by the shipment it covers
  or by what happened to the goods next.

Country lists are read from the reference tables (``workbench.reference``) through parameters
that take table names and/or ISO codes, so an analyst can narrow or widen them per case. Every
detector reads the case through its read interface only and yields plain findings.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from dateutil.relativedelta import relativedelta

from workbench.plugin_api import Parameter, ParameterError
from workbench.plugin_api.facts import hs6, hs_chapter, hs_digits, parse_date, read_shipments
from workbench.plugin_api.facts import ShipmentFacts as Shipment
from workbench.plugin_api.family import CaseFacts, DetectorFamily, country_name, split_list, table_parameters
from workbench.plugin_api.wording import listing
from workbench.reference import chpl_tiers

# --------------------------------------------------------------------------- small helpers


def country_names(codes: Iterable[str]) -> str:
    return ", ".join(country_name(code) for code in codes)


def join_names(names: Iterable[str]) -> str:
    """``"A, B and C"``, each name once."""
    return listing(dict.fromkeys(n for n in names if n))


def full_stop(text: str) -> str:
    """End a sentence once, even when it ends with "Inc." or "Ltd."."""
    return text if text.endswith(".") else text + "."


def words(text: str) -> str:
    """Lower-case words of ``text`` padded with spaces, so ``" kw "`` finds whole words only."""
    return " " + " ".join(re.findall(r"[^\W_]+", (text or "").casefold())) + " "


@lru_cache(maxsize=4096)
def keyword_words(keyword: str) -> str:
    return words(keyword) if keyword.strip() else ""


def match_keywords(text: str, keywords: Iterable[str]) -> list[str]:
    """The keywords (one or several words each) found as whole words in ``text``."""
    haystack = words(text)
    return [keyword for keyword in keywords if keyword_words(keyword) and keyword_words(keyword) in haystack]


def tier_weight(tier: str) -> float:
    """CHPL tier 1 weighs most; tiers 3.A/3.B and 4.A/4.B weigh as their number."""
    return {"1": 1.0, "2": 0.9, "3": 0.75, "4": 0.6}.get(tier[:1], 0.5)


def clamp(score: float) -> float:
    return round(min(1.0, max(0.05, score)), 3)


ROLE_WORDS = {
    "exporter": "exporter",
    "consignee": "consignee",
    "declaredEndUser": "declared end user",
    "notifyParty": "notify party",
    "forwarder": "forwarder",
    "statedEndUser": "stated end user",
}
PARTY_COUNTRY_PROPS = ("country", "jurisdiction", "mainCountry")


def roles_parameter(name: str, value: str, allowed: Iterable[str]) -> tuple[str, ...]:
    roles = tuple(split_list(value))
    unknown = [role for role in roles if role not in allowed]
    if unknown:
        raise ParameterError(f"parameter {name!r}: unknown role {unknown[0]!r} (use {', '.join(allowed)})")
    return roles


# --------------------------------------------------------------------------- the case, read once


@dataclass(frozen=True, eq=False)
class EndUseDocument:
    id: str
    number: str
    issuers: tuple[str, ...]
    end_users: tuple[str, ...]
    end_use: str
    destination: tuple[str, ...]
    covered: tuple[str, ...]
    date: date | None


class CaseView(CaseFacts):
    """One read of the case for one detector run: shipments, documents and cached parties."""

    def __init__(self, case: Any):
        super().__init__(case)
        self._resolved: dict[str, str] = {}
        self.shipments = read_shipments(self.facts, self.resolve)
        self.by_id = {s.id: s for s in self.shipments}
        self.documents = sorted((self._document(proxy) for proxy in self.facts.of_schema("EndUseDocument")),
                                key=lambda d: d.id)

    def resolve(self, entity_id: str) -> str:
        if entity_id not in self._resolved:
            resolve = getattr(self.case, "resolve", None)
            self._resolved[entity_id] = resolve(entity_id) if resolve else entity_id
        return self._resolved[entity_id]

    def _ids(self, proxy: Any, prop: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.resolve(value) for value in proxy.get(prop, quiet=True)))

    def _document(self, proxy: Any) -> EndUseDocument:
        return EndUseDocument(
            id=proxy.id,
            number=proxy.first("documentNumber") or proxy.id,
            issuers=self._ids(proxy, "issuer"),
            end_users=self._ids(proxy, "statedEndUser"),
            end_use=proxy.first("endUse") or "",
            destination=tuple(proxy.get("destinationCountry")),
            covered=self._ids(proxy, "coveredShipment"),
            date=parse_date(proxy.first("date")) or parse_date(proxy.first("startDate")),
        )

    def names(self, ids: Iterable[str]) -> str:
        return join_names(self.caption(i) for i in ids)

    def values(self, entity_id: str, prop: str) -> list[str]:
        proxy = self.get(entity_id)
        if proxy is None:
            return []
        return proxy.get(prop, quiet=True)

    def countries(self, entity_id: str) -> set[str]:
        return {c for prop in PARTY_COUNTRY_PROPS for c in self.values(entity_id, prop)}

    def addresses(self, entity_id: str) -> list[str]:
        """Address text of a party, including the full text of linked Address entities."""
        found = list(self.values(entity_id, "address"))
        for address_id in self.values(entity_id, "addressEntity"):
            address = self.get(address_id)
            if address is not None:
                found.extend(address.get("full", quiet=True) or [address.caption])
        return list(dict.fromkeys(found))


def shipment_line(view: CaseView, shipment: Shipment) -> str:
    """A shipment for explanations: ``'DDR4 SDRAM memory ICs' (HS 854232, 2023-03-06)``."""
    when = shipment.departed.isoformat() if shipment.departed else "undated"
    return f"{view.fact_name(shipment.id)} (HS {shipment.hs_text}, {when})"


def describe_roles(view: CaseView, items: Iterable[tuple[str, str]], limit: int = 4) -> str:
    """One clause per shipment or document from (item id, role) pairs, e.g. ``consignee and declared
    end user of shipment X (HS .., date) from Y; stated end user of end-use document Z``."""
    roles: dict[str, list[str]] = {}
    for item_id, role in items:
        if role not in roles.setdefault(item_id, []):
            roles[item_id].append(role)
    clauses = []
    for item_id, item_roles in list(roles.items())[:limit]:
        shipment = view.by_id.get(item_id)
        if shipment is not None:
            exporters = view.names(shipment.role("exporter"))
            what = f"shipment {shipment_line(view, shipment)}" + (f" from {exporters}" if exporters else "")
        else:
            what = f"end-use document {view.fact_name(item_id)}"
        clauses.append(f"{' and '.join(ROLE_WORDS[r] for r in item_roles)} of {what}")
    if len(roles) > limit:
        clauses.append(f"{len(roles) - limit} more")
    return "; ".join(clauses)


class GoodsDetector(DetectorFamily):
    """The family's base: each member's check() reads the case through one CaseView per run."""

    view_class = CaseView


# Parameters several members take, alike.
RESTRICTED_DESTINATIONS = Parameter(
    default="high_risk_jurisdictions",
    help="restricted countries: ISO codes and/or reference table names, comma-separated")
TRANSSHIPMENT_COUNTRIES = Parameter(
    default="transshipment_countries",
    help="transshipment/diversion countries: ISO codes and/or reference table names; empty for none")
ONWARD_EXPORT_DAYS = Parameter(
    default=30, minimum=0, maximum=365,
    help="most days between the goods' arrival and an export of the same HS-6 onward that counts")


# --------------------------------------------------------------------------- 1. CHPL to risky places


class ChplToRiskyDestination(GoodsDetector):
    """A CHPL item shipped to Russia/Belarus (or another high-risk country) or to/through a
    transshipment country; scored by CHPL tier and by how direct the route is."""

    id = "chpl-to-risky-destination"
    label = "CHPL goods to a restricted or transshipment country"
    description = (
        "Shipments of Common High Priority List goods (HS-6) whose destination or route is a restricted"
        " country (Russia, Belarus and the other high-risk jurisdictions) or a known transshipment country."
        " Scored by CHPL tier (tier 1 highest) and route: a restricted destination weighs most."
    )
    severity = "high"
    reference = "BIS Common High Priority List (2024-02-23); FinCEN-BIS FIN-2022-Alert003; redflags.md #5"
    parameters = {
        "restricted_destinations": RESTRICTED_DESTINATIONS,
        "transshipment_countries": TRANSSHIPMENT_COUNTRIES,
        "include_transit": Parameter(default=True, help="also look at the transit countries of the route"),
        "tiers": Parameter(default="1,2,3.A,3.B,4.A,4.B", help="CHPL tiers to consider, comma-separated"),
    }

    def prepare(self) -> None:
        self.restricted = self.country_option("restricted_destinations")
        self.transshipment = self.country_option("transshipment_countries")
        wanted = {tier.upper() for tier in split_list(self.options["tiers"])}
        self.chpl = {code: tier for code, tier in chpl_tiers().items() if tier.upper() in wanted}

    def check(self, view: CaseView) -> Iterator[dict[str, Any]]:
        for shipment in view.shipments:
            listed = sorted(((self.chpl[c], c) for c in shipment.hs6 if c in self.chpl))
            if not listed:
                continue
            destination = set(shipment.destination)
            transit = set(shipment.transit) if self.options["include_transit"] else set()
            if set(shipment.origin) and set(shipment.origin) == destination and not transit:
                continue  # a domestic movement, not an export
            routes = [
                (1.0, "destination", "restricted", sorted(destination & self.restricted)),
                (0.9, "transit", "restricted", sorted(transit & self.restricted)),
                (0.7, "destination", "transshipment", sorted(destination & self.transshipment)),
                (0.6, "transit", "transshipment", sorted(transit & self.transshipment)),
            ]
            hits = [route for route in routes if route[3]]
            if not hits:
                continue
            tier, code = listed[0]
            route_weight = hits[0][0]
            exporters, consignees = shipment.role("exporter"), shipment.role("consignee")
            end_users = [p for p in shipment.role("declaredEndUser") if p not in consignees]
            route_text = "; ".join(
                f"{'destination' if where == 'destination' else 'transit through'} {country_names(countries)}"
                f" ({'a restricted' if kind == 'restricted' else 'a transshipment'} country)"
                for _, where, kind, countries in hits
            )
            goods = f"HS {code} (CHPL tier {tier}" + (f": {shipment.description!r})" if shipment.description else ")")
            others = [f"HS {c} (tier {t})" for t, c in listed[1:]]
            when = shipment.departed.isoformat() if shipment.departed else "an unknown date"
            sentence = (
                f"{view.names(exporters) or 'An unnamed exporter'} shipped {goods}"
                + (f" and {', '.join(others)}" if others else "")
                + (f" from {country_names(shipment.origin)}" if shipment.origin else "")
                + f" to {view.names(consignees) or 'an unnamed consignee'}"
                + (f" in {country_names(shipment.destination)}" if shipment.destination else "")
                + (f" via {country_names(shipment.transit)}" if shipment.transit else "")
                + f" on {when}; {route_text}."
            )
            # The goods' description (the shipment's caption) is already in the sentence.
            details = ([f"Value {shipment.value_text}"] if shipment.value_text else []) + (
                [f"declared end user {view.names(end_users)}"] if end_users else [])
            tail = (" " + "; ".join(details) + ".") if details else ""
            yield {
                "entities": list(dict.fromkeys([*exporters, *consignees, *end_users])),
                "evidence": [shipment.id],
                "score": clamp(tier_weight(tier) * route_weight),
                "severity": "high" if hits[0][2] == "restricted" else "medium",
                "explanation": sentence + tail,
                "details": {
                    "shipment": shipment.id,
                    "hs6": [c for _, c in listed],
                    "chpl_tier": tier,
                    "origin": list(shipment.origin),
                    "destination": list(shipment.destination),
                    "transit": list(shipment.transit),
                    "matched": [{"where": where, "kind": kind, "countries": countries}
                                for _, where, kind, countries in hits],
                    "date": shipment.departed.isoformat() if shipment.departed else None,
                },
            }


# --------------------------------------------------------------------------- 2. import then re-export


class TransshipmentReexport(GoodsDetector):
    """A party receives HS-6 X and ships the same HS-6 out within T days to a restricted or
    transshipment destination: goods entering and leaving an intermediary country."""

    id = "transshipment-reexport"
    label = "Import then quick re-export of the same goods"
    description = (
        "A party that received goods of one HS-6 (as consignee, declared end user or notify party) exports"
        " the same HS-6 within a few days to a restricted or transshipment country. Each export is paired"
        " with the latest earlier import of the same HS-6 by the same party."
    )
    severity = "high"
    reference = "FinCEN-BIS FIN-2022-Alert003; BIS red flag indicators; Project Alpha; redflags.md #6"
    parameters = {
        "days": ONWARD_EXPORT_DAYS,
        "receiving_roles": Parameter(default="consignee,declaredEndUser,notifyParty",
                                     help="shipment roles that count as importing the goods"),
        "restricted_destinations": RESTRICTED_DESTINATIONS,
        "transshipment_countries": TRANSSHIPMENT_COUNTRIES,
        "include_transit": Parameter(default=True, help="an export through a listed country also counts"),
        "chpl_only": Parameter(default=False, help="only CHPL goods"),
    }

    def prepare(self) -> None:
        self.roles = roles_parameter("receiving_roles", self.options["receiving_roles"],
                                     ("consignee", "declaredEndUser", "notifyParty"))
        self.restricted = self.country_option("restricted_destinations")
        self.transshipment = self.country_option("transshipment_countries")
        self.chpl = chpl_tiers()

    def _risky(self, shipment: Shipment) -> tuple[list[str], list[str]]:
        route = set(shipment.destination)
        if self.options["include_transit"]:
            route |= set(shipment.transit)
        return sorted(route & self.restricted), sorted(route & self.transshipment)

    def check(self, view: CaseView) -> Iterator[dict[str, Any]]:
        imports: dict[tuple[str, str], list[tuple[Shipment, list[str]]]] = defaultdict(list)
        exports: dict[tuple[str, str], list[Shipment]] = defaultdict(list)
        for shipment in view.shipments:
            codes = [c for c in shipment.hs6 if c in self.chpl] if self.options["chpl_only"] else shipment.hs6
            receivers: dict[str, list[str]] = defaultdict(list)
            for role in self.roles:
                for party in shipment.role(role):
                    receivers[party].append(role)
            for code in codes:
                if shipment.arrived:
                    for party, roles in receivers.items():
                        imports[(party, code)].append((shipment, roles))
                if shipment.departed and any(self._risky(shipment)):
                    for party in shipment.role("exporter"):
                        exports[(party, code)].append(shipment)
        window = self.options["days"]
        found = []
        # Blocking on (party, HS-6): only shipments that share both are ever compared.
        for key in sorted(set(imports) & set(exports)):
            party, code = key
            for export in exports[key]:
                candidates = []
                for incoming, roles in imports[key]:
                    if incoming.id == export.id:
                        continue
                    gap = (export.departed - incoming.arrived).days
                    if not 0 <= gap <= window:
                        continue
                    if incoming.destination and export.destination \
                            and set(export.destination) <= set(incoming.destination):
                        continue  # the goods stay in the country they were imported into
                    candidates.append((incoming.arrived, incoming.id, incoming, roles, gap))
                if candidates:
                    _, _, incoming, roles, gap = max(candidates, key=lambda c: (c[0], c[1]))
                    found.append(self._finding(view, party, code, incoming, roles, export, gap))
        found.sort(key=lambda f: (f["details"]["party"], f["details"]["export_date"], f["details"]["export_shipment"],
                                  f["details"]["hs6"]))
        yield from found

    def _finding(self, view: CaseView, party: str, code: str, incoming: Shipment, roles: list[str],
                 export: Shipment, gap: int) -> dict[str, Any]:
        restricted, transshipment = self._risky(export)
        window = self.options["days"]
        same_quantity = bool(incoming.quantity and incoming.quantity == export.quantity)
        score = (0.85 if restricted else 0.65) + (0.1 if code in self.chpl else 0.0)
        score += 0.05 if same_quantity else 0.0
        score -= 0.2 * (gap / window if window else 0.0)
        name = view.caption(party)
        supplier = view.names(incoming.role("exporter"))
        buyer = view.names(export.role("consignee"))
        into = country_names(incoming.destination)
        origin = country_names(incoming.origin)
        dest = country_names(export.destination) or "an unknown country"
        via = f" via {country_names(export.transit)}" if export.transit else ""
        role_text = " and ".join(ROLE_WORDS[r] for r in roles)
        listed = (
            [f"{country_names(restricted)}: restricted"] if restricted else []
        ) + ([f"{country_names(transshipment)}: transshipment country"] if transshipment else [])
        consignees = [p for p in incoming.role("consignee") if p != party]
        quantity = ""
        if same_quantity:
            try:
                quantity = f" Same quantity both times: {float(export.quantity):,.0f} {export.unit or 'units'}."
            except ValueError:
                quantity = f" Same quantity both times: {export.quantity} {export.unit or 'units'}."
        explanation = (
            f"{name} re-exported HS {code} to {dest}{via} on {export.departed.isoformat()},"
            f" {gap} day{'s' if gap != 1 else ''} after importing it"
            + (f" into {into}" if into else "")
            + (f" from {origin}" if origin else "")
            + f": shipment {view.fact_name(incoming.id)}" + (f" from {supplier}" if supplier else "")
            + f" arrived {incoming.arrived.isoformat()} with {name} as {role_text}"
            + (f" (consignee {view.names(consignees)})" if consignees else "")
            + f"; shipment {view.fact_name(export.id)}" + (f" to {buyer}" if buyer else "")
            + f" left {export.departed.isoformat()}.{quantity} ({'; '.join(listed)}.)"
        )
        return {
            "entities": list(dict.fromkeys([party, *incoming.role("exporter"), *export.role("consignee")])),
            "evidence": [incoming.id, export.id],
            "score": clamp(score),
            "severity": "high" if restricted else "medium",
            "explanation": explanation,
            "details": {
                "party": party,
                "hs6": code,
                "chpl_tier": self.chpl.get(code),
                "import_shipment": incoming.id,
                "import_roles": roles,
                "import_arrived": incoming.arrived.isoformat(),
                "import_origin": list(incoming.origin),
                "import_country": list(incoming.destination),
                "export_shipment": export.id,
                "export_date": export.departed.isoformat(),
                "export_destination": list(export.destination),
                "export_transit": list(export.transit),
                "days": gap,
                "same_quantity": same_quantity,
            },
        }


# --------------------------------------------------------------------------- 3. intermediary as consignee

PARTY_TEXT_PROPS = ("name", "alias", "previousName", "sector", "classification", "legalForm", "description",
                    "summary")


class IntermediaryAsConsignee(GoodsDetector):
    """A freight forwarder, logistics or trading house, or a bank, named as consignee or end user."""

    id = "intermediary-as-consignee"
    label = "Forwarder, trading house or bank as consignee or end user"
    description = (
        "A party whose name, sector, legal form or description says freight forwarder, logistics, shipping,"
        " trading house or bank (keyword lists below), or that acts as forwarder on other shipments, is named"
        " as the consignee or end user of goods. Scored lower where a separate, ordinary end user is declared."
    )
    severity = "medium"
    reference = "BIS red flag indicators; 15 CFR 732 Supp. 3 (KYC red flags); redflags.md #8"
    parameters = {
        "forwarder_keywords": Parameter(
            default="logistics,freight,forwarding,forwarder,forwarders,shipping,cargo,courier,spedition",
            help="words (whole words, case-insensitive) that mark a forwarder or logistics firm"),
        "trading_keywords": Parameter(
            default="trading,trade,traders,trading house,import export,import and export,ticaret,handelsgesellschaft",
            help="words that mark a trading house; empty to ignore trading houses"),
        "bank_keywords": Parameter(
            default="bank,banking,bancorp,banque,banca,banco,bankhaus",
            help="words that mark a bank"),
        "use_forwarder_role": Parameter(default=True,
                                        help="a party named as forwarder on other shipments counts as a forwarder"),
        "include_end_use_documents": Parameter(default=True,
                                               help="also check stated end users of end-use documents"),
    }

    KIND_SCORE = {"bank": 0.75, "forwarder": 0.75, "trading house": 0.5}

    def _kinds(self, view: CaseView, party: str, forwarded: dict[str, list[str]]) -> dict[str, list[str]]:
        """{kind: [reasons]} for a party, e.g. {"forwarder": ["sector 'Freight forwarding' has 'freight'"]}."""
        kinds: dict[str, list[str]] = {}
        lists = (("bank", "bank_keywords"), ("forwarder", "forwarder_keywords"), ("trading house", "trading_keywords"))
        for kind, parameter in lists:
            keywords = split_list(self.options[parameter])
            for prop in PARTY_TEXT_PROPS:
                for value in view.values(party, prop):
                    hits = match_keywords(value, keywords)
                    if hits:
                        kinds.setdefault(kind, []).append(f"{prop} {value!r} has {', '.join(map(repr, hits))}")
        if self.options["use_forwarder_role"] and forwarded.get(party):
            kinds.setdefault("forwarder", []).append(
                f"named as forwarder on {len(forwarded[party])} shipment{'s' if len(forwarded[party]) != 1 else ''}"
                f" ({', '.join(map(view.fact_name, forwarded[party][:4]))}"
                f"{', ...' if len(forwarded[party]) > 4 else ''})")
        return kinds

    def check(self, view: CaseView) -> Iterator[dict[str, Any]]:
        chpl = chpl_tiers()
        forwarded_all: dict[str, list[str]] = defaultdict(list)
        for shipment in view.shipments:
            for party in shipment.role("forwarder"):
                forwarded_all[party].append(shipment.id)
        kinds_cache: dict[str, dict[str, list[str]]] = {}

        def kinds_of(party: str) -> dict[str, list[str]]:
            if party not in kinds_cache:
                kinds_cache[party] = self._kinds(view, party, forwarded_all)
            return kinds_cache[party]

        # party -> [(shipment or document id, role, mitigated, chpl)]
        received: dict[str, list[tuple[str, str, bool, bool]]] = defaultdict(list)
        separate_end_users: dict[str, list[str]] = defaultdict(list)
        for shipment in view.shipments:
            is_chpl = any(c in chpl for c in shipment.hs6)
            consignees, end_users = shipment.role("consignee"), shipment.role("declaredEndUser")
            ordinary_end_users = [p for p in end_users if p not in consignees and not kinds_of(p)]
            for party in consignees:
                if kinds_of(party):
                    received[party].append((shipment.id, "consignee", bool(ordinary_end_users), is_chpl))
                    separate_end_users[party].extend(p for p in ordinary_end_users
                                                     if p not in separate_end_users[party])
            for party in end_users:
                if kinds_of(party):
                    received[party].append((shipment.id, "declaredEndUser", False, is_chpl))
        if self.options["include_end_use_documents"]:
            for document in view.documents:
                is_chpl = any(c in chpl for s in document.covered if s in view.by_id for c in view.by_id[s].hs6)
                for party in document.end_users:
                    if kinds_of(party):
                        received[party].append((document.id, "statedEndUser", False, is_chpl))

        for party in sorted(received):
            items = received[party]
            kinds = kinds_of(party)
            kind = max(kinds, key=lambda k: self.KIND_SCORE[k])
            # Shipments it forwarded for others support the "forwarder" reading; list them too.
            own = list(dict.fromkeys(item_id for item_id, *_ in items))
            forwarded = [s for s in forwarded_all.get(party, []) if s not in own] if "forwarder" in kinds else []
            all_mitigated = all(mitigated for _, _, mitigated, _ in items)
            any_chpl = any(is_chpl for *_, is_chpl in items)
            score = self.KIND_SCORE[kind] + (0.15 if any_chpl else 0.0) - (0.3 if all_mitigated else 0.0)
            roles_text = describe_roles(view, [(item_id, role) for item_id, role, _, _ in items])
            reasons = "; ".join(reason for k in sorted(kinds) for reason in kinds[k][:3])
            explanation = full_stop(
                f"{view.caption(party)} looks like a {' and a '.join(sorted(kinds))}"
                f" ({reasons}), yet it is {roles_text}"
            ) + (f" A separate end user is declared on each of these shipments"
                 f" ({view.names(separate_end_users[party])})." if all_mitigated else "")
            yield {
                "entities": [party],
                "evidence": list(dict.fromkeys([*own, *forwarded])),
                "score": clamp(score),
                "severity": "low" if all_mitigated else ("high" if kind != "trading house" and any_chpl else "medium"),
                "explanation": explanation,
                "details": {
                    "party": party,
                    "kinds": {k: v for k, v in sorted(kinds.items())},
                    "received": [{"id": i, "role": r, "separate_end_user": m, "chpl": c} for i, r, m, c in items],
                    "forwarded": forwarded,
                },
            }


# --------------------------------------------------------------------------- 4. free trade zones


class FreeTradeZoneConsignee(GoodsDetector):
    """The consignee or declared end user of goods sits in a free trade zone."""

    id = "free-trade-zone-consignee"
    label = "Consignee or end user in a free trade zone"
    description = (
        "A consignee, declared end user or stated end user whose address, legal form or name matches the"
        " free_trade_zones reference table (e.g. 'Jebel Ali', 'free zone', FZE, FZCO), matched as whole words."
    )
    severity = "medium"
    reference = "15 CFR 732 Supp. 3 (KYC red flags); EU dual-use ICP guidance; redflags.md #9"
    parameters = {
        **table_parameters("patterns", table="free_trade_zones", column="pattern"),
        "fields": Parameter(default="address,legalForm,name",
                            help="party fields to search (address includes linked Address entities)"),
        "roles": Parameter(default="consignee,declaredEndUser,statedEndUser",
                           help="roles checked: shipment consignee/declaredEndUser, end-use document statedEndUser"),
    }

    def prepare(self) -> None:
        self.patterns = self.table_items("patterns", "pattern")
        self.fields = roles_parameter("fields", self.options["fields"],
                                      ("address", "legalForm", "name", "alias", "description"))
        self.roles = roles_parameter("roles", self.options["roles"],
                                     ("consignee", "declaredEndUser", "statedEndUser"))

    def _matches(self, view: CaseView, party: str) -> list[tuple[str, str, list[str]]]:
        found = []
        for field in self.fields:
            values = view.addresses(party) if field == "address" else view.values(party, field)
            for value in values:
                hits = match_keywords(value, self.patterns)
                if hits:
                    found.append((field, value, hits))
        return found

    def check(self, view: CaseView) -> Iterator[dict[str, Any]]:
        chpl = chpl_tiers()
        involved: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for shipment in view.shipments:
            for role in ("consignee", "declaredEndUser"):
                if role in self.roles:
                    for party in shipment.role(role):
                        involved[party].append((shipment.id, role))
        if "statedEndUser" in self.roles:
            for document in view.documents:
                for party in document.end_users:
                    involved[party].append((document.id, "statedEndUser"))
        for party in sorted(involved):
            matches = self._matches(view, party)
            if not matches:
                continue
            items = involved[party]
            shipments = [view.by_id[i] for i, role in items if i in view.by_id]
            any_chpl = any(c in chpl for s in shipments for c in s.hs6)
            as_end_user = any(role != "consignee" for _, role in items)
            score = 0.5 + (0.2 if any_chpl else 0.0) + (0.1 if as_end_user else 0.0)
            by_role: dict[str, list[str]] = defaultdict(list)
            for item_id, role in items:
                if item_id not in by_role[role]:
                    by_role[role].append(item_id)
            roles_text = describe_roles(view, items)
            where = "; ".join(f"{field} {value!r} matches {', '.join(repr(h) for h in hits)}"
                              for field, value, hits in matches)
            goods = sorted({c for s in shipments for c in s.hs6})
            explanation = (
                full_stop(f"{view.caption(party)} is in a free trade zone ({where}) and is {roles_text}")
                + (f" Goods: HS {', '.join(goods)}" + (", CHPL goods." if any_chpl else ".") if goods else "")
            )
            yield {
                "entities": [party],
                "evidence": list(dict.fromkeys(i for i, _ in items)),
                "score": clamp(score),
                "explanation": explanation,
                "details": {
                    "party": party,
                    "matches": [{"field": f, "value": v, "patterns": h} for f, v, h in matches],
                    "roles": {role: ids for role, ids in by_role.items()},
                    "chpl": any_chpl,
                },
            }


# --------------------------------------------------------------------------- 5. line of business

#: A heuristic, not a standard: words of a party's stated business and the HS chapters its
#: purchases plausibly fall in. Sectors that buy anything (trading, wholesale, logistics) are left
#: out on purpose, so they never make a judgement. Override with the ``sector_chapters`` parameter.
SECTOR_CHAPTERS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("electronics", ("electronic", "electronics", "electrical", "semiconductor", "semiconductors",
                     "microelectronics", "telecommunications", "telecommunication", "telecom", "radar", "radio",
                     "computer", "computers", "computing", "capacitors", "robotics", "automation",
                     "instrumentation", "optics", "optical", "photonics"), "84,85,90"),
    ("machinery", ("machinery", "machine", "machines", "machining", "engineering", "tooling", "machine tools"),
     "73,82,84,85,90"),
    ("aerospace", ("aerospace", "aviation", "aircraft", "avionics", "drone", "drones", "uav", "satellite",
                   "satellites"), "84,85,88,90"),
    ("defence", ("defence", "defense", "military", "armaments", "weapons"), "84,85,87,88,89,90,93"),
    ("research", ("research", "laboratory", "laboratories", "university", "scientific", "institute"),
     "28,29,38,84,85,90"),
    ("medical", ("medical", "hospital", "clinic", "healthcare", "pharmaceutical", "pharmaceuticals", "pharmacy",
                 "dental"), "28-30,38-40,84,85,90,94"),
    ("automotive", ("automotive", "automobile", "automobiles", "vehicle", "vehicles", "car parts"),
     "39,40,73,84,85,87,90,94"),
    ("energy", ("energy", "oil", "petroleum", "power generation", "utilities"), "27,73,84,85,90"),
    ("mining and metals", ("mining", "metals", "steel", "metallurgy", "foundry"), "25,26,68-83,84"),
    ("chemicals", ("chemical", "chemicals", "chemistry", "plastics", "rubber", "paints"), "25-40"),
    ("food", ("bakery", "bakeries", "baker", "bread", "confectionery", "food", "foods", "foodstuffs", "beverage",
              "beverages", "drinks", "dairy", "meat", "seafood", "fruit", "vegetables", "grocery", "groceries",
              "restaurant", "restaurants", "catering", "cafe", "coffee", "tea", "brewery", "winery", "wine",
              "flour", "sugar"), "02-22,39,48"),
    ("agriculture", ("agriculture", "agricultural", "farm", "farming", "farms", "livestock", "poultry",
                     "horticulture", "seeds", "fertiliser", "fertilizer"), "01-24,31,84,87"),
    ("textiles", ("textile", "textiles", "apparel", "clothing", "garment", "garments", "fashion", "fabric",
                  "fabrics", "yarn", "knitwear", "footwear", "shoes", "leather"), "41-43,50-64"),
    ("furniture and wood", ("furniture", "wood", "timber", "lumber", "joinery", "carpentry"), "44-46,94"),
    ("construction", ("construction", "building materials", "cement", "concrete", "real estate"),
     "25,68-70,72,73,76,84,94"),
    ("cosmetics", ("cosmetics", "cosmetic", "beauty", "perfume", "perfumes", "salon"), "33,34"),
    ("jewellery", ("jewellery", "jewelry", "jeweller", "jeweler", "diamonds"), "71"),
    ("toys", ("toy", "toys"), "95"),
    ("hospitality", ("hotel", "hotels", "tourism", "travel agency", "hospitality"), "02-22,63,94"),
    ("paper and printing", ("paper", "printing", "publishing", "stationery"), "47-49,84"),
)


def render_sector_table(rows: Iterable[tuple[str, tuple[str, ...], str]]) -> str:
    return "; ".join(f"{'|'.join(keywords)}={chapters}" for _, keywords, chapters in rows)


def parse_chapters(text: str) -> frozenset[str]:
    chapters = set()
    for part in split_list(text):
        low, _, high = part.partition("-")
        if not low.strip().isdigit() or (high and not high.strip().isdigit()):
            raise ValueError(part)
        for number in range(int(low), int(high or low) + 1):
            chapters.add(f"{number:02d}")
    return frozenset(chapters)


def parse_sector_table(text: str) -> list[tuple[tuple[str, ...], frozenset[str]]]:
    """``"bakery|food=02-22,39; electronic|radar=84,85,90"`` -> [((keywords), chapters), ...]."""
    rows = []
    for entry in (text or "").split(";"):
        if not entry.strip():
            continue
        keywords, equals, chapters = entry.partition("=")
        if not equals:
            raise ParameterError(f"parameter 'sector_chapters': {entry.strip()!r} has no '=' (words=chapters)")
        try:
            parsed = parse_chapters(chapters)
        except ValueError as error:
            raise ParameterError(f"parameter 'sector_chapters': {error} is not a chapter or range") from error
        rows.append((tuple(k.strip() for k in keywords.split("|") if k.strip()), parsed))
    return rows


def chapters_text(chapters: Iterable[str]) -> str:
    """["02", "03", ..., "22", "39"] -> "02-22, 39"."""
    numbers = sorted(int(c) for c in chapters)
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return ", ".join(f"{r[0]:02d}" if len(r) == 1 else f"{r[0]:02d}-{r[-1]:02d}" for r in runs)


class OutsideLineOfBusiness(GoodsDetector):
    """Goods that do not fit the buyer's stated line of business (a keyword heuristic)."""

    id = "outside-line-of-business"
    label = "Goods outside the buyer's line of business"
    description = (
        "Heuristic: words of the buyer's sector, classification, description and name are looked up in a small"
        " table of sectors and the HS chapters they plausibly buy (electronics: 84, 85, 90; food and bakery:"
        " 02-22; textiles: 50-63; ...). A buyer whose words all point elsewhere but who receives CHPL goods is"
        " flagged. Buyers whose words match no sector (traders, forwarders, unknown) are not judged."
    )
    severity = "medium"
    reference = "BIS red flag indicators; FinCEN-BIS FIN-2023 supplemental alert; UK NCA red flag 8; redflags.md #10"
    parameters = {
        "sector_chapters": Parameter(
            default=render_sector_table(SECTOR_CHAPTERS),
            help="heuristic table: entries 'word|word=chapters' separated by ';' (chapters like 02-22,39)"),
        "fields": Parameter(default="sector,classification,description,summary,name",
                            help="party fields whose words are looked up"),
        "roles": Parameter(default="consignee,declaredEndUser", help="shipment roles that count as the buyer"),
        "chpl_only": Parameter(default=True, help="only judge CHPL goods (else every HS code of four digits or more)"),
    }

    def prepare(self) -> None:
        self.table = parse_sector_table(self.options["sector_chapters"])
        self.fields = tuple(split_list(self.options["fields"]))
        self.roles = roles_parameter("roles", self.options["roles"], ("consignee", "declaredEndUser", "notifyParty"))

    def _business(self, view: CaseView, party: str) -> tuple[list[tuple[str, str, list[str]]], frozenset[str]]:
        """The matched business words (field, value, keywords) and the union of plausible chapters."""
        matched, chapters = [], set()
        for field in self.fields:
            for value in view.values(party, field):
                hits = []
                for keywords, allowed in self.table:
                    found = match_keywords(value, keywords)
                    if found:
                        hits.extend(found)
                        chapters |= allowed
                if hits:
                    matched.append((field, value, list(dict.fromkeys(hits))))
        return matched, frozenset(chapters)

    def check(self, view: CaseView) -> Iterator[dict[str, Any]]:
        chpl = chpl_tiers()
        bought: dict[str, list[tuple[Shipment, str, str]]] = defaultdict(list)
        for shipment in view.shipments:
            goods = []
            for code in shipment.hs_codes:
                six, chapter = hs6(code), hs_chapter(code)
                if chapter is None or (self.options["chpl_only"] and six not in chpl):
                    continue
                goods.append((six or hs_digits(code), chapter))
            goods = list(dict.fromkeys(goods))
            for role in self.roles:
                for party in shipment.role(role):
                    for code, chapter in goods:
                        if not any(s.id == shipment.id and c == code for s, c, _ in bought[party]):
                            bought[party].append((shipment, code, chapter))
        for party in sorted(bought):
            matched, allowed = self._business(view, party)
            if not matched:
                continue  # nothing said about its business: no judgement
            misfits = [(s, code, chapter) for s, code, chapter in bought[party] if chapter not in allowed]
            if not misfits:
                continue
            tiers = [chpl[code] for _, code, _ in misfits if code in chpl]
            best = max((tier_weight(t) for t in tiers), default=0.0)
            score = 0.45 + 0.3 * best if tiers else 0.35
            said = "; ".join(f"{field} {value!r} has {', '.join(map(repr, hits))}" for field, value, hits in matched)
            goods_text = "; ".join(
                f"HS {code} (chapter {chapter}" + (f", CHPL tier {chpl[code]}" if code in chpl else "") + ")"
                f" in shipment {view.fact_name(s.id)} from {view.names(s.role('exporter')) or 'an unnamed exporter'}"
                f" on {s.departed.isoformat() if s.departed else 'an unknown date'}"
                for s, code, chapter in misfits[:4]
            ) + (f"; and {len(misfits) - 4} more" if len(misfits) > 4 else "")
            explanation = (
                f"{view.caption(party)} received {goods_text}, but its stated business ({said}) points to"
                f" HS chapters {chapters_text(allowed)}, not {', '.join(sorted({c for _, _, c in misfits}))}."
                " (Heuristic sector table; check the buyer's real activity.)"
            )
            yield {
                "entities": [party],
                "evidence": list(dict.fromkeys(s.id for s, _, _ in misfits)),
                "score": clamp(score),
                "explanation": explanation,
                "details": {
                    "party": party,
                    "business_words": [{"field": f, "value": v, "keywords": h} for f, v, h in matched],
                    "plausible_chapters": sorted(allowed),
                    "misfits": [{"shipment": s.id, "hs": code, "chapter": chapter, "chpl_tier": chpl.get(code)}
                                for s, code, chapter in misfits],
                },
            }


# --------------------------------------------------------------------------- 6. new company, CHPL goods


class NewCompanyChpl(GoodsDetector):
    """A company that traded CHPL goods soon after it was incorporated, or was set up after the
    invasion of Ukraine (24 Feb 2022)."""

    id = "new-company-chpl"
    label = "Newly formed company trading CHPL goods"
    description = (
        "A party with an incorporation date that took part in a CHPL shipment (as exporter, consignee or declared"
        " end user) less than N months after it was incorporated, or that was incorporated after the cutoff date"
        " (2022-02-24). Parties without an incorporation date cannot be judged."
    )
    severity = "medium"
    reference = ("FinCEN-BIS supplemental alert (2023-05-19); UK NCA red flag 1;"
                 " BIS Export Enforcement Five (2023-09); redflags.md #4, #28")
    parameters = {
        "months": Parameter(default=12, minimum=0, maximum=240,
                            help="flag a first CHPL shipment fewer than this many months after incorporation"),
        "cutoff_date": Parameter(default="2022-02-24",
                                 help="flag companies incorporated after this date; empty to switch off"),
        "roles": Parameter(default="exporter,consignee,declaredEndUser",
                           help="shipment roles that count as trading the goods"),
    }

    def prepare(self) -> None:
        cutoff = self.options["cutoff_date"].strip()
        self.cutoff = parse_date(cutoff) if cutoff else None
        if cutoff and self.cutoff is None:
            raise ParameterError(f"parameter 'cutoff_date' expects an ISO date, got {cutoff!r}")
        self.roles = roles_parameter("roles", self.options["roles"],
                                     ("exporter", "consignee", "declaredEndUser", "notifyParty"))

    def check(self, view: CaseView) -> Iterator[dict[str, Any]]:
        chpl = chpl_tiers()
        traded: dict[str, list[tuple[Shipment, list[str]]]] = defaultdict(list)
        for shipment in view.shipments:
            if not shipment.departed or not any(c in chpl for c in shipment.hs6):
                continue
            roles_of: dict[str, list[str]] = defaultdict(list)
            for role in self.roles:
                for party in shipment.role(role):
                    roles_of[party].append(role)
            for party, roles in roles_of.items():
                traded[party].append((shipment, roles))
        months = self.options["months"]
        for party in sorted(traded):
            incorporated = min(filter(None, map(parse_date, view.values(party, "incorporationDate"))), default=None)
            if incorporated is None:
                continue  # not computable without an incorporation date
            items = sorted(traded[party], key=lambda item: (item[0].departed, item[0].id))
            first, roles = items[0]
            limit = incorporated + relativedelta(months=months)
            soon = first.departed < limit
            after_cutoff = self.cutoff is not None and incorporated > self.cutoff
            if not (soon or after_cutoff):
                continue
            gap = (first.departed - incorporated).days
            score = 0.5
            if soon and months:
                score = 0.55 + 0.35 * (1 - max(gap, 0) / max((limit - incorporated).days, 1))
            if after_cutoff:
                score += 0.1
            codes = [c for c in first.hs6 if c in chpl]
            role_text = " and ".join(ROLE_WORDS[r] for r in roles)
            counterpart = (view.names(first.role("exporter")) if "exporter" not in roles
                           else view.names(first.role("consignee")))
            reasons = []
            if soon:
                reasons.append(f"that is less than {months} months after incorporation" if gap >= 0
                               else "that is before it was even incorporated")
            if after_cutoff:
                reasons.append(f"it was incorporated after {self.cutoff.isoformat()}")
            explanation = (
                f"{view.caption(party)} was incorporated on {incorporated.isoformat()} and took part in its first"
                f" CHPL shipment {abs(gap)} days {'later' if gap >= 0 else 'earlier'}, on {first.departed.isoformat()}:"
                f" HS {', '.join(f'{c} (tier {chpl[c]})' for c in codes)} as {role_text}"
                + (f" ({'from' if 'exporter' not in roles else 'to'} {counterpart})" if counterpart else "")
                + f", shipment {view.fact_name(first.id)}. Flagged because {', and because '.join(reasons)}."
                + (f" {len(items)} CHPL shipments in all." if len(items) > 1 else "")
            )
            yield {
                "entities": [party],
                "evidence": [s.id for s, _ in items],
                "score": clamp(score),
                "explanation": explanation,
                "details": {
                    "party": party,
                    "incorporation_date": incorporated.isoformat(),
                    "first_chpl_shipment": first.id,
                    "first_chpl_date": first.departed.isoformat(),
                    "days_after_incorporation": gap,
                    "within_months": soon,
                    "after_cutoff": after_cutoff,
                    "chpl_shipments": [s.id for s, _ in items],
                },
            }


# --------------------------------------------------------------------------- 7. end-use documents


class EndUseDocumentMismatch(GoodsDetector):
    """An end-use document the facts contradict: another end user or destination than the shipment
    it covers, the goods re-exported onward to another country soon after, or an issuer from
    another country than the end user."""

    id = "end-use-document-mismatch"
    label = "End-use document inconsistent with the shipment"
    description = (
        "For each end-use document and the shipment it covers: the stated end user is not the shipment's"
        " consignee, declared end user or notify party; the stated destination is not the shipment's destination;"
        " the same HS-6 leaves again within T days from the end user or consignee to another country; or the"
        " issuer's country differs from the end user's."
    )
    severity = "high"
    reference = "15 CFR 732 Supp. 3 (KYC red flags); FATF proliferation financing report (2008); redflags.md #27"
    parameters = {
        "days": ONWARD_EXPORT_DAYS,
        "check_issuer_country": Parameter(default=True,
                                          help="flag an issuer whose country differs from the end user's"),
        "restricted_destinations": Parameter(
            default="high_risk_jurisdictions",
            help="onward exports to these countries score highest (ISO codes and/or table names)"),
    }

    def prepare(self) -> None:
        self.restricted = self.country_option("restricted_destinations")

    def check(self, view: CaseView) -> Iterator[dict[str, Any]]:
        exports_by: dict[tuple[str, str], list[Shipment]] = defaultdict(list)
        for shipment in view.shipments:
            if shipment.departed:
                for party in shipment.role("exporter"):
                    for code in shipment.hs6:
                        exports_by[(party, code)].append(shipment)
        for document in view.documents:
            finding = self._check(view, document, exports_by)
            if finding:
                yield finding

    def _check(self, view: CaseView, document: EndUseDocument,
               exports_by: dict[tuple[str, str], list[Shipment]]) -> dict[str, Any] | None:
        reasons: list[tuple[float, str, str]] = []  # (weight, kind, sentence)
        evidence = [document.id]
        entities = [*document.issuers, *document.end_users]
        onward_found: list[dict[str, Any]] = []
        stated_dest = set(document.destination)
        for shipment_id in document.covered:
            shipment = view.by_id.get(shipment_id)
            if shipment is None:
                continue
            evidence.append(shipment.id)
            receivers = [*shipment.role("consignee"), *shipment.role("declaredEndUser"), *shipment.role("notifyParty")]
            entities.extend(shipment.role("consignee"))
            if document.end_users and receivers and not set(document.end_users) & set(receivers):
                reasons.append((0.7, "end user", (
                    f"shipment {view.fact_name(shipment.id)} went to {view.names(receivers)}, not to the stated end user")))
            if stated_dest and shipment.destination and not stated_dest & set(shipment.destination):
                reasons.append((0.7, "destination", (
                    f"shipment {view.fact_name(shipment.id)} went to {country_names(shipment.destination)},"
                    f" not to {country_names(document.destination)}")))
            if not shipment.arrived:
                continue
            allowed = stated_dest or set(shipment.destination)
            holders = list(dict.fromkeys([*document.end_users, *receivers]))
            for holder in holders:
                for code in shipment.hs6:
                    for onward in exports_by.get((holder, code), []):
                        gap = (onward.departed - shipment.arrived).days
                        if onward.id == shipment.id or not 0 <= gap <= self.options["days"]:
                            continue
                        elsewhere = sorted(set(onward.destination) - allowed)
                        if not elsewhere:
                            continue
                        restricted = bool(set(onward.destination) & self.restricted)
                        evidence.append(onward.id)
                        entities.extend([holder, *onward.role("consignee")])
                        onward_found.append({"shipment": onward.id, "party": holder, "hs6": code, "days": gap,
                                             "date": onward.departed.isoformat(), "destination": elsewhere})
                        reasons.append((0.95 if restricted else 0.8, "re-export", (
                            f"{view.caption(holder)} re-exported HS {code} to {country_names(elsewhere)}"
                            + (f" ({view.names(onward.role('consignee'))})" if onward.role("consignee") else "")
                            + f" on {onward.departed.isoformat()}, {gap} day{'s' if gap != 1 else ''} after"
                            f" shipment {view.fact_name(shipment.id)} arrived on {shipment.arrived.isoformat()}"
                            f" (shipment {view.fact_name(onward.id)})")))
        if self.options["check_issuer_country"]:
            issuer_countries = {c for i in document.issuers for c in view.countries(i)}
            user_countries = {c for u in document.end_users for c in view.countries(u)}
            if issuer_countries and user_countries and not issuer_countries & user_countries:
                reasons.append((0.4, "issuer country", (
                    f"the issuer {view.names(document.issuers)} is in {country_names(sorted(issuer_countries))}"
                    f" while the end user is in {country_names(sorted(user_countries))}")))
        if not reasons:
            return None
        reasons.sort(key=lambda r: -r[0])
        kinds = list(dict.fromkeys(kind for _, kind, _ in reasons))
        score = reasons[0][0] + 0.05 * (len(kinds) - 1)
        covered = [view.by_id[s] for s in document.covered if s in view.by_id]
        statements = (
            ([f"end user {view.names(document.end_users)}"] if document.end_users else [])
            + ([f"end use {document.end_use!r}"] if document.end_use else [])
            + ([f"destination {country_names(document.destination)}"] if document.destination else [])
        )
        stated = (
            f"End-use document {view.fact_name(document.id)}"
            + (f", dated {document.date.isoformat()}" if document.date else "")
            + (f", issued by {view.names(document.issuers)}" if document.issuers else "")
            + (f", covers shipment {', '.join(shipment_line(view, s) for s in covered)}" if covered else "")
            + (f" and states {', '.join(statements)}" if statements else "")
        )
        explanation = stated + "; but " + "; ".join(sentence for _, _, sentence in reasons) + "."
        return {
            "entities": list(dict.fromkeys(entities)),
            "evidence": list(dict.fromkeys(evidence)),
            "score": clamp(score),
            "severity": "high" if "re-export" in kinds or len(kinds) > 1 else "medium",
            "explanation": explanation,
            "details": {
                "document": document.id,
                "covered_shipments": list(document.covered),
                "mismatches": kinds,
                "onward_exports": onward_found,
                "stated_destination": list(document.destination),
                "stated_end_users": list(document.end_users),
            },
        }
