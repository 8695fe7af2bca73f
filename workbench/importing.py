"""Importing a file into a case: choose the importer, describe the source, ingest atomically.

Shared by the command line and the desktop app so both behave the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.model import SourceInfo
from workbench.model.grading import UNGRADED, Grade
from workbench.plugin_api import Importer, SourceFormatError, choose_importer, find_plugin
from workbench.store import Case, IngestReport


@dataclass
class ImportOutcome:
    """What happened to one file: imported (with its report) or skipped (with the reason)."""

    path: Path
    importer_id: str
    report: IngestReport | None = None
    skipped: str | None = None
    #: Elements the importer left out when asked to skip bad input (``on_error=skip``).
    left_out: list = None


def resolve_importer(path: Path, importer_id: str | None) -> type[Importer]:
    if importer_id:
        return find_plugin(importer_id, kind="importer")
    return choose_importer(path)


def import_file(
    case: Case,
    path: str | Path,
    *,
    importer_id: str | None = None,
    options: dict[str, Any] | None = None,
    grade: Grade = UNGRADED,
    protected: bool = False,
    note: str | None = None,
    again: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportOutcome:
    """Import one file in one transaction; on any error the case is unchanged.

    A file already imported by the same importer with the same options is skipped unless
    ``again`` is set, so re-importing never duplicates anything.
    """
    path = Path(path)
    if not path.is_file():
        raise SourceFormatError(f"{path}: no such file")
    importer_class = resolve_importer(path, importer_id)
    importer = importer_class(**(options or {}))
    recorded_options = importer.source_options()
    companions = importer.companion_files(path)
    if companions:
        recorded_options["companions"] = {
            companion.name: SourceInfo.from_file(companion).sha256 for companion in companions
        }
    source = SourceInfo.from_file(
        path,
        importer_id=importer_class.id,
        importer_version=importer_class.version,
        grade=grade,
        protected=protected,
        note=note,
        options=recorded_options or None,
    )
    if not again:
        earlier = case.find_source(source.sha256, importer_class.id, source.options)
        if earlier is not None:
            return ImportOutcome(
                path,
                importer_class.id,
                skipped=f"already imported as source #{earlier['id']} on {earlier['imported_at']} (same file, "
                f"same importer and options); use --again to import it once more",
            )
    report = case.ingest(importer.read(path), source, progress=progress)
    return ImportOutcome(path, importer_class.id, report=report, left_out=list(getattr(importer, "skipped", []) or []))


def estimate_records(path: Path) -> int | None:
    """A cheap guess at the number of records in a text file, for progress bars: its lines."""
    try:
        with Path(path).open("rb") as handle:
            return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))
    except OSError:
        return None
