"""A half-width mark the writer typed Western-style (followed by a space) is kept as written; the
full-width stage restores only marks a mirror flattened (cleaning.repair.punct)."""

import pytest

from cleaning.repair import repair_text
from cleaning.repair.punct import restore_fullwidth


@pytest.mark.parametrize(
    "text, want",
    [
        # kept: the writer's own half-width marks, a space after them
        ("為何反服貿? 抗議學生搞不清", "為何反服貿? 抗議學生搞不清"),
        ("当斑竹半年来, 没有功劳也有苦劳", "当斑竹半年来, 没有功劳也有苦劳"),
        ("主题: 太行山上", "主题: 太行山上"),
        ("好!\u3000下一句", "好!\u3000下一句"),
        # restored: flattened marks touch the next character, a line break or the end
        ("为什么是现在?答案很简单", "为什么是现在？答案很简单"),
        ("为什么是现在?\n答案很简单", "为什么是现在？\n答案很简单"),
        ("答案很简单;就是现在!", "答案很简单；就是现在！"),
        ("收入达1,000万元,会议于10:30开始", "收入达1,000万元，会议于10:30开始"),
    ],
)
def test_spaced_marks_are_the_writers_own(text, want):
    assert restore_fullwidth(text)[0] == want


def test_a_spaced_title_comes_out_of_the_chain_unchanged_and_unrepaired():
    res = repair_text("为何反服贸? 抗议学生搞不清")
    assert res.text == "为何反服贸? 抗议学生搞不清" and res.repairs == {}
