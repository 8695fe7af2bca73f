"""Tooltips on the chart's entities and links and on the timeline's marks.

Resting the pointer on an icon, a link or a payment tells what it is without a click: its
caption, its type, the few facts that matter (country, dates, amount, share, role, goods),
its grade and where it came from. The chart view is left alone: this module listens to the
scene's mouse moves (pyqtgraph's ``sigMouseMoved``), finds the entity with
``ChartView.node_at`` and the link with :func:`link_at` (all links in one numpy pass), and
shows a ``QToolTip``. Nothing is asked of the case until the pointer settles on a new item.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication, QToolTip

from workbench.analysis.graph import ONGOING_SCHEMATA
from workbench.model import model as ftm_model
from workbench.model.grading import parse_grade
from workbench.model.provenance import place_in_source
from workbench.plugin_api.wording import shorten
from workbench.store import Case
from workbench.ui.chart_model import ChartModel, money
from workbench.ui.chart_view import ChartView
from workbench.ui.legend import type_label

#: How near (in screen pixels) the pointer must come to a link's line to be on it.
LINK_HIT_PIXELS = 5.0
#: How near to a timeline mark's centre, in pixels.
MARK_HIT_PIXELS = 8.0
MAX_FACTS = 7
MAX_SOURCES = 3
#: Properties worth a line in a tooltip, by name, before the countries and dates every type has.
_KEY_PROPERTIES = ("role", "percentage", "goodsDescription", "hsCode", "purpose", "program", "reason",
                   "registrationNumber", "imoNumber", "iban", "accountNumber", "bankName", "status")
_FACT_TYPES = ("country", "date")
_SKIPPED = {"name", "alias", "amount", "currency", "amountUsd", "amountEur", "sourceUrl", "publisher", "modifiedAt",
            "retrievedAt", "createdAt", "indexText"}


# ---------------------------------------------------------------------------------- texts


def entity_tooltip(case: Case | None, model: ChartModel, index: int) -> str:
    """What a tooltip says about entity ``index`` of ``model``: caption, type, facts, grade, sources."""
    if index >= model.entity_count and model.group_names:
        summary = model.group_summary(index - model.entity_count, top=5)
        lines = [f"<b>{html.escape(summary['name'])}</b>",
                 f"Group of {summary['size']:,} entities: "
                 + html.escape(", ".join(f"{count:,} {schema}" for schema, count in summary["types"].items()))]
        if summary["severity"]:
            lines.append(f"Worst open finding among them: {summary['severity']}")
        lines.append("Most linked: " + html.escape(", ".join(caption for _, caption, _, _ in summary["members"])))
        lines.append("<i>Double-click to open it in place</i>")
        return "<br>".join(lines)
    entity_id = model.ids[index]
    schema = model.schemata[index]
    lines = [f"<b>{html.escape(model.captions[index])}</b>", html.escape(_schema_label(schema))]
    proxy = case.entity(entity_id) if case is not None else None
    if proxy is not None:
        lines += [html.escape(line) for line in key_facts(proxy)]
    listed = [t for t in model.topics[index] if t.startswith(("sanction", "export.control", "debarment"))] \
        if index < len(model.topics) else []
    if listed:
        lines.append("<span style='color:#b91c1c'>Listed: " + html.escape(", ".join(listed)) + "</span>")
    lines.append(_grade_line(model.grades[index] if index < len(model.grades) else None))
    if case is not None:
        lines.append(_sources_line(case, entity_id))
    return "<br>".join(line for line in lines if line)


def relationship_tooltip(case: Case | None, via: str, schema: str, source: str, target: str, *,
                         prop: str | None = None, directed: bool = True, grade: str | None = None,
                         attrs: dict | None = None, more: int = 0) -> str:
    """What a tooltip says about one relationship (a link, a timeline mark).

    ``via`` is the relationship's entity (a payment) or, for a reference (a shipment's
    forwarder), the entity holding it; ``attrs`` the chart graph's edge attributes when known.
    """
    arrow = "→" if directed else "—"
    kind = _schema_label(schema) if prop is None else f"{_schema_label(schema)} · {type_label(prop).lower()}"
    lines = [f"<b>{html.escape(source)} {arrow} {html.escape(target)}</b>", html.escape(kind)]
    attrs = attrs or {}
    proxy = case.entity(via) if case is not None and via else None
    facts = []
    start, end = attrs.get("start"), attrs.get("end")
    if start:
        if end and end != start:
            facts.append(f"Dates: {start} to {end}")
        else:
            facts.append(f"{'Since' if schema in ONGOING_SCHEMATA else 'Date'}: {start}")
    if attrs.get("amount") is not None and prop is None:
        facts.append(f"Amount: {_full_money(attrs['amount'], attrs.get('currency'))}")
    if proxy is not None and prop is None:
        if not start:
            facts += [f for f in key_facts(proxy, dates_only=True)]
        if attrs.get("amount") is None:
            facts += _amount_facts(proxy)
        facts += [f for f in key_facts(proxy, dates=False)]
    lines += [html.escape(f) for f in facts[:MAX_FACTS]]
    if grade is None and proxy is not None and case is not None:
        grade = case.grade_of(proxy.id)
    lines.append(_grade_line(grade, link=True))
    if case is not None and via:
        lines.append(_sources_line(case, via))
    if more:
        lines.append(f"<i>and {more} more link{'s' if more != 1 else ''} between these two</i>")
    return "<br>".join(line for line in lines if line)


def link_tooltip(case: Case | None, model: ChartModel, k: int) -> str:
    """The tooltip of link ``k`` of ``model``."""
    link = model.links[k]
    if k in model.aggregates:
        held = model.aggregates[k]
        return (f"<b>{html.escape(model.captions[link.source])} — {html.escape(model.captions[link.target])}</b><br>"
                f"{len(held):,} links summed up: {html.escape(link.label)}<br>"
                "<i>Open the group to see each of them</i>")
    attrs = link.attrs or {"amount": link.amount, "currency": link.currency}
    ends = {link.source, link.target}
    more = sum(1 for j, other in enumerate(model.links) if j != k and {other.source, other.target} == ends) \
        if len(model.links) <= 50_000 else 0
    return relationship_tooltip(case, link.via, link.schema, model.captions[link.source], model.captions[link.target],
                                prop=link.prop, directed=link.directed, grade=attrs.get("grade"), attrs=attrs, more=more)


def key_facts(proxy, *, dates: bool = True, dates_only: bool = False) -> list[str]:
    """A few "Label: value" lines for an FtM entity: its telling properties, countries and dates."""
    schema = proxy.schema
    lines = []
    seen = set()
    shown_countries: set[str] = set()

    def add(prop_name: str) -> None:
        prop = schema.get(prop_name)
        if prop is None or prop_name in seen or prop_name in _SKIPPED:
            return
        values = proxy.get(prop_name, quiet=True)
        if not values:
            return
        seen.add(prop_name)
        if prop.type.name == "entity":
            return
        shown = [prop.type.caption(v) or v if prop.type.name == "country" else v for v in values[:3]]
        text = ", ".join(shown) + (f" (+{len(values) - 3})" if len(values) > 3 else "")
        if prop.type.name == "country" and text in shown_countries:
            return  # a company's jurisdiction and country are most often the same
        shown_countries.add(text)
        label = prop.label
        if prop_name == "percentage":
            label, text = "Share", text.rstrip("%") + "%"
        lines.append(f"{label}: {shorten(text, 90)}")

    if not dates_only:
        for name in _KEY_PROPERTIES:
            add(name)
        for name, prop in schema.properties.items():
            if prop.type.name == "country":
                add(name)
    if dates or dates_only:
        for name, prop in schema.properties.items():
            if prop.type.name == "date":
                add(name)
    return lines[:MAX_FACTS]


def _amount_facts(proxy) -> list[str]:
    amounts = proxy.get("amount", quiet=True)
    if not amounts:
        return []
    try:
        value = float(amounts[0])
    except ValueError:
        return [f"Amount: {amounts[0]}"]
    currencies = proxy.get("currency", quiet=True)
    return [f"Amount: {_full_money(value, currencies[0] if currencies else None)}"]


def _full_money(amount: float, currency: str | None) -> str:
    text = f"{amount:,.2f}".rstrip("0").rstrip(".")
    short = money(amount, currency)
    return f"{currency + ' ' if currency else ''}{text}" + (f" ({short})" if abs(amount) >= 1e4 else "")


def _schema_label(schema: str) -> str:
    found = ftm_model.get(schema)
    return found.label if found is not None else type_label(schema)


def _grade_line(grade: str | None, link: bool = False) -> str:
    if not grade:
        return "Grade: none" + (" (drawn dashed)" if link else "")
    try:
        parsed = parse_grade(grade)
    except ValueError:
        return f"Grade: {html.escape(grade)}"
    weak = " · weak" + (" (drawn dashed)" if link else "") if parsed.is_weak else ""
    return f"Grade: {parsed} ({html.escape(parsed.description)}){weak}"


def _sources_line(case: Case, entity_id: str) -> str:
    rows = case.places_in_sources(entity_id)
    if not rows:
        return ""
    names: list[str] = []
    for name, locator in rows:
        text = place_in_source(name, locator) if len(rows) == 1 else name
        if text not in names:
            names.append(text)
    extra = f" (+{len(names) - MAX_SOURCES})" if len(names) > MAX_SOURCES else ""
    return "Source: " + html.escape(", ".join(names[:MAX_SOURCES]) + extra)


# ---------------------------------------------------------------------------------- hit tests


def link_at(chart: ChartView, scene_pos: QPointF, tolerance: float = LINK_HIT_PIXELS,
            ends: np.ndarray | None = None) -> int | None:
    """The drawn link nearest ``scene_pos`` within ``tolerance`` screen pixels, or None.

    The distance from the point to every drawn link's segment is measured in pixels at once
    (numpy); ``ends`` is the (links, 2) array of each link's entity indices, when cached.
    """
    model = chart.model
    if not len(model.links):
        return None
    if ends is None:
        ends = link_ends(model)
    shown = model.shown
    drawn = shown[ends[:, 0]] & shown[ends[:, 1]] & model.link_mask()
    if not drawn.any():
        return None
    view = chart.viewbox.mapSceneToView(scene_pos)
    pixel_w, pixel_h = chart.viewbox.viewPixelSize()
    # In pixels, so a link is as easy to hit zoomed in as zoomed out.
    pos = np.nan_to_num(model.positions) / (pixel_w, pixel_h)
    point = np.array([view.x() / pixel_w, view.y() / pixel_h])
    candidates = np.flatnonzero(drawn)
    a, b = pos[ends[candidates, 0]], pos[ends[candidates, 1]]
    along = b - a
    length2 = (along**2).sum(axis=1)
    t = np.clip(((point - a) * along).sum(axis=1) / np.where(length2 > 0, length2, 1.0), 0.0, 1.0)
    distance = np.hypot(*(a + t[:, None] * along - point).T)
    best = int(np.argmin(distance))
    return int(candidates[best]) if distance[best] <= tolerance else None


def link_ends(model: ChartModel) -> np.ndarray:
    return np.array([(link.source, link.target) for link in model.links], dtype=int).reshape(-1, 2)


# ---------------------------------------------------------------------------------- attaching


class _Tooltips:
    """Follows the pointer over a view: a new item under it gets its tooltip, empty space none.

    A subclass says what is under a point (``item_at``), what its tooltip says (``text_for``)
    and on which graphics view it shows (``view``).
    """

    last_text = ""
    _under: Any = None

    def item_at(self, scene_pos: QPointF) -> Any:
        raise NotImplementedError

    def text_for(self, item: Any) -> str:
        raise NotImplementedError

    def view(self) -> Any:
        raise NotImplementedError

    def text_at(self, scene_pos: QPointF) -> str:
        """The tooltip text for ``scene_pos``, empty over empty space."""
        item = self.item_at(scene_pos)
        return self.text_for(item) if item is not None else ""

    def hover(self, scene_pos: QPointF) -> None:
        if QApplication.mouseButtons() != Qt.NoButton:
            return  # dragging a node or panning: a tooltip would hide what moves
        item = self.item_at(scene_pos)
        if item == self._under:
            return
        self._under = item
        self.last_text = self.text_for(item) if item is not None else ""
        view = self.view()
        if self.last_text:
            QToolTip.showText(view.viewport().mapToGlobal(view.mapFromScene(scene_pos)), self.last_text, view)
        else:
            QToolTip.hideText()


class ChartTooltips(_Tooltips):
    """Shows a tooltip for the entity or link under the pointer on a :class:`ChartView`."""

    def __init__(self, chart: ChartView, case_of: Callable[[], Case | None]):
        self.chart = chart
        self.case_of = case_of
        self._ends: np.ndarray | None = None
        chart.model.subscribe(self._on_model)
        chart.scene().sigMouseMoved.connect(self.hover)

    def _on_model(self, what: str) -> None:
        if what == "reset":
            self._ends = None
            self._under = None

    def view(self) -> ChartView:
        return self.chart

    def item_at(self, scene_pos: QPointF) -> tuple[str, int] | None:
        """``("entity", index)``, ``("link", index)`` or None for what is under ``scene_pos``."""
        if not len(self.chart.model.ids):
            return None
        node = self.chart.node_at(scene_pos)
        if node is not None:
            return "entity", node
        if self._ends is None:
            self._ends = link_ends(self.chart.model)
        link = link_at(self.chart, scene_pos, ends=self._ends)
        return ("link", link) if link is not None else None

    def text_for(self, target: tuple[str, int]) -> str:
        kind, index = target
        model = self.chart.model
        if kind == "entity":
            return entity_tooltip(self.case_of(), model, index)
        return link_tooltip(self.case_of(), model, index)


class TimelineTooltips(_Tooltips):
    """Shows a tooltip for the payment or shipment mark under the pointer on a timeline."""

    def __init__(self, timeline, case_of: Callable[[], Case | None]):
        self.timeline = timeline
        self.case_of = case_of
        timeline.lanes_plot.scene().sigMouseMoved.connect(self.hover)

    def view(self) -> Any:
        return self.timeline.lanes_plot

    def item_at(self, scene_pos: QPointF) -> int | None:
        """The index of the timeline event whose mark is under ``scene_pos``, or None."""
        timeline = self.timeline
        model = timeline.model
        if not len(model.times) or not timeline.marks.isVisible() or not len(timeline.marks.data):
            return None  # no marks drawn (an empty case, or a density image of too many)
        box = timeline.lanes_plot.getViewBox()
        if not box.sceneBoundingRect().contains(scene_pos):
            return None
        view = box.mapSceneToView(scene_pos)
        pixel_w, pixel_h = box.viewPixelSize()
        window = model.in_range(view.x() - MARK_HIT_PIXELS * pixel_w, view.x() + MARK_HIT_PIXELS * pixel_w)
        if window.stop <= window.start:
            return None
        times = model.times[window]
        lanes = model.lane_of[window] + model.offsets[window]
        distance = np.hypot((times - view.x()) / pixel_w, (lanes - view.y()) / pixel_h)
        best = int(np.argmin(distance))
        return window.start + best if distance[best] <= MARK_HIT_PIXELS else None

    def text_for(self, event: int) -> str:
        model = self.timeline.model
        case = self.case_of()
        via = str(model.via[event])
        schema = model.kind_names[int(model.kinds[event])] if len(model.kind_names) else ""
        source = model.lane_captions[int(model.lane_of[event])]
        other = int(model.other_lane[event])
        target = model.lane_captions[other] if other >= 0 else ""
        attrs: dict = {}
        if case is not None:
            link = case.own_link(via)
            if link is not None:
                attrs = {key: link[key] for key in ("start", "end", "amount", "currency", "grade")}
                target = target or link["target_caption"] or ""
        return relationship_tooltip(case, via, schema, source, target or "?", grade=attrs.get("grade"), attrs=attrs)

    event_at = item_at


def attach_tooltips(window) -> tuple[ChartTooltips, TimelineTooltips]:
    """Tooltips on ``window``'s chart and timeline, reading facts from its open case."""
    case_of = lambda: window.case  # noqa: E731  (the window opens other cases later)
    return ChartTooltips(window.chart, case_of), TimelineTooltips(window.timeline, case_of)
