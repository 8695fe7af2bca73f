"""Helpers the tests share for looking at case files from outside (import as ``from casefiles import dump``)."""

from __future__ import annotations

import sqlite3
from typing import Any


def dump(case: Any) -> list[str]:
    """Everything in a case file as SQL text (a path or an open case): equal dumps mean an unchanged case."""
    conn = sqlite3.connect(getattr(case, "path", case))
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


__all__ = ["dump"]
