"""Regular expressions compiled on first use, for the module-level patterns a page rarely needs.

Compiling a pattern is a one-time cost, but not a small one where a character class spans
the Han block (``re`` walks a range like ``[\\u4e00-\\u9fff]`` one character at a time: about
a millisecond each): the patterns of layouts, credits and damage most pages never show cost a
new process (``thepaper-archive clean FILE``) tens of milliseconds at import. :func:`lazy`
gives an object with the compiled pattern's methods that compiles on the first call of one
of them, with the same pattern and flags, so it matches exactly as ``re.compile`` would.

After that first call the compiled pattern's own bound methods stand in the object's
``__dict__`` (shadowing the class's), so a use costs what a compiled pattern's does: no
extra Python call per match in a crawl's hot loops.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from typing import Any

#: The methods the compiled pattern lends the object on first use.
_METHODS = ("search", "match", "fullmatch", "sub", "subn", "split", "findall", "finditer")

Repl = str | Callable[[re.Match[str]], str]


class LazyPattern:
    """``re.compile(pattern, flags)``, done on the first call of one of its methods (or the
    first read of :attr:`flags`, :attr:`groups`, :attr:`groupindex`). ``pattern`` is the
    source, as a compiled pattern's; ``given_flags`` the flags given (a compiled pattern's
    ``flags`` adds ``re.UNICODE`` and the pattern's own global flags)."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.given_flags = flags
        self._compiled: re.Pattern[str] | None = None

    def compiled(self) -> re.Pattern[str]:
        """The compiled pattern (compiled now if not yet): its methods take the class's place."""
        c = self._compiled
        if c is None:
            c = re.compile(self.pattern, self.given_flags)
            for name in _METHODS:
                self.__dict__[name] = getattr(c, name)
            self._compiled = c
        return c

    @property
    def flags(self) -> int:
        return self.compiled().flags

    @property
    def groups(self) -> int:
        return self.compiled().groups

    @property
    def groupindex(self) -> Any:  # Any: a compiled pattern's mapping proxy of names to numbers
        return self.compiled().groupindex

    # The first call of each comes here; later ones find the compiled pattern's own method.
    def search(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled().search(string, pos, endpos)

    def match(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled().match(string, pos, endpos)

    def fullmatch(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled().fullmatch(string, pos, endpos)

    def sub(self, repl: Repl, string: str, count: int = 0) -> str:
        return self.compiled().sub(repl, string, count)

    def subn(self, repl: Repl, string: str, count: int = 0) -> tuple[str, int]:
        return self.compiled().subn(repl, string, count)

    def split(self, string: str, maxsplit: int = 0) -> list[str | Any]:  # Any: a group that did not match is None
        return self.compiled().split(string, maxsplit)

    def findall(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> list[Any]:  # Any: str or a tuple
        return self.compiled().findall(string, pos, endpos)

    def finditer(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[re.Match[str]]:
        return self.compiled().finditer(string, pos, endpos)

    def __repr__(self) -> str:
        return f"lazy({self.pattern!r}, {self.given_flags!r})"


def lazy(pattern: str, flags: int = 0) -> LazyPattern:
    """``re.compile(pattern, flags)`` on first use (:class:`LazyPattern`)."""
    return LazyPattern(pattern, flags)
