"""Start the desktop app, or render it offscreen to a PNG and exit (for tests, docs and bug reports)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication

from workbench.ui.qt_app import application


def wait_for_jobs(window, timeout: float = 60.0) -> None:
    """Let queued work (a first layout in its worker, the timeline read in the background) finish,
    keeping the event loop turning."""
    deadline = time.monotonic() + timeout
    app = QApplication.instance()
    while (window._job is not None or getattr(window, "_loads", None)) and time.monotonic() < deadline:
        app.processEvents(QEventLoop.AllEvents, 50)
        time.sleep(0.01)
    for _ in range(5):
        app.processEvents()


def run(case: Path | None = None, *, screenshot: Path | None = None, size: tuple[int, int] = (1600, 1000),
        select: list[str] | None = None, finding: int | None = None) -> int:
    """Open the main window on ``case``; with ``screenshot``, save a PNG of the window and exit."""
    from workbench.ui.main_window import MainWindow

    app = application()
    window = MainWindow()
    window.resize(*size)
    window.show()
    if case is not None and not window.open_case(case):
        return 2
    if screenshot is None:
        return app.exec()
    wait_for_jobs(window)
    for _ in range(10):
        app.processEvents()
    window.chart.fit()  # the window has its final size only now
    chosen = [window.model.index_of(window.case.resolve(e)) for e in select or []]
    window.model.select([i for i in chosen if i is not None])
    if finding is not None:
        row = next((f for f in window.case.findings(current_only=False) if f["id"] == finding), None)
        if row is None:
            sys.stderr.write(f"there is no finding #{finding} in this case\n")
            window.close()
            return 2
        window.show_finding(row)
    for _ in range(10):
        app.processEvents()
    window.chart.settle()
    app.processEvents()
    image = window.grab()
    ok = image.save(str(screenshot))
    window.close()
    return 0 if ok else 3
