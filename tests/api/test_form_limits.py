"""Bounded form validation through the API: a number with more digits than a form takes is
a 422 field error at its JSON Pointer (it is valid JSON), never a 400 or a 500; data too
large or too wrong is refused quickly, with a capped list of errors."""

from __future__ import annotations

import time

from tests.support.client import assert_problem
from tests.support.paths import LEAVE

START = "/api/v1/definitions/leave_request/instances"
JSON = {"Content-Type": "application/json"}


def test_a_number_with_thousands_of_digits_is_a_field_error(api):
    for digits in (101, 5000, 100_000):  # 5,000 is past Python's int conversion limit
        body = '{"data": {"leave_type": "vacation", "start_date": "2026-12-01", "end_date": "2026-12-08", ' \
               f'"days": {"9" * digits}}}}}'
        problem = assert_problem(api.post(START, "alice", content=body.encode(), headers=JSON), 422)
        assert {"path": "/days", "message": "must have at most 100 digits"}.items() <= problem["errors"][0].items()
    problem = assert_problem(api.post(START, "alice", json={"data": {**LEAVE, "days": 1e300}}), 422)
    assert problem["errors"][0]["path"] == "/days"


def test_too_much_data_is_one_quick_error(api):
    started = time.perf_counter()
    problem = assert_problem(api.post(START, "alice", json={"data": {**LEAVE, "reason": ["x"] * 100_000}}), 422)
    assert time.perf_counter() - started < 3
    assert problem["errors"] == [{"path": "", "message": "has more than 20,000 values, more than a form accepts"}]


def test_many_invalid_values_give_a_capped_list_of_errors(api):
    data = {**LEAVE, **{f"extra_{i}": i for i in range(600)}}
    problem = assert_problem(api.post(START, "alice", json={"data": data}), 422)
    assert len(problem["errors"]) == 101
    assert problem["errors"][-1] == {"path": "", "message": "and 500 more problems"}
    data = {**LEAVE, **{f"extra_{i}": i for i in range(5000)}}
    problem = assert_problem(api.post(START, "alice", json={"data": data}), 422)
    assert problem["errors"][-1] == {"path": "", "message": "and more than 1,000 more problems"}
