"""Docked panels: the inspector (a selected entity's facts with their sources) and the case browser."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.model import model as ftm_model
from workbench.model.grading import parse_grade
from workbench.store import Case


class InspectorPanel(QWidget):
    """Every value of the selected entity, each with its source, locator, grade and time."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = QLabel("Nothing selected")
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-weight: bold; font-size: 13px; padding: 4px;")
        self.title.setMinimumHeight(48)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Property", "Value", "Grade", "Source"])
        self.tree.setColumnWidth(0, 120)
        self.tree.setColumnWidth(1, 220)
        self.tree.setColumnWidth(2, 45)
        self.tree.setAlternatingRowColors(True)
        self.add_value_button = QPushButton("Add a value… (Ctrl+Shift+V)")
        self.add_value_button.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.title)
        layout.addWidget(self.tree)
        layout.addWidget(self.add_value_button)

    def show_entity(self, case: Case | None, entity_id: str | None, selected_count: int = 1) -> None:
        self.tree.clear()
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
        groups: dict[str, QTreeWidgetItem] = {}
        for statement in case.statements(entity.id):
            prop = entity.schema.get(statement["prop"])
            label = prop.label if prop is not None else statement["prop"]
            value = statement["value"]
            if prop is not None and prop.type.name == "entity":
                value = _caption_of(case, value)
            elif prop is not None and prop.type.name == "country":
                value = f"{prop.type.caption(value)} ({value})"
            group = groups.get(label)
            if group is None:
                group = QTreeWidgetItem(self.tree, [label])
                group.setFirstColumnSpanned(False)
                groups[label] = group
            grade = f"{statement['reliability']}{statement['credibility']}"
            source = statement["file_name"] or statement["source_kind"]
            where = f"{source}: {statement['locator']}" if statement["locator"] else source
            item = QTreeWidgetItem(group, ["", value, grade, where])
            item.setToolTip(1, value)
            item.setToolTip(3, f"{where}\nimported {statement['recorded_at']} by {statement['importer_id']}"
                               + ("\nPROTECTED SOURCE" if statement["protected"] else ""))
            if parse_grade(grade).is_weak:
                item.setForeground(1, QColor("#94a3b8"))
            if group.childCount() == 1:
                group.setText(1, value)
                group.setText(2, grade)
                group.setText(3, where)
            else:
                group.setText(1, f"{group.child(0).text(1)}  (+{group.childCount() - 1})")
        self.tree.expandToDepth(-1)


def _caption_of(case: Case, entity_id: str) -> str:
    row = case.conn.execute("SELECT caption, schema FROM entities WHERE id = ?", (case.resolve(entity_id),)).fetchone()
    return f"{row[0]} [{row[1]}]" if row else entity_id


class CaseBrowserPanel(QWidget):
    """Entities by type, sources with grades, saved views. Double-click to find on the chart."""

    entityActivated = Signal(str)
    viewActivated = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Case", ""])
        self.tree.setColumnWidth(0, 230)
        self.tree.itemActivated.connect(self._activated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.tree)

    def load(self, case: Case | None) -> None:
        self.tree.clear()
        if case is None:
            return
        entities = QTreeWidgetItem(self.tree, ["Entities", str(sum(case.counts_by_schema().values()))])
        rows = case.conn.execute("SELECT id, schema, caption FROM entities ORDER BY schema, caption").fetchall()
        by_type: dict[str, QTreeWidgetItem] = {}
        for entity_id, schema, caption in rows:
            group = by_type.get(schema)
            if group is None:
                label = ftm_model.get(schema).plural if ftm_model.get(schema) else schema
                group = by_type[schema] = QTreeWidgetItem(entities, [label, ""])
            item = QTreeWidgetItem(group, [caption or entity_id, ""])
            item.setData(0, Qt.UserRole, entity_id)
        for schema, group in by_type.items():
            group.setText(1, str(group.childCount()))
        sources = QTreeWidgetItem(self.tree, ["Sources", ""])
        for source in case.sources():
            flag = " 🔒" if source["protected"] else ""
            item = QTreeWidgetItem(sources, [f"{source['file_name']}{flag}", f"{source['reliability']}{source['credibility']}"])
            item.setToolTip(0, f"{source['importer_id']} {source['importer_version']}, {source['imported_at']}\n{source['sha256']}")
        sources.setText(1, str(sources.childCount()))
        views = QTreeWidgetItem(self.tree, ["Saved views", ""])
        for name in sorted(case.saved_views()):
            item = QTreeWidgetItem(views, [name, ""])
            item.setData(0, Qt.UserRole + 1, name)
        entities.setExpanded(True)
        sources.setExpanded(True)

    def _activated(self, item: QTreeWidgetItem) -> None:
        entity_id = item.data(0, Qt.UserRole)
        if entity_id:
            self.entityActivated.emit(entity_id)
        view = item.data(0, Qt.UserRole + 1)
        if view:
            self.viewActivated.emit(view)
