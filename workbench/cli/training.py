"""``workbench train``: generate a training case, mark items as a trainee, score the marks.

Added to the main command line by :func:`register` (``workbench/cli/__init__.py`` calls it), so that this
module stays in the training room and the CLI module stays thin.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from workbench.cli.common import case_file, fail, table
from workbench.store import Case, CaseError
from workbench.store.errors import CaseExists


class _TrainGroup(click.Group):
    """Turn CaseErrors into one line and an exit code, as the main group does (also when used alone)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CaseError as error:
            fail(error, error.exit_code)


@click.group("train", cls=_TrainGroup)
def train() -> None:
    """Training cases: synthetic diversion scenarios with an answer key, and scoring."""


@train.command("list")
@click.option("--json", "as_json", is_flag=True)
def train_list(as_json: bool) -> None:
    """List the bundled scenarios, smallest first."""
    from workbench.training.generator import list_scenarios

    scenarios = list_scenarios()
    if as_json:
        click.echo(json.dumps([{"id": s.id, "title": s.title, "level": s.level, "approx_entities": s.approx_entities,
                                "patterns": [p["kind"] for p in s.patterns], "decoys": [d["kind"] for d in s.decoys]}
                               for s in scenarios], indent=2))
        return
    table([[s.id, s.level, f"~{s.approx_entities:,}" if s.approx_entities else "?", len(s.patterns), len(s.decoys),
             s.title] for s in scenarios], ["scenario", "level", "entities", "patterns", "decoys", "title"])
    click.echo("\nworkbench train new SCENARIO CASE [--seed N] [--size S]   (--size multiplies the background)")


@train.command("new")
@click.argument("scenario")
@click.argument("case", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--seed", type=int, default=1, show_default=True, help="The same seed gives the same case.")
@click.option("--size", type=float, default=1.0, show_default=True,
              help="Multiplier on the background noise (the planted patterns stay the same).")
@click.option("--payments", type=click.IntRange(min=1),
              help="Top the case up with ordinary transfers to this many payments (benchmark cases).")
@click.option("--key", "key_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the answer key here instead of CASE.wbcase.key.json.")
@click.option("--json", "as_json", is_flag=True, help="Print what was made as JSON.")
def train_new(scenario: str, case: Path, seed: int, size: float, payments: int | None, key_file: Path | None,
              as_json: bool) -> None:
    """Generate a training CASE from SCENARIO (a bundled id or a YAML file) and its answer key."""
    from workbench.training.generator import generate, load_scenario, write_case

    if size < 0:
        raise click.BadParameter("must not be negative", param_hint="--size")
    try:
        recipe = load_scenario(scenario)
    except (LookupError, ValueError) as error:
        raise click.BadParameter(str(error), param_hint="SCENARIO") from error
    if case_file(case).exists():
        raise CaseExists(f"{case_file(case)}: a file of that name already exists; choose another name")
    started = time.perf_counter()
    generated = generate(recipe, seed, size, payments=payments)
    built = time.perf_counter() - started
    counts = generated.counts()
    total = sum(counts.values())
    done: dict[str, int] = {}
    started = time.perf_counter()
    with click.progressbar(length=max(total, 1), label="Writing case", file=sys.stderr) as bar:

        def progress(family: str, count: int) -> None:
            done[family] = count
            bar.update(sum(done.values()) - bar.pos)

        case_path, key_path = write_case(generated, case, key_path=key_file, progress=progress)
    written = time.perf_counter() - started
    summary = {"case": str(case_path), "key": str(key_path), "scenario": recipe.id, "seed": seed, "size": size,
               "entities": total, "by_schema": counts, "patterns": [p.kind for p in generated.patterns],
               "decoys": [d.kind for d in generated.decoys], "generate_seconds": round(built, 3),
               "write_seconds": round(written, 3)}
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    click.secho(f"created {case_path}: {recipe.title} (seed {seed}, size {size:g})", bold=True)
    click.echo(f"{total:,} entities: " + ", ".join(f"{count:,} {schema}" for schema, count in counts.items()))
    click.echo(f"{len(generated.patterns)} planted pattern{'s' if len(generated.patterns) != 1 else ''}, "
               f"{len(generated.decoys)} decoy{'s' if len(generated.decoys) != 1 else ''}; "
               f"generated in {built:.2f} s, written in {written:.2f} s"
               + (f" ({generated.bulk_payments:,} transfers built while writing)" if generated.bulk_payments else ""))
    click.echo(f"answer key: {key_path}  (keep it from the trainees)")
    click.echo(f"score a trainee's marks with: workbench train score {case_path}")


def _find_item(case: Case, text: str) -> str:
    """An entity id from an id or a name (the case's one rule, ``Case.find_entities``: id, exact name, then
    part of a name)."""
    rows = case.find_entities(text)
    if len(rows) == 1:
        return rows[0][0]
    if not rows:
        raise CaseError(f"no entity or fact with id or name {text!r} in {case.path.name}")
    raise CaseError(f"{text!r} names {len(rows)} entities; use an id: {', '.join(r[0] for r in rows[:8])}")


@train.command("mark")
@click.argument("case", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("items", nargs=-1, required=True)
@click.option("--reason", default="", help="Why these are suspicious (shown in the debrief).")
@click.option("--remove", is_flag=True, help="Take the marks off again.")
@click.option("--marks", "marks_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Marks file (default: CASE.wbcase.marks.json).")
def train_mark(case: Path, items: tuple[str, ...], reason: str, remove: bool, marks_file: Path | None) -> None:
    """Mark entities or facts (ids or exact names) of CASE as suspicious, for `train score`."""
    from workbench.training.scoring import Mark, load_marks, marks_file_case_id, marks_path_for, save_marks

    path = marks_file or marks_path_for(case)
    with Case.open(case, readonly=True) as opened:
        ids = [_find_item(opened, item) for item in items]
        case_id = opened.meta("case_id")
    existing = load_marks(path) if path.is_file() else []
    if path.is_file() and marks_file_case_id(path) not in (None, case_id):
        raise CaseError(f"{path}: these marks were made on another case")
    if remove:
        marks = [m for m in existing if m.id not in ids]
    else:
        marks = [m for m in existing if m.id not in ids] + [Mark(i, reason) for i in ids]
    save_marks(path, marks, case_id=case_id)
    verb = "unmarked" if remove else "marked"
    click.echo(f"{verb} {len(ids)} item{'s' if len(ids) != 1 else ''}; {len(marks)} marks in {path}")


@train.command("score")
@click.argument("case", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--marks", "marks_file", type=click.Path(dir_okay=False, path_type=Path),
              help="A marks file (default: CASE.wbcase.marks.json if it exists).")
@click.option("--key", "key_file", type=click.Path(dir_okay=False, path_type=Path),
              help="The answer key (default: CASE.wbcase.key.json).")
@click.option("--no-findings", is_flag=True, help="Ignore the findings confirmed in the case; score the marks file only.")
@click.option("--brief", is_flag=True, help="The score only, without the step-by-step debrief.")
@click.option("--json", "as_json", is_flag=True)
def train_score(case: Path, marks_file: Path | None, key_file: Path | None, no_findings: bool, brief: bool,
                as_json: bool) -> None:
    """Score a trainee's marks on CASE against its answer key, and print the debrief.

    Marks are the marks file and the findings the trainee confirmed in the case.
    """
    from workbench.training.generator import key_path_for
    from workbench.training.scoring import debrief_text, load_key, score_case

    key = load_key(key_file or key_path_for(case))
    with Case.open(case, readonly=True) as opened:
        score, marks = score_case(opened, key, marks_file=marks_file, use_findings=not no_findings)

        def caption(item: str) -> str | None:
            return opened.caption_of(item) or None

        text = debrief_text(key, score, caption)
    if as_json:
        click.echo(json.dumps({**score.to_dict(), "marks": [m.to_dict() for m in marks]}, indent=2))
        return
    precision = "n/a" if score.precision is None else f"{score.precision:.0%}"
    marked = len({m.id for m in marks})
    click.secho(f"{marked} item{'s' if marked != 1 else ''} marked: {score.found} of {score.total} pattern items found, "
                f"{len(score.false_alarms)} false alarms; precision {precision}, recall {score.recall:.0%}", bold=True)
    table([[p.id, p.title, p.status, f"{len(p.found)}/{len(p.items)}"] for p in score.patterns],
           ["pattern", "what", "result", "found"])
    if not marks:
        click.echo(f"\nno marks yet: confirm findings in the case, or `workbench train mark {case} ID --reason ...`")
    if not brief:
        click.echo("")
        click.echo(text, nl=False)


def register(main: click.Group) -> None:
    """Add the ``train`` command group to the main command line."""
    main.add_command(train)
