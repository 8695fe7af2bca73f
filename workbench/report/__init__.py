"""Evidence out of the case: the case report (HTML, PDF) from a template in ``resources/``.

Pictures in a report come from the UI's own chart and timeline views, rendered offscreen
(``workbench.ui.export_images``); Qt is loaded only when a report is built.
"""

from workbench.report.builder import (
    DEFAULT_STATUSES,
    REPORT_FORMATS,
    ReportResult,
    build_report,
    choose_findings,
    protected_only_entities,
    shareable_graph,
)

__all__ = [
    "DEFAULT_STATUSES",
    "REPORT_FORMATS",
    "ReportResult",
    "build_report",
    "choose_findings",
    "protected_only_entities",
    "shareable_graph",
]
