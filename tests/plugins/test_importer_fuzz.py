"""Every importer against damaged copies of the real samples: a clear refusal or a whole import.

Each importer gets truncated, re-encoded (Latin-1, UTF-16), deeply nested and oversized variants
of a shared sample (the zip formats get them inside their main member, and a zip bomb). For
each variant the import either completes, or raises the project's own SourceFormatError with
one line naming the file, and leaves the case byte for byte as it was (a hash of a dump of its
tables). Anything else (a traceback, a half-written case) fails the test.
"""

import hashlib
import sqlite3
import zipfile
from pathlib import Path

import pytest

from workbench.importing import import_file
from workbench.model import SourceInfo
from workbench.plugin_api import SourceFormatError, find_exporter
from workbench.store import Case

from test_mapped_table import TX_MAPPING


def case_hash(path: Path) -> str:
    connection = sqlite3.connect(path)
    try:
        digest = hashlib.sha256()
        for line in connection.iterdump():
            digest.update(line.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()
    finally:
        connection.close()


def text_variants(data: bytes, kind: str) -> dict[str, bytes]:
    """Damaged copies of a text file's bytes (CSV, JSON lines, XML)."""
    text = data.decode("utf-16") if data[:2] in (b"\xff\xfe", b"\xfe\xff") else data.decode("utf-8-sig")
    lines = text.splitlines(keepends=True)
    head, rest = "".join(lines[:1]), "".join(lines[1:])
    if kind == "xml":
        start = text.index(">", text.index("<", text.index("?>") + 2 if "?>" in text else 0)) + 1
        nested = text[:start] + "<x>" * 5_000 + "</x>" * 5_000 + text[start:]
        huge = text[:start] + "<note>" + "A" * 1_100_000 + "</note>" + text[start:]
    elif kind == "json":
        nested = "[" * 5_000 + "]" * 5_000 + "\n" + text
        huge = text.replace('"', '"' + "A" * 1_100_000, 1)
    else:  # csv: a row whose one cell is a whole nested CSV, and a row with one huge cell
        nested = head + '"' + ('x,"y' * 2_000) + '"\n' + rest
        huge = head + '"' + "A" * 1_100_000 + '"' + "," * head.count(",") + "\n" + rest
    return {
        "truncated": data[: len(data) // 2],
        "latin-1": text.encode("latin-1", "replace"),
        "utf-16" if not data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8": text.encode(
            "utf-16" if not data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8"),
        "nested": nested.encode("utf-8"),
        "oversized": huge.encode("utf-8"),
    }


def zip_variants(path: Path, member: str) -> dict[str, bytes]:
    """Damaged copies of a zip (XLSX, MTGX): its main member damaged as text is, and bombs."""
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    variants = {"truncated": path.read_bytes()[: path.stat().st_size // 2]}
    for name, damaged in text_variants(members[member], "xml").items():
        if name == "truncated":
            damaged = members[member][: len(members[member]) // 2]
        variants[f"{name} {member}"] = rezip({**members, member: damaged})
    variants["bomb"] = rezip(members, bomb=(member, 2 << 20))
    return variants


def rezip(members: dict[str, bytes], bomb: tuple[str, int] | None = None) -> bytes:
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            if bomb and name == bomb[0]:
                with archive.open(name, "w") as out:
                    out.write(data[: data.index(b">", data.index(b"<", 40)) + 1])
                    for _ in range(bomb[1] >> 20):
                        out.write(b" " * (1 << 20))
                    out.write(data[data.index(b">", data.index(b"<", 40)) + 1:])
            else:
                archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture
def samples(shared_data, tmp_path_factory):
    """(importer id, options, file name, variants) for every importer, from the shared samples."""
    folder = tmp_path_factory.mktemp("fuzz-samples")
    # The interchange formats are made from a real list: the UN sample, imported and exported.
    source = Case.create(folder / "source.wbcase")
    import_file(source, shared_data / "un" / "un_consolidated_sample.xml")
    exported = {}
    for format_name in ("xlsx", "mtgx", "anx", "ftm-statements"):
        exported[format_name] = folder / f"un.{format_name}"
        find_exporter(format_name)().write(source, exported[format_name])
    source.close()
    read = lambda path: Path(path).read_bytes()  # noqa: E731
    return [
        ("ftm-json", {}, "sample.ftm.json", text_variants(read(shared_data / "ftm" / "eu_fsf_sample.ftm.json"), "json")),
        ("ofac-sdn", {}, "sdn.csv", text_variants(read(shared_data / "ofac" / "sdn.csv"), "csv")),
        ("us-csl", {}, "consolidated.csv", text_variants(read(shared_data / "csl" / "consolidated.csv"), "csv")),
        ("mapped-table", {"mapping": TX_MAPPING}, "tx.csv", text_variants(read(shared_data / "amlsim" / "tx.csv"), "csv")),
        ("un-sc-xml", {}, "un.xml", text_variants(read(shared_data / "un" / "un_consolidated_sample.xml"), "xml")),
        ("gexf", {}, "graph.gexf", text_variants(read(shared_data / "graphs" / "les_miserables.gexf"), "xml")),
        ("graphml", {}, "graph.graphml", text_variants(read(shared_data / "graphs" / "miserables.graphml"), "xml")),
        ("i2-anx", {}, "chart.anx", text_variants(read(exported["anx"]), "xml")),
        ("ftm-statements", {}, "statements.csv", text_variants(read(exported["ftm-statements"]), "csv")),
        ("workbench-xlsx", {}, "book.xlsx", zip_variants(exported["xlsx"], "xl/worksheets/sheet3.xml")),
        ("maltego-mtgx", {}, "graph.mtgx", zip_variants(exported["mtgx"], "Graphs/Graph1.graphml")),
    ]


def test_every_importer_refuses_damaged_samples_cleanly_or_imports_them_whole(samples, tmp_path):
    outcomes = {"imported": [], "refused": []}
    problems = []
    for importer_id, options, file_name, variants in samples:
        case = Case.create(tmp_path / f"{importer_id}.wbcase")
        # Something in the case already, so "unchanged" means more than "still empty".
        case.ingest([{"id": "kept", "schema": "Company", "properties": {"name": ["Kept Ltd"]}}],
                    SourceInfo(file_name="before"))
        for variant, data in variants.items():
            folder = tmp_path / importer_id / variant.replace("/", "_").replace(" ", "_")
            folder.mkdir(parents=True)
            path = folder / file_name
            path.write_bytes(data)
            before = case_hash(case.path)
            label = f"{importer_id} {variant}"
            try:
                outcome = import_file(case, path, importer_id=importer_id, options=options)
            except SourceFormatError as error:
                message = str(error)
                if case_hash(case.path) != before:
                    problems.append(f"{label}: refused but the case changed")
                if "\n" in message or "Traceback" in message or len(message) > 600:
                    problems.append(f"{label}: not a one-line message: {message[:300]!r}")
                outcomes["refused"].append(label)
            except Exception as error:  # noqa: BLE001 - the point of the test
                problems.append(f"{label}: {type(error).__name__}: {str(error)[:300]}")
            else:
                if outcome.report is None:
                    problems.append(f"{label}: neither imported nor refused ({outcome.skipped})")
                outcomes["imported"].append(label)
        case.close()
    print(f"\n{sum(map(len, outcomes.values()))} variants: {len(outcomes['refused'])} refused, "
          f"{len(outcomes['imported'])} imported")
    assert not problems, "\n".join(problems)
    assert len(outcomes["refused"]) >= len(samples)  # every importer refused something
