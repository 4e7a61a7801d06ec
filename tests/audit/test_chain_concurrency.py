"""Competing transactions on the audit chains (PostgreSQL, real row locks).

Two writers of one instance must not fork its chain: the second waits for the first's head.
Writers of different instances must not wait for each other at all.
"""

from __future__ import annotations

import threading

import pytest
from flowdesk.engine.audit import EventRecord
from flowdesk.engine.identity import SYSTEM

from tests.conftest import make_engine


@pytest.fixture
def pg_engine(postgres_url, clock):
    engine = make_engine(postgres_url, clock)
    yield engine
    engine.close()


def _append(engine, chain_instance: str, type_: str) -> None:
    with engine.transaction() as s:
        engine.audit.append(s, [EventRecord(type_, "tester", chain_instance)])


def test_two_writers_of_one_chain_are_serialized_not_forked(pg_engine):
    _append(pg_engine, "instance-a", "first")
    holding, release, second_done = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first_writer():
        try:
            with pg_engine.transaction() as s:
                pg_engine.audit.append(s, [EventRecord("held", "tester", "instance-a")])
                holding.set()
                release.wait(10)
        except BaseException as err:  # surfaced below
            errors.append(err)

    def second_writer():
        try:
            holding.wait(10)
            _append(pg_engine, "instance-a", "waited")
        except BaseException as err:
            errors.append(err)
        finally:
            second_done.set()

    threads = [threading.Thread(target=first_writer), threading.Thread(target=second_writer)]
    for t in threads:
        t.start()
    holding.wait(10)
    assert not second_done.wait(0.5), "the second writer did not wait for the chain's head"
    release.set()
    for t in threads:
        t.join(20)
    assert errors == []
    events = pg_engine.audit_events(SYSTEM, instance_id="instance-a").items
    assert [(e["type"], e["chain_seq"]) for e in events] == [("first", 1), ("held", 2), ("waited", 3)]
    assert events[2]["prev_hash"] == events[1]["hash"]
    assert pg_engine.verify_audit(SYSTEM)["ok"] is True


def test_writers_of_different_instances_do_not_wait_for_each_other(pg_engine):
    holding, release, other_done = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def holder():
        try:
            with pg_engine.transaction() as s:
                pg_engine.audit.append(s, [EventRecord("held", "tester", "instance-a")])
                holding.set()
                release.wait(10)
        except BaseException as err:
            errors.append(err)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        holding.wait(10)
        _append(pg_engine, "instance-b", "independent")  # would block here with one global chain
        other_done.set()
        # Anchoring skips the locked chain instead of waiting for it.
        assert pg_engine.anchor_audit() == 1
    finally:
        release.set()
        thread.join(20)
    assert errors == [] and other_done.is_set()
    assert pg_engine.anchor_audit() == 1  # instance-a, now committed
    assert pg_engine.verify_audit(SYSTEM)["ok"] is True
