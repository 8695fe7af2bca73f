"""Commands that bring data in and take it out: ``import``, ``mapping draft`` and ``export``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from workbench.cli.common import fail, parse_options
from workbench.files import is_stdout, output_path
from workbench.store import Case, CaseError


@click.command("import")
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
    from workbench.importing import estimate_records, import_file, main_file_of
    from workbench.model import parse_grade
    from workbench.plugin_api import ParameterError, SourceFormatError

    try:
        source_grade = parse_grade(grade)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--grade") from error
    options: dict[str, Any] = parse_options(option_pairs)
    failures = 0
    with Case.open(case) as opened:
        if mapping:
            if Path(mapping).is_file():
                from workbench.mapping import load_spec

                options["mapping"] = load_spec(mapping)
            elif mapping in opened.saved_mappings():
                options["mapping"] = opened.saved_mappings()[mapping]
            else:
                saved = ", ".join(sorted(opened.saved_mappings())) or "none"
                fail(CaseError(f"{mapping}: no such mapping file, nor a mapping saved in the case (saved: {saved})"), 2)
            importer_id = importer_id or "mapped-table"
        imported: dict[Path, int] = {}  # main files imported by this command -> source id
        for path in files:
            main = main_file_of(path, importer_id, options)
            if main.resolve() in imported:
                click.echo(f"{path}: read with {main.name} as one of its files (source #{imported[main.resolve()]})"
                           if main != path else f"{path}: imported above with its files "
                           f"(source #{imported[main.resolve()]})")
                continue
            total = estimate_records(path) or 0
            try:
                with click.progressbar(length=max(total, 1), label=f"Importing {path.name}", file=sys.stderr) as bar:

                    def progress(done: int) -> None:
                        bar.update(min(done, bar.length) - bar.pos)

                    outcome = import_file(opened, path, importer_id=importer_id, options=options, grade=source_grade,
                                          protected=protected, note=note, again=again, progress=progress)
                    bar.update(bar.length - bar.pos)
            except (SourceFormatError, ParameterError, LookupError) as error:
                failures += 1
                click.secho(f"error: {error}", fg="red", err=True)
                click.echo(f"{path}: not imported; the case is unchanged", err=True)
                continue
            if outcome.given is not None:
                click.echo(f"{path}: one of the files of {outcome.path.name}, read with it")
            if outcome.skipped:
                click.echo(f"{outcome.path}: skipped, {outcome.skipped}")
                if outcome.earlier_source is not None:
                    imported[outcome.path.resolve()] = outcome.earlier_source
                continue
            report = outcome.report
            imported[outcome.path.resolve()] = report.source_id
            kinds = ", ".join(f"{count:,} {schema}" for schema, count in sorted(report.by_schema.items()))
            click.echo(
                f"{outcome.path}: imported with {outcome.importer_id} as source #{report.source_id} [{source_grade}]: "
                f"{report.entities:,} entities ({kinds}), {report.statements:,} values, {report.edges:,} links"
            )
            if outcome.notes:
                click.secho(f"  read but not imported ({len(outcome.notes)}):", fg="yellow")
                for item in outcome.notes[:50]:
                    click.echo(f"    - {item}")
            if outcome.left_out:
                click.secho(f"  brought in differently or left out ({len(outcome.left_out)}):", fg="yellow")
                for item in outcome.left_out[:50]:
                    click.echo(f"    - {item}")
                if len(outcome.left_out) > 50:
                    click.echo(f"    … and {len(outcome.left_out) - 50} more")
        if save_mapping and "mapping" in options:
            opened.save_mapping(save_mapping, options["mapping"])
            click.echo(f"mapping saved in the case as {save_mapping!r}")
    if failures:
        sys.exit(12)


@click.group()
def mapping() -> None:
    """Mapping specs that turn table columns into entities and relationships."""


@mapping.command("draft")
@click.argument("table", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the spec here.")
@click.option("--sheet", help="XLSX sheet to read the header from.")
def mapping_draft(table: Path, output: Path | None, sheet: str | None) -> None:
    """Draft a FollowTheMoney mapping spec from TABLE's header row."""
    from workbench.plugin_api import SourceFormatError
    from workbench.mapping import draft_spec, dump_spec, read_table

    try:
        header, rows, _ = read_table(table, sheet=sheet)
        rows.close()
    except SourceFormatError as error:
        fail(error, 12)
    text = dump_spec(draft_spec(header))
    if output and not is_stdout(output):
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}; check it, then: workbench import CASE {table} --mapping {output}")
    else:
        click.echo(text)


@click.command()
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
        exporter = find_exporter(format_name)(**parse_options(option_pairs))
    except (LookupError, ParameterError) as error:
        raise CaseError(str(error)) from error
    to_stdout = is_stdout(output)
    with Case.open_to_record(case) as opened, output_path(output, exporter.file_suffix) as target:
        report = exporter.write(opened, target, include_protected=include_protected)
        opened.record_export(format_name, "standard output" if to_stdout else output, include_protected, report)
    # With "-" the file went to standard output: what was written and lost goes to standard error.
    where = "standard output" if to_stdout else output
    click.echo(f"wrote {where}: {report.get('entities', 0):,} entities, {report.get('links', 0):,} links "
               f"({format_name})", err=to_stdout)
    for loss in report.get("losses", []):
        click.echo(f"  not carried: {loss}", err=to_stdout)

