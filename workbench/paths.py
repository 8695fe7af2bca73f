"""Where Workbench keeps the user's own files (plugins, keys, the app's demo copy)."""

from __future__ import annotations

import os
from pathlib import Path


def user_data_dir() -> Path:
    """``$XDG_DATA_HOME/workbench``, else ``~/.local/share/workbench``: the user's data folder."""
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "workbench"
