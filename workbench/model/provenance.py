"""Where facts come from: the plain records importers yield and the source they describe."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.model.grading import UNGRADED, Grade


@dataclass(frozen=True)
class SourceInfo:
    """One source of facts: an imported file, or the analyst's own work.

    The grade applies to every statement from the source unless a record overrides it.
    ``protected`` marks a source that must not leave the case in any export unless the
    analyst says so explicitly.
    """

    file_name: str | None = None
    sha256: str | None = None
    importer_id: str | None = None
    importer_version: str | None = None
    grade: Grade = UNGRADED
    protected: bool = False
    note: str | None = None
    kind: str = "import"
    #: Importer parameters that shaped the import (a mapping spec, a delimiter), as plain data.
    options: dict[str, Any] | None = None

    @classmethod
    def from_file(cls, path: str | Path, **kwargs: Any) -> "SourceInfo":
        """Describe ``path`` as a source, hashing its contents."""
        path = Path(path)
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return cls(file_name=path.name, sha256=digest.hexdigest(), **kwargs)


@dataclass
class Record:
    """An FtM entity as plain data, with the place in the source it was read from.

    ``entity`` is ``{"id": ..., "schema": ..., "properties": {prop: [values]}}``.
    ``locator`` is human-readable and precise enough to find the value again:
    ``"row 17"``, ``"sdn.csv line 4"``, ``"INDIVIDUAL[3]/INDIVIDUAL_ALIAS[1]"``.
    ``grade`` overrides the source's grade for this record's statements.
    ``extra`` keeps what the source said beyond properties (FtM ``datasets``, ``first_seen``);
    its ``referents`` (other ids of the same entity, as OpenSanctions publishes them) become
    aliases that resolve to this entity.
    """

    entity: dict[str, Any]
    locator: str | None = None
    grade: Grade | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def place_in_source(name: str, locator: str | None) -> str:
    """Where a value came from, in one phrase: the source's name and the row or element in it.

    Importers mostly write locators that name their file already ("demo.ftm.json line 11"); the
    file is then not named twice.
    """
    if not locator:
        return name
    return locator if locator.startswith(name) else f"{name} {locator}"
