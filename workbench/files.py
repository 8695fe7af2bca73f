"""Files written whole or not at all: a hidden temporary file beside the target, renamed into place.

An export, a report or a key that fails half-way (a full disk, a bug, Ctrl+C) must leave the
file that was there before, or nothing, never half a file that looks whole. Every writer goes
through :func:`replacing` (for libraries that write to a path: openpyxl, networkx) or
:func:`atomic_write` (for an open file): the temporary file is ``.NAME.<random>.part`` in the
target's own folder, so the final :func:`os.replace` is one rename on one file system, and it is
removed again when anything goes wrong.
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


@contextmanager
def replacing(path: str | os.PathLike, *, permissions: int | None = None) -> Iterator[Path]:
    """A fresh temporary path beside ``path`` to write to; it replaces ``path`` when the block ends.

    If the block raises (or is interrupted), the temporary file is removed and ``path`` is left
    as it was. With ``permissions`` (``0o600`` for a key) the file has them before anything
    secret is written to it.
    """
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    try:
        if permissions is not None:
            os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, permissions))
            os.chmod(temporary, permissions)  # whatever the umask says
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", *, encoding: str | None = "utf-8",
                 newline: str | None = None, permissions: int | None = None) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` (``"w"`` text or ``"wb"`` bytes); it becomes ``path``
    when the block ends without an error, and is removed otherwise."""
    if mode not in ("w", "wb"):
        raise ValueError(f"{mode!r}: atomic_write opens a file to write it whole ('w' or 'wb')")
    with replacing(path, permissions=permissions) as temporary:
        if "b" in mode:
            with open(temporary, "wb") as handle:
                yield handle
        else:
            with open(temporary, "w", encoding=encoding, newline=newline) as handle:
                yield handle


def write_text_atomically(path: str | os.PathLike, text: str, *, encoding: str = "utf-8",
                          permissions: int | None = None) -> None:
    """``path`` holds ``text``, written whole or not at all."""
    with atomic_write(path, encoding=encoding, permissions=permissions) as handle:
        handle.write(text)


#: The output path that means standard output on the command line.
STDOUT = "-"


def is_stdout(path: str | os.PathLike | None) -> bool:
    """Whether ``path`` is ``-``, which every command that writes a file reads as standard output."""
    return path is not None and str(path) == STDOUT


@contextmanager
def output_path(path: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """The path a command writes its output to: ``path`` itself, or for ``-`` a temporary file
    (named with ``suffix``, from which some writers take the format) whose bytes go to standard
    output once the command has written it."""
    if not is_stdout(path):
        yield Path(path)
        return
    with tempfile.TemporaryDirectory(prefix="workbench-stdout-") as folder:
        temporary = Path(folder) / f"output{suffix}"
        yield temporary
        sys.stdout.flush()
        with temporary.open("rb") as handle:
            shutil.copyfileobj(handle, sys.stdout.buffer)
        sys.stdout.buffer.flush()


__all__ = ["STDOUT", "atomic_write", "is_stdout", "output_path", "replacing", "write_text_atomically"]


def not_a_file(path: Path) -> str | None:
    """Why ``path`` cannot be read as a file, in a few words, or ``None`` for a regular file:
    ``"no such file"``, ``"a folder"``, ``"a named pipe (FIFO)"``, ``"a socket"``, ``"a device"``.

    Reading a pipe would wait for a writer forever, a device would give endless bytes.
    """
    if not path.exists():
        return "no such file"
    if path.is_dir():
        return "a folder"
    if path.is_file():
        return None
    mode = path.stat().st_mode
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"
