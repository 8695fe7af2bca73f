"""De-identification of a case's entities, and writing the de-identified copy (FtM JSON lines or
a workbook) with the key's record of it.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from followthemoney.property import Property
from followthemoney.proxy import EntityProxy
from followthemoney.types import registry

from workbench import __version__
from workbench.files import atomic_write
from workbench.model import Grade, Record, SourceInfo, model, parse_grade
from workbench.sharing.keys import COARSENINGS, SHARE_FORMATS, SharingKey, SharingKeyError, normalise
from workbench.sharing.scrubbing import (
    Scrubber,
    Vocabulary,
    coarsen_date,
    is_person_like,
    norm_text,
    plain_home,
    property_policy,
)
from workbench.store import SUFFIX, Case, CaseError, CaseReadOnly


# ---------------------------------------------------------------------------------- de-identification


@dataclass
class SharingReport:
    """What a de-identified export changed, for the analyst to check before sending it."""

    entities: int = 0
    links: int = 0
    pseudonymised: Counter = field(default_factory=Counter)  # kind -> values replaced
    scrubbed_values: int = 0  # values of free text in which something personal was replaced
    dropped: Counter = field(default_factory=Counter)  # property -> values left out
    moved: Counter = field(default_factory=Counter)  # "iban -> accountNumber" -> pseudonyms moved
    withheld_links: int = 0  # relationships to parties known only from protected sources
    dropped_references: int = 0  # other references to such parties
    missing_references: int = 0  # references to ids the case does not hold at all (left out too)
    coarsened_dates: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "entities": self.entities,
            "links": self.links,
            "pseudonymised": dict(sorted(self.pseudonymised.items())),
            "scrubbed_values": self.scrubbed_values,
            "dropped": dict(sorted(self.dropped.items())),
            "moved": dict(sorted(self.moved.items())),
            "withheld_links": self.withheld_links,
            "dropped_references": self.dropped_references,
            "missing_references": self.missing_references,
            "coarsened_dates": self.coarsened_dates,
        }


@dataclass
class DeidentifiedEntity:
    """One pseudonymised entity, with what the workbook export shows beside it."""

    proxy: EntityProxy
    grade: Grade | None
    position: tuple[float, float] | None


class Deidentifier:
    """Pseudonymised copies of a case's shareable entities (see the module docstring).

    Reads the case three times: every entity (protected ones too) to learn what is personal,
    the shareable ones to learn which ids will exist, then the shareable ones again to write.
    """

    def __init__(self, case: Case, key: SharingKey, *, coarsen_dates: str | None = None):
        if coarsen_dates not in (None, *COARSENINGS):
            raise ValueError(f"coarsen_dates must be 'month', 'year' or None, not {coarsen_dates!r}")
        self.case = case
        self.key = key
        self.coarsen = coarsen_dates
        self.report = SharingReport()
        self._resolved: dict[str, str] = {}
        self._texts: dict[str, tuple[str, str | None]] = {}

    def _resolve(self, entity_id: str) -> str:
        resolved = self._resolved.get(entity_id)
        if resolved is None:
            resolved = self._resolved[entity_id] = self.case.resolve(entity_id)
        return resolved

    # -- first pass: the vocabulary of what is personal

    def _learn(self) -> Vocabulary:
        vocabulary = Vocabulary()
        # Protected entities too: a protected informant's name must not survive in the text of
        # a shared entity, although the informant's own entity never leaves.
        for proxy in self.case.iter_entities(include_protected=True):
            vocabulary.entity_ids.add(proxy.id)
            vocabulary.originals.add(proxy.id)
            schema = proxy.schema
            person = is_person_like(schema)
            for prop_name, values in proxy.properties.items():
                prop = schema.properties[prop_name]
                policy = property_policy(schema, prop, False)
                for value in values:
                    if policy in ("pseudo:person", "pseudo:party"):
                        vocabulary.add_name(policy.partition(":")[2], value)
                        vocabulary.originals.add(value)
                    elif policy == "life-date" and len(value) >= 10:
                        vocabulary.life_dates.add(value[:10])
                    elif policy == "pseudo:address" or policy == "pseudo:place":
                        vocabulary.add_phrase(policy.partition(":")[2], value)
                    elif policy == "pseudo:phone":
                        vocabulary.add_phone(value)
                    elif policy in ("pseudo:identifier", "pseudo:account", "pseudo:wallet", "pseudo:username"):
                        vocabulary.add_compact(policy.partition(":")[2], value)
                        vocabulary.originals.add(value)
                    elif policy == "pseudo:email":
                        vocabulary.originals.add(value)
                    elif (not person and prop.type == registry.name and schema.is_a("Thing")
                          and prop_name in ("name", "alias", "previousName", "weakAlias")):
                        vocabulary.party_names.add(norm_text(value))
                    if person and prop_name == "addressEntity":
                        vocabulary.person_addresses.add(self._resolve(value))
        # An Address entity of a person is personal in all its parts.
        for proxy in self.case.iter_entities(include_protected=True) if vocabulary.person_addresses else ():
            if proxy.id in vocabulary.person_addresses:
                for prop_name, values in proxy.properties.items():
                    if property_policy(proxy.schema, proxy.schema.properties[prop_name], True) == "pseudo:address":
                        for value in values:
                            vocabulary.add_phrase("address", value)
        return vocabulary

    # -- second pass: which entities and relationships will exist in the export

    def _shareable_ids(self) -> tuple[set[str], set[str]]:
        """Ids that will be exported, and relationships withheld for lack of an end."""
        ids: set[str] = set()
        ends: dict[str, list[list[str]]] = {}
        for proxy in self.case.iter_entities(include_protected=False):
            ids.add(proxy.id)
            schema = proxy.schema
            if schema.edge and schema.source_prop is not None and schema.target_prop is not None:
                ends[proxy.id] = [proxy.get(schema.source_prop, quiet=True), proxy.get(schema.target_prop, quiet=True)]
        withheld: set[str] = set()
        # A relationship whose every source (or every target) is withheld would point at a party
        # the protection hides; it stays in the case. One round suffices unless relationships
        # point at relationships, so repeat until nothing changes.
        changed = True
        while changed:
            changed = False
            for entity_id, (sources, targets) in ends.items():
                if entity_id in withheld:
                    continue
                for values in (sources, targets):
                    if values and not any(self._resolve(v) in ids and self._resolve(v) not in withheld for v in values):
                        withheld.add(entity_id)
                        changed = True
                        break
        return ids - withheld, withheld

    # -- third pass: the pseudonymised entities

    def records(self) -> Iterator[DeidentifiedEntity]:
        """Every shareable entity pseudonymised, with its best grade and chart position.

        Yields in the case's order of original ids; writers sort by the new ids so that the
        order of a file gives nothing away.
        """
        vocabulary = self._learn()
        shared, withheld = self._shareable_ids()
        self.report.withheld_links = len(withheld)
        avoid = vocabulary.originals
        entity_ids = {entity_id: self.key.pseudonym("entity", entity_id, avoid) for entity_id in sorted(shared)}
        scrubber = Scrubber(self.key, vocabulary, entity_ids, self.coarsen)
        positions = self.case.positions()
        for proxy, provenance in self.case.iter_entities(include_protected=False, with_provenance=True):
            if proxy.id not in shared:
                continue
            properties = self._properties(proxy, vocabulary, scrubber, entity_ids)
            new = model.get_proxy({"id": entity_ids[proxy.id], "schema": proxy.schema.name,
                                   "properties": properties}, cleaned=True)
            grades = [row[4] for row in provenance if row[4]]
            self.report.entities += 1
            self.report.links += int(bool(proxy.schema.edge))
            yield DeidentifiedEntity(new, parse_grade(min(grades)) if grades else None, positions.get(proxy.id))

    def entities(self) -> Iterator[EntityProxy]:
        for item in self.records():
            yield item.proxy

    def _properties(self, proxy: EntityProxy, vocabulary: Vocabulary, scrubber: Scrubber,
                    entity_ids: dict[str, str]) -> dict[str, list[str]]:
        schema = proxy.schema
        person_address = proxy.id in vocabulary.person_addresses
        report = self.report
        properties: dict[str, list[str]] = {}

        def put(prop: Property, value: str, pseudonym: bool = False) -> None:
            name = prop.name
            if pseudonym and prop.format:
                # An IBAN or a social security number must pass its format's check, which a
                # pseudonym cannot: it goes to the type's plain number property instead.
                name = plain_home(schema)
                if name is None:
                    report.dropped[prop.name] += 1
                    return
                report.moved[f"{prop.name} -> {name}"] += 1
            values = properties.setdefault(name, [])
            if value not in values:
                values.append(value)

        for prop_name, values in proxy.properties.items():
            prop = schema.properties[prop_name]
            policy = property_policy(schema, prop, person_address)
            for value in values:
                if policy == "keep":
                    put(prop, value)
                elif policy == "drop":
                    report.dropped[prop_name] += 1
                elif policy == "entity":
                    target = entity_ids.get(self._resolve(value))
                    if target is None and self._resolve(value) in vocabulary.entity_ids:
                        report.dropped_references += 1  # the case holds it, but may not share it
                    elif target is None:
                        # Nothing in the case has that id (a list that names an address it does
                        # not carry): the reference points nowhere, and its id could still say something.
                        report.missing_references += 1
                    else:
                        put(prop, target)
                elif policy.startswith("pseudo:"):
                    kind = policy.partition(":")[2]
                    put(prop, scrubber.pseudonym(kind, value), pseudonym=True)
                    report.pseudonymised[kind] += 1
                elif policy in ("date", "life-date"):
                    coarse = coarsen_date(value[:4] if policy == "life-date" else value, self.coarsen)
                    report.coarsened_dates += coarse != value
                    put(prop, coarse)
                elif policy == "names-mentioned":
                    if norm_text(value) in vocabulary.party_names:
                        put(prop, value)
                    else:
                        put(prop, scrubber.pseudonym("person", value), pseudonym=True)
                        report.pseudonymised["person"] += 1
                elif policy == "text":
                    put(prop, self._text(value, vocabulary, scrubber))
                elif policy == "identifier":
                    found = vocabulary.compact.get(normalise("identifier", value))
                    if found is not None:
                        put(prop, scrubber.pseudonym(*found), pseudonym=True)
                        report.pseudonymised[found[0]] += 1
                    else:
                        put(prop, value)
                elif policy == "url":
                    if scrubber.names_someone(value):
                        put(prop, scrubber.pseudonym("url", value), pseudonym=True)
                        report.pseudonymised["url"] += 1
                    else:
                        put(prop, value)
        return properties

    def _text(self, value: str, vocabulary: Vocabulary, scrubber: Scrubber) -> str:
        # Roles, purposes and descriptions repeat across thousands of relationships: each
        # distinct text is worked out once.
        known = self._texts.get(value)
        if known is None:
            if len(self._texts) > 200_000:
                self._texts.clear()
            known = self._texts[value] = self._fresh_text(value, vocabulary, scrubber)
        result, kind = known
        if kind is not None:
            self.report.pseudonymised[kind] += 1
        elif result != value:
            self.report.scrubbed_values += 1
        return result

    @staticmethod
    def _fresh_text(value: str, vocabulary: Vocabulary, scrubber: Scrubber) -> tuple[str, str | None]:
        """The shared form of a text value, and the kind of pseudonym if it was replaced whole."""
        kind = vocabulary.phrases.get(norm_text(value))
        if kind is not None:
            # A company registered at a person's address, an account named after its holder.
            return scrubber.pseudonym(kind, value), kind
        return scrubber.scrub(value), None


def deidentify(case: Case, *, coarsen_dates: str | None = None, key_path: str | Path) -> Iterator[EntityProxy]:
    """The case's shareable entities with persons, contacts and accounts pseudonymised.

    ``key_path`` is the analyst's key file (created if missing); every pseudonym handed out is
    saved in it when the iterator is finished or closed. ``coarsen_dates`` is ``None``,
    ``"month"`` or ``"year"``. Protected sources never contribute a value. Entities come in the
    case's order of original ids; sort by id before writing them anywhere.
    """
    key = SharingKey.open(key_path)
    try:
        yield from Deidentifier(case, key, coarsen_dates=coarsen_dates).entities()
    finally:
        if key.new_pseudonyms:
            key.save()


# ---------------------------------------------------------------------------------- writing files

LOSSES = (
    "identities: names, identifiers, birth places, addresses and web addresses of persons, and every phone, "
    "e-mail, account number and wallet key, are pseudonyms (the key file maps them back)",
    "birth and death dates: the year only",
    "special categories of personal data, passwords, private keys, IP addresses and raw JSON values: left out",
    "protected sources: left out entirely, with relationships that would point at what they hide",
    "which source each value came from, merged ids, findings and the audit log",
    "a phone's country (phone pseudonyms are non-geographic +808 numbers), and a free-webmail provider as "
    "a detector sees it (it stays readable, as in user-…@gmail.com.invalid)",
)


def write_deidentified(case: Case, output: str | Path, format_name: str, *, key_path: str | Path,
                       coarsen_dates: str | None = None) -> dict[str, Any]:
    """Write a de-identified export of ``case`` to ``output`` (``ftm`` JSON lines or ``xlsx``).

    The key is saved before the export is moved into place, and the export is recorded in the
    case's audit log. Returns a report: ``entities``, ``links``, ``losses``, ``key``,
    ``new_pseudonyms`` and what was pseudonymised, scrubbed, dropped and withheld.
    """
    output = Path(output)
    if not output.parent.is_dir():
        raise CaseError(f"{output.parent}: no such folder")
    if format_name not in SHARE_FORMATS:
        raise CaseError(f"a de-identified export is written as {' or '.join(SHARE_FORMATS)}, not {format_name!r}")
    if case.readonly:
        raise CaseReadOnly(f"{case.path}: opened read-only; an export is recorded in the case's audit log")
    if Path(key_path).resolve() == output.resolve():
        raise SharingKeyError(f"{output}: the key file and the export must be different files")
    if coarsen_dates not in (None, *COARSENINGS):
        raise CaseError(f"dates are coarsened to the month or the year, not {coarsen_dates!r}")
    key = SharingKey.open(key_path)
    work = Deidentifier(case, key, coarsen_dates=coarsen_dates)
    if format_name == "ftm":
        written = _write_ftm(work, output, key)
    else:
        written = _write_xlsx(work, output, key)
    report = {**work.report.as_dict(), **written, "format": format_name, "key": str(key.path.resolve()),
              "new_pseudonyms": key.new_pseudonyms, "coarsen_dates": coarsen_dates}
    report["losses"] = list(LOSSES) + (
        [f"dates: coarsened to the {coarsen_dates}"] if coarsen_dates else []) + written.get("losses", [])
    case.record_export(format_name, output, False, report, deidentified=True, coarsen_dates=coarsen_dates,
                       key=report["key"])
    return report


def _note(key: SharingKey, case: Case, output: Path, format_name: str, report: SharingReport) -> None:
    key.note_export(case_id=case.meta("case_id"), case_title=case.meta("title"), file=str(output),
                    format=format_name, entities=report.entities)


def _write_ftm(work: Deidentifier, output: Path, key: SharingKey) -> dict[str, Any]:
    """FtM JSON lines, sorted by the new ids, as the ftm-json importer and Aleph read them."""
    lines = sorted((item.proxy.id, json.dumps(item.proxy.to_dict(), sort_keys=True, ensure_ascii=False))
                   for item in work.records())
    with atomic_write(output) as handle:
        for _, line in lines:
            handle.write(line + "\n")
        _note(key, work.case, output, "ftm", work.report)
        key.save()
    return {}


def _write_xlsx(work: Deidentifier, output: Path, key: SharingKey) -> dict[str, Any]:
    """The workbook layout of the xlsx exporter, written from a scratch case of the pseudonyms.

    Going through a real case keeps the exporter's sheets, relationship captions, grades and
    positions exactly as in any workbook export, and lets the workbench-xlsx importer read it.
    """
    from workbench.plugin_api import find_exporter

    exporter = find_exporter("xlsx")
    with tempfile.TemporaryDirectory(prefix="workbench-share-") as folder:
        scratch = Case.create(Path(folder) / f"shared{SUFFIX}", title="De-identified export")
        try:
            records = (
                Record(item.proxy.to_dict(), grade=item.grade,
                       extra={"position": list(item.position)} if item.position else {})
                for item in work.records()
            )
            scratch.ingest(records, SourceInfo(file_name="de-identified export (sources not shared)",
                                               importer_id="workbench-share", importer_version=__version__,
                                               note="pseudonymised by Workbench; the original sources stay "
                                                    "with the case"))
            _note(key, work.case, output, "xlsx", work.report)
            key.save()
            written = exporter().write(scratch, output, include_protected=False)
        finally:
            scratch.close()
    return {"losses": [loss for loss in written.get("losses", []) if "audit log" not in loss]}
