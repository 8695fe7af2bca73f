"""Importing a file into a case: choose the importer, describe the source, ingest atomically.

Shared by the command line and the desktop app so both behave the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.files import not_a_file
from workbench.model import Record, SourceInfo
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
    #: What the importer read but could not carry (an FtM property the model does not know).
    notes: list = None
    #: The file that was given, when it is a companion of ``path`` (OFAC's add.csv beside sdn.csv).
    given: Path | None = None
    #: When skipped as imported before: that source's id.
    earlier_source: int | None = None


def resolve_importer(path: Path, importer_id: str | None) -> type[Importer]:
    if importer_id:
        return find_plugin(importer_id, kind="importer")
    return choose_importer(path)


def main_file_of(path: str | Path, importer_id: str | None = None, options: dict[str, Any] | None = None) -> Path:
    """The file an import of ``path`` reads as its main file (sdn.csv for OFAC's add.csv), else ``path``.

    For the host to import a list once when it is given the list's companion files too.
    """
    path = Path(path)
    if not path.is_file():
        return path  # import_file names what it is; a named pipe is never read to sniff it
    try:
        return Path(resolve_importer(path, importer_id)(**(options or {})).main_file(path))
    except Exception:  # noqa: BLE001 - import_file reports the problem with the file itself
        return path


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
    why = not_a_file(path)
    if why is not None:
        advice = {"no such file": "", "a folder": "; name the files in it"}.get(why, "; import a saved copy of it")
        raise SourceFormatError(f"{path}: {why}{advice}")
    importer_class = resolve_importer(path, importer_id)
    importer = importer_class(**(options or {}))
    given = None
    main = Path(importer.main_file(path))
    if main != path:
        given, path = path, main  # a companion file: the import is its main file's
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
                given=given,
                earlier_source=earlier["id"],
                skipped=f"already imported as source #{earlier['id']} on {earlier['imported_at']} (same file, "
                f"same importer and options); use --again to import it once more",
            )
    report = case.ingest(_named_failures(importer.read(path), path, importer_class), source, progress=progress)
    return ImportOutcome(path, importer_class.id, report=report, left_out=list(getattr(importer, "skipped", []) or []),
                         notes=list(getattr(importer, "notes", []) or []), given=given)


def _named_failures(records: Iterable[Record], path: Path, importer_class: type[Importer]) -> Iterator[Record]:
    """The importer's records; whatever else it raises becomes a :class:`SourceFormatError` naming the file.

    An importer should name the place and what it expected itself; this is the net under all of
    them (a byte that is not UTF-8, JSON nested past Python's recursion limit, a plugin's own bug),
    so the command line and the app report one line and go on with the next file. Raised inside
    the ingest's transaction, it leaves the case unchanged. Only the importer's own steps are
    caught: an error of the case itself goes through as it is.
    """
    iterator = iter(records)
    while True:
        try:
            record = next(iterator)
        except StopIteration:
            return
        except SourceFormatError:
            raise
        except UnicodeDecodeError as error:
            place = _first_undecodable(path) if error.encoding.replace("-", "").lower() == "utf8" else None
            raise SourceFormatError(f"{path.name}{place or ''}: not {error.encoding} text ({error.reason}); the "
                                    f"{importer_class.id} importer expects {error.encoding}") from error
        except RecursionError:
            raise SourceFormatError(f"{path.name}: nested too deeply for the {importer_class.id} importer to read") \
                from None
        except Exception as error:  # noqa: BLE001 - a plugin's failure is reported, never a traceback
            raise SourceFormatError(f"{path.name}: the {importer_class.id} importer failed "
                                    f"({type(error).__name__}: {error})") from error
        yield record


def _first_undecodable(path: Path) -> str | None:
    """`` line N`` and the first byte of ``path`` that is not UTF-8, or ``None``."""
    try:
        with path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError as error:
                    column = len(line[: error.start].decode("utf-8", "replace")) + 1
                    return f" line {number} (byte 0x{line[error.start]:02x} at column {column})"
    except OSError:
        return None
    return None


def estimate_records(path: Path) -> int | None:
    """A cheap guess at the number of records in a text file, for progress bars: its lines."""
    if not Path(path).is_file():
        return None  # a pipe read here would be gone (or wait for a writer forever)
    try:
        with Path(path).open("rb") as handle:
            return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))
    except OSError:
        return None
