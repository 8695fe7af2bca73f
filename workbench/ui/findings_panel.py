"""Findings: run detectors in a worker, list what they found by severity, mark each one.

Selecting a finding lights up its evidence on the chart and the timeline; confirm, dismiss
(with a reason) and reopen are stored in the case and survive re-runs.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.store import Case

SEVERITY_COLOURS = {"high": "#dc2626", "medium": "#ea580c", "low": "#64748b"}


class ParametersDialog(QDialog):
    """A detector's declared parameters, with the case's current values, editable."""

    def __init__(self, detector, current: dict, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"Parameters: {detector.label or detector.id}")
        form = QFormLayout(self)
        form.addRow(QLabel(detector.description or ""))
        if detector.reference:
            form.addRow(QLabel(f"Implements: {detector.reference}"))
        self.fields: dict[str, QLineEdit] = {}
        for name, spec in detector.parameters.items():
            field = QLineEdit(str(current.get(name, spec.default)))
            bounds = []
            if spec.minimum is not None:
                bounds.append(f"≥ {spec.minimum}")
            if spec.maximum is not None:
                bounds.append(f"≤ {spec.maximum}")
            field.setToolTip(f"{spec.help} {' '.join(bounds)}".strip())
            form.addRow(name, field)
            self.fields[name] = field
        buttons = QDialogButtonBox(QDialogButtonBox.Save | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> dict[str, str]:
        return {name: field.text() for name, field in self.fields.items()}


class FindingsPanel(QWidget):
    findingSelected = Signal(dict)
    runRequested = Signal(object)  # list of detector ids, or None for all

    def __init__(self, parent=None):
        super().__init__(parent)
        self.case: Case | None = None
        self.detector_choice = QComboBox()
        self.run_button = QPushButton("Run")
        self.run_button.clicked.connect(self._run)
        self.parameters_button = QPushButton("Parameters…")
        self.parameters_button.clicked.connect(self.edit_parameters)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.hide()
        top = QHBoxLayout()
        top.addWidget(self.detector_choice, 1)
        top.addWidget(self.run_button)
        top.addWidget(self.parameters_button)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Severity", "Score", "Detector", "Status", "Finding"])
        self.tree.setRootIsDecorated(False)
        self.tree.setWordWrap(True)
        self.tree.setColumnWidth(0, 60)
        self.tree.setColumnWidth(1, 45)
        self.tree.setColumnWidth(2, 150)
        self.tree.setColumnWidth(3, 80)
        self.tree.currentItemChanged.connect(self._selected)
        self.explanation = QLabel("")
        self.explanation.setWordWrap(True)
        self.explanation.setTextInteractionFlags(Qt.TextSelectableByMouse)
        marks = QHBoxLayout()
        for label, status in (("Confirm", "confirmed"), ("Dismiss…", "dismissed"), ("Reopen", "open")):
            button = QPushButton(label)
            button.clicked.connect(lambda _=False, s=status: self.mark_current(s))
            marks.addWidget(button)
        self.summary = QLabel("")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress)
        progress_row.addWidget(self.cancel_button)
        layout.addLayout(progress_row)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.explanation)
        layout.addLayout(marks)

    def load(self, case: Case | None) -> None:
        from workbench.plugin_api import detectors

        self.case = case
        self.detector_choice.clear()
        self.detector_choice.addItem("All detectors", None)
        for detector in sorted(detectors(), key=lambda d: d.id):
            self.detector_choice.addItem(f"{detector.label or detector.id}", detector.id)
        self.refresh()

    def refresh(self) -> None:
        current = self.current_finding()
        self.tree.clear()
        if self.case is None:
            return
        rows = self.case.findings()
        counts: dict[str, int] = {}
        for row in rows:
            counts[row["severity"]] = counts.get(row["severity"], 0) + 1
            item = QTreeWidgetItem([row["severity"].upper(), f"{row['score']:.2f}", row["detector_id"],
                                    row["status"] + (f": {row['status_reason']}" if row["status_reason"] else ""),
                                    row["explanation"]])
            item.setForeground(0, QColor(SEVERITY_COLOURS.get(row["severity"], "#64748b")))
            item.setData(0, Qt.UserRole, row)
            item.setToolTip(4, row["explanation"])
            if row["status"] == "dismissed":
                for column in range(5):
                    item.setForeground(column, QColor("#94a3b8"))
            self.tree.addTopLevelItem(item)
            if current and row["id"] == current["id"]:
                self.tree.setCurrentItem(item)
        self.summary.setText(", ".join(f"{counts[s]} {s}" for s in ("high", "medium", "low") if s in counts)
                             or "No findings yet: press Run.")

    def current_finding(self) -> dict | None:
        item = self.tree.currentItem()
        return item.data(0, Qt.UserRole) if item else None

    def _selected(self, item, _previous=None) -> None:
        if item is None:
            return
        row = item.data(0, Qt.UserRole)
        self.explanation.setText(row["explanation"])
        self.findingSelected.emit(row)

    def select_row(self, index: int) -> None:
        self.tree.setCurrentItem(self.tree.topLevelItem(index))

    def mark_current(self, status: str, reason: str | None = None) -> None:
        row = self.current_finding()
        if row is None or self.case is None:
            return
        if status == "dismissed" and reason is None:
            reason, ok = QInputDialog.getText(self, "Dismiss finding", "Why is it dismissed?")
            if not ok or not reason.strip():
                return
        self.case.set_finding_status(row["id"], status, reason)
        self.refresh()

    def edit_parameters(self) -> None:
        from workbench.plugin_api import detectors

        detector_id = self.detector_choice.currentData()
        if detector_id is None or self.case is None:
            self.summary.setText("Choose one detector to see its parameters.")
            return
        detector = next(d for d in detectors() if d.id == detector_id)
        dialog = ParametersDialog(detector, self.case.detector_parameters(detector_id), self)
        if dialog.exec():
            self.case.set_detector_parameters(detector_id, dialog.values())

    def _run(self) -> None:
        chosen = self.detector_choice.currentData()
        self.runRequested.emit([chosen] if chosen else None)
