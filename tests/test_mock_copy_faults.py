"""The mock's copy faults (mocksite/fault_bodies.py ``copy_lost_bytes_json``/``_body``): one byte
lost from one character of one copy of a Next.js page's article text, the other copy whole;
pages of the old layouts unchanged."""

from __future__ import annotations

import pytest

from cleaning.extract.nextjs import next_data
from mocksite.dataset import generate_dataset
from mocksite.fault_bodies import NEXT_DATA, _DOM_BODY, copy_lost_bytes
from mocksite.render_next import render_nextjs

DS = generate_dataset(30, seed=7)
NEWS = [a for a in (DS.article(i) for i in range(len(DS))) if a.layout == "nextjs" and a.kind == "news"]


def _parts(body: bytes) -> tuple[bytes, bytes]:
    """(the __NEXT_DATA__ script's bytes, the rendered body's bytes)."""
    text = body.decode("utf-8", "replace")
    script, wrap = NEXT_DATA.search(text), _DOM_BODY.search(text)
    return (
        text[script.start(2) : script.end(2)].encode("utf-8", "surrogatepass"),
        text[wrap.start(1) : wrap.end(1)].encode("utf-8", "surrogatepass"),
    )


@pytest.mark.parametrize("art", NEWS[:4], ids=lambda a: str(a.cont_id))
@pytest.mark.parametrize("kind", ["copy_lost_bytes_json", "copy_lost_bytes_body"])
def test_one_byte_of_one_copy_is_lost_and_the_other_copy_is_whole(art, kind):
    clean = render_nextjs(art, DS.nodes).encode("utf-8")
    damaged = copy_lost_bytes(kind, clean, seed=art.cont_id)
    assert len(damaged) == len(clean) - 1
    with pytest.raises(UnicodeDecodeError):
        damaged.decode("utf-8")
    json_part, dom_part = _parts(damaged)
    clean_json, clean_dom = _parts(clean)
    if kind == "copy_lost_bytes_json":
        assert dom_part == clean_dom and json_part != clean_json
        data, broken = next_data(damaged.decode("utf-8", "replace"))
        assert data is not None and not broken  # still JSON: the loss is inside a string
    else:
        assert json_part == clean_json and dom_part != clean_dom


def test_the_lost_byte_moves_with_the_seed():
    clean = render_nextjs(NEWS[0], DS.nodes).encode("utf-8")
    outs = {copy_lost_bytes("copy_lost_bytes_json", clean, seed) for seed in range(6)}
    assert len(outs) > 1


def test_pages_without_next_data_are_unchanged():
    old = (
        "<html><body><div class='news_txt'><p>"
        + "澎湃新闻记者报道了这项技术的进展情况" * 3
        + "</p></div></body></html>"
    )
    for kind in ("copy_lost_bytes_json", "copy_lost_bytes_body"):
        assert copy_lost_bytes(kind, old.encode(), 1) == old.encode()
