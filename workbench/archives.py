"""Opening the zip archives importers read (XLSX workbooks, Maltego MTGX graphs) within limits.

A zip names the size of each member in its headers, but a few megabytes of compressed
whitespace or of one repeated letter unpack to gigabytes, and an XML parser holds a text value
whole: a 4 MB MTGX of whitespace once peaked at 4.4 GB, a 1 MB workbook with one huge cell at
2.2 GB. Every importer that reads a zip goes through here:

* :func:`check_archive` refuses an archive whose headers promise more than
  :attr:`ArchiveLimits.member_bytes` for one member or :attr:`ArchiveLimits.total_bytes` for all,
  then unpacks every member as a stream (headers can lie) counting bytes, and reads each XML
  member with expat counting the length of every text value and attribute against
  :attr:`ArchiveLimits.value_chars`. Nothing is held but a small buffer, so a bomb costs time
  up to the limit, never memory. Libraries that open the archive themselves (openpyxl) are
  handed it only after this check.
* :func:`open_member` gives a member as a stream that stops at the same limits while it is
  read, for importers that parse it themselves.
* :func:`read_member` reads a small member whole (a workbook's index), within a limit.

Every refusal is an :class:`ArchiveTooLarge`, a :class:`SourceFormatError` whose one-line
message names the file, the member and the limit; raised inside an import, the case is left as
it was. The limits can be raised for a file that really is this large with the environment
variables ``WORKBENCH_MAX_UNPACKED_MB`` (one member), ``WORKBENCH_MAX_UNPACKED_TOTAL_MB`` and
``WORKBENCH_MAX_VALUE_CHARS``.
"""

from __future__ import annotations

import io
import os
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from xml.parsers import expat

from workbench.plugin_api import SourceFormatError

MB = 1 << 20


class ArchiveTooLarge(SourceFormatError):
    """An archive, a member or a value inside one is larger than an importer accepts."""


@dataclass(frozen=True)
class ArchiveLimits:
    #: Bytes one member may unpack to. A workbook of a million rows unpacks to a few hundred MB.
    member_bytes: int = 512 * MB
    #: Bytes all members together may unpack to.
    total_bytes: int = 1024 * MB
    #: Characters one text value (a cell, a property, an attribute) may hold; also the longest
    #: run of whitespace between elements.
    value_chars: int = 1_000_000

    @classmethod
    def current(cls) -> "ArchiveLimits":
        """The default limits, or those the environment sets (see the module docstring)."""
        default = cls()

        def number(name: str, fallback: int, unit: int = 1) -> int:
            value = os.environ.get(name, "").strip()
            try:
                return int(float(value) * unit) if value else fallback
            except ValueError:
                return fallback

        return cls(
            member_bytes=number("WORKBENCH_MAX_UNPACKED_MB", default.member_bytes, MB),
            total_bytes=number("WORKBENCH_MAX_UNPACKED_TOTAL_MB", default.total_bytes, MB),
            value_chars=number("WORKBENCH_MAX_VALUE_CHARS", default.value_chars),
        )


def _size(count: int) -> str:
    if count >= MB:
        return f"{count / MB:,.0f} MB"
    return f"{count:,} bytes"


def _too_large(path: Path, member: str, what: str, limit: int, unit: str, variable: str) -> ArchiveTooLarge:
    """``FILE: MEMBER WHAT …``, one line that names the limit (``{limit}`` in ``what``) and what to do."""
    limit_text = _size(limit) if unit == "bytes" else f"{limit:,} characters"
    return ArchiveTooLarge(
        f"{Path(path).name}: {member} {what.format(limit=limit_text)} (a zip bomb or a damaged file?); "
        f"nothing was imported. Set {variable} to allow more")


class _LimitedMember(io.RawIOBase):
    """A member of a zip read as a stream that refuses to unpack past the limits."""

    def __init__(self, handle, path: Path, member: str, limits: ArchiveLimits, counter: list[int]):
        self._handle = handle
        self._path = path
        self._member = member
        self._limits = limits
        self._counter = counter  # bytes unpacked so far from the whole archive, shared by members
        self.unpacked = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._handle.read(len(buffer))
        self.unpacked += len(data)
        self._counter[0] += len(data)
        if self.unpacked > self._limits.member_bytes:
            raise _member_too_large(self._path, self._member, "unpacks to more than its headers said, past",
                                    self._limits)
        if self._counter[0] > self._limits.total_bytes:
            raise _archive_too_large(self._path, "unpacks to more than its headers said, past", self._limits)
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._handle.close()
        super().close()


def _member_too_large(path: Path, member: str, what: str, limits: ArchiveLimits) -> ArchiveTooLarge:
    return _too_large(path, member, what + " the {limit} one member may", limits.member_bytes, "bytes",
                      "WORKBENCH_MAX_UNPACKED_MB")


def _archive_too_large(path: Path, what: str, limits: ArchiveLimits) -> ArchiveTooLarge:
    return _too_large(path, "the archive", what + " the {limit} all members together may", limits.total_bytes,
                      "bytes", "WORKBENCH_MAX_UNPACKED_TOTAL_MB")


def _check_headers(path: Path, archive: zipfile.ZipFile, limits: ArchiveLimits) -> None:
    total = 0
    for info in archive.infolist():
        if info.file_size > limits.member_bytes:
            raise _member_too_large(path, info.filename, f"would unpack to {_size(info.file_size)}, more than", limits)
        total += info.file_size
    if total > limits.total_bytes:
        raise _archive_too_large(path, f"would unpack to {_size(total)}, more than", limits)


def open_member(archive: zipfile.ZipFile, member: str, path: str | Path, *, limits: ArchiveLimits | None = None,
                _counter: list[int] | None = None) -> io.BufferedReader:
    """``member`` of ``archive`` as a binary stream that raises :class:`ArchiveTooLarge` past the limits."""
    limits = limits or ArchiveLimits.current()
    info = archive.getinfo(member)
    if info.file_size > limits.member_bytes:
        raise _member_too_large(Path(path), member, f"would unpack to {_size(info.file_size)}, more than", limits)
    raw = _LimitedMember(archive.open(member), Path(path), member, limits, _counter if _counter is not None else [0])
    return io.BufferedReader(raw, buffer_size=256 * 1024)


def read_member(archive: zipfile.ZipFile, member: str, path: str | Path, *, limit: int = 16 * MB) -> bytes:
    """All of a small member (a workbook's index), refused past ``limit`` bytes however it is packed."""
    limits = ArchiveLimits.current()
    limits = ArchiveLimits(min(limit, limits.member_bytes), limits.total_bytes, limits.value_chars)
    with open_member(archive, member, path, limits=limits) as handle:
        return handle.read()


class _ValueCounter:
    """Counts the characters of each text value and whitespace run expat reports, and refuses long ones."""

    def __init__(self, path: Path, member: str, limit: int):
        self.path, self.member, self.limit = path, member, limit
        self.length = 0
        self.parser = expat.ParserCreate()
        self.parser.buffer_text = False
        self.parser.CharacterDataHandler = self.text
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        # No DTD, so no entity can expand (the billion laughs): a workbook or a graph needs none.
        self.parser.StartDoctypeDeclHandler = self.doctype
        self.parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(self, what: str) -> ArchiveTooLarge:
        return _too_large(self.path, self.member, what, self.limit, "characters", "WORKBENCH_MAX_VALUE_CHARS")

    def text(self, data: str) -> None:
        self.length += len(data)
        if self.length > self.limit:
            raise self.refuse(f"has a text value at line {self.parser.CurrentLineNumber} longer than {{limit}}")

    def start(self, name: str, attributes: dict) -> None:
        self.length = 0
        for value in attributes.values():
            if len(value) > self.limit:
                raise self.refuse(f"has an attribute of <{name}> at line {self.parser.CurrentLineNumber} "
                                  "longer than {limit}")

    def end(self, name: str) -> None:
        self.length = 0

    def doctype(self, *args) -> None:
        raise SourceFormatError(f"{self.path.name}: {self.member} declares a DTD (<!DOCTYPE>), which a workbook or a "
                                "graph never needs; refused, because its entities can expand without limit")


def _check_values(path: Path, member: str, handle, limits: ArchiveLimits) -> None:
    """Stream ``handle`` through expat, refusing a value longer than the limit.

    Runs of bytes without a ``<`` are counted too: expat holds a whole start tag (its
    attributes) before it reports it, so a huge attribute is caught here before expat holds it.
    """
    counter = _ValueCounter(path, member, limits.value_chars)
    # Bytes, not characters: UTF-8 takes up to 4 bytes a character.
    longest_run = limits.value_chars * 4
    run = 0
    while True:
        block = handle.read(256 * 1024)
        if not block:
            break
        last = block.rfind(b"<")
        if last < 0:
            run += len(block)
        else:
            # A block is far shorter than the limit: only a run carried over from earlier blocks
            # can pass it.
            if run + block.find(b"<") > longest_run:
                raise counter.refuse("has a value or tag longer than {limit}")
            run = len(block) - last - 1
        if run > longest_run:
            raise counter.refuse("has a value or tag longer than {limit}")
        try:
            counter.parser.Parse(block, False)
        except expat.ExpatError:
            return  # not well-formed: the importer's own parser reports where, in its words
    try:
        counter.parser.Parse(b"", True)
    except expat.ExpatError:
        return


def check_archive(path: str | Path, *, xml_members: bool = True, limits: ArchiveLimits | None = None) -> None:
    """Refuse ``path`` if it unpacks past the limits; return quietly if it does not (or is no zip).

    The headers are checked first (cheap), then every member is unpacked as a stream, and each
    ``.xml``-like member is scanned for values longer than the limit. A file that is not a zip,
    or is a damaged one, is left for the importer to report in its own words.
    """
    path = Path(path)
    limits = limits or ArchiveLimits.current()
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile, ValueError, EOFError):
        return
    with archive:
        _check_headers(path, archive, limits)
        unpacked = [0]
        for info in archive.infolist():
            if info.is_dir():
                continue
            try:
                with open_member(archive, info.filename, path, limits=limits, _counter=unpacked) as handle:
                    if xml_members and info.filename.lower().endswith((".xml", ".rels", ".graphml", ".vml")):
                        _check_values(path, info.filename, handle, limits)
                    else:
                        while handle.read(1 << 20):
                            pass
            except ArchiveTooLarge:
                raise
            except SourceFormatError:
                raise
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError):
                return  # damaged or encrypted: the importer says so in its own words
