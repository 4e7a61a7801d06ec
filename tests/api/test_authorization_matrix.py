"""The contract's who-may-do-what table, endpoint by endpoint, role by role.

The scene: bob (an employee and department manager) started leave request A and holds
the approval of carol's request C; the approval of carol's request B is unassigned, so
bob is one of its candidates. A file bob uploaded is attached to an instance he started
(citing someone else's file is refused: tests/security). One instance failed with an incident. Each row says what each kind of user
gets: employee (bob), designer, auditor, admin, integration account, anonymous.
Refusals of users (403) are audited as access.denied; anonymous ones (401) are counted.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flowdesk.engine.clock import FakeClock
from flowdesk.engine.identity import SYSTEM

from tests.support.client import make_api
from tests.support.database import copy_database
from tests.support.models import one_task_process, script_process
from tests.support.paths import LEAVE

ROLES = ("bob", "dave", "erin", "root", "ian", None)
COLUMNS = ("employee", "designer", "auditor", "admin", "integration", "anonymous")

# (method, path, body, expected status per role); {A}, {B_task}, ... are filled from the scene.
READS = [
    ("GET", "/api/v1/me", None, (200, 200, 200, 200, 200, 401)),
    ("GET", "/api/v1/users", None, (403, 200, 200, 200, 403, 401)),
    ("GET", "/api/v1/users/bob", None, (200, 200, 200, 200, 403, 401)),
    ("GET", "/api/v1/definitions", None, (200, 200, 200, 200, 200, 401)),
    ("GET", "/api/v1/definitions/leave_request", None, (200, 200, 200, 200, 200, 401)),
    ("GET", "/api/v1/definitions/leave_request/bpmn", None, (200, 200, 200, 200, 200, 401)),
    ("GET", "/api/v1/definitions/leave_request/diagram.svg", None, (200, 200, 200, 200, 200, 401)),
    ("GET", "/api/v1/instances", None, (200, 403, 200, 200, 200, 401)),
    ("GET", "/api/v1/instances/{A}", None, (200, 403, 200, 200, 404, 401)),
    ("GET", "/api/v1/instances/{A}/history", None, (200, 403, 200, 200, 404, 401)),
    ("GET", "/api/v1/instances/{A}/diagram.svg", None, (200, 403, 200, 200, 404, 401)),
    ("GET", "/api/v1/instances/{mine_ian}", None, (404, 403, 200, 200, 200, 401)),
    ("GET", "/api/v1/tasks", None, (200, 200, 403, 200, 403, 401)),
    ("GET", "/api/v1/tasks/{B_task}", None, (200, 404, 403, 200, 403, 401)),
    ("GET", "/api/v1/files/{file}", None, (200, 404, 200, 200, 404, 401)),
    ("GET", "/api/v1/audit/events", None, (403, 403, 200, 200, 403, 401)),
    ("GET", "/api/v1/incidents", None, (403, 200, 200, 200, 403, 401)),
    ("GET", "/api/v1/jobs", None, (403, 200, 200, 200, 403, 401)),
    ("GET", "/metrics", None, (403, 200, 200, 200, 403, 401)),
    ("GET", "/api/v1/health", None, (200, 200, 200, 200, 200, 200)),
]
WRITES = [
    ("POST", "/api/v1/deployments", "deployment", (403, 201, 403, 201, 403, 401)),
    ("POST", "/api/v1/definitions/leave_request/instances", {"data": LEAVE}, (201, 403, 403, 403, 201, 401)),
    ("POST", "/api/v1/definitions/free/instances", {}, (201, 201, 403, 201, 201, 401)),
    ("POST", "/api/v1/instances/{A}/cancel", {"reason": "no longer needed"}, (200, 403, 403, 200, 403, 401)),
    ("POST", "/api/v1/tasks/{B_task}/claim", None, (200, 404, 403, 403, 403, 401)),
    ("POST", "/api/v1/tasks/{C_task}/unclaim", None, (200, 404, 403, 200, 403, 401)),
    ("POST", "/api/v1/tasks/{C_task}/assign", {"username": "dan"}, (200, 403, 403, 200, 403, 401)),
    ("POST", "/api/v1/tasks/{B_task}/complete", {"data": {"decision": "approve"}}, (200, 404, 403, 403, 403, 401)),
    ("POST", "/api/v1/signals", {"name": "anything"}, (403, 403, 403, 200, 200, 401)),
    ("POST", "/api/v1/users", {"username": "newbie", "password": "long-enough"}, (403, 403, 403, 201, 403, 401)),
    ("PUT", "/api/v1/users/alice/groups", {"groups": ["employees"]}, (403, 403, 403, 200, 403, 401)),
    ("POST", "/api/v1/files", "upload", (201, 201, 403, 201, 201, 401)),
    ("POST", "/api/v1/incidents/{incident}/retry", None, (403, 403, 403, 200, 403, 401)),
    ("POST", "/api/v1/incidents/retry", {"ids": ["unknown"]}, (403, 403, 403, 200, 403, 401)),
]


def cases(rows):
    for method, path, body, expected in rows:
        for role, column, status in zip(ROLES, COLUMNS, expected, strict=True):
            yield pytest.param(method, path, body, role, status, id=f"{method} {path} as {column}")


@pytest.fixture(scope="session")
def scene(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("scene") / "flowdesk.db"
    api = make_api(copy_database(template_db, path), FakeClock())
    e = api.engine
    e.repository.deploy([script_process("free", "x = 1"), script_process("broken", "x = 1 / 0"),
              one_task_process("spare", lane="employees")], by=SYSTEM)
    ids = {"A": e.instances.start_instance("leave_request", LEAVE, by=e.identity.actor("bob"))["id"]}
    b = e.instances.start_instance("leave_request", LEAVE, by=e.identity.actor("carol"))
    c = e.instances.start_instance("leave_request", LEAVE, by=e.identity.actor("carol"))
    ids["B_task"], ids["C_task"] = b["open_tasks"][0]["id"], c["open_tasks"][0]["id"]
    e.tasks.claim_task(ids["C_task"], by=e.identity.actor("bob"))
    ids["file"] = e.records.upload_file("receipt.pdf", "application/pdf", b"%PDF", by=e.identity.actor("bob"))["id"]
    e.instances.start_instance("free", {"receipt": ids["file"]}, by=e.identity.actor("bob"))
    ids["mine_ian"] = e.instances.start_instance("free", {}, by=e.identity.actor("ian"))["id"]
    e.instances.start_instance("broken", {}, by=SYSTEM)
    ids["incident"] = e.management.list_incidents(by=SYSTEM).items[0]["id"]
    e.close()
    return path, ids


def call(api, ids, method, path, body, role):
    kwargs = {}
    if body == "deployment":
        spare = one_task_process("fresh", lane="employees")
        kwargs["files"] = [("files", (spare.name, spare.content))]
    elif body == "upload":
        kwargs["files"] = {"file": ("a.txt", b"hello", "text/plain")}
    elif body is not None:
        kwargs["json"] = body
    return api.request(method, path.format(**ids), role, **kwargs)


def last_denial(api) -> int:
    page = api.engine.history.audit_events(by=SYSTEM, type="access.denied", limit=500)
    while page.next_cursor:
        page = api.engine.history.audit_events(by=SYSTEM, type="access.denied", limit=500, cursor=page.next_cursor)
    return page.items[-1]["seq"] if page.items else 0


def check(api, before, response, status, anonymous_before):
    assert response.status_code == status, response.text
    if status in (401, 403):
        assert response.headers["content-type"].startswith("application/problem+json")
    if status == 403:
        assert last_denial(api) > before, "the refusal was not audited"
    if status == 401:  # counted, and only sampled into the audit trail (tests/security)
        assert api.engine.identity.anonymous_refusals.total > anonymous_before, "the refusal was not counted"


@pytest.fixture(scope="module")
def shared(scene, tmp_path_factory):
    path = tmp_path_factory.mktemp("shared") / "flowdesk.db"
    api = make_api(copy_database(scene[0], path), FakeClock())
    with api.client:
        yield api, scene[1]
    api.engine.close()


@pytest.mark.parametrize("method,path,body,role,status", list(cases(READS)))
def test_reading(shared, method, path, body, role, status):
    api, ids = shared
    before, anonymous = last_denial(api), api.engine.identity.anonymous_refusals.total
    response = call(api, ids, method, path, body, role)
    check(api, before, response, status, anonymous)


@pytest.mark.parametrize("method,path,body,role,status", list(cases(WRITES)))
def test_acting(scene, tmp_path, method, path, body, role, status):
    db = tmp_path / "flowdesk.db"
    api = make_api(copy_database(scene[0], db), FakeClock())
    with api.client:
        response = call(api, scene[1], method, path, body, role)
        check(api, 0, response, status, 0)
    api.engine.close()
