"""The tear repair reads its windows with the cyclic garbage collector paused
(:func:`cleaning.repair.gbktear.collector_paused`): it leaves the collector as it found it, even
when the search raises, and leaves no cyclic garbage behind (so pausing frees nothing late)."""

import gc

import opencc
import pytest

from bench.damage import mirror_decode, swap_a3
from cleaning.repair import gbktear
from cleaning.repair.gbktear import collector_paused, repair_tears_explained

S2T = opencc.OpenCC("s2t")
TORN = "\n".join(
    mirror_decode(swap_a3(S2T.convert(line).encode("gbk")))
    for line in [
        "这种变化首先体现在用户侧。根据报告显示，截至今年六月，中国生成式人工智能用户规模达到五亿。",
        "去年出货2万台。公司首席执行官表示，今年的目标是翻番。",
        "他说：“我们希望让更多患者用得起。”公司负责人说。",
    ]
)


@pytest.fixture
def collector():
    was = gc.isenabled()
    yield
    gc.enable() if was else gc.disable()


@pytest.mark.parametrize("on", [True, False])
def test_the_collector_is_left_as_it_was(collector, on):
    gc.enable() if on else gc.disable()
    seen = []
    real = gbktear._repair_windows

    def spy(*args):
        seen.append(gc.isenabled())
        return real(*args)

    gbktear._repair_windows = spy
    try:
        out, counts, _ = repair_tears_explained(TORN)
    finally:
        gbktear._repair_windows = real
    assert seen == [False] and gc.isenabled() is on
    assert counts["gbk_punct_swap"] > 0 and out != TORN


def test_the_collector_comes_back_after_an_error(collector):
    gc.enable()
    with pytest.raises(RuntimeError):
        with collector_paused():
            assert not gc.isenabled()
            raise RuntimeError("search failed")
    assert gc.isenabled()


@pytest.mark.parametrize("work", [gbktear.TEXT_WORK, 300])  # a search that runs out of work too
def test_no_cyclic_garbage_is_left(collector, monkeypatch, work):
    monkeypatch.setattr(gbktear, "TEXT_WORK", work)
    repair_tears_explained(TORN)
    gc.collect()
    gc.disable()
    out, counts, _ = repair_tears_explained(TORN + "\n" + TORN[::-1])
    assert gc.collect() == 0
    assert (counts.get("tear_windows_skipped", 0) > 0) is (work == 300)
