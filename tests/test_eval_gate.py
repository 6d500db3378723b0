"""The quality gate (tests/eval_gate.py): no figure of the corpus built from the damage
mechanisms may fall below tests/data/eval_baseline.json (a change may raise them: run
``python -m tests.eval_gate --update`` to record the new figures)."""

from tests import eval_gate


def test_no_figure_falls_below_the_baseline():
    now = eval_gate.figures()
    base = eval_gate.baseline()
    assert set(base) <= set(now), f"figures gone: {set(base) - set(now)}"
    assert not eval_gate.lowered(now, base), eval_gate.lowered(now, base)


def test_lowered_catches_a_fall_and_a_missing_figure():
    assert eval_gate.lowered({"a": 0.5}, {"a": 0.6, "b": 1.0}) == {"a": (0.6, 0.5), "b": (1.0, None)}
    assert eval_gate.lowered({"a": 0.7}, {"a": 0.6}) == {}
