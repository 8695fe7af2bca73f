"""A case file is checked before it is trusted: damage, a schema changed outside Workbench, an
audit log rewritten without its key, and read-only media (issue #17, items 2, 4 and 10)."""

import hashlib
import json
import sqlite3
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from workbench.cli import main
from workbench.demo import build_demo_case
from workbench.paths import user_data_dir
from workbench.resources import demo_case_file
from workbench.store import Case, CaseCorrupt, CaseReadOnly, CaseTampered


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def lines(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.strip()]


@pytest.fixture
def demo_path(tmp_path) -> Path:
    path = tmp_path / "demo.wbcase"
    build_demo_case(path).close()
    return path


# ---------------------------------------------------------------- 2. a damaged case

def damage(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.seek(4096 * 5)
        handle.write(b"\xde\xad" * 2048)


DAMAGE_COMMANDS = {
    "info": lambda case, out: ["info", case],
    "findings": lambda case, out: ["findings", case],
    "import": lambda case, out: ["import", case, demo_case_file(), "--again"],
    "detect": lambda case, out: ["detect", case],
    "report": lambda case, out: ["report", case, out / "report.html"],
    "image": lambda case, out: ["image", case, out / "chart.png"],
    "export": lambda case, out: ["export", case, out / "case.gexf", "--format", "gexf"],
    "audit": lambda case, out: ["audit", case, "--verify"],
    "layout": lambda case, out: ["layout", case],
}


@pytest.mark.parametrize("command", sorted(DAMAGE_COMMANDS))
def test_a_damaged_case_gives_one_line_and_is_never_written(demo_path, tmp_path, command):
    damage(demo_path)
    before = file_hash(demo_path)
    out = tmp_path / "out"
    out.mkdir()
    result = run(*DAMAGE_COMMANDS[command](demo_path, out))
    assert result.exit_code == CaseCorrupt.exit_code, result.output
    assert lines(result) == [f"error: {demo_path}: the case file is damaged (database disk image is malformed); "
                             "restore it from a backup"] or (
        len(lines(result)) == 1 and "the case file is damaged" in result.output), result.output
    assert file_hash(demo_path) == before
    assert list(out.iterdir()) == []


def test_a_case_that_fails_the_quick_check_is_not_opened_for_writing(demo_path):
    # Damage inside a table's page: the schema still reads, only a full pass over the pages sees it.
    with Case.open(demo_path) as case:
        root = case.conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'statements'").fetchone()[0]
        page_size = case.conn.execute("PRAGMA page_size").fetchone()[0]
    with demo_path.open("r+b") as handle:
        handle.seek((root - 1) * page_size + 8)
        handle.write(b"\xff" * 64)
    before = file_hash(demo_path)
    with pytest.raises(CaseCorrupt, match="damaged"):
        Case.open(demo_path)
    assert file_hash(demo_path) == before


# ---------------------------------------------------------------- 4. a schema changed outside Workbench

def edit(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    for sql in statements:
        conn.execute(sql)
    conn.commit()
    conn.close()


def test_a_trigger_added_outside_workbench_is_named_and_refused(demo_path):
    edit(demo_path, "CREATE TRIGGER rename_all AFTER INSERT ON statements WHEN NEW.prop = 'name' BEGIN "
                    "UPDATE statements SET value = 'TAMPERED-' || NEW.value WHERE id = NEW.id; END")
    before = file_hash(demo_path)
    result = run("import", demo_path, demo_case_file(), "--again")
    assert result.exit_code == CaseTampered.exit_code
    assert len(lines(result)) == 1 and "trigger rename_all on statements is not Workbench's" in result.output
    assert file_hash(demo_path) == before
    info = run("info", demo_path)
    assert info.exit_code == CaseTampered.exit_code and "changed outside Workbench" in info.output
    # The log can still be read, with the change named.
    audit = run("audit", demo_path)
    assert audit.exit_code == 0 and "trigger rename_all on statements is not Workbench's" in audit.output


def test_a_view_standing_in_for_a_table_is_named_and_refused(demo_path):
    edit(demo_path, "ALTER TABLE entities RENAME TO entities_all",
         "CREATE VIEW entities AS SELECT * FROM entities_all WHERE schema != 'Payment'")
    result = run("info", demo_path)
    assert result.exit_code == CaseTampered.exit_code
    assert "view entities stands where Workbench made a table" in result.output
    assert "table entities_all is not Workbench's" in result.output
    with pytest.raises(CaseTampered):
        Case.open(demo_path, readonly=True)


# ---------------------------------------------------------------- 4. the keyed audit chain

def busy_case(path: Path) -> Path:
    with Case.open(path) as case:
        for number in range(20):
            case.save_view(f"view {number}", {"zoom": number})
    return path


def rewrite_log(path: Path, change) -> None:
    """What someone with the file but not the key can do: change entries and recompute the chain
    with the published formula, then put the guards back so the schema looks untouched."""
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("DROP TRIGGER audit_log_no_delete")
    change(conn)
    previous = ""
    for seq, at, actor, action, body in conn.execute(
            "SELECT seq, at, actor, action, details FROM audit_log ORDER BY seq").fetchall():
        digest = hashlib.sha256("\x1f".join([previous, at, actor, action, body]).encode()).hexdigest()
        conn.execute("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?", (previous, digest, seq))
        previous = digest
    conn.executescript(
        """
        CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        """
    )
    conn.commit()
    conn.close()


def test_a_chain_recomputed_without_the_key_is_caught_and_gaps_are_named(demo_path):
    busy_case(demo_path)

    def edit_one_and_delete_fifteen(conn):
        conn.execute("UPDATE audit_log SET details = replace(details, 'demo.ftm.json', 'other.json') WHERE seq = 2")
        conn.execute("DELETE FROM audit_log WHERE seq BETWEEN 5 AND 19")

    rewrite_log(demo_path, edit_one_and_delete_fifteen)
    result = run("audit", demo_path, "--verify")
    assert result.exit_code == 14, result.output
    assert "broken at entry #1 (" in result.output and "cannot be trusted" in result.output
    checked = json.loads(run("audit", demo_path, "--verify", "--json").output.split("\nerror:")[0])
    assert checked["missing"] == [[5, 19]] and not checked["intact"]


def test_gaps_in_the_entry_numbers_are_reported(demo_path):
    busy_case(demo_path)
    conn = sqlite3.connect(demo_path)
    conn.execute("DROP TRIGGER audit_log_no_delete")
    conn.execute("DELETE FROM audit_log WHERE seq BETWEEN 5 AND 19")
    conn.executescript("CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
                       "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;")
    conn.commit()
    conn.close()
    result = run("audit", demo_path, "--verify")
    assert result.exit_code == 14
    assert "broken at entry #20" in result.output and "entries #5-#19 are missing" in result.output


def test_the_audit_key_lives_outside_the_case(demo_path):
    with Case.open(demo_path, readonly=True) as case:
        case_id = case.meta("case_id")
        key_id = case.audit_log()[0]["details"]["audit_key"]
        assert case.check_audit_chain()["intact"]
    key_file = user_data_dir() / "keys" / case_id / f"{key_id}.key"
    assert key_file.is_file() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert bytes.fromhex(key_file.read_text().strip()) not in demo_path.read_bytes()


def test_an_unkeyed_case_says_what_its_chain_proves(demo_path):
    with Case.open(demo_path, readonly=True) as case:
        case_id = case.meta("case_id")
    # A case made before keys: no key in its first entry, none on this machine.
    rewrite_log(demo_path, lambda conn: conn.execute(
        "UPDATE audit_log SET details = json_remove(details, '$.audit_key') WHERE seq = 1"))
    for key_file in (user_data_dir() / "keys" / case_id).glob("*.key"):
        key_file.unlink()
    result = run("audit", demo_path, "--verify")
    assert result.exit_code == 0
    assert "UNKEYED" in result.output and "anyone holding the file can do" in result.output
    # The next change starts a keyed stretch; the older entries are named as only consistent.
    with Case.open(demo_path) as case:
        case.save_view("after", {})
        assert [e["action"] for e in case.audit_log()][-2:] == ["audit.key", "view.save"]
    result = run("audit", demo_path, "--verify")
    assert result.exit_code == 0 and "entries #1-#2 predate the case's audit key" in result.output


def test_a_keyed_log_rewritten_as_unkeyed_is_caught(demo_path):
    rewrite_log(demo_path, lambda conn: conn.execute(
        "UPDATE audit_log SET details = json_remove(details, '$.audit_key') WHERE seq = 1"))
    result = run("audit", demo_path, "--verify")
    assert result.exit_code == 14 and "no longer uses the audit key" in result.output


# ---------------------------------------------------------------- 10. read-only media

@pytest.fixture
def read_only(demo_path):
    """Undo chmod afterwards so that pytest can clean up."""
    made = []

    def mark(path: Path, mode: int):
        made.append((path, path.stat().st_mode))
        path.chmod(mode)

    yield mark
    for path, mode in reversed(made):
        path.chmod(mode)


def test_reading_commands_work_on_a_read_only_case_file(demo_path, tmp_path, read_only):
    read_only(demo_path, 0o444)
    before = file_hash(demo_path)
    assert run("info", demo_path).exit_code == 0
    assert run("findings", demo_path).exit_code == 0
    report = run("report", demo_path, tmp_path / "report.html")
    assert report.exit_code == 0, report.output
    assert (tmp_path / "report.html").is_file()
    assert lines(report)[0] == (f"note: {demo_path}: the file is read-only: opened read-only; what this command "
                                "writes is not recorded in the case's audit log")
    export = run("export", demo_path, tmp_path / "case.gexf", "--format", "gexf")
    assert export.exit_code == 0 and "not recorded" in export.output and (tmp_path / "case.gexf").is_file()
    refused = run("import", demo_path, demo_case_file(), "--again")
    assert refused.exit_code == CaseReadOnly.exit_code
    assert lines(refused) == [f"error: {demo_path}: the case cannot be written (the file is read-only); commands "
                              "that only read it (info, findings, report, export) still work"]
    assert file_hash(demo_path) == before


def test_reading_commands_work_in_a_read_only_folder(demo_path, tmp_path, read_only):
    folder = demo_path.parent / "media"
    folder.mkdir()
    case_path = folder / demo_path.name
    demo_path.rename(case_path)
    read_only(folder, 0o555)
    out = tmp_path / "out"
    out.mkdir()
    info = run("info", case_path)
    assert info.exit_code == 0 and "entities" in info.output
    report = run("report", case_path, out / "report.html")
    assert report.exit_code == 0 and "its folder is read-only" in report.output
    assert sorted(p.name for p in folder.iterdir()) == [case_path.name]  # no -wal or -shm left behind
    with Case.open(case_path, readonly=True) as case:
        assert case.audit_log()[-1]["action"] != "export"
