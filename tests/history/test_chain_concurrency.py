"""Competing transactions on the audit chains (PostgreSQL, real row locks).

Two writers of one instance must not fork its chain: the second waits for the first's head.
Writers of different instances must not wait for each other at all.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flowdesk.engine.history.audit import EventRecord
from flowdesk.engine.identity import SYSTEM

from tests.support.engines import make_engine


@pytest.fixture
def pg_engine(postgres_url, clock):
    engine = make_engine(postgres_url, clock)
    yield engine
    engine.close()


def _append(engine, chain_instance: str, type_: str) -> None:
    with engine.transaction() as s:
        engine.context.audit.append(s, [EventRecord(type_, "tester", chain_instance)])


@contextmanager
def holding_chain(engine, instance: str) -> Iterator[None]:
    """A transaction that has appended to ``instance``'s chain and stays open (holding
    its head) until the block ends; then it commits."""
    holding, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def holder():
        try:
            with engine.transaction() as s:
                engine.context.audit.append(s, [EventRecord("held", "tester", instance)])
                holding.set()
                release.wait(10)
        except BaseException as err:  # surfaced below
            errors.append(err)
            holding.set()

    thread = threading.Thread(target=holder)
    thread.start()
    holding.wait(10)
    try:
        yield
    finally:
        release.set()
        thread.join(20)
    assert errors == []


def test_two_writers_of_one_chain_are_serialized_not_forked(pg_engine):
    _append(pg_engine, "instance-a", "first")
    second_done = threading.Event()
    errors: list[BaseException] = []

    def second_writer():
        try:
            _append(pg_engine, "instance-a", "waited")
        except BaseException as err:
            errors.append(err)
        finally:
            second_done.set()

    with holding_chain(pg_engine, "instance-a"):
        second = threading.Thread(target=second_writer)
        second.start()
        assert not second_done.wait(0.5), "the second writer did not wait for the chain's head"
    second.join(20)
    assert errors == []
    events = pg_engine.history.audit_events(by=SYSTEM, instance_id="instance-a").items
    assert [(e["type"], e["chain_seq"]) for e in events] == [("first", 1), ("held", 2), ("waited", 3)]
    assert events[2]["prev_hash"] == events[1]["hash"]
    assert pg_engine.history.verify_audit(by=SYSTEM)["ok"] is True


def test_writers_of_different_instances_do_not_wait_for_each_other(pg_engine):
    _append(pg_engine, "instance-a", "first")
    pg_engine.history.anchor_audit()
    with holding_chain(pg_engine, "instance-a"):
        _append(pg_engine, "instance-b", "independent")  # would wait here with one global chain
        # Anchoring skips the locked chain instead of waiting for it.
        assert pg_engine.history.anchor_audit() == 1
    assert pg_engine.history.anchor_audit() == 1  # instance-a, now committed
    assert pg_engine.history.verify_audit(by=SYSTEM)["ok"] is True
