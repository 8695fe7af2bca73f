"""Modules imported when first used, so that opening the window does not pay for them.

networkx and igraph are about 25 MB and a third of a second of imports that a reopened chart
never needs: its first frame is drawn from the case's rows, and a graph is built only when an
analysis asks for one. ``nx = lazy_module("networkx")`` reads like the usual import; the real
import runs (under Python's import lock, so from any thread) at the first attribute looked up.
"""

from __future__ import annotations

import importlib
from types import ModuleType


class _LazyModule:
    __slots__ = ("_name",)

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attribute: str):
        module: ModuleType = importlib.import_module(self._name)  # sys.modules after the first time
        return getattr(module, attribute)

    def __repr__(self) -> str:
        return f"<module {self._name!r}, imported when first used>"


def lazy_module(name: str):
    """Stands for the module ``name`` and imports it at its first use."""
    return _LazyModule(name)
