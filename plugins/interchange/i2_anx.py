"""i2 Analyst's Notebook exchange charts (ANX), both ways.

The mapping FtM ↔ chart is shared with the Maltego format (``chart_common``); this module holds
what is i2's own: entity types and icons, attribute classes, strengths, grades, cards, and the
element order of i2's ANB schema. What the format cannot carry is in ``AnxExporter.losses`` and in
``docs/formats/i2_maltego.md``.
"""

from __future__ import annotations

import csv
import functools
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree

from followthemoney.property import Property
from followthemoney.proxy import EntityProxy
from followthemoney.schema import Schema

from workbench import __version__
from workbench.model import model
from workbench.model.grading import CREDIBILITY, RELIABILITY, Grade
from workbench.model.provenance import Record
from workbench.plugin_api import CaseReader, Exporter, SourceFormatError
from workbench.resources import resources_dir

from workbench_plugins.interchange.chart_common import (
    CONFIRMED,
    TENTATIVE,
    UNCONFIRMED,
    ChartEntity,
    ChartImporter,
    ChartLink,
    ChartReference,
    LinkDraft,
    NodeDraft,
    SourceNote,
    _child,
    _children,
    _digest,
    _element,
    _local,
    _normal,
    _temporal_start,
    _write_atomically,
    _xml_error,
    attribute_names,
    chart_of_case,
    tally_losses,
    entity_caption,
    find_schema,
    join_values,
    link_label,
    link_strength,
    root_element,
    xml_text,
)

# ===================================================================================== ANX ==

def i2_icons_file() -> Path:
    return resources_dir() / "interchange" / "i2_icons.csv"


@functools.lru_cache(maxsize=1)
def i2_icon_library() -> dict[str, tuple[str, str]]:
    """i2's standard icon library: normalised name → (icon name as i2 spells it, FtM schema read as),
    from ``resources/interchange/i2_icons.csv``."""
    with i2_icons_file().open(encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return {_normal(row["icon"]): (row["icon"], row["ftm_schema"]) for row in rows}


#: FtM schema → the icon of i2's standard library it is drawn with (entity type and icon file
#: alike). A schema not listed takes that of its nearest listed ancestor, else "General". Where the
#: icon reads back as another FtM type (a Sanction drawn as a Judgement), the item also carries
#: the attribute "FtM type", so it comes back as it was.
I2_ENTITY_TYPES = {
    "Person": "Person",
    "Company": "Office",
    "Organization": "Organ",
    "PublicBody": "Govrment",
    "LegalEntity": "General",
    "BankAccount": "Account",
    "Vessel": "Ship",
    "Airplane": "Airplane",
    "Vehicle": "Car",
    "Address": "Place",
    "RealEstate": "House",
    "Territory": "Place",
    "Document": "Document",
    "Image": "Picturedoc",
    "Video": "Vidcass",
    "Audio": "Audiodoc",
    "Table": "Spreadsheetdoc",
    "Workbook": "Spreadsheetdoc",
    "HyperText": "Web Page",
    "Folder": "Directory",
    "Email": "Email",
    "Message": "Text Message",
    "Call": "Phone",
    "Event": "Event",
    "Trip": "Event",
    "Passport": "Passport",
    "Identification": "Id",
    "UserAccount": "User",
    "CryptoWallet": "Account",
    "Note": "Annotation",
    "Mention": "Mention",
    "Asset": "Package",
    "Security": "Cheque",
    "Sanction": "Judgement",
    "CourtCase": "Court",
    "Risk": "Hazard",
    "Position": "Officer",
    "EndUseDocument": "Document",
    "Shipment": "Container",
    "Payment": "Wire Transfer",
}
I2_FALLBACK_ICON = "General"
#: i2 type names (normalised) read as FtM schemata beyond the library: names Workbench wrote before
#: it used library icons, and common entity type names of i2 palettes.
I2_TYPE_ALIASES = {
    "company": "Company",
    "organisation": "Organization",
    "organization": "Organization",
    "bankaccount": "BankAccount",
    "vessel": "Vessel",
    "boat": "Vessel",
    "aircraft": "Airplane",
    "plane": "Airplane",
    "vehicle": "Vehicle",
    "address": "Address",
    "location": "Address",
    "telephone": "UserAccount",
    "mobilephone": "UserAccount",
    "telephonenumber": "UserAccount",
    "emailaddress": "UserAccount",
    "website": "Asset",
    "url": "Document",
}
#: i2 type names (normalised) whose value the entities linked to them also receive (the entity stays).
I2_VALUE_TYPES = {
    "telephone": "phone",
    "phone": "phone",
    "cellfone": "phone",
    "mobilephone": "phone",
    "telephonenumber": "phone",
    "email": "email",
    "emailaddress": "email",
    "website": "website",
    "www": "website",
    "webpage": "website",
    "url": "website",
}

ANX_FTM_ID = "FtM id"
ANX_FTM_TYPE = "FtM type"
ANX_FTM_REFERENCE = "FtM reference"
#: Attribute classes for values i2 cannot hold as a date or number (a partial date, several values).
ANX_AS_WRITTEN = " (as written)"
#: Written into the chart summary: identities are FtM ids, labels are only for display.
ANX_MARKER_NAME = "Entity identities"
ANX_MARKER_VALUE = "FollowTheMoney ids (Workbench)"
#: How i2 shows and merges attributes of each type (dates with their date, numbers as written).
ANX_CLASS_DISPLAY = {"AttTime": (("ShowDate", "true"), ("ShowTime", "false")), "AttNumber": (("DecimalPlaces", 2),)}
#: How i2 merges two items' values: text a line each; dates and numbers take i2's own default
#: (AttMergeNoOp is a paste behaviour only; i2 refuses it as a merge behaviour).
ANX_MERGE = {"AttText": "AttMergeAddWithLineBreak"}
ANX_STRENGTHS = ((CONFIRMED, "DotStyleSolid"), (UNCONFIRMED, "DotStyleDashed"), (TENTATIVE, "DotStyleDotted"))
ANX_GRADE_ONE = [f"{letter} - {text}" for letter, text in RELIABILITY.items()]
ANX_GRADE_TWO = [f"{number} - {text}" for number, text in CREDIBILITY.items()]


def i2_icon_file(schema: Schema) -> str:
    """The library icon for an FtM type: its own, else that of its nearest listed ancestor, else General."""
    for ancestor in [schema, *sorted(schema.extends, key=lambda s: s.name)]:
        if ancestor.name in I2_ENTITY_TYPES:
            return I2_ENTITY_TYPES[ancestor.name]
    for ancestor in sorted(schema.schemata, key=lambda s: -len(s.schemata)):
        if ancestor.name in I2_ENTITY_TYPES:
            return I2_ENTITY_TYPES[ancestor.name]
    return I2_FALLBACK_ICON


def i2_entity_type(schema: Schema) -> str:
    """The i2 entity type an FtM type is written as: its library icon's name."""
    return i2_icon_file(schema)


def i2_reads_back(schema: Schema) -> bool:
    """Whether the icon an FtM type is drawn with is read back as that same type."""
    known = i2_icon_library().get(_normal(i2_icon_file(schema)))
    return known is not None and known[1] == schema.name


_FULL_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}(?::\d{2})?))?")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def i2_attribute(prop: Property | None, label: str, text: str) -> tuple[str, str, str]:
    """(attribute class name, i2 attribute type, value) for an FtM property's values.

    One full date becomes an i2 date-time (AttTime), one number an AttNumber; what i2 cannot hold
    as such (a partial date, several values, a number with words) stays text in a class named
    "<label> (as written)", which the importer reads as the same property.
    """
    kind = prop.type.name if prop is not None else None
    if kind not in ("date", "number"):
        return label, "AttText", text
    typed = None
    if "\n" not in text and kind == "date":
        match = _FULL_DATE.fullmatch(text)
        if match:
            time = match.group(2) or "00:00:00"
            typed = ("AttTime", f"{match.group(1)}T{time if len(time) == 8 else time + ':00'}")
    elif "\n" not in text and _NUMBER.fullmatch(text):
        typed = ("AttNumber", text)
    if typed is None:
        return label + ANX_AS_WRITTEN, "AttText", text
    return label, typed[0], typed[1]


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
        #: Attribute class name → (its id, its i2 type: AttText, AttTime or AttNumber).
        self.attribute_classes: dict[str, tuple[str, str]] = {}
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

    def attribute_class(self, name: str, att_type: str = "AttText") -> str:
        if name not in self.attribute_classes:
            self.attribute_classes[name] = (self.next_id(), att_type)
        return self.attribute_classes[name][0]

    def attributes(self, values: Iterable[tuple]) -> str:
        rows = []
        for name, value, *typed in values:
            att_type = typed[0] if typed else "AttText"
            known = self.attribute_classes.get(name)
            if known is not None and known[1] != att_type:
                # A class is of one type; a value of another travels as written (read back the same).
                name, att_type = name + ANX_AS_WRITTEN, "AttText"
            rows.append(_element("Attribute", [("AttributeClass", name),
                                               ("AttributeClassReference", self.attribute_class(name, att_type)),
                                               ("Value", value)]))
        return _element("AttributeCollection", [], "".join(rows)) if rows else ""

    @staticmethod
    def property_values(proxy: EntityProxy, leave_out: tuple[str, ...] = ()) -> list[tuple[str, str, str]]:
        """(attribute class, value, i2 type) of each property: dates as dates, numbers as numbers."""
        names = attribute_names(proxy.schema)
        rows = []
        for prop in sorted(proxy.properties):
            if prop in leave_out or prop not in names or not proxy.get(prop):
                continue
            name, att_type, value = i2_attribute(proxy.schema.properties[prop], names[prop], join_values(proxy.get(prop)))
            rows.append((name, value, att_type))
        return rows

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
        attributes = self.property_values(proxy)
        if not i2_reads_back(proxy.schema):
            attributes.insert(0, (ANX_FTM_TYPE, proxy.schema.name))  # its icon alone would read as another type
        chart_item = _element(
            "ChartItem",
            [("Id", self.next_id()), ("Label", entity_caption(proxy)), *self.grade_attributes(item.grade),
             ("XPosition", x)],
            end + self.attributes(attributes),
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
        type_name = schema.label
        role = proxy.first("role") if "role" in schema.properties else None
        if schema.name == "UnknownLink" and role:
            # A link of a type FtM has no schema for (an i2 "Transaction" drawn both ways): its own
            # type name goes out as the i2 link type, and the FtM type rides along for the way back.
            type_name = role
            attributes.append((ANX_FTM_TYPE, schema.name))
        attributes += self.property_values(proxy, leave_out=(schema.source_prop.name, schema.target_prop.name))
        self.link(source_id=item.source_id, target_id=item.target_id, type_name=type_name,
                  label=link_label(proxy),
                  arrow=("ArrowOnHead" if schema.edge_directed or item.one_way else
                         "ArrowOnBoth" if item.two_way else "ArrowNone"),
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
        # Chart's children in the order of i2's ANB schema: ApplicationVersion, GradeOne, GradeTwo,
        # StrengthCollection, AttributeClassCollection, EntityTypeCollection, LinkTypeCollection,
        # Summary, ChartItemCollection, PaletteCollection (the others Workbench does not write).
        out.write(_element("ApplicationVersion", [("Major", 9), ("Minor", 0), ("Point", 0), ("Build", 0)]) + "\n")
        for tag, texts in (("GradeOne", ANX_GRADE_ONE), ("GradeTwo", ANX_GRADE_TWO)):
            strings = "".join(_element("String", [("Id", f"{tag}{index}"), ("Text", text)])
                              for index, text in enumerate(texts))
            out.write(_element(tag, [], _element("StringCollection", [], strings)) + "\n")
        strengths = "".join(_element("Strength", [("Id", self.strength_ids[name]), ("Name", name), ("DotStyle", dots)])
                            for name, dots in ANX_STRENGTHS)
        out.write(_element("StrengthCollection", [], strengths) + "\n")
        classes = "".join(
            _element("AttributeClass", [("Id", ident), ("Name", name), ("Type", att_type), ("IsUser", "true"),
                                        ("UserCanAdd", "true"), ("UserCanRemove", "true"), ("ShowValue", "true"),
                                        *ANX_CLASS_DISPLAY.get(att_type, ()),
                                        ("MergeBehaviour", ANX_MERGE.get(att_type))])
            for name, (ident, att_type) in self.attribute_classes.items()
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
                for name, (ident, _) in self.attribute_classes.items()))
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
    version = "1.1"
    format = "anx"
    file_suffix = ".anx"
    description = (
        "Entities as icons of i2's standard library (Person, Office, Organ, Account, Ship, ...), relationships as "
        "links with type, arrow and strength from the grade, every property as an attribute (dates as dates, "
        "numbers as numbers), one source card per source with its grade, and chart positions."
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

    def write(self, case: CaseReader, path: Path, *, include_protected: bool = False) -> dict[str, Any]:
        path = Path(path)
        report: dict[str, Any] = {}
        tally: dict[str, int] = {}

        def write(temporary: Path) -> None:
            with tempfile.TemporaryFile("w+", encoding="utf-8") as scratch:
                chart = _AnxChartWriter(scratch)
                for item in chart_of_case(case, include_protected, tally):
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
        return {**report, "losses": [*tally_losses(tally), *self.losses]}


class AnxImporter(ChartImporter):
    """i2 Analyst's Notebook exchange XML (ANX), as i2 and Workbench write it."""

    id = "i2-anx"
    label = "i2 Analyst's Notebook chart (ANX)"
    version = "1.1"
    description = (
        "Every entity with its icon type (each of i2's 573 library icons has an FtM type; others come in as the "
        "nearest, listed after the import), every link with type, direction and strength, attributes, dates, "
        "cards and positions."
    )
    file_patterns = ("*.anx",)
    type_aliases = I2_TYPE_ALIASES
    value_types = I2_VALUE_TYPES
    tool = "i2"

    def known_type(self, type_name: str) -> Schema | None:
        """The FtM schema of an icon of i2's standard library (or of a common i2 type name)."""
        icon = i2_icon_library().get(_normal(type_name))
        if icon is not None:
            return model.get(icon[1])
        return super().known_type(type_name)

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
        #: Attribute class name → its i2 type (AttTime values are dates, AttNumber numbers).
        attribute_types: dict[str, str] = {}
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
                                        strength_names, nodes, links, attribute_types)
                        element.clear()  # the chart is read item by item, not held
                    elif name == "AttributeClass":
                        attribute_names_by_id[element.get("Id", "")] = element.get("Name", "")
                        attribute_types[element.get("Name", "")] = element.get("Type", "AttText")
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

    def chart_item(self, path, element, state, attribute_names_by_id, grade_tables, strength_names, nodes, links,
                   attribute_types=None):
        number = state["items"]
        label = element.get("Label") or None
        locator = f"ChartItem[{number}]" + (f" (Id={element.get('Id')})" if element.get("Id") else "") + (
            f" {label!r}" if label else "")
        values = []
        for attribute in _children(_child(element, "AttributeCollection"), "Attribute"):
            name = attribute.get("AttributeClass") or attribute_names_by_id.get(
                attribute.get("AttributeClassReference", ""), "")
            if name:
                value = attribute.get("Value", "")
                if (attribute_types or {}).get(name) == "AttTime":
                    value = ftm_date(value, True, not re.search(r"T00:00:00(\.0+)?$", value)) or value
                values.append((name.removesuffix(ANX_AS_WRITTEN), value))
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
        stated = next((value for name, value in values if name == ANX_FTM_TYPE), None)
        values = [(name, value) for name, value in values if name != ANX_FTM_TYPE]
        if workbench and stated and model.get(stated) is not None and not model.get(stated).abstract:
            schema, fold_into, notes = model.get(stated), None, []  # the FtM type its icon does not say
        else:
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
        stated = None
        kept = []
        for name, value in values:
            if name == ANX_FTM_ID:
                entity_id = value
            elif name == ANX_FTM_REFERENCE:
                is_reference = True
            elif name == ANX_FTM_TYPE and workbench:
                stated = value
            else:
                kept.append((name, value))
        type_name = style.get("Type") or ""
        schema = None
        if workbench and entity_id:
            schema = model.get(stated) if stated else find_schema(type_name, edge=True)
            if schema is not None and not schema.edge:
                schema = None
        strength = style.get("Strength") or strength_names.get(style.get("StrengthReference", ""), "")
        extra: dict[str, Any] = {}
        cards = self.cards(link)
        if cards:
            extra["i2_cards"] = cards
        if not workbench:
            extra.update({key: value for key, value in (("i2_link_type", type_name), ("i2_strength", strength),
                                                        ("i2_arrow", style.get("ArrowStyle"))) if value})
        two_way = style.get("ArrowStyle") == "ArrowOnBoth"
        if style.get("ArrowStyle") in ("ArrowOnBoth", "ArrowOnHead", "ArrowOnTail"):
            extra["i2_arrow"] = style.get("ArrowStyle")  # so exports draw its arrows again
        return LinkDraft(key=element.get("Id") or locator, locator=locator, end1=end1, end2=end2,
                         type_name=type_name, schema=schema, entity_id=entity_id if workbench else None,
                         values=kept, caption=label, description=element.get("Description"), date=date,
                         grade=grade, extra=extra, is_reference=is_reference, written_by_workbench=workbench,
                         two_way=two_way)
