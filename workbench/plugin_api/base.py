"""Base classes for plugins. Class attributes are the manifest; plugins return plain data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from workbench.model.provenance import Record


class SourceFormatError(ValueError):
    """A file does not hold what its importer expects; the message names the file and place."""


class Plugin:
    """Common manifest of every plugin."""

    id: ClassVar[str] = ""
    label: ClassVar[str] = ""
    version: ClassVar[str] = "0"
    description: ClassVar[str] = ""
    #: Declared parameters: ``{name: {"default": ..., "min": ..., "max": ..., "help": ...}}``.
    parameters: ClassVar[dict[str, dict[str, Any]]] = {}
    kind: ClassVar[str] = "plugin"


class Importer(Plugin):
    """Reads a file and yields :class:`Record` objects; the host writes them in one transaction.

    An importer never touches the store or the UI.
    """

    kind = "importer"
    #: Glob patterns of file names this importer reads, e.g. ``("*.ftm.json", "*.jsonl")``.
    file_patterns: ClassVar[tuple[str, ...]] = ()

    def read(self, path: Path) -> Iterator[Record]:
        raise NotImplementedError


class Detector(Plugin):
    """Reads the case and yields findings as plain dicts."""

    kind = "detector"
    severity: ClassVar[str] = "medium"


class Exporter(Plugin):
    """Writes the case to a file in another format."""

    kind = "exporter"
    file_suffix: ClassVar[str] = ""
