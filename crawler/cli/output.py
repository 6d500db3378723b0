"""Output files written whole or not at all: every export format and the report go through
:func:`atomic_output`.

The data goes to a temporary file beside the target (same directory, so the final rename
is atomic on one file system), which replaces the target only when everything was written;
on any error, Ctrl-C included, the temporary file is removed and an existing target is left
as it was. ``-`` is stdout, written as it goes; so is an existing target that is not a
regular file (``/dev/null``, a named pipe, a terminal): renaming over it would replace the
device or the pipe with a plain file.

No output may land on a database: :func:`check_writable` refuses a target that is the archive
(its resolved path or its inode), the archive's ``-wal``/``-shm``/``-journal`` files, or any
other SQLite database or its companions. A write that fails because the disk is full (or the
file system is read-only, or the device failed) is :class:`OutputUnwritable`: one line, exit
code 6, the old file kept.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from crawler.cli.errors import OutputUnwritable, UsageError

#: The first 16 bytes of every SQLite database file.
SQLITE_MAGIC = b"SQLite format 3\x00"
#: The files SQLite keeps beside a database.
COMPANIONS = ("-wal", "-shm", "-journal")
#: errno values of a write that fails because of the disk, not the data -> words.
_DISK_ERRORS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.EROFS: "the file system is read-only",
    errno.EIO: "the disk failed (I/O error)",
    errno.EFBIG: "the file is too large for the file system",
}


def disk_error(exc: BaseException | None) -> str | None:
    """Words for ``exc`` (or an error it was raised from) if it is a disk's failure, else None.
    Libraries wrap the OSError (xlsx writers, pyarrow's ``OSError`` without errno)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError):
            if exc.errno in _DISK_ERRORS:
                return _DISK_ERRORS[exc.errno]
            if "No space left on device" in str(exc):
                return _DISK_ERRORS[errno.ENOSPC]
        exc = exc.__cause__ or exc.__context__
    return None


def _archive_file(archive_url: str | None) -> Path | None:
    from sqlalchemy.engine import make_url

    from storage.db import resolve_db_url, sqlite_path

    try:
        return sqlite_path(make_url(resolve_db_url(archive_url)))
    except Exception:  # noqa: BLE001 - a URL that names no file: opening it says why, later
        return None


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        sa, sb = a.stat(), b.stat()
    except OSError:
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def _is_database(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


def refuse_database(target: str, archive_url: str | None) -> None:
    """:class:`UsageError` if ``target`` is the archive, a file SQLite keeps beside it, or any
    other SQLite database (or one of its companions): an output written there destroys it."""
    path = Path(target).expanduser()
    archive = _archive_file(archive_url)
    if archive is not None:
        for suffix in ("",) + COMPANIONS:
            if _same_file(path, Path(f"{archive}{suffix}")):
                what = "the archive" if not suffix else f"the archive's {suffix[1:]} file"
                raise UsageError(f"cannot write {target}: it is {what} ({archive}); choose another -o")
    if path.is_file() and _is_database(path):
        raise UsageError(
            f"cannot write {target}: it is an SQLite database, which the output would replace; choose another -o"
        )
    for suffix in COMPANIONS:
        base = Path(str(path)[: -len(suffix)]) if str(path).endswith(suffix) else None
        if base is not None and base.is_file() and _is_database(base):
            raise UsageError(
                f"cannot write {target}: it is the {suffix[1:]} file of the SQLite database {base}; choose another -o"
            )


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_writable(target: str, archive_url: str | None = None) -> Path:
    """The target's directory, or :class:`UsageError` saying why nothing can be written there:
    also the archive ``archive_url`` names (by default the default archive) and every other
    database (:func:`refuse_database`)."""
    refuse_database(target, archive_url)
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
def _disk_errors(target: str) -> Iterator[None]:
    """A write that failed for want of disk -> :class:`OutputUnwritable` naming ``target``."""
    try:
        yield
    except Exception as exc:
        why = disk_error(exc)
        if why is None:
            raise
        name = "stdout" if target == "-" else f"-o {target}"
        # A library's half-written objects (openpyxl's zip file and its generators) fail again
        # when they are collected at exit, as "Exception ignored" tracebacks: the one line says it all.
        sys.unraisablehook = lambda unraisable: None
        if target == "-":  # what is left in stdout's buffer cannot be written at exit either
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        raise OutputUnwritable(f"cannot write {name}: {why}") from None


@contextlib.contextmanager
def atomic_output(target: str, *, binary: bool = False, archive_url: str | None = None) -> Iterator[IO]:
    """A stream for ``target`` that becomes the file only if the block completes."""
    with _disk_errors(target):
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
        directory = check_writable(target, archive_url)
        try:
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{Path(target).name}.", suffix=".part")
        except OSError as exc:
            raise UsageError(f"cannot write {target}: {exc.strerror}") from None
        try:
            with os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
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

    from crawler.cli.options import db_url

    if args.output != "-":
        check_writable(args.output, db_url(args))
    with atomic_output(args.output, archive_url=db_url(args)) as out:
        if args.format == "json":
            json.dump(data, out, ensure_ascii=False, indent=2)
            out.write("\n")
        elif args.format == "csv":
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(headers)
            writer.writerows(rows)
        else:
            out.write(
                (f"{title}\n" if title else "")
                + (table(headers, rows, right=set(range(1, len(headers)))) if rows else "(none)")
                + "\n"
            )
