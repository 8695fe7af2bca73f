"""Build the bundled demo case from its FtM JSON lines."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from workbench.model import SourceInfo, parse_grade
from workbench.plugin_api import find_plugin
from workbench.resources import demo_case_file
from workbench.store import Case


def build_demo_case(path: Path, progress: Callable[[int, int], None] | None = None) -> Case:
    """Create ``path`` and ingest the demo network into it through the FtM importer."""
    # The demo goes through the same discovered plugin that a user's FtM file would.
    importer = find_plugin("ftm-json")()
    source_file = demo_case_file()
    with source_file.open(encoding="utf-8") as handle:
        total = sum(1 for line in handle if line.strip())
    case = Case.create(path, title="Demo: Vostralin procurement network (fictional)")
    try:
        case.ingest(
            importer.read(source_file),
            SourceInfo.from_file(
                source_file,
                importer_id=importer.id,
                importer_version=importer.version,
                grade=parse_grade("B2"),
                note="Fictional demo network bundled with Workbench",
            ),
            progress=(lambda done: progress(done, total)) if progress else None,
        )
    except BaseException:
        case.close()
        raise
    return case
