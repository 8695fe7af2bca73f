"""The ``workbench`` command line; each command is a thin call into the rooms below it.

Commands are grouped by theme, one module each: :mod:`~workbench.cli.case` (open, new, info,
demo, plugins), :mod:`~workbench.cli.transfer` (import, mapping, export),
:mod:`~workbench.cli.analysis` (path, flows, owners, match, layout),
:mod:`~workbench.cli.detect` (detect, findings, finding), :mod:`~workbench.cli.share` (share,
reidentify, audit), :mod:`~workbench.cli.report` (report, image) and
:mod:`~workbench.cli.training` (train). What they share (one-line errors, tables, finding an
entity by name) is in :mod:`~workbench.cli.common`.
"""

from __future__ import annotations

import click

from workbench import __version__
from workbench.cli import analysis, case, detect, report, share, training, transfer
from workbench.cli.case import DEFAULT_DEMO_CASE
from workbench.cli.common import CaseErrors, fail

# The names tests and older callers import from here.
_CaseErrors = CaseErrors
_fail = fail


@click.group(cls=CaseErrors, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="workbench")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Workbench: offline link analysis for counterproliferation investigations.

    Without a command, opens the desktop app.
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(case.open_)


for _command in (
    case.open_, case.new, case.info, case.demo, case.plugins,
    transfer.import_, transfer.mapping, transfer.export,
    analysis.path, analysis.flows, analysis.owners, analysis.match, analysis.layout,
    detect.detect, detect.findings, detect.finding,
):
    main.add_command(_command)
share.register(main)
report.register(main)
training.register(main)

__all__ = ["DEFAULT_DEMO_CASE", "main"]
