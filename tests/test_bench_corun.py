"""bench.corun: the ceiling alone, then beside a busy neighbour, pair by pair; the neighbour is a
real process that cleans pages until stopped. No timing is asserted."""

from __future__ import annotations

import time

import pytest

from bench.corun import Neighbour, corun_pairs


class FakeNeighbour:
    """Records when it lives; its CPU grows by one second a call."""

    alive: list[bool] = []

    def __init__(self):
        FakeNeighbour.alive.append(True)
        self.used = 0.0

    def cpu(self):
        self.used += 1.0
        return self.used

    def stop(self):
        FakeNeighbour.alive[-1] = False


def _ceiling_seen(calls, fail_beside=False):
    def ceiling(mock, overrides):
        beside = bool(FakeNeighbour.alive) and FakeNeighbour.alive[-1]
        calls.append(("beside" if beside else "alone", mock, tuple(overrides)))
        if beside and fail_beside:
            raise SystemExit("bench: ceiling failed")
        return {"articles_per_s": 80.0 if beside else 100.0}

    return ceiling


def test_pairs_alternate_alone_and_beside_and_take_the_ratio_within_each_pair():
    FakeNeighbour.alive = []
    calls: list = []
    got = corun_pairs("MOCK", ["A=1"], 3, ceiling=_ceiling_seen(calls), neighbour=FakeNeighbour, log=lambda m: None)
    assert [c[0] for c in calls] == ["alone", "beside"] * 3
    assert all(c[1:] == ("MOCK", ("A=1",)) for c in calls)  # the same mock and settings each run
    assert FakeNeighbour.alive == [False, False, False]  # one neighbour a pair, each stopped
    assert [p["ratio"] for p in got["pairs"]] == [0.8] * 3
    assert got["ratio"] == {"median": 0.8, "min": 0.8, "max": 0.8, "n": 3}
    assert got["alone_articles_per_s"]["median"] == 100.0 and got["beside_articles_per_s"]["median"] == 80.0
    assert all(p["neighbour_busy"] > 0 for p in got["pairs"])


def test_a_failing_ceiling_beside_still_stops_the_neighbour():
    FakeNeighbour.alive = []
    with pytest.raises(SystemExit):
        corun_pairs(
            "MOCK", [], 2, ceiling=_ceiling_seen([], fail_beside=True), neighbour=FakeNeighbour, log=lambda m: None
        )
    assert FakeNeighbour.alive == [False]


def test_the_neighbour_is_a_busy_process_until_stopped():
    nb = Neighbour(pages=20)
    try:
        c0 = nb.cpu()
        time.sleep(1.0)
        assert nb.cpu() > c0  # it cleans pages all the time
        assert nb.proc.poll() is None
    finally:
        nb.stop()
    assert nb.proc.poll() is not None


def test_alone_it_only_runs_as_the_neighbour(capsys):
    from bench.corun import main

    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2 and "--neighbour" in capsys.readouterr().err
