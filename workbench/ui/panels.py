"""Docked panels: the inspector (a selected entity's facts with their sources, and its relationships)
and the case browser."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.model import model as ftm_model
from workbench.model.grading import parse_grade
from workbench.plugin_api.wording import money
from workbench.store import Case
from workbench.ui.wrapping import wrap_cells

# How a link reads from the entity at its source (other party = target) and at its target
# (other party = source). Schemata not listed read with FtM's own words: its edge label
# ("owes") from the source, the source property's label ("Creditor") from the target.
LINK_WORDS: dict[str, tuple[str, str]] = {
    "Ownership": ("Owner of", "Owned by"),
    "Directorship": ("Director of", "Directed by"),
    "Payment": ("Payment to", "Payment from"),
    "Shipment": ("Shipment to", "Shipment from"),
    "Employment": ("Works for", "Employs"),
    "Membership": ("Member of", "Has member"),
    "Representation": ("Represents", "Represented by"),
    "Family": ("Relative of", "Relative of"),
    "Associate": ("Associate of", "Associate of"),
    "UnknownLink": ("Linked to", "Linked to"),
    "Succession": ("Preceded", "Succeeded"),
    "Debt": ("Lent to", "Borrowed from"),
}


# Where "<property> of <type>" reads badly, for the entity a property names.
NAMED_BY_WORDS: dict[tuple[str, str], str] = {
    ("Sanction", "entity"): "Sanctioned under",
    ("EndUseDocument", "coveredShipment"): "Covered by end-use document",
}


def relationship_label(row: dict[str, Any]) -> str:
    """The kind of link in readable words, seen from the inspected entity (a row of ``Case.relationships``)."""
    schema = ftm_model.get(row["schema"])
    if schema is None:
        return row["prop"] or row["schema"]
    if row["prop"] is not None:
        prop = schema.get(row["prop"])
        if prop is None:
            return row["prop"]
        if row["this_end"] == "source":
            return prop.label  # this entity names the other: "Freight forwarder", "Payer account"
        # The other entity names this one: "Declared end user of shipment", "Issuer of end-use document".
        return NAMED_BY_WORDS.get((row["schema"], row["prop"])) or f"{prop.label} of {schema.label.lower()}"
    if row["this_end"] == "link":
        end = schema.source_prop if row["other_end"] == "source" else schema.target_prop
        return end.label if end is not None else schema.label
    outgoing, incoming = LINK_WORDS.get(row["schema"], (None, None))
    if row["this_end"] == "source":
        return outgoing or (schema.edge_label or schema.label).capitalize()
    return incoming or (schema.source_prop.label if schema.source_prop is not None else schema.label)


def relationship_detail(row: dict[str, Any]) -> str:
    """What a link weighs: an owner's share ("26%"), a payment's or shipment's amount, else a role."""
    if row.get("percentage"):
        share = row["percentage"].strip()
        return share if share.endswith("%") else f"{share}%"
    if row.get("amount") is not None:
        return money(row["amount"], row.get("currency"))
    return row.get("role") or ""


def _period(start: str | None, end: str | None) -> str:
    if start and end and end != start:
        return f"{start} – {end}"
    return start or end or ""


def _fit_columns(tree: QTreeWidget, stretch: int, fixed: dict[int, int] | None = None,
                 max_lines: dict[int, int] | None = None) -> None:
    """Columns as wide as their words, except ``fixed`` ones (column: width, wrapped or elided,
    the analyst can widen them), and one stretching to fill the panel, wrapping what is longer
    (to at most ``max_lines`` lines in the columns given there; the tooltip has the rest)."""
    header = tree.header()
    header.setStretchLastSection(False)
    header.setMinimumSectionSize(36)
    for column in range(tree.columnCount()):
        if column == stretch:
            header.setSectionResizeMode(column, QHeaderView.Stretch)
        elif fixed and column in fixed:
            header.setSectionResizeMode(column, QHeaderView.Interactive)
            tree.setColumnWidth(column, fixed[column])
        else:
            header.setSectionResizeMode(column, QHeaderView.ResizeToContents)
    tree.setRootIsDecorated(False)
    wrap_cells(tree, max_lines)


class InspectorPanel(QWidget):
    """Every value of the selected entity, each with its source and grade; then its relationships.

    Double-clicking a relationship asks for the other party to be selected (``relatedEntityActivated``).
    """

    relatedEntityActivated = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = QLabel("Nothing selected")
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-weight: bold; font-size: 13px; padding: 4px;")
        self.title.setMinimumHeight(48)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Property", "Value", "Grade", "Source"])
        self.tree.setAlternatingRowColors(True)
        # The source is the longest and least read column: narrow, elided, in full as a tooltip.
        _fit_columns(self.tree, stretch=1, fixed={3: 96}, max_lines={3: 1})
        self.relationships = QTreeWidget()
        self.relationships.setHeaderLabels(["With", "Date", "Share / amount"])
        self.relationships.setToolTip("Double-click a relationship to select the other party")
        # One heading row per kind of link ("Owned by (3)"), so the parties get the width.
        _fit_columns(self.relationships, stretch=0, fixed={2: 96}, max_lines={0: 2, 2: 2})
        self.relationships.setIndentation(10)
        self.relationships.itemActivated.connect(self._relationship_activated)
        self.relationships_title = QLabel("Relationships")
        self.relationships_title.setStyleSheet("font-weight: bold; padding: 2px 4px;")
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.relationships_title)
        lower_layout.addWidget(self.relationships)
        self.splitter = QSplitter(Qt.Vertical)
        self.splitter.addWidget(self.tree)
        self.splitter.addWidget(lower)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.add_value_button = QPushButton("Add a value… (Ctrl+Shift+V)")
        self.add_value_button.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.title)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.add_value_button)

    def show_entity(self, case: Case | None, entity_id: str | None, selected_count: int = 1) -> None:
        self.tree.clear()
        self.relationships.clear()
        self.relationships_title.setText("Relationships")
        self.add_value_button.setEnabled(case is not None and entity_id is not None)
        if case is None or entity_id is None:
            self.title.setText("Nothing selected" if selected_count == 0 else f"{selected_count} items selected")
            return
        entity = case.entity(entity_id)
        if entity is None:
            self.title.setText(entity_id)
            return
        aliases = case.aliases_of(entity.id)
        suffix = f"  (also {', '.join(aliases)})" if aliases else ""
        self.title.setText(f"{entity.caption}\n{entity.schema.label} · {entity.id}{suffix}")
        self.title.setToolTip(f"{entity.caption}\n{entity.schema.label} · {entity.id}{suffix}")
        self._show_properties(case, entity)
        self._show_relationships(case, entity.id)

    def show_group(self, summary: dict) -> None:
        """A collapsed (or opened) group: its size and types, its most linked members, its links."""
        self.tree.clear()
        self.relationships.clear()
        self.add_value_button.setEnabled(False)
        state = "collapsed" if summary["collapsed"] else "opened"
        worst = f" · worst open finding: {summary['severity']}" if summary["severity"] else ""
        self.title.setText(f"{summary['name']}\nGroup of {summary['size']:,} entities ({summary['kind']}, {state}){worst}")
        self.title.setToolTip("Double-click the group (or press Enter) to open it; Ctrl+Z closes it again")
        types = QTreeWidgetItem(["Types", ", ".join(f"{count:,} {schema}" for schema, count in summary["types"].items())])
        self.tree.addTopLevelItem(types)
        heading = QTreeWidgetItem([f"Most linked ({len(summary['members'])} of {summary['size']:,})", ""])
        self.tree.addTopLevelItem(heading)
        for entity_id, caption, schema, severity in summary["members"]:
            item = QTreeWidgetItem([schema, caption + (f"  ({severity} finding)" if severity else "")])
            item.setData(0, Qt.UserRole, entity_id)
            heading.addChild(item)
        heading.setExpanded(True)
        self.relationships_title.setText(f"Links to the rest of the chart ({len(summary['links'])})"
                                         if summary["links"] else "No links drawn to the rest of the chart")
        for other, label, count in summary["links"]:
            self.relationships.addTopLevelItem(QTreeWidgetItem([other, "", f"{label}"]))

    def _show_properties(self, case: Case, entity) -> None:
        """One row per value, every value shown; the property's label on the first of its rows."""
        labelled: set[str] = set()
        for statement in sorted(case.statements(entity.id), key=lambda s: self._property_order(entity, s["prop"])):
            prop = entity.schema.get(statement["prop"])
            label = prop.label if prop is not None else statement["prop"]
            value = statement["value"]
            if prop is not None and prop.type.name == "entity":
                value = _caption_of(case, value)
            elif prop is not None and prop.type.name == "country":
                value = f"{prop.type.caption(value)} ({value})"
            grade = f"{statement['reliability']}{statement['credibility']}"
            source = statement["file_name"] or statement["source_kind"]
            locator = statement["locator"] or ""
            where = locator if locator.startswith(source) else f"{source}: {locator}" if locator else source
            item = QTreeWidgetItem(self.tree, ["" if label in labelled else label, value, grade, where])
            labelled.add(label)
            item.setToolTip(0, label)
            item.setToolTip(1, value)
            item.setToolTip(3, f"{where}\nimported {statement['recorded_at']} by {statement['importer_id']}"
                               + ("\nPROTECTED SOURCE" if statement["protected"] else ""))
            if parse_grade(grade).is_weak:
                item.setForeground(1, QColor("#94a3b8"))

    @staticmethod
    def _property_order(entity, prop_name: str) -> tuple[str, str]:
        """Values of one property together, properties in the order of their labels."""
        prop = entity.schema.get(prop_name)
        return ((prop.label if prop is not None else prop_name).casefold(), prop_name)

    def _show_relationships(self, case: Case, entity_id: str) -> None:
        """The entity's links under one heading per kind, each with the other party, date and share or amount."""
        rows = case.relationships(entity_id)
        rows.sort(key=lambda r: (relationship_label(r).casefold(), r["start_date"] or "",
                                 r["other_caption"] or r["other_id"]))
        headings: dict[str, QTreeWidgetItem] = {}
        for row in rows:
            kind = relationship_label(row)
            heading = headings.get(kind)
            if heading is None:
                # Every cell gets a text, "" if empty (see workbench.ui.wrapping).
                heading = headings[kind] = QTreeWidgetItem(self.relationships, [kind, "", ""])
                heading.setFirstColumnSpanned(True)
                heading.setData(0, Qt.UserRole, "")  # no party; and never an unset role (see _activated)
                font = heading.font(0)
                font.setBold(True)
                heading.setFont(0, font)
            other = row["other_caption"] or row["other_id"]
            item = QTreeWidgetItem(heading, [other, row["start_date"] or row["end_date"] or "",
                                             relationship_detail(row)])
            item.setData(0, Qt.UserRole, row["other_id"])
            other_schema = ftm_model.get(row["other_schema"]) if row["other_schema"] else None
            link_schema = ftm_model.get(row["schema"])
            item.setToolTip(0, f"{kind}: {other}\n{other_schema.label if other_schema else ''} · {row['other_id']}"
                               "\nDouble-click to select it")
            item.setToolTip(1, _period(row["start_date"], row["end_date"]))
            item.setToolTip(2, " · ".join(filter(None, [relationship_detail(row), row.get("role"),
                                                         link_schema.label if link_schema else row["schema"]])))
        for kind, heading in headings.items():
            heading.setText(0, f"{kind} ({heading.childCount()})")
        self.relationships.expandAll()
        self.relationships_title.setText(f"Relationships ({len(rows)})" if rows else "No relationships")

    def relationship_rows(self) -> list[tuple[str, str, str, str]]:
        """What the relationships list shows, as (kind, other party, date, share or amount) rows."""
        shown = []
        for i in range(self.relationships.topLevelItemCount()):
            heading = self.relationships.topLevelItem(i)
            kind = heading.text(0).rsplit(" (", 1)[0]
            for j in range(heading.childCount()):
                item = heading.child(j)
                shown.append((kind, item.text(0), item.text(1), item.text(2)))
        return shown

    def _relationship_activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        other_id = item.data(0, Qt.UserRole)  # a party's id, or "" on a heading
        if other_id:
            # Selecting the other party refills this list: let the view finish with the item first.
            QTimer.singleShot(0, lambda: self.relatedEntityActivated.emit(other_id))


def _caption_of(case: Case, entity_id: str) -> str:
    current = case.resolve(entity_id)
    schema = case.schema_of(current)
    return f"{case.caption_of(current)} [{schema}]" if schema else entity_id


# What a case-browser row holds besides its texts (see _browser_item).
ENTITY_ROLE = Qt.UserRole
VIEW_ROLE = Qt.UserRole + 1
SCHEMA_ROLE = Qt.UserRole + 2  # on a type's row: its schema, whose entities are read when it is expanded
MORE_ROLE = Qt.UserRole + 3  # on a "Show more" row: how many of its type's entities are listed before it (else -1)
BROWSER_PAGE = 500  # entities listed per step under a type (a type can have hundreds of thousands)


def _browser_item(parent, texts: list[str], *, entity_id: str = "", view: str = "", schema: str = "",
                  more: int = -1) -> QTreeWidgetItem:
    """A case-browser row holding an entity id, a view name and a type ("" when it is none of them).

    Every role is always set: PySide6 hands back an unset role as a None it does not own, and
    enough of those (a double-click each) crash the interpreter.
    """
    item = QTreeWidgetItem(parent, texts)
    item.setData(0, ENTITY_ROLE, entity_id)
    item.setData(0, VIEW_ROLE, view)
    item.setData(0, SCHEMA_ROLE, schema)
    item.setData(0, MORE_ROLE, more)
    return item


class CaseBrowserPanel(QWidget):
    """Entities by type, sources with grades, saved views. Double-click to find on the chart.

    Opening a case reads only how many entities each type has: a type's entities are read when it
    is expanded, a page at a time ("Show 500 more…"), so that a case of half a million entities
    opens as fast, and in as little memory, as one of a hundred. The filter box above lists the
    entities whose name contains what is typed, under their types.
    """

    entityActivated = Signal(str)
    viewActivated = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.case: Case | None = None
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter entities by name")
        self.filter.setClearButtonEnabled(True)
        self._filter_timer = QTimer(self, singleShot=True, interval=250, timeout=self._refilter)
        self.filter.textChanged.connect(lambda _text: self._filter_timer.start())
        self.filter.returnPressed.connect(self._refilter)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Case", ""])
        self.tree.setColumnWidth(0, 230)
        self.tree.itemActivated.connect(self._activated)
        self.tree.itemExpanded.connect(self._expanded)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree)
        self._entities: QTreeWidgetItem | None = None

    def load(self, case: Case | None) -> None:
        """Show ``case``: its types with their counts, sources and saved views (types expanded before stay so)."""
        expanded = self._expanded_types() if case is not None and case is self.case else set()
        self.case = case
        self._filter_timer.stop()
        self.tree.clear()
        self._entities = None
        if case is None:
            return
        self._entities = _browser_item(self.tree, ["Entities", ""])
        self._fill_types(expanded)
        sources = _browser_item(self.tree, ["Sources", ""])
        for source in case.sources():
            flag = " 🔒" if source["protected"] else ""
            item = _browser_item(sources, [f"{source['file_name']}{flag}", f"{source['reliability']}{source['credibility']}"])
            item.setToolTip(0, f"{source['importer_id']} {source['importer_version']}, {source['imported_at']}\n{source['sha256']}")
        sources.setText(1, str(sources.childCount()))
        views = _browser_item(self.tree, ["Saved views", ""])
        for name in sorted(case.saved_views()):
            _browser_item(views, [name, ""], view=name)
        self._entities.setExpanded(True)
        sources.setExpanded(True)

    def _filter_text(self) -> str | None:
        return self.filter.text().strip() or None

    def _fill_types(self, expanded: set[str] = frozenset()) -> None:
        """One row per type with how many entities it has (or match the filter); its entities come on expanding."""
        entities = self._entities
        entities.takeChildren()
        where = self._filter_text()
        counts = list(self.case.counts_by_schema(matching=where).items())
        for schema, count in counts:
            label = ftm_model.get(schema).plural if ftm_model.get(schema) else schema
            group = _browser_item(entities, [label, f"{count:,}"], schema=schema)
            group.setChildIndicatorPolicy(QTreeWidgetItem.ShowIndicator)
            if schema in expanded or (where and len(counts) <= 3):
                group.setExpanded(True)  # reads its first page (see _expanded)
                self._expanded(group)
        total = sum(count for _, count in counts)
        entities.setText(1, f"{total:,}")
        if where and not counts:
            entities.setText(0, "Entities: none match")
        else:
            entities.setText(0, "Entities")

    def _refilter(self) -> None:
        self._filter_timer.stop()
        if self.case is not None and self._entities is not None:
            self._fill_types(self._expanded_types())

    def _expanded_types(self) -> set[str]:
        if self._entities is None:
            return set()
        return {self._entities.child(i).data(0, SCHEMA_ROLE) for i in range(self._entities.childCount())
                if self._entities.child(i).isExpanded()}

    def _expanded(self, item: QTreeWidgetItem) -> None:
        schema = item.data(0, SCHEMA_ROLE)
        if schema and item.childCount() == 0:
            self._fill_page(item, 0)

    def _fill_page(self, group: QTreeWidgetItem, offset: int) -> None:
        """The next page of a type's entities by name, and a "Show more" row if there are more."""
        if self.case is None:
            return
        schema = group.data(0, SCHEMA_ROLE)
        rows = self.case.entity_page(schema, matching=self._filter_text(), limit=BROWSER_PAGE + 1, offset=offset)
        for entity_id, caption in rows[:BROWSER_PAGE]:
            _browser_item(group, [caption or entity_id, ""], entity_id=entity_id)
        if len(rows) > BROWSER_PAGE:
            listed = offset + BROWSER_PAGE
            total = group.text(1).replace(",", "")
            left = int(total) - listed if total.isdigit() else 0
            more = _browser_item(group, [f"Show {min(left, BROWSER_PAGE):,} more of {left:,}…", ""], more=listed)
            more.setToolTip(0, "Double-click (or Enter) to list more; or type a name in the filter above")
            font = more.font(0)
            font.setItalic(True)
            more.setFont(0, font)

    def entity_rows(self, schema: str) -> list[tuple[str, str]]:
        """The (entity id, shown name) rows listed under a type now (read when it was expanded)."""
        if self._entities is None:
            return []
        for i in range(self._entities.childCount()):
            group = self._entities.child(i)
            if group.data(0, SCHEMA_ROLE) == schema:
                return [(group.child(j).data(0, ENTITY_ROLE), group.child(j).text(0)) for j in range(group.childCount())
                        if group.child(j).data(0, ENTITY_ROLE)]
        return []

    def type_item(self, schema: str) -> QTreeWidgetItem | None:
        if self._entities is None:
            return None
        return next((self._entities.child(i) for i in range(self._entities.childCount())
                     if self._entities.child(i).data(0, SCHEMA_ROLE) == schema), None)

    def _activated(self, item: QTreeWidgetItem) -> None:
        more = item.data(0, MORE_ROLE)
        if isinstance(more, int) and more >= 0:
            group = item.parent()
            # Listing the next page replaces this row: let the view finish with the item first.
            QTimer.singleShot(0, lambda: self._show_more(group, item, more))
            return
        entity_id = item.data(0, ENTITY_ROLE)
        if entity_id:
            self.entityActivated.emit(entity_id)
        view = item.data(0, VIEW_ROLE)
        if view:
            self.viewActivated.emit(view)

    def _show_more(self, group: QTreeWidgetItem, more_item: QTreeWidgetItem, offset: int) -> None:
        index = group.indexOfChild(more_item)
        if index < 0:
            return
        group.takeChild(index)
        self._fill_page(group, offset)
