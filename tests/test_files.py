"""Files written whole or not at all (workbench.files), as every export, report and key is written."""

import stat

import pytest

from workbench.files import atomic_write, replacing, write_text_atomically


def test_a_write_that_fails_half_way_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "export.jsonl"
    target.write_text("the export of yesterday\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="disk full"):
        with atomic_write(target) as handle:
            handle.write("half of today's")
            raise RuntimeError("disk full")
    assert target.read_text(encoding="utf-8") == "the export of yesterday\n"
    assert [p.name for p in tmp_path.iterdir()] == ["export.jsonl"]


def test_a_finished_write_replaces_the_file_in_one_step(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("old", encoding="utf-8")
    with atomic_write(target) as handle:
        handle.write("<p>new</p>")
        assert target.read_text(encoding="utf-8") == "old"  # nothing shows until the end
    assert target.read_text(encoding="utf-8") == "<p>new</p>"
    write_text_atomically(target, "ünïcode", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "ünïcode"
    with atomic_write(tmp_path / "data.bin", "wb") as handle:
        handle.write(b"\x00\x01")
    assert (tmp_path / "data.bin").read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.bin", "report.html"]


def test_a_library_that_writes_to_a_path_gets_a_temporary_path_beside_the_target(tmp_path):
    target = tmp_path / "chart.xlsx"
    with replacing(target) as partial:
        assert partial.parent == tmp_path and partial.name.startswith(".chart.xlsx.") and partial.suffix == ".part"
        partial.write_bytes(b"PK")
    assert target.read_bytes() == b"PK" and not partial.exists()
    with pytest.raises(KeyboardInterrupt):
        with replacing(target) as partial:
            partial.write_bytes(b"broken")
            raise KeyboardInterrupt
    assert target.read_bytes() == b"PK" and not partial.exists()


def test_a_key_is_readable_by_its_owner_only_from_its_first_byte(tmp_path):
    key = tmp_path / "key.json"
    with atomic_write(key, permissions=0o600) as handle:
        partial = tmp_path / handle.name
        assert stat.S_IMODE(partial.stat().st_mode) == 0o600
        handle.write('{"secret": "..."}')
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_only_whole_writes_are_offered(tmp_path):
    with pytest.raises(ValueError, match="'a': atomic_write opens a file to write it whole"):
        with atomic_write(tmp_path / "log.txt", "a"):
            pass
