"""The document's words (the tear repair's second pass) found faster, with the same answers:
:class:`DocumentWords` built from the runs of Han characters against the scan of every character
it replaced, and :func:`wordpaths.doc_spellings`, which answers "none" without spelling from a
node too far from every slot, against :func:`wordpaths._spell_doc` at every node of random
lattices and of real windows."""

from __future__ import annotations

import random

import pytest

from cleaning.repair import gbktear, tearwindow
from cleaning.repair.lattice import DocumentWords, Lattice
from cleaning.repair.readings import doc_matters
from cleaning.repair.wordmodel import word_freq
from cleaning.repair.wordpaths import _far_from_slots, _spell_doc, analyse, doc_spellings

#: Han characters that make names the dictionary lacks (and some words it has), the edges of the
#: Han block, characters just outside it, Latin, digits and punctuation.
_HAN = "海光信息乘联会负责人上台致辞展示了新产品"
_OTHER = "\u4e00\u9fff\u4dff\ua000Ab7，。“”\n "


def _reference_words(text: str, positions: list[int]) -> tuple[dict[str, list[tuple[int, int]]], frozenset[str]]:
    """``DocumentWords``' ``where`` and ``prefixes`` by the scan of every character (its code
    until session 11)."""
    where: dict[str, list[tuple[int, int]]] = {}
    for i, ch in enumerate(text):
        if not "\u4e00" <= ch <= "\u9fff":
            continue
        for n in range(2, DocumentWords.MAX_DOC_WORD + 1):
            if i + n > len(text) or not "\u4e00" <= text[i + n - 1] <= "\u9fff":
                break
            w = text[i : i + n]
            if n >= DocumentWords.MIN_DOC_WORD and not word_freq(w):
                where.setdefault(w, []).append((positions[i], positions[i + n - 1]))
    return where, frozenset(w[:k] for w in where for k in range(1, len(w)))


def _random_text(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(_HAN) if rng.random() < 0.8 else rng.choice(_OTHER) for _ in range(n))


@pytest.mark.parametrize("seed", range(40))
def test_document_words_are_the_scan_of_every_character(seed):
    rng = random.Random(seed)
    text = _random_text(rng, rng.randrange(0, 120))
    positions = sorted(rng.sample(range(3 * len(text) + 1), len(text)))
    doc = DocumentWords(text, positions)
    where, prefixes = _reference_words(text, positions)
    assert list(doc.where.items()) == list(where.items())  # the same order of insertion too
    assert doc.prefixes == prefixes


@pytest.mark.parametrize(
    "text",
    [
        "",
        "海光",
        "海光信",
        "海光信息负责人说海光信息",
        "乘联会数据：海光信息、乘联会。ABC海光信息乘联会",
        "\u4e00\u4e00\u4e00\u9fff\u9fff\u4dff\u4e00\u4e00\u4e00\ua000",
    ],
)
def test_document_words_of_written_texts(text):
    positions = list(range(len(text)))
    doc = DocumentWords(text, positions)
    where, prefixes = _reference_words(text, positions)
    assert list(doc.where.items()) == list(where.items())
    assert doc.prefixes == prefixes


def _random_lattice(rng: random.Random, n: int) -> tuple[Lattice, int, int]:
    """Nodes 0..n in a row; from each, edges of one character (from ``_HAN``) to the next node or
    the one after, epsilon edges, and slot edges (characters and, rarely, epsilon) here and there."""
    lat = Lattice()
    nodes = [lat.node((k, 0, 0)) for k in range(n + 1)]
    for k in range(n):
        slot_here = rng.random() < 0.15
        for _ in range(rng.randint(1, 4 if slot_here else 2)):
            to = nodes[min(n, k + rng.choice((1, 1, 1, 2)))]
            if rng.random() < 0.1:
                lat.edge(nodes[k], to, None, None, slot=slot_here and rng.random() < 0.3)
            else:
                ch = rng.choice(_HAN)
                lat.edge(nodes[k], to, ch, ch, cost=rng.random(), slot=slot_here)
        lat.edge(nodes[k], nodes[k + 1], rng.choice(_HAN), rng.choice(_HAN))  # every node reaches the sink
    return lat, nodes[0], nodes[n]


def _reference_matters(lat: Lattice, sink: int, doc: DocumentWords) -> bool:
    order, out_edges, _ = analyse(lat, sink)
    return any(
        doc.share(w, lat.keys[u][0], lat.keys[v][0]) > 0 for u in order for v, w, *_ in _spell_doc(u, out_edges, doc)
    )


@pytest.mark.parametrize("seed", range(60))
def test_doc_spellings_skip_only_nodes_that_spell_nothing(seed):
    rng = random.Random(seed)
    lat, source, sink = _random_lattice(rng, rng.randrange(2, 40))
    text = _random_text(rng, 200)
    doc = DocumentWords(text, [1000 + k for k in range(len(text))])  # every word vouches (far away)
    _check_nodes(lat, sink, doc)
    again = random.Random(seed)
    fresh, _, _ = _random_lattice(again, again.randrange(2, 40))  # the same lattice, nothing cached
    assert fresh.out == lat.out
    assert doc_matters(fresh, source, sink, doc) == _reference_matters(lat, sink, doc)


def test_random_lattices_hold_both_kinds_of_node():
    """The test above meets nodes close to a slot that spell words, and far ones."""
    near_words = far_nodes = 0
    for seed in range(60):
        rng = random.Random(seed)
        lat, _, sink = _random_lattice(rng, rng.randrange(2, 40))
        doc = DocumentWords(_random_text(rng, 200), list(range(1000, 1200)))
        order, out_edges, _ = analyse(lat, sink)
        far = set(_far_from_slots(lat, out_edges, doc.MAX_DOC_WORD))
        far_nodes += len(far)
        near_words += sum(1 for u in order if u not in far and _spell_doc(u, out_edges, doc))
    assert near_words > 20 and far_nodes > 20


_TORN = [
    "海光信息负责人上台致辞。海\ufffd信息展示了新产品的实测效果，海光信息的股价。",
    "他說\ufffd們的電腦，乘聯會說他們的電腦很好",
    "价格\ufffd8元，涨幅\ufffd%，乘联会的价格",
    "我们在这里\ufffd\ufffd学习，我们在这里学习乘联会",
]


@pytest.mark.parametrize("text", _TORN)
def test_doc_spellings_of_real_windows(text):
    _check_windows(text)


def test_windows_of_a_torn_mirror_text():
    """A name torn on a mirror (``bench.damage``), intact elsewhere: some window spells it
    through a lost byte."""
    from bench.damage import mirror_decode, swap_a3

    text = "海光信息负责人上台致辞。海光信息展示了新产品的实测效果。"
    broken = mirror_decode(swap_a3(text.encode("gbk")))
    assert _check_windows(broken, DocumentWords(text, list(range(100, 100 + len(text)))))


def _check_windows(text: str, doc: DocumentWords | None = None) -> int:
    """Every node of every window of ``text``: the same spellings; how many spell a word."""
    doc = doc or DocumentWords(text.replace("\ufffd", ""), list(range(500, 500 + len(text))))
    met = 0
    spans = [(start, min(len(text), start + 4)) for start in range(len(text))]
    spans += gbktear._windows(text, gbktear._scan_triggers(text)) if gbktear._scan_triggers(text) else []
    for start, end in spans:
        built = tearwindow._window_lattice(text, start, end, text[:start][-6:], text[end:][:6])
        if built is None:
            continue
        met += _check_nodes(built[0], built[2], doc)
    return met


def _check_nodes(lat: Lattice, sink: int, doc: DocumentWords) -> int:
    """At every node: ``doc_spellings`` (a fresh lattice's first) as ``_spell_doc``, and no node
    proved far that spells a word; how many nodes spell one."""
    order, out_edges, _ = analyse(lat, sink)
    far = set(_far_from_slots(lat, out_edges, doc.MAX_DOC_WORD))
    met = 0
    for u in order:
        spelled = _spell_doc(u, out_edges, doc)
        assert doc_spellings(lat, u, out_edges, doc) == spelled
        assert not (u in far and spelled)
        met += bool(spelled)
    return met
