"""Long work off the GUI thread: the GUI thread only draws (Orange's habit)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal


class Cancelled(Exception):
    """Raised inside a job when the analyst pressed cancel."""


class JobWorker(QObject):
    """Runs ``job(progress, cancelled)`` in a thread; reports progress, result or error."""

    progress = Signal(float)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, job: Callable[[Callable[[float], None], Callable[[], bool]], Any]):
        super().__init__()
        self._job = job
        self._cancel = False

    def cancel(self) -> None:
        self._cancel = True

    def run(self) -> None:
        try:
            result = self._job(self.progress.emit, lambda: self._cancel)
        except Cancelled:
            self.cancelled.emit()
        except Exception as error:  # reported in the window, never a crash
            if self._cancel:
                self.cancelled.emit()
            else:
                self.failed.emit(f"{type(error).__name__}: {error}")
        else:
            if self._cancel:
                self.cancelled.emit()
            else:
                self.finished.emit(result)


def start_job(parent: QObject, job, on_finished, on_failed, on_progress=None, on_cancelled=None) -> tuple[QThread, JobWorker]:
    """Start ``job`` in a new thread owned by ``parent``; the thread ends itself when done."""
    thread = QThread(parent)
    worker = JobWorker(job)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    worker.finished.connect(on_finished)
    worker.failed.connect(on_failed)
    if on_progress is not None:
        worker.progress.connect(on_progress)
    if on_cancelled is not None:
        worker.cancelled.connect(on_cancelled)
    for signal in (worker.finished, worker.failed, worker.cancelled):
        signal.connect(thread.quit)
    thread.finished.connect(worker.deleteLater)
    thread.finished.connect(thread.deleteLater)
    thread.start()
    return thread, worker
