"""The one QApplication: made here for the desktop app, the command line's pictures and scripts.

Kept apart from ``workbench.ui.app`` (which opens the main window) so that drawing a picture
never imports the window, and the report, which draws pictures, never depends on the app.
"""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication

from workbench import __version__


#: glibc's mallopt option for how many heaps ("arenas") threads may allocate from.
_M_ARENA_MAX = -8


def _one_heap_for_all_threads() -> None:
    """Let worker threads allocate from the main heap (glibc on Linux only).

    glibc gives a thread that allocates while another does a heap of its own; a worker that
    reads a timeline or a finding's evidence leaves that heap's pages resident after it is done
    (about 10 MB on a 50,000-entity case, a few percent of the window's memory). The window's
    threads mostly wait on the GIL or SQLite, so one heap costs them nothing measurable.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(_M_ARENA_MAX, 1)
    except (OSError, AttributeError):
        pass  # another C library (musl): nothing to tune


def application() -> QApplication:
    """The running QApplication, or a new one named for Workbench (settings are kept under that name)."""
    app = QApplication.instance()
    if app is None:
        _one_heap_for_all_threads()
        QCoreApplication.setOrganizationName("Workbench")
        QCoreApplication.setApplicationName("Workbench")
        QCoreApplication.setApplicationVersion(__version__)
        app = QApplication(sys.argv[:1])
    return app


def ensure_application() -> QApplication:
    """The running QApplication, or a new one; offscreen when there is no display to draw on.

    The command line (``workbench report``) and scripts call this: pictures never need a window.
    """
    app = QApplication.instance()
    if app is not None:
        return app
    no_display = sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if no_display:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    return application()


__all__ = ["application", "ensure_application"]
