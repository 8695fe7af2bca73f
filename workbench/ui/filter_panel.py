"""What the chart shows: entity and link types, a time window, a minimum grade, listed parties."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workbench.analysis.graph import GraphFilter
from workbench.store import Case

LIST_TOPICS = frozenset({"sanction", "sanction.linked", "export.control", "debarment"})


class FilterPanel(QWidget):
    """Builds a :class:`GraphFilter` from the analyst's choices; emits it on Apply."""

    filterChanged = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.node_types = QListWidget()
        self.link_types = QListWidget()
        self.start = QLineEdit()
        self.start.setPlaceholderText("from YYYY-MM-DD")
        self.end = QLineEdit()
        self.end.setPlaceholderText("to YYYY-MM-DD")
        self.grade = QComboBox()
        self.grade.addItem("any grade", None)
        for grade in ("A1", "B2", "C3", "D4"):
            self.grade.addItem(f"{grade} or better", grade)
        self.listed_only = QCheckBox("Listed parties only (sanctions, export control)")
        apply_button = QPushButton("Apply")
        apply_button.clicked.connect(self.apply)
        reset_button = QPushButton("Reset")
        reset_button.clicked.connect(self.reset)
        form = QFormLayout()
        form.addRow("Entities", self.node_types)
        form.addRow("Links", self.link_types)
        window = QHBoxLayout()
        window.addWidget(self.start)
        window.addWidget(self.end)
        form.addRow("Time", window)
        form.addRow("Evidence", self.grade)
        form.addRow(self.listed_only)
        buttons = QHBoxLayout()
        buttons.addWidget(apply_button)
        buttons.addWidget(reset_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(form)
        layout.addLayout(buttons)

    def load(self, case: Case | None) -> None:
        self.node_types.clear()
        self.link_types.clear()
        if case is None:
            return
        from workbench.analysis.graph import EDGE_SCHEMATA

        for schema, count in sorted(case.counts_by_schema().items()):
            target = self.link_types if schema in EDGE_SCHEMATA else self.node_types
            item = QListWidgetItem(f"{schema} ({count})")
            item.setData(Qt.UserRole, schema)
            item.setCheckState(Qt.Checked)
            target.addItem(item)
        references = QListWidgetItem("References (sanctioned party, document issuer, ...)")
        references.setData(Qt.UserRole, "references")
        references.setCheckState(Qt.Checked)
        self.link_types.addItem(references)

    def _checked(self, widget: QListWidget) -> frozenset[str] | None:
        names = [widget.item(i).data(Qt.UserRole) for i in range(widget.count())]
        chosen = frozenset(widget.item(i).data(Qt.UserRole) for i in range(widget.count())
                           if widget.item(i).checkState() == Qt.Checked)
        return None if len(chosen) == len(names) else chosen

    def current(self) -> GraphFilter:
        return GraphFilter(
            schemata=self._checked(self.node_types),
            link_schemata=self._checked(self.link_types),
            start=self.start.text().strip() or None,
            end=self.end.text().strip() or None,
            min_grade=self.grade.currentData(),
            topics=LIST_TOPICS if self.listed_only.isChecked() else None,
        )

    def set_window(self, start: str | None, end: str | None) -> None:
        self.start.setText(start or "")
        self.end.setText(end or "")
        self.apply()

    def apply(self) -> None:
        self.filterChanged.emit(self.current())

    def reset(self) -> None:
        for widget in (self.node_types, self.link_types):
            for i in range(widget.count()):
                widget.item(i).setCheckState(Qt.Checked)
        self.start.clear()
        self.end.clear()
        self.grade.setCurrentIndex(0)
        self.listed_only.setChecked(False)
        self.apply()
