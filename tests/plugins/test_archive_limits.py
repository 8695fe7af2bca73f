"""Zip bombs: an MTGX or XLSX that unpacks to gigabytes, or holds one huge value, is refused whole.

The bombs are made here from the demo case's own exports: a real member with a huge stretch of
whitespace or of one letter put in, which deflate packs a thousand to one.
"""

import zipfile

import pytest
from click.testing import CliRunner

from casefiles import dump
from workbench.archives import ArchiveLimits

from workbench.cli import main
from workbench.demo import build_demo_case
from workbench.importing import import_file
from workbench.plugin_api import SourceFormatError, find_exporter
from workbench.store import Case

MB = 1 << 20


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exports")
    case = build_demo_case(folder / "demo.wbcase")
    paths = {}
    for format_name in ("mtgx", "xlsx"):
        paths[format_name] = folder / f"demo.{format_name}"
        find_exporter(format_name)().write(case, paths[format_name])
    case.close()
    return paths


def bomb(source, target, member, marker, filler: bytes, size: int, *, replace=False):
    """``source`` with ``size`` bytes of ``filler`` put into ``member`` after ``marker`` (or over the
    value that follows it), deflated as it is written so the bomb never sits in memory."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename != member:
                zout.writestr(info.filename, data)
                continue
            at = data.index(marker) + (0 if replace else len(marker))
            end = data.index(b"<", at) if replace else at
            with zout.open(member, "w", force_zip64=size > 1 << 31) as out:
                out.write(data[:at])
                chunk = filler * MB
                for _ in range(size // MB):
                    out.write(chunk)
                out.write(filler * (size % MB))
                out.write(data[end:])
    return target


@pytest.fixture
def empty_case(tmp_path):
    case = Case.create(tmp_path / "target.wbcase")
    yield case
    case.close()


def refused(case, path) -> str:
    before = dump(case.path)
    with pytest.raises(SourceFormatError) as raised:
        import_file(case, path)
    assert dump(case.path) == before, "a refused file must leave the case as it was"
    message = str(raised.value)
    assert "\n" not in message and len(message) < 400
    return message


def test_an_mtgx_that_unpacks_past_the_member_limit_is_refused_before_anything_is_unpacked(exports, tmp_path,
                                                                                           monkeypatch, empty_case):
    # 4 MB of deflated whitespace once unpacked to 4.4 GB and imported. The limit (512 MB) is
    # lowered here so that the bomb is quick to make.
    assert ArchiveLimits().member_bytes == 512 * MB
    monkeypatch.setenv("WORKBENCH_MAX_UNPACKED_MB", "2")
    path = bomb(exports["mtgx"], tmp_path / "whitespace.mtgx", "Graphs/Graph1.graphml",
                b'<graph edgedefault="directed" id="G">', b" ", 6 * MB)
    assert path.stat().st_size < 50_000
    message = refused(empty_case, path)
    assert message.startswith("whitespace.mtgx: Graphs/Graph1.graphml would unpack to 6 MB, more than the 2 MB one "
                              "member may")
    assert "WORKBENCH_MAX_UNPACKED_MB" in message and "nothing was imported" in message


def test_an_mtgx_with_one_huge_value_is_refused_naming_the_member_and_the_limit(exports, tmp_path, empty_case):
    path = bomb(exports["mtgx"], tmp_path / "value.mtgx", "Graphs/Graph1.graphml", b"Gulf Horizon Bank PJSC", b"A",
                3 * MB, replace=True)
    message = refused(empty_case, path)
    assert message.startswith("value.mtgx: Graphs/Graph1.graphml has a text value at line ")
    assert "longer than 1,000,000 characters" in message and "WORKBENCH_MAX_VALUE_CHARS" in message


def test_a_run_of_whitespace_between_elements_counts_as_a_value(exports, tmp_path, empty_case):
    path = bomb(exports["mtgx"], tmp_path / "spaces.mtgx", "Graphs/Graph1.graphml",
                b'<graph edgedefault="directed" id="G">', b" \n", 3 * MB)
    assert "longer than 1,000,000 characters" in refused(empty_case, path)


def test_a_workbook_with_one_huge_cell_is_refused_before_openpyxl_reads_it(exports, tmp_path, empty_case):
    # A 1 MB workbook with one huge cell peaked at 2.2 GB (and quoted the cell in its error).
    path = bomb(exports["xlsx"], tmp_path / "cell.xlsx", "xl/worksheets/sheet3.xml", b"<t>", b"A", 3 * MB)
    message = refused(empty_case, path)
    assert message.startswith("cell.xlsx: xl/worksheets/sheet3.xml has a text value at line 1 longer than")
    assert "AAAA" not in message


def test_a_huge_attribute_is_refused_too(exports, tmp_path, empty_case):
    path = bomb(exports["xlsx"], tmp_path / "attribute.xlsx", "xl/worksheets/sheet3.xml", b'<c r="', b"B", 5 * MB)
    assert "longer than 1,000,000 characters" in refused(empty_case, path)


def test_an_archive_whose_members_together_pass_the_total_limit_is_refused(exports, tmp_path, monkeypatch,
                                                                           empty_case):
    monkeypatch.setenv("WORKBENCH_MAX_UNPACKED_TOTAL_MB", "0.01")  # 10 KB: the demo's graph is larger
    message = refused(empty_case, exports["mtgx"])
    assert message.startswith("demo.mtgx: the archive would unpack to ")
    assert "WORKBENCH_MAX_UNPACKED_TOTAL_MB" in message


def test_headers_that_understate_a_member_are_caught_while_it_is_unpacked(exports, tmp_path, empty_case):
    # Headers can lie: this one says the graph unpacks to 1,000 bytes; it unpacks to 3 MB.
    path = bomb(exports["mtgx"], tmp_path / "liar.mtgx", "Graphs/Graph1.graphml",
                b'<graph edgedefault="directed" id="G">', b" ", 3 * MB)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("Graphs/Graph1.graphml")
        local, real = info.header_offset, info.file_size
    name = b"Graphs/Graph1.graphml"
    central = data.index(b"PK\x01\x02", local + 30)
    while data[central + 46:central + 46 + len(name)] != name:
        central = data.index(b"PK\x01\x02", central + 4)
    for offset in (local + 22, central + 24):  # uncompressed size, local header and central directory
        if int.from_bytes(data[offset:offset + 4], "little") == 0xFFFFFFFF:
            pytest.skip("written as zip64")
        data[offset:offset + 4] = (1000).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    assert real > 1000
    message = refused(empty_case, path)
    assert message.startswith("liar.mtgx: ")


def test_the_limits_can_be_raised_for_a_file_that_really_is_that_large(exports, tmp_path, monkeypatch, empty_case):
    path = bomb(exports["mtgx"], tmp_path / "long.mtgx", "Graphs/Graph1.graphml", b"Gulf Horizon Bank PJSC", b"A",
                2 * MB, replace=True)
    monkeypatch.setenv("WORKBENCH_MAX_VALUE_CHARS", str(3 * MB))
    outcome = import_file(empty_case, path)
    assert outcome.report is not None and outcome.report.entities > 0


def test_the_command_line_reports_a_bomb_in_one_line_and_goes_on_with_the_next_file(exports, tmp_path):
    case_path = tmp_path / "cli.wbcase"
    Case.create(case_path).close()
    path = bomb(exports["xlsx"], tmp_path / "cell.xlsx", "xl/worksheets/sheet3.xml", b"<t>", b"A", 3 * MB)
    result = CliRunner().invoke(main, ["import", str(case_path), str(path), str(exports["mtgx"])])
    assert "Traceback" not in result.output
    assert "cell.xlsx: xl/worksheets/sheet3.xml has a text value" in result.output
    assert "demo.mtgx: imported" in result.output
