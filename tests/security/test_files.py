"""A file is readable through the instances it was legitimately submitted to, not by
citing its id: data naming a file the submitter may not read is refused."""

from __future__ import annotations

from tests.support.client import assert_problem
from tests.support.models import one_task_process


def upload(api, user="alice", content=b"%PDF-1.7 alice's payslip"):
    response = api.post("/api/v1/files", user, files={"file": ("payslip.pdf", content, "application/pdf")})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_citing_someone_elses_file_id_in_a_start_form_gives_no_access(api):
    api.deploy(one_task_process("notes", lane="employees"))
    secret = upload(api, "alice")
    assert_problem(api.get(f"/api/v1/files/{secret}", "carol"), 404)
    started = api.post("/api/v1/definitions/notes/instances", "carol", json={"data": {"comment": secret}})
    problem = assert_problem(started, 422)
    assert problem["errors"][0]["path"] == "/comment"
    nested = api.post("/api/v1/definitions/notes/instances", "carol", json={"data": {"x": [{"y": secret}]}})
    assert assert_problem(nested, 422)["errors"][0]["path"] == "/x/0/y"
    assert_problem(api.get(f"/api/v1/files/{secret}", "carol"), 404)


def test_citing_it_when_completing_a_task_is_refused_too(api):
    api.deploy(one_task_process("notes", lane="employees"))
    secret = upload(api, "alice")
    task = api.post("/api/v1/definitions/notes/instances", "carol", json={"data": {}}).json()["open_tasks"][0]["id"]
    api.post(f"/api/v1/tasks/{task}/claim", "carol")
    assert_problem(api.post(f"/api/v1/tasks/{task}/complete", "carol", json={"data": {"file": secret}}), 422)
    assert_problem(api.get(f"/api/v1/files/{secret}", "carol"), 404)


def test_a_legitimately_submitted_file_is_read_through_its_instance(api):
    api.deploy(one_task_process("expenses", lane="employees"))
    receipt = upload(api, "alice")
    instance = api.post("/api/v1/definitions/expenses/instances", "alice", json={"data": {"receipt": receipt}}).json()
    assert_problem(api.get(f"/api/v1/files/{receipt}", "carol"), 404)  # not involved yet
    api.post(f"/api/v1/tasks/{instance['open_tasks'][0]['id']}/claim", "carol")
    assert api.get(f"/api/v1/files/{receipt}", "carol").status_code == 200
    # carol may read it now, so she may pass it on in another instance she starts
    again = api.post("/api/v1/definitions/expenses/instances", "carol", json={"data": {"copy": receipt}})
    assert again.status_code == 201, again.text


def test_a_text_that_merely_looks_like_an_id_is_fine(api):
    api.deploy(one_task_process("notes", lane="employees"))
    made_up = "0b6e7c1e-8d43-4f5e-9a51-3c8e2f1b2a90"
    assert api.post("/api/v1/definitions/notes/instances", "carol", json={"data": {"ref": made_up}}).status_code == 201
