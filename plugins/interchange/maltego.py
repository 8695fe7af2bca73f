"""Maltego graphs (MTGX, and bare GraphML saved by Maltego), both ways.

The mapping FtM ↔ chart is shared with the i2 format (``chart_common``); this module holds what
is Maltego's own: entity types and their properties, the GraphML payloads (``mtg:MaltegoEntity``,
``mtg:MaltegoLink``, renderers) and the archive around them. What the format cannot carry is in
``MtgxExporter.losses`` and in ``docs/formats/i2_maltego.md``.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree

from followthemoney.property import Property
from followthemoney.proxy import EntityProxy
from followthemoney.schema import Schema

from workbench import __version__
from workbench.archives import check_archive, open_member
from workbench.model import model
from workbench.model.grading import Grade
from workbench.model.provenance import Record
from workbench.plugin_api import CaseReader, Exporter, Parameter, SourceFormatError
from workbench.resources import resources_dir

from workbench_plugins.interchange.chart_common import (
    GRID_SPACING,
    VALUE_SEPARATOR,
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
    _grade,
    _local,
    _normal,
    _write_atomically,
    _xml_error,
    attribute_names,
    chart_of_case,
    tally_losses,
    entity_caption,
    find_property,
    join_values,
    link_label,
    root_element,
    xml_text,
)
from workbench_plugins.interchange.lucene_index import IndexFormatError, read_index

# ==================================================================================== MTGX ==

MTG_NAMESPACE = "http://maltego.paterva.com/xml/mtgx"
GRAPHML_NAMESPACE = "http://graphml.graphdrawing.org/xmlns"
MTGX_GRAPH = "Graphs/Graph1.graphml"

@dataclass(frozen=True)
class MaltegoType:
    """One of Maltego's standard entity types, its inherited parts resolved."""

    name: str
    base: str | None
    value_property: str
    ftm_schema: str
    display_name: str
    category: str
    icon: str
    #: name → (Maltego property type, display name), the base type's first.
    fields: dict[str, tuple[str, str]]

    def ancestry(self) -> list[str]:
        """This type and the types it extends, nearest first."""
        chain, name = [], self.name
        while name and name not in chain:
            chain.append(name)
            known = maltego_types().get(_normal(name))
            name = known.base if known else None
        return chain


def maltego_types_file() -> Path:
    return resources_dir() / "interchange" / "maltego_entities.csv"


@functools.lru_cache(maxsize=1)
def maltego_types() -> dict[str, MaltegoType]:
    """Maltego's standard entity types by normalised name (``maltegoperson``), from
    ``resources/interchange/maltego_entities.csv``."""
    with maltego_types_file().open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(line for line in handle if not line.startswith("#")))
    by_name = {row["type"]: row for row in rows}

    def inherited(name: str, column: str) -> str:
        seen = set()
        while name in by_name and name not in seen:
            seen.add(name)
            if by_name[name][column]:
                return by_name[name][column]
            name = by_name[name]["base"]
        return ""

    def fields(name: str, seen: frozenset = frozenset()) -> dict[str, tuple[str, str]]:
        row = by_name.get(name)
        if row is None or name in seen:
            return {}
        found = dict(fields(row["base"], seen | {name})) if row["base"] else {}
        for item in filter(None, row["fields"].split(";")):
            field_name, field_type, label = item.split(":", 2)
            found[field_name] = (field_type, label)
        return found

    return {
        _normal(name): MaltegoType(name, row["base"] or None, inherited(name, "value_property"),
                                   inherited(name, "ftm_schema") or "Note", row["display_name"],
                                   inherited(name, "category"), inherited(name, "icon"), fields(name))
        for name, row in by_name.items()
    }


def maltego_standard(type_name: str) -> MaltegoType | None:
    return maltego_types().get(_normal(type_name))


#: FtM schema → Maltego entity type, every one from Maltego's standard set. A schema not listed
#: takes that of its nearest listed ancestor, else ``maltego.Phrase`` (Maltego's free text); the
#: FtM type always travels in the ``ftm.schema`` property, so it comes back as it was.
MALTEGO_ENTITY_TYPES = {
    "Person": "maltego.Person",
    "Company": "maltego.Company",
    "Organization": "maltego.Organization",
    "PublicBody": "maltego.Organization",
    "Address": "maltego.Location",
    "Document": "maltego.Document",
    "Image": "maltego.Image",
    "BankAccount": "maltego.BankAccount",
    "Vessel": "maltego.Boat",
    "Airplane": "maltego.Plane",
    "Vehicle": "maltego.Car",
    "Event": "maltego.Event",
    "Trip": "maltego.Event",
    "Call": "maltego.ConversationPhone",
    "Email": "maltego.ConversationEmail",
    "Message": "maltego.Conversation",
    "Identification": "maltego.IdentificationNumber",
    "Passport": "maltego.PassportNumber",
    "UserAccount": "maltego.Alias",
    "CryptoWallet": "maltego.CryptocurrencyAddress",
    "Note": "maltego.Phrase",
    "EndUseDocument": "maltego.Document",
    "Contract": "maltego.Document",
    "License": "maltego.Document",
    "Page": "maltego.Document",
    "RealEstate": "maltego.Location",
    "Territory": "maltego.Region",
}
MALTEGO_FALLBACK_TYPE = "maltego.Phrase"
#: Kept for callers of the old name: Maltego's standard types are in :func:`maltego_types`.
MALTEGO_TYPE_ALIASES: dict[str, str] = {}
#: Maltego entities whose value the entities linked to them also receive (the entity stays).
MALTEGO_VALUE_TYPES = {
    "maltegophonenumber": "phone",
    "maltegoemailaddress": "email",
    "maltegowebsite": "website",
    "maltegodomain": "website",
}
#: Maltego properties and the FtM property they hold, by the Maltego type that defines them (its
#: descendants inherit them); used both ways. Other properties travel under their own names.
MALTEGO_PROPERTIES = {
    "maltego.Person": {"person.fullname": "name", "person.firstnames": "firstName", "person.lastname": "lastName"},
    "maltego.Organization": {"title": "name"},
    "maltego.Location": {"location.name": "full", "streetaddress": "street", "city": "city", "country": "country",
                         "countrycode": "country", "latitude": "latitude", "longitude": "longitude",
                         "location.area": "region", "location.areacode": "postalCode"},
    "maltego.Document": {"title": "title", "url": "sourceUrl", "document.meta-data": "summary"},
    "maltego.Image": {"description": "title", "url": "sourceUrl"},
    "maltego.File": {"description": "title", "source": "sourceUrl"},
    "maltego.BankAccount": {"bank.accnumber": "accountNumber", "bank.name": "bankName"},
    "maltego.IdentificationNumber": {"identification.number": "number"},
    "maltego.Transport": {"transport.name": "name", "transport.model": "model"},
    "maltego.VehicleRegistration": {"vehicle.registration": "registrationNumber"},
    "maltego.Event": {"title": "name", "starttime": "startDate", "stoptime": "endDate"},
    "maltego.Conversation": {"title": "name"},
    "maltego.DateTime": {"datetime": "date"},
    "maltego.CryptocurrencyAddress": {"properties.cryptocurrencyaddress": "publicKey"},
    "maltego.Alias": {"alias": "username"},
    "maltego.Name": {"name": "name"},
    "maltego.EmailAddress": {"email": "email"},
    "maltego.PhoneNumber": {"phonenumber": "phone"},
    "maltego.Affiliation": {"person.name": "name", "affiliation.network": "service", "affiliation.alias": "username",
                            "affiliation.profile-url": "sourceUrl"},
    "maltego.URL": {"url": "sourceUrl", "title": "title", "short-title": "name"},
    "maltego.DNSName": {"fqdn": "name"},
    "maltego.Domain": {"fqdn": "name"},
    "maltego.IPv4Address": {"ipv4-address": "name"},
    "maltego.IPv6Address": {"ipv6-address": "name"},
    "maltego.Netblock": {"ipv4-range": "name"},
    "maltego.AS": {"as.number": "name"},
    "maltego.Device": {"device": "name"},
    "maltego.Weapon": {"weapon.type": "name"},
}
#: FtM properties also drawn as Maltego entities linked to their holder, as Maltego users expect.
MALTEGO_VALUE_ENTITIES = {"phone": "maltego.PhoneNumber", "email": "maltego.EmailAddress", "website": "maltego.Website"}
MALTEGO_LINK_TYPE = "maltego.link.manual-link"
MALTEGO_LINK_LABEL = "maltego.link.manual.type"
MALTEGO_LINK_DESCRIPTION = "maltego.link.manual.description"
#: Link properties that are Maltego's own styling, not facts: not carried into the case.
MALTEGO_LINK_STYLING = {"maltego.link.show-label", "maltego.link.color", "maltego.link.style",
                        "maltego.link.thickness", "maltego.link.is_reversed", "maltego.link.label"}
FTM_ID, FTM_SCHEMA, FTM_REFERENCE, FTM_GRADE, FTM_SOURCES, FTM_VALUE_OF, FTM_DISPLAY = (
    "ftm.id", "ftm.schema", "ftm.reference", "ftm.grade", "ftm.sources", "ftm.valueOf", "ftm.display")
FTM_PROPERTY_LABELS = {FTM_ID: "FtM id", FTM_SCHEMA: "FtM type", FTM_REFERENCE: "FtM reference property",
                       FTM_GRADE: "Best source grade", FTM_SOURCES: "Sources",
                       FTM_VALUE_OF: "Copy of the FtM property", FTM_DISPLAY: "Shown only (not an FtM value)"}
#: What Maltego writes in a graph's <VersionInfo> and version.properties; Workbench writes as
#: Maltego 4 does (graph version 1.2), naming itself as the writer in VersionInfo's subtitle.
MALTEGO_CLIENT_VERSION = "4.2.16.13775"
MALTEGO_GRAPH_VERSION = "1.2"


def maltego_type(schema: Schema) -> str:
    """The standard Maltego type an FtM schema is written as."""
    for ancestor in [schema.name, *(s.name for s in sorted(schema.extends, key=lambda s: s.name))]:
        if ancestor in MALTEGO_ENTITY_TYPES:
            return MALTEGO_ENTITY_TYPES[ancestor]
    for ancestor in sorted(schema.schemata, key=lambda s: -len(s.schemata)):
        if ancestor.name in MALTEGO_ENTITY_TYPES:
            return MALTEGO_ENTITY_TYPES[ancestor.name]
    return MALTEGO_FALLBACK_TYPE


@functools.lru_cache(maxsize=1024)
def maltego_property_map(type_name: str) -> dict[str, str]:
    """Maltego property → FtM property for a type, its own and inherited (nearest type wins)."""
    known = maltego_standard(type_name)
    chain = known.ancestry() if known else [type_name]
    found: dict[str, str] = {}
    for name in reversed(chain):
        found.update(MALTEGO_PROPERTIES.get(name, {}))
    return found


@functools.lru_cache(maxsize=1024)
def maltego_property_names(schema: Schema, entity_type: str | None) -> dict[str, tuple[str, str]]:
    """FtM property → (Maltego property name, display name) as an entity of ``entity_type`` carries it.

    Maltego's own field where the type has one for the property (a person's name is
    ``person.fullname``), else the FtM name; a property named like one of the type's fields
    that holds another FtM property (an image's ``description`` is its title) travels as
    ``ftm.<name>``. The importer reads every one of these back as the same property.
    """
    standard: dict[str, tuple[str, str]] = {}
    if entity_type:
        known = maltego_standard(entity_type)
        for maltego_name, ftm_name in maltego_property_map(entity_type).items():
            label = known.fields.get(maltego_name, ("", ""))[1] if known else ""
            standard.setdefault(ftm_name, (maltego_name, label))
    taken = {maltego_name for maltego_name, _ in standard.values()}
    labels = attribute_names(schema)
    return {
        prop: (standard[prop][0], standard[prop][1] or label) if prop in standard
        else (f"ftm.{prop}" if prop in taken else prop, label)
        for prop, label in labels.items()
    }


def maltego_main_property(type_name: str) -> tuple[str, str]:
    """The property that is a type's value (what Maltego shows under the icon), and its label."""
    known = maltego_standard(type_name)
    if known is None or not known.value_property:
        return "text", "Text"
    return known.value_property, known.fields.get(known.value_property, ("string", known.value_property))[1]


_INTEGER = re.compile(r"-?\d{1,15}")
_DECIMAL = re.compile(r"-?\d+(\.\d+)?")
_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_FULL_DATETIME = re.compile(r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})")


def maltego_typed(prop: Property | None, text: str) -> tuple[str, str]:
    """(Maltego property type, value as Maltego writes it) for an FtM property's values.

    Dates, numbers and URLs are typed when the property holds one whole value Maltego can read
    as that type (a full date, a number); partial dates and several values stay text.
    """
    if prop is None or "\n" in text:
        return "string", text
    type_name = prop.type.name
    if type_name == "date":
        if _FULL_DATE.fullmatch(text):
            return "date", text
        match = _FULL_DATETIME.match(text)
        if match:
            return "datetime", f"{match.group(1)} {match.group(2)}.000"
    elif type_name == "number":
        if _INTEGER.fullmatch(text):
            return "int", text
        if _DECIMAL.fullmatch(text):
            return "float", text
    elif type_name == "url":
        return "url", text
    return "string", text


def _maltego_property(name: str, label: str, value: str, value_type: str = "string") -> str:
    return _element("mtg:Property", [("displayName", label), ("hidden", "false"), ("name", name),
                                     ("nullable", "true"), ("readonly", "false"), ("type", value_type)],
                    f"<mtg:Value>{xml_text(value)}</mtg:Value>")


class _MtgxGraphWriter:
    """Writes the GraphML of a Maltego graph as Maltego saves it: <VersionInfo>, yFiles keys
    d0-d7, nodes carrying an mtg:MaltegoEntity (with an id and typed properties) and an
    mtg:EntityRenderer, edges carrying an mtg:MaltegoLink and an mtg:LinkRenderer, the graph's
    y:Resources last. Nodes are written as they come, edges held until every node is out."""

    def __init__(self, out: IO[str], value_entities: bool):
        self.out = out
        self.value_entities = value_entities
        self.node_ids: dict[str, str] = {}
        self.value_nodes: dict[tuple[str, str], str] = {}
        self.value_links: list[tuple[str, str, str]] = []
        self.edges: list[str] = []
        self.entities = 0
        self.links = 0
        #: Every Maltego entity type written, for the archive's Entities/*.entity definitions.
        self.types_used: set[str] = set()

    def start(self) -> None:
        self.out.write('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n')
        self.out.write(f'<graphml xmlns="{GRAPHML_NAMESPACE}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                       'xmlns:y="http://www.yworks.com/xml/graphml" xsi:schemaLocation="http://graphml.graphdrawing.org'
                       '/xmlns http://www.yworks.com/xml/schema/graphml/1.1/ygraphml.xsd">\n')
        self.out.write("  " + _element("VersionInfo", [("createdBy", "Workbench"),
                                                       ("subtitle", f"Workbench {__version__}"),
                                                       ("version", MALTEGO_CLIENT_VERSION)]) + "\n")
        for key in ('<key for="graphml" id="d0" yfiles.type="resources"/>',
                    '<key for="port" id="d1" yfiles.type="portgraphics"/>',
                    '<key for="port" id="d2" yfiles.type="portgeometry"/>',
                    '<key for="port" id="d3" yfiles.type="portuserdata"/>',
                    '<key attr.name="MaltegoEntity" for="node" id="d4"/>',
                    '<key for="node" id="d5" yfiles.type="nodegraphics"/>',
                    '<key attr.name="MaltegoLink" for="edge" id="d6"/>',
                    '<key for="edge" id="d7" yfiles.type="edgegraphics"/>'):
            self.out.write(f"  {key}\n")
        self.out.write('  <graph edgedefault="directed" id="G">\n')

    @staticmethod
    def provenance(grade: Grade | None, sources: list[SourceNote]) -> list[tuple[str, str, str, str]]:
        rows = []
        if grade is not None:
            rows.append((FTM_GRADE, FTM_PROPERTY_LABELS[FTM_GRADE], str(grade), "string"))
        if sources:
            lines = [f"{note.summary} ({note.text})" for note in sources]
            rows.append((FTM_SOURCES, FTM_PROPERTY_LABELS[FTM_SOURCES], join_values(lines), "string"))
        return rows

    def properties(self, proxy: EntityProxy, entity_type: str | None, leave_out: tuple[str, ...] = ()):
        """(name, label, value, type) of an entity's properties, under Maltego's names where it has them."""
        names = maltego_property_names(proxy.schema, entity_type)
        rows = []
        for prop in sorted(proxy.properties):
            if prop in leave_out or prop not in names or not proxy.get(prop):
                continue
            name, label = names[prop]
            value_type, value = maltego_typed(proxy.schema.properties.get(prop), join_values(proxy.get(prop)))
            rows.append((name, label, value, value_type))
        return rows

    def node(self, node_id: str, entity_type: str, properties: list[tuple[str, str, str, str]],
             position: tuple[float, float], maltego_id: str) -> None:
        self.types_used.add(entity_type)
        rows = "".join(_maltego_property(name, label, value, value_type)
                       for name, label, value, value_type in properties)
        entity = _element("mtg:MaltegoEntity", [("xmlns:mtg", MTG_NAMESPACE), ("id", maltego_id),
                                                ("type", entity_type)],
                          f"<mtg:Properties>{rows}</mtg:Properties>")
        renderer = _element("mtg:EntityRenderer", [("xmlns:mtg", MTG_NAMESPACE)],
                            _element("mtg:Position", [("x", repr(float(position[0]))), ("y", repr(float(position[1])))]))
        self.out.write("    " + _element("node", [("id", node_id)],
                                         f'<data key="d4">{entity}</data><data key="d5">{renderer}</data>') + "\n")

    def entity(self, item: ChartEntity) -> None:
        proxy = item.proxy
        entity_type = maltego_type(proxy.schema)
        node_id = f"n{len(self.node_ids)}"
        self.node_ids[proxy.id] = node_id
        rows = [(FTM_ID, FTM_PROPERTY_LABELS[FTM_ID], proxy.id, "string"),
                (FTM_SCHEMA, FTM_PROPERTY_LABELS[FTM_SCHEMA], proxy.schema.name, "string")]
        main, label = maltego_main_property(entity_type)
        properties = self.properties(proxy, entity_type)
        if not any(row[0] == main for row in properties):
            # What Maltego shows under the icon; marked, so it is not read back as a value.
            rows += [(main, label, entity_caption(proxy), "string"),
                     (FTM_DISPLAY, FTM_PROPERTY_LABELS[FTM_DISPLAY], main, "string")]
        rows += properties
        rows += self.provenance(item.grade, item.sources)
        self.node(node_id, entity_type, rows, item.position, _digest("entity", proxy.id))
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
            main, label = maltego_main_property(value_type)
            self.node(node_id, value_type, [(main, label, value, "string"),
                                            (FTM_VALUE_OF, FTM_PROPERTY_LABELS[FTM_VALUE_OF], prop.name, "string")],
                      (near[0] + GRID_SPACING / 2, near[1] + GRID_SPACING / 2), _digest("value", value_type, value))
        self.value_links.append((holder_node, node_id, prop.name))

    def edge(self, source_node: str, target_node: str, rows: list[tuple[str, str, str, str]]) -> None:
        number = len(self.edges)
        # Maltego's own order: the label, whether it shows, the description; then Workbench's.
        rows = [rows[0], ("maltego.link.show-label", "Show Label", "1", "int"),
                (MALTEGO_LINK_DESCRIPTION, "Description", "", "string"), *rows[1:]]
        properties = "".join(_maltego_property(name, label, value, value_type) for name, label, value, value_type in rows)
        link = _element("mtg:MaltegoLink", [("xmlns:mtg", MTG_NAMESPACE), ("id", _digest("link", str(number), source_node,
                                                                                        target_node)),
                                            ("type", MALTEGO_LINK_TYPE)], f"<mtg:Properties>{properties}</mtg:Properties>")
        renderer = _element("mtg:LinkRenderer", [("xmlns:mtg", MTG_NAMESPACE)])
        self.edges.append("    " + _element("edge", [("id", f"e{number}"), ("source", source_node), ("target", target_node)],
                                            f'<data key="d6">{link}</data><data key="d7">{renderer}</data>'))
        self.links += 1

    def relationship(self, item: ChartLink) -> None:
        proxy = item.proxy
        schema = proxy.schema
        rows = [(MALTEGO_LINK_LABEL, "Label", link_label(proxy), "string"),
                (FTM_ID, FTM_PROPERTY_LABELS[FTM_ID], proxy.id, "string"),
                (FTM_SCHEMA, FTM_PROPERTY_LABELS[FTM_SCHEMA], schema.name, "string")]
        rows += self.properties(proxy, None, leave_out=(schema.source_prop.name, schema.target_prop.name))
        rows += self.provenance(item.grade, item.sources)
        self.edge(self.node_ids[item.source_id], self.node_ids[item.target_id], rows)

    def reference(self, item: ChartReference) -> None:
        self.edge(self.node_ids[item.holder_id], self.node_ids[item.target_id],
                  [(MALTEGO_LINK_LABEL, "Label", item.prop.label, "string"),
                   (FTM_REFERENCE, FTM_PROPERTY_LABELS[FTM_REFERENCE], item.prop.name, "string")])

    def finish(self) -> None:
        # Edges of the chart were held until every node was written: GraphML readers expect
        # a graph's nodes before the edges between them.
        for holder_node, value_node, prop_name in self.value_links:
            prop_label = model.get("LegalEntity").properties[prop_name].label
            self.edge(holder_node, value_node, [(MALTEGO_LINK_LABEL, "Label", prop_label, "string"),
                                                (FTM_REFERENCE, FTM_PROPERTY_LABELS[FTM_REFERENCE], prop_name, "string")])
        for edge in self.edges:
            self.out.write(edge + "\n")
        self.out.write('  </graph>\n  <data key="d0">\n    <y:Resources/>\n  </data>\n</graphml>\n')


def entity_definition(type_name: str) -> str:
    """An Entities/*.entity definition of a standard Maltego type, as Maltego stores one in a graph."""
    known = maltego_standard(type_name)
    display = known.display_name if known else type_name
    plural = display[:-1] + "ies" if display.endswith("y") else display + ("es" if display.endswith("s") else "s")
    attributes = [("id", type_name), ("displayName", display), ("displayNamePlural", plural),
                  ("description", f"{display} (Maltego standard entity)"), ("category", known.category if known else ""),
                  ("smallIconResource", known.icon if known else None),
                  ("largeIconResource", known.icon if known else None), ("allowedRoot", "true"),
                  ("conversionOrder", "2147483647"), ("visible", "true")]
    parts = []
    if known and known.base:
        parts.append(f"   <BaseEntities>\n      <BaseEntity>{xml_text(known.base)}</BaseEntity>\n   </BaseEntities>\n")
    fields = known.fields if known else {}
    value = known.value_property if known and known.value_property else "text"
    rows = "".join(
        "         " + _element("Field", [("name", name), ("type", field_type), ("nullable", "true"), ("hidden", "false"),
                                         ("readonly", "false"), ("description", ""), ("displayName", label)]) + "\n"
        for name, (field_type, label) in fields.items())
    parts.append(f'   <Properties value="{xml_text(value)}" displayValue="{xml_text(value)}">\n      <Groups/>\n'
                 f'      <Fields>\n{rows}      </Fields>\n   </Properties>\n')
    head = _element("MaltegoEntity", attributes)[:-2]
    return f"{head}>\n{''.join(parts)}</MaltegoEntity>\n"


class MtgxExporter(Exporter):
    """A Maltego graph (MTGX) laid out as Maltego saves one: version.properties, the graph's
    GraphML and properties under Graphs/, the definition of each entity type under Entities/."""

    id = "maltego-mtgx-export"
    label = "Maltego graph (MTGX)"
    version = "1.1"
    format = "mtgx"
    file_suffix = ".mtgx"
    description = (
        "Entities as Maltego's standard entity types (maltego.Person, maltego.Company, maltego.BankAccount, "
        "maltego.Boat, ...) with every property (dates, numbers and URLs typed), relationships as labelled links, "
        "positions, and each type's definition; phone numbers, e-mail addresses and websites also as linked "
        "Maltego entities."
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
        "FtM types without a Maltego counterpart (sanctions, assets, end-use documents, ...) as a type of their "
        "own: they travel as maltego.Phrase, their FtM type in the ftm.schema property, and come back as they were",
        "pins, hidden items, groups and saved views; entities never placed get a position on a grid below the chart",
        "references held by a relationship (a payment's accounts, a shipment's vessel or forwarder) as drawn "
        "links: they are properties holding the FtM id",
        "findings, the audit log and detector settings",
    )

    def write(self, case: CaseReader, path: Path, *, include_protected: bool = False) -> dict[str, Any]:
        path = Path(path)
        report: dict[str, Any] = {}
        tally: dict[str, int] = {}

        def member(name: str, comment: str) -> zipfile.ZipInfo:
            info = zipfile.ZipInfo(name, date_time=now.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.comment = comment.encode("utf-8")  # Maltego names each member in its comment
            return info

        now = datetime.now()

        def write(temporary: Path) -> None:
            with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                stamp = now.strftime("%a %b %d %H:%M:%S %Y")
                archive.writestr(member("version.properties", "Version properties"),
                                 f"#\n#{stamp}\nmaltego.client.version={MALTEGO_CLIENT_VERSION}\n"
                                 "maltego.client.subtitle=\nmaltego.pandora.version=1.4.2\n"
                                 "maltego.client.name=Workbench\nmaltego.mtz.version=1.0\n"
                                 f"maltego.graph.version={MALTEGO_GRAPH_VERSION}\n")
                with archive.open(member(MTGX_GRAPH, "Graph1"), "w", force_zip64=True) as raw:
                    out = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
                    graph = _MtgxGraphWriter(out, self.options["value_entities"])
                    graph.start()
                    for item in chart_of_case(case, include_protected, tally):
                        if isinstance(item, ChartEntity):
                            graph.entity(item)
                        elif isinstance(item, ChartLink):
                            graph.relationship(item)
                        else:
                            graph.reference(item)
                    graph.finish()
                    out.flush()
                    out.detach()
                created = now.astimezone().strftime("%Y-%m-%d %H\\:%M\\:%S.000 %z")
                archive.writestr(member("Graphs/Graph1.properties", "Graph1 properties"),
                                 f"#\n#{stamp}\ncreated={created}\nmodified={created}\n")
                for type_name in sorted(graph.types_used):
                    known = maltego_standard(type_name)
                    archive.writestr(member(f"Entities/{type_name}.entity", known.display_name if known else type_name),
                                     entity_definition(type_name))
            report.update(entities=graph.entities, links=graph.links, value_entities=len(graph.value_nodes))

        _write_atomically(path, write)
        return {**report, "losses": [*tally_losses(tally), *self.losses]}


class MtgxImporter(ChartImporter):
    """Maltego graphs: MTGX archives saved by Maltego 3 and 4 or Workbench, Maltego 4 large graphs
    (.mtgl, read from their Lucene indexes), and bare GraphML saved by Maltego."""

    id = "maltego-mtgx"
    label = "Maltego graph (MTGX, MTGL)"
    version = "1.2"
    description = (
        "Every entity and link of the graph (.mtgx, or a Maltego 4 large graph .mtgl) with its Maltego type "
        "and every property, positions. Maltego's "
        "standard types become their nearest FtM type (maltego.URL a Document, maltego.Phrase a Note, ...); "
        "a type of a transform set comes in by the types it extends and is listed after the import. Phone "
        "numbers, e-mail addresses and websites stay entities and also become properties of what they link to."
    )
    file_patterns = ("*.mtgx", "*.graphml", "*.mtgl")
    value_types = MALTEGO_VALUE_TYPES
    tool = "Maltego"

    def __init__(self, **options: Any):
        super().__init__(**options)
        #: The archive's own entity definitions (Entities/*.entity): type → (types it extends, value property).
        self.definitions: dict[str, tuple[list[str], str | None]] = {}
        #: Entity ids given to this file's nodes so far (two nodes never share one).
        self.ids_taken: set[str] = set()

    @classmethod
    def sniff(cls, path: Path) -> float:
        """Certain when the file is a zip holding a graph under ``Graphs/``, or GraphML carrying
        Maltego's entities (bare GraphML saved by Maltego): above the plain GraphML importer."""
        try:
            if zipfile.is_zipfile(path):
                with zipfile.ZipFile(path) as archive:
                    names = archive.namelist()
                    if any(_is_graph(name) for name in names):
                        return 0.95
                    if any(name.startswith("Graphs/") and "/DataEntities/" in name for name in names):
                        return 0.95  # a Maltego 4 large graph (.mtgl): Lucene indexes instead of GraphML
                return 0.0
            with Path(path).open("rb") as handle:
                head = handle.read(1 << 16)
        except (OSError, zipfile.BadZipFile):
            return 0.0
        if root_element(head) == "graphml" and _is_maltego_graphml(head):
            return 0.97
        return super().sniff(path) * 0.5

    def known_type(self, type_name: str) -> Schema | None:
        known = maltego_standard(type_name)
        return model.get(known.ftm_schema) if known else None

    def read(self, path: Path) -> Iterator[Record]:
        path = Path(path)
        nodes, links = self.parse(path)
        yield from self.records(path, nodes, links)

    def parse(self, path: Path) -> tuple[list[NodeDraft], list[LinkDraft]]:
        nodes: list[NodeDraft] = []
        links: list[LinkDraft] = []
        self.ids_taken = set()
        if not zipfile.is_zipfile(path):
            with path.open("rb") as handle:
                head = handle.read(1 << 16)
            root = root_element(head)
            if root != "graphml" or not _is_maltego_graphml(head):
                found = f"<{root}>" if root else "no XML element"
                raise SourceFormatError(
                    f"{path.name}: not a readable zip archive (an MTGX file is a zip holding {MTGX_GRAPH}), nor "
                    f"GraphML saved by Maltego (<graphml> with mtg:MaltegoEntity nodes); found {found}")
            with path.open("rb") as handle:
                self.parse_graph(path, path.name, handle, nodes, links)
            return nodes, links
        check_archive(path)  # a few MB of whitespace or of one value can unpack to gigabytes
        try:
            with zipfile.ZipFile(path) as archive:
                graphs = sorted(name for name in archive.namelist() if _is_graph(name))
                indexes = sorted({name.split("/")[1] for name in archive.namelist()
                                  if name.startswith("Graphs/") and name.count("/") >= 3 and "/DataEntities/" in name})
                if not graphs and not indexes:
                    found = ", ".join(archive.namelist()[:8]) or "nothing"
                    raise SourceFormatError(
                        f"{path.name}: a zip archive, but not a Maltego graph: expected {MTGX_GRAPH} (GraphML "
                        f"under Graphs/) inside; found {found}")
                for name in archive.namelist():
                    if name.startswith("Entities/") and name.endswith(".entity"):
                        with open_member(archive, name, path) as handle:
                            self.definition(path, name, handle)
                for folder in ([] if graphs else indexes):
                    self.parse_index(path, archive, folder, nodes, links)
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

    def parse_index(self, path: Path, archive: zipfile.ZipFile, folder: str, nodes: list[NodeDraft],
                    links: list[LinkDraft]) -> None:
        """A Maltego 4 large graph (``.mtgl``): its entities, links and positions from the Lucene
        indexes under ``Graphs/<folder>/`` (DataEntities, LayoutEntities, StructureLinks,
        DataLinks), tied together by each document's ``__key``."""
        base = f"Graphs/{folder}/"

        def index(name: str) -> list[list[tuple[str, Any]]]:
            prefix = base + name + "/"
            files = {member[len(prefix):]: functools.partial(_read_member, archive, member, path)
                     for member in archive.namelist()
                     if member.startswith(prefix) and "/" not in member[len(prefix):] and member != prefix}
            return read_index(files) if files else []

        try:
            entities, layout = index("DataEntities"), index("LayoutEntities")
            ends, link_data = index("StructureLinks"), index("DataLinks")
        except IndexFormatError as error:
            raise SourceFormatError(
                f"{path.name}: {base}: a Maltego 4 large graph whose index could not be read ({error}); open it "
                "in Maltego and save it as .mtgx (File > Save As), then import that") from error
        positions = {}
        for document in layout:
            fields = _index_fields(document)
            if "__key" in fields and "x" in fields and "y" in fields:
                positions[fields["__key"][0]] = (float(fields["x"][0]), float(fields["y"][0]))
        for number, document in enumerate(entities):
            fields = _index_fields(document)
            key = fields.get("__key", [number])[0]
            maltego_id = (fields.get("id") or [None])[0]
            rows = _index_properties(document, link=False)
            notes = [note for note in fields.get("notes|value", []) if note.strip()]
            rows += [("notes", "Notes", note) for note in notes]
            if not rows and (fields.get("valueStr") or [""])[0]:
                rows = [("value", "Value", fields["valueStr"][0])]
            nodes.append(self.node_draft(path, f"{folder}#{key}", f"{base} entity {maltego_id or key}",
                                         (fields.get("type") or [""])[0], maltego_id, rows, positions.get(key)))
        data_by_key = {}
        for document in link_data:
            fields = _index_fields(document)
            if "__key" in fields:
                data_by_key[fields["__key"][0]] = document
        for number, document in enumerate(ends):
            fields = _index_fields(document)
            key = fields.get("__key", [number])[0]
            locator = f"{base} link {key}"
            if not fields.get("source") or not fields.get("target"):
                self.problem(path, locator, "a link without source and target", "left out")
                continue
            data = data_by_key.get(key, [])
            kind = (_index_fields(data).get("type") or [""])[0]
            link_type = f"maltego.link.{kind}-link" if kind in ("manual", "transform") else kind or None
            links.append(self.link_draft(f"{folder}#L{key}", locator, f"{folder}#{fields['source'][0]}",
                                         f"{folder}#{fields['target'][0]}", link_type,
                                         _index_properties(data, link=True)))

    def definition(self, path: Path, name: str, handle) -> None:
        """An entity type the graph defines (a transform set's own type): what it extends, its value."""
        try:
            element = ElementTree.parse(handle).getroot()
        except ElementTree.ParseError:
            return  # a definition Maltego could not read either; its entities still come in by name
        type_name = element.get("id")
        if not type_name:
            return
        bases = [base.text.strip() for base in element.iter() if _local(base.tag) == "BaseEntity" and base.text]
        properties = next((item for item in element.iter() if _local(item.tag) == "Properties"), None)
        self.definitions[type_name] = (bases, properties.get("value") if properties is not None else None)

    def ancestry(self, type_name: str) -> list[str]:
        """The types ``type_name`` extends, nearest first: from the graph's definitions, then Maltego's set."""
        chain: list[str] = []
        todo = list(self.definitions.get(type_name, ([], None))[0])
        while todo:
            name = todo.pop(0)
            if name in chain or name == type_name:
                continue
            chain.append(name)
            known = maltego_standard(name)
            todo.extend(self.definitions.get(name, ([], None))[0] or ([known.base] if known and known.base else []))
        return chain

    def parse_graph(self, path, graph_name, handle, nodes, links) -> None:
        counts = {"node": 0, "edge": 0}
        # Node ids are only unique within one graph of the archive.
        scope = "" if graph_name in (MTGX_GRAPH, path.name) else graph_name + "#"
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

    def main_property(self, entity_type: str, rows: list[tuple[str, str, str]]) -> str:
        """The property that is an entity's value: by the graph's definition, Maltego's set, or the first."""
        defined = self.definitions.get(entity_type, ([], None))[1]
        if defined:
            return defined
        for name in [entity_type, *self.ancestry(entity_type)]:
            known = maltego_standard(name)
            if known and known.value_property:
                return known.value_property
            if self.definitions.get(name, ([], None))[1]:
                return self.definitions[name][1]
        return rows[0][0] if rows else ""

    def node(self, path, graph_name, scope, element, number) -> NodeDraft | None:
        node_id = element.get("id") or f"#{number}"
        locator = f"{graph_name} node {node_id}"
        payload = self.payload(element, "MaltegoEntity")
        if payload is None:
            self.problem(path, locator, "carries no Maltego entity (mtg:MaltegoEntity)", "left out")
            return None
        position = None
        renderer = self.payload(element, "Position")
        if renderer is not None:
            try:
                position = (float(renderer.get("x")), float(renderer.get("y")))
            except (TypeError, ValueError):
                self.problem(path, locator, f"position x={renderer.get('x')!r} y={renderer.get('y')!r} is not a "
                                            "number", "imported without a position")
        return self.node_draft(path, scope + node_id, locator, payload.get("type", ""), payload.get("id"),
                               self.maltego_properties(payload), position)

    def node_draft(self, path: Path, key: str, locator: str, entity_type: str, maltego_id: str | None,
                   rows: list[tuple[str, str, str]], position: tuple[float, float] | None) -> NodeDraft:
        """A node of the graph (its type, Maltego id, properties as (name, display name, value)
        and position) as the entity it becomes."""
        given = {name: value for name, _, value in rows}
        if given.get(FTM_VALUE_OF):
            # A phone, e-mail or website Workbench drew beside its holders, which hold it already.
            return NodeDraft(key=key, locator=locator, entity_id="", schema=model.get("LegalEntity"),
                             fold_into=given[FTM_VALUE_OF], extra={"derived": True})
        workbench = bool(given.get(FTM_SCHEMA) and given.get(FTM_ID))
        schema = model.get(given[FTM_SCHEMA]) if workbench else None
        fold_into, notes = None, []
        if schema is None or schema.abstract:
            workbench = False
            schema, fold_into, notes = self.node_type(path, locator, entity_type, hints=self.ancestry(entity_type))
        main_name = self.main_property(entity_type, rows)
        main_value = given.get(main_name) or next((value for _, _, value in rows if value.strip()), "")
        aliases = maltego_property_map(entity_type)
        for ancestor in self.ancestry(entity_type):
            aliases = {**maltego_property_map(ancestor), **aliases}
        values = []
        for name, label, value in rows:
            if name in (FTM_ID, FTM_SCHEMA, FTM_SOURCES, FTM_GRADE, FTM_DISPLAY):
                continue
            if workbench and name == given.get(FTM_DISPLAY):
                continue  # the text Workbench showed under the icon
            known = (find_property(schema, name[4:]) if name.startswith("ftm.")
                     else find_property(schema, name, aliases))
            if name == main_name and known is None and not workbench:
                continue  # the value that names the entity: its caption
            values.append((f"{name[4:]} [{known.name}]" if known and name.startswith("ftm.") else
                           name if known else label or name, value))
        extra: dict[str, Any] = {}
        if given.get(FTM_SOURCES):
            extra["maltego_sources"] = given[FTM_SOURCES].split(VALUE_SEPARATOR)
        if not workbench:
            extra["maltego_type"] = entity_type
        entity_id = given[FTM_ID] if workbench else "maltego-" + _digest(entity_type, main_value or path.name + locator)
        if not workbench:
            if entity_id in self.ids_taken:
                # Two nodes of one type and value (two "Pretoria" locations, Maltego 4 keeps both):
                # two entities, as on the graph; the first keeps the id that meets other files.
                entity_id = "maltego-" + _digest(entity_type, main_value, maltego_id or "", path.name, key)
            self.ids_taken.add(entity_id)
        return NodeDraft(key=key, locator=locator, entity_id=entity_id, schema=schema, values=values,
                         fold_into=fold_into, caption=None if workbench else (main_value or None), notes=notes,
                         position=position, grade=_grade(given.get(FTM_GRADE)), extra=extra,
                         aliases=aliases, written_by_workbench=workbench)

    def edge(self, path, graph_name, scope, element, number) -> LinkDraft | None:
        edge_id = element.get("id") or f"#{number}"
        locator = f"{graph_name} edge {edge_id}"
        source, target = element.get("source"), element.get("target")
        if not source or not target:
            self.problem(path, locator, "an edge without source and target", "left out")
            return None
        payload = self.payload(element, "MaltegoLink")
        rows = self.maltego_properties(payload) if payload is not None else []
        link_type = payload.get("type") if payload is not None else None
        return self.link_draft(scope + edge_id, locator, scope + source, scope + target, link_type, rows)

    def link_draft(self, key: str, locator: str, end1: str, end2: str, link_type: str | None,
                   rows: list[tuple[str, str, str]]) -> LinkDraft:
        """A link of the graph (its ends, Maltego link type and properties) as the link it becomes."""
        given = {name: value for name, _, value in rows}
        schema = model.get(given[FTM_SCHEMA]) if given.get(FTM_SCHEMA) else None
        workbench = bool(schema is not None and schema.edge and given.get(FTM_ID))
        values = []
        for name, label, value in rows:
            if name in (FTM_ID, FTM_SCHEMA, FTM_SOURCES, FTM_GRADE, FTM_REFERENCE, MALTEGO_LINK_LABEL,
                        MALTEGO_LINK_DESCRIPTION) or name in MALTEGO_LINK_STYLING:
                continue  # ids, and Maltego's own link styling (colour, thickness, label display)
            values.append((name if schema is not None and find_property(schema, name) else label or name, value))
        extra: dict[str, Any] = {}
        if given.get(FTM_SOURCES):
            extra["maltego_sources"] = given[FTM_SOURCES].split(VALUE_SEPARATOR)
        if not workbench and link_type:
            extra["maltego_link_type"] = link_type
        label = given.get(MALTEGO_LINK_LABEL) or given.get("maltego.link.label") or ""
        return LinkDraft(key=key, locator=locator, end1=end1, end2=end2,
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


def _read_member(archive: zipfile.ZipFile, member: str, path: Path) -> bytes:
    with open_member(archive, member, path) as handle:
        return handle.read()


def _index_fields(document: list[tuple[str, Any]]) -> dict[str, list[Any]]:
    """A stored document's fields by name without their type suffix: ``{"type": [...], "x": [...]}``
    (``notes[map]|value[string]`` is ``notes|value``)."""
    fields: dict[str, list[Any]] = {}
    for name, value in document:
        plain = "|".join(part.split("[", 1)[0] for part in name.split("|"))
        fields.setdefault(plain, []).append(value)
    return fields


def _index_properties(document: list[tuple[str, Any]], link: bool) -> list[tuple[str, str, str]]:
    """A stored document's Maltego properties as (name, display name, value), in stored order.

    Maltego keeps a property ``phonenumber.areacode`` as ``properties[map]|phonenumber°areacode[map]|
    value[string]`` (and ``|displayName``, ``|type``); a link's ``transform°name`` is
    ``maltego.link.transform.name`` in a graph's GraphML."""
    found: dict[str, dict[str, Any]] = {}
    for field, value in document:
        parts = field.split("|")
        if len(parts) != 3 or parts[0] != "properties[map]" or not parts[1].endswith("[map]"):
            continue
        name = parts[1][:-5].replace("\u00b0", ".")
        if link and not name.startswith(("maltego.", "ftm.")):
            name = "maltego.link." + name
        attribute, _, kind = parts[2].partition("[")
        slot = found.setdefault(name, {})
        if attribute == "value":
            if kind.startswith("bool"):
                value = {"t": "true", "f": "false"}.get(value, value)
            elif kind.startswith(("long", "date")) and isinstance(value, int) and abs(value) > 10 ** 11:
                value = datetime.fromtimestamp(value / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] \
                    + " +0000"  # a date as Maltego keeps it: milliseconds since 1970
            slot["value"] = "" if value is None else str(value)
        elif attribute == "displayName":
            slot["label"] = str(value)
    return [(name, slot.get("label", name), slot.get("value", "")) for name, slot in found.items()]


def _is_maltego_graphml(head: bytes) -> bool:
    """Whether the opening of a GraphML document shows Maltego's payloads or its VersionInfo."""
    return MTG_NAMESPACE.encode() in head or b'createdBy="Maltego' in head


def _is_graph(name: str) -> bool:
    return name.startswith("Graphs/") and name.lower().endswith(".graphml")
