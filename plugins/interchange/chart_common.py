"""What the i2 (ANX) and Maltego (MTGX) formats share: FtM entities as a chart, and back.

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
import json
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from followthemoney.property import Property
from followthemoney.proxy import EntityProxy
from followthemoney.schema import Schema
from followthemoney.types import registry

from workbench.files import replacing
from workbench.model import model
from workbench.model.grading import Grade, parse_grade
from workbench.model.provenance import Record
from workbench.plugin_api import Importer, Parameter, ParameterError, SourceFormatError

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
    #: Drawn with arrows at both ends where it came from (i2 ArrowOnBoth): kept so on the way out.
    two_way: bool = False
    #: Drawn with one arrow where it came from, though its FtM type has no direction (an i2
    #: "Call" link read as a link of its own type name): kept so on the way out.
    one_way: bool = False


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


def chart_of_case(case: Any, include_protected: bool = False, tally: dict[str, int] | None = None,
                  ) -> Iterator[ChartEntity | ChartLink | ChartReference]:
    """The case as a chart, in one pass over its entities: entities first, then links.

    Relationships are held back (as proxies) until every entity is known, because only then can
    it be said whether both their ends are drawn. Memory grows with the number of relationships,
    never with its square.
    """
    positions = case.positions()
    aliases = case.aliases()
    two_way = case.entities_with_extra("i2_arrow", "ArrowOnBoth")
    one_way = case.entities_with_extra("i2_arrow", "ArrowOnHead") | case.entities_with_extra("i2_arrow", "ArrowOnTail")
    expected = sum(count for name, count in case.counts_by_schema().items()
                   if model.get(name) is not None and not model.get(name).edge)
    placer = _FreePlacer(positions, expected - len(positions))
    drawn: dict[str, Grade | None] = {}
    carried = 0
    relationships: list[tuple[EntityProxy, list[SourceNote], Grade | None]] = []
    references: list[tuple[str, Property, str]] = []

    for proxy, rows in case.iter_entities(include_protected=include_protected, with_provenance=True):
        if not rows:
            # Known only from protected sources: even its id and type would say what is hidden.
            continue
        carried += 1
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
        # i2 draws no link from an entity to itself: such a relationship is drawn as an entity.
        if ends_from and ends_to and all(end in drawn for end in ends_from + ends_to) and not set(ends_from) & set(ends_to):
            for source_id in ends_from:
                for target_id in ends_to:
                    yield ChartLink(proxy, source_id, target_id, sources, grade, proxy.id in two_way,
                                    proxy.id in one_way)
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
    if tally is not None:
        # Whatever the case holds that was not drawn is known only from protected sources.
        tally["protected_only"] = max(0, sum(case.counts_by_schema().values()) - carried)


def tally_losses(tally: dict[str, int]) -> list[str]:
    """What an export left out of the case this time, said with its count (for "not carried")."""
    count = tally.get("protected_only", 0)
    if not count:
        return []
    return [f"{count:,} entit{'y' if count == 1 else 'ies'} known only from protected sources (left out, not even "
            "their ids; export with --include-protected to carry them)"]


def _temporal_start(proxy: EntityProxy) -> str | None:
    for prop in proxy.schema.temporal_start_props:
        value = proxy.first(prop)
        if value:
            return value
    return None


def _write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Write ``path`` through a temporary file beside it, so a failed export leaves no half file."""
    with replacing(path) as temporary:
        write(temporary)


# ========================================================================== import: shared ==

# Parameters every chart importer takes.
ON_ERROR = Parameter(
    default="stop",
    choices=("stop", "skip"),
    help="stop: an item that cannot be read as it is (a link to no entity, a second entity with one id) stops "
    "the import, naming it; skip: keep what can be read and list every such item after the import "
    "(unknown entity types never stop an import unless unknown_types=stop)",
)
UNKNOWN_TYPES = Parameter(
    default="nearest",
    choices=("nearest", "stop"),
    help="nearest: an entity type that is not one of the tool's standard types comes in as the nearest FtM "
    "type (by the types it extends and the words of its name; else LegalEntity), its type and every property "
    "kept, and is listed after the import; stop: such a type stops the import, naming it",
)
#: Words in an unknown type's name (normalised) and the FtM schema they suggest, first match wins.
TYPE_NAME_WORDS = (
    ("person", "Person"), ("people", "Person"), ("individual", "Person"),
    ("company", "Company"), ("organisation", "Organization"), ("organization", "Organization"),
    ("vessel", "Vessel"), ("ship", "Vessel"), ("aircraft", "Airplane"),
    ("airplane", "Airplane"), ("vehicle", "Vehicle"), ("event", "Event"), ("meeting", "Event"),
    ("photo", "Image"), ("image", "Image"), ("picture", "Image"), ("document", "Document"),
    ("address", "Address"), ("location", "Address"), ("passport", "Passport"),
    ("user", "UserAccount"), ("account", "UserAccount"), ("profile", "UserAccount"),
    ("phone", "UserAccount"), ("email", "UserAccount"),
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
    #: Drawn with arrows at both ends (i2 ArrowOnBoth): it comes in without a direction.
    two_way: bool = False
    written_by_workbench: bool = False


class ChartImporter(Importer):
    """What the ANX and MTGX importers share: type mapping, error policy, records from drafts.

    ``skipped`` lists, after ``read``, every item that ``on_error="skip"`` let through instead of
    stopping, as :class:`SkippedItem` (where, why, and what was done instead: "left out", or
    "imported as LegalEntity, its type kept in notes").
    """

    parameters = {"on_error": ON_ERROR, "unknown_types": UNKNOWN_TYPES, "entity_types": ENTITY_TYPES,
                  "link_types": LINK_TYPES}
    #: The tool's entity type names (normalised) for FtM schemata, beyond FtM's own names.
    type_aliases: dict[str, str] = {}
    #: The tool's entity type names (normalised) for values that belong to a linked entity.
    value_types: dict[str, str] = {}
    tool = "chart"

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.skipped: list[SkippedItem] = []
        #: Types the tool's table did not know: name → [first locator, count, FtM schema read as].
        self.unknown_types: dict[str, list] = {}
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
                  hints: Iterable[str] = ()) -> tuple[Schema, str | None, list[str]]:
        """The FtM schema for a foreign entity type, and the property its value also gives to linked entities.

        Returns ``(schema, fold_into, notes)``. The schema is never a relationship: a chart
        entity stays an entity (an i2 ``Family`` icon is a group, not FtM's Family link). The
        tool's standard types come from its table (:meth:`known_type`); a type the table does
        not know is read as the nearest FtM schema (:meth:`nearest_type`, from ``hints`` such as
        the types it extends), its type kept in notes, and listed once per type after the import,
        unless ``unknown_types="stop"``. ``fold_into`` names the property (phone, email,
        website) that entities linked to a value entity also receive; the value entity itself
        stays an entity of the chart.
        """
        key = _normal(type_name)
        fold_into = self.value_types.get(key) if not workbench else None
        if key in self.entity_type_map:
            return self.entity_type_map[key], fold_into, []
        known = self.known_type(type_name)
        if known is not None:
            return known, fold_into, []
        # Workbench draws a relationship with an end outside the chart as an entity of its type;
        # in other charts a type named like an FtM relationship (i2's Family icon) is an entity.
        schema = find_schema(type_name, edge=None if workbench else False)
        if schema is not None:
            return schema, fold_into, []
        schema = self.nearest_type(type_name, hints)
        if self.options.get("unknown_types", "nearest") == "stop":
            raise SourceFormatError(
                f"{Path(path).name}: {locator}: {self.tool} entity type {type_name!r} is not one of {self.tool}'s "
                f"standard types; without unknown_types=stop it would come in as {schema.name} (the nearest FtM "
                f"type, its type kept in notes), or map it with entity_types='{{\"{type_name}\": \"{schema.name}\"}}'")
        seen = self.unknown_types.setdefault(type_name, [locator, 0, schema.name])
        seen[1] += 1
        return schema, fold_into, [f"{self.tool} entity type: {type_name}"]

    def known_type(self, type_name: str) -> Schema | None:
        """The FtM schema of one of the tool's standard types (its library or entity set), or ``None``."""
        key = _normal(type_name)
        return model.get(self.type_aliases[key]) if key in self.type_aliases else None

    def nearest_type(self, type_name: str, hints: Iterable[str] = ()) -> Schema:
        """The FtM schema nearest to a type the tool's table does not know: by the known types in
        ``hints`` (the types it extends), then by words in its name, else LegalEntity."""
        for hint in hints:
            schema = self.known_type(hint)
            if schema is not None and schema.name not in ("Note", "LegalEntity"):
                return schema
        words = [word.lower() for text in (type_name, *hints)
                 for word in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", text)]
        for word, schema_name in TYPE_NAME_WORDS:
            if any(found.startswith(word) for found in words):
                return model.get(schema_name)
        for hint in hints:
            schema = self.known_type(hint)
            if schema is not None:
                return schema
        return model.get("LegalEntity")

    def list_unknown_types(self) -> None:
        """One line per type the tool's table did not know: how many, where first, read as what."""
        for type_name, (locator, count, schema_name) in self.unknown_types.items():
            self.skipped.append(SkippedItem(
                f"{count:,} {self.tool} entit{'y' if count == 1 else 'ies'} of type {type_name!r} (first {locator})",
                f"not one of {self.tool}'s standard types",
                f"read as {schema_name} (the nearest FtM type), the type kept in notes; "
                "unknown_types=stop refuses such files"))
        self.unknown_types.clear()

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
        """Records for what was read: every entity of the chart, then its links."""
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

        # Links: ends resolved; the values of phone, e-mail and website entities also given to the
        # entities linked to them. The value entities and their links stay on the chart as drawn.
        drafts = []
        for link in links:
            if link.is_reference:
                continue
            end1, end2 = by_key.get(link.end1), by_key.get(link.end2)
            if end1 is None or end2 is None:
                missing = link.end1 if end1 is None else link.end2
                self.problem(path, link.locator, f"links to {missing!r}, which is no entity in the file",
                             "left out")
                continue
            for value_node, other in ((end1, end2), (end2, end1)):
                if value_node.fold_into and not other.fold_into and other.schema.get(value_node.fold_into):
                    values = props[id(other)].setdefault(value_node.fold_into, [])
                    for value in props[id(value_node)].get(value_node.fold_into, []) or [value_node.caption]:
                        if value and value not in values:
                            values.append(value)
            drafts.append((link, end1, end2))

        for node in kept_nodes:
            yield self.record(node.entity_id, node.schema, props[id(node)], notes[id(node)],
                              node.locator, node.grade, node.extra, node.position)
        self.list_unknown_types()

        ordinal: dict[tuple, int] = defaultdict(int)
        for link, end1, end2 in drafts:
            yield self.link_record(path, link, end1, end2, ordinal)

    def node_properties(self, node: NodeDraft) -> tuple[dict[str, list[str]], list[str]]:
        props, notes = self.properties(node.schema, node.values, node.aliases)
        notes = list(node.notes) + notes
        if node.fold_into and node.caption and node.schema.get(node.fold_into) and not props.get(node.fold_into):
            props[node.fold_into] = [node.caption]
        if node.caption and not node.written_by_workbench:
            caption_prop = next((name for name in node.schema.caption
                                 if name in node.schema.properties and _usable(node.schema.properties[name])), None)
            # Not when the value already sits in a property (a URL's address in sourceUrl) ...
            if caption_prop and not props.get(caption_prop) and not any(
                    node.caption in values for values in props.values()):
                props[caption_prop] = [node.caption]
            # ... unless no property would then name it: a phone number read as a UserAccount
            # holds it in `phone`, which names no account, and the chart showed the entity's id.
            # The caption then also names it (a URL's address its document's title, never its
            # file name).
            if not any(props.get(name) for name in node.schema.caption):
                named = next((name for name in node.schema.caption if name != "fileName"
                              and name in node.schema.properties and _usable(node.schema.properties[name])), None)
                if named:
                    props[named] = [node.caption]
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
            elif link.two_way and schema.edge_directed:
                # Arrows at both ends give no direction: an FtM link that has none, of its type name.
                schema, role = model.get("UnknownLink"), link.type_name or schema.label
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


