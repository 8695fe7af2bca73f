"""i2 Analyst's Notebook exchange charts (ANX) and Maltego graphs (MTGX), both ways.

Both tools draw a chart of typed entities joined by links; FollowTheMoney (FtM) keeps typed
entities whose relationships are entities too. The mapping, the same for both formats:

* every FtM entity that is not a relationship becomes a chart entity (an i2 icon, a Maltego
  entity) whose type comes from a mapping table (Person → i2 "Person", BankAccount → i2
  "Bank Account", Company → ``maltego.Company``, ...); its FtM id, type and every property
  travel with it, so a chart that comes back merges with the entities it came from;
* every relationship (Ownership, Payment, Shipment, ...) whose ends are both in the chart becomes
  a link between them, carrying its own FtM id and properties; a relationship with an end that is
  not in the chart becomes a chart entity instead, so nothing of it is lost;
* an entity that names another in a property (a sanction's listed entity, an end-use document's
  stated end user) also gets a link drawn to it, marked as such, so the importer does not take
  it for a relationship of its own;
* several values of one property share one i2 attribute or Maltego property, one value a line
  (i2 itself joins merged attribute text with line breaks); the importer splits them again,
  except for long text (descriptions, notes), whose line breaks are part of the value.

The importers read what i2 and Maltego users make as well: unknown entity types stop the import
(naming the element) or, with ``on_error="skip"``, come in as LegalEntity with the foreign type
in their notes; every such item is listed in the importer's ``skipped`` attribute. Values that
fit no FtM property are kept in notes rather than dropped. Phone numbers, e-mail addresses and
websites drawn as entities of their own (as Maltego and many i2 charts do) become properties of
the entities they are linked to.

Positions come back in ``Record.extra["position"]``, which the host writes into chart state.

Structure notes: ``../shared/reference/formats.md`` sections 5 (ANX) and 8 (MTGX). The card and
grade attributes of ANX (``GradeOneIndex``/``GradeTwoIndex``, ``SourceReference``) follow the same
source as those notes (anxwritter's builder). What each format cannot carry is in ``losses`` and
in ``docs/formats/i2_maltego.md``.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import math
import os
import re
import tempfile
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree

from followthemoney.property import Property
from followthemoney.proxy import EntityProxy
from followthemoney.schema import Schema
from followthemoney.types import registry

from workbench import __version__
from workbench.archives import check_archive, open_member
from workbench.model import model
from workbench.model.grading import CREDIBILITY, RELIABILITY, Grade, parse_grade
from workbench.model.provenance import Record
from workbench.plugin_api import Exporter, Importer, Parameter, ParameterError, SourceFormatError

# ================================================================================= shared ==

#: One value a line: i2 joins merged attribute text the same way (AttMergeAddWithLineBreak).
VALUE_SEPARATOR = "\n"
#: Chart units between entities the analyst never placed, laid out on a grid beside the chart.
GRID_SPACING = 100.0

CONFIRMED, UNCONFIRMED, TENTATIVE = "Confirmed", "Unconfirmed", "Tentative"


def join_values(values: Iterable[str]) -> str:
    """Several values of one property as one text, one value a line."""
    return VALUE_SEPARATOR.join(values)


def split_values(prop: Property, text: str) -> list[str]:
    """The values a text holds for ``prop``: one a line, except long text, kept whole."""
    if prop.type == registry.text:
        return [text] if text.strip() else []
    return [part.strip() for part in text.split(VALUE_SEPARATOR) if part.strip()]


_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]")


@functools.lru_cache(maxsize=65536)
def _normal(text: str) -> str:
    """A name reduced to letters and digits, for matching "Date of Birth" with "date_of_birth"."""
    return _NOT_ALPHANUMERIC.sub("", (text or "").lower())


def _digest(*parts: str) -> str:
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:20]


def link_strength(grade: Grade | None) -> str:
    """i2 link strength for an Admiralty grade: A1-B2 confirmed, up to C3 unconfirmed, else tentative."""
    if grade is None:
        return TENTATIVE
    if grade.reliability in "AB" and grade.credibility <= 2:
        return CONFIRMED
    if grade.reliability in "ABC" and grade.credibility <= 3:
        return UNCONFIRMED
    return TENTATIVE


def link_label(proxy: EntityProxy) -> str:
    """What a relationship says on the chart: "owns (25%)", "paid (USD 9780)", "directs (Director)"."""
    schema = proxy.schema
    detail = None
    # The most telling detail first: a stake's size says more than its holder's role.
    if proxy.get("percentage", quiet=True):
        detail = f"{proxy.first('percentage', quiet=True)}%"
    elif proxy.get("amount", quiet=True):
        currency = proxy.first("currency", quiet=True)
        detail = f"{currency.upper()} {proxy.first('amount', quiet=True)}" if currency else proxy.first("amount", quiet=True)
    elif proxy.get("role", quiet=True):
        detail = proxy.first("role", quiet=True)
    label = schema.edge_label or schema.label
    return f"{label} ({detail})" if detail else label


def entity_caption(proxy: EntityProxy) -> str:
    caption = proxy.caption
    return caption if caption and caption != proxy.schema.label else (proxy.first("name", quiet=True) or proxy.id)


# ----------------------------------------------------------------- property names, both ways

_ATTRIBUTE_NAMES: dict[str, dict[str, str]] = {}
_PROPERTY_LOOKUP: dict[str, dict[str, Property]] = {}

#: Attribute names other tools commonly use, normalised, for the FtM property they mean.
COMMON_ATTRIBUTE_NAMES = {
    "dateofbirth": "birthDate",
    "dob": "birthDate",
    "born": "birthDate",
    "placeofbirth": "birthPlace",
    "fullname": "name",
    "surname": "lastName",
    "familyname": "lastName",
    "forename": "firstName",
    "forenames": "firstName",
    "givenname": "firstName",
    "sex": "gender",
    "telephone": "phone",
    "telephonenumber": "phone",
    "phonenumber": "phone",
    "mobile": "phone",
    "emailaddress": "email",
    "webaddress": "website",
    "url": "website",
    "passport": "passportNumber",
    "companynumber": "registrationNumber",
    "companyregistrationnumber": "registrationNumber",
    "incorporated": "incorporationDate",
    "dateofincorporation": "incorporationDate",
    "imo": "imoNumber",
    "comments": "notes",
    "remarks": "notes",
    "sortcode": "bic",
}


def _usable(prop: Property) -> bool:
    # Reverse properties (Person.ownershipOwner) are derived by FtM and never stored.
    return not prop.stub and not prop.hidden


def attribute_names(schema: Schema) -> dict[str, str]:
    """The attribute (i2) or display (Maltego) name of each property of ``schema``.

    The FtM label, as i2 and Maltego users read it; where two properties of a schema share a
    label ("Address" and the address entity), the property name follows in brackets so the
    importer can tell them apart: "Address [addressEntity]".
    """
    names = _ATTRIBUTE_NAMES.get(schema.name)
    if names is None:
        by_label: dict[str, list[str]] = defaultdict(list)
        for prop in schema.properties.values():
            if _usable(prop):
                by_label[_normal(prop.label)].append(prop.name)
        names = {}
        for prop in schema.properties.values():
            if _usable(prop):
                shared = len(by_label[_normal(prop.label)]) > 1
                names[prop.name] = f"{prop.label} [{prop.name}]" if shared else prop.label
        _ATTRIBUTE_NAMES[schema.name] = names
    return names


def find_property(schema: Schema, name: str, aliases: dict[str, str] | None = None) -> Property | None:
    """The property of ``schema`` an attribute called ``name`` holds, or ``None``.

    Tried in order: a bracketed property name ("Address [addressEntity]"), the tool's own names
    (``aliases``), the FtM label or name, then names other tools commonly use.
    """
    bracketed = re.fullmatch(r".*\[(\w+)\]\s*", name or "")
    if bracketed and bracketed.group(1) in schema.properties:
        prop = schema.properties[bracketed.group(1)]
        return prop if _usable(prop) else None
    if aliases and name in aliases:
        prop = schema.properties.get(aliases[name])
        if prop is not None and _usable(prop):
            return prop
    lookup = _PROPERTY_LOOKUP.get(schema.name)
    if lookup is None:
        lookup = {}
        labels: dict[str, list[Property]] = defaultdict(list)
        for prop in schema.properties.values():
            if _usable(prop):
                labels[_normal(prop.label)].append(prop)
        for key, props in labels.items():
            if len(props) == 1:
                lookup[key] = props[0]
        for prop in schema.properties.values():
            if _usable(prop):
                lookup[_normal(prop.name)] = prop
        for key, prop_name in COMMON_ATTRIBUTE_NAMES.items():
            prop = schema.properties.get(prop_name)
            if key not in lookup and prop is not None and _usable(prop):
                lookup[key] = prop
        _PROPERTY_LOOKUP[schema.name] = lookup
    return lookup.get(_normal(name))


@functools.lru_cache(maxsize=4096)
def find_schema(name: str, *, edge: bool | None = None) -> Schema | None:
    """A concrete FtM schema by name or label ("Bank account", "BankAccount"), or ``None``."""
    wanted = _normal(name)
    if not wanted:
        return None
    for schema in model.schemata.values():
        if schema.abstract or (edge is not None and bool(schema.edge) != edge):
            continue
        if wanted in (_normal(schema.name), _normal(schema.label)):
            return schema
    return None


# ================================================================ export: the case as a chart ==


@dataclass(frozen=True)
class SourceNote:
    """One place a chart item's values came from: file, locator, grade."""

    file_name: str | None
    locator: str | None
    grade: Grade | None
    imported_at: str | None

    @property
    def summary(self) -> str:
        if not self.file_name:
            return self.locator or "the analyst's own entry"
        if not self.locator:
            return self.file_name
        # Locators often name their file already ("demo.ftm.json line 4").
        return self.locator if self.locator.startswith(self.file_name) else f"{self.file_name}, {self.locator}"

    @property
    def text(self) -> str:
        grade = f"Source grade {self.grade} ({self.grade.description})" if self.grade else "Ungraded"
        when = f"; imported {self.imported_at[:10]}" if self.imported_at else ""
        return grade + when


@dataclass
class ChartEntity:
    """An FtM entity drawn as a chart entity."""

    proxy: EntityProxy
    sources: list[SourceNote]
    grade: Grade | None
    position: tuple[float, float]


@dataclass
class ChartLink:
    """A relationship drawn as a link from ``source_id`` to ``target_id``."""

    proxy: EntityProxy
    source_id: str
    target_id: str
    sources: list[SourceNote]
    grade: Grade | None


@dataclass
class ChartReference:
    """A link drawn for an entity property (``holder`` names ``target`` in ``prop``)."""

    holder_id: str
    prop: Property
    target_id: str
    grade: Grade | None


_GRADES: dict[str, Grade | None] = {}


def _grade(text: str | None) -> Grade | None:
    if not text:
        return None
    if text not in _GRADES:
        try:
            _GRADES[text] = parse_grade(text)
        except ValueError:
            _GRADES[text] = None
    return _GRADES[text]


def _provenance(rows: list[tuple]) -> tuple[list[SourceNote], Grade | None]:
    """One note per (file, locator) with the best grade given there, and the best grade overall."""
    best_by_place: dict[tuple, Grade | None] = {}
    imported: dict[tuple, str | None] = {}
    for _prop, _value, file_name, locator, grade_text, imported_at in rows:
        place = (file_name, locator)
        grade = _grade(grade_text)
        known = best_by_place.get(place)
        if place not in best_by_place or (grade is not None and (known is None or grade < known)):
            best_by_place[place] = grade
        imported.setdefault(place, imported_at)
    notes = [SourceNote(file_name, locator, grade, imported[(file_name, locator)])
             for (file_name, locator), grade in best_by_place.items()]
    grades = [note.grade for note in notes if note.grade is not None]
    return notes, (min(grades) if grades else None)


class _FreePlacer:
    """Positions for entities the analyst never placed: a grid below the placed ones.

    i2 and Maltego draw every entity somewhere; stacking the unplaced ones at the origin would
    hide them behind each other.
    """

    def __init__(self, positions: dict[str, tuple[float, float]], expected: int):
        self.positions = positions
        if positions:
            self.left = min(x for x, _ in positions.values())
            self.top = max(y for _, y in positions.values()) + 2 * GRID_SPACING
        else:
            self.left = self.top = 0.0
        self.columns = max(1, math.ceil(math.sqrt(max(expected, 1))))
        self.placed = 0

    def place(self, entity_id: str) -> tuple[float, float]:
        known = self.positions.get(entity_id)
        if known is not None:
            return known
        row, column = divmod(self.placed, self.columns)
        self.placed += 1
        return (self.left + column * GRID_SPACING, self.top + row * GRID_SPACING)


def _entity_references(proxy: EntityProxy) -> Iterator[tuple[Property, str]]:
    for prop in proxy.schema.properties.values():
        if prop.type == registry.entity and _usable(prop):
            for value in proxy.get(prop):
                yield prop, value


def chart_of_case(case: Any, include_protected: bool = False) -> Iterator[ChartEntity | ChartLink | ChartReference]:
    """The case as a chart, in one pass over its entities: entities first, then links.

    Relationships are held back (as proxies) until every entity is known, because only then can
    it be said whether both their ends are drawn. Memory grows with the number of relationships,
    never with its square.
    """
    positions = {
        row["entity_id"]: (float(row["x"]), float(row["y"]))
        for row in case.db.query("SELECT entity_id, x, y FROM chart_items WHERE x IS NOT NULL AND y IS NOT NULL")
    }
    aliases = dict(case.conn.execute("SELECT alias_id, canonical_id FROM entity_aliases"))
    expected = sum(count for name, count in case.counts_by_schema().items()
                   if model.get(name) is not None and not model.get(name).edge)
    placer = _FreePlacer(positions, expected - len(positions))
    drawn: dict[str, Grade | None] = {}
    relationships: list[tuple[EntityProxy, list[SourceNote], Grade | None]] = []
    references: list[tuple[str, Property, str]] = []

    for proxy, rows in case.iter_entities(include_protected=include_protected, with_provenance=True):
        if not rows:
            # Known only from protected sources: even its id and type would say what is hidden.
            continue
        sources, grade = _provenance(rows)
        if proxy.schema.edge:
            relationships.append((proxy, sources, grade))
            continue
        drawn[proxy.id] = grade
        references.extend((proxy.id, prop, value) for prop, value in _entity_references(proxy))
        yield ChartEntity(proxy, sources, grade, placer.place(proxy.id))

    as_entities = []
    for proxy, sources, grade in relationships:
        schema = proxy.schema
        ends_from = [aliases.get(value, value) for value in proxy.get(schema.source_prop)]
        ends_to = [aliases.get(value, value) for value in proxy.get(schema.target_prop)]
        if ends_from and ends_to and all(end in drawn for end in ends_from + ends_to):
            for source_id in ends_from:
                for target_id in ends_to:
                    yield ChartLink(proxy, source_id, target_id, sources, grade)
        else:
            as_entities.append((proxy, sources, grade))
    for proxy, sources, grade in as_entities:
        # A relationship with an end outside the chart cannot be a link; as an entity it keeps
        # its ends in attributes and draws them as references where they are in the chart.
        drawn[proxy.id] = grade
        references.extend((proxy.id, prop, value) for prop, value in _entity_references(proxy))
        yield ChartEntity(proxy, sources, grade, placer.place(proxy.id))
    for holder_id, prop, target_id in references:
        target_id = aliases.get(target_id, target_id)
        if target_id in drawn:
            yield ChartReference(holder_id, prop, target_id, drawn[holder_id])


def _temporal_start(proxy: EntityProxy) -> str | None:
    for prop in proxy.schema.temporal_start_props:
        value = proxy.first(prop)
        if value:
            return value
    return None


def _write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Write ``path`` through a temporary file beside it, so a failed export leaves no half file."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent or None)
    os.close(handle)
    try:
        write(Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# ========================================================================== import: shared ==

# Parameters every chart importer takes.
ON_ERROR = Parameter(
    default="stop",
    choices=("stop", "skip"),
    help="stop: an item that cannot be read as it is stops the import, naming it; skip: keep what "
    "can be read (unknown entity types come in as LegalEntity with the type in notes) and list "
    "every such item in the importer's `skipped`",
)
ENTITY_TYPES = Parameter(
    default="",
    help='JSON object mapping the tool\'s entity types to FtM types, e.g. {"Telephone": "LegalEntity"}',
)
LINK_TYPES = Parameter(
    default="",
    help='JSON object mapping the tool\'s link types to FtM relationship types, e.g. {"Shareholder": "Ownership"}',
)

#: Link type names other tools commonly use, normalised, for the FtM relationship they mean.
COMMON_LINK_TYPES = {
    "owner": "Ownership",
    "owns": "Ownership",
    "shareholder": "Ownership",
    "shareholding": "Ownership",
    "beneficialowner": "Ownership",
    "director": "Directorship",
    "officer": "Directorship",
    "boardmember": "Directorship",
    "transaction": "Payment",
    "transfer": "Payment",
    "moneytransfer": "Payment",
    "wiretransfer": "Payment",
    "associate": "Associate",
    "associates": "Associate",
    "family": "Family",
    "relative": "Family",
    "employee": "Employment",
    "employer": "Employment",
    "worksfor": "Employment",
    "member": "Membership",
    "shipped": "Shipment",
}

#: Where notes go when a schema has no ``notes`` (relationships have a description).
NOTE_PROPERTIES = ("notes", "description", "summary")


@dataclass(frozen=True)
class SkippedItem:
    """An item ``on_error="skip"`` let through: where it is, why, and what was done instead.

    Its text is one line, as the command line lists it after an import.
    """

    element: str
    reason: str
    action: str

    def __str__(self) -> str:
        return f"{self.element}: {self.reason}; {self.action}"


@dataclass
class NodeDraft:
    """A chart entity as read, before it becomes a record.

    ``fold_into`` is set for value entities (a phone number drawn as an entity): their value
    becomes that property of the entities they are linked to.
    """

    key: str | None
    locator: str
    entity_id: str
    schema: Schema
    values: list[tuple[str, str]] = field(default_factory=list)
    fold_into: str | None = None
    caption: str | None = None
    description: str | None = None
    date: str | None = None
    notes: list[str] = field(default_factory=list)
    position: tuple[float, float] | None = None
    grade: Grade | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    aliases: dict[str, str] | None = None
    written_by_workbench: bool = False


@dataclass
class LinkDraft:
    """A chart link as read: ends by their key in the file, type by name or FtM schema."""

    key: str
    locator: str
    end1: str
    end2: str
    type_name: str = ""
    schema: Schema | None = None
    entity_id: str | None = None
    values: list[tuple[str, str]] = field(default_factory=list)
    caption: str | None = None
    description: str | None = None
    date: str | None = None
    notes: list[str] = field(default_factory=list)
    grade: Grade | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    aliases: dict[str, str] | None = None
    #: A link Workbench drew for an entity property: its value is on the holder already.
    is_reference: bool = False
    written_by_workbench: bool = False


class ChartImporter(Importer):
    """What the ANX and MTGX importers share: type mapping, error policy, records from drafts.

    ``skipped`` lists, after ``read``, every item that ``on_error="skip"`` let through instead of
    stopping, as :class:`SkippedItem` (where, why, and what was done instead: "left out", or
    "imported as LegalEntity, its type kept in notes").
    """

    parameters = {"on_error": ON_ERROR, "entity_types": ENTITY_TYPES, "link_types": LINK_TYPES}
    #: The tool's entity type names (normalised) for FtM schemata, beyond FtM's own names.
    type_aliases: dict[str, str] = {}
    #: The tool's entity type names (normalised) for values that belong to a linked entity.
    value_types: dict[str, str] = {}
    tool = "chart"

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.skipped: list[SkippedItem] = []
        self.entity_type_map = self._mapping("entity_types", edge=None)
        self.link_type_map = self._mapping("link_types", edge=True)

    def _mapping(self, name: str, edge: bool | None) -> dict[str, Schema]:
        text = self.options.get(name) or ""
        if not text.strip():
            return {}
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as error:
            raise ParameterError(f"parameter {name!r} must be a JSON object: {error.msg}") from error
        if not isinstance(raw, dict):
            raise ParameterError(f"parameter {name!r} must be a JSON object of type names")
        mapping = {}
        for foreign, schema_name in raw.items():
            schema = find_schema(str(schema_name), edge=edge)
            if schema is None:
                raise ParameterError(f"parameter {name!r}: {schema_name!r} is not an FtM type one can import into")
            mapping[_normal(foreign)] = schema
        return mapping

    # ------------------------------------------------------------------ errors

    def problem(self, path: Path, locator: str, reason: str, action: str, hint: str = "") -> None:
        """Stop with a message naming the element, or (``on_error="skip"``) list it and go on."""
        if self.options["on_error"] == "stop":
            raise SourceFormatError(f"{Path(path).name}: {locator}: {reason}{hint}")
        self.skipped.append(SkippedItem(locator, reason, action))

    # ------------------------------------------------------------------ types

    def node_type(self, path: Path, locator: str, type_name: str, *, workbench: bool = False,
                  ) -> tuple[Schema, str | None, list[str]]:
        """The FtM schema for a foreign entity type, or a property to fold its value into.

        Returns ``(schema, fold_into, notes)``; an unknown type stops the import or, when
        skipping, is read as LegalEntity with the type in notes. In a chart Workbench wrote,
        FtM's own type names come before value types (an FtM ``Email`` is a message there).
        """
        key = _normal(type_name)
        if key in self.entity_type_map:
            return self.entity_type_map[key], None, []
        if key in self.type_aliases:
            return model.get(self.type_aliases[key]), None, []
        schema = find_schema(type_name) if workbench else None
        if schema is not None:
            return schema, None, []
        if key in self.value_types:
            return model.get("LegalEntity"), self.value_types[key], []
        schema = find_schema(type_name)
        if schema is not None:
            return schema, None, []
        self.problem(
            path, locator, f"{self.tool} entity type {type_name!r} has no FtM type",
            "imported as LegalEntity, its type kept in notes",
            hint=f"; map it with entity_types='{{\"{type_name}\": \"LegalEntity\"}}' or import with "
            "on_error=skip to bring such entities in as LegalEntity (the type kept in notes)",
        )
        return model.get("LegalEntity"), None, [f"{self.tool} entity type: {type_name}"]

    def link_schema(self, type_name: str) -> Schema | None:
        key = _normal(type_name)
        if key in self.link_type_map:
            return self.link_type_map[key]
        schema = find_schema(type_name, edge=True)
        if schema is not None:
            return schema
        for candidate in model.schemata.values():
            if candidate.edge and not candidate.abstract and _normal(candidate.edge_label) == key:
                return candidate
        if key in COMMON_LINK_TYPES:
            return model.get(COMMON_LINK_TYPES[key])
        return None

    # ------------------------------------------------------------------ records

    def records(self, path: Path, nodes: list[NodeDraft], links: list[LinkDraft]) -> Iterator[Record]:
        """Records for what was read: entities, then relationships, value entities folded."""
        by_key: dict[str, NodeDraft] = {}
        for node in nodes:
            if node.key is None:
                continue
            if node.key in by_key:
                self.problem(path, node.locator, f"a second entity with id {node.key!r}", "left out")
                continue
            by_key[node.key] = node
        kept_nodes = [node for node in nodes if node.key is None or by_key.get(node.key) is node]

        props: dict[int, dict[str, list[str]]] = {}
        notes: dict[int, list[str]] = {}
        for node in kept_nodes:
            props[id(node)], notes[id(node)] = self.node_properties(node)

        # Links: ends resolved; values of phone/e-mail/website entities given to their holders.
        drafts = []
        holders: dict[int, int] = defaultdict(int)
        other_links: dict[int, int] = defaultdict(int)
        for link in links:
            if link.is_reference:
                continue
            end1, end2 = by_key.get(link.end1), by_key.get(link.end2)
            if end1 is None or end2 is None:
                missing = link.end1 if end1 is None else link.end2
                self.problem(path, link.locator, f"links to {missing!r}, which is no entity in the file",
                             "left out")
                continue
            folded = False
            for value_node, other in ((end1, end2), (end2, end1)):
                if value_node.fold_into and not other.fold_into and other.schema.get(value_node.fold_into):
                    values = props[id(other)].setdefault(value_node.fold_into, [])
                    for value in props[id(value_node)].get(value_node.fold_into, []):
                        if value not in values:
                            values.append(value)
                    holders[id(value_node)] += 1
                    folded = True
            if folded:
                continue
            for end in (end1, end2):
                other_links[id(end)] += 1
            drafts.append((link, end1, end2))

        for node in kept_nodes:
            if node.fold_into and holders[id(node)] and not other_links[id(node)]:
                continue  # its value now belongs to the entities it was linked to
            if node.fold_into:
                notes[id(node)].append(f"{self.tool} entity type: {node.extra.get('type', node.fold_into)}")
            yield self.record(node.entity_id, node.schema, props[id(node)], notes[id(node)],
                              node.locator, node.grade, node.extra, node.position)

        ordinal: dict[tuple, int] = defaultdict(int)
        for link, end1, end2 in drafts:
            yield self.link_record(path, link, end1, end2, ordinal)

    def node_properties(self, node: NodeDraft) -> tuple[dict[str, list[str]], list[str]]:
        props, notes = self.properties(node.schema, node.values, node.aliases)
        notes = list(node.notes) + notes
        if node.fold_into and node.caption:
            props.setdefault(node.fold_into, []).append(node.caption)
            props.setdefault("name", []).append(node.caption)
        elif node.caption and not node.written_by_workbench:
            caption_prop = next((name for name in node.schema.caption
                                 if name in node.schema.properties and _usable(node.schema.properties[name])), None)
            if caption_prop and not props.get(caption_prop):
                props[caption_prop] = [node.caption]
        self.add_text(node.schema, props, notes, "description", node.description, "Description")
        if node.date:
            if "date" in node.schema.properties and not props.get("date"):
                props["date"] = [node.date]
            elif not node.written_by_workbench:
                notes.append(f"{self.tool} date: {node.date}")
        return props, notes

    def link_record(self, path: Path, link: LinkDraft, end1: NodeDraft, end2: NodeDraft, ordinal) -> Record:
        schema = link.schema
        role = None
        if schema is None:
            schema = self.link_schema(link.type_name)
            fits = schema is not None and (
                end1.schema.is_a(schema.source_prop.range) and end2.schema.is_a(schema.target_prop.range)
            )
            if not fits:
                # Unknown link types, and types whose ends do not fit (a "Director" link
                # between two people), are kept as links of their own type name.
                schema, role = model.get("UnknownLink"), link.type_name or None
        props, notes = self.properties(schema, link.values, link.aliases)
        notes = list(link.notes) + notes
        props[schema.source_prop.name] = [end1.entity_id]
        props[schema.target_prop.name] = [end2.entity_id]
        if role and not props.get("role"):
            props["role"] = [role]
        if not link.written_by_workbench:
            if link.caption and _normal(link.caption) != _normal(link.type_name):
                self.add_text(schema, props, notes, "description", link.caption, "Label")
            self.add_text(schema, props, notes, "description", link.description, "Description")
        if link.date:
            date_prop = "startDate" if schema.is_a("Interest") else ("date" if "date" in schema.properties else None)
            if date_prop is None:
                date_prop = schema.temporal_start_props[0].name if schema.temporal_start_props else None
            if date_prop and not props.get(date_prop) and not (props.get("date") or props.get("startDate")):
                props[date_prop] = [link.date]
        entity_id = link.entity_id
        if not entity_id:
            key = (end1.entity_id, end2.entity_id, schema.name, link.type_name, link.date or "")
            ordinal[key] += 1
            entity_id = f"{self.tool.lower()}-link-" + _digest(Path(path).name, *key, str(ordinal[key]))
        return self.record(entity_id, schema, props, notes, link.locator, link.grade, link.extra, None)

    def properties(self, schema: Schema, values: list[tuple[str, str]], aliases: dict[str, str] | None):
        """Values by attribute name → FtM properties; what fits no property goes to notes."""
        props: dict[str, list[str]] = {}
        notes: list[str] = []
        for name, text in values:
            if text is None or not text.strip():
                continue
            prop = find_property(schema, name, aliases)
            if prop is None:
                notes.append(f"{name}: {text}")
                continue
            bucket = props.setdefault(prop.name, [])
            for value in split_values(prop, text):
                if value not in bucket:
                    bucket.append(value)
        return props, notes

    @staticmethod
    def add_text(schema, props, notes, prop_name, text, label) -> None:
        if not text or not text.strip():
            return
        if prop_name in schema.properties:
            values = props.setdefault(prop_name, [])
            if text not in values:
                values.append(text)
        else:
            notes.append(f"{label}: {text}")

    @staticmethod
    def record(entity_id, schema, props, notes, locator, grade, extra, position) -> Record:
        """One cleaned FtM entity; values FtM cannot read as their type are kept in notes."""
        proxy = model.make_entity(schema.name)
        proxy.id = entity_id
        notes = list(notes)
        for name, values in props.items():
            prop = schema.properties[name]
            for value in values:
                cleaned = prop.type.clean(value, proxy=proxy)
                if cleaned is None:
                    notes.append(f"{prop.label}: {value}")
                else:
                    proxy.add(prop, cleaned, cleaned=True)
        note_prop = next((name for name in NOTE_PROPERTIES if name in schema.properties), None)
        extra = dict(extra)
        for note in notes:
            if note_prop:
                proxy.add(note_prop, note, cleaned=True)
            else:
                extra.setdefault("unmapped", []).append(note)
        if position is not None:
            extra["position"] = [position[0], position[1]]
        return Record(proxy.to_dict(), locator=locator, grade=grade, extra=extra)


def _local(tag: str) -> str:
    """An element or attribute name without its namespace."""
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag


def _child(element: ElementTree.Element, name: str) -> ElementTree.Element | None:
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _children(element: ElementTree.Element | None, name: str) -> list[ElementTree.Element]:
    return [] if element is None else [child for child in element if _local(child.tag) == name]


def root_element(head: bytes) -> str | None:
    """The name of the first element in the opening bytes of an XML document (UTF-8 or UTF-16).

    Checking the root from the head lets the parser report only end events, which halves the
    time it takes over a large chart.
    """
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", errors="ignore")
    else:
        text = head.decode("utf-8", errors="ignore")
    text = re.sub(r"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", "", text, flags=re.S).lstrip("\ufeff \r\n\t")
    match = re.match(r"<([\w.:-]+)", text)
    return _local(match.group(1).rsplit(":", 1)[-1]) if match else None


def _xml_error(path: Path, error: ElementTree.ParseError, what: str) -> SourceFormatError:
    line, column = getattr(error, "position", (0, 0))
    reason = re.sub(r":? line \d+, column \d+$", "", str(error))  # the position is said once, first
    return SourceFormatError(f"{Path(path).name} line {line} column {column}: not well-formed XML, so not {what} "
                             f"({reason})")


_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ATTRIBUTE_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                                    "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


_NEEDS_ESCAPING = re.compile("[&<>\"\x00-\x1f\ufffe\uffff]")


def xml_attribute(value: Any) -> str:
    """A value for a double-quoted XML attribute; line breaks escaped so parsers keep them."""
    value = str(value)
    if not _NEEDS_ESCAPING.search(value):
        return value  # most values: ids, names, dates
    return _XML_FORBIDDEN.sub("", value).translate(_ATTRIBUTE_ESCAPES)


def xml_text(value: Any) -> str:
    value = str(value)
    if not _NEEDS_ESCAPING.search(value):
        return value
    return _XML_FORBIDDEN.sub("", value).translate(_TEXT_ESCAPES)


def _element(tag: str, attributes: Iterable[tuple[str, Any]], children: str | None = None) -> str:
    attrs = "".join(f' {name}="{xml_attribute(value)}"' for name, value in attributes if value is not None)
    return f"<{tag}{attrs}/>" if children is None else f"<{tag}{attrs}>{children}</{tag}>"


# ===================================================================================== ANX ==

#: FtM schema → i2 entity type, as i2's standard icons name them. Schemata not listed travel
#: under their FtM label ("Sanction", "End-use document"), which the importer maps back.
I2_ENTITY_TYPES = {
    "Person": "Person",
    "Company": "Company",
    "Organization": "Organisation",
    "BankAccount": "Bank Account",
    "Vessel": "Ship",
    "Airplane": "Aircraft",
    "Vehicle": "Vehicle",
    "Address": "Address",
    "Document": "Document",
    "Event": "Event",
}
#: i2 type names (normalised) read as FtM schemata, beyond the table above and FtM's own names.
I2_TYPE_ALIASES = {
    **{_normal(i2_type): schema for schema, i2_type in I2_ENTITY_TYPES.items()},
    "organization": "Organization",
    "account": "BankAccount",
    "vessel": "Vessel",
    "boat": "Vessel",
    "airplane": "Airplane",
    "plane": "Airplane",
    "car": "Vehicle",
    "location": "Address",
}
#: i2 type names (normalised) whose entities are a value of the entities they link to.
I2_VALUE_TYPES = {
    "telephone": "phone",
    "phone": "phone",
    "mobilephone": "phone",
    "telephonenumber": "phone",
    "email": "email",
    "emailaddress": "email",
    "website": "website",
    "url": "website",
}

ANX_FTM_ID = "FtM id"
ANX_FTM_REFERENCE = "FtM reference"
#: Written into the chart summary: identities are FtM ids, labels are only for display.
ANX_MARKER_NAME = "Entity identities"
ANX_MARKER_VALUE = "FollowTheMoney ids (Workbench)"
ANX_STRENGTHS = ((CONFIRMED, "DotStyleSolid"), (UNCONFIRMED, "DotStyleDashed"), (TENTATIVE, "DotStyleDotted"))
ANX_GRADE_ONE = [f"{letter} - {text}" for letter, text in RELIABILITY.items()]
ANX_GRADE_TWO = [f"{number} - {text}" for number, text in CREDIBILITY.items()]


def i2_entity_type(schema: Schema) -> str:
    return I2_ENTITY_TYPES.get(schema.name, schema.label)


def i2_icon_file(schema: Schema) -> str:
    """The i2 icon for a type: its own, else that of its nearest mapped ancestor, else its name."""
    for ancestor in [schema, *sorted(schema.extends, key=lambda s: s.name)]:
        if ancestor.name in I2_ENTITY_TYPES:
            return I2_ENTITY_TYPES[ancestor.name]
    for ancestor in sorted(schema.schemata, key=lambda s: -len(s.schemata)):
        if ancestor.name in I2_ENTITY_TYPES:
            return I2_ENTITY_TYPES[ancestor.name]
    return i2_entity_type(schema)


def i2_datetime(value: str) -> tuple[str, bool, bool] | None:
    """An FtM date (``2023``, ``2023-03``, ``2023-03-10``, ``2023-03-10T14:05``) as i2 writes dates.

    Returns ``(DateTime, DateSet, TimeSet)``; a partial date takes the first day of its span.
    """
    match = re.fullmatch(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?.*", value or "")
    if not match:
        return None
    year, month, day, hour, minute, second = match.groups()
    stamp = f"{year}-{month or '01'}-{day or '01'}T{hour or '00'}:{minute or '00'}:{second or '00'}.000"
    return stamp, True, hour is not None


def ftm_date(date_time: str | None, date_set: bool, time_set: bool) -> str | None:
    """An i2 ``DateTime`` as an FtM date: the day, with the time only when i2 says it is set."""
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}:\d{2}))?.*", date_time or "")
    if not match or not date_set:
        return None
    day, time = match.groups()
    return f"{day}T{time}" if time_set and time else day


class _AnxChartWriter:
    """Writes chart items to a scratch stream while collecting the type and attribute tables
    that an ANX file must list before its items."""

    def __init__(self, items: IO[str]):
        self.items = items
        self.counter = 0
        self.attribute_classes: dict[str, str] = {}
        self.entity_types: dict[str, tuple[str, str]] = {}
        self.link_types: dict[str, str] = {}
        self.strength_ids: dict[str, str] = {}
        self.entity_numbers: dict[str, int] = {}
        self.entities = 0
        self.links = 0
        for name, _ in ANX_STRENGTHS:
            self.strength_ids[name] = self.next_id()

    def next_id(self) -> str:
        self.counter += 1
        return f"ID{self.counter}"

    def attribute_class(self, name: str) -> str:
        if name not in self.attribute_classes:
            self.attribute_classes[name] = self.next_id()
        return self.attribute_classes[name]

    def attributes(self, values: Iterable[tuple[str, str]]) -> str:
        rows = [
            _element("Attribute", [("AttributeClass", name), ("AttributeClassReference", self.attribute_class(name)),
                                   ("Value", value)])
            for name, value in values
        ]
        return _element("AttributeCollection", [], "".join(rows)) if rows else ""

    @staticmethod
    def property_values(proxy: EntityProxy, leave_out: tuple[str, ...] = ()) -> list[tuple[str, str]]:
        names = attribute_names(proxy.schema)
        return [
            (names[prop], join_values(proxy.get(prop)))
            for prop in sorted(proxy.properties)
            if prop not in leave_out and prop in names and proxy.get(prop)
        ]

    @staticmethod
    def grade_attributes(grade: Grade | None) -> list[tuple[str, Any]]:
        if grade is None:
            return []
        return [("GradeOneIndex", "ABCDEF".index(grade.reliability)), ("GradeTwoIndex", grade.credibility - 1)]

    def cards(self, sources: list[SourceNote]) -> str:
        cards = [
            _element("Card", [("Summary", note.summary), ("SourceReference", note.file_name), ("Text", note.text),
                              *self.grade_attributes(note.grade)])
            for note in sources
        ]
        return _element("CardCollection", [], "".join(cards)) if cards else ""

    def entity(self, item: ChartEntity) -> None:
        proxy = item.proxy
        type_name = i2_entity_type(proxy.schema)
        if type_name not in self.entity_types:
            self.entity_types[type_name] = (self.next_id(), i2_icon_file(proxy.schema))
        number = len(self.entity_numbers) + 1
        self.entity_numbers[proxy.id] = number
        x, y = (round(item.position[0]), round(item.position[1]))
        icon = _element("Icon", [], _element("IconStyle", [("Type", type_name),
                                                          ("EntityTypeReference", self.entity_types[type_name][0])]))
        entity = _element("Entity", [("EntityId", number), ("Identity", proxy.id), ("LabelIsIdentity", "false")],
                          icon + self.cards(item.sources))
        end = _element("End", [("X", x), ("Y", y), ("Z", 0)], entity)
        chart_item = _element(
            "ChartItem",
            [("Id", self.next_id()), ("Label", entity_caption(proxy)), *self.grade_attributes(item.grade),
             ("XPosition", x)],
            end + self.attributes(self.property_values(proxy)),
        )
        self.items.write(chart_item + "\n")
        self.entities += 1

    def link(self, *, source_id: str, target_id: str, type_name: str, label: str, arrow: str | None,
             grade: Grade | None, date: str | None, attributes: list[tuple[str, str]], cards: str = "") -> None:
        if type_name not in self.link_types:
            self.link_types[type_name] = self.next_id()
        strength = link_strength(grade)
        style = _element("LinkStyle", [("Strength", strength), ("StrengthReference", self.strength_ids[strength]),
                                       ("ArrowStyle", arrow), ("Type", type_name),
                                       ("LinkTypeReference", self.link_types[type_name])])
        link = _element("Link", [("End1Id", self.entity_numbers[source_id]), ("End2Id", self.entity_numbers[target_id])],
                        cards + style)
        dated: list[tuple[str, Any]] = []
        stamp = i2_datetime(date) if date else None
        if stamp:
            dated = [("DateSet", "true"), ("TimeSet", "true" if stamp[2] else None), ("DateTime", stamp[0])]
            if len(date) < 10:
                dated.append(("DateTimeDescription", date))  # "2023-03": i2 would say the 1st
        chart_item = _element("ChartItem", [("Id", self.next_id()), ("Label", label), *dated,
                                            *self.grade_attributes(grade)],
                              link + self.attributes(attributes))
        self.items.write(chart_item + "\n")
        self.links += 1

    def relationship(self, item: ChartLink) -> None:
        proxy = item.proxy
        schema = proxy.schema
        attributes = [(ANX_FTM_ID, proxy.id)]
        attributes += self.property_values(proxy, leave_out=(schema.source_prop.name, schema.target_prop.name))
        self.link(source_id=item.source_id, target_id=item.target_id, type_name=schema.label,
                  label=link_label(proxy), arrow="ArrowOnHead" if schema.edge_directed else None,
                  grade=item.grade, date=_temporal_start(proxy), attributes=attributes, cards=self.cards(item.sources))

    def reference(self, item: ChartReference) -> None:
        self.link(source_id=item.holder_id, target_id=item.target_id,
                  type_name=f"{item.prop.schema.label}: {item.prop.label}", label=item.prop.label,
                  arrow="ArrowOnHead", grade=item.grade, date=None,
                  attributes=[(ANX_FTM_REFERENCE, item.prop.name)])

    def document(self, out: IO[str], title: str, copy_items: Callable[[IO[str]], None]) -> None:
        """The whole chart: header tables, then the items written so far, then the palette."""
        out.write('<?xml version="1.0" encoding="utf-16"?>\n')
        out.write(f"<!-- Written by Workbench {xml_text(__version__)} from FollowTheMoney entities -->\n")
        out.write('<Chart IdReferenceLinking="false">\n')
        out.write(_element("ApplicationVersion", [("Major", 9), ("Minor", 0), ("Point", 0), ("Build", 0)]) + "\n")
        strengths = "".join(_element("Strength", [("Id", self.strength_ids[name]), ("Name", name), ("DotStyle", dots)])
                            for name, dots in ANX_STRENGTHS)
        out.write(_element("StrengthCollection", [], strengths) + "\n")
        for tag, texts in (("GradeOne", ANX_GRADE_ONE), ("GradeTwo", ANX_GRADE_TWO)):
            strings = "".join(_element("String", [("Id", f"{tag}{index}"), ("Text", text)])
                              for index, text in enumerate(texts))
            out.write(_element(tag, [], _element("StringCollection", [], strings)) + "\n")
        classes = "".join(
            _element("AttributeClass", [("Id", ident), ("Name", name), ("Type", "AttText"), ("IsUser", "true"),
                                        ("UserCanAdd", "true"), ("UserCanRemove", "true"), ("ShowValue", "true"),
                                        ("MergeBehaviour", "AttMergeAddWithLineBreak")])
            for name, ident in self.attribute_classes.items()
        )
        if classes:
            out.write(_element("AttributeClassCollection", [], classes) + "\n")
        types = "".join(_element("EntityType", [("Id", ident), ("Name", name), ("IconFile", icon),
                                                ("PreferredRepresentation", "RepresentAsIcon")])
                        for name, (ident, icon) in self.entity_types.items())
        if types:
            out.write(_element("EntityTypeCollection", [], types) + "\n")
        link_types = "".join(_element("LinkType", [("Id", ident), ("Name", name)])
                             for name, ident in self.link_types.items())
        if link_types:
            out.write(_element("LinkTypeCollection", [], link_types) + "\n")
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        summary = (
            _element("FieldCollection", [], _element("Field", [("Type", "SummaryFieldTitle"), ("Field", title)]))
            + _element("CustomPropertyCollection", [], _element(
                "CustomProperty", [("Name", ANX_MARKER_NAME), ("Type", "String"), ("Value", ANX_MARKER_VALUE)]))
            + _element("Origin", [("CreatedDate", now), ("EditTime", 0), ("RevisionNumber", 1)])
        )
        out.write(_element("Summary", [], summary) + "\n")
        out.write("<ChartItemCollection>\n")
        copy_items(out)
        out.write("</ChartItemCollection>\n")
        palette = (
            _element("AttributeClassEntryCollection", [], "".join(
                _element("AttributeClassEntry", [("AttributeClass", name), ("AttributeClassReference", ident)])
                for name, ident in self.attribute_classes.items()))
            + _element("EntityTypeEntryCollection", [], "".join(
                _element("EntityTypeEntry", [("Entity", name), ("EntityTypeReference", ident)])
                for name, (ident, _) in self.entity_types.items()))
            + _element("LinkTypeEntryCollection", [], "".join(
                _element("LinkTypeEntry", [("LinkType", name), ("LinkTypeReference", ident)])
                for name, ident in self.link_types.items()))
        )
        out.write(_element("PaletteCollection", [], _element("Palette", [("Name", "Workbench")], palette)) + "\n")
        out.write("</Chart>\n")


class AnxExporter(Exporter):
    """i2 Analyst's Notebook exchange XML (ANX) that i2 users can open."""

    id = "i2-anx-export"
    label = "i2 Analyst's Notebook chart (ANX)"
    version = "1.0"
    format = "anx"
    file_suffix = ".anx"
    description = (
        "Entities as i2 icons (type from a table: Person, Company, Organisation, Bank Account, Ship, ...), "
        "relationships as links with type, arrow and strength from the grade, every property as an attribute, "
        "one source card per source with its grade, and chart positions."
    )
    losses = (
        "several values of a long-text property (description, notes) as separate values: they share one "
        "attribute, one value a line, and come back as one value (other properties are split again)",
        "provenance per value: each source becomes a card (file, locator, grade) for i2 users; imported again, "
        "the chart is one new source, each record keeping its item's best grade (i2 grades)",
        "exact positions (rounded to whole chart units), pins, hidden items, groups and saved views; entities "
        "never placed get a position on a grid below the chart",
        "references held by a relationship (a payment's accounts, a shipment's vessel or forwarder) as drawn "
        "links: they are attributes holding the FtM id",
        "a link strength of its own: it is derived from the grade (A1-B2 confirmed, up to C3 unconfirmed, "
        "weaker tentative)",
        "findings, the audit log and detector settings",
    )

    def write(self, case: Any, path: Path, *, include_protected: bool = False) -> dict[str, Any]:
        path = Path(path)
        report: dict[str, Any] = {}

        def write(temporary: Path) -> None:
            with tempfile.TemporaryFile("w+", encoding="utf-8") as scratch:
                chart = _AnxChartWriter(scratch)
                for item in chart_of_case(case, include_protected):
                    if isinstance(item, ChartEntity):
                        chart.entity(item)
                    elif isinstance(item, ChartLink):
                        chart.relationship(item)
                    else:
                        chart.reference(item)
                scratch.seek(0)

                def copy_items(out: IO[str]) -> None:
                    for block in iter(lambda: scratch.read(1 << 20), ""):
                        out.write(block)

                # i2 writes its exchange files as UTF-16 (little-endian, with a byte-order mark).
                with temporary.open("w", encoding="utf-16-le", newline="\r\n") as out:
                    out.write("\ufeff")
                    chart.document(out, case.meta("title") or path.stem, copy_items)
                report.update(entities=chart.entities, links=chart.links)

        _write_atomically(path, write)
        return {**report, "losses": list(self.losses)}


class AnxImporter(ChartImporter):
    """i2 Analyst's Notebook exchange XML (ANX), as i2 and Workbench write it."""

    id = "i2-anx"
    label = "i2 Analyst's Notebook chart (ANX)"
    version = "1.0"
    description = (
        "Entities with their icon type, links with type, direction and strength, attributes, dates, cards "
        "and positions. Unknown icon types stop the import, or with on_error=skip come in as LegalEntity."
    )
    file_patterns = ("*.anx",)
    type_aliases = I2_TYPE_ALIASES
    value_types = I2_VALUE_TYPES
    tool = "i2"

    @classmethod
    def sniff(cls, path: Path) -> float:
        """Certain when the XML's root element is ``<Chart>``."""
        try:
            with Path(path).open("rb") as handle:
                head = handle.read(4096)
        except OSError:
            return 0.0
        if root_element(head) == "Chart":
            return 0.95
        return super().sniff(path) * 0.5

    def read(self, path: Path) -> Iterator[Record]:
        path = Path(path)
        nodes, links = self.parse(path)
        yield from self.records(path, nodes, links)

    def parse(self, path: Path) -> tuple[list[NodeDraft], list[LinkDraft]]:
        """Entities and links of the chart, read in one streaming pass."""
        nodes: list[NodeDraft] = []
        links: list[LinkDraft] = []
        attribute_names_by_id: dict[str, str] = {}
        grade_tables: dict[str, list[str]] = {}
        strength_names: dict[str, str] = {}
        state = {"workbench": False, "items": 0}
        try:
            with path.open("rb") as handle:
                root = root_element(handle.read(4096))
                if root is not None and root != "Chart":
                    raise SourceFormatError(f"{path.name}: the root element is <{root}>, expected <Chart> "
                                            "(an i2 Analyst's Notebook exchange file)")
                handle.seek(0)
                for _, element in ElementTree.iterparse(handle, events=("end",)):
                    name = element.tag if element.tag[0] != "{" else _local(element.tag)
                    if name == "ChartItem":
                        state["items"] += 1
                        self.chart_item(path, element, state, attribute_names_by_id, grade_tables,
                                        strength_names, nodes, links)
                        element.clear()  # the chart is read item by item, not held
                    elif name == "AttributeClass":
                        attribute_names_by_id[element.get("Id", "")] = element.get("Name", "")
                    elif name == "Strength":
                        strength_names[element.get("Id", "")] = element.get("Name", "")
                    elif name in ("GradeOne", "GradeTwo", "GradeThree"):
                        strings = _children(_child(element, "StringCollection"), "String")
                        grade_tables[name] = [string.get("Text", "") for string in strings]
                    elif name == "CustomProperty":
                        if element.get("Name") == ANX_MARKER_NAME and element.get("Value") == ANX_MARKER_VALUE:
                            state["workbench"] = True
        except ElementTree.ParseError as error:
            raise _xml_error(path, error, "an i2 chart") from error
        return nodes, links

    def chart_item(self, path, element, state, attribute_names_by_id, grade_tables, strength_names, nodes, links):
        number = state["items"]
        label = element.get("Label") or None
        locator = f"ChartItem[{number}]" + (f" (Id={element.get('Id')})" if element.get("Id") else "") + (
            f" {label!r}" if label else "")
        values = []
        for attribute in _children(_child(element, "AttributeCollection"), "Attribute"):
            name = attribute.get("AttributeClass") or attribute_names_by_id.get(
                attribute.get("AttributeClassReference", ""), "")
            if name:
                values.append((name, attribute.get("Value", "")))
        grade = self.item_grade(element, grade_tables)
        date = ftm_date(element.get("DateTime"), element.get("DateSet") == "true", element.get("TimeSet") == "true")
        description = element.get("DateTimeDescription")
        if date and description and re.fullmatch(r"\d{4}(-\d{2})?", description) and date.startswith(description):
            date = description  # Workbench wrote a partial date as its first day and kept the text
        end = _child(element, "End")
        link = _child(element, "Link")
        if end is not None and _child(end, "Entity") is not None:
            nodes.append(self.entity(path, locator, element, end, values, label, grade, date, state["workbench"]))
        elif link is not None:
            draft = self.link(path, locator, element, link, values, label, grade, date, strength_names,
                              state["workbench"])
            if draft is not None:
                links.append(draft)
        else:
            self.problem(path, locator, "holds neither an entity (End/Entity) nor a link (Link)", "left out")

    @staticmethod
    def item_grade(element, grade_tables) -> Grade | None:
        """The Admiralty grade in an item's i2 grades, when the chart grades that way."""
        try:
            first = grade_tables.get("GradeOne", [])[int(element.get("GradeOneIndex"))]
            second = grade_tables.get("GradeTwo", [])[int(element.get("GradeTwoIndex"))]
        except (TypeError, ValueError, IndexError):
            return None
        letter = re.match(r"\s*([A-F])\b", first)
        digit = re.match(r"\s*([1-6])\b", second)
        return Grade(letter.group(1), int(digit.group(1))) if letter and digit else None

    @staticmethod
    def cards(owner) -> list[dict[str, str]]:
        cards = []
        for card in _children(_child(owner, "CardCollection"), "Card"):
            cards.append({key: value for key, value in card.attrib.items() if value})
        return cards

    def entity(self, path, locator, element, end, values, label, grade, date, workbench) -> NodeDraft:
        entity = _child(end, "Entity")
        type_name = ""
        for representation in entity:
            for style in representation:
                if _local(style.tag).endswith("Style") and style.get("Type"):
                    type_name = style.get("Type")
                    break
            if type_name:
                break
        schema, fold_into, notes = self.node_type(path, locator, type_name, workbench=workbench)
        identity = entity.get("Identity") or ""
        key = entity.get("EntityId")
        if workbench and identity:
            entity_id = identity
        else:
            # i2 treats entities of one type and identity as one; so do these ids.
            entity_id = "i2-" + _digest(type_name, identity) if identity else "i2-" + _digest(path.name, key or locator)
        position = None
        try:
            if end.get("X") is not None and end.get("Y") is not None:
                position = (float(end.get("X")), float(end.get("Y")))
        except ValueError:
            self.problem(path, locator, f"position X={end.get('X')!r} Y={end.get('Y')!r} is not a number",
                         "imported without a position")
        extra: dict[str, Any] = {}
        cards = self.cards(entity)
        if cards:
            extra["i2_cards"] = cards
        if type_name and not workbench:
            extra["i2_type"] = type_name
        if fold_into:
            extra["type"] = type_name
        caption = label or identity or None
        return NodeDraft(key=key, locator=locator, entity_id=entity_id, schema=schema, values=values,
                         fold_into=fold_into, caption=caption, description=element.get("Description"),
                         date=date, notes=notes, position=position, grade=grade, extra=extra,
                         written_by_workbench=workbench)

    def link(self, path, locator, element, link, values, label, grade, date, strength_names, workbench):
        style = _child(link, "LinkStyle")
        style = style if style is not None else ElementTree.Element("LinkStyle")
        end1, end2 = link.get("End1Id"), link.get("End2Id")
        if not end1 or not end2:
            self.problem(path, locator, "a link without End1Id and End2Id", "left out")
            return None
        if style.get("ArrowStyle") == "ArrowOnTail":
            end1, end2 = end2, end1  # the arrow points at End1: that is where the link goes
        entity_id = None
        is_reference = False
        kept = []
        for name, value in values:
            if name == ANX_FTM_ID:
                entity_id = value
            elif name == ANX_FTM_REFERENCE:
                is_reference = True
            else:
                kept.append((name, value))
        type_name = style.get("Type") or ""
        schema = find_schema(type_name, edge=True) if workbench and entity_id else None
        strength = style.get("Strength") or strength_names.get(style.get("StrengthReference", ""), "")
        extra: dict[str, Any] = {}
        cards = self.cards(link)
        if cards:
            extra["i2_cards"] = cards
        if not workbench:
            extra.update({key: value for key, value in (("i2_link_type", type_name), ("i2_strength", strength),
                                                        ("i2_arrow", style.get("ArrowStyle"))) if value})
        return LinkDraft(key=element.get("Id") or locator, locator=locator, end1=end1, end2=end2,
                         type_name=type_name, schema=schema, entity_id=entity_id if workbench else None,
                         values=kept, caption=label, description=element.get("Description"), date=date,
                         grade=grade, extra=extra, is_reference=is_reference, written_by_workbench=workbench)


# ==================================================================================== MTGX ==

MTG_NAMESPACE = "http://maltego.paterva.com/xml/mtgx"
GRAPHML_NAMESPACE = "http://graphml.graphdrawing.org/xmlns"
MTGX_GRAPH = "Graphs/Graph1.graphml"

#: FtM schema → Maltego entity type. Schemata without a standard Maltego type travel as
#: ``maltego.Phrase`` (Maltego's free-text entity), their FtM type in the ``ftm.schema`` property.
MALTEGO_ENTITY_TYPES = {
    "Person": "maltego.Person",
    "Company": "maltego.Company",
    "Organization": "maltego.Organization",
    "PublicBody": "maltego.Organization",
    "Address": "maltego.Location",
    "Document": "maltego.Document",
}
MALTEGO_FALLBACK_TYPE = "maltego.Phrase"
#: Maltego types read back (those above, and the value entities), for charts made in Maltego.
MALTEGO_TYPE_ALIASES = {
    "maltegoperson": "Person",
    "maltegocompany": "Company",
    "maltegoorganization": "Organization",
    "maltegolocation": "Address",
    "maltegodocument": "Document",
}
#: Maltego entities whose value belongs to the entities they are linked to.
MALTEGO_VALUE_TYPES = {
    "maltegophonenumber": "phone",
    "maltegoemailaddress": "email",
    "maltegowebsite": "website",
    "maltegodomain": "website",
    "maltegourl": "website",
    "maltegoalias": "alias",
}
#: Each Maltego type's standard properties and the FtM property they hold.
MALTEGO_PROPERTIES = {
    "maltego.Person": {"person.fullname": "name", "person.firstnames": "firstName", "person.lastname": "lastName"},
    "maltego.Company": {"title": "name"},
    "maltego.Organization": {"title": "name"},
    "maltego.Location": {"location.name": "full", "streetaddress": "street", "city": "city", "country": "country",
                         "countrycode": "country", "latitude": "latitude", "longitude": "longitude"},
    "maltego.Document": {"title": "title", "url": "sourceUrl"},
    "maltego.PhoneNumber": {"phonenumber": "phone"},
    "maltego.EmailAddress": {"email": "email"},
    "maltego.Website": {"fqdn": "website"},
    "maltego.Domain": {"fqdn": "website"},
    "maltego.URL": {"url": "website", "short-title": "website"},
    "maltego.Alias": {"alias": "alias"},
}
#: The property that is each type's value (what Maltego shows under the icon), with its label.
MALTEGO_MAIN_PROPERTY = {
    "maltego.Person": ("person.fullname", "Full Name"),
    "maltego.Company": ("title", "Title"),
    "maltego.Organization": ("title", "Title"),
    "maltego.Location": ("location.name", "Name"),
    "maltego.Document": ("title", "Title"),
    "maltego.Phrase": ("text", "Text"),
    "maltego.PhoneNumber": ("phonenumber", "Phone Number"),
    "maltego.EmailAddress": ("email", "Email Address"),
    "maltego.URL": ("url", "URL"),
    "maltego.Website": ("fqdn", "Website"),
    "maltego.Domain": ("fqdn", "Domain Name"),
    "maltego.Alias": ("alias", "Alias"),
}
#: FtM properties also drawn as Maltego entities linked to their holder, as Maltego users expect.
MALTEGO_VALUE_ENTITIES = {"phone": "maltego.PhoneNumber", "email": "maltego.EmailAddress", "website": "maltego.URL"}
MALTEGO_LINK_TYPE = "maltego.link.manual-link"
MALTEGO_LINK_LABEL = "maltego.link.manual.type"
MALTEGO_LINK_DESCRIPTION = "maltego.link.manual.description"
FTM_ID, FTM_SCHEMA, FTM_REFERENCE, FTM_GRADE, FTM_SOURCES, FTM_VALUE_OF = (
    "ftm.id", "ftm.schema", "ftm.reference", "ftm.grade", "ftm.sources", "ftm.valueOf")
FTM_PROPERTY_LABELS = {FTM_ID: "FtM id", FTM_SCHEMA: "FtM type", FTM_REFERENCE: "FtM reference property",
                       FTM_GRADE: "Best source grade", FTM_SOURCES: "Sources",
                       FTM_VALUE_OF: "Copy of the FtM property"}


def maltego_type(schema: Schema) -> str:
    return MALTEGO_ENTITY_TYPES.get(schema.name, MALTEGO_FALLBACK_TYPE)


def _maltego_property(name: str, label: str, value: str) -> str:
    return _element("mtg:Property", [("displayName", label), ("hidden", "false"), ("name", name),
                                     ("nullable", "true"), ("readonly", "false"), ("type", "string")],
                    f"<mtg:Value>{xml_text(value)}</mtg:Value>")


class _MtgxGraphWriter:
    """Writes the GraphML of a Maltego graph, nodes first, then edges."""

    def __init__(self, out: IO[str], value_entities: bool):
        self.out = out
        self.value_entities = value_entities
        self.node_ids: dict[str, str] = {}
        self.value_nodes: dict[tuple[str, str], str] = {}
        self.value_links: list[tuple[str, str, str]] = []
        self.edges: list[str] = []
        self.entities = 0
        self.links = 0

    def start(self) -> None:
        self.out.write('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n')
        self.out.write(f'<graphml xmlns="{GRAPHML_NAMESPACE}" xmlns:mtg="{MTG_NAMESPACE}">\n')
        self.out.write('<key attr.name="MaltegoEntity" for="node" id="d0"/>\n')
        self.out.write('<key for="node" id="d1" yfiles.type="nodegraphics"/>\n')
        self.out.write('<key attr.name="MaltegoLink" for="edge" id="d2"/>\n')
        self.out.write('<graph edgedefault="directed" id="G">\n')

    @staticmethod
    def provenance(grade: Grade | None, sources: list[SourceNote]) -> list[tuple[str, str, str]]:
        rows = []
        if grade is not None:
            rows.append((FTM_GRADE, FTM_PROPERTY_LABELS[FTM_GRADE], str(grade)))
        if sources:
            lines = [f"{note.summary} ({note.text})" for note in sources]
            rows.append((FTM_SOURCES, FTM_PROPERTY_LABELS[FTM_SOURCES], join_values(lines)))
        return rows

    def properties(self, proxy: EntityProxy, entity_type: str | None, leave_out: tuple[str, ...] = ()):
        """(name, label, value) of an entity's properties under Maltego's names where it has them."""
        standard = {}
        if entity_type:
            for maltego_name, ftm_name in MALTEGO_PROPERTIES.get(entity_type, {}).items():
                standard.setdefault(ftm_name, maltego_name)
        labels = attribute_names(proxy.schema)
        return [
            (standard.get(prop, prop), labels[prop], join_values(proxy.get(prop)))
            for prop in sorted(proxy.properties)
            if prop not in leave_out and prop in labels and proxy.get(prop)
        ]

    def node(self, node_id: str, entity_type: str, properties: list[tuple[str, str, str]],
             position: tuple[float, float]) -> None:
        rows = "".join(_maltego_property(name, label, value) for name, label, value in properties)
        entity = _element("mtg:MaltegoEntity", [("type", entity_type)], f"<mtg:Properties>{rows}</mtg:Properties>")
        renderer = _element("mtg:EntityRenderer", [], _element("mtg:Position", [("x", repr(float(position[0]))),
                                                                                 ("y", repr(float(position[1])))]))
        self.out.write(_element("node", [("id", node_id)],
                                f'<data key="d0">{entity}</data><data key="d1">{renderer}</data>') + "\n")

    def entity(self, item: ChartEntity) -> None:
        proxy = item.proxy
        entity_type = maltego_type(proxy.schema)
        node_id = f"n{len(self.node_ids)}"
        self.node_ids[proxy.id] = node_id
        rows = [(FTM_ID, FTM_PROPERTY_LABELS[FTM_ID], proxy.id), (FTM_SCHEMA, FTM_PROPERTY_LABELS[FTM_SCHEMA],
                                                                     proxy.schema.name)]
        if entity_type == MALTEGO_FALLBACK_TYPE:
            main, label = MALTEGO_MAIN_PROPERTY[entity_type]
            rows.append((main, label, entity_caption(proxy)))  # what Maltego shows; not read back
        rows += self.properties(proxy, entity_type)
        rows += self.provenance(item.grade, item.sources)
        self.node(node_id, entity_type, rows, item.position)
        self.entities += 1
        if self.value_entities:
            for prop_name, value_type in MALTEGO_VALUE_ENTITIES.items():
                prop = proxy.schema.properties.get(prop_name)
                if prop is None:
                    continue
                for value in proxy.get(prop):
                    self.value_entity(node_id, prop, value_type, value, item.position)

    def value_entity(self, holder_node: str, prop: Property, value_type: str, value: str, near) -> None:
        """A phone number, e-mail address or website as a Maltego entity shared by its holders."""
        key = (value_type, value)
        node_id = self.value_nodes.get(key)
        if node_id is None:
            node_id = self.value_nodes[key] = f"v{len(self.value_nodes)}"
            main, label = MALTEGO_MAIN_PROPERTY[value_type]
            self.node(node_id, value_type, [(main, label, value),
                                            (FTM_VALUE_OF, FTM_PROPERTY_LABELS[FTM_VALUE_OF], prop.name)],
                      (near[0] + GRID_SPACING / 2, near[1] + GRID_SPACING / 2))
        self.value_links.append((holder_node, node_id, prop.name))

    def edge(self, source_node: str, target_node: str, rows: list[tuple[str, str, str]]) -> None:
        properties = "".join(_maltego_property(name, label, value) for name, label, value in rows)
        link = _element("mtg:MaltegoLink", [("type", MALTEGO_LINK_TYPE)], f"<mtg:Properties>{properties}</mtg:Properties>")
        self.edges.append(_element("edge", [("id", f"e{len(self.edges)}"), ("source", source_node),
                                            ("target", target_node)], f'<data key="d2">{link}</data>'))
        self.links += 1

    def relationship(self, item: ChartLink) -> None:
        proxy = item.proxy
        schema = proxy.schema
        rows = [(MALTEGO_LINK_LABEL, "Label", link_label(proxy)), (FTM_ID, FTM_PROPERTY_LABELS[FTM_ID], proxy.id),
                (FTM_SCHEMA, FTM_PROPERTY_LABELS[FTM_SCHEMA], schema.name)]
        rows += self.properties(proxy, None, leave_out=(schema.source_prop.name, schema.target_prop.name))
        rows += self.provenance(item.grade, item.sources)
        self.edge(self.node_ids[item.source_id], self.node_ids[item.target_id], rows)

    def reference(self, item: ChartReference) -> None:
        self.edge(self.node_ids[item.holder_id], self.node_ids[item.target_id],
                  [(MALTEGO_LINK_LABEL, "Label", item.prop.label),
                   (FTM_REFERENCE, FTM_PROPERTY_LABELS[FTM_REFERENCE], item.prop.name)])

    def finish(self) -> None:
        # Edges of the chart were held until every node was written: GraphML readers expect
        # a graph's nodes before the edges between them.
        for holder_node, value_node, prop_name in self.value_links:
            prop_label = model.get("LegalEntity").properties[prop_name].label
            self.edge(holder_node, value_node, [(MALTEGO_LINK_LABEL, "Label", prop_label),
                                                (FTM_REFERENCE, FTM_PROPERTY_LABELS[FTM_REFERENCE], prop_name)])
        for edge in self.edges:
            self.out.write(edge + "\n")
        self.out.write("</graph>\n</graphml>\n")


class MtgxExporter(Exporter):
    """A Maltego graph (MTGX: a zip holding Graphs/Graph1.graphml with Maltego entity payloads)."""

    id = "maltego-mtgx-export"
    label = "Maltego graph (MTGX)"
    version = "1.0"
    format = "mtgx"
    file_suffix = ".mtgx"
    description = (
        "Entities as Maltego entities (maltego.Person, maltego.Company, maltego.Organization, ...) with every "
        "property, relationships as labelled links, positions; phone numbers, e-mail addresses and websites "
        "also as linked Maltego entities."
    )
    parameters = {
        "value_entities": Parameter(
            default=True,
            help="also draw phone numbers, e-mail addresses and websites as Maltego entities linked to their "
            "holders (shared values become one entity); the holders keep the values either way",
        ),
    }
    losses = (
        "several values of a long-text property (description, notes) as separate values: they share one "
        "Maltego property, one value a line, and come back as one value (other properties are split again)",
        "provenance per value: each entity and link lists its sources and best grade in properties; imported "
        "again, the graph is one new source, each record keeping its item's best grade",
        "FtM types without a standard Maltego entity (bank accounts, vessels, sanctions, ...) as themselves: "
        "they travel as maltego.Phrase, their FtM type in the ftm.schema property",
        "pins, hidden items, groups and saved views; entities never placed get a position on a grid below the chart",
        "references held by a relationship (a payment's accounts, a shipment's vessel or forwarder) as drawn "
        "links: they are properties holding the FtM id",
        "findings, the audit log and detector settings",
    )

    def write(self, case: Any, path: Path, *, include_protected: bool = False) -> dict[str, Any]:
        path = Path(path)
        report: dict[str, Any] = {}

        def write(temporary: Path) -> None:
            with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                with archive.open(MTGX_GRAPH, "w", force_zip64=True) as raw:
                    out = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
                    graph = _MtgxGraphWriter(out, self.options["value_entities"])
                    graph.start()
                    for item in chart_of_case(case, include_protected):
                        if isinstance(item, ChartEntity):
                            graph.entity(item)
                        elif isinstance(item, ChartLink):
                            graph.relationship(item)
                        else:
                            graph.reference(item)
                    graph.finish()
                    out.flush()
                    out.detach()
            report.update(entities=graph.entities, links=graph.links, value_entities=len(graph.value_nodes))

        _write_atomically(path, write)
        return {**report, "losses": list(self.losses)}


class MtgxImporter(ChartImporter):
    """Maltego graphs (MTGX), as Maltego and Workbench write them."""

    id = "maltego-mtgx"
    label = "Maltego graph (MTGX)"
    version = "1.0"
    description = (
        "Entities with their Maltego type and properties, links with labels, positions. Phone numbers, "
        "e-mail addresses and websites become properties of the entities they are linked to."
    )
    file_patterns = ("*.mtgx",)
    type_aliases = MALTEGO_TYPE_ALIASES
    value_types = MALTEGO_VALUE_TYPES
    tool = "Maltego"

    @classmethod
    def sniff(cls, path: Path) -> float:
        """Certain when the file is a zip holding a graph under ``Graphs/``."""
        try:
            if not zipfile.is_zipfile(path):
                return 0.0
            with zipfile.ZipFile(path) as archive:
                if any(_is_graph(name) for name in archive.namelist()):
                    return 0.95
        except (OSError, zipfile.BadZipFile):
            return 0.0
        return super().sniff(path) * 0.5

    def read(self, path: Path) -> Iterator[Record]:
        path = Path(path)
        nodes, links = self.parse(path)
        yield from self.records(path, nodes, links)

    def parse(self, path: Path) -> tuple[list[NodeDraft], list[LinkDraft]]:
        nodes: list[NodeDraft] = []
        links: list[LinkDraft] = []
        check_archive(path)  # a few MB of whitespace or of one value can unpack to gigabytes
        try:
            with zipfile.ZipFile(path) as archive:
                graphs = sorted(name for name in archive.namelist() if _is_graph(name))
                if not graphs:
                    found = ", ".join(archive.namelist()[:8]) or "nothing"
                    raise SourceFormatError(
                        f"{path.name}: a zip archive, but not a Maltego graph: expected {MTGX_GRAPH} (GraphML "
                        f"under Graphs/) inside; found {found}")
                for graph_name in graphs:
                    with open_member(archive, graph_name, path) as handle:
                        root = root_element(handle.read(4096))
                    if root is not None and root != "graphml":
                        raise SourceFormatError(f"{path.name}: {graph_name}: the root element is <{root}>, "
                                                "expected <graphml>")
                    with open_member(archive, graph_name, path) as handle:
                        self.parse_graph(path, graph_name, handle, nodes, links)
        except zipfile.BadZipFile as error:
            raise SourceFormatError(
                f"{path.name}: not a readable zip archive ({error}); an MTGX file is a zip holding "
                f"{MTGX_GRAPH}") from error
        except (zlib.error, EOFError) as error:
            raise SourceFormatError(f"{path.name}: the zip archive is damaged ({error}); save the graph again "
                                    "from Maltego") from error
        return nodes, links

    def parse_graph(self, path, graph_name, handle, nodes, links) -> None:
        counts = {"node": 0, "edge": 0}
        # Node ids are only unique within one graph of the archive.
        scope = "" if graph_name == MTGX_GRAPH else graph_name + "#"
        try:
            for _, element in ElementTree.iterparse(handle, events=("end",)):
                name = _local(element.tag)
                if name in ("node", "edge"):
                    counts[name] += 1
                    if name == "node":
                        draft = self.node(path, graph_name, scope, element, counts["node"])
                        if draft is not None:
                            nodes.append(draft)
                    else:
                        draft = self.edge(path, graph_name, scope, element, counts["edge"])
                        if draft is not None:
                            links.append(draft)
                    element.clear()  # the graph is read node by node, not held
        except ElementTree.ParseError as error:
            raise _xml_error(path, error, f"a Maltego graph ({graph_name})") from error

    @staticmethod
    def payload(element, tag):
        for data in _children(element, "data"):
            for child in data.iter():
                if _local(child.tag) == tag:
                    return child
        return None

    @staticmethod
    def maltego_properties(payload) -> list[tuple[str, str, str]]:
        rows = []
        for prop in _children(_child(payload, "Properties"), "Property"):
            value = _child(prop, "Value")
            rows.append((prop.get("name", ""), prop.get("displayName", ""), (value.text or "") if value is not None else ""))
        return rows

    def node(self, path, graph_name, scope, element, number) -> NodeDraft | None:
        node_id = element.get("id") or f"#{number}"
        locator = f"{graph_name} node {node_id}"
        payload = self.payload(element, "MaltegoEntity")
        if payload is None:
            self.problem(path, locator, "carries no Maltego entity (mtg:MaltegoEntity)", "left out")
            return None
        entity_type = payload.get("type", "")
        rows = self.maltego_properties(payload)
        given = {name: value for name, _, value in rows}
        if given.get(FTM_VALUE_OF):
            # A phone, e-mail or website Workbench drew beside its holders, which hold it already.
            return NodeDraft(key=scope + node_id, locator=locator, entity_id="", schema=model.get("LegalEntity"),
                             fold_into=given[FTM_VALUE_OF], extra={"derived": True})
        position = None
        renderer = self.payload(element, "Position")
        if renderer is not None:
            try:
                position = (float(renderer.get("x")), float(renderer.get("y")))
            except (TypeError, ValueError):
                self.problem(path, locator, f"position x={renderer.get('x')!r} y={renderer.get('y')!r} is not a "
                                            "number", "imported without a position")
        workbench = bool(given.get(FTM_SCHEMA) and given.get(FTM_ID))
        schema = model.get(given[FTM_SCHEMA]) if workbench else None
        fold_into, notes = None, []
        if schema is None or schema.abstract:
            workbench = False
            schema, fold_into, notes = self.node_type(path, locator, entity_type)
        main_name = MALTEGO_MAIN_PROPERTY.get(entity_type, (rows[0][0] if rows else "", ""))[0]
        main_value = given.get(main_name) or (rows[0][2] if rows else "")
        values = []
        for name, label, value in rows:
            if name in (FTM_ID, FTM_SCHEMA, FTM_SOURCES, FTM_GRADE):
                continue
            if workbench and entity_type == MALTEGO_FALLBACK_TYPE and name == main_name:
                continue  # the caption Workbench showed; the values are in their own properties
            if fold_into and name == main_name:
                continue  # the value itself, handled by folding
            values.append((name if find_property(schema, name, MALTEGO_PROPERTIES.get(entity_type)) else label or name,
                           value))
        extra: dict[str, Any] = {}
        if given.get(FTM_SOURCES):
            extra["maltego_sources"] = given[FTM_SOURCES].split(VALUE_SEPARATOR)
        if not workbench:
            extra["maltego_type"] = entity_type
        if fold_into:
            extra["type"] = entity_type
        entity_id = given[FTM_ID] if workbench else "maltego-" + _digest(entity_type, main_value or path.name + locator)
        return NodeDraft(key=scope + node_id, locator=locator, entity_id=entity_id, schema=schema, values=values,
                         fold_into=fold_into, caption=None if workbench else (main_value or None), notes=notes,
                         position=position, grade=_grade(given.get(FTM_GRADE)), extra=extra,
                         aliases=MALTEGO_PROPERTIES.get(entity_type), written_by_workbench=workbench)

    def edge(self, path, graph_name, scope, element, number) -> LinkDraft | None:
        edge_id = element.get("id") or f"#{number}"
        locator = f"{graph_name} edge {edge_id}"
        source, target = element.get("source"), element.get("target")
        if not source or not target:
            self.problem(path, locator, "an edge without source and target", "left out")
            return None
        payload = self.payload(element, "MaltegoLink")
        rows = self.maltego_properties(payload) if payload is not None else []
        given = {name: value for name, _, value in rows}
        schema = model.get(given[FTM_SCHEMA]) if given.get(FTM_SCHEMA) else None
        workbench = bool(schema is not None and schema.edge and given.get(FTM_ID))
        values = []
        for name, label, value in rows:
            if name in (FTM_ID, FTM_SCHEMA, FTM_SOURCES, FTM_GRADE, FTM_REFERENCE, MALTEGO_LINK_LABEL,
                        MALTEGO_LINK_DESCRIPTION) or name.startswith("maltego.link."):
                continue  # ids and Maltego's own link styling (colour, thickness, label display)
            values.append((name if schema is not None and find_property(schema, name) else label or name, value))
        extra: dict[str, Any] = {}
        if given.get(FTM_SOURCES):
            extra["maltego_sources"] = given[FTM_SOURCES].split(VALUE_SEPARATOR)
        if not workbench and payload is not None and payload.get("type"):
            extra["maltego_link_type"] = payload.get("type")
        label = given.get(MALTEGO_LINK_LABEL, "")
        return LinkDraft(key=scope + edge_id, locator=locator, end1=scope + source, end2=scope + target,
                         type_name="" if workbench else label, schema=schema if workbench else None,
                         entity_id=given[FTM_ID] if workbench else None, values=values,
                         description=given.get(MALTEGO_LINK_DESCRIPTION), grade=_grade(given.get(FTM_GRADE)),
                         extra=extra, is_reference=bool(given.get(FTM_REFERENCE)), written_by_workbench=workbench)

    def records(self, path: Path, nodes: list[NodeDraft], links: list[LinkDraft]) -> Iterator[Record]:
        # Value entities Workbench drew beside their holders are copies: they and their links go.
        derived = {node.key for node in nodes if node.extra.get("derived")}
        nodes = [node for node in nodes if node.key not in derived]
        links = [link for link in links if link.end1 not in derived and link.end2 not in derived]
        yield from super().records(path, nodes, links)


def _is_graph(name: str) -> bool:
    return name.startswith("Graphs/") and name.lower().endswith(".graphml")
