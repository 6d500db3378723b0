"""Patterns compiled on first use (:mod:`cleaning.lazyre`): each method answers as the compiled
pattern's does, the pattern is compiled only when first used, and then the compiled pattern's
own methods stand in the object (no extra call per use)."""

from __future__ import annotations

import re

import pytest

from cleaning.lazyre import LazyPattern, lazy

TEXT = "记者 张三 报道：ICP备12345号，2024-05-01 上海 | 北京｜广州 (chǎn) 中文(abc)"
PATTERNS = [
    (r"[\u4e00-\u9fff]{2}", 0),
    (r"(\d{4})-(\d{2})-(\d{2})", 0),
    (r"(?P<left>[^|｜]+)\s*[|｜]\s*", 0),
    (r"icp\s*[备備]", re.I),
    (r"^记者\s+(\S+)", 0),
    (r"\((?:[a-zü]*[āáǎàēéěè][a-zü]*|[a-z]{2,12})\)", 0),
    (r"nothing here", 0),
]


def answers(rx) -> list:
    return [
        rx.search(TEXT) and rx.search(TEXT).span(),
        rx.search(TEXT, 5) and rx.search(TEXT, 5).span(),
        rx.match(TEXT) and rx.match(TEXT).group(),
        rx.fullmatch(TEXT),
        rx.sub("#", TEXT),
        rx.sub(lambda m: m.group().upper(), TEXT, 1),
        rx.subn("#", TEXT),
        rx.split(TEXT),
        rx.findall(TEXT),
        [m.span() for m in rx.finditer(TEXT)],
        rx.pattern,
        rx.flags,
        rx.groups,
        dict(rx.groupindex),
    ]


@pytest.mark.parametrize("pattern, flags", PATTERNS)
def test_a_lazy_pattern_answers_as_the_compiled_one(pattern, flags):
    assert answers(lazy(pattern, flags)) == answers(re.compile(pattern, flags))


def test_compiled_on_first_use_then_the_compiled_methods_stand_in(monkeypatch):
    compiled: list[str] = []
    real = re.compile
    monkeypatch.setattr(re, "compile", lambda p, f=0: compiled.append(p) or real(p, f))
    rx = lazy(r"[\u4e00-\u9fff]+")
    assert compiled == [] and rx.pattern == r"[\u4e00-\u9fff]+" and rx.given_flags == 0  # no compile to read them
    assert rx.search("ab中文").group() == "中文"
    assert compiled == [r"[\u4e00-\u9fff]+"]
    assert rx.findall("中 文") == ["中", "文"] and rx.sub("", "a中b") == "ab"
    assert compiled == [r"[\u4e00-\u9fff]+"]  # once
    # the compiled pattern's own bound methods now answer, not the class's Python wrappers
    assert rx.search == rx.compiled().search and not hasattr(rx.search, "__func__")
    assert type(rx).search is LazyPattern.search


def test_an_invalid_pattern_fails_on_first_use():
    rx = lazy("[unclosed")
    with pytest.raises(re.error):
        rx.search("x")


def _lazy_in(value, depth: int = 0):
    if isinstance(value, LazyPattern):
        yield value
    elif depth < 3 and isinstance(value, (list, tuple, set, frozenset)):
        for v in value:
            yield from _lazy_in(v, depth + 1)
    elif depth < 3 and isinstance(value, dict):
        for v in value.values():
            yield from _lazy_in(v, depth + 1)


def test_every_lazy_pattern_of_the_cleaning_modules_compiles():
    """A module's patterns no longer compile at import: each is compiled here, so that a broken
    one fails a test rather than the first page that needs it."""
    import importlib
    import pkgutil

    import cleaning

    found = 0
    for info in pkgutil.walk_packages(cleaning.__path__, "cleaning."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            for rx in _lazy_in(value):
                rx.compiled()
                found += 1
    assert found > 100
