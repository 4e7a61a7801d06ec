"""Who a bearer token's user is, read once per few seconds per process, never stale
after a change made through the same process."""

from __future__ import annotations

import pytest
from flowdesk.engine.config import Settings
from flowdesk.engine.errors import BadRequest, Unauthorized
from flowdesk.engine.identity import SYSTEM, Actor
from flowdesk.engine.identity.actors import ActorCache
from flowdesk.engine.persistence.models import User

from tests.support.engines import make_engine


class Ticking:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_lives_its_seconds():
    tick = Ticking()
    cache = ActorCache(5, now=tick)
    cache.put(Actor("ann", frozenset({"clerks"})), cache.generation)
    tick.now += 4.9
    assert cache.get("ann") == Actor("ann", frozenset({"clerks"}))
    tick.now += 0.1
    assert cache.get("ann") is None


def test_an_actor_read_before_a_change_is_not_cached_after_it():
    cache = ActorCache(5)
    generation = cache.generation  # a request starts reading ann's groups ...
    cache.clear()  # ... an admin changes them and commits ...
    cache.put(Actor("ann", frozenset({"old"})), generation)  # ... the request's read is stale
    assert cache.get("ann") is None


def test_zero_seconds_reads_every_time():
    cache = ActorCache(0)
    cache.put(Actor("ann", frozenset()), cache.generation)
    assert cache.get("ann") is None


@pytest.fixture
def two_processes(sqlite_url, clock):
    """Two engines on one database, as two server processes would be."""
    first, second = make_engine(sqlite_url, clock), make_engine(sqlite_url, clock)
    first.identity.create_user("ann", "password1", ["clerks"], by=SYSTEM)
    yield first, second
    first.close()
    second.close()


def test_a_change_through_this_process_applies_at_once(two_processes):
    engine, _ = two_processes
    assert engine.identity.authenticated("ann").groups == {"clerks"}
    engine.identity.set_user_groups("ann", ["clerks", "buyers"], by=SYSTEM)
    assert engine.identity.authenticated("ann").groups == {"clerks", "buyers"}


def test_a_change_through_another_process_applies_within_the_cache_time(two_processes, monkeypatch):
    engine, other = two_processes
    tick = Ticking()
    monkeypatch.setattr(engine.context.actors, "_now", tick)
    assert engine.identity.authenticated("ann").groups == {"clerks"}
    other.identity.set_user_groups("ann", ["buyers"], by=SYSTEM)
    assert engine.identity.authenticated("ann").groups == {"clerks"}  # still trusted for a few seconds
    tick.now += 5
    assert engine.identity.authenticated("ann").groups == {"buyers"}


def test_a_deactivated_user_is_refused_once_the_entry_expires(two_processes, monkeypatch):
    engine, other = two_processes
    tick = Ticking()
    monkeypatch.setattr(engine.context.actors, "_now", tick)
    engine.identity.authenticated("ann")
    with other.transaction() as s:  # what deactivating ann in another process writes
        s.get(User, "ann").active = False
    tick.now += 5
    with pytest.raises(Unauthorized):
        engine.identity.authenticated("ann")


def test_the_cache_time_is_configured_from_the_environment():
    assert Settings.from_env({}).auth_cache_seconds == 5.0
    assert Settings.from_env({"FLOWDESK_AUTH_CACHE_SECONDS": "0"}).auth_cache_seconds == 0
    for bad in ("soon", "-1", "nan"):
        with pytest.raises(BadRequest, match="FLOWDESK_AUTH_CACHE_SECONDS"):
            Settings.from_env({"FLOWDESK_AUTH_CACHE_SECONDS": bad})
