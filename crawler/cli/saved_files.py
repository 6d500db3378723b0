"""Saved pages read from disk (``clean FILE``, ``import FILE``) under the crawl's size limit.

A page fetched by the crawler is refused beyond ``DOWNLOAD_MAXSIZE`` bytes (16 MiB); a file
given on the command line is held to the same limit, so that a wrong file (a 1 GB log, a disk
image) costs one line and exit code 2, not a gigabyte of memory and a copy of it in the archive.
The file is never read past the limit: a pipe or a file that grows while read is cut off there.
"""

from __future__ import annotations

from crawler.cli.errors import UsageError


def size_limit(args) -> int:
    """``DOWNLOAD_MAXSIZE`` as the crawl sees it: ``-s``, the environment, the config file, the default."""
    from crawler.config import value

    for pair in getattr(args, "set", None) or []:
        name, _, given = pair.partition("=")
        if name.strip() == "DOWNLOAD_MAXSIZE":
            try:
                return int(given)
            except ValueError:
                raise UsageError(f"DOWNLOAD_MAXSIZE must be a whole number of bytes, got {given!r}") from None
    return int(value("DOWNLOAD_MAXSIZE", getattr(args, "config", None)))


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n:,} bytes"


def read_saved_file(path: str, limit: int) -> bytes:
    """The bytes of ``path``, or one line (:class:`UsageError`) when it cannot be read or is larger
    than ``limit`` bytes (0: no limit)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1) if limit > 0 else fh.read()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    if limit > 0 and len(data) > limit:
        raise UsageError(
            f"{path} is larger than the {_mib(limit)} a page may have (DOWNLOAD_MAXSIZE): "
            "not a saved page, nothing read"
        )
    return data
