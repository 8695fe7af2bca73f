"""The stored documents of a Lucene 5 index, as Maltego 4 keeps a large graph (``.mtgl``).

A Maltego 4 large graph holds no GraphML: each of ``Graphs/Graph1/DataEntities``,
``StructureLinks``, ``LayoutEntities``, ... is a Lucene 5.4 index whose documents carry the
entities' types and properties, the links' ends and the positions, tied together by a
``__key``. This module reads what Maltego stored in them and nothing else: segment infos
(``.si``, for the number of documents), compound files (``.cfe``/``.cfs``), field infos
(``.fnm``), stored fields (``.fdt``, LZ4-compressed chunks) and live documents (``.liv``, for
documents Maltego replaced). Postings, term vectors and doc values are not read.

Written from Lucene's published file formats (``Lucene50CompoundFormat``,
``Lucene50FieldInfosFormat``, ``Lucene50SegmentInfoFormat``, ``Lucene50StoredFieldsFormat`` with
``CompressingStoredFieldsFormat``, ``Lucene50LiveDocsFormat``); no Lucene code is used.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

CODEC_MAGIC = 0x3FD76C17
#: A stored field's value kinds (the low three bits before each value).
STRING, BYTES, INT, FLOAT, LONG, DOUBLE = range(6)
#: Multipliers of a compressed timestamp (``TLong``): seconds, hours, days.
_TIME_UNITS = {0x00: 1, 0x40: 1000, 0x80: 3_600_000, 0xC0: 86_400_000}


class IndexFormatError(ValueError):
    """The index is not laid out as Lucene 5 writes one; the message says where."""


class _Input:
    def __init__(self, data: bytes, name: str):
        self.data, self.name, self.at = data, name, 0

    def byte(self) -> int:
        if self.at >= len(self.data):
            raise IndexFormatError(f"{self.name}: ends early, at byte {self.at}")
        value = self.data[self.at]
        self.at += 1
        return value

    def take(self, count: int) -> bytes:
        if count < 0 or self.at + count > len(self.data):
            raise IndexFormatError(f"{self.name}: ends early, at byte {self.at} (wanted {count} more)")
        value = self.data[self.at:self.at + count]
        self.at += count
        return value

    def int32(self) -> int:
        return struct.unpack(">i", self.take(4))[0]

    def int64(self) -> int:
        return struct.unpack(">q", self.take(8))[0]

    def vint(self) -> int:
        value = shift = 0
        while True:
            byte = self.byte()
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value
            shift += 7
            if shift > 63:
                raise IndexFormatError(f"{self.name}: a variable-length number longer than 9 bytes at {self.at}")

    def string(self) -> str:
        return self.take(self.vint()).decode("utf-8", "replace")

    def header(self, indexed: bool = True) -> str:
        magic = self.int32() & 0xFFFFFFFF
        if magic != CODEC_MAGIC:
            raise IndexFormatError(f"{self.name}: not a Lucene file (starts {magic:#x}, expected {CODEC_MAGIC:#x})")
        codec = self.string()
        self.int32()  # the codec's version
        if indexed:
            self.take(16)  # the segment's id
            self.take(self.byte())  # the suffix
        return codec


def _zigzag(value: int) -> int:
    return (value >> 1) ^ -(value & 1)


def _packed(data: _Input, count: int, bits: int) -> list[int]:
    raw = data.take((count * bits + 7) // 8)
    number, total, mask = int.from_bytes(raw, "big"), len(raw) * 8, (1 << bits) - 1
    return [(number >> (total - (i + 1) * bits)) & mask for i in range(count)]


def _ints(data: _Input, count: int) -> list[int]:
    """``count`` numbers as the stored-fields writer saves them: one, all equal, or bit-packed."""
    if count == 1:
        return [data.vint()]
    bits = data.vint()
    if bits == 0:
        return [data.vint()] * count
    if bits > 32:
        raise IndexFormatError(f"{data.name}: {bits} bits a number in a chunk header, at most 32 expected")
    return _packed(data, count, bits)


def _lz4(data: _Input, length: int) -> bytes:
    """``length`` bytes of an LZ4 block (Lucene writes no end mark: it stops at the length)."""
    out = bytearray()
    while len(out) < length:
        token = data.byte()
        literals = token >> 4
        if literals == 0x0F:
            while True:
                byte = data.byte()
                literals += byte
                if byte != 0xFF:
                    break
        out += data.take(literals)
        if len(out) >= length:
            break
        distance = data.byte() | (data.byte() << 8)
        if not 0 < distance <= len(out):
            raise IndexFormatError(f"{data.name}: a compressed block refers {distance} bytes back, before its start")
        match = token & 0x0F
        if match == 0x0F:
            while True:
                byte = data.byte()
                match += byte
                if byte != 0xFF:
                    break
        start, match = len(out) - distance, match + 4
        if distance >= match:
            out += out[start:start + match]
        else:  # the copy overlaps what it writes: the last `distance` bytes, repeated
            pattern = bytes(out[start:])
            out += (pattern * (match // distance + 1))[:match]
    return bytes(out[:length])


def _value(data: _Input, kind: int) -> Any:
    if kind == STRING:
        return data.string()
    if kind == BYTES:
        return data.take(data.vint())
    if kind == INT:
        return _zigzag(data.vint())
    if kind == FLOAT:
        head = data.byte()
        if head == 0xFF:
            return struct.unpack(">f", data.take(4))[0]
        if head & 0x80:
            return (head & 0x7F) - 1
        return struct.unpack(">f", bytes([head]) + data.take(3))[0]
    if kind == LONG:
        head = data.byte()
        bits = head & 0x1F
        if head & 0x20:
            bits |= data.vint() << 5
        return _zigzag(bits) * _TIME_UNITS[head & 0xC0]
    if kind == DOUBLE:
        head = data.byte()
        if head == 0xFF:
            return struct.unpack(">d", data.take(8))[0]
        if head == 0xFE:
            return struct.unpack(">f", data.take(4))[0]
        if head & 0x80:
            return (head & 0x7F) - 1
        return struct.unpack(">d", bytes([head]) + data.take(7))[0]
    raise IndexFormatError(f"{data.name}: a stored value of unknown kind {kind}")


def _field_names(data: _Input) -> dict[int, str]:
    data.header()
    names = {}
    for _ in range(data.vint()):
        name = data.string()
        number = data.vint()
        data.take(3)  # field bits, index options, doc values type
        data.int64()  # doc values generation
        for _ in range(data.vint()):  # attributes
            data.string()
            data.string()
        names[number] = name
    return names


def _documents(data: _Input, count: int, names: dict[int, str]) -> list[list[tuple[str, Any]]]:
    data.header()
    chunk_size = data.vint()
    data.vint()  # packed ints version
    documents: list[list[tuple[str, Any]]] = []
    while len(documents) < count:
        data.vint()  # the chunk's first document
        token = data.vint()
        in_chunk, sliced = token >> 1, token & 1
        if in_chunk <= 0 or len(documents) + in_chunk > count:
            raise IndexFormatError(f"{data.name}: a chunk of {in_chunk} documents after {len(documents)} of {count}")
        fields_per_document = _ints(data, in_chunk)
        lengths = _ints(data, in_chunk)
        total = sum(lengths)
        if sliced:
            buffer = b""
            while len(buffer) < total:
                buffer += _lz4(data, min(chunk_size, total - len(buffer)))
        else:
            buffer = _lz4(data, total)
        offset = 0
        for fields, length in zip(fields_per_document, lengths):
            document = _Input(buffer[offset:offset + length], data.name)
            offset += length
            values = []
            for _ in range(fields):
                info = document.vint()
                values.append((names.get(info >> 3, str(info >> 3)), _value(document, info & 7)))
            documents.append(values)
    return documents


def read_index(files: dict[str, Callable[[], bytes]]) -> list[list[tuple[str, Any]]]:
    """Every live document of the index whose files are ``files`` (name → a reader of its
    bytes): its stored fields in order, as ``(field name, value)`` pairs."""
    for name in files:
        if name.startswith("segments_"):  # the commit point: checked, so a damaged index is not read as empty
            commit = _Input(files[name](), name)
            if commit.header() != "segments":
                raise IndexFormatError(f"{name}: not a Lucene commit point")
    segments = sorted(name[:-3] for name in files if name.endswith(".si"))
    documents: list[list[tuple[str, Any]]] = []
    for segment in segments:
        info = _Input(files[segment + ".si"](), segment + ".si")
        info.header()
        for _ in range(3):
            info.int32()  # the Lucene version that wrote it
        count = info.int32()
        parts: dict[str, bytes] = {}
        if segment + ".cfe" in files:
            entries = _Input(files[segment + ".cfe"](), segment + ".cfe")
            entries.header()
            table = [(entries.string(), entries.int64(), entries.int64()) for _ in range(entries.vint())]
            compound = files[segment + ".cfs"]() if segment + ".cfs" in files else b""
            for suffix, start, length in table:
                if start < 0 or start + length > len(compound):
                    raise IndexFormatError(f"{segment}.cfs: {suffix} lies outside the file")
                parts[suffix] = compound[start:start + length]
        for suffix in (".fnm", ".fdt"):
            if suffix not in parts:
                if segment + suffix not in files:
                    raise IndexFormatError(f"{segment}: no {suffix} file")
                parts[suffix] = files[segment + suffix]()
        names = _field_names(_Input(parts[".fnm"], segment + ".fnm"))
        stored = _documents(_Input(parts[".fdt"], segment + ".fdt"), count, names)
        generations = [name for name in files if name.startswith(segment + "_") and name.endswith(".liv")]
        if generations:
            latest = max(generations, key=lambda name: int(name[len(segment) + 1:-4], 36))
            live = _Input(files[latest](), latest)
            live.header()
            words = [live.int64() & 0xFFFFFFFFFFFFFFFF for _ in range((count + 63) // 64)]
            stored = [document for number, document in enumerate(stored) if (words[number >> 6] >> (number & 63)) & 1]
        documents.extend(stored)
    return documents
