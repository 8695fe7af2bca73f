"""The rooms of DESIGN.md, checked by walking the imports rather than trusting reviewers."""

import ast
import functools
import re
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


# ---------------------------------------------------------------------------------- one-way imports
#
# Each rule is a function of a project root, so that each is also run on a small planted project
# that breaks it (a rule that cannot fail guards nothing).

PACKAGES = {"workbench": "workbench", "workbench_plugins": "plugins"}


def module_files(root: Path) -> dict[str, Path]:
    """Every module of the project by dotted name (``workbench.ui.chart_view``), with its file."""
    modules = {}
    for package, folder in PACKAGES.items():
        for path in sorted((root / folder).rglob("*.py")):
            parts = [package, *path.relative_to(root / folder).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def import_edges(root: Path) -> dict[str, set[str]]:
    """Which project modules each module imports: at the top, inside functions, relative or not.

    ``from workbench.ui import legend`` counts as importing ``workbench.ui.legend``.
    """
    modules = module_files(root)
    edges: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(here[: len(here) - (node.level - 1)] + ([base] if base else []))
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name and not name.startswith(target + "."):
                    edges[name].add(target)
    return edges


def import_cycles(root: Path) -> list[list[str]]:
    """Groups of modules that import each other, directly or round a ring (lazy imports count)."""
    import networkx as nx

    graph = nx.DiGraph((source, target) for source, targets in import_edges(root).items() for target in targets)
    return sorted(sorted(group) for group in nx.strongly_connected_components(graph) if len(group) > 1)


def core_imports_of_plugins(root: Path) -> list[str]:
    """``file:line module`` for each import of the built-in plugins (``workbench_plugins``) in core."""
    found = []
    for path in sorted((root / "workbench").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            found += [f"{path.relative_to(root)}:{node.lineno} {name}" for name in names
                      if name.split(".")[0] == "workbench_plugins"]
    return found


#: The views and the modules that hold them (with their layers: LinkLayer, LabelLayer, ChartViewBox).
VIEW_MODULES = ("workbench/ui/chart_view.py", "workbench/ui/timeline.py")


def _private_names(tree: ast.AST, classes_only: bool) -> set[str]:
    """Private names (``_x``, not dunders) defined as methods or ``self._x`` attributes."""
    names = set()
    scopes = [node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)] if classes_only else [tree]
    for scope in scopes:
        for node in ast.walk(scope):
            name = None
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = node.name
            elif (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
                  and isinstance(node.value, ast.Name) and node.value.id == "self"):
                name = node.attr
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                name = node.target.id
            if name and name.startswith("_") and not name.startswith("__"):
                names.add(name)
    return names


def private_view_name_uses(root: Path, folders=("workbench", "plugins", "tests", "scripts")) -> list[str]:
    """``file:line expression`` for each use of a view's private name outside the view's module.

    A private name is one the views' classes define (``_link_layer``, ``_selected_via``,
    ``_image``...). ``something._name`` anywhere else is a use, unless ``something`` is ``self``
    or ``cls``, or the module defines a private ``_name`` of its own.
    """
    view_paths = [root / module for module in VIEW_MODULES]
    private = set()
    for path in view_paths:
        if path.exists():
            private |= _private_names(ast.parse(path.read_text(encoding="utf-8")), classes_only=True)
    found = []
    for folder in folders:
        for path in sorted((root / folder).rglob("*.py")) if (root / folder).is_dir() else []:
            if path in view_paths:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            own = _private_names(tree, classes_only=False)
            for node in ast.walk(tree):
                if (isinstance(node, ast.Attribute) and node.attr in private and node.attr not in own
                        and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
                    found.append(f"{path.relative_to(root)}:{node.lineno} {ast.unparse(node)}")
    return found


def test_no_import_cycles():
    assert import_cycles(REPO) == []


def test_no_private_view_names_outside_their_module():
    assert private_view_name_uses(REPO) == []


def _plant(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for folder in PACKAGES.values():
        (root / folder).mkdir(exist_ok=True)
    return root


def test_a_planted_import_cycle_is_found(tmp_path):
    root = _plant(tmp_path, {
        "workbench/__init__.py": "",
        "workbench/report/__init__.py": "",
        "workbench/report/builder.py": "def pictures():\n    from workbench.ui.export import draw\n",
        "workbench/ui/__init__.py": "",
        # Round a ring, lazily and relatively: export -> window -> builder -> export.
        "workbench/ui/export.py": "from . import window\n\ndef draw():\n    pass\n",
        "workbench/ui/window.py": "def report():\n    from ..report import builder\n",
        "workbench/ui/other.py": "from workbench.ui import export\n",
    })
    assert import_cycles(root) == [["workbench.report.builder", "workbench.ui.export", "workbench.ui.window"]]


def test_a_planted_core_import_of_a_plugin_is_found(tmp_path):
    root = _plant(tmp_path, {
        "workbench/__init__.py": "",
        "workbench/cli.py": "import click\n\ndef mapping():\n    from workbench_plugins.importers.mapped_table import load_spec\n",
        "workbench/ui/wizard.py": "import workbench_plugins.importers\n",
        "plugins/importers/mapped_table.py": "from workbench.mapping import load_spec\n",
    })
    assert core_imports_of_plugins(root) == [
        "workbench/cli.py:4 workbench_plugins.importers.mapped_table",
        "workbench/ui/wizard.py:1 workbench_plugins.importers",
    ]


def test_no_core_import_of_the_plugins():
    assert core_imports_of_plugins(REPO) == []


def test_a_planted_private_view_name_is_found(tmp_path):
    root = _plant(tmp_path, {
        "workbench/ui/chart_view.py": (
            "class LinkLayer:\n    def __init__(self):\n        self._image = None\n\n"
            "class ChartView:\n    def __init__(self):\n        self._link_layer = LinkLayer()\n"
            "        self._link_layer._image = 1  # inside the module: allowed\n"
        ),
        "workbench/ui/timeline.py": "class TimelineView:\n    def _clicked(self):\n        pass\n",
        "workbench/ui/export.py": (
            "def picture(view, timeline):\n    view._link_layer._image = None\n    view.settle()\n"
            "    timeline._clicked()\n"
        ),
        # A class of its own with a private name the views also use is not a view's name.
        "workbench/ui/panel.py": "class Panel:\n    def _clicked(self):\n        pass\n\ndef go(p):\n    p._clicked()\n",
        "tests/test_export.py": "def test_it(view):\n    assert view._link_layer is not None\n",
    })
    assert private_view_name_uses(root) == [
        "workbench/ui/export.py:2 view._link_layer._image",
        "workbench/ui/export.py:2 view._link_layer",
        "workbench/ui/export.py:4 timeline._clicked",
        "tests/test_export.py:2 view._link_layer",
    ]


# ---------------------------------------------------------------------------------- the store owns its SQL

STORE = REPO / "workbench" / "store"
# SQL as it is written in this code base: keywords in capitals.
SQL_TEXT = re.compile(
    r"\bSELECT\b[\s\S]+\bFROM\b|\bINSERT\s+(OR\s+\w+\s+)?INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b"
    r"|\bCREATE\s+(TABLE|INDEX|VIEW|TRIGGER)\b|\bDROP\s+TABLE\b|\bPRAGMA\s+\w+"
)
SQL_CALLS = {"execute", "executemany", "executescript"}
CONNECTION_NAMES = {"conn", "db"}


def sql_uses(path: Path) -> list[str]:
    """Where a module runs SQL or reaches past a case's public methods: ``line: what``.

    Outside ``workbench/store`` every read and write of a case goes through a ``Case`` method;
    this finds SQL text, ``.execute`` calls, the case's ``.conn`` and ``.db``, connecting to SQLite,
    importing sqlite-utils, and calls of ``Case``'s private methods (``case._write()``).
    (``sqlite3``'s exception classes may still be caught.)
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_TEXT.search(node.value):
            found.append(f"{node.lineno}: SQL text {node.value.strip()[:50]!r}")
        elif isinstance(node, ast.Attribute) and node.attr in CONNECTION_NAMES:
            found.append(f"{node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in SQL_CALLS:
                found.append(f"{node.lineno}: .{node.func.attr}()")
            elif node.func.attr == "connect" and isinstance(node.func.value, ast.Name) and node.func.value.id == "sqlite3":
                found.append(f"{node.lineno}: sqlite3.connect()")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found.extend(f"{node.lineno}: imports {name}" for name in names if name.split(".")[0] == "sqlite_utils")
        if (isinstance(node, ast.Attribute) and node.attr in _case_private_names()
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
            found.append(f"{node.lineno}: Case.{node.attr} (private to the store)")
    return found


@functools.cache
def _case_private_names() -> frozenset[str]:
    """``Case``'s own private methods (``_write``, ``_audit``, ...): callers use its public ones."""
    from workbench.store import Case

    return frozenset(name for name in dir(Case) if name.startswith("_") and not name.startswith("__"))


@pytest.mark.parametrize(
    "path", [p for p in python_files("workbench", "plugins") if STORE not in p.parents],
    ids=lambda p: str(p.relative_to(REPO)),
)
def test_no_sql_outside_the_store(path):
    assert not sql_uses(path), f"{path.relative_to(REPO)} runs SQL; add a Case method instead: {sql_uses(path)}"


@pytest.mark.parametrize("planted", [
    'rows = case.conn.execute("SELECT id FROM entities").fetchall()',
    'stored = {row[0]: row for row in case.db.query("SELECT entity_id, x, y FROM chart_items")}',
    'QUERY = "DELETE FROM findings WHERE id = ?"',
    'opened.conn.backup(target)',
    'import sqlite3\nconnection = sqlite3.connect("copy.wbcase")',
    'cursor.executemany(statement, rows)',
    'from sqlite_utils import Database',
    'with case._write():\n        case._audit("export", {})',
])
def test_the_sql_rule_finds_a_planted_violation(tmp_path, planted):
    clean = tmp_path / "clean.py"
    clean.write_text('"""Reads a case through its methods."""\n\nimport sqlite3\n\n'
                     'def captions(case):\n    """Select a caption from the list."""\n'
                     '    try:\n        return case.captions()\n    except sqlite3.DatabaseError:\n        return {}\n')
    assert sql_uses(clean) == []
    planted_module = tmp_path / "planted.py"
    planted_module.write_text(clean.read_text() + "\n\ndef leak(case, cursor, statement, rows, target):\n"
                              + "".join(f"    {line}\n" for line in planted.splitlines()))
    assert sql_uses(planted_module), f"the rule missed: {planted}"
