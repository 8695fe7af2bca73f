"""Legends: the keys a reader needs for a chart or a timeline, and how each key's swatch is drawn.

The Legend dock and the pictures (PNG, SVG, PDF, the report's figures) show the same keys drawn
the same way: the chart's own icons, link colours, dashes and rings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QTransform

from workbench.analysis.timeline_model import TimelineModel
from workbench.palette import (
    DEFAULT_LINK_COLOUR,
    GROUP_RINGS,
    HIGHLIGHT_COLOUR,
    LINK_COLOURS,
    LISTED_COLOUR,
    SELECTION_COLOUR,
)
from workbench.ui.chart_model import GROUP_LINKS_DRAWN, ChartModel
from workbench.ui.styles import link_pen, node_colour, node_icon


@dataclass
class LegendEntry:
    """One key of a legend: ``kind`` says how its swatch is drawn.

    ``node``: the icon of entity type ``schema`` in ``colour``; ``link``: a line in ``colour``
    (dashed when ``dashed``); ``ring``: a ring; ``mark``: a dot; ``bar``: a thick bar;
    ``note``: text only.
    """

    label: str
    kind: str
    colour: str = DEFAULT_LINK_COLOUR
    schema: str = ""
    dashed: bool = False


@dataclass
class LegendSection:
    title: str
    entries: list[LegendEntry] = field(default_factory=list)


def chart_legend(model: ChartModel, *, show_selection: bool = False) -> list[LegendSection]:
    """The keys a reader needs for this chart: the entity and link types on it, and the grades."""
    visible = model.visible if len(model.visible) == len(model.ids) else np.ones(len(model.ids), dtype=bool)
    schemata = sorted({model.schemata[i] for i in np.flatnonzero(visible)})
    mask = model.link_mask() if len(model.links) else np.zeros(0, dtype=bool)
    ends = model.all_link_ends()
    shown = mask & visible[ends[:, 0]] & visible[ends[:, 1]] if len(ends) else np.zeros(0, dtype=bool)
    shown_links = [model.links[k] for k in np.flatnonzero(shown)]
    sections = []
    entities = LegendSection("Entities")
    for schema in schemata:
        entities.entries.append(LegendEntry(type_label(schema), "node", node_colour(schema).name(), schema=schema))
    if len(model.topics) == len(model.ids) and (model.listed & visible).any():
        entities.entries.append(LegendEntry("listed party (sanctions, export control)", "ring", LISTED_COLOUR))
    drawn_groups = [g for g in range(len(model.group_names)) if visible[model.entity_count + g]] \
        if len(visible) == len(model.ids) else []
    for severity in ("high", "medium"):
        if any(model.group_severity[g] == severity for g in drawn_groups):
            entities.entries.append(LegendEntry(f"group with a {severity}-severity open finding", "ring",
                                                GROUP_RINGS[severity]))
    if entities.entries:
        sections.append(entities)
    # One key per link colour: a relationship type, with the references its entities hold (a
    # shipment's forwarder) named after it, since they are drawn in the same colour.
    references: dict[str, set[str]] = {}
    for link in shown_links:
        names = references.setdefault(link.schema, set())
        if link.prop is not None:
            names.add(link.prop)
    links = LegendSection("Links")
    for schema in sorted(references):
        props = sorted(references[schema])
        label = type_label(schema) + (f" ({', '.join(type_label(p).lower() for p in props)})" if props else "")
        links.entries.append(LegendEntry(label, "link", LINK_COLOURS.get(schema, DEFAULT_LINK_COLOUR)))
    if links.entries:
        sections.append(links)
    evidence = LegendSection("Evidence")
    grades = {link.weak for link in shown_links}
    if False in grades or not grades:
        evidence.entries.append(LegendEntry("solid: graded A-C and 1-3", "link", "#64748b"))
    if True in grades:
        evidence.entries.append(LegendEntry("dashed: weak (D-F or 4-6) or ungraded", "link", "#64748b", dashed=True))
    if model.highlighted_links:
        evidence.entries.append(LegendEntry("highlighted: evidence of the findings shown", "link", HIGHLIGHT_COLOUR))
    if model.focus:
        evidence.entries.append(LegendEntry("faded: not part of the evidence", "note"))
    if show_selection and model.selected:
        evidence.entries.append(LegendEntry("selected", "ring", SELECTION_COLOUR))
    sections.append(evidence)
    notes = []
    if model.coloured_by_measure:
        notes.append(LegendEntry("node colours show communities, not types", "note"))
    if model.group_links_left_out:
        notes.append(LegendEntry(f"between groups, only each group's {GROUP_LINKS_DRAWN} strongest links are drawn",
                                 "note"))
    if model.style_note:
        notes.append(LegendEntry(model.style_note, "note"))
    if notes:
        sections.append(LegendSection("Styling", notes))
    return sections


def timeline_legend(model: TimelineModel, *, selected: bool = False) -> list[LegendSection]:
    """Keys for a timeline: the kinds of events (by colour), their size, and the period bars."""
    events = LegendSection("Events")
    for name in model.kind_names:
        events.entries.append(LegendEntry(type_label(name), "mark", LINK_COLOURS.get(name, "#64748b")))
    if len(model.amounts) and np.nanmax(model.amounts) > 0:
        events.entries.append(LegendEntry("mark size: amount", "note"))
    sections = [events] if events.entries else []
    periods = LegendSection("Periods")
    if model.bars:
        kinds = sorted({schema for _, _, _, schema in model.bars})
        periods.entries.append(LegendEntry(" and ".join(type_label(k).lower() for k in kinds) + " (to its end, or ongoing)",
                                           "bar", "#94a3b8"))
    if selected:
        periods.entries.append(LegendEntry("selected", "ring", SELECTION_COLOUR))
    if periods.entries:
        sections.append(periods)
    return sections


def type_label(name: str) -> str:
    """``UnknownLink`` → ``Unknown link``, ``notifyParty`` → ``Notify party``."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).split()
    if not words:
        return name
    return " ".join([words[0][:1].upper() + words[0][1:]] + [w.lower() for w in words[1:]])


def paint_swatch(painter: QPainter, entry: LegendEntry, rect: QRectF) -> None:
    """Draw the swatch of one key (an icon, a line, a ring, a dot or a bar) centred in ``rect``."""
    centre = rect.center()
    colour = QColor(entry.colour)
    painter.save()
    if entry.kind == "node":
        # The chart's own icon path (unit size) at the chart's node size, in the type's colour.
        icon = QTransform().translate(centre.x(), centre.y()).scale(18, 18).map(node_icon(entry.schema))
        painter.setPen(QPen(colour.darker(140), 1))
        painter.setBrush(QBrush(colour))
        painter.drawPath(icon)
    elif entry.kind == "link":
        if entry.colour == HIGHLIGHT_COLOUR:
            pen = QPen(colour, 4)
        else:
            pen = link_pen("", entry.dashed, width=2.0)
            pen.setCosmetic(False)
            tinted = QColor(colour)
            tinted.setAlpha(pen.color().alpha())
            pen.setColor(tinted)
        painter.setPen(pen)
        painter.drawLine(QPointF(rect.left() + 2, centre.y()), QPointF(rect.right() - 2, centre.y()))
    elif entry.kind == "ring":
        painter.setPen(QPen(colour, 2.5))
        painter.setBrush(Qt.NoBrush)
        painter.drawEllipse(centre, 8, 8)
    elif entry.kind == "mark":
        painter.setPen(Qt.NoPen)
        painter.setBrush(QBrush(colour))
        painter.drawEllipse(centre, 5, 5)
    elif entry.kind == "bar":
        painter.setPen(QPen(QColor(148, 163, 184, 160), 4, Qt.SolidLine, Qt.FlatCap))
        painter.drawLine(QPointF(rect.left() + 2, centre.y()), QPointF(rect.right() - 2, centre.y()))
    painter.restore()


__all__ = ["LegendEntry", "LegendSection", "chart_legend", "paint_swatch", "timeline_legend", "type_label"]
