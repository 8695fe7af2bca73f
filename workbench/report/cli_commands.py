"""Old home of ``workbench report`` and ``workbench image``: they live in :mod:`workbench.cli.report` now."""

from workbench.cli.report import image, register, report

__all__ = ["image", "register", "report"]
