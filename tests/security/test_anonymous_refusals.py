"""Anonymous refusals are counted and sampled, never one chained audit event each."""

from __future__ import annotations

from flowdesk.engine.identity.refusals import AnonymousRefusals


def test_a_flood_of_anonymous_requests_leaves_one_event_per_address_and_minute(api):
    before = len(api.events("access.denied"))
    for i in range(300):
        assert api.client.get(f"/api/v1/instances/{'x' * 8000}{i}").status_code == 401
    events = api.events("access.denied")[before:]
    assert len(events) == 1
    assert len(events[0]["data"]["path"]) <= 256
    metrics = api.get("/metrics", "root").text
    assert "flowdesk_anonymous_refusals_total 300" in metrics


def test_refusals_of_known_users_are_still_each_audited(api):
    before = len(api.events("access.denied"))
    for _ in range(3):
        assert api.get("/api/v1/audit/verify", "alice").status_code == 403
    assert len(api.events("access.denied")) - before == 3


def test_the_sample_says_how_many_refusals_it_stands_for_and_is_bounded_in_all():
    now = [0.0]
    sampler = AnonymousRefusals(interval=60, per_interval=3, now=lambda: now[0])
    assert sampler.count("198.51.100.1") == 1
    assert [sampler.count("198.51.100.1") for _ in range(4)] == [None] * 4
    now[0] = 61
    assert sampler.count("198.51.100.1") == 5
    sampled = [sampler.count(f"203.0.113.{i}") for i in range(10)]
    assert sum(s is not None for s in sampled) == 2  # three per minute in all, one used above
    assert sampler.total == 16
