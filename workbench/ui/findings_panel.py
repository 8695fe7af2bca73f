"""Findings: run detectors in a worker, list what they found by severity, mark each one.

Selecting a finding lights up its evidence on the chart and the timeline; confirm, dismiss
(with a reason) and reopen are stored in the case and survive re-runs. The list wraps each
finding to a few lines in a dock of the default width (tooltips hold the rest), and the
selected finding's explanation is shown in full below it.
"""

from __future__ import annotations

import html
import json

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.store import Case
from workbench.ui.wrapping import wrap_cells

SEVERITY_COLOURS = {"high": "#dc2626", "medium": "#ea580c", "low": "#64748b"}
# Severity, score and (when not open) status share the first column, one per line, so that
# the finding itself gets most of a dock 360-420 px wide.
COLUMNS = ["Severity", "Detector", "Finding"]
SEVERITY, DETECTOR, FINDING = range(len(COLUMNS))
# Lines a cell may take before it ends in "…" (its tooltip has the whole text).
MAX_LINES = {SEVERITY: 3, DETECTOR: 4, FINDING: 3}
# The explanation pane may take this share of the panel's height to show a long finding whole.
EXPLANATION_SHARE = 0.6


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


#: Where the labels of the detectors last looked up are remembered (see ``FindingsPanel._know_labels``).
KNOWN_DETECTORS_KEY = "detectors/known"


class _ChoiceLookedUpWhenOpened(QComboBox):
    """A combo box that fills itself (``look_up``) when the analyst first opens or focuses it."""

    def __init__(self, look_up):
        super().__init__()
        self._look_up = look_up

    def showPopup(self) -> None:
        self._look_up()
        super().showPopup()

    def focusInEvent(self, event) -> None:
        self._look_up()
        super().focusInEvent(event)


class FindingsPanel(QWidget):
    findingSelected = Signal(dict)
    runRequested = Signal(object)  # list of detector ids, or None for all

    def __init__(self, parent=None):
        super().__init__(parent)
        self.case: Case | None = None
        self.detector_choice = _ChoiceLookedUpWhenOpened(self._ensure_detectors)
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
        self.detector_labels: dict[str, str] = {}
        self.detector_descriptions: dict[str, str] = {}
        self._detectors_known = False
        self.detector_choice.addItem("All detectors", "")  # the others when the list is first opened
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setRootIsDecorated(False)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(30)
        # Severity and detector are fixed and wrapped (drag to widen); the finding takes the rest.
        for column, width in ((SEVERITY, 58), (DETECTOR, 128)):
            header.setSectionResizeMode(column, QHeaderView.Interactive)
            self.tree.setColumnWidth(column, width)
        header.setSectionResizeMode(FINDING, QHeaderView.Stretch)
        wrap_cells(self.tree, MAX_LINES)
        self.tree.setAlternatingRowColors(True)
        self.tree.currentItemChanged.connect(self._selected)
        self.explanation = QTextBrowser()
        self.explanation.setOpenLinks(False)
        self.explanation.setFrameShape(QTextBrowser.NoFrame)
        self.explanation.setPlaceholderText("Select a finding to read its explanation.")
        self.splitter = QSplitter(Qt.Vertical)
        self.splitter.addWidget(self.tree)
        self.splitter.addWidget(self.explanation)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        marks = QHBoxLayout()
        for label, status in (("Confirm", "confirmed"), ("Dismiss…", "dismissed"), ("Reopen", "open")):
            button = QPushButton(label)
            button.clicked.connect(lambda _=False, s=status: self.mark_current(s))
            marks.addWidget(button)
        self.summary = QLabel("")
        # Said plainly when the last detector run did not run to its end (cancelled, killed,
        # stopped by an error): the findings shown may be missing some or be from earlier runs.
        self.unfinished = QLabel("")
        self.unfinished.setWordWrap(True)
        self.unfinished.setStyleSheet("color: #b45309;")
        self.unfinished.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress)
        progress_row.addWidget(self.cancel_button)
        layout.addLayout(progress_row)
        layout.addWidget(self.summary)
        layout.addWidget(self.unfinished)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(marks)

    def load(self, case: Case | None) -> None:
        """Show ``case``'s findings. The detectors are plugins to import (a second and 25 MB or
        more): they are looked up only when the analyst opens the list of detectors or a finding
        names a detector whose label this machine has not seen before."""
        self.case = case
        self.refresh()

    def _ensure_detectors(self) -> None:
        if not self._detectors_known:
            self._know_detectors()

    def _know_detectors(self) -> None:
        from workbench.plugin_api import detectors

        self._detectors_known = True
        chosen = self.detector_choice.currentData()
        self.detector_choice.clear()
        self.detector_choice.addItem("All detectors", "")  # "", not None: see workbench.ui.wrapping
        found = sorted(detectors(), key=lambda d: d.id)
        self.detector_labels = {d.id: d.label or d.id for d in found}
        self.detector_descriptions = {d.id: d.description or "" for d in found}
        for detector in found:
            self.detector_choice.addItem(f"{detector.label or detector.id}", detector.id)
        self.detector_choice.setCurrentIndex(max(0, self.detector_choice.findData(chosen or "")))
        # Remembered for the next start: findings are labelled without importing every plugin.
        QSettings().setValue(KNOWN_DETECTORS_KEY, json.dumps(
            {d: [self.detector_labels[d], self.detector_descriptions[d]] for d in self.detector_labels}))

    def _know_labels(self, detector_ids: set[str]) -> None:
        """Labels for the detectors named by findings: remembered ones, else the plugins are looked up."""
        if self._detectors_known or detector_ids <= self.detector_labels.keys():
            return
        try:
            remembered = json.loads(QSettings().value(KNOWN_DETECTORS_KEY, "{}") or "{}")
        except (TypeError, ValueError):
            remembered = {}
        for detector_id, (label, description) in remembered.items():
            self.detector_labels.setdefault(detector_id, label)
            self.detector_descriptions.setdefault(detector_id, description)
        if not detector_ids <= self.detector_labels.keys():
            self._know_detectors()

    def reload_detectors(self) -> None:
        """Look the detectors up again, now (after the plugins were reloaded)."""
        self._know_detectors()

    def refresh(self) -> None:
        current = self.current_finding()
        self.tree.clear()
        if self.case is None:
            return
        from workbench.detecting import unfinished_run

        note = unfinished_run(self.case)
        self.unfinished.setText(note or "")
        self.unfinished.setVisible(bool(note))
        rows = self.case.findings()
        self._know_labels({row["detector_id"] for row in rows})
        counts: dict[str, int] = {}
        for row in rows:
            counts[row["severity"]] = counts.get(row["severity"], 0) + 1
            status = self._status_text(row)
            detector = self.detector_labels.get(row["detector_id"], row["detector_id"])
            grading = [row["severity"].upper(), f"{row['score']:.2f}"] + ([status] if row["status"] != "open" else [])
            item = QTreeWidgetItem(["\n".join(grading), detector, row["explanation"]])
            item.setForeground(SEVERITY, QColor(SEVERITY_COLOURS.get(row["severity"], "#64748b")))
            item.setData(0, Qt.UserRole, row)
            item.setToolTip(DETECTOR, "\n".join(filter(None, [
                f"{detector} ({row['detector_id']})", self.detector_descriptions.get(row["detector_id"])])))
            item.setToolTip(SEVERITY, f"{row['severity'].upper()}, score {row['score']:.2f}, {status}")
            item.setToolTip(FINDING, row["explanation"])
            if row["status"] == "dismissed":
                for column in range(len(COLUMNS)):
                    item.setForeground(column, QColor("#94a3b8"))
            self.tree.addTopLevelItem(item)
            if current and row["id"] == current["id"]:
                self.tree.setCurrentItem(item)
        self.summary.setText(", ".join(f"{counts[s]} {s}" for s in ("high", "medium", "low") if s in counts)
                             or "No findings yet: press Run.")

    def current_finding(self) -> dict | None:
        item = self.tree.currentItem()
        return item.data(0, Qt.UserRole) if item else None

    @staticmethod
    def _status_text(row: dict) -> str:
        return row["status"] + (f": {row['status_reason']}" if row["status_reason"] else "")

    def _selected(self, item, _previous=None) -> None:
        if item is None:
            return
        row = item.data(0, Qt.UserRole)
        self.show_explanation(row)
        self.findingSelected.emit(row)

    def show_explanation(self, row: dict) -> None:
        """The finding in full under the list: what found it, how sure, its status, then its explanation."""
        detector = self.detector_labels.get(row["detector_id"], row["detector_id"])
        colour = SEVERITY_COLOURS.get(row["severity"], "#64748b")
        self.explanation.setHtml(
            f"<p style='margin:0'><b>{html.escape(detector)}</b><br>"
            f"<span style='color:{colour}'>{html.escape(row['severity'].upper())}</span>"
            f" · score {row['score']:.2f} · {html.escape(self._status_text(row))}</p>"
            f"<p style='margin-top:4px'>{html.escape(row['explanation'])}</p>")
        # After the layout settles, so the width the text wraps to is the final one.
        QTimer.singleShot(0, self.fit_explanation)

    def fit_explanation(self) -> None:
        """Give the explanation the height it needs to be read without scrolling, up to a share of the panel."""
        total = sum(self.splitter.sizes())
        if total <= 0:
            return
        document = self.explanation.document()
        document.setTextWidth(self.explanation.viewport().width())
        margins = self.explanation.contentsMargins()
        needed = int(document.size().height()) + margins.top() + margins.bottom() + 4
        wanted = max(min(needed, int(total * EXPLANATION_SHARE)), int(total * 0.2))
        self.splitter.setSizes([total - wanted, wanted])
        if self.tree.currentItem() is not None:
            self.tree.scrollToItem(self.tree.currentItem())  # the list just got shorter

    def explanation_fits(self) -> bool:
        """Whether the whole explanation is in view, with nothing left to scroll to."""
        return self.explanation.verticalScrollBar().maximum() == 0

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
        if not detector_id or self.case is None:
            self.summary.setText("Choose one detector to see its parameters.")
            return
        detector = next(d for d in detectors() if d.id == detector_id)
        dialog = ParametersDialog(detector, self.case.detector_parameters(detector_id), self)
        if dialog.exec():
            self.case.set_detector_parameters(detector_id, dialog.values())

    def _run(self) -> None:
        chosen = self.detector_choice.currentData()
        self.runRequested.emit([chosen] if chosen else None)
