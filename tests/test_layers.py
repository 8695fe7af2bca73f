"""The rooms of DESIGN.md, checked by walking the imports rather than trusting reviewers."""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
QT_MODULES = ("PySide6", "pyqtgraph", "shiboken6")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def python_files(*folders: str):
    for folder in folders:
        yield from sorted((REPO / folder).rglob("*.py"))


@pytest.mark.parametrize("path", list(python_files("workbench", "plugins")), ids=lambda p: str(p.relative_to(REPO)))
def test_no_qt_outside_ui(path):
    if (REPO / "workbench" / "ui") in path.parents:
        return
    qt = {name for name in imported_modules(path) if name.split(".")[0] in QT_MODULES}
    if path.parent == REPO / "workbench" / "cli":
        # The CLI may import the UI lazily inside `open`/`report`/`image` only; never at module level.
        tree = ast.parse(path.read_text())
        top = {n.module for n in tree.body if isinstance(n, ast.ImportFrom) and n.module}
        top |= {a.name for n in tree.body if isinstance(n, ast.Import) for a in n.names}
        assert not any(name.split(".")[0] in QT_MODULES or name.startswith("workbench.ui") for name in top)
        return
    assert not qt, f"{path} imports Qt: {qt}"


@pytest.mark.parametrize(
    "room, forbidden",
    [
        ("workbench/model", ("workbench.store", "workbench.analysis", "workbench.plugin_api", "workbench.ui")),
        ("workbench/store", ("workbench.analysis", "workbench.plugin_api", "workbench.ui", "workbench_plugins")),
        ("workbench/analysis", ("workbench.ui", "workbench.plugin_api", "workbench_plugins")),
        ("workbench/plugin_api", ("workbench.ui", "workbench.analysis", "workbench_plugins")),
        ("plugins", ("workbench.ui", "workbench.cli")),
    ],
)
def test_rooms_import_only_downwards(room, forbidden):
    for path in python_files(room):
        bad = {name for name in imported_modules(path) if name.startswith(forbidden)}
        assert not bad, f"{path.relative_to(REPO)} imports {bad}"
