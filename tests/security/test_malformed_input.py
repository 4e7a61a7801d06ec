"""Malformed input anywhere in a request (NUL bytes, lone surrogates, broken encodings)
is a 4xx, never a 500: on SQLite and on PostgreSQL, whose text cannot hold a NUL."""

from __future__ import annotations

import pytest

from tests.support.client import ApiClient

PATHS = [
    "/api/v1/tasks/%00",
    "/api/v1/instances/%00abc",
    "/api/v1/instances?business_key=%00",
    "/api/v1/instances?business_key=a%00b",
    "/api/v1/tasks?definition_key=%ED%A0%80",
    "/api/v1/files/%ED%A0%80",
    "/api/v1/definitions/%C0%AF",
    "/api/v1/records/item/%00",
    "/%00",
    "/tasks/%00",
]

BODIES = [
    b'{"data": {"x": "a\\u0000b"}}',
    b'{"data": {"\\ud800": 1}}',
    b'{"data": {"x": "\\udc00"}}',
    b'{"data": {"x\\u0000": 1}}',
    b'{"data": "\\u0000"}',
    b'{"data": {"x": "\xff\xfe"}}',
    b'\x00{"data": {}}',
]


@pytest.fixture(params=["sqlite", "postgresql"])
def any_api(request, api, tmp_path) -> ApiClient:
    if request.param == "sqlite":
        return api
    from flowdesk.engine.identity import SYSTEM

    from tests.support.database import PASSWORD, USERS
    from tests.support.paths import leave_request_files

    made = make_api_on(request.getfixturevalue("postgres_url"), api.clock)
    made.engine.repository.deploy(leave_request_files(), by=SYSTEM)
    for user, groups in USERS.items():
        made.engine.identity.create_user(user, PASSWORD, groups, by=SYSTEM)
    request.addfinalizer(made.engine.close)
    return made


def make_api_on(url, clock) -> ApiClient:
    from fastapi.testclient import TestClient
    from flowdesk.api.app import create_app

    from tests.support.engines import make_engine

    engine = make_engine(url, clock)
    return ApiClient(TestClient(create_app(engine), raise_server_exceptions=False), engine, clock)


@pytest.mark.parametrize("path", PATHS)
def test_malformed_paths_and_queries_are_client_errors(any_api, path):
    response = any_api.get(path, "root")
    assert 400 <= response.status_code < 500, (response.status_code, response.text)


@pytest.mark.parametrize("body", BODIES)
def test_malformed_json_data_is_a_client_error(any_api, body):
    for path in ("/api/v1/definitions/leave_request/instances", "/api/v1/users"):
        response = any_api.post(path, "root", content=body, headers={"Content-Type": "application/json"})
        assert 400 <= response.status_code < 500, (response.status_code, response.text)


@pytest.mark.parametrize("header", [("X-Request-Id", "a\x00b"), ("Idempotency-Key", "k\x00")])
def test_nul_bytes_in_headers_are_client_errors(api, header):
    name, value = header
    response = api.post("/api/v1/definitions/leave_request/instances", "alice",
                        headers={name: value}, json={"data": {}})
    assert 400 <= response.status_code < 500


def test_nul_bytes_in_web_forms_are_client_errors(api):
    response = api.client.post("/login", data={"username": "al\x00ice", "password": "x\x00"})
    assert 400 <= response.status_code < 500
