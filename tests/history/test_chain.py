"""The audit log is a hash chain: any edit, deletion or reordering is found and named."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from flowdesk.engine import values
from flowdesk.engine.history.audit import chain
from flowdesk.engine.identity import SYSTEM
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from tests.support.audit import run_instances, tamper
from tests.support.engines import make_engine


def _events(engine, instance_id):
    return engine.history.instance_history(instance_id, by=SYSTEM, limit=500).items


# -- canonical form ------------------------------------------------------------------------------

def test_canonical_json_follows_rfc_8785():
    assert chain.canonical_json({"b": 1, "a": [True, None, "é"], "c": {"z": 0, "y": 1.5}}) == \
        '{"a":[true,null,"é"],"b":1,"c":{"y":1.5,"z":0}}'.encode()
    # ECMAScript number forms: integral floats without a fraction, exponents without padding.
    assert chain.canonical_json([1.0, 1e21, 1e-7, -0.0, 123456789.5]) == b"[1,1e+21,1e-7,0,123456789.5]"
    with pytest.raises(ValueError):
        chain.canonical_json(float("nan"))


def test_amounts_are_hashed_exactly_as_stored():
    stored = values.encode({"total": Decimal("10.10")})
    assert stored == {"total": {"$decimal": "10.10"}}
    salt = chain.new_salt()
    assert chain.payload_hash(stored, salt) != chain.payload_hash(values.encode({"total": Decimal("10.1")}), salt)


def test_an_erased_payload_cannot_be_recognised_from_its_hash():
    # Same content, different salts: the hash left behind after erasure reveals nothing.
    assert chain.payload_hash({"salary": 52000}, chain.new_salt()) != \
        chain.payload_hash({"salary": 52000}, chain.new_salt())


# -- a clean log ------------------------------------------------------------------------------------

def test_every_event_is_chained_to_the_one_before_it_in_its_instance(engine, history):
    events = _events(engine, history[0])
    assert [e["chain_seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["prev_hash"] == chain.GENESIS
    for before, after in itertools.pairwise(events):
        assert after["prev_hash"] == before["hash"]
    assert {e["chain_id"] for e in events} == {history[0]}


def test_an_untouched_log_verifies(engine, history):
    engine.history.anchor_audit()
    result = engine.history.verify_audit(by=SYSTEM)
    assert result["ok"] is True, result
    assert result["first_bad_seq"] is None
    assert result["anchors"] == 1
    assert result["events"] == len(engine.history.audit_events(by=SYSTEM, limit=500).items)
    assert result["chains"] == len(history) + 1  # one per instance, and the global chain


def test_events_outside_instances_form_the_global_chain(engine, history):
    result = engine.history.audit_events(by=SYSTEM, type="user.created")
    (created,) = result.items
    assert created["chain_id"] == chain.GLOBAL_CHAIN


# -- tampering --------------------------------------------------------------------------------------

def test_a_modified_event_is_named(engine, history):
    victim = next(e for e in _events(engine, history[0]) if e["type"] == "task.completed")
    tamper(engine, "UPDATE events SET actor = 'mallory' WHERE seq = :seq", seq=victim["seq"])
    result = engine.history.verify_audit(by=SYSTEM)
    assert result["ok"] is False
    assert result["first_bad_seq"] == victim["seq"]
    assert "modified" in result["reason"]


def test_a_deleted_event_is_found_at_the_gap_it_leaves(engine, history):
    events = _events(engine, history[0])
    victim, follower = events[1], events[2]
    tamper(engine, "DELETE FROM events WHERE seq = :seq", seq=victim["seq"])
    result = engine.history.verify_audit(by=SYSTEM)
    assert result["ok"] is False
    assert result["first_bad_seq"] == follower["seq"]
    assert {p["kind"] for p in result["problems"]} >= {"gap", "broken_link"}


def test_a_deleted_last_event_is_found_against_the_chain_head(engine, history):
    last = _events(engine, history[0])[-1]
    tamper(engine, "DELETE FROM events WHERE seq = :seq", seq=last["seq"])
    result = engine.history.verify_audit(by=SYSTEM)
    assert result["ok"] is False
    assert [p["kind"] for p in result["problems"]] == ["truncated"]


def test_swapped_events_are_found(engine, history):
    first, second = _events(engine, history[0])[1:3]
    tamper(engine,
           "UPDATE events SET seq = -1 WHERE seq = :a",
           "UPDATE events SET seq = :a WHERE seq = :b",
           "UPDATE events SET seq = :b WHERE seq = -1",
           a=first["seq"], b=second["seq"])
    result = engine.history.verify_audit(by=SYSTEM)
    assert result["ok"] is False
    assert result["first_bad_seq"] == first["seq"]
    assert "reordered" in {p["kind"] for p in result["problems"]}


def test_an_edited_payload_is_found(engine, history):
    completed = next(e for e in _events(engine, history[0]) if e["type"] == "task.completed")
    with engine.db.engine.begin() as conn:
        conn.execute(text("UPDATE event_payloads SET content = :c WHERE hash = :h"),
                     {"c": '{"data": {"amount": 1000000}}', "h": completed["payload_hash"]})
    result = engine.history.verify_audit(by=SYSTEM)
    assert result["ok"] is False
    assert result["first_bad_seq"] == completed["seq"]
    assert result["problems"][0]["kind"] == "payload_modified"


def test_a_chain_rewritten_with_fresh_hashes_is_caught_by_its_anchor(engine, history):
    engine.history.anchor_audit()
    events = _events(engine, history[0])
    # Rewrite the actor of an anchored event and recompute every hash after it, head included:
    # the instance chain is consistent again, but no longer matches what the anchor recorded.
    victim = next(e for e in events if e["type"] == "task.completed")
    prev = victim["prev_hash"]
    statements, params = [], {}
    for n, event in enumerate(e for e in events if e["seq"] >= victim["seq"]):
        fields = {**event, "at": _at(event), "actor": "mallory" if event["seq"] == victim["seq"] else event["actor"]}
        new_hash = chain.event_hash(fields, prev)
        statements.append(f"UPDATE events SET actor = :actor{n}, prev_hash=:prev{n}, hash=:hash{n} "
                          f"WHERE seq = :seq{n}")
        params.update({f"actor{n}": fields["actor"], f"prev{n}": prev, f"hash{n}": new_hash, f"seq{n}": event["seq"]})
        prev = new_hash
    statements.append("UPDATE audit_chains SET head = :head WHERE chain_id = :chain")
    tamper(engine, *statements, head=prev, chain=history[0], **params)
    for result in (engine.history.verify_audit(by=SYSTEM), engine.history.verify_audit(by=SYSTEM, instance_id=history[0])):
        assert result["ok"] is False
        assert "anchor_mismatch" in {p["kind"] for p in result["problems"]}


def _at(event):
    from datetime import datetime
    return datetime.fromisoformat(event["at"])


def test_the_database_itself_refuses_to_change_events(engine, history):
    with pytest.raises(DatabaseError, match="append-only"), engine.db.engine.begin() as conn:
        conn.execute(text("UPDATE events SET actor = 'mallory'"))
    with pytest.raises(DatabaseError, match="append-only"), engine.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM events"))


def test_postgres_refuses_update_delete_and_truncate(postgres_url, clock):
    engine = make_engine(postgres_url, clock)
    try:
        run_instances(engine, 1)
        for statement in ("UPDATE events SET actor = 'mallory'", "DELETE FROM events", "TRUNCATE events"):
            with pytest.raises(DatabaseError, match="append-only"), engine.db.engine.begin() as conn:
                conn.execute(text(statement))
        engine.history.anchor_audit()
        assert engine.history.verify_audit(by=SYSTEM)["ok"] is True
        victim = engine.history.instance_history(engine.instances.list_instances(by=SYSTEM).items[0]["id"], by=SYSTEM, limit=500).items[2]
        tamper(engine, "UPDATE events SET type = 'task.claimed' WHERE seq = :seq", seq=victim["seq"])
        assert engine.history.verify_audit(by=SYSTEM)["first_bad_seq"] == victim["seq"]
    finally:
        engine.close()


def test_one_global_chain_is_a_setting(sqlite_url, clock):
    engine = make_engine(sqlite_url, clock, audit_chain="global")
    try:
        ids = run_instances(engine, 2)
        assert {e["chain_id"] for i in ids for e in engine.history.instance_history(i, by=SYSTEM, limit=500).items} == {chain.GLOBAL_CHAIN}
        result = engine.history.verify_audit(by=SYSTEM)
        assert result["ok"] is True and result["chains"] == 1
    finally:
        engine.close()


def test_flowdesk_code_cannot_change_or_delete_an_event(engine, history):
    from flowdesk.engine.errors import AuditLogIsAppendOnly
    from flowdesk.engine.persistence.models import Event
    from sqlalchemy import delete, select, update

    with pytest.raises(AuditLogIsAppendOnly), engine.transaction() as s:
        s.execute(update(Event).values(actor="mallory"))
    with pytest.raises(AuditLogIsAppendOnly), engine.transaction() as s:
        s.execute(delete(Event))
    with pytest.raises(AuditLogIsAppendOnly), engine.transaction() as s:
        s.scalars(select(Event).limit(1)).one().actor = "mallory"
        s.flush()
    with pytest.raises(AuditLogIsAppendOnly), engine.transaction() as s:
        s.delete(s.scalars(select(Event).limit(1)).one())
        s.flush()
    assert engine.history.verify_audit(by=SYSTEM)["ok"] is True


def test_one_instance_chain_can_be_verified_on_its_own(engine, history):
    engine.history.anchor_audit()
    assert engine.history.verify_audit(by=SYSTEM, instance_id=history[0])["ok"] is True
    assert engine.history.verify_audit(by=SYSTEM, instance_id=history[0])["chains"] == 1
    victim = _events(engine, history[1])[1]
    tamper(engine, "UPDATE events SET actor = 'mallory' WHERE seq = :seq", seq=victim["seq"])
    assert engine.history.verify_audit(by=SYSTEM, instance_id=history[0])["ok"] is True
    assert engine.history.verify_audit(by=SYSTEM, instance_id=history[1])["first_bad_seq"] == victim["seq"]


def test_deleting_an_anchors_content_is_not_an_erasure(engine, history):
    engine.history.anchor_audit()
    (anchor,) = engine.history.audit_events(by=SYSTEM, type="audit.anchored").items
    with engine.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM event_payloads WHERE hash = :h"), {"h": anchor["payload_hash"]})
    result = engine.history.verify_audit(by=SYSTEM)
    assert result["ok"] is False and result["first_bad_seq"] == anchor["seq"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**15, 10**15) | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_the_fast_canonical_form_equals_the_reference_one(value):
    # The C encoder is used when its output is already canonical; the reference
    # implementation spells RFC 8785 out. They must never differ.
    assert chain.canonical_json(value) == chain._canonical(value).encode("utf-8")


def test_the_migration_that_chained_old_events_hashes_exactly_as_the_live_chain():
    # Migration 0005 carries its own copy of the chain's hashing (a migration must not change
    # when the engine does); both must give version 1 hashes, or old chains stop verifying.
    import importlib.util

    from flowdesk.engine.history.audit import chain
    from flowdesk.engine.persistence import migrations

    path = Path(migrations.__file__).parent / "versions" / "0005_audit_chain.py"
    spec = importlib.util.spec_from_file_location("migration_0005", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    fields = {"chain_id": "i-1", "chain_seq": 3, "at": datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
              "type": "task.completed", "actor": "bob", "instance_id": "i-1", "definition_key": "p",
              "definition_version": 2, "element_id": "approve", "task_id": "t-1", "payload_hash": "ab" * 32}
    payload = {"amount": {"$decimal": "12.50"}, "ratio": 0.1, "名": ["x", 1e-7, None, True]}
    assert migration._payload_hash(payload, "salt") == chain.payload_hash(payload, "salt")
    assert migration._event_hash(fields, chain.GENESIS) == chain.event_hash(fields, chain.GENESIS)
    assert (migration._GENESIS, migration._GLOBAL_CHAIN) == (chain.GENESIS, chain.GLOBAL_CHAIN)
