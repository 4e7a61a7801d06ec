"""Bad input never ends in a 500: every error is a problem document with the right status."""

from __future__ import annotations

import pytest

from tests.support.client import assert_problem, make_api
from tests.support.paths import LEAVE

START = "/api/v1/definitions/leave_request/instances"
JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize("body", [b"{", b"[1,]", b"\xff\xfe", b'{"data": NaN}', b'{"data": {"a": Infinity}}',
                                  b"[" * 5000 + b"]" * 5000])
def test_malformed_json_is_400(api, body):
    assert_problem(api.post(START, "alice", content=body, headers=JSON), 400, "bad-request")


def test_a_body_of_the_wrong_media_type_is_415(api):
    assert_problem(api.post(START, "alice", content=b"data=1", headers={"Content-Type": "text/plain"}), 415)


@pytest.mark.parametrize("body,path", [
    ([], ""), ("text", ""), ({"data": 1}, "/data"), ({"data": {}, "businesskey": "x"}, "/businesskey"),
    ({"data": {}, "business_key": ""}, "/business_key"),
])
def test_a_body_that_does_not_fit_is_422_naming_where(api, body, path):
    problem = assert_problem(api.post(START, "alice", json=body), 422)
    assert path in [e["path"] for e in problem["errors"]]


def test_an_empty_body_where_one_is_required_is_422(api):
    assert_problem(api.post(START, "alice"), 422)


def test_unknown_routes_and_methods_are_problems_too(api):
    assert_problem(api.get("/api/v1/nothing-here", "alice"), 404)
    assert_problem(api.request("DELETE", "/api/v1/tasks", "alice"), 405)


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 501}, {"limit": "ten"}, {"due_before": "soon"}])
def test_bad_query_parameters_are_422_with_the_parameter_named(api, params):
    problem = assert_problem(api.get("/api/v1/tasks", "bob", params=params), 422)
    (name,) = params
    assert problem["errors"][0] == {**problem["errors"][0], "path": f"/{name}", "in": "query"}


@pytest.mark.parametrize("cursor", ["!!!", "e30", "WzEsMiwzXQ", "W251bGwsImEiXQ"])
def test_a_cursor_that_is_not_ours_is_400(api, cursor):
    assert_problem(api.get("/api/v1/tasks", "bob", params={"cursor": cursor}), 400)


def test_a_body_over_the_limit_is_413_before_it_is_read(api, tmp_path):
    small = make_api(tmp_path / "flowdesk.db", api.clock, max_body_bytes=200)
    big = {"data": {**LEAVE, "reason": "x" * 300}}
    problem = assert_problem(small.post(START, "alice", json=big), 413)
    assert "200" in problem["detail"]

    def chunks():  # no Content-Length: the limit holds while the body streams in
        yield b'{"data": {"reason": "'
        for _ in range(50):
            yield b"x" * 10
        yield b'"}}'

    assert_problem(small.post(START, "alice", content=chunks(), headers=JSON), 413)
    assert small.post(START, "alice", json={"data": LEAVE}).status_code == 201
    small.engine.close()


def test_a_wrong_content_length_is_a_bad_request(api):
    assert_problem(api.post(START, "alice", content=b"{}", headers={**JSON, "Content-Length": "abc"}), 400)


def test_nothing_is_saved_by_a_refused_request(api):
    before = api.get("/api/v1/audit/events", "erin", params={"limit": 500}).json()["items"]
    api.post(START, "alice", json={"data": {**LEAVE, "days": "six"}})
    api.post(START, "alice", content=b"{", headers=JSON)
    after = api.get("/api/v1/audit/events", "erin", params={"limit": 500}).json()["items"]
    assert after == before


def cursor_of(*key) -> str:
    import base64
    import json

    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


@pytest.mark.parametrize("path,cursor", [
    ("/api/v1/instances", cursor_of("not a time", "x")),
    ("/api/v1/instances", cursor_of({"t": "2026-01-01T00:00:00"}, "x")),  # no offset
    ("/api/v1/audit/events", cursor_of("seven")),
    ("/api/v1/audit/events", cursor_of(True)),
    ("/api/v1/users", cursor_of(7)),
    ("/api/v1/incidents", cursor_of(1, 2)),
    ("/api/v1/jobs", cursor_of([], {})),
    ("/api/v1/tasks", cursor_of(50, "x")),  # a priority cursor in a created_at inbox
])
def test_a_well_formed_cursor_of_the_wrong_kind_is_400_too(api, path, cursor):
    assert_problem(api.get(path, "root", params={"cursor": cursor}), 400)
