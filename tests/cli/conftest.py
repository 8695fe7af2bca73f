"""What the command-line tests share: ``run``, the command line as a user types it, in a folder of the test's own."""

import pytest
from click.testing import CliRunner

from workbench.cli import main


@pytest.fixture
def run(tmp_path, monkeypatch):
    """``run("new", "x")`` runs ``workbench new x`` in the test's folder and returns click's result."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke
