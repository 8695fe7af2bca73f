"""How entity and link types look: icon shapes, colours, pens. One place, used by every view."""

from __future__ import annotations

import math
from functools import lru_cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPen, QPolygonF, QTransform

from workbench.palette import WEAK_LINK_ALPHA, family, link_colour_hex, node_colour_hex


def node_colour(schema: str) -> QColor:
    return QColor(node_colour_hex(schema))


def link_pen(schema: str, weak: bool, width: float = 1.6) -> QPen:
    pen = QPen(QColor(link_colour_hex(schema)))
    pen.setWidthF(width)
    pen.setCosmetic(True)
    if weak:
        # Weak evidence looks weak: a dashed, lighter line. Not much lighter: at alpha 150 a
        # weak payment and a weak unknown link were the same grey to deuteranopes (CIEDE2000
        # 1.3); at WEAK_LINK_ALPHA they stay apart (tests/test_palette.py).
        pen.setStyle(Qt.DashLine)
        colour = pen.color()
        colour.setAlpha(WEAK_LINK_ALPHA)
        pen.setColor(colour)
    return pen


def _person() -> QPainterPath:
    path = QPainterPath()
    path.addEllipse(QRectF(-0.18, -0.5, 0.36, 0.36))
    path.moveTo(-0.42, 0.5)
    path.cubicTo(-0.42, -0.05, 0.42, -0.05, 0.42, 0.5)
    path.closeSubpath()
    return path


def _building() -> QPainterPath:
    path = QPainterPath()
    path.addRect(QRectF(-0.4, -0.2, 0.8, 0.7))
    path.addPolygon(QPolygonF([QPointF(-0.48, -0.2), QPointF(0.0, -0.5), QPointF(0.48, -0.2)]))
    path.closeSubpath()
    return path


def _organisation() -> QPainterPath:
    path = QPainterPath()
    points = [QPointF(0.5 * math.cos(a), 0.5 * math.sin(a)) for a in (math.pi / 3 * k + math.pi / 6 for k in range(6))]
    path.addPolygon(QPolygonF(points))
    path.closeSubpath()
    return path


def _bank() -> QPainterPath:
    path = QPainterPath()
    path.addPolygon(QPolygonF([QPointF(-0.5, -0.2), QPointF(0.0, -0.5), QPointF(0.5, -0.2)]))
    path.closeSubpath()
    for x in (-0.35, -0.08, 0.19):
        path.addRect(QRectF(x, -0.12, 0.16, 0.5))
    path.addRect(QRectF(-0.5, 0.4, 1.0, 0.1))
    return path


def _ship() -> QPainterPath:
    path = QPainterPath()
    path.addPolygon(QPolygonF([QPointF(-0.5, 0.05), QPointF(0.5, 0.05), QPointF(0.32, 0.4), QPointF(-0.32, 0.4)]))
    path.closeSubpath()
    path.addRect(QRectF(-0.15, -0.4, 0.3, 0.4))
    return path


def _document() -> QPainterPath:
    path = QPainterPath()
    path.addPolygon(QPolygonF([QPointF(-0.35, -0.5), QPointF(0.15, -0.5), QPointF(0.35, -0.3),
                               QPointF(0.35, 0.5), QPointF(-0.35, 0.5)]))
    path.closeSubpath()
    return path


def _flag() -> QPainterPath:
    path = QPainterPath()
    path.addRect(QRectF(-0.4, -0.5, 0.08, 1.0))
    path.addPolygon(QPolygonF([QPointF(-0.32, -0.5), QPointF(0.45, -0.3), QPointF(-0.32, -0.08)]))
    path.closeSubpath()
    return path


def _diamond() -> QPainterPath:
    path = QPainterPath()
    path.addPolygon(QPolygonF([QPointF(0, -0.5), QPointF(0.5, 0), QPointF(0, 0.5), QPointF(-0.5, 0)]))
    path.closeSubpath()
    return path


def _group() -> QPainterPath:
    """A plain disc, unlike every entity type's icon: many parties drawn as one (a collapsed group)."""
    path = QPainterPath()
    path.setFillRule(Qt.WindingFill)
    path.addEllipse(QRectF(-0.5, -0.5, 1.0, 1.0))
    return path


_ICONS = {
    "Group": _group,
    "Person": _person,
    "Company": _building,
    "Organization": _organisation,
    "PublicBody": _organisation,
    "BankAccount": _bank,
    "Vessel": _ship,
    "Airplane": _ship,
    "Sanction": _flag,
    "EndUseDocument": _document,
}


@lru_cache(maxsize=None)
def node_icon(schema: str) -> QPainterPath:
    """A unit-size icon path for pyqtgraph's ScatterPlotItem (one shape per entity type)."""
    maker = _ICONS.get(schema) or _ICONS.get(family(schema)) or _diamond
    return maker()


@lru_cache(maxsize=None)
def arrow_symbol(step: int) -> QPainterPath:
    """An arrowhead pointing at angle ``step * 10`` degrees (screen y down), pre-rotated."""
    path = QPainterPath()
    path.addPolygon(QPolygonF([QPointF(0.5, 0), QPointF(-0.4, -0.35), QPointF(-0.4, 0.35)]))
    path.closeSubpath()
    return QTransform().rotate(step * 10).map(path)
