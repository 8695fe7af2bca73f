"""Old home of ``share``, ``reidentify`` and ``audit``: they live in :mod:`workbench.cli.share` now."""

from workbench.cli.share import audit, register, reidentify_command, share

__all__ = ["audit", "register", "reidentify_command", "share"]
