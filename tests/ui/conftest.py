import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    """Recent-files lists and the app's demo copy go to a temporary home, not the user's."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path))


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def demo_window(qtbot, tmp_path):
    """The main window on a fresh copy of the demo case, laid out and ready."""
    from workbench.demo import build_demo_case
    from workbench.ui.app import wait_for_jobs
    from workbench.ui.main_window import MainWindow

    build_demo_case(tmp_path / "demo.wbcase").close()
    main = MainWindow()
    qtbot.addWidget(main)
    main.resize(1400, 900)
    main.show()
    assert main.open_case(tmp_path / "demo.wbcase")
    wait_for_jobs(main)
    return main
