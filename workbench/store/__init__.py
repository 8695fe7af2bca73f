"""The case store: one SQLite file per investigation.

``Case`` is the one door; the errors a case can raise are those of :mod:`workbench.store.errors`.
"""

from workbench.store import errors
from workbench.store.case import SUFFIX, Case, IngestReport
from workbench.store.errors import *  # noqa: F403  (every error a case can raise, as errors.__all__ lists them)

__all__ = ["SUFFIX", "Case", "IngestReport"]
__all__ += errors.__all__
