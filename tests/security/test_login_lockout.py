"""Logins are counted before the password is checked, so concurrent guesses cannot get
more checks than the limit, and nothing but a success or the lock's end unlocks."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from flowdesk.engine.errors import TooManyAttempts, Unauthorized
from flowdesk.engine.identity import SYSTEM, service

PASSWORD = "right-password-1"


def attempt(engine, password: str, username: str = "victim", address: str | None = None) -> str:
    try:
        engine.identity.login(username, password, address)
    except Unauthorized:
        return "checked"
    except TooManyAttempts:
        return "locked"
    return "ok"


def test_forty_concurrent_wrong_guesses_get_at_most_five_checks(any_engine):
    any_engine.identity.create_user("victim", PASSWORD, ["employees"], by=SYSTEM)
    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(lambda i: attempt(any_engine, f"guess-{i}"), range(40)))
    assert outcomes.count("checked") <= 5
    assert outcomes.count("locked") >= 35
    assert attempt(any_engine, PASSWORD) == "locked"  # the right password waits for the lock too


def test_eight_threads_of_many_guesses_get_at_most_five_checks(any_engine):
    any_engine.identity.create_user("victim", PASSWORD, ["employees"], by=SYSTEM)

    def guesser(n: int) -> list[str]:
        return [attempt(any_engine, f"guess-{n}-{i}") for i in range(15)]

    with ThreadPoolExecutor(8) as pool:
        outcomes = [o for batch in pool.map(guesser, range(8)) for o in batch]
    assert outcomes.count("checked") <= 5


def test_a_late_failure_does_not_clear_a_lock_taken_meanwhile(any_engine, monkeypatch):
    any_engine.identity.create_user("victim", PASSWORD, ["employees"], by=SYSTEM)
    slow_started, release = threading.Event(), threading.Event()
    real_verify = service.verify_password

    def verify(password, stored):
        if password == "slow-guess":
            slow_started.set()
            release.wait(10)
        return real_verify(password, stored)

    monkeypatch.setattr(service, "verify_password", verify)
    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(attempt, any_engine, "slow-guess")
        assert slow_started.wait(10)
        fast = [attempt(any_engine, f"guess-{i}") for i in range(5)]
        release.set()
        assert slow.result() == "checked"
    assert fast.count("checked") == 4 and fast[-1] == "locked"
    assert attempt(any_engine, PASSWORD) == "locked"


def test_the_lock_ends_after_its_time_and_a_success_starts_afresh(any_engine, clock):
    any_engine.identity.create_user("victim", PASSWORD, ["employees"], by=SYSTEM)
    assert [attempt(any_engine, f"g{i}") for i in range(6)][-1] == "locked"
    clock.advance(minutes=15, seconds=1)
    assert attempt(any_engine, PASSWORD) == "ok"
    assert [attempt(any_engine, f"h{i}") for i in range(4)] == ["checked"] * 4


def test_one_address_cannot_spread_guesses_over_many_usernames(any_engine):
    any_engine.identity._lockout.address_max_failures = 10
    for i in range(12):
        any_engine.identity.create_user(f"user{i}", PASSWORD, ["employees"], by=SYSTEM)
    outcomes = [attempt(any_engine, "wrong-guess", f"user{i}", address="203.0.113.9") for i in range(12)]
    assert outcomes == ["checked"] * 10 + ["locked"] * 2
    # another address is not affected
    assert attempt(any_engine, PASSWORD, "user11", address="198.51.100.1") == "ok"


def test_a_success_gives_the_address_its_attempt_back(any_engine):
    any_engine.identity._lockout.address_max_failures = 2
    any_engine.identity.create_user("victim", PASSWORD, ["employees"], by=SYSTEM)
    assert [attempt(any_engine, PASSWORD, address="192.0.2.7") for _ in range(4)] == ["ok"] * 4
    assert attempt(any_engine, "wrong-guess", address="192.0.2.7") == "checked"


def test_the_token_endpoint_counts_the_client_address(api):
    api.engine.identity._lockout.address_max_failures = 3
    names = ["alice", "bob", "carol", "dan"]
    statuses = [api.client.post("/api/v1/auth/token", data={"username": name, "password": "nope-nope"}).status_code
                for name in names]
    assert statuses == [401, 401, 401, 429]
