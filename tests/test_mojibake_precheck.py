"""The mojibake repair asks ftfy only about lines holding one of the characters without which
ftfy leaves a line as it is (``cleaning.repair.mojibake._ftfy_suspects``): the argument,
checked against ftfy's own ``badness.is_bad``, and on the lines of the repair corpora."""

import itertools
import json
from pathlib import Path

import ftfy
import pytest
from ftfy.badness import BADNESS_RE, MOJIBAKE_CATEGORIES, is_bad

from cleaning.repair import repair_text
from cleaning.repair.mojibake import _ftfy_config, _ftfy_suspects, repair_mojibake

DATA = Path(__file__).parent / "data"


def _expand(cls: str) -> set[str]:
    out: set[str] = set()
    i = 0
    while i < len(cls):
        if i + 2 < len(cls) and cls[i + 1] == "-":
            out.update(chr(c) for c in range(ord(cls[i]), ord(cls[i + 2]) + 1))
            i += 3
        else:
            out.add(cls[i])
            i += 1
    return out


def _innocent() -> list[str]:
    """Every character ftfy's badness regex names that is not a suspect, and some ordinary
    ones (ASCII, a Han character, white space) that its ``\\s``, ``\\w`` and ``.`` match."""
    named = {c for v in MOJIBAKE_CATEGORIES.values() for c in _expand(v)}
    named |= {c for c in BADNESS_RE.pattern if ord(c) > 0x7F}
    return sorted(c for c in named if not _ftfy_suspects().search(c)) + list("aZz1 .,!?_中。\u3000\t")


def test_no_badness_without_a_suspect():
    """No string of up to three innocent characters is bad (the regex's alternatives of four or
    more characters each hold a suspect literal: Ø, Ä, Â, Г, В, β, Β)."""
    alphabet = _innocent()
    assert "“" in alphabet and "—" in alphabet and "…" in alphabet and "·" in alphabet
    for n in (1, 2, 3):
        for chars in itertools.product(alphabet, repeat=n):
            assert not is_bad("".join(chars)), chars


def _corpus_lines() -> list[str]:
    lines = []
    for f in sorted((DATA / "public").glob("ftfy_*.json")) + sorted((DATA / "repair").glob("*.json")):
        for case in json.loads(f.read_text(encoding="utf-8")):
            for key in ("original", "input", "fixed", "expected"):
                if isinstance(case.get(key), str):
                    lines += case[key].split("\n")
    return lines


def test_lines_without_a_suspect_are_left_by_ftfy():
    lines = _corpus_lines()
    innocent = [ln for ln in lines if not _ftfy_suspects().search(ln)]
    assert len(innocent) > 50
    for line in innocent:
        assert ftfy.fix_text(line, _ftfy_config()) == line, line


@pytest.mark.parametrize(
    "line",
    [
        "“人工智能”——这是2024年……最热的词·之一’",
        "《新闻》「引语」『书名』©澎湃新闻 ® ™ • « » ‘单引号’",
        "来源：澎湃新闻\u00a0记者 张三 – 李四 ― 王五",
    ],
)
def test_clean_punctuated_lines_unchanged(line):
    assert not _ftfy_suspects().search(line)
    assert repair_mojibake(line) == (line, 0)
    assert repair_text(line).text == line


@pytest.mark.parametrize(
    "line, fixed",
    [
        ("æ¾Žæ¹ƒæ–°é—»è®°è€… æœ±è½©", "澎湃新闻记者 朱轩"),
        ("â€œäººå·¥æ™ºèƒ½â€", "“人工智能”"),
        ("voilÃ\xa0le travail", "voilàle travail"),  # C3 A0: à, whole
        ("他说\x93好\x94。", "他说“好”。"),  # C1 controls: cp1252's bytes 93 and 94
    ],
)
def test_mojibake_lines_still_caught(line, fixed):
    assert _ftfy_suspects().search(line)
    assert repair_mojibake(line)[0] == fixed


def test_single_high_characters_are_read_by_no_run():
    """A text whose runs each hold one high character (none of à-ô) is one the run repair
    leaves as it is: every such character, beside Han text, Latin letters and spaces."""
    from cleaning.repair.lostbytes import CP1252_HIGH
    from cleaning.repair.mojibake import _RUN_SUSPECTS, _repair_runs

    highs = [chr(b) for b in range(0x80, 0x100)] + list(CP1252_HIGH)
    singles = [c for c in highs if not _RUN_SUSPECTS.search(c)]
    assert "“" in singles and "—" in singles and "·" in singles and "×" in singles and "é" not in singles
    for c in singles:
        for line in (f"中{c}文", f"ab{c}cd", f"{c}A 中", f"中 {c}", f"{c}", f"x{c}@中", f"中文{c}。"):
            assert not _RUN_SUSPECTS.search(line)
            assert _repair_runs(line) == (line, 0), line


@pytest.mark.parametrize("line", ["他说……然后——走了", "“甲”“乙”", "Beyoncé……", "café à la"])
def test_runs_of_two_still_read(line):
    from cleaning.repair.mojibake import _RUN_SUSPECTS

    assert _RUN_SUSPECTS.search(line)
    assert repair_mojibake(line) == (line, 0)


def test_ftfy_runs_with_this_config_not_its_defaults():
    """ftfy's ``fix_text`` with ``explain=False`` fixes the encoding with ftfy's default options,
    not the config given (ftfy 6.3); ours asks for explanations so that ``restore_byte_a0`` and
    ``replace_lossy_sequences`` stay off: a space that may have been a NBSP is not taken for
    its byte by ftfy (a guess), so the two spaces here stay two."""
    from cleaning.repair.mojibake import _ftfy_config, _ftfy_line

    cfg = _ftfy_config()
    assert cfg.explain and not cfg.restore_byte_a0 and not cfg.replace_lossy_sequences and cfg.fix_c1_controls
    assert _ftfy_line("voilÃ  le travail") != "voilà le travail"


def test_an_ftfy_without_the_categories_is_asked_about_every_non_ascii_line(monkeypatch):
    """The pre-check's argument holds for ftfy 6.3's categories; with another set (ftfy 6.2 has
    no ``law``) every line with a non-ASCII character goes to ftfy, so nothing is skipped."""
    import ftfy.badness

    from cleaning.repair import mojibake

    cats = {k: v for k, v in ftfy.badness.MOJIBAKE_CATEGORIES.items() if k != "law"}
    monkeypatch.setattr(mojibake, "mojibake_categories", lambda: cats)
    mojibake._ftfy_suspects.cache_clear()
    try:
        pattern = mojibake._ftfy_suspects()
        assert pattern.search("中文“引号”") and pattern.search("é") and not pattern.search("plain ASCII")
    finally:
        monkeypatch.undo()
        mojibake._ftfy_suspects.cache_clear()
    assert not mojibake._ftfy_suspects().search("中文")  # ftfy's own categories: Han text is not asked


def test_the_categories_are_read_from_ftfys_source_as_its_module_holds_them():
    """The pre-check reads ``MOJIBAKE_CATEGORIES`` from ftfy's source, not importing ftfy: the
    same dict as the imported module's (this ftfy); a source without the literal falls back on
    the module."""
    from cleaning.repair import mojibake

    assert mojibake.mojibake_categories() == MOJIBAKE_CATEGORIES


def test_without_the_literal_in_the_source_the_module_is_asked(monkeypatch, tmp_path):
    from cleaning import vocab
    from cleaning.repair import mojibake

    (tmp_path / "badness.py").write_text("MOJIBAKE_CATEGORIES = dict(common='x')\n", encoding="utf-8")
    monkeypatch.setattr(vocab, "package_dir", lambda name: tmp_path)
    assert mojibake.mojibake_categories() is MOJIBAKE_CATEGORIES
    (tmp_path / "badness.py").unlink()
    assert mojibake.mojibake_categories() is MOJIBAKE_CATEGORIES


_CLEAN_LOADS = """
import sys
from cleaning.document import clean_document
from cleaning.repair import repair_text
for path in sys.argv[2:]:
    clean_document(open(path, "rb").read())
if sys.argv[1]:
    assert repair_text(sys.argv[1]).text != sys.argv[1]
print("ftfy" in sys.modules)
"""


def test_a_page_without_a_suspect_line_never_imports_ftfy():
    """Pages whose lines hold only clean punctuation (“”——…·) never reach ftfy: it is not
    imported (its package import is a large part of a one-page ``clean``); a mojibake line is.
    (A page with a suspect that is no mojibake, the 2017 sample's box-drawing ``北京│``, is asked.)"""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    pages = sorted((DATA / "extract").glob("*.html"))
    for line, imported in (("", "False"), ("æ¾Žæ¹ƒæ–°é—»è®°è€… æœ±è½©", "True")):
        out = subprocess.run(
            [sys.executable, "-c", _CLEAN_LOADS, line, *map(str, pages)],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert out.returncode == 0, out.stderr[-2000:]
        assert out.stdout.strip() == imported, line
