"""The tear repair's cache of first window readings (:data:`cleaning.repair.tearwindow._FIRST_READS`):
a text is repaired alike whatever was read before it, with a budget to spare and with one that
runs out (a cached reading charges the work it cost when it was read)."""

import opencc
import pytest

from bench.damage import mirror_decode, swap_a3
from cleaning.repair import gbktear, tearwindow
from cleaning.repair.gbktear import repair_tears_explained

S2T = opencc.OpenCC("s2t")
LINES = [
    "这种变化首先体现在用户侧。根据报告显示，截至今年六月，中国生成式人工智能用户规模达到五亿。",
    "企业客户开始下单，行业试点逐步复制，模型公司面对的核心问题也随之变化。",
    "为什么是现在？为什么都选择了同一上市路径？未来产业链又将发生什么变化！",
    "他说：“我们希望让更多患者用得起。”公司负责人说。",
    "去年出货2万台。公司首席执行官表示，今年的目标是翻番。",
]


def torn(text: str) -> str:
    return mirror_decode(swap_a3(S2T.convert(text).encode("gbk")))


# a page that repeats its torn lines, and one that shares some of them
PAGE = "\n".join(torn(line) for line in LINES + LINES[:3])
OTHER = "\n".join(torn(line) for line in LINES[2:] + ["研发节奏稳定下来，也会改变模型公司在产业链中的角色。"])


def _cold(text: str):
    tearwindow._FIRST_READS.clear()
    return repair_tears_explained(text)


@pytest.mark.parametrize("work", [gbktear.TEXT_WORK, 3_000, 600, 50])
def test_a_text_is_repaired_alike_whatever_was_read_before(monkeypatch, work):
    monkeypatch.setattr(gbktear, "TEXT_WORK", work)
    cold_page, cold_other = _cold(PAGE), _cold(OTHER)
    tearwindow._FIRST_READS.clear()
    warm_other = repair_tears_explained(OTHER)  # fills the cache with the shared lines
    warm_page = repair_tears_explained(PAGE)
    again = repair_tears_explained(PAGE)  # every window from the cache
    assert warm_page == cold_page == again
    assert warm_other == cold_other


def test_the_cache_is_used_and_the_repair_is_real():
    text, counts, events = _cold(PAGE)
    assert tearwindow._FIRST_READS  # readings were kept
    assert counts["gbk_punct_swap"] > 0 and events and text != PAGE
    # a line repaired in full (its flattened commas are the full-width stage's to restore)
    assert S2T.convert(LINES[1]).replace("，", ",") in text


def test_the_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(tearwindow, "FIRST_READS_MAX", 2)
    cold = _cold(PAGE)
    assert len(tearwindow._FIRST_READS) <= 2
    assert repair_tears_explained(PAGE) == cold
