"""File → Export chart image, Export timeline image and Case report: file dialogs and the report dialog.

The pictures themselves are drawn by ``workbench.ui.rendering``; the report is built by
``workbench.report``. This module asks the analyst where and what, and says what was written.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from workbench.ui.rendering import SCREEN_DPI, ExportedImage, ExportError, export_chart, export_timeline


def _save_name(window, caption: str, suggested: str, filters: str) -> str | None:
    from PySide6.QtWidgets import QFileDialog

    folder = window.case.path.parent if window.case is not None else Path.home()
    name, _ = QFileDialog.getSaveFileName(window, caption, str(folder / suggested), filters)
    return name or None


_PICTURES = "PNG (*.png);;SVG (*.svg);;PDF (*.pdf)"


def _target(window, path: str | Path | None, caption: str, suggested: str, filters: str,
            suffixes: tuple[str, ...]) -> Path | None:
    """Where to write: ``path`` if given, else the file the analyst picks (``None`` if cancelled),
    with the first of ``suffixes`` added to a name that ends in none of them."""
    path = path or _save_name(window, caption, suggested, filters)
    if not path:
        return None
    path = Path(path)
    if path.suffix.lower() not in suffixes:
        path = path.with_name(path.name + suffixes[0])
    return path


def _picture_size(widget: QWidget) -> tuple[int, int]:
    """A picture a little larger than the widget, so the title and legend do not squeeze the chart."""
    return max(widget.width(), 1200), max(widget.height() + 220, 900)


def _picture_dialog(window, path: str | Path | None, what: str, export, view: QWidget,
                    size: tuple[int, int]) -> ExportedImage | None:
    """Export ``view`` (the chart or the timeline) as the window shows it, to PNG (at 192 dpi), SVG or PDF."""
    if window.case is None:
        return None
    path = _target(window, path, f"Export {what} image", f"{what}.png", _PICTURES, (".png", ".svg", ".pdf"))
    if path is None:
        return None
    title = window.case.meta("title") or window.case.path.stem
    return _with_notice(window, lambda: export(view, path, size=size, dpi=2 * SCREEN_DPI, title=title,
                                               subtitle=what.capitalize()), what)


def export_chart_dialog(window, path: str | Path | None = None) -> ExportedImage | None:
    """File → Export chart image: the chart as the window shows it, to PNG (at 192 dpi), SVG or PDF."""
    return _picture_dialog(window, path, "chart", export_chart, window.chart, _picture_size(window.chart))


def export_timeline_dialog(window, path: str | Path | None = None) -> ExportedImage | None:
    """File → Export timeline image: the timeline as the window shows it, to PNG, SVG or PDF."""
    timeline = window.timeline
    return _picture_dialog(window, path, "timeline", export_timeline, timeline,
                           (max(timeline.width(), 1200), max(timeline.height() + 200, 600)))


def _with_notice(window, work, what: str):
    from PySide6.QtWidgets import QMessageBox

    QApplication.setOverrideCursor(Qt.WaitCursor)
    try:
        result = work()
    except (ExportError, OSError) as error:
        QApplication.restoreOverrideCursor()
        QMessageBox.warning(window, f"Cannot export the {what}", str(error))
        return None
    QApplication.restoreOverrideCursor()
    window.notice(f"Wrote {result.path}")
    return result


class ReportOptionsDialog:
    """Which findings go into the report, and whether protected sources may."""

    def __init__(self, window):
        from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QLabel, QRadioButton, QVBoxLayout

        self.dialog = QDialog(window)
        self.dialog.setWindowTitle("Case report")
        counts = window.case.finding_counts() if window.case else {}
        current = window.findings.current_finding() if hasattr(window, "findings") else None
        self.current_id = current["id"] if current else None
        layout = QVBoxLayout(self.dialog)
        layout.addWidget(QLabel("Findings in the report:"))
        self.confirmed = QRadioButton(f"Confirmed findings ({counts.get('confirmed', 0)})")
        self.everything = QRadioButton(f"All current findings ({sum(counts.values())}), with their status")
        self.chosen = QRadioButton(f"Only finding #{self.current_id}, selected in the Findings panel"
                                   if self.current_id else "Only the finding selected in the Findings panel")
        self.chosen.setEnabled(self.current_id is not None)
        self.confirmed.setChecked(True)
        for button in (self.confirmed, self.everything, self.chosen):
            layout.addWidget(button)
        self.protected = QCheckBox("Include protected sources (names them and shows what only they say)")
        layout.addWidget(self.protected)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.dialog.accept)
        buttons.rejected.connect(self.dialog.reject)
        layout.addWidget(buttons)

    def options(self) -> dict:
        """Keyword arguments for :func:`workbench.report.build_report`."""
        if self.chosen.isChecked() and self.current_id is not None:
            chosen = {"finding_ids": [self.current_id]}
        else:
            chosen = {"statuses": None if self.everything.isChecked() else ("confirmed",)}
        return {**chosen, "include_protected": self.protected.isChecked()}

    def exec(self) -> dict | None:
        return self.options() if self.dialog.exec() else None


def report_dialog(window, path: str | Path | None = None, options: dict | None = None):
    """File → Case report: ask which findings, then write the report (PDF or HTML) of the open case.

    The chart in the report is drawn with the window's current filters. Returns the
    :class:`workbench.report.ReportResult`, or ``None`` if cancelled or failed.
    """
    from PySide6.QtWidgets import QMessageBox

    from workbench.report.builder import build_report
    from workbench.store import CaseError

    if window.case is None:
        return None
    if options is None:
        options = ReportOptionsDialog(window).exec()
        if options is None:
            return None
    path = _target(window, path, "Case report", "report.pdf", "PDF (*.pdf);;HTML (*.html)", (".pdf", ".html", ".htm"))
    if path is None:
        return None
    QApplication.setOverrideCursor(Qt.WaitCursor)
    try:
        result = build_report(window.case, path, graph_filter=window.graph_filter, **options)
    except (CaseError, ExportError, OSError) as error:
        QApplication.restoreOverrideCursor()
        QMessageBox.warning(window, "Cannot write the report", str(error))
        return None
    QApplication.restoreOverrideCursor()
    left_out = f"; {len(result.withheld_findings)} left out (protected sources)" if result.withheld_findings else ""
    window.notice(f"Wrote {result.path}: {len(result.findings)} findings{left_out}")
    return result


__all__ = ["ReportOptionsDialog", "export_chart_dialog", "export_timeline_dialog", "report_dialog"]
