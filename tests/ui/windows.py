"""Opening the real main window as a user does, for the chart tests (``from windows import ...``)."""

from __future__ import annotations

from workbench.ui.app import wait_for_jobs


def settle(qtbot, window) -> None:
    qtbot.wait(60)
    window.chart.settle()  # the screen places labels on a timer once the view settles


def open_at_full_size(qtbot, path):
    """A case opened as a new user opens it: 1600x1000, the first layout computed, fitted."""
    from workbench.ui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(1600, 1000)
    window.show()
    qtbot.waitExposed(window)
    assert window.open_case(path)
    wait_for_jobs(window)
    window.chart.fit()
    settle(qtbot, window)
    return window
