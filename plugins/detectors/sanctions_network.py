"""Sanctions and network red flags: who is listed, who is owned or run by the listed, and which
company structures are built to hide that.

Six detectors of the published indicators in ``redflags.md`` (section A):

* ``listed-name-match`` (#1): a party of the case resembles a party on an imported list.
* ``ofac-50-percent`` (#2): listed parties own 50 % or more of a party, in aggregate.
* ``shared-identifier-with-listed`` (#3): a party shares a director, address, phone, e-mail or
  bank account with a listed (or blocked) party.
* ``mass-registration-or-nominee`` (#24): many companies at one address, one person on many
  boards, counterparties that share a director or an address.
* ``opaque-ownership`` (#25): long ownership chains, circular ownership, layers in secrecy
  jurisdictions.
* ``civilian-near-military`` (#26): a declared end user a few links away from a military or
  listed party.

"Listed" means carrying one of the list topics of :data:`workbench.analysis.resolution.LIST_TOPICS`
(sanctioned, export-controlled, debarred...), as the list importers set them.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import networkx as nx
import numpy as np
from followthemoney.types import registry

from workbench.analysis.graph import GraphFilter, case_graph
from workbench.analysis.ownership import listed_share, parse_percentage
from workbench.analysis.resolution import LIST_TOPICS, list_matches, matching_text
from workbench.model import model
from workbench.plugin_api import CaseReader, Parameter, ParameterError, own_caption
from workbench.plugin_api.family import CaseFacts, DetectorFamily, country_name, split_list
from workbench.plugin_api.wording import listing, money, quoted

REDFLAGS = "redflags.md"

# What these detectors read from the case graph: every relationship but payments, and every
# reference. A bank-records case has millions of payments: the two detectors that look at them
# read them as columns (``case.payment_columns``), not as a million links of the graph.
_PAYMENT = model.get("Payment")
_NO_PAYMENTS = GraphFilter(link_schemata=frozenset(
    {name for name, schema in model.schemata.items() if not schema.is_a(_PAYMENT) and not _PAYMENT.is_a(schema)}
    | {"references"}))


_PAYMENT_SCHEMATA = frozenset(name for name, schema in model.schemata.items() if schema.is_a(_PAYMENT))


def _graph(case):
    """The case graph without payments (see ``_NO_PAYMENTS``); the whole graph for a case
    object that cannot give its payments as columns."""
    return case_graph(case, _NO_PAYMENTS) if hasattr(case, "payment_columns") else case_graph(case)

# ---------------------------------------------------------------------------------- helpers


def _schema_is(schema_name: str | None, ancestor: str) -> bool:
    schema = model.get(schema_name) if schema_name else None
    return schema is not None and schema.is_a(ancestor)


def _is_party(schema_name: str | None) -> bool:
    return _schema_is(schema_name, "LegalEntity")


def _is_person(schema_name: str | None) -> bool:
    return _schema_is(schema_name, "Person")


def _is_account(schema_name: str | None) -> bool:
    return _schema_is(schema_name, "BankAccount")


def _countries_of(entity) -> list[str]:
    seen: list[str] = []
    for prop in ("jurisdiction", "country", "nationality"):
        for value in entity.get(prop, quiet=True):
            if value not in seen:
                seen.append(value)
    return seen


def _percent(fraction: float) -> str:
    """0.51 -> "51%", 0.255 -> "25.5%"."""
    value = round(fraction * 100, 1)
    return f"{value:.0f}%" if value == int(value) else f"{value:.1f}%"


def _listing(items: list[str], limit: int = 6) -> str:
    """ "A, B and C"; beyond ``limit`` items, "A, B, ... and 4 more"."""
    return listing(items, limit=limit)


def _sentence(text: str) -> str:
    """The text with a capital first letter and a full stop."""
    return (text[:1].upper() + text[1:] + ".") if text else ""


def _topic_labels(topics: Iterable[str]) -> str:
    return ", ".join(sorted(topics))


class _Entities(CaseFacts):
    """Entities from the case's shared snapshot of its facts (detectors ask for the same ones repeatedly)."""

    def link_name(self, entity_id: str) -> str | None:
        """What tells one link from another beside its type and date: a shipment's goods, a
        director's role, an owner's share; ``None`` when its amount and date say it all."""
        link = self.get(entity_id)
        if link is None:
            return None
        caption = own_caption(link)
        if caption is not None:
            return quoted(caption)
        share = link.first("percentage", quiet=True) if "percentage" in link.schema.properties else None
        return f"{share}%" if share else None


def _listed_nodes(graph: nx.MultiDiGraph, topics: Iterable[str] = LIST_TOPICS) -> dict[str, tuple[str, ...]]:
    """Parties carrying one of ``topics``, with those topics (from the graph: no entity reads)."""
    wanted = set(topics)
    return {
        node: tuple(sorted(wanted.intersection(data.get("topics") or ())))
        for node, data in graph.nodes(data=True)
        if wanted.intersection(data.get("topics") or ())
    }


def _blocked_parties(case, graph, topics: Iterable[str], threshold: float) -> dict[str, dict]:
    """Unlisted parties that OFAC's 50 % rule blocks, with :func:`listed_share`'s account of why."""
    return {
        asset: info
        for asset, info in listed_share(case, graph, topics=tuple(topics), threshold=threshold).items()
        if info["flagged"] and not info["listed"] and asset in graph and _is_party(graph.nodes[asset].get("schema"))
    }


def _ownership_vias(graph: nx.MultiDiGraph, owner: str, asset: str) -> list[str]:
    if not graph.has_edge(owner, asset):
        return []
    return sorted(
        {
            data["via"]
            for data in graph[owner][asset].values()
            if data.get("prop") is None and _schema_is(data.get("schema"), "Ownership")
        }
    )


def normalise_address(text: str) -> str:
    """Case, punctuation and spacing removed: "Unit 1502, 15/F" and "unit 1502 15 f" agree."""
    text = unicodedata.normalize("NFKC", matching_text(text)).casefold()
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


def precise_address(normalised: str) -> bool:
    """An address precise enough that sharing it means something: a number and three words.

    "Dubai, UAE" or "Jebel Ali Free Zone" name an area that thousands of firms share.
    """
    return len(normalised.split()) >= 3 and any(ch.isdigit() for ch in normalised)


def normalise_phone(text: str) -> str | None:
    """E.164 as FtM cleans it; numbers FtM cannot place are compared by their digits."""
    cleaned = registry.phone.clean(text)
    if cleaned:
        return cleaned
    digits = "".join(ch for ch in text if ch.isdigit())
    return digits if len(digits) >= 7 else None


def normalise_email(text: str) -> str | None:
    text = text.strip().casefold()
    return text if "@" in text else None


def _normalise_account_number(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


# ---------------------------------------------------------------------------------- 1. names


class ListedNameMatch(DetectorFamily):
    """A party of the case resembles a party on an imported sanctions or export-control list."""

    id = "listed-name-match"
    label = "Resembles a listed party"
    description = (
        "Case parties whose names (and identifiers, dates, countries) resemble a party carrying a "
        "list topic (sanction, export.control, debarment ...), as the entity resolver scores them. "
        "Pairs the analyst decided 'different' are left out; pairs decided 'same' are reported as confirmed."
    )
    severity = "high"
    reference = ("BIS Red Flag Indicators; BIS Know Your Customer guidance; FinCEN-BIS alerts 2023; UK NCA alert 2023 "
                 f"(BIS-RF, BIS-KYC, FB-23, NCA); {REDFLAGS} #1")
    parameters = {
        # Below the resolver's 0.7 for "same party": a screening flag should also show a party
        # that carries a listed party's distinctive name without being it (the demo's
        # "OOO Tekhsnab-Vostralin" beside the listed "NII Vostralin" scores 0.62). The score and
        # the resolver's reasons let the analyst weigh each one.
        "threshold": Parameter(default=0.6, minimum=0.5, maximum=1.0,
                               help="smallest resolver score (0..1) to report a resemblance"),
        "strong_score": Parameter(default=0.85, minimum=0.5, maximum=1.0,
                                  help="from this score on a resemblance is reported as high severity"),
    }

    def run(self, case: CaseReader) -> Iterator[dict]:
        threshold = self.options["threshold"]
        strong = self.options["strong_score"]
        entities = _Entities(case)
        findings = []
        for candidate in list_matches(case, threshold=threshold):
            # Pairs marked "unsure" come back whatever their score; below the threshold they
            # stay on the match review list rather than become findings.
            if candidate.score < threshold:
                continue
            findings.append(
                self._finding(case, entities, candidate.left_id, candidate.right_id, candidate.score,
                              candidate.explanation, candidate.decision, strong)
            )
        findings.extend(self._confirmed(case, entities))
        findings.sort(key=lambda f: (-f["score"], f["entities"], f["evidence"]))
        yield from findings

    def _confirmed(self, case, entities: _Entities) -> list[dict]:
        """Pairs the analyst decided are the same party but did not merge: confirmed list hits."""
        found = []
        for (left_id, right_id), decision in sorted(case.match_decisions().items()):
            if decision != "same":
                continue
            left_id, right_id = case.resolve(left_id), case.resolve(right_id)
            left, right = entities.get(left_id), entities.get(right_id)
            if left is None or right is None or left_id == right_id:
                continue
            left_listed = not LIST_TOPICS.isdisjoint(left.get("topics", quiet=True))
            right_listed = not LIST_TOPICS.isdisjoint(right.get("topics", quiet=True))
            if left_listed == right_listed:
                continue
            own, listed = (right_id, left_id) if left_listed else (left_id, right_id)
            found.append(self._finding(case, entities, own, listed, 1.0, ["the analyst decided they are the same party"],
                                       "same", 0.0))
        return found

    def _finding(self, case, entities: _Entities, own_id: str, listed_id: str, score: float, reasons: list[str],
                 decision: str | None, strong: float) -> dict:
        listed = entities.get(listed_id)
        topics = sorted(LIST_TOPICS.intersection(listed.get("topics", quiet=True))) if listed is not None else []
        sanctions = sorted(
            {
                edge["via_id"]
                for edge in case.edges(listed_id)
                if edge["schema"] == "Sanction" and edge["target_id"] == listed_id and edge["via_id"]
            }
        )
        listings = []
        for sanction_id in sanctions:
            sanction = entities.get(sanction_id)
            if sanction is None:
                continue
            authority = sanction.first("authority") or sanction.first("country") or ""
            program = sanction.first("program") or sanction.first("programId") or ""
            since = sanction.first("listingDate") or sanction.first("startDate")
            listings.append(", ".join(part for part in (authority, program, since and f"listed {since}") if part))
        listed_text = f"listed {entities.caption(listed_id)} ({_topic_labels(topics)}"
        if listings:
            listed_text += ": " + "; ".join(listings)
        listed_text += ")"
        if decision == "same":
            explanation = (f"{entities.caption(own_id)} is {listed_text}: the analyst decided they are the same party.")
            verb = "confirmed"
        else:
            verb = "resembles"
            explanation = (f"{entities.caption(own_id)} resembles {listed_text}, resolver score {score:.2f}: "
                           f"{'; '.join(reasons)}.")
            if decision == "unsure":
                explanation += " The analyst marked this pair unsure."
        return {
            "entities": [own_id],
            "evidence": [listed_id, *sanctions],
            "score": round(score, 4),
            "severity": "high" if decision == "same" or score >= strong else "medium",
            "explanation": explanation,
            "details": {"listed": listed_id, "match": verb, "topics": topics, "sanctions": sanctions,
                        "reasons": list(reasons), "decision": decision},
        }


# ---------------------------------------------------------------------------------- 2. OFAC 50 %


class Ofac50Percent(DetectorFamily):
    """An unlisted party owned 50 % or more, in aggregate, by listed (or blocked) parties."""

    id = "ofac-50-percent"
    label = "Owned 50% or more by listed parties"
    description = (
        "OFAC's 50 percent rule: an entity owned 50% or more in aggregate, directly or indirectly, by "
        "blocked persons is itself blocked, and what it owns counts as blocked in turn. Bank accounts "
        "follow their holders and are not reported separately."
    )
    severity = "high"
    reference = ("OFAC Revised Guidance on Entities Owned by Persons Whose Property and Interests in Property Are "
                 f"Blocked (50 percent rule, 2014); {REDFLAGS} #2")
    parameters = {
        "threshold": Parameter(default=0.5, minimum=0.01, maximum=1.0,
                               help="aggregate share (0..1) of listed and blocked owners that blocks a party"),
        # OFAC's rule concerns blocked (sanctioned) persons; add export.control to apply the same
        # test to export-control listings.
        "topics": Parameter(default="sanction", help="comma-separated FtM topics that make an owner listed"),
    }

    def run(self, case: CaseReader) -> Iterator[dict]:
        topics = split_list(self.options["topics"])
        if not topics:
            raise ParameterError("parameter 'topics' names no topic")
        threshold = self.options["threshold"]
        graph = _graph(case)
        shares = listed_share(case, graph, topics=topics, threshold=threshold)
        entities = _Entities(case)
        listed = {node for node in _listed_nodes(graph, topics)}
        flagged = {asset for asset, info in shares.items() if info["flagged"]}
        # The links through which listed and blocked owners hold: the chains of the evidence.
        holdings = nx.DiGraph()
        for asset, info in shares.items():
            for owner in info["owners"]:
                if owner["id"] in listed or owner["id"] in flagged:
                    holdings.add_edge(owner["id"], asset, share=owner["share"])

        for asset in sorted(flagged):
            info = shares[asset]
            schema = graph.nodes[asset].get("schema") if asset in graph else None
            if info["listed"] or _is_account(schema):
                continue
            yield self._finding(graph, entities, holdings, asset, info, listed, threshold)

    def _finding(self, graph, entities: _Entities, holdings: nx.DiGraph, asset: str, info: dict, listed: set[str],
                 threshold: float) -> dict:
        caption = entities.caption(asset)
        evidence: set[str] = set()
        owner_texts = []
        blocked_owners = []
        for owner in info["owners"]:
            vias = _ownership_vias(graph, owner["id"], asset)
            evidence.update(vias)
            since = self._since(entities, vias)
            status = "listed" if owner["listed"] else "blocked under the rule"
            owner_texts.append(f"{owner['caption']} {_percent(owner['share'])} ({status}{since})")
            if not owner["listed"]:
                blocked_owners.append(owner["id"])

        chains = []
        for listed_owner in info["listed_owners"]:
            try:
                path = nx.shortest_path(holdings, listed_owner, asset)
            except (nx.NetworkXNoPath, nx.NodeNotFound):
                continue
            for owner, held in zip(path, path[1:]):
                evidence.update(_ownership_vias(graph, owner, held))
            chains.append(path)
        chains.sort(key=lambda path: (len(path), path))

        how = ", in aggregate, by listed or blocked owners" if len(owner_texts) > 1 else " by a listed or blocked owner"
        explanation = (f"{caption} is {_percent(info['share'])} owned{how}: {_listing(owner_texts)}; "
                       f"under OFAC's 50% rule it counts as blocked.")
        if len(info["owners"]) > 1 and all(o["share"] < threshold for o in info["owners"]):
            explanation += f" No single owner reaches {_percent(threshold)}; together they do."
        indirect = [path for path in chains if len(path) > 2]
        if indirect:
            texts = []
            for path in indirect[:3]:
                steps = [f"{entities.caption(path[0])} (listed)"]
                for owner, held in zip(path, path[1:]):
                    steps.append(f"{_percent(holdings[owner][held]['share'])} {entities.caption(held)}")
                texts.append(" → ".join(steps))
            explanation += " Chain: " + "; ".join(texts) + "."
        score = 0.9 if not blocked_owners else 0.85
        if info["uncertain"]:
            score = 0.6
            explanation += (f" This rests on ownership links without a stated percentage; stated percentages "
                            f"alone give {_percent(info['stated_share'])}.")
        return {
            "entities": [asset],
            "evidence": sorted(evidence),
            "score": score,
            "explanation": explanation,
            "details": {
                "share": info["share"],
                "stated_share": info["stated_share"],
                "owners": [{k: o[k] for k in ("id", "share", "listed", "assumed")} for o in info["owners"]],
                "listed_owners": info["listed_owners"],
                "look_through": info["look_through"],
                "chains": chains,
            },
        }

    @staticmethod
    def _since(entities: _Entities, vias: list[str]) -> str:
        dates = sorted(
            date for via in vias if (ownership := entities.get(via)) is not None
            for date in ownership.get("startDate", quiet=True)
        )
        return f", since {dates[0]}" if dates else ""


# ---------------------------------------------------------------------------------- shared facts


# Two detectors build the same index; it is built once per state of the case's facts.
_FACTS_CACHE: dict[tuple, "_PartyFacts"] = {}


def release_caches() -> None:
    """Drop the party facts read for this family (the detector runner calls it when the family is done)."""
    _FACTS_CACHE.clear()


def _party_facts(case, entities: "_Entities") -> "_PartyFacts":
    key = (str(case.path), case.meta("case_id"), case.facts_version)
    facts = _FACTS_CACHE.get(key)
    if facts is None:
        facts = _PartyFacts(case, entities)
        _FACTS_CACHE.clear()
        _FACTS_CACHE[key] = facts
    return facts


class _PartyFacts:
    """Who has which address, phone, e-mail, director and bank account: one pass over the case.

    Every index maps a normalised value to ``{party id: [ids of the facts that tie them]}``;
    ``shown`` keeps the value as first written, for explanations.
    """

    def __init__(self, case, entities: _Entities):
        self.schemata: dict[str, str] = {}
        self.addresses: dict[str, dict[str, list[str]]] = defaultdict(dict)
        self.phones: dict[str, dict[str, list[str]]] = defaultdict(dict)
        self.emails: dict[str, dict[str, list[str]]] = defaultdict(dict)
        self.directors: dict[str, dict[str, list[str]]] = defaultdict(dict)  # director -> {org: [directorships]}
        self.accounts: dict[str, dict[str, list[str]]] = defaultdict(dict)
        self.shown: dict[tuple[str, str], str] = {}
        self.parties: dict[str, Any] = {}

        for party in case.snapshot().of_schema("LegalEntity"):
            self.parties[party.id] = party
            self.schemata[party.id] = party.schema.name
            for text in party.get("address", quiet=True):
                key = normalise_address(text)
                if precise_address(key):
                    self.addresses[key].setdefault(party.id, [])
                    self.shown.setdefault(("address", key), text)
            for address_id in party.get("addressEntity", quiet=True):
                key = f"entity:{address_id}"
                self.addresses[key].setdefault(party.id, []).append(address_id)
                if ("address", key) not in self.shown:
                    self.shown[("address", key)] = entities.caption(address_id)
            for text in party.get("phone", quiet=True):
                key = normalise_phone(text)
                if key:
                    self.phones[key].setdefault(party.id, [])
                    self.shown.setdefault(("phone", key), text)
            for text in party.get("email", quiet=True):
                key = normalise_email(text)
                if key:
                    self.emails[key].setdefault(party.id, [])
                    self.shown.setdefault(("email", key), text)

        for directorship in case.snapshot().of_schema("Directorship"):
            for director in directorship.get("director"):
                for organization in directorship.get("organization"):
                    if director != organization:
                        self.directors[director].setdefault(organization, []).append(directorship.id)

        account_key: dict[str, str] = {}
        for account in case.snapshot().of_schema("BankAccount"):
            numbers = account.get("iban", quiet=True) or account.get("accountNumber", quiet=True)
            # Two records of one account (an IBAN on a payment, the same IBAN on a bank
            # statement) are one account.
            account_key[account.id] = f"number:{_normalise_account_number(numbers[0])}" if numbers else account.id
            self.shown.setdefault(("account", account_key[account.id]), numbers[0] if numbers else account.caption)

        def hold(holder: str, account_id: str, fact_id: str) -> None:
            key = account_key.get(account_id, account_id)
            self.accounts[key].setdefault(holder, []).append(fact_id)
            self.shown.setdefault(("account", key), entities.caption(account_id))

        for ownership in case.snapshot().of_schema("Ownership"):
            for asset in ownership.get("asset"):
                if asset in account_key:
                    for owner in ownership.get("owner"):
                        hold(owner, asset, ownership.id)
        # Only payments that name an account: on a bank-records case, a few among millions.
        accounts_named = ("payerAccount", "beneficiaryAccount")
        with_accounts = case.facts_having("Payment", ("payer", "beneficiary", *accounts_named), accounts_named) \
            if hasattr(case, "facts_having") else case.snapshot().of_schema("Payment")
        for payment in with_accounts:
            for party_prop, account_prop in (("payer", "payerAccount"), ("beneficiary", "beneficiaryAccount")):
                for account_id in payment.get(account_prop, quiet=True):
                    for holder in payment.get(party_prop, quiet=True):
                        hold(holder, account_id, payment.id)

    def indexes(self) -> list[tuple[str, dict[str, dict[str, list[str]]]]]:
        return [("address", self.addresses), ("phone", self.phones), ("email", self.emails),
                ("account", self.accounts)]


# ---------------------------------------------------------------------------------- 3. shared facts


class SharedIdentifierWithListed(DetectorFamily):
    """A party that shares a director, address, phone, e-mail or bank account with a listed one."""

    id = "shared-identifier-with-listed"
    label = "Shares a director, address or contact with a listed party"
    description = (
        "Parties that share a director (or whose director is listed), a normalised address, phone "
        "number, e-mail address or bank account with a listed party: the signature of a front "
        "company. With include_blocked, parties blocked by OFAC's 50% rule count as listed."
    )
    severity = "high"
    reference = ("FATF Guidance on PF Risk Assessment and Mitigation 2021; KCL Study of Typologies of Financing of WMD "
                 f"Proliferation; Project Alpha (FATF-21, KCL-STFoP, Alpha); {REDFLAGS} #3")
    parameters = {
        "include_blocked": Parameter(default=True,
                                     help="count parties owned 50% or more by listed ones as listed (OFAC 50% rule)"),
        "blocked_topics": Parameter(default="sanction",
                                    help="comma-separated topics of the owners that block a party under the 50% rule"),
        # A registered agent's address or a bank's switchboard is shared by hundreds of firms:
        # such a value says nothing about any one of them (the mass-registration detector reports it).
        "max_parties_per_value": Parameter(default=50, minimum=2, maximum=100_000,
                                           help="ignore a value shared by more parties than this"),
    }

    WEIGHTS = {"director": 0.6, "listed director": 0.8, "account": 0.8, "email": 0.6, "phone": 0.5, "address": 0.4}

    def run(self, case: CaseReader) -> Iterator[dict]:
        graph = _graph(case)
        entities = _Entities(case)
        listed = _listed_nodes(graph)
        blocked: dict[str, dict] = {}
        if self.options["include_blocked"]:
            topics = split_list(self.options["blocked_topics"]) or ["sanction"]
            blocked = _blocked_parties(case, graph, topics, 0.5)
        watched = set(listed) | set(blocked)
        if not watched:
            return
        facts = _party_facts(case, entities)
        limit = self.options["max_parties_per_value"]

        # subject -> [(kind, shown value, counterparts, fact ids)]
        shared: dict[str, list[tuple[str, str, list[str], list[str]]]] = defaultdict(list)

        def share(kind: str, holders: dict[str, list[str]], shown: Callable[[], str]) -> None:
            """Each unwatched party among ``holders`` (party -> the facts that say it holds the
            value) shares the value with the watched ones, when not too many hold it."""
            if len(holders) < 2 or len(holders) > limit:
                return
            counterparts = sorted(h for h in holders if h in watched)
            if not counterparts:
                return
            for subject in sorted(h for h in holders if h not in watched and h in facts.parties):
                fact_ids = [f for h in [subject, *counterparts] for f in holders[h]]
                shared[subject].append((kind, shown(), counterparts, fact_ids))

        for kind, index in facts.indexes():
            for key in sorted(index):
                share(kind, index[key], lambda: facts.shown[(kind, key)])

        for director in sorted(facts.directors):
            organizations = facts.directors[director]
            if director in watched:
                # The listed party itself sits on the board.
                for subject in sorted(o for o in organizations if o not in watched and o in facts.parties):
                    shared[subject].append(("listed director", entities.caption(director), [director],
                                            list(organizations[subject])))
            share("director", organizations, lambda: entities.caption(director))

        for subject in sorted(shared):
            yield self._finding(entities, subject, shared[subject], listed, blocked)

    def _finding(self, entities: _Entities, subject: str, items: list, listed: dict, blocked: dict) -> dict:
        parts = []
        counterparts: list[str] = []
        evidence: set[str] = set()
        miss = 1.0
        strong_listed = False
        for kind, shown, others, fact_ids in items:
            names = _listing([entities.caption(o) for o in others])
            if kind == "listed director":
                parts.append(f"is directed by {shown}")
            elif kind == "address":
                parts.append(f"shares the address {shown!r} with {names}")
            else:
                label = {"director": "director", "phone": "phone", "email": "e-mail", "account": "bank account"}[kind]
                parts.append(f"shares {label} {shown} with {names}")
            for other in others:
                if other not in counterparts:
                    counterparts.append(other)
            evidence.update(fact_ids)
            miss *= 1 - self.WEIGHTS[kind]
            if kind != "address" and any(o in listed for o in others):
                strong_listed = True
        only_blocked = all(o not in listed for o in counterparts)
        score = min(0.95, (1 - miss) * (0.9 if only_blocked else 1.0))

        notes = []
        listed_here = [o for o in counterparts if o in listed]
        blocked_here = [o for o in counterparts if o in blocked]
        if listed_here:
            notes.append(_listing([f"{entities.caption(o)} is listed ({_topic_labels(listed[o])})" for o in listed_here]))
        if blocked_here:
            notes.append("blocked under OFAC's 50% rule, as owned by listed parties: "
                         + _listing([f"{entities.caption(o)} {_percent(blocked[o]['share'])}" for o in blocked_here]))
        explanation = f"{entities.caption(subject)} {'; '.join(parts)}. " + _sentence("; ".join(notes))
        evidence.update(counterparts)
        return {
            "entities": [subject],
            "evidence": sorted(evidence),
            "score": round(score, 4),
            "severity": "high" if strong_listed else "medium",
            "explanation": explanation,
            "details": {
                "shared": [{"kind": kind, "value": shown, "with": others} for kind, shown, others, _ in items],
                "listed": listed_here,
                "blocked": blocked_here,
            },
        }


# ---------------------------------------------------------------------------------- 4. shells


class MassRegistrationOrNominee(DetectorFamily):
    """Many companies at one address, one person directing many companies, related counterparties."""

    id = "mass-registration-or-nominee"
    label = "Mass-registration address or nominee director"
    description = (
        "Addresses shared by many companies, persons (or firms) directing many companies, and "
        "counterparties in a payment or shipment that share a director or an address: shell and "
        "front-company indicators."
    )
    severity = "medium"
    reference = ("FATF Guidance on PF Risk Assessment and Mitigation 2021; FATF PF sanctions-evasion typologies; "
                 f"KCL Study of Typologies (FATF-21, FATF-25, KCL-STFoP); {REDFLAGS} #24")
    parameters = {
        # redflags.md suggests 20 companies and 10 boards, figures for a company registry. A case
        # holds a small slice of any registry: the few companies that came up in one
        # investigation, so a handful at one address or on one person's boards already stands out.
        "min_companies_per_address": Parameter(default=5, minimum=2, maximum=10_000,
                                               help="report an address shared by at least this many companies"),
        "min_directorships": Parameter(default=4, minimum=2, maximum=10_000,
                                       help="report a director of at least this many companies"),
        "related_counterparties": Parameter(default=True,
                                            help="report payment or shipment counterparties sharing a director or address"),
        "include_list_only": Parameter(default=False,
                                       help="also report groups made only of listed parties (imported list data)"),
    }

    def run(self, case: CaseReader) -> Iterator[dict]:
        graph = _graph(case)
        entities = _Entities(case)
        listed = _listed_nodes(graph)
        facts = _party_facts(case, entities)
        findings = []
        findings += self._addresses(entities, facts, listed)
        findings += self._nominees(entities, facts, listed)
        if self.options["related_counterparties"]:
            findings += self._counterparties(case, graph, entities, facts)
        findings.sort(key=lambda f: (f["details"]["pattern"], f["entities"]))
        yield from findings

    def _list_only(self, ids: Iterable[str], listed: dict) -> bool:
        return not self.options["include_list_only"] and all(i in listed for i in ids)

    def _addresses(self, entities: _Entities, facts: _PartyFacts, listed: dict) -> list[dict]:
        minimum = self.options["min_companies_per_address"]
        found = []
        for key in sorted(facts.addresses):
            companies = sorted(p for p in facts.addresses[key] if not _is_person(facts.schemata.get(p)))
            if len(companies) < minimum or self._list_only(companies, listed):
                continue
            shown = facts.shown[("address", key)]
            described = []
            for company in companies:
                party = facts.parties[company]
                extra = ", ".join(filter(None, [
                    ", ".join(c.upper() for c in _countries_of(party)[:1]),
                    f"incorporated {party.first('incorporationDate')}" if party.first("incorporationDate") else "",
                ]))
                described.append(f"{party.caption}{f' ({extra})' if extra else ''}")
            common_directors = sorted(
                director for director, organizations in facts.directors.items()
                if sum(1 for c in companies if c in organizations) >= 2
            )
            explanation = f"{len(companies)} companies are registered at {shown!r}: {_listing(described, 10)}."
            evidence = sorted({f for c in companies for f in facts.addresses[key][c]})
            if common_directors:
                explanation += " " + "; ".join(
                    f"{entities.caption(d)} directs "
                    f"{_listing([facts.parties[c].caption for c in companies if c in facts.directors[d]])}"
                    for d in common_directors
                ) + "."
                evidence = sorted(set(evidence) | {f for d in common_directors for c in companies
                                                   for f in facts.directors[d].get(c, [])})
            found.append({
                "entities": companies,
                "evidence": evidence,
                "score": round(min(0.9, 0.4 + 0.05 * (len(companies) - minimum) + 0.1 * bool(common_directors)), 4),
                "explanation": explanation,
                "details": {"pattern": "address", "address": shown, "companies": companies,
                            "common_directors": common_directors},
            })
        return found

    def _nominees(self, entities: _Entities, facts: _PartyFacts, listed: dict) -> list[dict]:
        minimum = self.options["min_directorships"]
        found = []
        for director in sorted(facts.directors):
            organizations = facts.directors[director]
            if len(organizations) < minimum or self._list_only([director, *organizations], listed):
                continue
            described, roles, evidence = [], set(), set()
            for organization in sorted(organizations, key=lambda o: (entities.caption(o), o)):
                org = entities.get(organization)
                countries = ", ".join(c.upper() for c in _countries_of(org)[:1]) if org is not None else ""
                starts = []
                for directorship_id in organizations[organization]:
                    evidence.add(directorship_id)
                    directorship = entities.get(directorship_id)
                    if directorship is not None:
                        roles.update(directorship.get("role", quiet=True))
                        starts.extend(directorship.get("startDate", quiet=True))
                extra = ", ".join(filter(None, [countries, f"from {min(starts)}" if starts else ""]))
                described.append(f"{entities.caption(organization)}{f' ({extra})' if extra else ''}")
            nominee = any("nominee" in role.casefold() for role in roles)
            explanation = (f"{entities.caption(director)} directs {len(organizations)} companies: "
                           f"{_listing(described, 10)}.")
            if roles:
                explanation += f" Roles recorded: {_listing([repr(r) for r in sorted(roles)])}."
            found.append({
                "entities": [director, *sorted(organizations)],
                "evidence": sorted(evidence),
                "score": round(min(0.9, 0.5 + 0.05 * (len(organizations) - minimum) + 0.2 * nominee), 4),
                "explanation": explanation,
                "details": {"pattern": "director", "director": director, "companies": sorted(organizations),
                            "roles": sorted(roles), "nominee_role": nominee},
            })
        return found

    def _counterparties(self, case, graph, entities: _Entities, facts: _PartyFacts) -> list[dict]:
        directors_of: dict[str, set[str]] = defaultdict(set)
        for director, organizations in facts.directors.items():
            for organization in organizations:
                directors_of[organization].add(director)
        addresses_of: dict[str, set[str]] = defaultdict(set)
        for key, holders in facts.addresses.items():
            for holder in holders:
                addresses_of[holder].add(key)
        # Only parties with a director or an address can share one: their deals are all that count.
        tied = set(directors_of) | set(addresses_of)
        deals: dict[tuple[str, str], list[str]] = defaultdict(list)
        # Exporter-consignee pairs are the graph's own links (already built and cached);
        # payer-beneficiary pairs come from the payments' columns.
        kinds = ("Shipment",) if hasattr(case, "payment_columns") else ("Payment", "Shipment")
        for left, right, data in graph.edges(data=True):
            if data["prop"] is None and data["schema"] in kinds and left != right and left in tied and right in tied:
                deals[tuple(sorted((left, right)))].append(data["via"])
        if tied and hasattr(case, "payment_columns"):
            payments = case.payment_columns()
            wanted = np.fromiter((party in tied for party in payments.parties), dtype=bool,
                                 count=len(payments.parties))
            if wanted.any():
                rows = np.flatnonzero((payments.payer >= 0) & (payments.beneficiary >= 0)
                                      & (payments.payer != payments.beneficiary))
                rows = rows[wanted[payments.payer[rows]] & wanted[payments.beneficiary[rows]]]
                ids = payments.payment_ids(payments.payment[rows].tolist())
                for row, via in zip(rows.tolist(), ids):
                    left, right = payments.parties[payments.payer[row]], payments.parties[payments.beneficiary[row]]
                    deals[tuple(sorted((left, right)))].append(via)
            del payments

        found = []
        for (left, right), deal_ids in sorted(deals.items()):
            directors = sorted(directors_of[left] & directors_of[right])
            addresses = sorted(addresses_of[left] & addresses_of[right])
            if not directors and not addresses:
                continue
            ties = [f"director {entities.caption(d)}" for d in directors]
            ties += [f"the address {facts.shown[('address', a)]!r}" for a in addresses]
            deal_texts = [self._deal(entities, deal_id) for deal_id in sorted(set(deal_ids))]
            evidence = set(deal_ids)
            for director in directors:
                evidence.update(facts.directors[director][left] + facts.directors[director][right])
            explanation = (f"{entities.caption(left)} and {entities.caption(right)} deal with each other "
                           f"({_listing(deal_texts)}) and share {_listing(ties)}.")
            # A disclosed stake between the two makes the tie less of a secret, not less of a tie.
            stakes = []
            for owner, asset in ((left, right), (right, left)):
                for via in _ownership_vias(graph, owner, asset):
                    stake = entities.get(via)
                    share = parse_percentage(stake.get("percentage", quiet=True)) if stake is not None else None
                    held = f"{_percent(share)} of" if share is not None else "a stake in"
                    stakes.append(f"{entities.caption(owner)} holds {held} {entities.caption(asset)}")
                    evidence.add(via)
            if stakes:
                explanation += f" {_sentence(_listing(stakes))}"
            found.append({
                "entities": [left, right],
                "evidence": sorted(evidence),
                "score": (0.6 if directors else 0.5) - (0.1 if stakes else 0.0),
                "explanation": explanation,
                "details": {"pattern": "counterparties", "directors": directors,
                            "addresses": [facts.shown[("address", a)] for a in addresses],
                            "deals": sorted(set(deal_ids))},
            })
        return found

    @staticmethod
    def _deal(entities: _Entities, deal_id: str) -> str:
        deal = entities.get(deal_id)
        if deal is None:
            return deal_id
        date = deal.first("date") or deal.first("startDate")
        if deal.schema.is_a("Payment"):
            amount = money(deal.first("amount"), deal.first("currency"))
            return "payment" + "".join(f" {part}" for part in (amount and f"of {amount}", date and f"on {date}") if part)
        hs = deal.first("hsCode")
        return (f"shipment {entities.fact_name(deal_id)}"
                + "".join(f", {part}" for part in (hs and f"HS {hs}", date and f"on {date}") if part))


# ---------------------------------------------------------------------------------- 5. opacity


class OpaqueOwnership(DetectorFamily):
    """Long ownership chains, circular ownership, layers in secrecy jurisdictions."""

    id = "opaque-ownership"
    label = "Opaque ownership"
    description = (
        "Parties whose ownership runs through many layers of companies or through companies in "
        "secrecy jurisdictions, and groups of companies that own each other in a circle. Only the "
        "lowest party of a layered structure is reported: its finding names the layers above."
    )
    severity = "medium"
    reference = ("FATF Guidance on PF Risk Assessment and Mitigation 2021; FATF PF sanctions-evasion typologies "
                 f"(FATF-21, FATF-25); {REDFLAGS} #25")
    parameters = {
        "min_depth": Parameter(default=3, minimum=2, maximum=12,
                               help="report a party with an ownership chain of at least this many links above it"),
        "secrecy_jurisdictions": Parameter(
            default="secrecy_jurisdictions",
            help="comma-separated ISO2 codes or reference table names; an owning company there is a secrecy layer",
        ),
        "report_cycles": Parameter(default=True, help="report groups of companies that own each other in a circle"),
    }

    # Longest-chain search is bounded: chains longer than this are reported at this length.
    MAX_DEPTH = 12
    SEARCH_BUDGET = 5_000

    def run(self, case: CaseReader) -> Iterator[dict]:
        secrecy = self.country_option("secrecy_jurisdictions")
        min_depth = self.options["min_depth"]
        graph = _graph(case)
        entities = _Entities(case)
        links = nx.DiGraph()
        for owner, asset, data in graph.edges(data=True):
            if data.get("prop") is not None or not _schema_is(data.get("schema"), "Ownership") or owner == asset:
                continue
            # Bank accounts follow their holders; they add a layer to nobody's ownership.
            if _is_account(graph.nodes[asset].get("schema")) or _is_account(graph.nodes[owner].get("schema")):
                continue
            if links.has_edge(owner, asset):
                links[owner][asset]["vias"].add(data["via"])
            else:
                links.add_edge(owner, asset, vias={data["via"]})
        if not links:
            return
        countries = {node: self._countries(entities, node) for node in links}
        shares = {(owner, asset): self._share(entities, data["vias"]) for owner, asset, data in links.edges(data=True)}

        flagged: dict[str, dict] = {}
        for node in sorted(links):
            if links.in_degree(node) == 0:
                continue
            upstream = nx.ancestors(links, node) - {node}
            layers = sorted(u for u in upstream if not _is_person(graph.nodes[u].get("schema")))
            secret = [u for u in layers if secrecy.intersection(countries[u])]
            chain = self._deepest_chain(links, node)
            depth = len(chain) - 1
            if depth >= min_depth or secret:
                flagged[node] = {"upstream": upstream, "layers": layers, "secret": secret, "chain": chain}

        # The structure above a flagged party is also above everything it owns, so only the
        # lowest flagged parties are reported; their findings name the layers above. Within a
        # group that owns itself in a circle, the first flagged member stands for the group.
        components = nx.condensation(links)
        group_of = components.graph["mapping"]
        flagged_groups = {group_of[node] for node in flagged}
        below: dict[int, bool] = {}
        for group in reversed(list(nx.topological_sort(components))):
            below[group] = any(child in flagged_groups or below[child] for child in components.successors(group))
        cycles = [sorted(components.nodes[g]["members"]) for g in components if len(components.nodes[g]["members"]) > 1]
        in_cycle = {node for members in cycles for node in members}
        findings = []
        reported_groups: set[int] = set()
        for node in sorted(flagged):
            group = group_of[node]
            if below[group] or group in reported_groups:
                continue
            reported_groups.add(group)
            findings.append(self._party_finding(entities, links, countries, shares, secrecy, node, flagged[node],
                                                in_cycle, min_depth))
        if self.options["report_cycles"]:
            for members in sorted(cycles):
                findings.append(self._cycle_finding(entities, links, countries, shares, members))
        yield from findings

    @staticmethod
    def _countries(entities: _Entities, node: str) -> list[str]:
        entity = entities.get(node)
        return _countries_of(entity) if entity is not None else []

    @staticmethod
    def _share(entities: _Entities, vias: set[str]) -> float | None:
        values = []
        for via in sorted(vias):
            ownership = entities.get(via)
            if ownership is not None:
                share = parse_percentage(ownership.get("percentage", quiet=True))
                if share is not None:
                    values.append(share)
        return max(values) if values else None

    def _deepest_chain(self, links: nx.DiGraph, node: str) -> list[str]:
        """The longest simple ownership chain ending at ``node`` (top owner first), bounded."""
        def rank(path: list[str]) -> tuple:
            # Longest first; among equals, a chain that starts at a top owner, then by ids.
            return (-len(path), links.in_degree(path[-1]) > 0, list(reversed(path)))

        best: list[str] = [node]
        budget = self.SEARCH_BUDGET
        stack: list[tuple[str, list[str]]] = [(node, [node])]
        while stack and budget > 0:
            budget -= 1
            current, path = stack.pop()
            if rank(path) < rank(best):
                best = path
            if len(path) > self.MAX_DEPTH:
                continue
            for owner in sorted(links.predecessors(current), reverse=True):
                if owner not in path:
                    stack.append((owner, path + [owner]))
        return list(reversed(best))

    def _describe(self, entities: _Entities, countries: dict, node: str) -> str:
        codes = countries.get(node) or []
        return f"{entities.caption(node)} ({codes[0].upper()})" if codes else entities.caption(node)

    def _chain_text(self, entities, countries, shares, chain: list[str]) -> str:
        steps = [self._describe(entities, countries, chain[0])]
        for owner, asset in zip(chain, chain[1:]):
            share = shares.get((owner, asset))
            steps.append(f"{_percent(share) + ' ' if share is not None else ''}{self._describe(entities, countries, asset)}")
        return " → ".join(steps)

    def _party_finding(self, entities, links, countries, shares, secrecy, node, found, in_cycle, min_depth) -> dict:
        chain = found["chain"]
        depth = len(chain) - 1
        parts = []
        if depth >= min_depth:
            parts.append(f"sits under {depth} layers of ownership: {self._chain_text(entities, countries, shares, chain)}")
        else:
            parts.append(f"is owned through {self._chain_text(entities, countries, shares, chain)}")
        if found["secret"]:
            places = sorted({country_name(c) for s in found["secret"] for c in countries[s] if c in secrecy})
            parts.append(f"{len(found['secret'])} owning compan{'y is' if len(found['secret']) == 1 else 'ies are'} "
                         f"in secrecy jurisdictions ({_listing(places)}): "
                         f"{_listing([entities.caption(s) for s in found['secret']])}")
        cycle_above = sorted(found["upstream"] & in_cycle)
        if cycle_above:
            parts.append(f"the chain runs through circular ownership ({_listing([entities.caption(c) for c in cycle_above])})")
        explanation = f"{entities.caption(node)} " + "; ".join(parts) + "."
        structure = found["upstream"] | {node}
        evidence = sorted({via for owner, asset, data in links.edges(data=True)
                           if owner in structure and asset in structure for via in data["vias"]})
        score = 0.3 + 0.1 * max(0, depth - min_depth + 1) * (depth >= min_depth) + 0.15 * min(len(found["secret"]), 3)
        score += 0.1 * bool(cycle_above)
        return {
            "entities": [node, *found["layers"]],
            "evidence": evidence,
            "score": round(min(0.9, score), 4),
            "explanation": explanation,
            "details": {"pattern": "layers", "depth": depth, "chain": chain, "layers": found["layers"],
                        "secrecy_layers": found["secret"], "circular_above": cycle_above},
        }

    def _cycle_finding(self, entities, links, countries, shares, members: list[str]) -> dict:
        group = links.subgraph(members)
        cycle = [edge[0] for edge in nx.find_cycle(group, source=members[0])]
        cycle.append(cycle[0])
        steps = []
        for owner, asset in zip(cycle, cycle[1:]):
            share = shares.get((owner, asset))
            steps.append(f"{self._describe(entities, countries, owner)} owns "
                         f"{_percent(share) + ' of ' if share is not None else ''}{entities.caption(asset)}")
        evidence = sorted({via for _, _, data in group.edges(data=True) for via in data["vias"]})
        return {
            "entities": members,
            "evidence": evidence,
            "score": 0.7,
            "explanation": f"Circular ownership among {len(members)} parties: " + "; ".join(steps) + ".",
            "details": {"pattern": "cycle", "cycle": cycle, "members": members},
        }


# ---------------------------------------------------------------------------------- 6. end users


class CivilianNearMilitary(DetectorFamily):
    """A declared civilian end user a few links from a military or listed party."""

    id = "civilian-near-military"
    label = "Civilian end user linked to military or listed parties"
    description = (
        "Declared end users (a shipment's declared end user, an end-use document's stated end user, "
        "or the consignee where none is declared) within a few links of ownership, directorship, "
        "payment or shipment of a party with military or list topics or a defence name or sector."
    )
    severity = "high"
    reference = ("UK NCA red-flag alert 2023, flag 10; FinCEN-BIS alerts 2023; EU dual-use red flags "
                 f"(NCA, FB-23, EU-ICP); {REDFLAGS} #26")
    parameters = {
        "max_hops": Parameter(default=2, minimum=1, maximum=4,
                              help="largest number of links between the end user and the military or listed party"),
        "military_topics": Parameter(
            default="mil,gov.security,sanction,sanction.linked,sanction.control,export.control,"
                    "export.control.linked,debarment,invest.ban",
            help="comma-separated FtM topics that mark a military or listed party",
        ),
        "military_keywords": Parameter(
            default="military,defence,defense,armed forces,ministry of defence,ministry of defense",
            help="comma-separated words that mark a military party in its name, alias or sector",
        ),
        "link_types": Parameter(default="Ownership,Directorship,Payment,Shipment",
                                help="comma-separated relationship types the links may be"),
        "consignee_as_end_user": Parameter(default=True,
                                           help="treat the consignee as end user of a shipment that declares none"),
        # A bank or a big forwarder is two links from everyone: paths through it say nothing.
        "max_degree": Parameter(default=100, minimum=2, maximum=100_000,
                                help="do not pass through parties with more links than this"),
    }

    NAME_PROPS = ("name", "alias", "previousName", "sector")
    SCORES = {1: 0.8, 2: 0.6, 3: 0.45, 4: 0.35}
    # Shortest paths listed per military party (a dense web has many of the same length).
    MAX_PATHS = 10

    def run(self, case: CaseReader) -> Iterator[dict]:
        topics = set(split_list(self.options["military_topics"]))
        keywords = split_list(self.options["military_keywords"])
        pattern = re.compile(r"\b(" + "|".join(re.escape(k) for k in keywords) + r")\b", re.IGNORECASE) \
            if keywords else None
        link_types = set()
        for name in split_list(self.options["link_types"]):
            schema = model.get(name)
            if schema is None:
                raise ParameterError(f"parameter 'link_types': no relationship type {name!r}")
            link_types.add(schema.name)
            link_types.update(d.name for d in schema.descendants)
        max_hops = self.options["max_hops"]
        entities = _Entities(case)
        declared = self._end_users(case, entities)
        if not declared:
            return  # no end user declared anywhere: nobody to be near a military party
        # Every link but payments from the family's graph; payments (millions, on a bank-records
        # case) as who paid whom from their columns, their details read only for the paths found.
        graph = _graph(case)
        payment_types = {name for name in link_types if model.get(name).is_a("Payment")}
        by_columns = bool(payment_types) and hasattr(case, "payment_columns") and payment_types >= set(
            _PAYMENT_SCHEMATA)

        adjacency: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
        for source, target, data in graph.edges(data=True):
            if data.get("schema") not in link_types or source == target:
                continue
            if not (_is_party(graph.nodes[source].get("schema")) and _is_party(graph.nodes[target].get("schema"))):
                continue
            adjacency[source][target].append(data)
            adjacency[target][source].append(data)
        if payment_types and not by_columns and hasattr(case, "payment_columns"):
            graph = case_graph(case)  # some payment types only: read them from the whole graph
            for source, target, data in graph.edges(data=True):
                if data.get("schema") in payment_types and data.get("prop") is None and source != target \
                        and _is_party(graph.nodes[source].get("schema")) \
                        and _is_party(graph.nodes[target].get("schema")):
                    adjacency[source][target].append(data)
                    adjacency[target][source].append(data)
        neighbours: Any = adjacency
        filled: set[frozenset[str]] = set()  # pairs of parties whose payments are in ``adjacency``
        if by_columns:
            neighbours = self._paid(case, graph, adjacency)

        military_cache: dict[str, list[str]] = {}

        def military(node: str) -> list[str]:
            if node not in military_cache:
                reasons = sorted(topics.intersection(graph.nodes[node].get("topics") or ()) if node in graph else ())
                entity = entities.get(node)
                if pattern is not None and entity is not None:
                    for prop in self.NAME_PROPS:
                        for value in entity.get(prop, quiet=True):
                            match = pattern.search(value)
                            if match:
                                reasons.append(f"{'sector' if prop == 'sector' else 'name'} {value!r}")
                                break
                military_cache[node] = reasons
            return military_cache[node]

        for end_user in sorted(declared):
            if end_user not in graph or military(end_user):
                continue  # a military end user is not a civilian one: other detectors say so
            reached = self._search(neighbours, end_user, max_hops, military)
            if reached:
                if by_columns:
                    self._add_payment_details(case, adjacency, reached, payment_types, filled)
                yield self._finding(entities, adjacency, end_user, declared[end_user], reached, military)

    @staticmethod
    def _paid(case, graph, adjacency) -> dict[str, set[str]]:
        """Each party's neighbours: by the links in ``adjacency`` and by payments either way."""
        neighbours: dict[str, set[str]] = defaultdict(set)
        for party, others in adjacency.items():
            neighbours[party].update(others)
        payments = case.payment_columns()
        is_party = np.fromiter((party in graph and _is_party(graph.nodes[party].get("schema"))
                                for party in payments.parties), dtype=bool, count=len(payments.parties))
        rows = np.flatnonzero((payments.payer >= 0) & (payments.beneficiary >= 0)
                              & (payments.payer != payments.beneficiary))
        rows = rows[is_party[payments.payer[rows]] & is_party[payments.beneficiary[rows]]]
        pairs = np.unique(np.stack([payments.payer[rows], payments.beneficiary[rows]], axis=1), axis=0)
        names = payments.parties
        for payer, beneficiary in pairs.tolist():
            neighbours[names[payer]].add(names[beneficiary])
            neighbours[names[beneficiary]].add(names[payer])
        return neighbours

    @staticmethod
    def _add_payment_details(case, adjacency, reached, payment_types, filled: set) -> None:
        """The payments between the parties of each path found, as the graph's links have them."""
        for path in (path for found in reached.values() for path in found):
            for left, right in zip(path, path[1:]):
                if frozenset((left, right)) in filled:
                    continue
                filled.add(frozenset((left, right)))
                for edge in case.edges(left):
                    if edge["prop"] is None and edge["schema"] in payment_types \
                            and {edge["source_id"], edge["target_id"]} == {left, right} and left != right:
                        data = {"via": edge["via_id"], "schema": edge["schema"], "prop": None,
                                "start": edge["start_date"], "end": edge["end_date"], "amount": edge["amount"],
                                "currency": edge["currency"]}
                        adjacency[edge["source_id"]][edge["target_id"]].append(data)
                        adjacency[edge["target_id"]][edge["source_id"]].append(data)

    def _end_users(self, case, entities: _Entities) -> dict[str, list[dict]]:
        declared: dict[str, list[dict]] = defaultdict(list)
        for shipment in case.snapshot().of_schema("Shipment"):
            users = shipment.get("declaredEndUser", quiet=True)
            role = "declared end user"
            if not users and self.options["consignee_as_end_user"]:
                users, role = shipment.get("consignee", quiet=True), "consignee (no end user declared)"
            for user in users:
                declared[user].append({
                    "id": shipment.id, "role": role, "hs": shipment.first("hsCode"),
                    "date": shipment.first("startDate") or shipment.first("date"),
                    "destination": shipment.first("destinationCountry"),
                })
        for document in case.snapshot().of_schema("EndUseDocument"):
            for user in document.get("statedEndUser", quiet=True):
                declared[user].append({
                    "id": document.id, "role": "stated end user", "number": document.first("documentNumber"),
                    "date": document.first("date"), "end_use": document.first("endUse"),
                })
        return declared

    def _search(self, adjacency, start: str, max_hops: int, military) -> dict[str, list[list[str]]]:
        """Breadth-first from the end user: the nearest military parties and the shortest paths to each."""
        limit = self.options["max_degree"]
        level = {start: 0}
        parents: dict[str, list[str]] = defaultdict(list)
        frontier = [start]
        targets = []
        for hop in range(1, max_hops + 1):
            following = []
            for node in frontier:
                if node != start and (military(node) or len(adjacency[node]) > limit):
                    continue  # paths end at a military party, and do not run through hubs
                for neighbour in sorted(adjacency[node]):
                    if neighbour not in level:
                        level[neighbour] = hop
                        following.append(neighbour)
                        if military(neighbour):
                            targets.append(neighbour)
                    if level[neighbour] == hop:
                        parents[neighbour].append(node)
            frontier = following

        reached: dict[str, list[list[str]]] = {}
        for target in targets:
            paths: list[list[str]] = []
            stack = [[target]]
            while stack and len(paths) < self.MAX_PATHS:
                path = stack.pop()
                if path[-1] == start:
                    paths.append(list(reversed(path)))
                    continue
                stack.extend(path + [parent] for parent in sorted(parents[path[-1]], reverse=True))
            reached[target] = paths
        return reached

    def _finding(self, entities: _Entities, adjacency, end_user: str, declarations: list[dict], reached: dict,
                 military) -> dict:
        evidence: set[str] = {item["id"] for item in declarations}
        declared_texts = []
        for role in ("stated end user", "declared end user", "consignee (no end user declared)"):
            items = sorted((d for d in declarations if d["role"] == role), key=lambda d: (d.get("date") or "", d["id"]))
            if not items:
                continue
            texts = []
            for item in items:
                if role == "stated end user":
                    use = f", end use {item['end_use']!r}" if item.get("end_use") else ""
                    texts.append(f"{entities.fact_name(item['id'])} ({item.get('date') or 'undated'}{use})")
                else:
                    where = f" to {country_name(item['destination'])}" if item.get("destination") else ""
                    texts.append(f"{entities.fact_name(item['id'])} (HS {item.get('hs') or '?'}{where},"
                                 f" {item.get('date') or 'undated'})")
            what = "end-use document" if role == "stated end user" else "shipment"
            plural = "s" if len(texts) > 1 else ""
            declared_texts.append(f"{role} in {what}{plural} {_listing(texts, 3)}")

        def vias(left: str, right: str) -> list[dict]:
            """The links between two parties, one per relationship entity, earliest first."""
            by_via: dict[str, dict] = {}
            for data in adjacency[left][right]:
                if data["via"] not in by_via or data.get("prop") is None:
                    by_via[data["via"]] = data
            return sorted(by_via.values(), key=lambda d: (d.get("start") or "", d["via"]))

        paths = [path for found in reached.values() for path in found]
        # The strongest ties first: paths whose steps rest on more relationships.
        strength = {tuple(p): sum(len(vias(a, b)) for a, b in zip(p, p[1:])) for p in paths}
        paths.sort(key=lambda p: (len(p), -strength[tuple(p)], p))
        path_texts = []
        for path in paths:
            steps = [entities.caption(path[0])]
            for left, right in zip(path, path[1:]):
                links = vias(left, right)
                evidence.update(d["via"] for d in links)
                first = links[0]
                details = " ".join(filter(None, [(first.get("schema") or "link").lower(),
                                                 entities.link_name(first["via"]), first.get("start"),
                                                 money(first.get("amount"), first.get("currency"))]))
                more = f" (+{len(links) - 1})" if len(links) > 1 else ""
                steps.append(f"[{details}{more}] {entities.caption(right)}")
            path_texts.append(" – ".join(steps))
        nearest = len(paths[0]) - 1
        targets = sorted(reached, key=lambda t: (min(len(p) for p in reached[t]), entities.caption(t)))
        target_texts = [f"{entities.caption(t)} ({'; '.join(military(t))})" for t in targets]
        shown = 2
        explanation = (
            f"{entities.caption(end_user)}, {'; '.join(declared_texts)}, is {nearest} link{'s' if nearest > 1 else ''} "
            f"from {_listing(target_texts, 4)}. Shortest path{'s' if len(paths) > 1 else ''}: "
            f"{'; '.join(path_texts[:shown])}{f'; and {len(paths) - shown} more' if len(paths) > shown else ''}."
        )
        return {
            "entities": [end_user, *sorted(reached)],
            "evidence": sorted(evidence),
            "score": self.SCORES.get(nearest, 0.3),
            "severity": "high" if nearest == 1 else "medium",
            "explanation": explanation,
            "details": {"hops": nearest, "paths": paths, "declarations": [d["id"] for d in declarations],
                        "military": {node: military(node) for node in sorted(reached)}},
        }
