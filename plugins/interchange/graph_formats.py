"""GEXF and GraphML, both ways: the case as a graph for Gephi, yEd, Cytoscape and networkx.

Export. Parties and other entities that are not relationships become nodes; relationship
entities (Ownership, Payment, Shipment, ...) become edges from their source to their target;
entity references held by nodes (a sanction's listed party, an account's bank) are drawn as
edges too. Every FtM property is written as an attribute named after the property, beside
``ftm_schema`` and ``ftm_id``, so a file written here comes back exactly as it went out.
Chart positions, colours by type and sizes by number of links go into GEXF's ``viz`` elements
and Gephi's GraphML keys (``x``, ``y``, ``r``, ``g``, ``b``, ``size``, ``label``).

Import. A node or edge that carries ``ftm_schema`` is read back as the entity it was. Anything
else (a Gephi, yEd, Cytoscape or networkx file) is mapped through the importer's parameters:
the entity type from a type attribute or a default, the name from the label, attributes onto
properties of the same name, the rest kept in the entity's notes and the record's extra data,
viz colour, size and position in the record's extra data (the host lays the chart out from
``extra["position"]``).

Both directions stream. The writer spools nodes and edges to temporary files and writes the
attribute declarations (which must come first in both formats) once it knows which were used;
the reader runs expat over the file block by block, so memory holds the node-id table and the
edges (which may name nodes declared after them in GraphML), never the document. networkx's
readers build the whole tree and keep only typed attribute values, which is why these are our
own.

Values with several entries are written as JSON list text (``["a", "b"]``); a single value is
written as it is, unless it begins with ``[`` (then it is written as a one-item JSON list, so
reading never splits a value that only looks like a list).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any, ClassVar
from xml.parsers import expat

from followthemoney.property import Property
from followthemoney.schema import Schema
from followthemoney.types import registry

from workbench import __version__
from workbench.files import atomic_write
from workbench.model import model
from workbench.model.provenance import Record
from workbench.plugin_api import CaseReader, Exporter, Importer, Parameter, ParameterError, SourceFormatError

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------------------- vocabulary

#: Attribute titles Workbench writes beside the FtM properties. Property names are camelCase
#: words, so none of them can be mistaken for one of these.
SCHEMA_ATTRIBUTE = "ftm_schema"
ID_ATTRIBUTE = "ftm_id"
#: On an edge drawn for an entity reference: the property of the holder that names the target.
PROPERTY_ATTRIBUTE = "ftm_property"
#: Chart state beyond the position, as node attributes (Gephi can partition by ``chart_group``).
CHART_ATTRIBUTES = {"chart_group": "group", "chart_pinned": "pinned", "chart_hidden": "hidden"}
#: Gephi's GraphML conventions for label, position, size and colour (also read from foreign files).
GRAPHML_VIZ_TITLES = ("label", "x", "y", "size", "r", "g", "b", "color")
#: What Workbench writes for other tools' sake and derives again on import: the label (the
#: caption) and GEXF's edge ``kind`` (the relationship type, already in ``ftm_schema``).
DERIVED_TITLES = frozenset({SCHEMA_ATTRIBUTE, ID_ATTRIBUTE, "label", "kind"})

GEXF_NAMESPACE = "http://gexf.net/1.3"
GEXF_VIZ_NAMESPACE = "http://gexf.net/1.3/viz"
GRAPHML_NAMESPACE = "http://graphml.graphdrawing.org/xmlns"
XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance"

from workbench.palette import (  # noqa: E402  (shared with the screen's styles, Qt-free)
    DEFAULT_LINK_COLOUR,
    LINK_COLOURS,
    node_colour_hex,
)

GRAPH_LOSSES = (
    "sources, grades and per-value provenance: an import records the file as one new source",
    "findings, the audit log, saved views and merged-away ids (aliases)",
    "chart pins, hidden flags and groups: written as chart_* node attributes, but an import keeps "
    "them only in the records' extra data (positions are restored)",
)

# ---------------------------------------------------------------------------------- values


def encode_values(values: list[str]) -> str:
    """One attribute value for a property's values: the value itself, or JSON list text."""
    if len(values) == 1 and not values[0].startswith("["):
        return values[0]
    return json.dumps(values, ensure_ascii=False)


def decode_values(text: str) -> list[str]:
    """The property values written by :func:`encode_values` (text that is no JSON list is one value)."""
    if text.startswith("["):
        try:
            decoded = json.loads(text)
        except ValueError:
            return [text]
        if isinstance(decoded, list) and all(isinstance(value, str) for value in decoded):
            return decoded
    return [text]


_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
_NEEDS_ESCAPE = re.compile('[&<>"\n\r\t]')
# Characters XML 1.0 cannot hold at all, not even as character references.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_NEEDS_WORK = re.compile('[&<>"\n\r\t\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]')


def _escape(text: str) -> str:
    """Text for an XML attribute value or element content.

    Line breaks and tabs are escaped too: a parser turns literal ones in attribute values into
    spaces, and a note's line breaks must survive the round trip.
    """
    if _NEEDS_ESCAPE.search(text) is None:
        return text
    return _NEEDS_ESCAPE.sub(lambda match: _ESCAPES[match.group()], text)


def _xml_text(text: str) -> str:
    """Escaped, and without the characters XML cannot hold (for labels and groups, which are
    derived or cosmetic; property values are counted as a loss instead, see _property_attributes)."""
    return _escape(_NOT_XML.sub("", text))


def _hex_to_rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _node_colour(schema: Schema) -> str:
    return node_colour_hex(schema.name)


def _node_size(degree: int) -> float:
    # Grows with the square root so hubs stand out without swallowing the chart.
    return round(8.0 + 4.0 * math.sqrt(degree), 3)


def _slug(text: str) -> str:
    return re.sub(r"[^0-9a-zA-Z]+", "-", text).strip("-").lower()


_VALID_ID = re.compile(r"^[0-9a-zA-Z]([0-9a-zA-Z.\-]*[0-9a-zA-Z])?$")


def _foreign_entity_id(prefix: str, kind: str, file_id: str) -> str:
    """A stable FtM id for a foreign node or edge: readable where the file's id allows it."""
    candidate = f"{prefix}-{kind}-{file_id}"
    if _VALID_ID.match(candidate):
        return candidate
    slug = _slug(file_id)[:40]
    digest = hashlib.sha1(file_id.encode("utf-8")).hexdigest()[:12]
    return f"{prefix}-{kind}-{slug}-{digest}" if slug else f"{prefix}-{kind}-{digest}"


# ---------------------------------------------------------------------------------- export


class _GraphWriter:
    """Collects nodes and edges in spool files; ``finish`` writes the document around them.

    Subclasses turn one node or edge into markup and write the header (the attribute
    declarations, which both formats want before the first node). Attribute values arrive
    escaped (see :func:`_property_attributes`); ids and labels are escaped here.
    """

    suffix = ""

    def __init__(self) -> None:
        self.nodes: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")
        self.edges: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")
        self.node_titles: dict[str, None] = {}
        self.edge_titles: dict[str, None] = {}
        self.node_count = 0
        self.edge_count = 0

    def close(self) -> None:
        self.nodes.close()
        self.edges.close()

    def node(self, node_id: str, label: str, attributes: list[tuple[str, str]], colour: str,
             position: tuple[float, float] | None, size: float) -> None:
        raise NotImplementedError

    def edge(self, edge_id: str, source: str, target: str, label: str, kind: str,
             attributes: list[tuple[str, str]], colour: str, weight: float | None = None) -> None:
        raise NotImplementedError

    def finish(self, output: IO[str], title: str) -> None:
        raise NotImplementedError

    def _note_titles(self, titles: dict[str, None], attributes: list[tuple[str, str]]) -> None:
        for title, _ in attributes:
            if title not in titles:
                titles[title] = None


class _GexfWriter(_GraphWriter):
    def node(self, node_id, label, attributes, colour, position, size):
        self._note_titles(self.node_titles, attributes)
        red, green, blue = _hex_to_rgb(colour)
        parts = [f'<node id="{_escape(node_id)}" label="{_xml_text(label)}"><attvalues>']
        parts.extend(f'<attvalue for="{title}" value="{value}"/>' for title, value in attributes)
        parts.append(f'</attvalues><viz:color r="{red}" g="{green}" b="{blue}"/>')
        if position is not None:
            # Gephi's y axis points up, the Workbench chart's down: flip so the picture keeps its shape.
            parts.append(f'<viz:position x="{position[0]!r}" y="{-position[1]!r}" z="0.0"/>')
        parts.append(f'<viz:size value="{size!r}"/></node>\n')
        self.nodes.write("".join(parts))
        self.node_count += 1

    def edge(self, edge_id, source, target, label, kind, attributes, colour, weight=None):
        self._note_titles(self.edge_titles, attributes)
        red, green, blue = _hex_to_rgb(colour)
        # GEXF's own weight (Gephi's edge Weight column, its layouts and thickness).
        weighed = f' weight="{weight!r}"' if weight is not None else ""
        parts = [
            f'<edge id="{_escape(edge_id)}" source="{_escape(source)}" target="{_escape(target)}"'
            f' label="{_xml_text(label)}" kind="{_escape(kind)}"{weighed}><attvalues>'
        ]
        parts.extend(f'<attvalue for="{title}" value="{value}"/>' for title, value in attributes)
        parts.append(f'</attvalues><viz:color r="{red}" g="{green}" b="{blue}"/></edge>\n')
        self.edges.write("".join(parts))
        self.edge_count += 1

    def finish(self, output, title):
        output.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<gexf xmlns="{GEXF_NAMESPACE}" xmlns:viz="{GEXF_VIZ_NAMESPACE}" xmlns:xsi="{XSI_NAMESPACE}"'
            f' xsi:schemaLocation="{GEXF_NAMESPACE} {GEXF_NAMESPACE}/gexf.xsd" version="1.3">\n'
            f'<meta lastmodifieddate="{date.today().isoformat()}">'
            f"<creator>Workbench {__version__}</creator><description>{_xml_text(title)}</description></meta>\n"
            '<graph defaultedgetype="directed" mode="static">\n'
        )
        for class_name, titles in (("node", self.node_titles), ("edge", self.edge_titles)):
            output.write(f'<attributes class="{class_name}" mode="static">\n')
            for name in titles:
                output.write(f'<attribute id="{name}" title="{name}" type="string"/>\n')
            output.write("</attributes>\n")
        output.write(f'<nodes count="{self.node_count}">\n')
        self.nodes.seek(0)
        shutil.copyfileobj(self.nodes, output)
        output.write(f'</nodes>\n<edges count="{self.edge_count}">\n')
        self.edges.seek(0)
        shutil.copyfileobj(self.edges, output)
        output.write("</edges>\n</graph>\n</gexf>\n")


class _GraphmlWriter(_GraphWriter):
    # Key ids are unique per document, attribute names only per domain: prefix the ids.
    def node(self, node_id, label, attributes, colour, position, size):
        self._note_titles(self.node_titles, attributes)
        red, green, blue = _hex_to_rgb(colour)
        parts = [f'<node id="{_escape(node_id)}"><data key="n_label">{_xml_text(label)}</data>']
        parts.extend(f'<data key="n_{title}">{value}</data>' for title, value in attributes)
        if position is not None:
            # Gephi's conventions, y pointing up (see _GexfWriter.node).
            parts.append(f'<data key="n_x">{position[0]!r}</data><data key="n_y">{-position[1]!r}</data>')
        parts.append(
            f'<data key="n_size">{size!r}</data><data key="n_r">{red}</data><data key="n_g">{green}</data>'
            f'<data key="n_b">{blue}</data></node>\n'
        )
        self.nodes.write("".join(parts))
        self.node_count += 1

    def edge(self, edge_id, source, target, label, kind, attributes, colour, weight=None):
        self._note_titles(self.edge_titles, attributes)
        red, green, blue = _hex_to_rgb(colour)
        parts = [
            f'<edge id="{_escape(edge_id)}" source="{_escape(source)}" target="{_escape(target)}">'
            f'<data key="e_label">{_xml_text(label)}</data>'
        ]
        if weight is not None:
            # Gephi writes and reads an edge's weight as a double key named "weight".
            self.weighted = True
            parts.append(f'<data key="e_weight">{weight!r}</data>')
        parts.extend(f'<data key="e_{title}">{value}</data>' for title, value in attributes)
        parts.append(f'<data key="e_r">{red}</data><data key="e_g">{green}</data><data key="e_b">{blue}</data></edge>\n')
        self.edges.write("".join(parts))
        self.edge_count += 1

    def finish(self, output, title):
        output.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<graphml xmlns="{GRAPHML_NAMESPACE}" xmlns:xsi="{XSI_NAMESPACE}"'
            f' xsi:schemaLocation="{GRAPHML_NAMESPACE} {GRAPHML_NAMESPACE}/1.0/graphml.xsd">\n'
            f"<desc>{_xml_text(title)} (written by Workbench {__version__})</desc>\n"
        )
        viz_keys = [
            ("n_label", "node", "label", "string"), ("n_x", "node", "x", "float"), ("n_y", "node", "y", "float"),
            ("n_size", "node", "size", "float"), ("n_r", "node", "r", "int"), ("n_g", "node", "g", "int"),
            ("n_b", "node", "b", "int"), ("e_label", "edge", "label", "string"), ("e_r", "edge", "r", "int"),
            ("e_g", "edge", "g", "int"), ("e_b", "edge", "b", "int"),
        ]
        if getattr(self, "weighted", False):
            viz_keys.append(("e_weight", "edge", "weight", "double"))
        for key_id, domain, name, kind in viz_keys:
            output.write(f'<key id="{key_id}" for="{domain}" attr.name="{name}" attr.type="{kind}"/>\n')
        for prefix, domain, titles in (("n_", "node", self.node_titles), ("e_", "edge", self.edge_titles)):
            for name in titles:
                output.write(f'<key id="{prefix}{name}" for="{domain}" attr.name="{name}" attr.type="string"/>\n')
        output.write('<graph id="G" edgedefault="directed">\n')
        self.nodes.seek(0)
        shutil.copyfileobj(self.nodes, output)
        self.edges.seek(0)
        shutil.copyfileobj(self.edges, output)
        output.write("</graph>\n</graphml>\n")


@dataclass
class _ExportTally:
    entities: int = 0
    links: int = 0
    cleaned_values: int = 0


def _property_attributes(properties: dict[str, list[str]], leave_out: tuple[str, ...], tally: _ExportTally):
    """(name, escaped value) for each property; the writers put the values in as they are."""
    attributes = []
    for name, values in properties.items():
        if name in leave_out or not values:
            continue
        text = encode_values(values)
        # One search decides for most values that there is nothing to do.
        if _NEEDS_WORK.search(text) is not None:
            if _NOT_XML.search(text) is not None:
                tally.cleaned_values += 1
                text = _NOT_XML.sub("", text)
            text = _escape(text)
        attributes.append((name, text))
    return attributes


def _edge_weights(case: Any, include_protected: bool) -> dict[str, float]:
    """Edge weights read from other graph tools' files (kept in the records' extra), by entity id.

    Values from protected sources count only when they may leave; of several, the last one
    imported wins.
    """
    weights: dict[str, float] = {}
    for entity_id, weight in case.record_extras("weight", include_protected=include_protected):
        if isinstance(weight, (int, float)) and not isinstance(weight, bool) and math.isfinite(weight):
            weights[entity_id] = float(weight)
    return weights


def _take_weight(attributes: dict[str, list[str]]) -> float | None:
    """An edge's numeric weight (GEXF's weight, Gephi's or yEd's weight key), taken out of ``attributes``."""
    for title in ("weight", "Weight"):
        texts = attributes.get(title)
        if texts:
            weight = _number(texts[0])
            if weight is not None and math.isfinite(weight):
                del attributes[title]
                return weight
    return None


def export_graph(case: Any, path: Path, writer: _GraphWriter, include_protected: bool) -> dict[str, Any]:
    """Write ``case`` through ``writer`` to ``path`` and return the exporter's report.

    One ordered pass over the entities: nodes are written as they come, relationship entities
    are spooled until every node is known (an edge is drawn only when both its ends are nodes
    in the file; otherwise the relationship is written as a node, so nothing is dropped), and
    references are drawn last, to nodes that exist.
    """
    path = Path(path)
    tally = _ExportTally()
    chart = case.chart_items()
    degree: dict[str, int] = case.link_counts()
    weights = _edge_weights(case, include_protected)
    node_ids: set[str] = set()
    references: list[tuple[str, str, str, str, int]] = []
    relationships = tempfile.TemporaryFile("w+", encoding="utf-8")

    def write_node(entity_id: str, schema: Schema, caption: str, properties: dict[str, list[str]]) -> None:
        attributes = [(SCHEMA_ATTRIBUTE, schema.name), (ID_ATTRIBUTE, _escape(entity_id))]
        attributes.extend(_property_attributes(properties, (), tally))
        item = chart.get(entity_id)
        position = None
        if item is not None:
            x, y, pinned, hidden, group = item["x"], item["y"], item["pinned"], item["hidden"], item["group_name"]
            if x is not None and y is not None:
                position = (float(x), float(y))
            if group:
                attributes.append(("chart_group", _xml_text(str(group))))
            if pinned:
                attributes.append(("chart_pinned", "true"))
            if hidden:
                attributes.append(("chart_hidden", "true"))
        writer.node(entity_id, caption, attributes, _node_colour(schema), position,
                    _node_size(degree.get(entity_id, 0)))
        node_ids.add(entity_id)
        tally.entities += 1
        for name, values in properties.items():
            prop = schema.properties[name]
            if prop.type == registry.entity:
                for index, target in enumerate(values):
                    references.append((entity_id, schema.name, name, target, index))

    try:
        for proxy in case.iter_entities(include_protected=include_protected):
            properties = proxy.properties
            if not properties:
                # Only an entity known solely from protected sources comes out empty; writing its
                # id and type would leak what the protection hides.
                continue
            schema = proxy.schema
            if schema.edge and schema.source_prop is not None and schema.target_prop is not None:
                relationships.write(json.dumps([proxy.id, schema.name, proxy.caption, properties]) + "\n")
            else:
                write_node(proxy.id, schema, proxy.caption, properties)

        parties = frozenset(node_ids)
        relationships.seek(0)
        for line in relationships:
            entity_id, schema_name, caption, properties = json.loads(line)
            schema = model.get(schema_name)
            sources = properties.get(schema.source_prop.name, [])
            targets = properties.get(schema.target_prop.name, [])
            if not sources or not targets or not parties.issuperset(sources) or not parties.issuperset(targets):
                write_node(entity_id, schema, caption, properties)
                continue
            leave_out = (schema.source_prop.name, schema.target_prop.name)
            attributes = [(SCHEMA_ATTRIBUTE, schema.name), (ID_ATTRIBUTE, _escape(entity_id))]
            attributes.extend(_property_attributes(properties, leave_out, tally))
            colour = LINK_COLOURS.get(schema.name, DEFAULT_LINK_COLOUR)
            pair = 0
            for source in sources:
                for target in targets:
                    # An entity with several owners is several edges; they share ftm_id and are
                    # joined again on import.
                    # ":" keeps the id a GraphML NMTOKEN ("#" is none).
                    edge_id = entity_id if pair == 0 else f"{entity_id}:{pair + 1}"
                    writer.edge(edge_id, source, target, schema.edge_label or schema.label, schema.name,
                                attributes, colour, weights.get(entity_id))
                    pair += 1
            tally.entities += 1
            tally.links += pair

        for holder, schema_name, prop_name, target, index in references:
            if target not in node_ids:
                continue  # a reference to an entity not in the file stays an attribute only
            label = model.get(schema_name).properties[prop_name].label.lower()
            attributes = [(SCHEMA_ATTRIBUTE, schema_name), (ID_ATTRIBUTE, _escape(holder)), (PROPERTY_ATTRIBUTE, prop_name)]
            writer.edge(f"{holder}:{prop_name}:{index}", holder, target, label, prop_name, attributes,
                        DEFAULT_LINK_COLOUR)
            tally.links += 1

        # Written beside the target and renamed into place, so a failed export leaves no half file.
        with atomic_write(path) as output:
            writer.finish(output, case.meta("title", path.stem) or path.stem)
    finally:
        relationships.close()
        writer.close()

    losses = list(GRAPH_LOSSES)
    if tally.cleaned_values:
        losses.append(f"{tally.cleaned_values} values held control characters XML cannot carry; they were removed")
    return {"entities": tally.entities, "links": tally.links, "losses": losses}


class GexfExporter(Exporter):
    id = "gexf-export"
    label = "GEXF 1.3 (Gephi)"
    version = "1.0"
    format = "gexf"
    file_suffix = ".gexf"
    description = (
        "Nodes for parties, edges for relationships and references; every FtM property as an "
        "attribute; chart positions, colours by type and sizes by links as viz data."
    )
    losses = GRAPH_LOSSES

    def write(self, case: CaseReader, path: Path, *, include_protected: bool = False) -> dict[str, Any]:
        return export_graph(case, path, _GexfWriter(), include_protected)


class GraphmlExporter(Exporter):
    id = "graphml-export"
    label = "GraphML (Gephi, yEd, Cytoscape, networkx)"
    version = "1.0"
    format = "graphml"
    file_suffix = ".graphml"
    description = (
        "Plain GraphML keys (no yEd payloads): every FtM property as a key, plus Gephi's label, "
        "x, y, size, r, g, b."
    )
    losses = GRAPH_LOSSES

    def write(self, case: CaseReader, path: Path, *, include_protected: bool = False) -> dict[str, Any]:
        return export_graph(case, path, _GraphmlWriter(), include_protected)


# ---------------------------------------------------------------------------------- reading XML


@dataclass(slots=True)
class GraphElement:
    """A node or edge as a format reader sees it, before it is mapped onto an entity.

    ``attributes`` are keyed by their declared title (GEXF ``title``, GraphML ``attr.name``);
    ``position`` is already in Workbench orientation (y down).
    """

    kind: str
    element_id: str | None
    line: int
    label: str | None = None
    source: str | None = None
    target: str | None = None
    attributes: dict[str, list[str]] = field(default_factory=dict)
    colour: str | None = None
    position: tuple[float, float] | None = None
    size: float | None = None


#: (line, what is wrong, what is left out if the import goes on: "the edge", "the value", ...)
ProblemCallback = Callable[[int, str, str], None]


class _LocalNames(dict):
    """Element names without their namespace, remembered: expat gives ``"uri local"`` (see
    ``namespace_separator`` in :func:`stream_graph`), and a file repeats a dozen names a
    million times."""

    def __missing__(self, name: str) -> str:
        local = self[name] = name.rpartition(" ")[2]
        return local


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _colour_from_rgb(red: Any, green: Any, blue: Any) -> str | None:
    try:
        return "#{:02x}{:02x}{:02x}".format(*(min(255, max(0, int(channel))) for channel in (red, green, blue)))
    except (TypeError, ValueError):
        pass  # not plain integers: "22.0", or missing
    channels = []
    for channel in (red, green, blue):
        value = _number(channel)
        if value is None:
            return None
        channels.append(min(255, max(0, int(round(value)))))
    return "#{:02x}{:02x}{:02x}".format(*channels)


def _colour_from_text(text: str | None) -> str | None:
    if text and re.fullmatch(r"#?[0-9a-fA-F]{6}([0-9a-fA-F]{2})?", text.strip()):
        return "#" + text.strip().lstrip("#")[:6].lower()
    return None


class _XmlGraphHandler:
    """expat callbacks for one format; completed nodes and edges collect in ``ready``."""

    format_name = ""
    root_name = ""
    other_formats = {"gexf": "gexf", "graphml": "graphml"}

    def __init__(self, file_name: str, problem: ProblemCallback):
        self.file_name = file_name
        self.problem = problem
        self.ready: list[GraphElement] = []
        self.parser: Any = None
        self.root_seen = False
        self.graph_seen = False
        self.local_names = _LocalNames()

    def bind(self, parser: Any) -> None:
        self.parser = parser
        parser.StartElementHandler = self._start_root

    def _start_root(self, name: str, attrs: dict[str, str]) -> None:
        local = self.local_names[name]
        if local != self.root_name:
            line = self.parser.CurrentLineNumber
            if local in self.other_formats:
                raise SourceFormatError(
                    f"{self.file_name} line {line}: this is a {local.upper() if local == 'gexf' else 'GraphML'} "
                    f"file, not {self.format_name}; import it with the {self.other_formats[local]} importer"
                )
            raise SourceFormatError(
                f"{self.file_name} line {line}: expected a {self.format_name} file (root element "
                f"<{self.root_name}>), found <{local}>"
            )
        self.root_seen = True
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.text
        self.start(name, attrs)

    def start(self, name: str, attrs: dict[str, str]) -> None:
        raise NotImplementedError

    def end(self, name: str) -> None:
        raise NotImplementedError

    def text(self, data: str) -> None:
        pass

    def finish(self) -> None:
        if not self.graph_seen:
            raise SourceFormatError(f"{self.file_name}: the {self.format_name} file holds no <graph> element")


class _GexfHandler(_XmlGraphHandler):
    """GEXF 1.1 to 1.3: declared attributes with defaults, attvalues, viz colour/position/size."""

    format_name = "GEXF"
    root_name = "gexf"

    def __init__(self, file_name: str, problem: ProblemCallback):
        super().__init__(file_name, problem)
        #: class ("node"/"edge") -> attribute id -> title
        self.declared: dict[str, dict[str, str]] = {"node": {}, "edge": {}}
        self.defaults: dict[str, dict[str, str]] = {"node": {}, "edge": {}}
        self.attribute_class: str | None = None
        self.attribute_id: str | None = None
        self.capture: list[str] | None = None
        self.stack: list[GraphElement] = []

    def start(self, name, attrs):
        local = self.local_names[name]
        stack = self.stack
        if local == "attvalue":
            if not stack:
                return
            element = stack[-1]
            key = attrs.get("for", attrs.get("id"))
            title = self.declared[element.kind].get(key)
            if title is None:
                self.problem(
                    self.parser.CurrentLineNumber,
                    f"{element.kind} {element.element_id!r}: <attvalue for={key!r}> names an attribute the file "
                    f"does not declare in <attributes class={element.kind!r}>",
                    "the value",
                )
                return
            value = attrs.get("value")
            if value is not None:
                element.attributes.setdefault(title, []).append(value)
        elif local == "node" or local == "edge":
            element = GraphElement(local, attrs.get("id"), self.parser.CurrentLineNumber, label=attrs.get("label"))
            if local == "edge":
                element.source = attrs.get("source")
                element.target = attrs.get("target")
                for native in ("weight", "kind"):
                    if native in attrs:
                        element.attributes[native] = [attrs[native]]
            stack.append(element)
        elif local == "color":
            if stack:
                stack[-1].colour = _colour_from_text(attrs.get("hex")) or _colour_from_rgb(
                    attrs.get("r"), attrs.get("g"), attrs.get("b")
                )
        elif local == "position":
            if stack:
                x, y = _number(attrs.get("x")), _number(attrs.get("y"))
                if x is not None and y is not None:
                    # GEXF's y points up (Gephi), Workbench's down.
                    stack[-1].position = (x, -y)
        elif local == "size":
            if stack:
                stack[-1].size = _number(attrs.get("value"))
        elif local == "attributes":
            self.attribute_class = attrs.get("class", "node")
        elif local == "attribute":
            if self.attribute_class in self.declared:
                self.attribute_id = attrs.get("id")
                if self.attribute_id is not None:
                    self.declared[self.attribute_class][self.attribute_id] = attrs.get("title") or self.attribute_id
        elif local == "default":
            self.capture = []
        elif local == "graph":
            self.graph_seen = True

    def text(self, data):
        if self.capture is not None:
            self.capture.append(data)

    def end(self, name):
        local = self.local_names[name]
        if local == "node" or local == "edge":
            element = self.stack.pop()
            defaults = self.defaults[element.kind]
            if defaults:
                declared = self.declared[element.kind]
                for attribute_id, value in defaults.items():
                    title = declared[attribute_id]
                    if title not in element.attributes:
                        element.attributes[title] = [value]
            self.ready.append(element)
        elif local == "default":
            if self.attribute_class in self.defaults and self.attribute_id is not None:
                self.defaults[self.attribute_class][self.attribute_id] = "".join(self.capture or ())
            self.capture = None
        elif local == "attributes":
            self.attribute_class = None


class _GraphmlHandler(_XmlGraphHandler):
    """GraphML: keys with defaults, data; Gephi's viz keys and yEd's ShapeNode geometry and fill."""

    format_name = "GraphML"
    root_name = "graphml"

    def __init__(self, file_name: str, problem: ProblemCallback):
        super().__init__(file_name, problem)
        #: key id -> (domain, title)
        self.keys: dict[str, tuple[str, str]] = {}
        self.key_defaults: dict[str, str] = {}
        self.key_id: str | None = None
        self.capture: list[str] | None = None
        self.data_key: str | None = None
        self.data_has_markup = False
        self.label_capture: list[str] | None = None
        self.stack: list[GraphElement] = []

    def start(self, name, attrs):
        local = self.local_names[name]
        stack = self.stack
        if local == "data":
            if stack:
                self.data_key = attrs.get("key")
                self.data_has_markup = False
                self.capture = []
            return
        if self.data_key is not None:
            self._vendor_markup(local, attrs)
            return
        if local == "node" or local == "edge":
            element = GraphElement(local, attrs.get("id"), self.parser.CurrentLineNumber)
            if local == "edge":
                element.source = attrs.get("source")
                element.target = attrs.get("target")
            stack.append(element)
        elif local == "key":
            self.key_id = attrs.get("id")
            if self.key_id is not None:
                self.keys[self.key_id] = (attrs.get("for", "all"), attrs.get("attr.name") or self.key_id)
        elif local == "default":
            self.capture = []
        elif local == "graph":
            self.graph_seen = True
        elif local == "hyperedge":
            self.problem(
                self.parser.CurrentLineNumber,
                "<hyperedge> joins more than two nodes, which entities and links cannot express",
                "the hyperedge",
            )

    def _vendor_markup(self, local: str, attrs: dict[str, str]) -> None:
        """yEd's ShapeNode payload inside a <data>: position, fill colour and label text."""
        self.data_has_markup = True
        element = self.stack[-1]
        if local == "Geometry" and element.kind == "node" and element.position is None:
            x, y = _number(attrs.get("x")), _number(attrs.get("y"))
            width, height = _number(attrs.get("width")) or 0.0, _number(attrs.get("height")) or 0.0
            if x is not None and y is not None:
                # yEd's y already points down, as Workbench's does; its x, y is the top-left corner.
                element.position = (x + width / 2, y + height / 2)
        elif local == "Fill" and element.colour is None:
            element.colour = _colour_from_text(attrs.get("color"))
        elif local in ("NodeLabel", "EdgeLabel") and element.label is None:
            self.label_capture = []

    def text(self, data):
        if self.label_capture is not None:
            self.label_capture.append(data)
        elif self.capture is not None:
            self.capture.append(data)

    def end(self, name):
        local = self.local_names[name]
        if self.label_capture is not None and local in ("NodeLabel", "EdgeLabel"):
            label = "".join(self.label_capture).strip()
            if label:
                self.stack[-1].label = label
            self.label_capture = None
            return
        if local == "data" and self.data_key is not None:
            self._data_done()
        elif local == "node" or local == "edge":
            element = self.stack.pop()
            if self.key_defaults:
                for key_id, value in self.key_defaults.items():
                    domain, title = self.keys[key_id]
                    if domain in (element.kind, "all") and title not in element.attributes:
                        element.attributes[title] = [value]
            self._take_viz(element)
            self.ready.append(element)
        elif local == "default" and self.key_id is not None:
            self.key_defaults[self.key_id] = "".join(self.capture or ())
            self.capture = None
        elif local == "key":
            self.key_id = None

    def _data_done(self) -> None:
        key_id, text = self.data_key, "".join(self.capture or ())
        self.data_key, self.capture = None, None
        if self.data_has_markup:
            return  # a vendor payload (yEd, Maltego): what we use of it was read on the way in
        element = self.stack[-1]
        declared = self.keys.get(key_id)
        if declared is None:
            self.problem(
                self.parser.CurrentLineNumber,
                f"{element.kind} {element.element_id!r}: <data key={key_id!r}> names a key the file does not "
                "declare",
                "the value",
            )
            return
        element.attributes.setdefault(declared[1], []).append(text)

    @staticmethod
    def _take_viz(element: GraphElement) -> None:
        """Gephi's GraphML keys for position, size and colour become the element's viz data."""
        attributes = element.attributes
        if not any(title in attributes for title in GRAPHML_VIZ_TITLES):
            return
        if "x" in attributes and "y" in attributes:
            x, y = _number(attributes["x"][0]), _number(attributes["y"][0])
            if x is not None and y is not None:
                del attributes["x"], attributes["y"]
                element.position = (x, -y)  # Gephi's y points up
        if "r" in attributes and "g" in attributes and "b" in attributes:
            colour = _colour_from_rgb(attributes["r"][0], attributes["g"][0], attributes["b"][0])
            if colour is not None:
                del attributes["r"], attributes["g"], attributes["b"]
                element.colour = colour
        if "color" in attributes:
            colour = _colour_from_text(attributes["color"][0])
            if colour is not None:
                del attributes["color"]
                element.colour = colour
        if "size" in attributes:
            size = _number(attributes["size"][0])
            if size is not None:
                del attributes["size"]
                element.size = size
        if "label" in attributes and element.label is None:
            element.label = attributes.pop("label")[0]


def stream_graph(path: Path, handler: _XmlGraphHandler, block_size: int = 1 << 20) -> Iterator[GraphElement]:
    """Nodes and edges of ``path`` as expat completes them, block by block."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    handler.bind(parser)
    with Path(path).open("rb") as handle:
        while True:
            block = handle.read(block_size)
            try:
                parser.Parse(block, not block)
            except expat.ExpatError as error:
                raise _malformed(handler, error, at_end=not block) from None
            if handler.ready:
                ready, handler.ready = handler.ready, []
                yield from ready
            if not block:
                break
    handler.finish()


def _malformed(handler: _XmlGraphHandler, error: expat.ExpatError, at_end: bool) -> SourceFormatError:
    where = f"{handler.file_name} line {error.lineno} column {error.offset + 1}"
    reason = expat.ErrorString(error.code)
    if not handler.root_seen:
        return SourceFormatError(f"{where}: not an XML file ({reason}); expected a {handler.format_name} file")
    hint = " (is the file cut short?)" if at_end else ""
    return SourceFormatError(f"{where}: the {handler.format_name} is not well-formed XML: {reason}{hint}")


# ---------------------------------------------------------------------------------- import mapping


def _parse_pairs(value: Any, name: str) -> dict[str, str]:
    """``"a=B; c=D"`` (or a dict) as a dict, for the mapping parameters."""
    if not value:
        return {}
    if isinstance(value, dict):
        return {str(key): str(item) for key, item in value.items()}
    pairs = {}
    for part in re.split(r"[;\n]", str(value)):
        if not part.strip():
            continue
        key, separator, item = part.partition("=")
        if not separator or not key.strip() or not item.strip():
            raise ParameterError(f"parameter {name!r}: {part.strip()!r} should read VALUE=NAME (pairs split by ';')")
        pairs[key.strip()] = item.strip()
    return pairs


def _schema_named(name: str) -> Schema | None:
    schema = model.get(name)
    if schema is None:
        lowered = name.strip().lower()
        schema = next((s for s in model.schemata.values() if s.name.lower() == lowered), None)
    return schema


def _is_link_schema(schema: Schema) -> bool:
    return bool(schema.edge and schema.source_prop is not None and schema.target_prop is not None)


class _EntityMapper:
    """Turns the reader's nodes and edges into entity records, Workbench-written or foreign."""

    def __init__(self, importer: "GraphImporter", path: Path):
        options = importer.options
        self.file_name = path.name
        self.on_error = options["on_error"]
        self.skipped = importer.skipped
        self.node_schema = model.get(options["node_schema"])
        self.edge_schema = model.get(options["edge_schema"])
        self.node_type_attribute = options["node_type_attribute"] or None
        self.edge_type_attribute = options["edge_type_attribute"] or None
        self.name_attribute = options["name_attribute"] or None
        self.type_map = importer.type_map
        self.attribute_map = importer.attribute_map
        self.match_property_names = options["match_property_names"]
        self.prefix = _slug(options["id_prefix"] or "") or _slug(path.stem) or "graph"
        #: node id in the file -> entity id
        self.entity_ids: dict[str, str] = {}
        self.entities_seen: set[str] = set()
        #: nodes skipped under on_error=skip, so their edges can say why they go too
        self.nodes_left_out: set[str] = set()
        self.edges: list[GraphElement] = []
        self.edge_ids_seen: set[str] = set()
        self._cleaned: dict[tuple[str, str | None, str], str | None] = {}

    # -- problems

    def problem(self, line: int, message: str, left_out: str) -> None:
        """Stop with a :class:`SourceFormatError`, or note what was skipped, as ``on_error`` says."""
        text = f"{self.file_name} line {line}: {message}"
        if self.on_error == "stop":
            raise SourceFormatError(f"{text} (import with on_error=skip to leave out {left_out} and keep the rest)")
        self.skipped.append(f"{text}; {left_out} was left out")

    # -- nodes

    def node_record(self, element: GraphElement) -> Record | None:
        record = self._node_record(element)
        if record is None and element.element_id:
            self.nodes_left_out.add(element.element_id)
        return record

    def _node_record(self, element: GraphElement) -> Record | None:
        if not element.element_id:
            self.problem(element.line, "a <node> without an id cannot be linked to", "the node")
            return None
        if element.element_id in self.entity_ids:
            self.problem(element.line, f"node {element.element_id!r} is declared twice", "the second one")
            return None
        if SCHEMA_ATTRIBUTE in element.attributes:
            record = self._workbench_record(element)
        else:
            record = self._foreign_node(element)
        if record is None:
            return None
        entity_id = record.entity["id"]
        if entity_id in self.entities_seen:
            self.problem(element.line, f"node {element.element_id!r} repeats entity id {entity_id!r}", "the node")
            return None
        self.entities_seen.add(entity_id)
        self.entity_ids[element.element_id] = entity_id
        return record

    def _workbench_record(self, element: GraphElement, ends: tuple[str, str] | None = None) -> Record | None:
        """A node or edge Workbench wrote: schema, id and properties from its attributes."""
        attributes = element.attributes
        schema_name = attributes[SCHEMA_ATTRIBUTE][0]
        schema = model.get(schema_name)
        what = f"{element.kind} {element.element_id!r}"
        if schema is None or schema.abstract:
            self.problem(element.line, f"{what}: {SCHEMA_ATTRIBUTE} {schema_name!r} is no concrete entity type",
                         f"the {element.kind}")
            return None
        entity_id = (attributes.get(ID_ATTRIBUTE) or [element.element_id])[0]
        if not entity_id:
            self.problem(element.line, f"{what}: no {ID_ATTRIBUTE}", f"the {element.kind}")
            return None
        properties: dict[str, list[str]] = {}
        unmapped: dict[str, list[str]] = {}
        chart: dict[str, Any] = {}
        weight = _take_weight(attributes) if element.kind == "edge" else None
        for title, texts in attributes.items():
            if title in DERIVED_TITLES:
                continue
            if title in CHART_ATTRIBUTES:
                value = texts[0]
                chart[CHART_ATTRIBUTES[title]] = value if title == "chart_group" else value.lower() == "true"
                continue
            prop = schema.properties.get(title)
            if prop is None or prop.stub:
                unmapped[title] = texts
                continue
            for text in texts:
                for value in decode_values(text):
                    cleaned = self._clean(prop, value)
                    if cleaned is None:
                        self.problem(element.line, f"{what}: {title} value {value!r} is not a valid "
                                                   f"{prop.type.name}", "the value")
                        continue
                    values = properties.setdefault(title, [])
                    if cleaned not in values:
                        values.append(cleaned)
        if ends is not None:
            for prop, end in zip((schema.source_prop.name, schema.target_prop.name), ends):
                properties.setdefault(prop, [])
                if end not in properties[prop]:
                    properties[prop].append(end)
        extra: dict[str, Any] = {}
        if weight is not None:
            extra["weight"] = weight
        if element.position is not None and element.kind == "node":
            extra["position"] = [element.position[0], element.position[1]]
        if chart:
            extra["chart"] = chart
        if unmapped:
            extra["attributes"] = {title: texts[0] if len(texts) == 1 else texts for title, texts in unmapped.items()}
        entity = {"id": entity_id, "schema": schema.name, "properties": properties}
        return Record(entity, locator=f"{self.file_name} line {element.line}", extra=extra)

    def _foreign_node(self, element: GraphElement) -> Record | None:
        schema = self._schema_for(element, self.node_type_attribute, self.node_schema, link=False)
        entity_id = _foreign_entity_id(self.prefix, "node", element.element_id)
        attributes = dict(element.attributes)
        name = self._name_of(element, attributes)
        properties: dict[str, list[str]] = {}
        if name and "name" in schema.properties:
            cleaned = self._clean(schema.properties["name"], name)
            if cleaned:
                properties["name"] = [cleaned]
        return self._foreign_record(element, schema, entity_id, attributes, properties)

    def _name_of(self, element: GraphElement, attributes: dict[str, list[str]]) -> str:
        if self.name_attribute:
            if self.name_attribute == "label" and element.label:
                return element.label
            values = attributes.pop(self.name_attribute, None)
            if values:
                return values[0]
        if element.label:
            return element.label
        for title in ("label", "Label", "name", "Name"):
            values = attributes.pop(title, None)
            if values:
                return values[0]
        return element.element_id or ""

    def _foreign_record(self, element: GraphElement, schema: Schema, entity_id: str,
                        attributes: dict[str, list[str]], properties: dict[str, list[str]]) -> Record:
        """Attributes onto properties where they fit; the rest into notes and the record's extra.

        An edge's weight goes to ``extra["weight"]`` (not into its notes), so it comes out of a
        GEXF or GraphML export as a weight again.
        """
        attributes = dict(attributes)
        weight = _take_weight(attributes) if element.kind == "edge" else None
        unmapped: dict[str, list[str]] = {}
        for title, texts in attributes.items():
            texts = [text for text in texts if text.strip()]
            if not texts:
                continue  # an empty value (yEd writes <data key="d5"/> for every blank description)
            prop_name = self.attribute_map.get(title) or (title if self.match_property_names else None)
            prop = schema.properties.get(prop_name) if prop_name else None
            mapped = []
            if prop is not None and not prop.stub:
                mapped = [cleaned for cleaned in (self._clean(prop, text) for text in texts) if cleaned]
            if mapped:
                values = properties.setdefault(prop.name, [])
                values.extend(value for value in mapped if value not in values)
            else:
                unmapped[title] = texts
        notes_prop = next((name for name in ("notes", "description", "summary") if name in schema.properties), None)
        if unmapped and notes_prop:
            lines = [f"{title}: {', '.join(texts)}" for title, texts in unmapped.items()]
            properties.setdefault(notes_prop, []).append("\n".join(lines))
        extra: dict[str, Any] = {}
        if weight is not None:
            extra["weight"] = weight
        if unmapped:
            extra["attributes"] = {title: texts[0] if len(texts) == 1 else texts for title, texts in unmapped.items()}
        if element.position is not None and element.kind == "node":
            extra["position"] = [element.position[0], element.position[1]]
        if element.colour is not None:
            extra["colour"] = element.colour
        if element.size is not None:
            extra["size"] = element.size
        entity = {"id": entity_id, "schema": schema.name, "properties": properties}
        return Record(entity, locator=f"{self.file_name} line {element.line}", extra=extra)

    def _schema_for(self, element: GraphElement, type_attribute: str | None, default: Schema, link: bool) -> Schema:
        """The type a foreign element maps to: its type attribute through ``type_map``, else the default."""
        if not type_attribute:
            return default
        if type_attribute == "label":
            value = element.label
        else:
            value = (element.attributes.get(type_attribute) or [None])[0]
        if not value:
            return default
        schema = _schema_named(self.type_map.get(value, value))
        if schema is None or schema.abstract or _is_link_schema(schema) != link:
            return default
        return schema

    def _clean(self, prop: Property, value: str) -> str | None:
        key = (prop.type.name, prop.format, value)
        try:
            return self._cleaned[key]
        except KeyError:
            cleaned = prop.type.clean(value, format=prop.format)
            self._cleaned[key] = cleaned
            return cleaned

    # -- edges

    def add_edge(self, element: GraphElement) -> None:
        # Held until the end: a GraphML edge may name a node declared after it.
        self.edges.append(element)

    def edge_records(self) -> Iterator[Record]:
        relationships: dict[str, Record] = {}
        for ordinal, element in enumerate(self.edges, start=1):
            workbench_written = SCHEMA_ATTRIBUTE in element.attributes
            if workbench_written and PROPERTY_ATTRIBUTE in element.attributes:
                continue  # a drawn reference: the holder's own attribute carries the value
            what = f"edge {element.element_id!r}" if element.element_id else "an edge without an id"
            if not element.source or not element.target:
                self.problem(element.line, f"{what} has no source or target", "the edge")
                continue
            source = self.entity_ids.get(element.source)
            target = self.entity_ids.get(element.target)
            if source is None or target is None:
                missing = dict.fromkeys(end for end, found in ((element.source, source), (element.target, target))
                                        if found is None)
                self.problem(
                    element.line,
                    f"{what} from {element.source!r} to {element.target!r} names "
                    + " and ".join(f"node {end!r}, " + ("which was left out above" if end in self.nodes_left_out
                                                        else "which the file does not hold") for end in missing),
                    "the edge",
                )
                continue
            if workbench_written:
                self._join_relationship(element, source, target, relationships)
                continue
            record = self._foreign_edge(element, ordinal, source, target)
            if record is not None:
                yield record
        yield from relationships.values()

    def _join_relationship(self, element: GraphElement, source: str, target: str,
                           relationships: dict[str, Record]) -> None:
        """A Workbench relationship edge; several edges with one ftm_id are one entity."""
        schema = model.get(element.attributes[SCHEMA_ATTRIBUTE][0])
        if schema is not None and not _is_link_schema(schema):
            self.problem(element.line, f"edge {element.element_id!r}: {schema.name} is not a relationship type",
                         "the edge")
            return
        record = self._workbench_record(element, ends=(source, target))
        if record is None:
            return
        entity_id = record.entity["id"]
        earlier = relationships.get(entity_id)
        if earlier is None:
            if entity_id in self.entities_seen:
                self.problem(element.line, f"edge {element.element_id!r} repeats entity id {entity_id!r}",
                             "the edge")
                return
            relationships[entity_id] = record
            return
        for prop, values in record.entity["properties"].items():
            known = earlier.entity["properties"].setdefault(prop, [])
            known.extend(value for value in values if value not in known)

    def _foreign_edge(self, element: GraphElement, ordinal: int, source: str, target: str) -> Record | None:
        schema = self._schema_for(element, self.edge_type_attribute, self.edge_schema, link=True)
        if element.element_id:
            if element.element_id in self.edge_ids_seen:
                self.problem(element.line, f"edge id {element.element_id!r} is used twice", "the second one")
                return None
            self.edge_ids_seen.add(element.element_id)
            entity_id = _foreign_entity_id(self.prefix, "edge", element.element_id)
        else:
            entity_id = _foreign_entity_id(self.prefix, "link", str(ordinal))
        if entity_id in self.entities_seen:
            self.problem(element.line, f"edge {element.element_id!r} repeats entity id {entity_id!r}", "the edge")
            return None
        self.entities_seen.add(entity_id)
        properties = {schema.source_prop.name: [source], schema.target_prop.name: [target]}
        attributes = dict(element.attributes)
        label = element.label or next(
            (attributes.pop(title)[0] for title in ("label", "Label", "Edge Label") if title in attributes), None
        )
        label_prop = next((name for name in ("role", "summary", "description") if name in schema.properties), None)
        if label and label_prop:
            properties[label_prop] = [label]
        return self._foreign_record(element, schema, entity_id, attributes, properties)


# ---------------------------------------------------------------------------------- importers


class GraphImporter(Importer):
    """Shared by the GEXF and GraphML importers: parameters, mapping, the skipped list.

    After ``read`` has run, ``self.skipped`` lists (file, line and what) every node, edge or
    value left out under ``on_error="skip"``; under ``"stop"`` the first problem raises a
    :class:`SourceFormatError` instead and the host writes nothing.
    """

    handler_class: ClassVar[type[_XmlGraphHandler]] = _XmlGraphHandler
    parameters = {
        "node_schema": Parameter(
            default="LegalEntity", help="Entity type of a foreign node whose type attribute does not name one"
        ),
        "node_type_attribute": Parameter(
            default="", help="Node attribute holding the entity type (a type name, or a value in type_map); "
                             "'label' means the node label"
        ),
        "edge_schema": Parameter(default="UnknownLink", help="Relationship type of a foreign edge"),
        "edge_type_attribute": Parameter(
            default="", help="Edge attribute holding the relationship type (GEXF's 'kind', or 'label')"
        ),
        "type_map": Parameter(
            default="", help="Type attribute values to entity types, e.g. 'person=Person; firm=Company'"
        ),
        "name_attribute": Parameter(default="", help="Node attribute holding the name (default: the label)"),
        "attribute_map": Parameter(
            default="", help="Attributes to FtM properties, e.g. 'Nationality=nationality; Born=birthDate'"
        ),
        "match_property_names": Parameter(
            default=True, help="Map a foreign attribute named like a property of the type (country, email) onto it"
        ),
        "id_prefix": Parameter(default="", help="Prefix of foreign nodes' and edges' entity ids (default: file name)"),
        "on_error": Parameter(
            default="stop", choices=("stop", "skip"),
            help="stop at the first broken element, or skip it and list it in the importer's skipped list",
        ),
    }

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.skipped: list[str] = []
        self.type_map = _parse_pairs(self.options["type_map"], "type_map")
        self.attribute_map = _parse_pairs(self.options["attribute_map"], "attribute_map")
        node_schema = model.get(self.options["node_schema"])
        if node_schema is None or node_schema.abstract or _is_link_schema(node_schema):
            raise ParameterError(f"parameter 'node_schema': {self.options['node_schema']!r} is not a concrete "
                                 "entity type for nodes (e.g. LegalEntity, Person, Company)")
        edge_schema = model.get(self.options["edge_schema"])
        if edge_schema is None or not _is_link_schema(edge_schema):
            links = sorted(name for name, schema in model.schemata.items() if _is_link_schema(schema))
            raise ParameterError(f"parameter 'edge_schema': {self.options['edge_schema']!r} is not a relationship "
                                 f"type; choose one of {', '.join(links)}")
        for value, name in self.type_map.items():
            if _schema_named(name) is None:
                raise ParameterError(f"parameter 'type_map': {value!r} maps to {name!r}, which is no entity type")

    @classmethod
    def sniff(cls, path: Path) -> float:
        """Certain when the file's root element is this format's."""
        try:
            with Path(path).open("rb") as handle:
                head = handle.read(8192)
        except OSError:
            return 0.0
        for match in re.finditer(rb"<([A-Za-z_][\w.:-]*)", head):
            return 0.95 if match.group(1).split(b":")[-1].decode("ascii") == cls.handler_class.root_name else 0.0
        return 0.0

    def read(self, path: Path) -> Iterator[Record]:
        path = Path(path)
        self.skipped.clear()
        mapper = _EntityMapper(self, path)
        handler = self.handler_class(path.name, mapper.problem)
        for element in stream_graph(path, handler):
            if element.kind == "node":
                record = mapper.node_record(element)
                if record is not None:
                    yield record
            else:
                mapper.add_edge(element)
        yield from mapper.edge_records()
        if self.skipped:
            # The host does not show an importer's skipped list yet; the log reaches the terminal.
            shown = " | ".join(self.skipped[:5]) + (" | ..." if len(self.skipped) > 5 else "")
            log.warning("%s: skipped %d item(s): %s", path.name, len(self.skipped), shown)


class GexfImporter(GraphImporter):
    id = "gexf"
    label = "GEXF 1.1 to 1.3 (Gephi)"
    version = "1.0"
    description = (
        "Gephi's graph files. Files Workbench wrote come back as they went out; others are mapped "
        "by parameters, keeping attributes, colours, sizes and positions."
    )
    file_patterns = ("*.gexf",)
    handler_class = _GexfHandler


class GraphmlImporter(GraphImporter):
    id = "graphml"
    label = "GraphML"
    version = "1.0"
    description = (
        "GraphML from Gephi, yEd, Cytoscape or networkx. Files Workbench wrote come back as they "
        "went out; others are mapped by parameters, keeping attributes, colours and positions."
    )
    file_patterns = ("*.graphml",)
    handler_class = _GraphmlHandler
