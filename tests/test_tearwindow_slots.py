"""The tear repair's candidate tables (:func:`cleaning.repair.tearwindow.slot_tables`): found
from the common characters' own 2-byte forms, they hold what decoding every GB18030 pair gives,
in the same order, ranked alike (the lists a lost byte's characters are read from)."""

from __future__ import annotations

import pytest

from cleaning.repair.charsets import CJK_PUNCT, common_chars
from cleaning.repair.params import SLOT_TOP
from cleaning.repair.tearwindow import gbk2, simplified, slot_tables
from cleaning.repair.wordmodel import char_usage


def decoded_tables() -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """The tables as built before, pair by pair: every lead 81-FE and trail 40-FE but 7F decoded."""
    common = common_chars()
    by_trail: dict[int, list[str]] = {}
    by_lead: dict[int, list[str]] = {}
    for lead in range(0x81, 0xFF):
        for trail in range(0x40, 0xFF):
            if trail == 0x7F:
                continue
            try:
                ch = bytes((lead, trail)).decode("gb18030")
            except UnicodeDecodeError:
                continue
            if ch in common or ch in CJK_PUNCT:
                by_trail.setdefault(trail, []).append(ch)
                by_lead.setdefault(lead, []).append(ch)

    def rank(chars: list[str]) -> list[str]:
        return sorted(chars, key=lambda c: (c not in CJK_PUNCT, -char_usage(simplified(c))))[:SLOT_TOP]

    return ({k: rank(v) for k, v in by_trail.items()}, {k: rank(v) for k, v in by_lead.items()})


def test_the_tables_are_those_of_decoding_every_pair():
    by_trail, by_lead = slot_tables()
    ref_trail, ref_lead = decoded_tables()
    assert by_trail == ref_trail and by_lead == ref_lead
    assert list(by_trail) == list(ref_trail) and list(by_lead) == list(ref_lead)  # the same order of keys too
    assert by_lead[0xB1][:1] and all(len(v) <= SLOT_TOP for v in by_trail.values())


def test_every_pair_decodes_to_one_character_whose_form_it_is():
    """What makes the characters' side find the same pairs: decoding is one to one on them."""
    n = 0
    for lead in range(0x81, 0xFF):
        for trail in range(0x40, 0xFF):
            if trail == 0x7F:
                continue
            pair = bytes((lead, trail))
            ch = pair.decode("gb18030")  # every one decodes
            assert len(ch) == 1 and gbk2(ch) == pair, pair.hex()
            n += 1
    assert n == 126 * 190


@pytest.mark.parametrize("ch, form", [("中", b"\xd6\xd0"), ("，", b"\xa3\xac"), ("a", None), ("\U00020000", None)])
def test_gbk2_gives_the_two_byte_form_only(ch, form):
    assert gbk2(ch) == form


def test_simplified_each_converts_as_one_by_one():
    """OpenCC called once on the characters joined by line breaks gives each one's own conversion
    (no phrase spans a line break): every common character, punctuation and ASCII among them."""
    from cleaning.repair.tearwindow import simplified_each

    chars = sorted(common_chars() | frozenset(CJK_PUNCT)) + list("a?\ufffd") + ["這", "說", "著", "乾", "後"]
    assert simplified_each(chars) == [simplified(c) for c in chars]
    assert simplified_each(["這", "说", "，"]) == ["这", "说", "，"] and simplified_each([]) == []
