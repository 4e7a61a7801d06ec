"""Whatever a client sends, a malformed request is a 4xx, never a 5xx: NUL bytes and lone
surrogates in paths, query parameters and data; bodies that are not JSON, not UTF-8, of
the wrong content type; garbled and oversized headers; and, for every route of the
OpenAPI document, every body field given a value of each wrong type."""

from __future__ import annotations

import json

import pytest

from tests.support.client import api_on_url, open_api

NUL_AND_SURROGATE_PATHS = [
    "/api/v1/tasks/%00", "/api/v1/tasks/a%00b", "/api/v1/instances/%00", "/api/v1/instances/%ED%A0%80",
    "/api/v1/definitions/%00/instances", "/api/v1/tasks/%ff%fe", "/api/v1/files/%00",
]
NUL_AND_SURROGATE_QUERIES = [
    ("/api/v1/instances", {"business_key": "\x00"}), ("/api/v1/tasks", {"business_key": "a\x00b"}),
    ("/api/v1/instances", {"definition_key": "\x00"}), ("/api/v1/tasks", {"instance_id": "\x00"}),
    ("/api/v1/instances", {"cursor": "\x00"}), ("/api/v1/tasks", {"cursor": "%ED%A0%80"}),
    ("/api/v1/audit/events", {"type": "\x00"}), ("/api/v1/jobs", {"instance_id": "\x00"}),
]
BAD_BODIES = [
    (b'{"data": {"x": "a\\u0000b"}}', "application/json"),
    (b'{"data": {"\\ud800": 1}}', "application/json"),
    (b'{"data": {"x": "\\ud800"}}', "application/json"),
    (b'{"data": {"leave_type": "\\udfff"}}', "application/json"),
    (b'{"data": \xff\xfe}', "application/json"),
    (b'\xc3\x28', "application/json"),
    (b'{"data": {', "application/json"),
    (b'[' * 100_000, "application/json"),
    (b'{"data": {}}', "text/plain"),
    (b'{"data": {}}', "application/x-www-form-urlencoded"),
    (b'{"data": {}}', "multipart/form-data; boundary=x"),
    (b'{"data": {}}', "application/json; charset=latin-1"),
    (b'\x00' * 100, "application/json"),
    (b'{"data": {"days": 1e999999}}', "application/json"),
    (b'{"data": {"days": ' + b"9" * 5000 + b"}}", "application/json"),
    (b'{"data": {"x": "' + "\u00e9".encode("latin-1") + b'"}}', "application/json"),
]
WRONG_VALUES = [None, True, 0, -1, 1.5, "", "\x00", "\ud800", [], {}, [None], {"": None}, "x" * 10_000]


@pytest.fixture(scope="module")
def api(template_db, tmp_path_factory):
    with open_api(template_db, tmp_path_factory.mktemp("malformed")) as made:
        yield made


def assert_client_error(response, what):
    assert 400 <= response.status_code < 500, (what, response.status_code, response.text[:500])


@pytest.mark.parametrize("path", NUL_AND_SURROGATE_PATHS)
def test_nul_bytes_and_surrogates_in_paths_are_client_errors(api, path):
    for method in ("GET", "POST"):
        assert_client_error(api.request(method, path, "root"), path)
        assert_client_error(api.request(method, path + "/complete", "bob", json={"data": {}}), path)


@pytest.mark.parametrize("path,params", NUL_AND_SURROGATE_QUERIES)
def test_nul_bytes_and_surrogates_in_query_parameters_are_client_errors(api, path, params):
    assert_client_error(api.get(path, "root", params=params), (path, params))


@pytest.mark.parametrize("body,content_type", BAD_BODIES, ids=range(len(BAD_BODIES)))
def test_bodies_that_are_not_good_json_are_client_errors(api, body, content_type):
    task_id = api.start_leave()["open_tasks"][0]["id"]
    for path, user in (("/api/v1/definitions/leave_request/instances", "alice"),
                       (f"/api/v1/tasks/{task_id}/complete", "bob"), ("/api/v1/users", "root"),
                       ("/api/v1/messages", "ian")):
        response = api.post(path, user, content=body, headers={"Content-Type": content_type})
        assert_client_error(response, (path, body[:60], content_type))


def test_garbled_and_oversized_headers_are_client_errors(api):
    for headers in ({"Authorization": "Bearer \x01\x02"}, {"Authorization": "Bearer " + "a" * 20_000},
                    {"Authorization": "Basic Zm9vOmJhcg=="}, {"Authorization": "Bearer a.b.c"},
                    {"Idempotency-Key": "\x7f" * 10}, {"Accept-Language": "\x01" * 5000},
                    {"Idempotency-Key": "\x01"}, {"Accept-Language": "zh-CN;q=" + "9" * 5000},
                    {"Content-Type": "application/json; " + ";" * 5000}, {"Cookie": "session=\x01; " * 500},
                    {"X-Forwarded-For": "x" * 50_000}):
        response = api.client.post("/api/v1/definitions/leave_request/instances",
                                   headers={**api.headers("alice"), **headers}, json={"data": {}})
        assert_client_error(response, headers)
    raw = [(b"Authorization", b"Bearer \xff\xfe"), (b"Accept-Language", b"\xc3\x28")]
    assert_client_error(api.client.get("/api/v1/me", headers=raw), raw)


def _json_bodies(document: dict):
    """(method, path, field) for every top-level field of every JSON body in the document."""
    schemas = document["components"]["schemas"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if not content:
                continue
            ref = content["schema"].get("$ref", "")
            schema = schemas.get(ref.rsplit("/", 1)[-1], content["schema"])
            for name in schema.get("properties", {}):
                yield method.upper(), path, name


def test_every_body_field_of_every_route_given_a_wrong_type_is_a_client_error(api):
    document = api.client.get("/openapi.json").json()
    task_id = api.start_leave()["open_tasks"][0]["id"]
    instance_id = api.start_leave()["id"]
    fill = {"task_id": task_id, "instance_id": instance_id, "key": "leave_request", "username": "alice",
            "id": task_id, "incident_id": "x", "file_id": "x", "record_type": "x", "record_id": "x"}
    checked = 0
    for method, path, name in _json_bodies(document):
        concrete = path
        for placeholder, value in fill.items():
            concrete = concrete.replace("{" + placeholder + "}", value)
        concrete = concrete.split("{")[0] + "x" if "{" in concrete else concrete
        for wrong in WRONG_VALUES:
            for body in ({name: wrong}, {name: wrong, "data": {}}):
                response = api.request(method, concrete, "root", content=json.dumps(body).encode(),
                                       headers={"Content-Type": "application/json"})
                assert response.status_code < 500, (method, concrete, body, response.status_code, response.text[:300])
                checked += 1
    assert checked > 100


@pytest.mark.postgres
def test_the_reported_nul_and_surrogate_requests_are_client_errors_on_postgresql(postgres_url):
    """PostgreSQL refuses NUL in text, so there these reached the database as errors."""
    with api_on_url(postgres_url) as api:
        task_id = api.start_leave()["open_tasks"][0]["id"]
        start = "/api/v1/definitions/leave_request/instances"
        for response in (
            api.get("/api/v1/tasks/%00", "bob"), api.get("/api/v1/tasks/a%00b", "bob"),
            api.get("/api/v1/instances", "root", params={"business_key": "\x00"}),
            api.get("/api/v1/tasks", "bob", params={"business_key": "a\x00b"}),
            api.post(start, "alice", content=b'{"data": {"x": "a\\u0000b"}}', headers={"Content-Type": "application/json"}),
            api.post(start, "alice", content=b'{"\\ud800": 1}', headers={"Content-Type": "application/json"}),
            api.post(f"/api/v1/tasks/{task_id}/complete", "bob", content=b'{"data": {"comment": "a\\u0000"}}',
                     headers={"Content-Type": "application/json"}),
            api.client.post("/api/v1/auth/token", data={"username": "al\x00ice", "password": "x"}),
        ):
            assert_client_error(response, response.request.url)
        assert api.get(f"/api/v1/tasks/{task_id}", "bob").status_code == 200
