"""Short fault scenarios against real processes: the same code as ``python -m bench.faults``
at toy sizes, holding its invariants (counts, never speeds).

The server and workers are ``flowdesk`` subprocesses. A scenario that kills or restarts a
service uses one the suite started itself (its own PostgreSQL cluster, its own Redis),
never the shared test servers; those scenarios skip when the binaries are not installed.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bench.faults import http_faults, job_faults
from bench.faults.services import OwnPostgres, OwnRedis, ServiceMissing


def own(service):
    try:
        return service()
    except ServiceMissing as missing:
        pytest.skip(str(missing))


def assert_nothing_lost(outcome) -> None:
    assert outcome.skipped is None, outcome.skipped
    assert outcome.lost == 0, outcome.details
    assert outcome.twice == 0, outcome.details


@pytest.mark.postgres
def test_a_server_killed_under_four_clients_loses_no_acknowledged_completion(postgres_server_url):
    outcome = http_faults.server_kill(SimpleNamespace(server_url=postgres_server_url), clients=4, kills=1,
                                      load_seconds=2)
    assert_nothing_lost(outcome)
    assert outcome.details["completions"]["acknowledged"] > 0
    assert outcome.details["audit"]["ok"], outcome.details["audit"]


@pytest.fixture(scope="module")
def database_restart():
    """One run of the scenario (starting a cluster and a server is the slow part); the
    tests below read different figures of it."""
    with own(OwnPostgres) as pg:
        return http_faults.postgres_restart(pg, clients=4, restarts=1, load_seconds=2, down_seconds=2)


def test_a_database_restart_loses_nothing_and_the_server_carries_on_without_a_restart(database_restart):
    assert_nothing_lost(database_restart)
    assert database_restart.details["audit"]["ok"], database_restart.details["audit"]
    assert database_restart.recovered, database_restart.notes


def test_a_database_restart_answers_503_with_retry_after_never_another_5xx(database_restart):
    assert database_restart.other_5xx == 0, database_restart.details["answers"]
    assert database_restart.details["outage_5xx"]["503_without_retry_after"] == 0


@pytest.mark.postgres
def test_jobs_started_while_the_broker_is_down_all_run_once_when_it_returns(postgres_server_url):
    with own(OwnRedis) as redis:
        outcome = job_faults.broker_down(SimpleNamespace(server_url=postgres_server_url), redis, jobs=12,
                                         down_seconds=4, lock_seconds=3)
    assert_nothing_lost(outcome)
    assert outcome.details["jobs"]["finished"] == 12
