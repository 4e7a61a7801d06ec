"""What a database error means at the edge: a lost race is a 409, an outage a 503."""

from __future__ import annotations

import psycopg
from flowdesk.engine.errors import ConcurrentModification, DatabaseUnavailable
from flowdesk.engine.persistence import failures
from sqlalchemy import exc


def wrapped(orig: Exception) -> exc.DBAPIError:
    return exc.DBAPIError.instance("UPDATE instances ...", {}, orig, psycopg.Error)


def test_a_deadlock_or_serialization_failure_is_a_concurrent_modification():
    assert isinstance(failures.translate(wrapped(psycopg.errors.DeadlockDetected("deadlock"))), ConcurrentModification)
    assert isinstance(failures.translate(wrapped(psycopg.errors.SerializationFailure("x"))), ConcurrentModification)


def test_a_refused_connection_or_pool_timeout_is_an_outage_with_retry_after():
    refused = failures.translate(wrapped(psycopg.OperationalError("connection refused")))
    assert isinstance(refused, DatabaseUnavailable) and refused.retry_after > 0 and refused.status == 503
    assert isinstance(failures.translate(exc.TimeoutError("QueuePool limit reached")), DatabaseUnavailable)


def test_a_constraint_violation_is_neither():
    assert failures.translate(wrapped(psycopg.errors.UniqueViolation("duplicate key"))) is None
