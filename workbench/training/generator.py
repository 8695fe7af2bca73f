"""Synthetic procurement cases for training, from a scenario recipe and a seed.

A generated case has two layers:

* **background noise**: legitimate trade. Manufacturers, distributors and customers in many
  countries, each with a director and owners; shipments with HS codes (CHPL goods among
  them, to ordinary destinations), payments that match the shipments, consistent end-use
  documents. It is built to stay quiet under the red-flag detectors: no trading houses as
  consignees, no CHPL goods to hubs, no amounts just under a reporting threshold, no money
  that passes straight through a distributor, and so on (see ``docs/training.md``).
* **planted patterns**: each a function (:data:`PATTERNS`) that creates the entities of one
  diversion typology (a front company in a transshipment hub, a listed party two hops away,
  ...) and returns its answer: the entities and facts that form it, step by step, and the
  detectors that should fire. Optional **decoys** (:data:`DECOYS`) are legitimate parties
  that look suspicious: a detector fires, the answer is "innocent".

The answer key is kept out of the case: :func:`write_case` writes it to ``CASE.wbcase.key.json``.

Everything is drawn from ``random.Random`` streams seeded from the seed, section by section, so
the same seed gives the same case byte for byte; ids are hashes of the seed and a role, so they
say nothing about which entities were planted. Entities are plain FtM dicts built directly (no
proxy per entity), so a million payments take seconds to build (``--payments``).
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from workbench import __version__
from workbench.model import Record, SourceInfo
from workbench.resources import resources_dir
from workbench.store import SUFFIX, Case
from workbench.training.background import build_background
from workbench.training.builder import CaseBuilder, Planted, Step
from workbench.training.patterns import DECOYS, PATTERNS
from workbench.training.world import COUNTRIES, DEFAULT_PERIOD, QUIET_BAND, SAFE_COUNTRIES, SOURCES, iso_day

KEY_FORMAT = "workbench-training-key/1"

# ------------------------------------------------------------------------------------ scenarios


@dataclass
class Scenario:
    """A recipe: background counts (multiplied by ``size``), planted patterns, decoys."""

    id: str
    title: str
    description: str = ""
    level: str = "intermediate"
    period: tuple[date, date] = DEFAULT_PERIOD
    background: dict[str, Any] = field(default_factory=dict)
    patterns: list[dict[str, Any]] = field(default_factory=list)
    decoys: list[dict[str, Any]] = field(default_factory=list)
    approx_entities: int | None = None
    source_text: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any], source_text: str = "") -> "Scenario":
        if not isinstance(data, dict) or not data.get("id"):
            raise ValueError("a scenario needs at least an 'id'")
        period = data.get("period") or DEFAULT_PERIOD
        try:
            start, end = (value if isinstance(value, date) else date.fromisoformat(str(value)) for value in period)
        except (TypeError, ValueError) as error:
            raise ValueError(f"scenario {data['id']!r}: period must be two ISO dates") from error
        patterns = [p if isinstance(p, dict) else {"kind": p} for p in data.get("patterns") or []]
        decoys = [d if isinstance(d, dict) else {"kind": d} for d in data.get("decoys") or []]
        for item in patterns:
            if item.get("kind") not in PATTERNS:
                raise ValueError(f"scenario {data['id']!r}: unknown pattern {item.get('kind')!r}; "
                                 f"known: {', '.join(PATTERNS)}")
        for item in decoys:
            if item.get("kind") not in DECOYS:
                raise ValueError(f"scenario {data['id']!r}: unknown decoy {item.get('kind')!r}; "
                                 f"known: {', '.join(DECOYS)}")
        return cls(id=str(data["id"]), title=str(data.get("title") or data["id"]),
                   description=str(data.get("description") or "").strip(), level=str(data.get("level") or ""),
                   period=(start, end), background=dict(data.get("background") or {}), patterns=patterns,
                   decoys=decoys, approx_entities=data.get("approx_entities"), source_text=source_text)


def scenarios_dir() -> Path:
    return resources_dir() / "scenarios"


def list_scenarios() -> list[Scenario]:
    """The bundled scenarios, smallest first."""
    found = [load_scenario(path) for path in sorted(scenarios_dir().glob("*.yaml"))]
    return sorted(found, key=lambda s: (s.approx_entities or 0, s.id))


def load_scenario(name: str | Path) -> Scenario:
    """A bundled scenario by id (``classroom``) or a scenario YAML file by path."""
    path = Path(name)
    if not path.suffix:
        path = scenarios_dir() / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in scenarios_dir().glob("*.yaml")))
        raise LookupError(f"no scenario {str(name)!r}; bundled scenarios: {known}")
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ValueError(f"{path}: not valid YAML ({error})") from error
    return Scenario.from_dict(data, source_text=text)


# ------------------------------------------------------------------------------------ bulk payments


def _bulk_transfers(b: CaseBuilder, seed: int, count: int) -> tuple[list[dict[str, Any]], Callable[[], Iterator[dict]]]:
    """Account holders and a generator of ``count`` ordinary transfers among them (benchmarks).

    Holders are plain dicts; transfers are yielded one at a time so that a million of them
    never sit in memory together.
    """
    rng = random.Random(f"{seed}:bulk-holders")
    holders = max(100, min(20_000, count // 50))
    parties: list[dict[str, Any]] = []
    ids = []
    for index in range(holders):
        country = rng.choice(SAFE_COUNTRIES)
        stem = b.stem(rng, COUNTRIES[country][0])
        entity_id = b.make_id("Company", f"bulk:holder:{index}")
        kind, number = b.iban_or_number(rng, country)
        parties.append({"id": entity_id, "schema": "Company", "properties": {
            "name": [f"{stem} {rng.choice(('Services', 'Consulting', 'Properties', 'Partners', 'Media'))} "
                     f"{rng.choice(COUNTRIES[country][4])}"],
            "country": [country], "incorporationDate": [f"{rng.randint(1960, 2015)}-01-01"]}})
        account_id = b.make_id("BankAccount", f"bulk:account:{index}")
        parties.append({"id": account_id, "schema": "BankAccount",
                        "properties": {kind: [number], "country": [country], "currency": ["EUR"]}})
        ids.append((entity_id, account_id))
    start, end = b.period
    span = (end - start).days
    salt = f"{b.scenario.id}:{seed}:bulk:"
    purposes = ("Consulting services", "Rent", "Licence fee", "Maintenance contract", "Advertising", "Insurance premium",
                "Software subscription", "Travel expenses", "Management fee", "Service agreement")
    low, high = math.log(200), math.log(250_000)
    days = [iso_day(start + timedelta(days=d)) for d in range(span + 1)]

    def transfers() -> Iterator[dict[str, Any]]:
        stream = random.Random(f"{seed}:bulk-transfers")
        pick, uniform, randrange = stream.choice, stream.uniform, stream.randrange
        for number in range(count):
            payer, beneficiary = pick(ids), pick(ids)
            if payer is beneficiary:
                beneficiary = ids[(ids.index(payer) + 1) % len(ids)]
            amount = math.exp(uniform(low, high))
            if QUIET_BAND[0] <= amount < QUIET_BAND[1]:
                amount *= 1.3
            yield {"id": "pay-" + hashlib.sha1(f"{salt}{number}".encode()).hexdigest()[:14], "schema": "Payment",
                   "properties": {"payer": [payer[0]], "beneficiary": [beneficiary[0]], "amount": [f"{amount:.2f}"],
                                  "currency": ["EUR"], "date": [days[randrange(span + 1)]],
                                  "purpose": [purposes[randrange(len(purposes))]],
                                  "payerAccount": [payer[1]], "beneficiaryAccount": [beneficiary[1]]}}

    return parties, transfers


# ------------------------------------------------------------------------------------ generating


@dataclass
class GeneratedCase:
    """A generated case in memory: entities by source family, the answer, and how it was made."""

    scenario: Scenario
    seed: int
    size: float
    families: dict[str, list[dict[str, Any]]]
    patterns: list[Planted]
    decoys: list[Planted]
    labels: dict[str, str]
    bulk_payments: int = 0
    bulk: Callable[[], Iterator[dict[str, Any]]] | None = None

    @property
    def entities(self) -> list[dict[str, Any]]:
        """Every entity except bulk transfers, sorted by id (the order says nothing about roles)."""
        return sorted((e for family in self.families.values() for e in family), key=lambda e: e["id"])

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = defaultdict(int)
        for entity in self.entities:
            found[entity["schema"]] += 1
        if self.bulk_payments:
            found["Payment"] += self.bulk_payments
        return dict(sorted(found.items()))

    def dump(self) -> str:
        """The entities as sorted JSON lines: byte-identical for the same scenario, seed and size."""
        return "".join(json.dumps(e, sort_keys=True, ensure_ascii=False) + "\n" for e in self.entities)

    def key(self, case_id: str | None = None) -> dict[str, Any]:
        """The answer key as JSON-ready data."""
        wanted = {i for p in self.patterns + self.decoys for i in (*p.entities, *p.facts, *p.context)}
        return {
            "format": KEY_FORMAT,
            "scenario": self.scenario.id,
            "title": self.scenario.title,
            "seed": self.seed,
            "size": self.size,
            "bulk_payments": self.bulk_payments,
            "case_id": case_id,
            "generated_by": f"workbench {__version__}",
            "period": [iso_day(d) for d in self.scenario.period],
            "counts": self.counts(),
            "patterns": [p.to_dict() for p in self.patterns],
            "decoys": [d.to_dict() for d in self.decoys],
            "labels": {i: self.labels[i] for i in sorted(wanted) if i in self.labels},
        }


def generate(scenario: Scenario | str, seed: int = 1, size: float = 1.0, *, payments: int | None = None) -> GeneratedCase:
    """Build a case in memory from a scenario (or its id), a seed and a background size multiplier.

    ``payments``, if given, tops the case up with ordinary transfers among extra account holders
    until it holds that many payments: the benchmark cases of other parts of Workbench.
    """
    if isinstance(scenario, str):
        scenario = load_scenario(scenario)
    if size < 0:
        raise ValueError("size must not be negative")
    builder = CaseBuilder(scenario, seed)
    build_background(builder, random.Random(f"{seed}:background"), scenario.background, size)
    patterns = _plant(builder, seed, scenario.patterns, PATTERNS, "P", "pattern")
    decoys = _plant(builder, seed, scenario.decoys, DECOYS, "D", "decoy")
    labels = {entity_id: builder.describe(entity_id) for entity_id in builder.by_id}
    generated = GeneratedCase(scenario, seed, size, builder.families, patterns, decoys, labels)
    if payments:
        missing = payments - builder.count("Payment")
        if missing > 0:
            holders, transfers = _bulk_transfers(builder, seed, missing)
            builder.families["bank"].extend(holders)
            generated.bulk_payments = missing
            generated.bulk = transfers
    return generated


def _plant(builder: CaseBuilder, seed: int, specs: list[dict[str, Any]],
           kinds: dict[str, Callable[[CaseBuilder, random.Random, dict[str, Any]], Planted]], prefix: str,
           stream: str) -> list[Planted]:
    """Plant each of ``specs`` (patterns ``P1``, ``P2``... or decoys ``D1``...), each in a namespace of
    role keys and from a random stream of its own."""
    planted = []
    for index, spec in enumerate(specs, start=1):
        builder.namespace = f"{prefix}{index}:"
        answer = kinds[spec["kind"]](builder, random.Random(f"{seed}:{stream}:{index}:{spec['kind']}"), spec)
        answer.id = f"{prefix}{index}"
        planted.append(answer)
    builder.namespace = ""
    return planted


def key_path_for(case_path: str | Path) -> Path:
    """Where the answer key of a case lives: ``CASE.wbcase.key.json`` beside it."""
    path = Path(case_path)
    if path.suffix != SUFFIX:
        path = path.with_name(path.name + SUFFIX)
    return path.with_name(path.name + ".key.json")


def _records(entities: Iterable[dict[str, Any]], label: str) -> Iterator[Record]:
    for number, entity in enumerate(entities, start=1):
        yield Record(entity, locator=f"{label} row {number}")


def write_case(generated: GeneratedCase, path: str | Path, *, key_path: str | Path | None = None,
               progress: Callable[[str, int], None] | None = None) -> tuple[Path, Path]:
    """Create the case file (one source per kind of record) and the answer key beside it.

    Refuses to overwrite an existing case. Returns ``(case path, key path)``. If anything
    fails, the half-written case is removed.
    """
    scenario = generated.scenario
    title = f"Training: {scenario.title} (seed {generated.seed})"
    case = Case.create(path, title=title)
    case_path = case.path
    try:
        digest = hashlib.sha256(scenario.source_text.encode()).hexdigest() if scenario.source_text else None
        by_family = {family: sorted(entities, key=lambda e: e["id"]) for family, entities in generated.families.items()}
        payments = generated.counts().get("Payment", 0)
        for family, (what, grade) in SOURCES.items():
            entities: Iterable[dict[str, Any]] = by_family.get(family, [])
            total = len(by_family.get(family, []))
            if family == "bank" and generated.bulk is not None:
                entities = _chain(entities, generated.bulk())
                total += generated.bulk_payments
            if not total:
                continue
            source = SourceInfo(
                file_name=f"{scenario.id} {what} (synthetic)", sha256=digest, importer_id="training-generator",
                importer_version=__version__, grade=grade,
                note=(f"Synthetic training data, entirely fictional: {what} generated by `workbench train new "
                      f"{scenario.id} --seed {generated.seed} --size {generated.size:g}"
                      + (f" --payments {payments}" if generated.bulk_payments else "")
                      + "`. Any resemblance to a real party is accidental."),
                options={"scenario": scenario.id, "seed": generated.seed, "size": generated.size, "family": family,
                         "synthetic": True},
            )
            case.ingest(_records(entities, what), source,
                        progress=(lambda done, f=family: progress(f, done)) if progress else None)
        key = generated.key(case_id=case.meta("case_id"))
    except BaseException:
        case.close()
        for suffix in ("", "-wal", "-shm"):
            Path(str(case_path) + suffix).unlink(missing_ok=True)
        raise
    case.close()
    key_file = Path(key_path) if key_path else key_path_for(case_path)
    key_file.write_text(json.dumps(key, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return case_path, key_file


def _chain(*iterables: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for iterable in iterables:
        yield from iterable


__all__ = ["CaseBuilder", "DECOYS", "GeneratedCase", "PATTERNS", "Planted", "Scenario", "Step",
           "generate", "key_path_for", "list_scenarios", "load_scenario", "write_case"]
