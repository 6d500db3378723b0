"""Output files written whole or not at all: every export format and the report go through
:func:`atomic_output`.

The data goes to a temporary file beside the target (same directory, so the final rename
is atomic on one file system), which replaces the target only when everything was written;
on any error, Ctrl-C included, the temporary file is removed and an existing target is left
as it was. ``-`` is stdout, written as it goes; so is an existing target that is not a
regular file (``/dev/null``, a named pipe, a terminal): renaming over it would replace the
device or the pipe with a plain file.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from crawler.cli.errors import UsageError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_writable(target: str) -> Path:
    """The target's directory, or :class:`UsageError` saying why nothing can be written there."""
    path = Path(target).expanduser()
    directory = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise UsageError(f"cannot write {target}: it is a directory")
    if not directory.is_dir():
        raise UsageError(f"cannot write {target}: no directory {directory}")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write {target}: permission denied in {directory}")
    return directory


def _is_special(target: str) -> bool:
    """Whether ``target`` exists and is no regular file (a device, a pipe, a socket)."""
    try:
        mode = os.stat(Path(target).expanduser()).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


@contextlib.contextmanager
def atomic_output(target: str, *, binary: bool = False) -> Iterator[IO]:
    """A stream for ``target`` that becomes the file only if the block completes."""
    if target == "-":
        out = sys.stdout.buffer if binary else sys.stdout
        yield out
        out.flush()
        return
    if _is_special(target):
        try:
            stream = open(target, "wb") if binary else open(target, "w", encoding="utf-8", newline="")
        except OSError as exc:
            raise UsageError(f"cannot write {target}: {exc.strerror}") from None
        with stream as out:
            yield out
        return
    directory = check_writable(target)
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{Path(target).name}.", suffix=".part")
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror}") from None
    try:
        with (os.fdopen(fd, "wb") if binary else
              os.fdopen(fd, "w", encoding="utf-8", newline="")) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_rows(args, headers: list[str], rows: list[list], data, *, title: str = "") -> None:
    """An analysis as ``args.format`` says, to ``args.output``: an aligned table (``title``
    above it), CSV with a header row, or ``data`` as one JSON object."""
    import csv
    import json

    from storage.stats import table

    if args.output != "-":
        check_writable(args.output)
    with atomic_output(args.output) as out:
        if args.format == "json":
            json.dump(data, out, ensure_ascii=False, indent=2)
            out.write("\n")
        elif args.format == "csv":
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(headers)
            writer.writerows(rows)
        else:
            out.write((f"{title}\n" if title else "")
                      + (table(headers, rows, right=set(range(1, len(headers)))) if rows else "(none)") + "\n")
