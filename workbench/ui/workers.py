"""Long work off the GUI thread: the GUI thread only draws (Orange's habit)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot


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


class _Relay(QObject):
    """Lives in the GUI thread so that the callbacks run there, never in the worker's thread."""

    def __init__(self, parent, on_finished, on_failed, on_progress, on_cancelled):
        super().__init__(parent)
        self._callbacks = (on_finished, on_failed, on_progress, on_cancelled)

    @Slot(object)
    def finished(self, result):
        self._callbacks[0](result)
        self.deleteLater()

    @Slot(str)
    def failed(self, message):
        self._callbacks[1](message)
        self.deleteLater()

    @Slot(float)
    def progress(self, fraction):
        if self._callbacks[2] is not None:
            self._callbacks[2](fraction)

    @Slot()
    def cancelled(self):
        if self._callbacks[3] is not None:
            self._callbacks[3]()
        self.deleteLater()


def start_job(parent: QObject, job, on_finished, on_failed, on_progress=None, on_cancelled=None) -> tuple[QThread, JobWorker]:
    """Start ``job`` in a new thread owned by ``parent``; callbacks run in the GUI thread."""
    thread = QThread(parent)
    worker = JobWorker(job)
    worker.moveToThread(thread)
    relay = _Relay(parent, on_finished, on_failed, on_progress, on_cancelled)
    thread.started.connect(worker.run)
    worker.finished.connect(relay.finished, Qt.QueuedConnection)
    worker.failed.connect(relay.failed, Qt.QueuedConnection)
    worker.progress.connect(relay.progress, Qt.QueuedConnection)
    worker.cancelled.connect(relay.cancelled, Qt.QueuedConnection)
    for signal in (worker.finished, worker.failed, worker.cancelled):
        signal.connect(thread.quit)
    thread.finished.connect(worker.deleteLater)
    thread.finished.connect(thread.deleteLater)
    thread.start()
    return thread, worker
