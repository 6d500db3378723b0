"""GBK punctuation-swap tears: damage clean Traditional text exactly as §6 item 4 describes,
then check the repair restores it (measured share of characters, documented rare losses)."""

import difflib

import opencc
import pytest
from hypothesis import example, given, settings, strategies as st

from bench.damage import mirror_decode, swap_a3
from cleaning.repair.gbktear import has_tear_signs, repair_tears

S2T = opencc.OpenCC("s2t")

# Clean Simplified sentences (news prose); every full-width mark is an A3 pair once GBK-encoded.
SENTENCES = [
    "这种变化首先体现在用户侧。根据报告显示，截至今年六月，中国生成式人工智能用户规模达到五亿。",
    "模型公司获得持续投入能力，上游获得长期订单预期，下游获得更可控的技术伙伴。",
    "用户规模的扩张和监管框架的逐步成型，意味着大模型已经走出概念验证阶段。",
    "企业客户开始下单，行业试点逐步复制，模型公司面对的核心问题也随之变化。",
    "这些动作说明头部玩家正在把竞争门槛推向高资本投入；拼的不只是模型能力。",
    "不过，模型公司即便保持高投入，也很难用短期提升换来足够快的回收。",
    "为什么是现在？为什么都选择了同一上市路径？未来产业链又将发生什么变化！",
    "研发节奏稳定下来，也会改变模型公司在产业链中的角色：更像长期可依赖的技术供给方。",
    "当现金流更稳定，竞争逻辑开始转向另一端，即投入多少算力和数据，究竟能换来多少真实的智能提升。",
    "与此同时，应用形态的变化也在抬高行业门槛。随着模型从对话工具走向智能体，系统开始执行任务。",
    "规则把公司按是否达到商业化收益门槛进行区分，同时也允许仍在投入期的公司进入公开市场。",
    "科学家们在实验室里研究新材料的性能（包括强度和韧性），结果令人满意。",
    # Runs that reach far: an ASCII character inside the run (上海交 -> 虾=), runs of common
    # characters that form no word (中科院量 -> 锌圃毫孔), a torn 。 after a number or a quote.
    "研发中心。上海交通大学副教授表示，这一技术仍需验证。",
    "系统能否正常使用。中科院量子信息重点实验室的研究人员给出了答案。",
    "他说：“我们希望让更多患者用得起。”公司负责人说。",
    "这条路是必经之路。”研究人员在实验室里说。",
    "去年出货2万台。公司首席执行官表示，今年的目标是翻番。",
]


def damage(traditional: str) -> str:
    return mirror_decode(swap_a3(traditional.encode("gbk")))


_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}


def restored_share(original: str, repaired: str) -> float:
    """Share of the original's characters found in place in the repair (full-width folded:
    flattened punctuation is the full-width stage's job)."""
    a, b = original.translate(_FOLD), repaired.translate(_FOLD)
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return sum(blk.size for blk in sm.get_matching_blocks()) / max(1, len(a))


def test_generator_reproduces_the_sample_tear():
    assert damage("規模化探索期，") == "規?;\ue201剿髌?,"
    assert damage("特專科技公司搭建的“18C”") == "特??萍脊\ue088敬罱ǖ摹?8C”"


@pytest.mark.parametrize("simplified", SENTENCES)
def test_damaged_sentence_is_never_made_worse(simplified):
    """Issue 25: a window is rewritten only where the bytes decide, or the word model's choice
    of a lost byte is above its measured margin; otherwise it stays as it was."""
    trad = S2T.convert(simplified)
    broken = damage(trad)
    fixed, counts = repair_tears(broken)
    assert restored_share(trad, fixed) >= restored_share(trad, broken), (broken, fixed)


def test_overall_restoration_share():
    """Measured (issue 25, precision first): 0.951 of the characters in place over all
    sentences, against 0.785 for the damaged text left as it is (0.99 before the margin: the
    model's guesses below it, 4 in 10 of them wrong on real text, are no longer taken)."""
    total = ok = left = 0.0
    for simplified in SENTENCES:
        trad = S2T.convert(simplified)
        broken = damage(trad)
        fixed, _ = repair_tears(broken)
        total += len(trad)
        ok += restored_share(trad, fixed) * len(trad)
        left += restored_share(trad, broken) * len(trad)
    assert ok / total >= 0.94 and ok / total > left / total + 0.1


def test_clean_text_has_no_tear_signs():
    for s in SENTENCES:
        assert not has_tear_signs(s)
        # Traditional text may hold rare characters (裏) that trip the cheap pre-check;
        # the repair must still leave it alone.
        assert repair_tears(S2T.convert(s))[0] == S2T.convert(s)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=2), st.integers(min_value=0, max_value=30))
# Found by hypothesis: two runs close together, the first window reaching into the second.
@example(
    [
        "用户规模的扩张和监管框架的逐步成型，意味着大模型已经走出概念验证阶段。",
        "研发中心。上海交通大学副教授表示，这一技术仍需验证。",
    ],
    0,
)
def test_random_cut_of_damaged_text(parts, cut):
    """Arbitrary spans of damaged text: the repair never raises, never grows much, and keeps
    most of the original."""
    trad = S2T.convert("".join(parts))
    trad = trad[cut % max(1, len(trad) // 2) :]
    broken = damage(trad)
    fixed, _ = repair_tears(broken)
    assert len(fixed) <= len(broken) + 4
    assert restored_share(trad, fixed) >= restored_share(trad, broken)


def _corpus_paragraphs(n: int, seed: int) -> list[str]:
    """News paragraphs of the mock site's generated articles (templates written for this project)."""
    import random

    from mocksite.dataset import generate_dataset

    ds = generate_dataset(60, seed=seed)
    paras = [b.text for i in range(len(ds)) for b in ds.article(i).blocks if len(getattr(b, "text", "") or "") > 40]
    return random.Random(seed).sample(paras, min(n, len(paras)))


def test_restoration_share_on_generated_news_paragraphs():
    """A quality gate on 50 paragraphs other than the hand-picked ones: measured 0.953 (0.869
    left as they are; 0.993 before issue 25's margin); it must not fall below 0.945."""
    total = ok = 0.0
    for simplified in _corpus_paragraphs(50, seed=13):
        trad = S2T.convert(simplified)
        fixed, _ = repair_tears(damage(trad))
        total += len(trad)
        ok += restored_share(trad, fixed) * len(trad)
    assert ok / total >= 0.945, ok / total


@pytest.mark.parametrize(
    "simplified",
    [
        # 场。该 -> 谐 + U+3000 (A1 A1) + 8: the full-width space is part of the run
        "越来越多的企业从国内市场转向海外市场。该项目已完成环评备案，预计明年投产。",
        # 示 is rare as a word of its own: the candidates for a lost byte are ranked by use in words
        "寒武纪在成都的新厂房已进入设备调试阶段。寒武纪相关负责人表示，新产线预计明年投产。",
        # a run from the first character of a paragraph to its end
        "海光信息负责人上台致辞。海光信息展示了新产品的实测效果。",
    ],
)
def test_simplified_text_torn_without_conversion(simplified):
    """§6 item 4 on Simplified text (the swap alone, without the Traditional conversion): never
    worse than the damage left as it is."""
    broken = damage(simplified)
    fixed, _ = repair_tears(broken)
    assert restored_share(simplified, fixed) >= restored_share(simplified, broken), fixed


def test_a_long_torn_article_is_repaired_whole():
    """One torn 。 per sentence: far more than MAX_WINDOWS windows in a long body, but spread
    out like sentences, not packed like noise."""
    from cleaning.repair import gbktear

    body = "".join(_corpus_paragraphs(30, seed=21))
    broken = damage(S2T.convert(body))
    fixed, counts = repair_tears(broken)
    assert "tear_windows_skipped" not in counts
    assert counts["lost_lead_byte"] + counts.get("unrepaired", 0) > gbktear.MAX_WINDOWS
    # measured 0.927 (0.809 left as it is; 0.97 before issue 25's margin)
    assert restored_share(S2T.convert(body), fixed) >= max(0.92, restored_share(S2T.convert(body), broken))


def test_dense_garbage_is_left_alone():
    noise = "\n".join("中" + chr(0xE000 + (i * 7919) % 2000) + "?" for i in range(400))
    fixed, counts = repair_tears(noise)
    assert counts.get("tear_windows_skipped", 0) > 32 and fixed == noise
