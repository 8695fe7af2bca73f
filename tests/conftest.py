import os
import tempfile
from pathlib import Path

import pytest

# Qt must never need a display in tests.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Audit entries name the analyst; keep them stable across machines.
os.environ.setdefault("WORKBENCH_ANALYST", "test-analyst")
# Audit keys, remembered checks and user plugins go to a folder of the test run's own, never the
# user's data folder.
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="workbench-test-data-")

REPO = Path(__file__).resolve().parent.parent
# The workplace's shared samples when checked out beside the repository, else the copy kept in
# tests/fixtures (CI machines may not have the shared folder).
SHARED_DATA = REPO.parent / "shared" / "data"
FIXTURE_DATA = Path(__file__).resolve().parent / "fixtures" / "shared_data"


EXAMPLES = REPO / "docs" / "plugin_examples"


@pytest.fixture
def shared_data() -> Path:
    return SHARED_DATA if SHARED_DATA.exists() else FIXTURE_DATA


@pytest.fixture
def demo(tmp_path):
    """The bundled demo case, built for this test alone (it may change it)."""
    from workbench.demo import build_demo_case

    case = build_demo_case(tmp_path / "demo.wbcase")
    yield case
    case.close()


@pytest.fixture(scope="module")
def module_demo(tmp_path_factory):
    """The demo case built once for a test module whose tests only read it."""
    from workbench.demo import build_demo_case

    case = build_demo_case(tmp_path_factory.mktemp("demo") / "demo.wbcase")
    yield case
    case.close()


@pytest.fixture
def case(tmp_path):
    """A new, empty case (test modules that need another case define their own ``case``)."""
    from workbench.store import Case

    with Case.create(tmp_path / "case.wbcase") as created:
        yield created


@pytest.fixture
def case_of(tmp_path):
    """``case_of(entities, "name")``: a new case holding ``entities`` as one import, closed after the test."""
    from workbench.model import SourceInfo
    from workbench.store import Case

    made = []

    def make(entities, name="case", file_name="test.json"):
        case = Case.create(tmp_path / f"{name}.wbcase")
        made.append(case)
        case.ingest(entities, SourceInfo(file_name=file_name))
        return case

    yield make
    for case in made:
        case.close()


@pytest.fixture
def plugin_dir(tmp_path, monkeypatch) -> Path:
    """A user plugin folder holding the plugin guide's minimal_plugins.py, in force for this test."""
    import shutil

    folder = tmp_path / "plugins"
    folder.mkdir()
    shutil.copy(EXAMPLES / "minimal_plugins.py", folder)
    monkeypatch.setenv("WORKBENCH_PLUGIN_DIR", str(folder))
    return folder


_exit_status = {"code": 0}


def pytest_sessionfinish(session, exitstatus):
    _exit_status["code"] = int(exitstatus)


def pytest_unconfigure(config):
    """Leave without the interpreter's final garbage collection.

    PySide6 and pyqtgraph objects can crash CPython while it tears itself down ("bool_dealloc"),
    after every test has run and been reported; that would turn a green run red. Everything is
    reported and flushed by now, so exit with pytest's own status.
    """
    import sys

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_exit_status["code"])
