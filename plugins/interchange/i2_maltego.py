"""Kept so the old import path works: i2 ANX now lives in ``i2_anx``, Maltego in ``maltego``,
what both share in ``chart_common``. Import from those modules in new code."""

from workbench_plugins.interchange.chart_common import *  # noqa: F401,F403
from workbench_plugins.interchange.i2_anx import *  # noqa: F401,F403
from workbench_plugins.interchange.maltego import *  # noqa: F401,F403
