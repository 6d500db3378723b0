"""Full-text search, the pure parts: how a query splits into terms and their Traditional and
Simplified forms, the FTS expression and the method each backend uses, and how hits are marked and
snippets cut."""

from __future__ import annotations

import pytest

from storage.search import fts_match_expr, indexable, mark, search_method, snippet, split_terms
from cleaning.repair.traditional import query_forms


# ----------------------------------------------------------------------------- pure helpers
SPLIT = [
    ("人工智能", ["人工智能"]),
    ("  人工智能   芯片 ", ["人工智能", "芯片"]),
    ("人工智能\u3000芯片", ["人工智能", "芯片"]),  # full-width space separates too
    ("AI ai Ai", ["AI"]),  # repeats (case-insensitively) dropped
    ("", []),
    ("   ", []),
]


@pytest.mark.parametrize("query,terms", SPLIT)
def test_split_terms(query, terms):
    assert split_terms(query) == terms


MARK = [
    ("人工智能芯片", ["芯片"], "人工智能[芯片]"),
    ("AI与ai", ["ai"], "[AI]与[ai]"),
    ("人工智能", ["人工", "人工智能"], "[人工智能]"),  # longest term wins
    ("a.b a+b", ["a+b"], "a.b [a+b]"),  # regex characters are literal
    # unchanged: no term present, or no terms
    ("量子计算", ["芯片"], "量子计算"),
    ("量子计算", [], "量子计算"),
    ("", ["芯片"], ""),
]


@pytest.mark.parametrize("text,terms,out", MARK)
def test_mark(text, terms, out):
    assert mark(text, terms) == out


def test_snippet_windows_around_first_hit_and_reports_spans():
    text = "甲" * 100 + "芯片" + "乙" * 100 + "芯片"
    snip, spans = snippet(text, ["芯片"], width=30)
    assert snip.startswith("…") and snip.endswith("…")
    assert "[芯片]" in snip and len(snip.replace("[", "").replace("]", "")) == 30 + 2
    assert [snip[a:b] for a, b in spans] == ["芯片"]


def test_snippet_without_hit_is_the_start_and_flattens_lines():
    snip, spans = snippet("第一段\n第二段\n第三段", ["芯片"], width=100)
    assert (snip, spans) == ("第一段 第二段 第三段", [])
    assert snippet("", ["芯片"]) == ("", [])


@pytest.mark.parametrize(
    "terms,expr",
    [
        (["人工智能"], '"人工智能"'),
        (["人工智能", "芯片出口"], '"人工智能" AND "芯片出口"'),
        (['a"b'], '"a""b"'),  # quotes doubled: never FTS syntax
    ],
)
def test_fts_match_expr(terms, expr):
    assert fts_match_expr(terms) == expr


@pytest.mark.parametrize(
    "dialect,terms,method",
    [
        ("sqlite", ["光"], "like"),
        ("sqlite", ["芯片"], "like"),
        ("sqlite", ["大模型"], "fts5"),
        ("sqlite", ["芯片", "人工智能"], "fts5"),
        ("postgresql", ["光"], "pg_trgm"),
        ("postgresql", ["人工智能"], "pg_trgm"),
    ],
)
def test_search_method(dialect, terms, method):
    assert search_method(dialect, terms) == method


# ------------------------------------------------- Traditional forms of a query's terms

FORMS = [
    ("人工智慧", ["人工智慧", "人工智能"]),  # Taiwan phrase
    ("晶片", ["晶片", "芯片"]),
    ("臺灣", ["臺灣", "台湾"]),
    ("顯著", ["顯著", "显著"]),  # 著 kept where the word is written with it
    # unchanged: Simplified words, Latin, digits
    ("人工智能", ["人工智能"]),
    ("芯片", ["芯片"]),
    ("著名", ["著名"]),
    ("AI", ["AI"]),
    ("5G", ["5G"]),
]


@pytest.mark.parametrize("term,forms", FORMS)
def test_query_forms(term, forms):
    assert query_forms(term) == forms


@pytest.mark.parametrize(
    "groups,expr",
    [
        ([["人工智慧", "人工智能"]], '("人工智慧" OR "人工智能")'),
        ([["人工智能"], ["芯片出口", '芯"片']], '"人工智能" AND ("芯片出口" OR "芯""片")'),
    ],
)
def test_fts_match_expr_of_forms(groups, expr):
    assert fts_match_expr(groups) == expr


@pytest.mark.parametrize(
    "forms,ok", [(["人工智能"], True), (["晶片", "芯片"], False), (["電晶體", "晶体管"], True), (["光"], False)]
)
def test_indexable_needs_every_form_three_chars(forms, ok):
    assert indexable(forms) is ok
    assert search_method("sqlite", [forms]) == ("fts5" if ok else "like")
