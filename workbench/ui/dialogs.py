"""Small forms: a new entity, a new link, a new value. Each asks where the fact comes from."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QMessageBox,
)

from workbench.model import model as ftm_model

ENTITY_TYPES = ["Person", "Company", "Organization", "LegalEntity", "PublicBody", "BankAccount", "Vessel", "Airplane",
                "Address"]
LINK_TYPES = ["UnknownLink", "Ownership", "Directorship", "Payment", "Associate", "Family", "Employment", "Membership",
              "Representation"]
GRADES = [f"{r}{c}" for r in "ABCDEF" for c in range(1, 7)]


class _Form(QDialog):
    def __init__(self, title: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.form = QFormLayout(self)
        self.note = QLineEdit()
        self.note.setPlaceholderText("Where does this come from? (required)")
        self.grade = QComboBox()
        self.grade.addItems(GRADES)
        self.grade.setCurrentText("B2")

    def _finish(self) -> None:
        self.form.addRow("Source note", self.note)
        self.form.addRow("Grade", self.grade)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        self.form.addRow(buttons)

    def _accept(self) -> None:
        if not self.note.text().strip():
            QMessageBox.information(self, self.windowTitle(), "Say where this comes from in the source note.")
            return
        self.accept()


class EntityDialog(_Form):
    def __init__(self, parent=None):
        super().__init__("New entity", parent)
        self.schema = QComboBox()
        self.schema.addItems(ENTITY_TYPES)
        self.name = QLineEdit()
        self.country = QLineEdit()
        self.country.setPlaceholderText("e.g. AE or United Arab Emirates")
        self.form.addRow("Type", self.schema)
        self.form.addRow("Name", self.name)
        self.form.addRow("Country", self.country)
        self._finish()


class LinkDialog(_Form):
    def __init__(self, source: str, target: str, parent=None):
        super().__init__(f"Link {source} → {target}", parent)
        self.schema = QComboBox()
        self.schema.addItems(LINK_TYPES)
        self.role = QLineEdit()
        self.amount = QLineEdit()
        self.amount.setPlaceholderText("amount (payments) or percentage (ownership)")
        self.date = QLineEdit()
        self.date.setPlaceholderText("YYYY-MM-DD")
        self.form.addRow("Type", self.schema)
        self.form.addRow("Role / description", self.role)
        self.form.addRow("Amount or %", self.amount)
        self.form.addRow("Date", self.date)
        self._finish()


class ValueDialog(_Form):
    def __init__(self, schema_name: str, parent=None):
        super().__init__("Add a value", parent)
        schema = ftm_model.get(schema_name)
        self.prop = QComboBox()
        for name, prop in sorted(schema.properties.items(), key=lambda item: item[1].label):
            if not prop.stub and prop.type.name != "entity" and not prop.hidden:
                self.prop.addItem(prop.label, name)
        self.value = QLineEdit()
        self.form.addRow("Property", self.prop)
        self.form.addRow("Value", self.value)
        self._finish()
