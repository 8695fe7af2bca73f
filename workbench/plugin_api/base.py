"""Base classes for plugins. Class attributes are the manifest; plugins return plain data.

A plugin never touches the UI, and never writes to the case itself: importers yield records
that the host writes in one transaction; detectors yield findings that the host stores;
exporters read the case through its read interface, :class:`CaseReader`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from workbench.model.provenance import Record
from workbench.plugin_api.case_reader import CaseReader


class SourceFormatError(ValueError):
    """A file does not hold what its importer expects; the message names the file and place."""


class ParameterError(ValueError):
    """A parameter value is missing, of the wrong type or out of its declared range."""


@dataclass(frozen=True)
class Parameter:
    """A declared plugin parameter: its default, range or choices, and a line of help."""

    default: Any = None
    help: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] | None = None
    required: bool = False

    def check(self, name: str, value: Any) -> Any:
        if value is None:
            if self.required:
                raise ParameterError(f"parameter {name!r} is required: {self.help}")
            return self.default
        if self.default is not None and not isinstance(self.default, str) and isinstance(value, str):
            # Values typed on the command line arrive as text; convert to the default's type.
            try:
                if isinstance(self.default, bool):
                    lowered = value.strip().lower()
                    if lowered not in ("true", "false", "yes", "no", "1", "0"):
                        raise ValueError(value)
                    value = lowered in ("true", "yes", "1")
                else:
                    value = type(self.default)(value)
            except (TypeError, ValueError) as error:
                raise ParameterError(
                    f"parameter {name!r} expects {type(self.default).__name__}, got {value!r}"
                ) from error
        if self.minimum is not None and value < self.minimum:
            raise ParameterError(f"parameter {name!r} must be at least {self.minimum}, got {value!r}")
        if self.maximum is not None and value > self.maximum:
            raise ParameterError(f"parameter {name!r} must be at most {self.maximum}, got {value!r}")
        if self.choices is not None and value not in self.choices:
            raise ParameterError(f"parameter {name!r} must be one of {list(self.choices)}, got {value!r}")
        return value


class Plugin:
    """Common manifest of every plugin.

    Subclasses set the class attributes; ``parameters`` declares what the analyst may change.
    An instance holds checked parameter values in ``self.options``.
    """

    id: ClassVar[str] = ""
    label: ClassVar[str] = ""
    version: ClassVar[str] = "0"
    description: ClassVar[str] = ""
    parameters: ClassVar[dict[str, Parameter]] = {}
    kind: ClassVar[str] = "plugin"

    def __init__(self, **options: Any):
        unknown = set(options) - set(self.parameters)
        if unknown:
            known = ", ".join(sorted(self.parameters)) or "none"
            raise ParameterError(f"{self.id} has no parameter {sorted(unknown)[0]!r} (it takes: {known})")
        self.options = {name: spec.check(name, options.get(name)) for name, spec in self.parameters.items()}

    @classmethod
    def manifest(cls) -> dict[str, Any]:
        """The manifest as plain data (for `workbench plugins --json` and the plugins dialog)."""
        return {
            "id": cls.id,
            "kind": cls.kind,
            "label": cls.label,
            "version": cls.version,
            "description": cls.description,
            "parameters": {
                name: {
                    "default": spec.default,
                    "help": spec.help,
                    "minimum": spec.minimum,
                    "maximum": spec.maximum,
                    "choices": list(spec.choices) if spec.choices else None,
                    "required": spec.required,
                }
                for name, spec in cls.parameters.items()
            },
        }


class Importer(Plugin):
    """Reads a file and yields :class:`Record` objects; the host writes them in one transaction.

    Raise :class:`SourceFormatError` naming the file and the row, line or element for input
    that does not fit. An importer never touches the store or the UI.
    """

    kind = "importer"
    #: Glob patterns of file names this importer reads, e.g. ``("*.ftm.json", "*.jsonl")``.
    file_patterns: ClassVar[tuple[str, ...]] = ()
    #: FtM topics this importer gives the entities it lists (e.g. ``("sanction",)``).
    topics: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def sniff(cls, path: Path) -> float:
        """How sure this importer is that it can read ``path``, from 0 (no) to 1 (certain).

        The default trusts the file name; importers that can recognise their content (a header
        row, an XML root) override this and look.
        """
        name = Path(path).name.lower()
        return 0.5 if any(fnmatch.fnmatch(name, pattern) for pattern in cls.file_patterns) else 0.0

    def read(self, path: Path) -> Iterator[Record]:
        raise NotImplementedError

    def main_file(self, path: Path) -> Path:
        """The file that an import of ``path`` stands for: ``path`` itself, or for a companion
        file (OFAC's add.csv) the main file it belongs to (sdn.csv beside it).

        The host imports the main file instead, once, however many of its companions it is given.
        """
        return Path(path)

    def companion_files(self, path: Path) -> list[Path]:
        """Other files this import reads beside ``path`` (OFAC's alt.csv beside sdn.csv).

        Their hashes are kept with the source, so a changed companion makes a new import
        rather than a skipped duplicate.
        """
        return []

    def source_options(self) -> dict[str, Any]:
        """The parameters that shaped this import, as JSON-able data kept with the source.

        Re-importing a file with the same importer and the same options is recognised and
        skipped, so nothing is duplicated.
        """
        return {name: value if isinstance(value, (str, int, float, bool, type(None), list, dict)) else str(value)
                for name, value in self.options.items() if value not in (None, "")}


class Detector(Plugin):
    """Reads the case and yields findings as plain dicts.

    A finding is ``{"entities": [ids], "evidence": [ids of facts: payments, shipments, links],
    "explanation": "one or two plain sentences", "score": 0..1, "severity": optional override}``.
    """

    kind = "detector"
    severity: ClassVar[str] = "medium"
    #: The published indicator this detector implements (source and paragraph).
    reference: ClassVar[str] = ""

    def run(self, case: CaseReader) -> Iterator[dict[str, Any]]:
        """Yield findings for ``case``, read through :class:`CaseReader` only (it is read-only)."""
        raise NotImplementedError


class Exporter(Plugin):
    """Writes the case to a file in another format.

    ``write`` reads the case through :class:`CaseReader` (``case.iter_entities`` leaves out
    protected sources unless ``include_protected``), writes ``path`` and returns a report:
    ``{"entities": n, "links": m, "losses": ["what this format could not carry", ...]}``.
    """

    kind = "exporter"
    #: The ``--format`` name, e.g. ``"gexf"``.
    format: ClassVar[str] = ""
    file_suffix: ClassVar[str] = ""
    #: What the format cannot carry, for the docs and the export report.
    losses: ClassVar[tuple[str, ...]] = ()

    def write(self, case: CaseReader, path: Path, *, include_protected: bool = False) -> dict[str, Any]:
        raise NotImplementedError
