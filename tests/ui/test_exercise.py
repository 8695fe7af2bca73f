"""Exercise mode on real widgets: mark, score against the hidden key, step through the debrief."""

import pytest

from workbench.training.generator import generate, write_case
from workbench.ui.app import wait_for_jobs
from workbench.ui.main_window import MainWindow


@pytest.fixture
def lesson(qtbot, tmp_path):
    path = tmp_path / "lesson.wbcase"
    write_case(generate("classroom", seed=7), path)
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    assert window.open_case(path)
    wait_for_jobs(window)
    return window


def test_mark_score_and_debrief(lesson):
    import json

    key = json.loads(lesson.case.path.with_name(lesson.case.path.name + ".key.json").read_text())
    planted = key["patterns"][0]
    target = next(e for e in planted["entities"] if lesson.model.index_of(e) is not None)
    lesson.model.select([lesson.model.index_of(target)])
    assert lesson.exercise.mark_selected("front company in a hub") == 1
    assert lesson.exercise.marks_list.count() == 1
    text = lesson.exercise.score()
    assert "Found 1 of 5 items" in text
    assert "Found 1 of 5 items" in lesson.exercise.result.text()
    step = lesson.exercise.step(1)
    assert step["pattern"] == planted["id"]
    shown = set(lesson.model.selected_ids())
    assert shown & set(step["entities"]) or lesson.model.highlighted_links
