"""Commands that read the network: ``path``, ``flows``, ``owners``, ``match`` and ``layout``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from workbench.analysis.layout import GRAPH_LAYOUTS
from workbench.cli.common import caption, find_entity, table
from workbench.store import Case, CaseError


@click.command()
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
        source_id, target_id = find_entity(opened, source), find_entity(opened, target)
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
            click.echo(f"no {'time-ordered ' if time_ordered else ''}path from {caption(opened, source_id)} "
                       f"to {caption(opened, target_id)} within {max_length} links")
            sys.exit(1)
        for number, steps in enumerate(found, start=1):
            click.secho(f"path {number}: {len(steps)} links", bold=True)
            table(
                [[caption(opened, s.source), caption(opened, s.target), s.schema, s.date or "",
                  f"{s.amount:,.2f} {s.currency or ''}" if s.amount is not None else "", s.via] for s in steps],
                ["from", "to", "link", "date", "amount", "via"],
            )


@click.command()
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
            table([[caption(opened, p["payer"]), caption(opened, p["beneficiary"]), f"{p['total']:,.2f}",
                     p["currency"], p["count"], p["first"] or "", p["last"] or ""] for p in pairs],
                   ["payer", "beneficiary", "total", "currency", "payments", "first", "last"])
            return
        entity_id = find_entity(opened, entity)
        try:
            if trace:
                steps = trace_funds(graph, entity_id, direction=trace, start=start, max_hops=hops, max_days=max_days)
                if as_json:
                    click.echo(json.dumps([step.as_dict() for step in steps], indent=2))
                    return
                table([["  " * (s.hop - 1) + caption(opened, s.target if trace == "forward" else s.source),
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
        click.secho(caption(opened, entity_id), bold=True)
        table([[currency or "?", f"{row['in']:,.2f}", row["count_in"], f"{row['out']:,.2f}", row["count_out"],
                 f"{row['net']:,.2f}"] for currency, row in sorted(money.items())],
               ["currency", "in", "payments in", "out", "payments out", "net"])


@click.command()
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
            table([[caption(opened, asset), f"{row['share']:.0%}", "BLOCKED (>=50%)" if row["flagged"] else "",
                     ", ".join(caption(opened, o) for o in row["listed_owners"])] for asset, row in rows],
                   ["asset", "held by listed parties", "OFAC 50% rule", "listed owners"])
            return
        asset = find_entity(opened, entity)
        found = ultimate_owners(opened, asset, threshold=threshold)
        if as_json:
            click.echo(json.dumps(found, indent=2, default=list))
            return
        click.secho(f"Ultimate owners of {caption(opened, asset)} (at least {threshold:.0%})", bold=True)
        if not found:
            click.echo("none found above the threshold")
            return
        table([[o["caption"], o["schema"], f"{o['share']:.1%}" + (" (assumed)" if o["assumed"] else ""),
                 " → ".join(caption(opened, n) for n in o["chains"][0]) if o["chains"] else ""] for o in found],
               ["owner", "type", "effective share", "via"])


@click.command()
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
            opened.record_match_decision(find_entity(opened, left), find_entity(opened, right), decision, reason=reason)
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
            click.secho(f"{candidate.score:.2f}  {caption(opened, candidate.left_id)}  ~  "
                        f"{caption(opened, candidate.right_id)}{decided}", bold=True)
            click.echo(f"      {candidate.left_id}  /  {candidate.right_id}")
            for line in candidate.explanation:
                click.echo(f"      - {line}")


@click.command()
@click.argument("case", type=click.Path(path_type=Path))
@click.option("--kind", type=click.Choice(GRAPH_LAYOUTS), default="force", show_default=True)
@click.option("--fresh", is_flag=True, help="Ignore current positions (pinned items still stay put).")
@click.option("--json", "as_json", is_flag=True, help="Print the positions instead of a summary.")
def layout(case, kind, fresh, as_json) -> None:
    """Lay out the chart of CASE and save the positions (undoable in the app)."""
    import time

    from workbench.analysis import layout as layouts
    from workbench.analysis.graph import GraphFilter, case_graph

    with Case.open(case) as opened:
        graph = case_graph(opened, GraphFilter(include_hidden=False))
        stored = opened.chart_items()
        pinned = {n: (r["x"], r["y"]) for n, r in stored.items() if r["pinned"] and r["x"] is not None and n in graph}
        initial = None if fresh else {n: (r["x"], r["y"]) for n, r in stored.items()
                                      if r["x"] is not None and n in graph}
        started = time.perf_counter()
        with click.progressbar(length=100, label=f"Laying out {graph.number_of_nodes():,} entities",
                               file=sys.stderr) as bar:
            def progress(fraction: float) -> None:
                bar.update(int(fraction * 100) - bar.pos)

            positions = layouts.lay_out(graph, kind, pinned=pinned, initial=initial or None, progress=progress)
            bar.update(100 - bar.pos)
        seconds = time.perf_counter() - started
        opened.set_chart_items({n: {"x": float(x), "y": float(y)} for n, (x, y) in positions.items()},
                               label=f"Layout ({kind})")
    if as_json:
        click.echo(json.dumps({n: [x, y] for n, (x, y) in positions.items()}, indent=2))
    else:
        click.echo(f"placed {len(positions):,} entities ({kind}, {len(pinned)} pinned) in {seconds:.2f} s; saved in {case}")

