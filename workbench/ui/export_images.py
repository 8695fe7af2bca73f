"""The old home of pictures and export dialogs, kept so that existing imports still work.

Pictures and HTML-to-PDF are in ``workbench.ui.rendering``, legends in ``workbench.ui.legend``,
the menu entries and report dialog in ``workbench.ui.export_dialogs``, and the Qt-free timeline
model in ``workbench.analysis.timeline_model``. New code imports from those.
"""

from workbench.analysis.timeline_model import timeline_model
from workbench.ui.export_dialogs import (
    ReportOptionsDialog,
    export_chart_dialog,
    export_timeline_dialog,
    report_dialog,
)
from workbench.ui.legend import (
    LegendEntry,
    LegendSection,
    chart_legend,
    timeline_legend,
)
from workbench.ui.legend import paint_swatch as _paint_swatch
from workbench.ui.legend import type_label as _type_label
from workbench.ui.qt_app import ensure_application
from workbench.ui.rendering import (
    IMAGE_FORMATS,
    SCREEN_DPI,
    ExportedImage,
    ExportError,
    export_chart,
    export_timeline,
    html_to_pdf,
    offscreen_chart,
    offscreen_timeline,
    place_unplaced,
)

__all__ = [
    "IMAGE_FORMATS",
    "SCREEN_DPI",
    "ExportError",
    "ExportedImage",
    "LegendEntry",
    "LegendSection",
    "ReportOptionsDialog",
    "_paint_swatch",
    "_type_label",
    "chart_legend",
    "ensure_application",
    "export_chart",
    "export_chart_dialog",
    "export_timeline",
    "export_timeline_dialog",
    "html_to_pdf",
    "offscreen_chart",
    "offscreen_timeline",
    "place_unplaced",
    "report_dialog",
    "timeline_legend",
    "timeline_model",
]
