"""Commands for red flags: ``detect`` runs the detectors, ``findings`` lists, ``finding`` marks."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from workbench.cli.common import caption, table
from workbench.plugin_api.wording import shorten
from workbench.store import Case, CaseError


@click.command()
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
                finding["entity_names"] = {e: caption(opened, e) for e in entities}
            click.echo(json.dumps({"detectors": [o.__dict__ for o in outcomes], "findings": found,
                                   "unfinished": unfinished}, indent=2))
            return
        table([[o.detector_id, o.findings, o.counts.get("new", ""), o.counts.get("no_longer_found", ""),
                 ("ERROR " + o.error) if o.error else ""] for o in outcomes],
               ["detector", "findings", "new", "no longer found", ""])
        if found:
            click.echo()
            table([[f"#{f['id']}", f["severity"].upper(), f"{f['score']:.2f}", f["detector_id"], f["status"],
                     shorten(f["explanation"], 110)] for f in found],
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


@click.command()
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


@click.command()
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

