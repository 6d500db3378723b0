"""The worker's jobs written into its pipe by the reactor thread (storage.pipesend): framed as
multiprocessing frames them, one message per turn of the reactor, never blocking when the pipe is
full, in order, and quiet once the other end is gone."""

from __future__ import annotations

import multiprocessing
import os
import threading

import pytest

from storage.pipesend import PipeSender, frame


class FakeReactor:
    """What PipeSender asks of the reactor: a call at the end of this turn, and doWrite when the
    pipe takes more (here: at every turn while registered)."""

    def __init__(self):
        self.calls: list = []
        self.writers: set = set()

    def callLater(self, delay, f, *args):
        assert delay == 0
        self.calls.append((f, args))

    def addWriter(self, w):
        assert w not in self.writers
        self.writers.add(w)

    def removeWriter(self, w):
        self.writers.discard(w)

    def turn(self) -> None:
        calls, self.calls = self.calls, []
        for f, args in calls:
            f(*args)
        for w in list(self.writers):
            w.doWrite()


def _pipe():
    ours, theirs = multiprocessing.Pipe()
    return ours, theirs


@pytest.mark.parametrize(
    "obj",
    [[], [1, "two", b"\x00" * 3], [(7, {"body": b"x" * 100_000})], "stop", [("open", "sqlite:///a", 3, {})]],
)
def test_a_frame_is_what_connection_recv_reads(obj):
    ours, theirs = _pipe()
    for part in frame(obj):
        os.write(ours.fileno(), part)
    assert theirs.recv() == obj


def test_what_one_turn_puts_goes_as_one_message():
    ours, theirs = _pipe()
    reactor = FakeReactor()
    sender = PipeSender(ours, reactor, max_batch=64)
    for i in range(5):
        sender.put(i)
    assert len(reactor.calls) == 1  # one flush scheduled for the turn, not one per object
    assert not theirs.poll(0)  # nothing written before the turn ends
    reactor.turn()
    assert theirs.recv() == [0, 1, 2, 3, 4]
    assert not theirs.poll(0.05)
    sender.put(5)
    reactor.turn()
    assert theirs.recv() == [5]
    assert not sender.pending()
    sender.close()


@pytest.mark.parametrize(
    "objs, max_batch, messages",
    [
        (list(range(7)), 3, [[0, 1, 2], [3, 4, 5], [6]]),
        ([1, 2, "stop"], 64, [[1, 2, "stop"]]),
        ([1, "stop", 2], 64, [[1, "stop"], [2]]),  # nothing goes with what comes after a stop
        (["stop"], 1, [["stop"]]),
        (["stopped", 1], 64, [["stopped", 1]]),  # only the stop itself ends a message
    ],
)
def test_messages_hold_at_most_max_batch_and_end_with_a_stop(objs, max_batch, messages):
    ours, theirs = _pipe()
    reactor = FakeReactor()
    sender = PipeSender(ours, reactor, max_batch=max_batch, is_last=lambda o: o == "stop")
    for obj in objs:
        sender.put(obj)
    reactor.turn()
    assert [theirs.recv() for _ in messages] == messages
    assert not theirs.poll(0.05)
    sender.close()


def test_a_full_pipe_never_blocks_and_everything_arrives_in_order():
    ours, theirs = _pipe()
    reactor = FakeReactor()
    sender = PipeSender(ours, reactor, max_batch=4)
    bodies = [bytes([i]) * 300_000 for i in range(40)]  # ~12 MB: far more than a socket buffers
    for i, body in enumerate(bodies):
        sender.put((i, body))
    reactor.turn()  # returns at once: the pipe is full, nobody reads yet
    assert sender.pending() and sender in reactor.writers
    sender.put((40, b"last"))  # while waiting: goes when the pipe takes more, no second flush
    assert not reactor.calls
    got: list = []

    def read():
        while len(got) < 41:
            got.extend(theirs.recv())

    reader = threading.Thread(target=read)
    reader.start()
    for _ in range(100_000):
        if not sender.pending():
            break
        reactor.turn()
    reader.join(timeout=30)
    assert [i for i, _ in got] == list(range(41))
    assert [b for _, b in got] == [*bodies, b"last"]
    assert not reactor.writers  # no longer waiting for the pipe
    sender.close()


def test_the_other_end_gone_drops_what_is_left_quietly():
    ours, theirs = _pipe()
    reactor = FakeReactor()
    sender = PipeSender(ours, reactor, max_batch=64)
    theirs.close()
    sender.put((1, b"x" * 1000))
    reactor.turn()
    assert not sender.pending() and sender.gone
    sender.put(2)  # dropped: no flush scheduled, nothing raised
    assert not reactor.calls
    sender.close()


def test_the_other_end_gone_while_waiting_for_the_pipe():
    ours, theirs = _pipe()
    reactor = FakeReactor()
    sender = PipeSender(ours, reactor, max_batch=1)
    for i in range(20):
        sender.put((i, b"y" * 500_000))
    reactor.turn()
    assert sender in reactor.writers
    theirs.close()
    reactor.turn()
    assert sender.gone and not reactor.writers and not sender.pending()
    sender.close()


def test_closing_keeps_the_connection_it_was_given():
    """The sender writes through its own copy of the socket: closing it leaves the connection
    the results are read from open."""
    ours, theirs = _pipe()
    sender = PipeSender(ours, FakeReactor(), max_batch=8)
    sender.close()
    theirs.send(("results", [1], []))
    assert ours.recv() == ("results", [1], [])
