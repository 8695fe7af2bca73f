"""The ``workbench`` command line; each command is a thin call into the rooms below it."""

from __future__ import annotations

import json
import logging
import sqlite3
import sys
from pathlib import Path
from typing import Any

import click

from workbench import __version__
from workbench.store import SUFFIX, Case, CaseCorrupt, CaseError

DEFAULT_DEMO_CASE = "demo" + SUFFIX


def _fail(error: Exception, code: int = 1) -> None:
    click.secho(f"error: {error}", fg="red", err=True)
    sys.exit(code)


class _Notices(logging.Handler):
    """The store's notices (a case opened read-only, say) as one line each on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        click.secho(f"note: {record.getMessage()}", fg="yellow", err=True)


class _CaseErrors(click.Group):
    """Turn every CaseError into one readable line and its exit code, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        notices = logging.getLogger("workbench.store")
        handler = _Notices()
        notices.addHandler(handler)
        notices.propagate = False
        try:
            return super().invoke(ctx)
        except CaseError as error:
            _fail(error, error.exit_code)
        except sqlite3.DatabaseError as error:
            # Damage the check on opening could not see (a page read only now): one line, exit 6.
            _fail(CaseCorrupt(f"the case file is damaged or unreadable ({error}); restore it from a backup"),
                  CaseCorrupt.exit_code)
        finally:
            notices.removeHandler(handler)


@click.group(cls=_CaseErrors, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="workbench")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Workbench: offline link analysis for counterproliferation investigations.

    Without a command, opens the desktop app.
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(open_)


@main.command("open")
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

    match = __import__("re").fullmatch(r"(\d+)x(\d+)", size)
    if not match:
        raise click.BadParameter(f"{size!r}: expected WIDTHxHEIGHT, e.g. 1600x1000", param_hint="--size")
    if case is not None:
        Case.open(case).close()  # a bad case file gets its one-line message here, before any window
    if screenshot is not None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from workbench.ui.app import run

    code = run(case, screenshot=screenshot, size=(int(match.group(1)), int(match.group(2))), select=list(select),
               finding=finding_id)
    if screenshot is not None and code == 0:
        click.echo(f"wrote {screenshot}")
    sys.exit(code)


@main.command()
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


@main.command()
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


@main.command()
@click.argument("case", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace CASE if it exists.")
def demo(case: Path | None, force: bool) -> None:
    """Build the bundled demo case (a fictional procurement network) and summarise it."""
    from workbench.demo import build_demo_case

    case = case or Path(DEFAULT_DEMO_CASE)
    if case.suffix != SUFFIX:
        case = case.with_name(case.name + SUFFIX)
    if case.exists():
        if not force:
            _fail(CaseError(f"{case}: already exists; use --force to rebuild it, or name another file"), 4)
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


def _parse_options(pairs: tuple[str, ...]) -> dict[str, str]:
    options = {}
    for pair in pairs:
        if "=" not in pair:
            raise click.BadParameter(f"{pair!r}: expected NAME=VALUE", param_hint="--option")
        name, value = pair.split("=", 1)
        options[name.strip()] = value
    return options


@main.command("import")
@click.argument("case", type=click.Path(path_type=Path))
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--importer", "importer_id", help="Importer id (see `workbench plugins`); guessed from the file if not given.")
@click.option("--mapping", help="Mapping spec for tables: a YAML/JSON file, or the name of a mapping saved in the case.")
@click.option("--save-mapping", metavar="NAME", help="Save the mapping in the case under NAME for later imports.")
@click.option("--grade", default="F6", show_default=True, help="Admiralty grade of the source: reliability A-F, credibility 1-6.")
@click.option("--protected", is_flag=True, help="Protected source: never leaves the case in an export unless asked.")
@click.option("--note", help="A note on where this source came from.")
@click.option("--option", "option_pairs", multiple=True, metavar="NAME=VALUE", help="Importer parameter (repeatable).")
@click.option("--again", is_flag=True, help="Import a file even if it was imported before with the same settings.")
def import_(case, files, importer_id, mapping, save_mapping, grade, protected, note, option_pairs, again) -> None:
    """Import FILES into CASE, each file in one transaction (all of it or nothing)."""
    from workbench.importing import estimate_records, import_file
    from workbench.model import parse_grade
    from workbench.plugin_api import ParameterError, SourceFormatError

    try:
        source_grade = parse_grade(grade)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--grade") from error
    options: dict[str, Any] = _parse_options(option_pairs)
    failures = 0
    with Case.open(case) as opened:
        if mapping:
            if Path(mapping).is_file():
                from workbench_plugins.importers.mapped_table import load_spec

                options["mapping"] = load_spec(mapping)
            elif mapping in opened.saved_mappings():
                options["mapping"] = opened.saved_mappings()[mapping]
            else:
                saved = ", ".join(sorted(opened.saved_mappings())) or "none"
                _fail(CaseError(f"{mapping}: no such mapping file, nor a mapping saved in the case (saved: {saved})"), 2)
            importer_id = importer_id or "mapped-table"
        for path in files:
            total = estimate_records(path) or 0
            try:
                with click.progressbar(length=max(total, 1), label=f"Importing {path.name}", file=sys.stderr) as bar:

                    def progress(done: int) -> None:
                        bar.update(min(done, bar.length) - bar.pos)

                    outcome = import_file(
                        opened,
                        path,
                        importer_id=importer_id,
                        options=options,
                        grade=source_grade,
                        protected=protected,
                        note=note,
                        again=again,
                        progress=progress,
                    )
                    bar.update(bar.length - bar.pos)
            except (SourceFormatError, ParameterError, LookupError) as error:
                failures += 1
                click.secho(f"error: {error}", fg="red", err=True)
                click.echo(f"{path}: not imported; the case is unchanged", err=True)
                continue
            if outcome.skipped:
                click.echo(f"{path}: skipped, {outcome.skipped}")
                continue
            report = outcome.report
            kinds = ", ".join(f"{count:,} {schema}" for schema, count in sorted(report.by_schema.items()))
            click.echo(
                f"{path}: imported with {outcome.importer_id} as source #{report.source_id} [{source_grade}]: "
                f"{report.entities:,} entities ({kinds}), {report.statements:,} values, {report.edges:,} links"
            )
            if outcome.notes:
                click.secho(f"  read but not imported ({len(outcome.notes)}):", fg="yellow")
                for item in outcome.notes[:50]:
                    click.echo(f"    - {item}")
            if outcome.left_out:
                click.secho(f"  skipped or brought in differently ({len(outcome.left_out)}), as asked with "
                            "on_error=skip:", fg="yellow")
                for item in outcome.left_out[:50]:
                    click.echo(f"    - {item}")
                if len(outcome.left_out) > 50:
                    click.echo(f"    … and {len(outcome.left_out) - 50} more")
        if save_mapping and "mapping" in options:
            opened.save_mapping(save_mapping, options["mapping"])
            click.echo(f"mapping saved in the case as {save_mapping!r}")
    if failures:
        sys.exit(12)


@main.group()
def mapping() -> None:
    """Mapping specs that turn table columns into entities and relationships."""


@mapping.command("draft")
@click.argument("table", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the spec here.")
@click.option("--sheet", help="XLSX sheet to read the header from.")
def mapping_draft(table: Path, output: Path | None, sheet: str | None) -> None:
    """Draft a FollowTheMoney mapping spec from TABLE's header row."""
    from workbench.plugin_api import SourceFormatError
    from workbench_plugins.importers.mapped_table import draft_spec, dump_spec, read_csv, read_xlsx

    try:
        if table.suffix.lower() in (".xlsx", ".xlsm"):
            header, rows, _ = read_xlsx(table, sheet)
        else:
            header, rows, _ = read_csv(table)
        rows.close()
    except SourceFormatError as error:
        _fail(error, 12)
    text = dump_spec(draft_spec(header))
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}; check it, then: workbench import CASE {table} --mapping {output}")
    else:
        click.echo(text)


def _find_entity(case: Case, text: str) -> str:
    """An entity id from an id or a name (exact, then partial, case-insensitive)."""
    if case.entity(text) is not None:
        return case.resolve(text)
    rows = case.conn.execute(
        "SELECT id, caption, schema FROM entities WHERE caption = ? COLLATE NOCASE", (text,)
    ).fetchall()
    if not rows:
        rows = case.conn.execute(
            "SELECT id, caption, schema FROM entities WHERE caption LIKE ? LIMIT 20", (f"%{text}%",)
        ).fetchall()
    if len(rows) == 1:
        return rows[0][0]
    if not rows:
        raise CaseError(f"no entity with id or name {text!r}")
    options = "; ".join(f"{caption} [{schema}] = {entity_id}" for entity_id, caption, schema in rows[:10])
    raise CaseError(f"{text!r} matches several entities; use an id: {options}")


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _caption(case: Case, entity_id: str) -> str:
    row = case.conn.execute("SELECT caption FROM entities WHERE id = ?", (entity_id,)).fetchone()
    return row[0] if row and row[0] else entity_id


def _table(rows: list[list[str]], header: list[str]) -> None:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)] if rows else [len(h) for h in header]
    click.secho("  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip(), bold=True)
    for row in rows:
        click.echo("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths)).rstrip())


@main.command()
@click.argument("case", type=click.Path(path_type=Path))
@click.argument("source")
@click.argument("target")
@click.option("--time-ordered", is_flag=True, help="Each step on or after the one before (advancing dates).")
@click.option("--all", "all_paths", is_flag=True, help="All paths up to --max-length, not just the shortest.")
@click.option("--max-length", default=4, show_default=True, help="Longest path, in links.")
@click.option("--max-gap-days", type=int, help="Longest wait between two time-ordered steps.")
@click.option("--link", "links", multiple=True, help="Only these relationship types (e.g. Payment, Shipment).")
@click.option("--json", "as_json", is_flag=True)
def path(case, source, target, time_ordered, all_paths, max_length, max_gap_days, links, as_json) -> None:
    """Find how SOURCE and TARGET are connected (ids or names)."""
    from workbench.analysis.graph import GraphFilter, case_graph
    from workbench.analysis.paths import links_along, simple_paths, time_ordered_path, time_ordered_paths

    with Case.open(case, readonly=True) as opened:
        source_id, target_id = _find_entity(opened, source), _find_entity(opened, target)
        graph = case_graph(opened, GraphFilter(link_schemata=frozenset(links) if links else None))
        try:
            if time_ordered:
                kinds = frozenset(links) if links else None
                if all_paths:
                    found = time_ordered_paths(graph, source_id, target_id, max_length=max_length,
                                               max_gap_days=max_gap_days, link_schemata=kinds)
                else:
                    one = time_ordered_path(graph, source_id, target_id, max_gap_days=max_gap_days, link_schemata=kinds)
                    found = [one] if one else []
            else:
                node_paths = simple_paths(graph, source_id, target_id, max_length=max_length,
                                          limit=50 if all_paths else 1)
                found = [links_along(graph, nodes) for nodes in node_paths]
        except KeyError as error:
            raise CaseError(str(error.args[0])) from error
        if as_json:
            click.echo(json.dumps([[step.as_dict() for step in steps] for steps in found], indent=2))
            return
        if not found:
            click.echo(f"no {'time-ordered ' if time_ordered else ''}path from {_caption(opened, source_id)} "
                       f"to {_caption(opened, target_id)} within {max_length} links")
            sys.exit(1)
        for number, steps in enumerate(found, start=1):
            click.secho(f"path {number}: {len(steps)} links", bold=True)
            _table(
                [[_caption(opened, s.source), _caption(opened, s.target), s.schema, s.date or "",
                  f"{s.amount:,.2f} {s.currency or ''}" if s.amount is not None else "", s.via] for s in steps],
                ["from", "to", "link", "date", "amount", "via"],
            )


@main.command()
@click.argument("case", type=click.Path(path_type=Path))
@click.argument("entity", required=False)
@click.option("--from", "start", help="Start of the window (ISO date).")
@click.option("--to", "end", help="End of the window (ISO date).")
@click.option("--trace", type=click.Choice(["forward", "backward"]), help="Follow the money from ENTITY.")
@click.option("--hops", default=4, show_default=True)
@click.option("--max-days", type=int, help="Longest wait between two traced payments.")
@click.option("--top", default=20, show_default=True, help="Pairs to list when no ENTITY is given.")
@click.option("--json", "as_json", is_flag=True)
def flows(case, entity, start, end, trace, hops, max_days, top, as_json) -> None:
    """Money in, out and net for ENTITY, a trace of its funds, or the largest payer-payee pairs."""
    from workbench.analysis.flows import flatten, pair_totals, totals, trace_funds
    from workbench.analysis.graph import case_graph

    with Case.open(case, readonly=True) as opened:
        graph = case_graph(opened)
        if entity is None:
            pairs = pair_totals(graph, start=start, end=end, limit=top)
            if as_json:
                click.echo(json.dumps(pairs, indent=2))
                return
            _table([[_caption(opened, p["payer"]), _caption(opened, p["beneficiary"]), f"{p['total']:,.2f}",
                     p["currency"], p["count"], p["first"] or "", p["last"] or ""] for p in pairs],
                   ["payer", "beneficiary", "total", "currency", "payments", "first", "last"])
            return
        entity_id = _find_entity(opened, entity)
        try:
            if trace:
                steps = trace_funds(graph, entity_id, direction=trace, start=start, max_hops=hops, max_days=max_days)
                if as_json:
                    click.echo(json.dumps([step.as_dict() for step in steps], indent=2))
                    return
                _table([["  " * (s.hop - 1) + _caption(opened, s.target if trace == "forward" else s.source),
                         s.date or "", f"{s.amount:,.2f}", f"{s.carried:,.2f}", s.currency or "", s.via]
                        for s in flatten(steps)],
                       ["party", "date", "payment", "traced", "currency", "via"])
                return
            money = totals(graph, entity_id, start=start, end=end)
        except KeyError as error:
            raise CaseError(str(error.args[0])) from error
        if as_json:
            click.echo(json.dumps(money, indent=2))
            return
        click.secho(_caption(opened, entity_id), bold=True)
        _table([[currency or "?", f"{row['in']:,.2f}", row["count_in"], f"{row['out']:,.2f}", row["count_out"],
                 f"{row['net']:,.2f}"] for currency, row in sorted(money.items())],
               ["currency", "in", "payments in", "out", "payments out", "net"])


@main.command()
@click.argument("case", type=click.Path(path_type=Path))
@click.argument("entity", required=False)
@click.option("--threshold", default=0.25, show_default=True, help="Smallest effective share of an ultimate owner.")
@click.option("--listed", "listed_only", is_flag=True, help="Companies that listed parties own 50% or more of (OFAC rule).")
@click.option("--json", "as_json", is_flag=True)
def owners(case, entity, threshold, listed_only, as_json) -> None:
    """Ultimate owners of ENTITY, or (with --listed or no ENTITY) the aggregate share of listed parties."""
    from workbench.analysis.ownership import listed_share, ultimate_owners

    with Case.open(case, readonly=True) as opened:
        if entity is None or listed_only:
            shares = listed_share(opened)
            rows = sorted(shares.items(), key=lambda item: (-item[1]["share"], item[0]))
            if listed_only:
                rows = [(asset, row) for asset, row in rows if row["flagged"]]
            if as_json:
                click.echo(json.dumps({asset: row for asset, row in rows}, indent=2, default=list))
                return
            _table([[_caption(opened, asset), f"{row['share']:.0%}", "BLOCKED (>=50%)" if row["flagged"] else "",
                     ", ".join(_caption(opened, o) for o in row["listed_owners"])] for asset, row in rows],
                   ["asset", "held by listed parties", "OFAC 50% rule", "listed owners"])
            return
        asset = _find_entity(opened, entity)
        found = ultimate_owners(opened, asset, threshold=threshold)
        if as_json:
            click.echo(json.dumps(found, indent=2, default=list))
            return
        click.secho(f"Ultimate owners of {_caption(opened, asset)} (at least {threshold:.0%})", bold=True)
        if not found:
            click.echo("none found above the threshold")
            return
        _table([[o["caption"], o["schema"], f"{o['share']:.1%}" + (" (assumed)" if o["assumed"] else ""),
                 " → ".join(_caption(opened, n) for n in o["chains"][0]) if o["chains"] else ""] for o in found],
               ["owner", "type", "effective share", "via"])


@main.command()
@click.argument("case", type=click.Path(path_type=Path))
@click.option("--kind", type=click.Choice(["force", "hierarchical", "circular", "type"]), default="force",
              show_default=True)
@click.option("--fresh", is_flag=True, help="Ignore current positions (pinned items still stay put).")
@click.option("--json", "as_json", is_flag=True, help="Print the positions instead of a summary.")
def layout(case, kind, fresh, as_json) -> None:
    """Lay out the chart of CASE and save the positions (undoable in the app)."""
    import time

    from workbench.analysis import layout as layouts
    from workbench.analysis.graph import GraphFilter, case_graph

    with Case.open(case) as opened:
        graph = case_graph(opened, GraphFilter(include_hidden=False))
        stored = {row[0]: row[1:] for row in opened.conn.execute("SELECT entity_id, x, y, pinned FROM chart_items")}
        pinned = {n: (r[0], r[1]) for n, r in stored.items() if r[2] and r[0] is not None and n in graph}
        initial = None if fresh else {n: (r[0], r[1]) for n, r in stored.items() if r[0] is not None and n in graph}
        started = time.perf_counter()
        with click.progressbar(length=100, label=f"Laying out {graph.number_of_nodes():,} entities",
                               file=sys.stderr) as bar:
            def progress(fraction: float) -> None:
                bar.update(int(fraction * 100) - bar.pos)

            if kind == "force":
                positions = layouts.force_directed(graph, pinned=pinned, initial=initial or None, progress=progress)
            elif kind == "hierarchical":
                positions = layouts.hierarchical(graph)
            elif kind == "circular":
                positions = layouts.circular(graph)
            else:
                positions = layouts.by_type(graph)
            bar.update(100 - bar.pos)
        seconds = time.perf_counter() - started
        opened.set_chart_items({n: {"x": float(x), "y": float(y)} for n, (x, y) in positions.items()},
                               label=f"Layout ({kind})")
    if as_json:
        click.echo(json.dumps({n: [x, y] for n, (x, y) in positions.items()}, indent=2))
    else:
        click.echo(f"placed {len(positions):,} entities ({kind}, {len(pinned)} pinned) in {seconds:.2f} s; saved in {case}")


@main.command()
@click.argument("case", type=click.Path(path_type=Path))
@click.option("--duplicates", is_flag=True, help="Candidate duplicates inside the case instead of list matches.")
@click.option("--threshold", default=0.7, show_default=True, type=click.FloatRange(0, 1))
@click.option("--limit", default=50, show_default=True, help="Most candidates to show.")
@click.option("--decide", nargs=3, metavar="LEFT RIGHT same|different|unsure",
              help="Record your decision on a pair; it is respected next time.")
@click.option("--reason", help="Why (with --decide).")
@click.option("--json", "as_json", is_flag=True)
def match(case, duplicates, threshold, limit, decide, reason, as_json) -> None:
    """Case entities that match imported sanctions and screening lists, with the reasons."""
    from workbench.analysis.resolution import candidate_duplicates, list_matches

    if decide:
        left, right, decision = decide
        with Case.open(case) as opened:
            opened.record_match_decision(_find_entity(opened, left), _find_entity(opened, right), decision, reason=reason)
        click.echo(f"recorded: {left} and {right} are {decision}")
        return
    with Case.open(case, readonly=True) as opened:
        find = candidate_duplicates if duplicates else list_matches
        found = find(opened, threshold=threshold, limit=limit)
        if as_json:
            click.echo(json.dumps([c.__dict__ for c in found], indent=2, default=str))
            return
        if not found:
            click.echo(f"no candidates at or above {threshold:.2f}")
            return
        for candidate in found:
            decided = f"  [marked {candidate.decision}]" if candidate.decision else ""
            click.secho(f"{candidate.score:.2f}  {_caption(opened, candidate.left_id)}  ~  "
                        f"{_caption(opened, candidate.right_id)}{decided}", bold=True)
            click.echo(f"      {candidate.left_id}  /  {candidate.right_id}")
            for line in candidate.explanation:
                click.echo(f"      - {line}")


@main.command()
@click.argument("case", type=click.Path(path_type=Path))
@click.option("--only", "--detector", "ids", multiple=True, help="Run only this detector (repeatable); all by default.")
@click.option("--param", "params", multiple=True, metavar="DETECTOR.NAME=VALUE",
              help="Change a threshold for this run and keep it in the case (repeatable).")
@click.option("--time-limit", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help="Stop a detector that runs longer than this and record it as failed "
                   "[default: 600; 0: no limit].")
@click.option("--json", "as_json", is_flag=True)
def detect(case, ids, params, time_limit, as_json) -> None:
    """Run red-flag detectors on CASE and store their findings (marks from earlier runs are kept).

    Each detector runs in a worker that can read the case but not change it; one that fails,
    exits or runs past --time-limit is reported and the others still run (exit code 13).
    """
    from workbench.detecting import DEFAULT_TIME_LIMIT, run_detectors, unfinished_run

    overrides: dict[str, dict[str, str]] = {}
    for pair in params:
        key, _, value = pair.partition("=")
        detector_id, _, name = key.rpartition(".")
        if not detector_id or not name or not _:
            raise click.BadParameter(f"{pair!r}: expected DETECTOR.NAME=VALUE", param_hint="--param")
        overrides.setdefault(detector_id, {})[name] = value
    with Case.open(case) as opened:
        for detector_id, values in overrides.items():
            opened.set_detector_parameters(detector_id, {**opened.detector_parameters(detector_id), **values})
        try:
            with click.progressbar(length=100, label="Running detectors", file=sys.stderr) as bar:
                outcomes = run_detectors(opened, list(ids) or None,
                                         progress=lambda f, _name: bar.update(int(f * 100) - bar.pos),
                                         time_limit=DEFAULT_TIME_LIMIT if time_limit is None else time_limit)
        except LookupError as error:
            raise CaseError(str(error)) from error
        except KeyboardInterrupt:
            click.secho(f"\ninterrupted: {unfinished_run(opened) or 'no detector ran'}", fg="yellow", err=True)
            sys.exit(130)
        unfinished = unfinished_run(opened)
        ran = {o.detector_id for o in outcomes}
        found = [f for f in opened.findings() if f["detector_id"] in ran]
        if as_json:
            for finding in found:
                entities = finding["evidence"].get("entities", [])
                finding["entity_names"] = {e: _caption(opened, e) for e in entities}
            click.echo(json.dumps({"detectors": [o.__dict__ for o in outcomes], "findings": found,
                                   "unfinished": unfinished}, indent=2))
            return
        _table([[o.detector_id, o.findings, o.counts.get("new", ""), o.counts.get("no_longer_found", ""),
                 ("ERROR " + o.error) if o.error else ""] for o in outcomes],
               ["detector", "findings", "new", "no longer found", ""])
        if found:
            click.echo()
            _table([[f"#{f['id']}", f["severity"].upper(), f"{f['score']:.2f}", f["detector_id"], f["status"],
                     _shorten(f["explanation"], 110)] for f in found],
                   ["finding", "severity", "score", "detector", "status", "explanation (workbench findings CASE for all)"])
        if unfinished:
            click.secho(f"\n{unfinished}", fg="yellow")
    if any(o.error for o in outcomes):
        sys.exit(13)


def _fact_name(case: Case, fact_id: str) -> str:
    """A fact as the analyst knows it: "Ownership: A → B 26%", "Shipment: DDR4 memory ICs"; else its id."""
    proxy = case.entity(fact_id)
    if proxy is None:
        return fact_id
    schema = proxy.schema
    if schema.edge and schema.source_prop and schema.target_prop:
        ends = []
        for prop in (schema.source_prop, schema.target_prop):
            other = next(iter(proxy.get(prop)), None)
            found = case.entity(other) if other else None
            ends.append(found.caption if found is not None and found.caption else (other or "?"))
        detail = proxy.first("percentage", quiet=True)
        detail = f" {detail.rstrip('%')}%" if detail else ""
        amount = proxy.first("amount", quiet=True)
        if amount:
            detail = f" {proxy.first('currency', quiet=True) or ''} {amount}".rstrip()
        date = next(iter(v for p in schema.temporal_start_props for v in proxy.get(p)), "")
        words = proxy.caption if proxy.caption and proxy.caption not in (proxy.id, schema.label) else ""
        return f"{schema.label}: {ends[0]} → {ends[1]}{detail}{' ' + date if date else ''}" + \
            (f" ({words})" if words and schema.name == "Shipment" else "")
    if not proxy.caption or proxy.caption == proxy.id:
        return fact_id
    return f"{schema.label}: {proxy.caption}"


@main.command()
@click.argument("case", type=click.Path(path_type=Path))
@click.option("--status", type=click.Choice(["open", "confirmed", "dismissed"]))
@click.option("--detector", "detector_id")
@click.option("--json", "as_json", is_flag=True)
def findings(case, status, detector_id, as_json) -> None:
    """List stored findings, most severe first, with their explanations."""
    from workbench.detecting import unfinished_run

    with Case.open(case, readonly=True) as opened:
        rows = opened.findings(status=status, detector_id=detector_id)
        unfinished = unfinished_run(opened)
        if as_json:
            if unfinished:
                click.secho(f"note: {unfinished}", fg="yellow", err=True)
            click.echo(json.dumps(rows, indent=2))
            return
        if unfinished:
            click.secho(f"{unfinished}\n", fg="yellow")
        if not rows:
            click.echo("no findings (run `workbench detect` first)")
            return
        for row in rows:
            mark = f" [{row['status']}{': ' + row['status_reason'] if row['status_reason'] else ''}]" \
                if row["status"] != "open" else ""
            click.secho(f"#{row['id']} {row['severity'].upper():<6} {row['score']:.2f}  {row['detector_id']}{mark}",
                        bold=True)
            click.echo(f"    {row['explanation']}")
            facts = row["evidence"].get("facts") or []
            if facts:
                # Named as the analyst knows them (a shipment's goods, a payment's amount and date);
                # the ids are in --json.
                named = [_fact_name(opened, fact) for fact in facts[:8]]
                click.echo(f"    evidence: {'; '.join(named)}{' …' if len(facts) > 8 else ''}")


@main.command()
@click.argument("case", type=click.Path(path_type=Path))
@click.argument("finding_id", type=int)
@click.option("--confirm", "action", flag_value="confirmed")
@click.option("--dismiss", "action", flag_value="dismissed")
@click.option("--reopen", "action", flag_value="open")
@click.option("--reason", help="Why (required to dismiss).")
def finding(case, finding_id, action, reason) -> None:
    """Mark a finding confirmed, dismissed (with --reason) or open again."""
    if action is None:
        raise click.UsageError("say --confirm, --dismiss or --reopen")
    with Case.open(case) as opened:
        opened.set_finding_status(finding_id, action, reason)
    click.echo(f"finding #{finding_id} is now {action}")


@main.command()
@click.argument("case", type=click.Path(path_type=Path))
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "format_name", required=True, help="gexf, graphml, ftm, xlsx, anx, mtgx (see `workbench plugins`).")
@click.option("--include-protected", is_flag=True, help="Also export values from protected sources (off by default).")
@click.option("--option", "option_pairs", multiple=True, metavar="NAME=VALUE", help="Exporter parameter (repeatable).")
@click.option("--deidentify", is_flag=True, help="Replace persons' names, phones, emails and accounts by stable "
              "pseudonyms (ftm or xlsx); the key to re-identify is kept apart.")
@click.option("--key", "key_path", type=click.Path(dir_okay=False, path_type=Path), help="Key file for --deidentify.")
@click.option("--coarsen-dates", type=click.Choice(["month", "year"]), help="With --deidentify: coarsen dates.")
def export(case, output, format_name, include_protected, option_pairs, deidentify, key_path, coarsen_dates) -> None:
    """Write CASE to OUTPUT in another tool's format, and say what the format cannot carry."""
    from workbench.plugin_api import ParameterError, find_exporter

    if deidentify:
        if include_protected:
            raise click.UsageError("--deidentify never includes protected sources")
        from workbench.cli.share import share

        click.get_current_context().invoke(share, case=case, output=output, format_name=format_name,
                                           key_path=key_path, coarsen_dates=coarsen_dates,
                                           allow_key_beside_export=False, as_json=False)
        return

    try:
        exporter = find_exporter(format_name)(**_parse_options(option_pairs))
    except (LookupError, ParameterError) as error:
        raise CaseError(str(error)) from error
    with Case.open_to_record(case) as opened:
        report = exporter.write(opened, output, include_protected=include_protected)
        opened._audit_export(format_name, output, include_protected, report)
    click.echo(f"wrote {output}: {report.get('entities', 0):,} entities, {report.get('links', 0):,} links ({format_name})")
    for loss in report.get("losses", []):
        click.echo(f"  not carried: {loss}")


@main.command()
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


def _register_command_families() -> None:
    """Commands that live beside the rooms they serve (sharing, reports, training)."""
    from workbench.cli.report import register as register_report
    from workbench.cli.share import register as register_sharing
    from workbench.cli.training import register as register_training

    register_sharing(main)
    register_report(main)
    register_training(main)


_register_command_families()


