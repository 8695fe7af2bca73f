"""Maltego graphs (MTGX, and bare GraphML saved by Maltego), both ways.

The mapping FtM ↔ chart is shared with the i2 format (``chart_common``); this module holds what
is Maltego's own: entity types and their properties, the GraphML payloads (``mtg:MaltegoEntity``,
``mtg:MaltegoLink``, renderers) and the archive around them. What the format cannot carry is in
``MtgxExporter.losses`` and in ``docs/formats/i2_maltego.md``.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree

from followthemoney.property import Property
from followthemoney.proxy import EntityProxy
from followthemoney.schema import Schema

from workbench.archives import check_archive, open_member
from workbench.model import model
from workbench.model.grading import Grade
from workbench.model.provenance import Record
from workbench.plugin_api import Exporter, Parameter, SourceFormatError

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
    _write_atomically,
    _xml_error,
    attribute_names,
    chart_of_case,
    entity_caption,
    find_property,
    join_values,
    link_label,
    root_element,
    xml_text,
)

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
