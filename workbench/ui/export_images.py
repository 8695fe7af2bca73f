"""The old home of pictures and export dialogs, kept so that existing imports still work.

Pictures and HTML-to-PDF are in ``workbench.ui.rendering``, legends in ``workbench.ui.legend``,
the menu entries and report dialog in ``workbench.ui.export_dialogs``, and the Qt-free timeline
model in ``workbench.analysis.timeline_model``. New code imports from those.
"""

from workbench.ui import export_dialogs, rendering
from workbench.ui.export_dialogs import *  # noqa: F403  (the dialogs, as export_dialogs.__all__ lists them)
from workbench.ui.legend import paint_swatch as _paint_swatch
from workbench.ui.legend import type_label as _type_label
from workbench.ui.rendering import *  # noqa: F403  (pictures, legends and PDF, as rendering.__all__ lists them)

__all__ = ["_paint_swatch", "_type_label"]
__all__ += rendering.__all__
__all__ += export_dialogs.__all__
