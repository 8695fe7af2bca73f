"""Exercise mode: the trainee marks what looks suspicious, is scored against the hidden key,
then walks through a debrief that reveals each planted pattern on the chart and timeline.

The answer key stays in its own file beside the case; nothing of it is shown until the
trainee asks for the score.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workbench.training.scoring import (
    Mark,
    TrainingError,
    debrief_steps,
    debrief_text,
    load_key,
    load_marks,
    marks_path_for,
    save_marks,
    score_case,
)


class ExercisePanel(QWidget):
    """Marks, score and a step-by-step debrief for one training case."""

    def __init__(self, window, parent=None):
        super().__init__(parent)
        self.window = window
        self.key = None
        self.steps: list[dict] = []
        self.step_index = -1
        self.marks_list = QListWidget()
        self.result = QLabel("Select an entity or a link's parties, then Mark suspicious (Ctrl+Shift+M).")
        self.result.setWordWrap(True)
        self.step_text = QLabel("")
        self.step_text.setWordWrap(True)
        buttons = QHBoxLayout()
        for label, slot in (("Score", self.score), ("◀ Step", lambda: self.step(-1)), ("Step ▶", lambda: self.step(1))):
            button = QPushButton(label)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(QLabel("Your marks"))
        layout.addWidget(self.marks_list, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.result)
        layout.addWidget(self.step_text)

    @property
    def marks_path(self):
        return marks_path_for(self.window.case.path)

    def marks(self) -> list[Mark]:
        path = self.marks_path
        return load_marks(path) if path.exists() else []

    def refresh(self) -> None:
        self.marks_list.clear()
        if self.window.case is None:
            return
        for mark in self.marks():
            caption = self.window.model.captions[i] if (i := self.window.model.index_of(mark.id)) is not None else mark.id
            self.marks_list.addItem(f"{caption} — {mark.reason}")

    def mark_selected(self, reason: str) -> int:
        """Mark the selected entities (and links between them) as suspicious, with a reason."""
        model = self.window.model
        chosen = set(model.selected)
        ids = [model.ids[i] for i in sorted(chosen)]
        ids += [link.via for link in model.links if link.source in chosen and link.target in chosen]
        if not ids:
            return 0
        marks = self.marks() + [Mark(entity_id, reason, "app") for entity_id in ids]
        save_marks(self.marks_path, marks, case_id=self.window.case.meta("case_id"))
        self.refresh()
        return len(ids)

    def score(self) -> str:
        case = self.window.case
        try:
            self.key = load_key(case.path.with_name(case.path.name + ".key.json"))
            score, _ = score_case(case, self.key, marks_file=self.marks_path if self.marks_path.exists() else None)
        except TrainingError as error:
            self.result.setText(str(error))
            return str(error)
        text = debrief_text(self.key, score, caption=lambda e: self._caption(e))
        lines = text.splitlines()
        summary = next((line for line in lines if line.startswith("Found")), lines[0] if lines else "")
        self.result.setText(summary + "\nPress Step ▶ to walk through each planted pattern.")
        self.steps = debrief_steps(self.key)
        self.step_index = -1
        return text

    def step(self, direction: int) -> dict | None:
        """Reveal the next (or previous) debrief step on the chart and the timeline."""
        if not self.steps:
            self.score()
        if not self.steps:
            return None
        self.step_index = max(0, min(len(self.steps) - 1, self.step_index + direction))
        step = self.steps[self.step_index]
        flags = ", ".join(step.get("red_flag_labels") or step.get("red_flags") or [])
        self.step_text.setText(f"{step['pattern']} step {step['number']}: {step['text']}"
                               + (f"\nRed flags: {flags}" if flags else ""))
        self.window.show_finding({"evidence": {"entities": step["entities"], "facts": step["facts"]}})
        return step

    def _caption(self, entity_id: str) -> str:
        index = self.window.model.index_of(entity_id)
        return self.window.model.captions[index] if index is not None else entity_id
