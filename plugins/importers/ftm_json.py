"""FollowTheMoney JSON lines (Aleph, OpenAleph, OpenSanctions exports)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from followthemoney.exc import InvalidData

from workbench.model import model
from workbench.model.provenance import Record
from workbench.model.standard import workbench_form
from workbench.plugin_api import Importer, SourceFormatError


class FtmJsonImporter(Importer):
    id = "ftm-json"
    label = "FollowTheMoney JSON lines"
    version = "1.0"
    description = "Entities as FtM JSON, one per line, as Aleph and OpenSanctions export them."
    file_patterns = ("*.ftm.json", "*.ftm.jsonl", "*.jsonl", "*.ijson")

    @classmethod
    def sniff(cls, path: Path) -> float:
        """Certain when the first non-empty line is a JSON object with an FtM schema."""
        try:
            with Path(path).open("r", encoding="utf-8") as handle:
                for line in handle:
                    if line.strip():
                        data = json.loads(line)
                        return 0.95 if isinstance(data, dict) and model.get(data.get("schema", "")) else 0.0
        except (OSError, UnicodeDecodeError, ValueError, AttributeError):
            return 0.0
        return 0.0

    def read(self, path: Path) -> Iterator[Record]:
        path = Path(path)
        # Properties FtM's model does not know are dropped by FtM itself; say which (the import
        # summary lists these notes), with how many entities carried them and where the first was.
        unknown: dict[tuple[str, str], list] = {}
        self.notes: list[str] = []
        # Lines are decoded one by one so that a byte that is not UTF-8 is named by its line.
        with path.open("rb") as handle:
            for line_number, raw in enumerate(handle, start=1):
                where = f"{path.name} line {line_number}"
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as error:
                    column = len(raw[: error.start].decode("utf-8", "replace")) + 1
                    raise SourceFormatError(
                        f"{where}: not UTF-8 text (byte 0x{raw[error.start]:02x} at column {column}); "
                        "expected FtM JSON lines in UTF-8"
                    ) from error
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                except json.JSONDecodeError as error:
                    raise SourceFormatError(f"{where}: not valid JSON ({error.msg} at column {error.colno})") from error
                except RecursionError:
                    raise SourceFormatError(
                        f"{where}: JSON nested too deeply to read; expected one FtM entity per line "
                        "(an object with an id, a schema and properties)"
                    ) from None
                if not isinstance(data, dict) or "schema" not in data:
                    raise SourceFormatError(f"{where}: expected an FtM entity with an id and a schema")
                # Workbench's own types written as standard FtM come back as they were; links
                # made only for FtM's tools are not imported (workbench.model.standard).
                data = workbench_form(data)
                if data is None:
                    continue
                try:
                    # cleaned=False makes FtM validate and normalise every value through its types.
                    proxy = model.get_proxy(data, cleaned=False)
                except InvalidData as error:
                    raise SourceFormatError(f"{where}: {error}") from error
                if not proxy.id:
                    raise SourceFormatError(f"{where}: the entity has no id")
                properties = data.get("properties") if isinstance(data.get("properties"), dict) else {}
                for name in properties:
                    if proxy.schema.get(name) is None:
                        seen = unknown.setdefault((proxy.schema.name, name), [0, where])
                        seen[0] += 1
                extra = {key: data[key] for key in ("datasets", "referents", "first_seen", "last_seen") if key in data}
                yield Record(proxy.to_dict(), locator=where, extra=extra)
        self.notes = [
            f"property '{prop}' is not one of FtM's {schema} properties: its values in "
            f"{count:,} entit{'y' if count == 1 else 'ies'} were not imported (first at {first})"
            for (schema, prop), (count, first) in sorted(unknown.items())
        ]
