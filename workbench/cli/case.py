"""Commands on the case file itself: ``open``, ``new``, ``info``, ``demo`` and ``plugins``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from workbench.cli.common import case_file, fail, parse_size
from workbench.store import SUFFIX, Case, CaseError

DEFAULT_DEMO_CASE = "demo" + SUFFIX


@click.command("open")
@click.argument("case", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--screenshot", type=click.Path(dir_okay=False, path_type=Path),
              help="Render the window offscreen to this PNG and exit.")
@click.option("--size", default="1600x1000", show_default=True, help="Window size for --screenshot, WIDTHxHEIGHT.")
@click.option("--select", multiple=True, help="Entity id to select before the screenshot (repeatable).")
@click.option("--finding", "finding_id", type=int, metavar="N", help="Frame finding N before the screenshot.")
def open_(case: Path | None, screenshot: Path | None, size: str, select: tuple[str, ...],
          finding_id: int | None) -> None:
    """Open the desktop app, on CASE if given."""
    import os

    width, height = parse_size(size)
    if case is not None:
        Case.open(case).close()  # a bad case file gets its one-line message here, before any window
    if screenshot is not None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from workbench.ui.app import run

    code = run(case, screenshot=screenshot, size=(width, height), select=list(select),
               finding=finding_id)
    if screenshot is not None and code == 0:
        click.echo(f"wrote {screenshot}")
    sys.exit(code)


@click.command()
@click.argument("case", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--title", help="A title for the case (defaults to the file name).")
def new(case: Path, title: str | None) -> None:
    """Create a new, empty CASE file (.wbcase)."""
    with Case.create(case, title=title) as created:
        click.echo(f"created {created.path}")


def _print_info(info: dict[str, Any]) -> None:
    click.secho(f"{info['title']}  ({info['path']})", bold=True)
    click.echo(f"created {info['created_at']} by {info['created_by']}; format {', '.join(info['format'])}")
    click.echo(f"\n{info['entities']} entities")
    width = max((len(name) for name in info["entities_by_schema"]), default=0)
    for schema, count in sorted(info["entities_by_schema"].items(), key=lambda item: (-item[1], item[0])):
        click.echo(f"  {schema:<{width}}  {count:>9,}")
    if info["merged_ids"]:
        click.echo(f"  ({info['merged_ids']} ids merged into others)")
    click.echo(f"\n{len(info['sources'])} sources")
    for source in info["sources"]:
        flag = "  PROTECTED" if source["protected"] else ""
        click.echo(
            f"  #{source['id']} {source['file_name'] or '(no file)'}  [{source['grade']}]"
            f"  via {source['importer'] or '?'}  {source['imported_at']}{flag}"
        )
    findings = info["findings"]
    total = sum(findings.values())
    detail = ", ".join(f"{count} {status}" for status, count in sorted(findings.items()))
    click.echo(f"\n{total} findings" + (f" ({detail})" if detail else ""))


@click.command()
@click.argument("case", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def info(case: Path, as_json: bool) -> None:
    """Summarise CASE: entities by type, sources, findings."""
    with Case.open(case, readonly=True) as opened:
        summary = opened.info()
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        _print_info(summary)


@click.command()
@click.argument("case", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace CASE if it exists.")
def demo(case: Path | None, force: bool) -> None:
    """Build the bundled demo case (a fictional procurement network) and summarise it."""
    from workbench.demo import build_demo_case

    case = case_file(case or Path(DEFAULT_DEMO_CASE))
    if case.exists():
        if not force:
            fail(CaseError(f"{case}: already exists; use --force to rebuild it, or name another file"), 4)
        # Refuse to delete anything that is not a case: --force replaces demo cases, not user files.
        Case.open(case, readonly=True).close()
        for suffix in ("", "-wal", "-shm"):
            Path(str(case) + suffix).unlink(missing_ok=True)
    with click.progressbar(length=1, label="Building demo case", file=sys.stderr) as bar:

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        built = build_demo_case(case, progress=progress)
    with built:
        _print_info(built.info())
    click.echo(f"\nOpen it with: workbench info {case}")


@click.command()
def plugins() -> None:
    """List discovered plugins, where each came from, and what failed to load."""
    from workbench.plugin_api import discover_plugins

    found = discover_plugins()
    if not found:
        click.echo("no plugins found (is Workbench installed with `pip install .`?)")
        return
    for info in found:
        if info.ok:
            plugin = info.plugin
            click.echo(f"{plugin.kind:<9} {plugin.id:<22} {plugin.version:<6} {plugin.label}  [{info.origin}]")
        else:
            click.secho(f"{'FAILED':<9} {info.name:<22} {'':<6} {info.error}  [{info.origin}]", fg="red")

