"""The external services some tests need: PostgreSQL, Redis, RabbitMQ.

Their URLs come from FLOWDESK_TEST_POSTGRES_URL, FLOWDESK_TEST_REDIS_URL and
FLOWDESK_TEST_RABBITMQ_URL. Locally a test is skipped with a reason when its service is
absent; under CI (CI=true) that is a failure, so a green CI run really exercised them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text

IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> None:
    """Skip the test, or fail it under CI, where everything must run."""
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)


def require_service(env_var: str, what: str) -> str:
    url = os.environ.get(env_var)
    if not url:
        if IN_CI:
            pytest.fail(f"{env_var} is not set: CI must run the {what} tests")
        pytest.skip(f"{what} not configured ({env_var} unset)")
    return url


def reachable(env_var: str, what: str, probe: Callable[[str], object]) -> str:
    """The service's URL once `probe(url)` answered; skipped (failed in CI) otherwise."""
    url = require_service(env_var, what)
    try:
        probe(url)
    except Exception as err:
        unavailable(f"{what} at {url} is not reachable: {err}")
    return url


def _psycopg(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def _select_one(url: str) -> None:
    probe = create_engine(_psycopg(url))
    try:
        with probe.connect() as conn:
            conn.execute(text("SELECT 1"))
    finally:
        probe.dispose()


def _ping_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url, socket_connect_timeout=2).ping()


def _connect_amqp(url: str) -> None:
    from kombu import Connection

    with Connection(url, connect_timeout=3) as connection:
        connection.ensure_connection(max_retries=1)


def postgres_server() -> str:
    return reachable("FLOWDESK_TEST_POSTGRES_URL", "PostgreSQL", _select_one)


def redis_server() -> str:
    return reachable("FLOWDESK_TEST_REDIS_URL", "Redis", _ping_redis)


def rabbitmq_server() -> str:
    return reachable("FLOWDESK_TEST_RABBITMQ_URL", "RabbitMQ", _connect_amqp)


@contextmanager
def fresh_postgres_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server, dropped afterwards."""
    admin = create_engine(_psycopg(server_url), isolation_level="AUTOCOMMIT")
    name = f"flowdesk_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = server_url.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
