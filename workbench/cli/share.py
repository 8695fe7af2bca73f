"""Command-line commands for evidence that leaves the case: ``share``, ``reidentify`` and ``audit``.

Added to the ``workbench`` group by :func:`register`; each is a thin call into
:mod:`workbench.sharing`.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import click

from workbench.cli.common import table
from workbench.files import is_stdout, output_path
from workbench.sharing import (
    COARSENINGS,
    SHARE_FORMATS,
    AuditLogBroken,
    SharingKeyError,
    audit_rows,
    default_key_path,
    describe_audit_entry,
    key_beside_export,
    reidentify,
    write_audit_log,
    write_deidentified,
)
from workbench.store import Case, CaseTampered


def _format_for(output: Path, format_name: str | None) -> str:
    if format_name:
        return format_name
    if output.suffix.lower() in (".xlsx", ".xlsm"):
        return "xlsx"
    if output.suffix.lower() in (".json", ".jsonl", ".ijson", ".ndjson"):
        return "ftm"
    raise click.UsageError(f"{output.name}: say --format {' or --format '.join(SHARE_FORMATS)}")


@click.command()
@click.argument("case", type=click.Path(path_type=Path))
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "format_name", type=click.Choice(SHARE_FORMATS),
              help="ftm (JSON lines) or xlsx; guessed from OUTPUT's name if not given.")
@click.option("--key", "key_path", type=click.Path(dir_okay=False, path_type=Path),
              help="The key file: created if missing, reused for the same pseudonyms "
                   "(default: one per case in ~/.local/share/workbench/sharing-keys).")
@click.option("--coarsen-dates", type=click.Choice(COARSENINGS), help="Keep only the month or the year of dates.")
@click.option("--key-beside-export", "allow_key_beside_export", is_flag=True,
              help="Allow the key in the export's own folder (it is refused there: it re-identifies everyone).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def share(case, output, format_name, key_path, coarsen_dates, allow_key_beside_export, as_json) -> None:
    """Write a de-identified copy of CASE to OUTPUT for a partner.

    Names and identifiers of persons, every phone, e-mail and account number become stable
    pseudonyms; ids are replaced; protected sources never leave. The key file that maps the
    pseudonyms back stays with you: `workbench reidentify` uses it.
    """
    format_name = _format_for(output, format_name)
    if is_stdout(output):
        # "-": the de-identified file on standard output; what the command says goes to standard error.
        suffix = ".xlsx" if format_name == "xlsx" else ".ftm.json"
        with output_path(output, suffix) as target, contextlib.redirect_stdout(sys.stderr):
            click.get_current_context().invoke(share, case=case, output=target, format_name=format_name,
                                               key_path=key_path, coarsen_dates=coarsen_dates,
                                               allow_key_beside_export=allow_key_beside_export, as_json=as_json)
        return
    with Case.open(case) as opened:
        key_path = key_path or default_key_path(opened)
        if key_beside_export(key_path, output):
            if not allow_key_beside_export:
                raise SharingKeyError(
                    f"{key_path}: the key would sit in the export's folder ({output.resolve().parent}), where it is "
                    "easily sent along and would re-identify everyone; choose --key elsewhere "
                    "(or say --key-beside-export)")
            click.secho(f"warning: the key {key_path} is in the export's folder; never send it with the export",
                        fg="yellow", err=True)
        report = write_deidentified(opened, output, format_name, key_path=key_path, coarsen_dates=coarsen_dates)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    how = f", dates by {coarsen_dates}" if coarsen_dates else ""
    click.echo(f"wrote {output}: {report['entities']:,} entities, {report['links']:,} links "
               f"({format_name}, de-identified{how})")
    done = ", ".join(f"{count:,} {kind}" for kind, count in sorted(report["pseudonymised"].items()))
    click.echo(f"  pseudonymised: {done or 'nothing'}; {report['scrubbed_values']:,} texts scrubbed of names "
               f"and contacts")
    if report["dropped"]:
        click.echo("  left out: " + ", ".join(f"{count:,} {prop}" for prop, count in sorted(report["dropped"].items())))
    if report["withheld_links"] or report["dropped_references"]:
        click.echo(f"  withheld: {report['withheld_links']:,} relationships and {report['dropped_references']:,} "
                   "references to parties known only from protected sources")
    if report["missing_references"]:
        click.echo(f"  left out: {report['missing_references']:,} references to entities that are not in the case")
    click.echo(f"  key: {report['key']} ({report['new_pseudonyms']:,} new pseudonyms); keep it apart, never send it")
    for loss in report["losses"]:
        click.echo(f"  not carried: {loss}")


@click.command("reidentify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--key", "key_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The key file the export was made with.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here (default: FILE.reidentified beside FILE).")
def reidentify_command(file: Path, key_path: Path, output: Path | None) -> None:
    """Put the original names, contacts and ids back into FILE (an export, or a partner's reply)."""
    if is_stdout(output):
        with output_path(output, "".join(file.suffixes)) as target, contextlib.redirect_stdout(sys.stderr):
            click.get_current_context().invoke(reidentify_command, file=file, key_path=key_path, output=target)
        return
    report = reidentify(file, key_path, output)
    click.echo(f"wrote {report.output}: {report.restored:,} pseudonyms restored ({report.distinct:,} distinct)")
    if report.unknown:
        sample = ", ".join(sorted(report.unknown)[:5])
        click.secho(f"  {len(report.unknown):,} pseudonyms are not in this key (made with another key?): {sample}",
                    fg="yellow")


@click.command()
@click.argument("case", type=click.Path(path_type=Path))
@click.option("--verify", is_flag=True, help="Check the hash chain; exit 14 naming the first broken entry.")
@click.option("--json", "as_json", is_flag=True, help="Print entries (or, with --verify, the check) as JSON.")
@click.option("--export", "export_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the log to FILE.csv or FILE.jsonl, hashes included (recorded in the log).")
@click.option("--action", "actions", multiple=True, metavar="PREFIX",
              help="Only entries whose action starts with PREFIX (repeatable): ingest, export, detector, "
                   "entity.merge …")
def audit(case, verify, as_json, export_path, actions) -> None:
    """Who did what when in CASE: imports, edits, merges, detector runs, exports."""
    # Reading needs no write access, and shows the log even of a case whose schema was changed
    # outside Workbench; an export of the log is itself recorded, so it does.
    if export_path is None:
        opening = Case.open(case, readonly=True, inspect=True)
    else:
        opening = Case.open_to_record(case)
    with opening as opened:
        rows = audit_rows(opened, actions)
        check = opened.check_audit_chain()
        schema_problems = opened.schema_problems
        if export_path is not None:
            count = write_audit_log(rows, export_path)
            if not opened.readonly:
                opened.record_export(f"audit log ({export_path.suffix.lstrip('.').lower()})", export_path, False,
                                     entries=count)
            if not as_json:
                click.echo(f"wrote {export_path}: {count:,} audit entries with their hashes")
    by_seq = {row["seq"]: row for row in rows}
    for problem in schema_problems:
        click.secho(f"warning: {case}: {problem} (changed outside Workbench)", fg="red", err=True)
    if verify:
        if as_json:
            click.echo(json.dumps({**check, "schema_problems": schema_problems}, indent=2))
        failure = _audit_failure(case, check, by_seq)
        if failure:
            raise AuditLogBroken(failure)
        if not as_json:
            click.echo(_audit_summary(check))
        if schema_problems:
            raise CaseTampered(f"{case}: the case's schema was changed outside Workbench: {'; '.join(schema_problems)}")
        return
    if export_path is not None:
        return
    if as_json:
        click.echo(json.dumps([{key: row[key] for key in ("seq", "at", "actor", "action", "hash")}
                               | {"details": row["data"], "what": describe_audit_entry(row)} for row in rows],
                              indent=2))
        return
    broken = check["first_broken"]
    table([[("! " if broken is not None and row["seq"] >= broken else "") + str(row["seq"]), row["at"], row["actor"],
             row["action"], describe_audit_entry(row)] for row in rows],
           ["#", "at", "who", "action", "what"])
    failure = _audit_failure(case, check, by_seq)
    if broken is not None:
        click.secho(f"\nhash chain BROKEN at entry #{broken}: entries marked ! cannot be trusted "
                    "(workbench audit CASE --verify)", fg="red")
    elif failure:
        click.secho(f"\n{failure}", fg="red")
    else:
        click.echo(f"\n{_audit_summary(check, table=True)}")


def _runs(runs: list[list[int]]) -> str:
    return ", ".join(f"#{a}" if a == b else f"#{a}-#{b}" for a, b in runs)


def _audit_failure(case: Path, check: dict, by_seq: dict) -> str | None:
    """Why the log cannot be trusted, in one line, or ``None``."""
    first = check["first_broken"]
    if first is not None:
        entry = by_seq.get(first)
        missing = [run for run in check["missing"] if run[1] < first]
        gap = sum(b - a + 1 for a, b in missing)
        return (f"{case}: the audit log is broken at entry #{first}"
                + (f" ({entry['at']}, {entry['actor']}: {entry['action']} - {describe_audit_entry(entry)})"
                   if entry else "")
                + "; its hash does not follow from the entries before it, so it or an earlier entry was changed "
                "or removed outside Workbench"
                + (f" (entr{'y' if gap == 1 else 'ies'} {_runs(missing)} {'is' if gap == 1 else 'are'} missing)"
                   if missing else "")
                + ". Entries from there on cannot be trusted.")
    if check["unused_keys"]:
        return (f"{case}: the audit log no longer uses the audit key{'s' if len(check['unused_keys']) > 1 else ''} "
                f"{', '.join(check['unused_keys'])} this machine made for it: the log was rewritten or cut back "
                "outside Workbench. It cannot be trusted.")
    if check["unchecked"]:
        spans = ", ".join(f"#{u['first']}-#{u['last']} (key {u['key']})" for u in check["unchecked"])
        return (f"{case}: the audit log cannot be verified here: entries {spans} were signed with an audit key "
                f"that is not on this machine; copy the key file from the machine that signed them into "
                f"{check['keys_folder']} and check again")
    return None


def _audit_summary(check: dict, *, table: bool = False) -> str:
    if check["unkeyed"] and not check["keyed"]:
        return (f"audit log chain consistent but UNKEYED: {check['entries']:,} entries made by an earlier "
                f"Workbench, without an audit key; this shows no entry was changed or removed by someone who did not "
                f"also recompute the chain, which anyone holding the file can do; latest hash {check['last_hash']}")
    unkeyed = (f"; entries #1-#{check['unkeyed']} predate the case's audit key and are only checked for "
               "consistency (anyone holding the file could have rewritten them)") if check["unkeyed"] else ""
    if table:
        return (f"hash chain intact ({check['entries']:,} entries, verified with the case's audit key){unkeyed}; "
                f"latest hash {check['last_hash']}")
    return (f"audit log intact: {check['entries']:,} entries, hash chain verified with the case's audit key"
            f"{unkeyed}; latest hash {check['last_hash']}")


def register(main: click.Group) -> None:
    """Add ``share``, ``reidentify`` and ``audit`` to the ``workbench`` command group."""
    main.add_command(share)
    main.add_command(reidentify_command)
    main.add_command(audit)


__all__ = ["audit", "register", "reidentify_command", "share"]
