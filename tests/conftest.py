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


@pytest.fixture
def shared_data() -> Path:
    return SHARED_DATA if SHARED_DATA.exists() else FIXTURE_DATA


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
