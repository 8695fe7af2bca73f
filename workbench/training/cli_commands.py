"""Old home of ``workbench train``: it lives in :mod:`workbench.cli.training` now."""

from workbench.cli.training import register, train

__all__ = ["register", "train"]
