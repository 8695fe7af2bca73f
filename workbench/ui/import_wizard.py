"""Bringing a file in: the importer proposed, a preview, the mapping, the source's grade, a dry run.

The import itself runs in a worker on its own connection to the case, in one transaction, so a
failure leaves the case as it was.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from workbench.plugin_api import choose_importer, importers

PREVIEW_ROWS = 10
GRADES = [f"{r}{c}" for r in "ABCDEF" for c in range(1, 7)]


class ImportWizard(QDialog):
    """One dialog, top to bottom: file, importer, preview, mapping, grade, dry run, import."""

    def __init__(self, path: str | Path | None = None, saved_mappings: dict | None = None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Import data")
        self.resize(900, 700)
        self.saved_mappings = saved_mappings or {}
        self.path_field = QLineEdit(str(path) if path else "")
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        self.importer = QComboBox()
        for plugin in sorted(importers(), key=lambda p: p.label):
            self.importer.addItem(plugin.label, plugin.id)
        self.importer.currentIndexChanged.connect(self._importer_changed)
        self.preview = QTableWidget()
        self.preview.setMaximumHeight(220)
        self.saved = QComboBox()
        self.saved.addItem("(drafted from the header)", None)
        for name in sorted(self.saved_mappings):
            self.saved.addItem(name, name)
        self.saved.currentIndexChanged.connect(self._saved_changed)
        self.mapping = QPlainTextEdit()
        self.mapping.setPlaceholderText("FollowTheMoney mapping (YAML), drafted from the header row")
        self.save_as = QLineEdit()
        self.save_as.setPlaceholderText("save this mapping in the case as… (optional)")
        self.grade = QComboBox()
        self.grade.addItems(GRADES)
        self.grade.setCurrentText("F6")
        self.protected = QCheckBox("Protected source (never leaves the case in an export unless asked)")
        self.note = QLineEdit()
        self.note.setPlaceholderText("where this file came from")
        self.dry_run_button = QPushButton("Dry run")
        self.dry_run_button.clicked.connect(self.dry_run)
        self.import_button = QPushButton("Import")
        self.import_button.setDefault(True)
        self.import_button.clicked.connect(self.accept)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        self.report = QLabel("")
        self.report.setWordWrap(True)

        file_row = QHBoxLayout()
        file_row.addWidget(self.path_field, 1)
        file_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("File", file_row)
        form.addRow("Importer", self.importer)
        form.addRow("Preview", self.preview)
        form.addRow("Saved mapping", self.saved)
        form.addRow("Mapping", self.mapping)
        form.addRow("", self.save_as)
        form.addRow("Grade", self.grade)
        form.addRow("", self.protected)
        form.addRow("Source note", self.note)
        buttons = QHBoxLayout()
        buttons.addWidget(self.report, 1)
        buttons.addWidget(self.dry_run_button)
        buttons.addWidget(self.import_button)
        buttons.addWidget(cancel)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        self.path_field.editingFinished.connect(self.load_file)
        if path:
            self.load_file()

    # ------------------------------------------------------------------ steps

    def _browse(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Choose a file to import", str(Path.home()))
        if name:
            self.path_field.setText(name)
            self.load_file()

    def load_file(self) -> None:
        path = Path(self.path_field.text())
        if not path.is_file():
            self.report.setText(f"{path}: no such file")
            return
        try:
            proposed = choose_importer(path)
            self.importer.setCurrentIndex(self.importer.findData(proposed.id))
            self.report.setText(f"Proposed: {proposed.label}")
        except LookupError as error:
            self.report.setText(str(error))
        self._importer_changed()

    def _importer_changed(self) -> None:
        path = Path(self.path_field.text())
        is_table = self.importer.currentData() == "mapped-table"
        for widget in (self.mapping, self.saved, self.save_as):
            widget.setEnabled(is_table)
        self.preview.clear()
        self.preview.setRowCount(0)
        self.preview.setColumnCount(0)
        if not path.is_file():
            return
        if is_table:
            self._preview_table(path)
        else:
            self._preview_text(path)

    def _preview_table(self, path: Path) -> None:
        from workbench.mapping import draft_spec, dump_spec, read_table

        try:
            header, rows, _ = read_table(path)
            sample = [row for _, row in zip(range(PREVIEW_ROWS), (r for _, r in rows))]
            rows.close()
        except ValueError as error:
            self.report.setText(str(error))
            return
        self.preview.setColumnCount(len(header))
        self.preview.setHorizontalHeaderLabels(header)
        self.preview.setRowCount(len(sample))
        for r, row in enumerate(sample):
            for c, column in enumerate(header):
                self.preview.setItem(r, c, QTableWidgetItem(row.get(column, "")))
        if not self.mapping.toPlainText().strip():
            self.mapping.setPlainText(dump_spec(draft_spec(header)))

    def _preview_text(self, path: Path) -> None:
        self.preview.setColumnCount(1)
        self.preview.setHorizontalHeaderLabels(["first lines"])
        try:
            with path.open("r", encoding="utf-8", errors="replace") as handle:
                lines = [line.rstrip("\n")[:300] for _, line in zip(range(PREVIEW_ROWS), handle)]
        except OSError as error:
            self.report.setText(str(error))
            return
        self.preview.setRowCount(len(lines))
        for r, line in enumerate(lines):
            self.preview.setItem(r, 0, QTableWidgetItem(line))
        self.preview.horizontalHeader().setStretchLastSection(True)

    def _saved_changed(self) -> None:
        name = self.saved.currentData()
        if name:
            self.mapping.setPlainText(yaml.safe_dump(self.saved_mappings[name], sort_keys=False))

    # ------------------------------------------------------------------ results

    def options(self) -> dict:
        if self.importer.currentData() != "mapped-table":
            return {}
        try:
            spec = yaml.safe_load(self.mapping.toPlainText())
        except yaml.YAMLError as error:
            raise ValueError(f"the mapping is not valid YAML: {error}") from error
        return {"mapping": spec}

    def dry_run(self) -> dict:
        """Read the whole file without writing: what would be created, or where it fails."""
        from workbench.plugin_api import find_plugin

        path = Path(self.path_field.text())
        counts: Counter[str] = Counter()
        try:
            importer = find_plugin(self.importer.currentData(), kind="importer")(**self.options())
            for record in importer.read(path):
                counts[record.entity["schema"]] += 1
        except Exception as error:  # the dry run reports any failure, the case is not touched
            self.report.setText(f"<b>Would fail:</b> {error}")
            return {"error": str(error), "counts": dict(counts)}
        detail = ", ".join(f"{count:,} {schema}" for schema, count in sorted(counts.items()))
        self.report.setText(f"Would create {sum(counts.values()):,} records: {detail}")
        return {"error": None, "counts": dict(counts)}

    def settings(self) -> dict:
        return {
            "path": Path(self.path_field.text()),
            "importer_id": self.importer.currentData(),
            "options": self.options(),
            "grade": self.grade.currentText(),
            "protected": self.protected.isChecked(),
            "note": self.note.text().strip() or None,
            "save_mapping": self.save_as.text().strip() or None,
        }


__all__ = ["ImportWizard", "Qt"]
