"""The command line with the files other tools write: OFAC's four files, summaries that add up."""

import os
import re
import stat
import shutil

import pytest
from click.testing import CliRunner

from workbench.cli import main
from workbench.store import Case

OFAC_FILES = ("sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv")


def summary_counts(line: str) -> tuple[int, dict[str, int]]:
    """The total and the per-type counts of an import summary line."""
    found = re.search(r": ([\d,]+) entities \(([^)]*)\)", line)
    assert found, line
    kinds = {}
    for part in found.group(2).split(", "):
        count, schema = part.split(" ")
        kinds[schema] = int(count.replace(",", ""))
    return int(found.group(1).replace(",", "")), kinds


@pytest.mark.parametrize("order", [OFAC_FILES, ("alt.csv", "sdn_comments.csv", "sdn.csv", "add.csv")])
def test_ofac_files_as_they_arrive_import_as_one_list(run, shared_data, order):
    """`workbench import CASE sdn.csv add.csv alt.csv sdn_comments.csv` imports the list once and
    names each companion as read with it, instead of failing on each for want of a mapping."""
    assert run("new", "case").exit_code == 0
    result = run("import", "case.wbcase", *(shared_data / "ofac" / name for name in order))
    assert result.exit_code == 0, result.output
    assert "mapping" not in result.output
    imported = [line for line in result.output.splitlines() if "imported with ofac-sdn" in line]
    assert len(imported) == 1 and "sdn.csv: imported" in imported[0]
    for name in OFAC_FILES:
        if name != "sdn.csv":
            assert re.search(rf"{name}: (read with sdn\.csv|one of the files of sdn\.csv)", result.output), name
    total, kinds = summary_counts(imported[0])
    assert total == 89 and sum(kinds.values()) == total
    with Case.open("case.wbcase") as case:
        assert case.counts_by_schema() == kinds
        assert len(case.sources()) == 1
        assert "HESA TRADE CENTER" in case.entity("ofac-sdn-11195").get("alias")  # from alt.csv


def test_a_renamed_companion_is_known_by_its_content(run, shared_data, tmp_path):
    folder = tmp_path / "download"
    folder.mkdir()
    for name in OFAC_FILES:
        shutil.copyfile(shared_data / "ofac" / name, folder / name)
    (folder / "alt.csv").rename(folder / "sdn_alt_2024-06.csv")
    assert run("new", "case").exit_code == 0
    result = run("import", "case.wbcase", folder / "sdn.csv", folder / "sdn_alt_2024-06.csv")
    assert result.exit_code == 0, result.output
    assert "sdn_alt_2024-06.csv: read with sdn.csv" in result.output
    with Case.open("case.wbcase") as case:
        assert "HESA TRADE CENTER" in case.entity("ofac-sdn-11195").get("alias")


def test_import_summary_counts_add_up_after_merges(run, shared_data):
    """Several records of one entity (OFAC reads a party from four files) count once."""
    assert run("new", "case").exit_code == 0
    result = run("import", "case.wbcase", shared_data / "ofac" / "sdn.csv")
    total, kinds = summary_counts(result.output.splitlines()[-1])
    assert sum(kinds.values()) == total == 89
    assert kinds["Organization"] == 7 and kinds["Sanction"] == 17
    # Importing the same parties from a second file: the summary names what that file brought,
    # each entity once, under the type it has in the case after the merge.
    assert run("demo").exit_code == 0
    result = run("import", "demo.wbcase", shared_data / "ftm" / "eu_fsf_sample.ftm.json")
    total, kinds = summary_counts(result.output.splitlines()[-1])
    assert sum(kinds.values()) == total


@pytest.fixture
def demo_case(run):
    assert run("demo").exit_code == 0
    return "demo.wbcase"


@pytest.mark.parametrize("format_name", ["gexf", "graphml", "ftm", "ftm-statements", "xlsx", "anx", "mtgx"])
def test_dash_writes_the_export_to_standard_output(run, demo_case, tmp_path, format_name):
    """`-` as the output path is standard output (the report goes to standard error), and the
    bytes are those of the same export written to a file; no file named '-' appears."""
    runner = CliRunner(mix_stderr=False) if "mix_stderr" in CliRunner.__init__.__code__.co_varnames else CliRunner()
    piped = runner.invoke(main, ["export", demo_case, "-", "--format", format_name], catch_exceptions=False)
    assert piped.exit_code == 0, piped.output
    assert not (tmp_path / "-").exists()
    on_disk = tmp_path / f"out.{format_name}"
    assert run("export", demo_case, on_disk, "--format", format_name).exit_code == 0
    data = piped.stdout_bytes
    assert b"wrote " not in data and b"not carried" not in data
    if format_name in ("xlsx", "anx", "mtgx") and data[:2] == b"PK":
        import io
        import zipfile

        assert sorted(zipfile.ZipFile(io.BytesIO(data)).namelist()) == sorted(zipfile.ZipFile(on_disk).namelist())
    else:
        assert len(data) > 1000 and data.splitlines()[0] == on_disk.read_bytes().splitlines()[0]
    assert "wrote standard output" in piped.stderr


def test_dash_is_standard_output_for_share_and_mapping_draft(run, demo_case, tmp_path, shared_data):
    shared = run("share", demo_case, "-", "--format", "ftm", "--key", tmp_path / "keys" / "k.json")
    assert shared.exit_code == 0
    assert '"schema"' in shared.stdout and not (tmp_path / "-").exists()
    drafted = run("mapping", "draft", shared_data / "amlsim" / "tx.csv", "-o", "-")
    assert drafted.exit_code == 0 and "entities:" in drafted.output and not (tmp_path / "-").exists()


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_every_export_gets_the_mode_the_umask_gives(run, demo_case, tmp_path, umask):
    """.anx and .mtgx were written 0600 (a temporary file's mode) while the others followed the umask."""
    previous = os.umask(umask)
    try:
        for format_name in ("gexf", "graphml", "ftm", "ftm-statements", "xlsx", "anx", "mtgx"):
            out = tmp_path / f"modes.{format_name}"
            assert run("export", demo_case, out, "--format", format_name).exit_code == 0
            assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask, format_name
    finally:
        os.umask(previous)


@pytest.mark.parametrize("command", [["report", "-"], ["image", "-"]])
def test_report_and_picture_on_standard_output_say_so(demo_case, tmp_path, command):
    """`report CASE -` and `image CASE -` said 'wrote /tmp/workbench-stdout-.../output.pdf': a
    temporary file the user never sees. They say standard output, and so does the audit log."""
    runner = CliRunner(mix_stderr=False) if "mix_stderr" in CliRunner.__init__.__code__.co_varnames else CliRunner()
    result = runner.invoke(main, [command[0], demo_case, *command[1:]], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    magic = b"%PDF" if command[0] == "report" else b"\x89PNG"
    assert result.stdout_bytes.startswith(magic)
    assert "wrote standard output (" in result.stderr
    assert "workbench-stdout-" not in result.stderr and "output.p" not in result.stderr
    with Case.open(tmp_path / demo_case) as case:
        exported = [entry for entry in case.audit_log() if entry.get("action") == "export"]
    assert exported and exported[-1]["details"]["file"] == "standard output"
