"""Small helpers shared by the parts of the case store."""

from __future__ import annotations

import getpass
import os
from datetime import datetime, timezone


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _analyst() -> str:
    return os.environ.get("WORKBENCH_ANALYST") or getpass.getuser()
