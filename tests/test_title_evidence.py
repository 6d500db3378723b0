"""The title of a page no layout claims, chosen by agreement among its own evidence
(cleaning.extract.evidence.choose_title): the ``<title>``'s headline part wherever the site's
name stands (``标题 - 站名`` or ``站名 - 标题``), a visible line of the page counting as a source."""

import pytest

from cleaning.extract import html as h
from cleaning.extract.evidence import choose_title
from tests import devset_eval

HEADLINE = "果汁啤酒難分 飲誘青少年"


def _doc(title: str, og: bool = False):
    meta = f'<meta property="og:title" content="{title}">' if og else ""
    return h.parse(f"<html><head>{meta}<title>{title}</title></head><body><p>正文第一段。</p></body></html>")


@pytest.mark.parametrize(
    "title, lines, shaped, want",
    [
        # the site's name first: the headline the page prints as a line of its own wins
        (f"自由電子報 - {HEADLINE}", ["爆料投訴", "廣告刊登", HEADLINE, "正文第一段。"], "爆料投訴", HEADLINE),
        # the usual order: the first part, which the page also prints
        (f"{HEADLINE} - 某某新聞網", ["爆料投訴", HEADLINE], "爆料投訴", HEADLINE),
        # the first part even when the page prints no line of it (the <title> holds it)
        (f"{HEADLINE}_國內_某某網", ["爆料投訴"], "", HEADLINE),
        # negatives: a last part the page does not print is the site's name, never the title
        (f"{HEADLINE} - 某某時報電子版", ["爆料投訴"], "", HEADLINE),
        # a short line (a menu item, a site's name) says nothing: no agreement, the shaped title
        ("首頁 - 新聞", ["首頁", "新聞"], "讀者來信選登", "讀者來信選登"),
    ],
)
def test_the_headline_part_of_the_title_wins(title, lines, shaped, want):
    assert choose_title(_doc(title), shaped, lines) == want


def test_a_middle_part_is_never_taken_even_when_the_page_prints_it():
    title = f"台北_{HEADLINE} @ 某人的家_部落格"  # og:title says the same: the two agree on it whole
    assert choose_title(_doc(title, og=True), "", [HEADLINE]) == title


@pytest.mark.parametrize(
    "got, part, right",
    [
        ("平鎮輪胎行惡火 疏散7人1女命喪", "平鎮輪胎行惡火  疏散7人1女命喪", True),  # whitespace aside
        ("平鎮輪胎行惡火  疏散7人1女命喪 | 中央社", "平鎮輪胎行惡火  疏散7人1女命喪", True),
        ("平鎮輪胎行惡火", "平鎮輪胎行惡火  疏散7人1女命喪", False),  # a cut headline
        ("", "平鎮輪胎行惡火", False),
    ],
)
def test_a_title_in_gold_is_right_when_our_title_holds_it(got, part, right):
    assert devset_eval.title_holds(got, part) is right
