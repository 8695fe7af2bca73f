"""Reference tables (CHPL codes, transshipment points, webmail domains, ...) as editable CSV files.

They live in ``resources/reference/``; a file of the same name in ``$WORKBENCH_REFERENCE_DIR``
overrides the bundled one, so an analyst can adjust a list without touching the installation.
"""

from __future__ import annotations

import csv
import os
from functools import lru_cache
from pathlib import Path

from workbench.resources import resources_dir


def table_path(name: str) -> Path:
    override = os.environ.get("WORKBENCH_REFERENCE_DIR")
    if override and (Path(override) / f"{name}.csv").is_file():
        return Path(override) / f"{name}.csv"
    path = resources_dir() / "reference" / f"{name}.csv"
    if not path.is_file():
        raise FileNotFoundError(f"no reference table {name!r} (looked for {path})")
    return path


@lru_cache(maxsize=None)
def _read(path: Path, mtime: float) -> tuple[dict[str, str], ...]:
    with path.open(encoding="utf-8") as handle:
        lines = [line for line in handle if line.strip() and not line.lstrip().startswith("#")]
    return tuple(dict(row) for row in csv.DictReader(lines))


def table(name: str) -> list[dict[str, str]]:
    """The rows of a reference table as dicts (comment lines skipped)."""
    path = table_path(name)
    return list(_read(path, path.stat().st_mtime))


def column(name: str, field: str) -> frozenset[str]:
    """One column of a reference table as a set, e.g. ``column("webmail_domains", "domain")``."""
    return frozenset(row[field].strip() for row in table(name) if row.get(field))


def chpl_tiers() -> dict[str, str]:
    """HS-6 code to CHPL tier ("1", "2", "3.A", ...)."""
    return {row["hs6"].strip(): row["tier"].strip() for row in table("chpl_hs6")}
