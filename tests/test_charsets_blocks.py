"""The character classes built from codec tables (:func:`cleaning.repair.charsets.decode_block`):
a lead's row of pairs decoded at once gives what decoding each pair on its own gives, rows with
pairs that do not decode (GB2312's D7FA-D7FE, Big5's gaps) included."""

from __future__ import annotations

import pytest

from cleaning.repair.charsets import decode_block


def one_pair(codec: str, lead: int, trail: int) -> str | None:
    try:
        return bytes((lead, trail)).decode(codec)
    except UnicodeDecodeError:
        return None


def pair_by_pair(codec: str, leads, trails) -> set[str]:
    return {ch for lead in leads for trail in trails if (ch := one_pair(codec, lead, trail)) is not None}


BIG5_TRAILS = list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF))


@pytest.mark.parametrize(
    "codec, leads, trails",
    [
        ("gb2312", range(0xB0, 0xD8), range(0xA1, 0xFF)),  # level 1: row D7 ends in five empty pairs
        ("gb2312", range(0xA1, 0xF8), range(0xA1, 0xFF)),  # rows A2-A9 and AA-AF have gaps or are empty
        ("big5", range(0xA1, 0xFA), BIG5_TRAILS),  # C6-C8 hold gaps
        ("gb18030", range(0x81, 0xFF), range(0x40, 0x7F)),  # the tear scan's rows
        ("gb18030", range(0x81, 0xFF), range(0x80, 0xFF)),  # 80 and FF are no trail: every row goes pair by pair
        ("gb18030", range(0x81, 0x85), range(0x30, 0x3A)),  # 81 30 81 31 reads as one 4-byte character, no pair does
        ("big5", range(0x20, 0x90), BIG5_TRAILS),  # leads below 81 (ASCII ones) go pair by pair
    ],
)
def test_rows_decoded_at_once_give_the_pairs_characters(codec, leads, trails):
    assert decode_block(codec, leads, trails) == pair_by_pair(codec, leads, trails)


def test_the_tear_scan_finds_the_rare_characters_it_did():
    """The tear pre-check's class (:func:`cleaning.repair.gbktear._candidate_re`): the rare
    swappable characters of every pair with a trail 40-7E, decoded one by one."""
    from cleaning.repair.gbktear import _candidate_re, _is_rare_swappable

    found = set()
    for lead in range(0x81, 0xFF):
        for trail in range(0x40, 0x7F):
            ch = bytes((lead, trail)).decode("gb18030", "ignore")
            if len(ch) == 1 and _is_rare_swappable(ch):
                found.add(ch)
    rx = _candidate_re()
    assert len(found) > 5000
    assert all(rx.fullmatch(ch) for ch in found)
    assert all(rx.fullmatch(ch) for ch in "?\ufffd\ue000\uf8ff")
    others = {chr(cp) for cp in range(0x3400, 0xA000)} - found
    assert not any(rx.fullmatch(ch) for ch in others)
