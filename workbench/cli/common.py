"""What every command shares: one-line errors and exit codes, tables, and finding an entity by name."""

from __future__ import annotations

import logging
import re
import sqlite3
import sys
from pathlib import Path
from typing import Any

import click

from workbench.store import SUFFIX, Case, CaseCorrupt, CaseError


def fail(error: Exception, code: int = 1) -> None:
    """Say ERROR in one red line on stderr and exit with CODE."""
    click.secho(f"error: {error}", fg="red", err=True)
    sys.exit(code)


class Notices(logging.Handler):
    """The store's notices (a case opened read-only, say) as one line each on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        click.secho(f"note: {record.getMessage()}", fg="yellow", err=True)


class CaseErrors(click.Group):
    """Turn every CaseError into one readable line and its exit code, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        notices = logging.getLogger("workbench.store")
        handler = Notices()
        notices.addHandler(handler)
        notices.propagate = False
        try:
            return super().invoke(ctx)
        except CaseError as error:
            fail(error, error.exit_code)
        except sqlite3.DatabaseError as error:
            # Damage the check on opening could not see (a page read only now): one line, exit 6.
            fail(CaseCorrupt(f"the case file is damaged or unreadable ({error}); restore it from a backup"),
                 CaseCorrupt.exit_code)
        finally:
            notices.removeHandler(handler)


def parse_options(pairs: tuple[str, ...]) -> dict[str, str]:
    options = {}
    for pair in pairs:
        if "=" not in pair:
            raise click.BadParameter(f"{pair!r}: expected NAME=VALUE", param_hint="--option")
        name, value = pair.split("=", 1)
        options[name.strip()] = value
    return options


def find_entity(case: Case, text: str) -> str:
    """An entity id from an id or a name (exact, then partial, case-insensitive): ``Case.find_entities``."""
    rows = case.find_entities(text)
    if len(rows) == 1:
        return rows[0][0]
    if not rows:
        raise CaseError(f"no entity with id or name {text!r}")
    options = "; ".join(f"{caption} [{schema}] = {entity_id}" for entity_id, caption, schema in rows[:10])
    raise CaseError(f"{text!r} matches several entities; use an id: {options}")


def caption(case: Case, entity_id: str) -> str:
    return case.caption_of(entity_id) or entity_id


def table(rows: list[list[Any]], header: list[str]) -> None:
    """Rows under a bold header, each column as wide as its widest cell."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    click.secho("  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip(), bold=True)
    for row in rows:
        click.echo("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths)).rstrip())



def case_file(path: Path) -> Path:
    """PATH with the case suffix (.wbcase) added if it lacks it."""
    return path if path.suffix == SUFFIX else path.with_name(path.name + SUFFIX)


def parse_size(text: str, option: str = "--size") -> tuple[int, int]:
    """WIDTHxHEIGHT in pixels, or a usage error naming OPTION."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not match:
        raise click.BadParameter(f"{text!r}: expected WIDTHxHEIGHT in pixels, e.g. 1600x1000", param_hint=option)
    return int(match.group(1)), int(match.group(2))
