"""Files for form fields: uploaded once, stored by content hash, read by whoever may read
an instance that refers to them."""

from __future__ import annotations

import hashlib

from tests.support.client import assert_problem, make_api
from tests.support.models import one_task_process


def upload(api, user="alice", content=b"%PDF-1.7 receipt", name="receipt.pdf", media_type="application/pdf"):
    return api.post("/api/v1/files", user, files={"file": (name, content, media_type)})


def test_an_upload_is_described_and_read_back_byte_for_byte(api):
    response = upload(api)
    assert response.status_code == 201
    meta = response.json()
    assert meta.keys() >= {"id", "name", "size", "sha256", "media_type"}
    assert (meta["name"], meta["size"], meta["media_type"]) == ("receipt.pdf", 16, "application/pdf")
    assert meta["sha256"] == hashlib.sha256(b"%PDF-1.7 receipt").hexdigest()
    got = api.get(f"/api/v1/files/{meta['id']}", "alice")
    assert got.content == b"%PDF-1.7 receipt" and got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"] == "attachment; filename*=UTF-8''receipt.pdf"
    assert got.headers["x-content-type-options"] == "nosniff"


def test_identical_content_is_stored_once_but_each_upload_has_its_own_id(api):
    first, second = upload(api).json(), upload(api, "carol", name="copy.pdf").json()
    assert first["id"] != second["id"] and first["sha256"] == second["sha256"]


def test_unsafe_names_and_media_types_are_cleaned(api):
    meta = upload(api, name="../../etc/passwd", media_type="text/html; charset=utf-8").json()
    assert meta["name"] == "passwd" and meta["media_type"] == "text/html"
    assert upload(api, media_type="not a type").json()["media_type"] == "application/octet-stream"


def test_who_may_read_a_file(api):
    api.deploy(one_task_process("expenses", lane="employees"))
    file_id = upload(api).json()["id"]
    assert_problem(api.get(f"/api/v1/files/{file_id}", "carol"), 404)  # not yet referred to anywhere
    for user in ("root", "erin"):
        assert api.get(f"/api/v1/files/{file_id}", user).status_code == 200
    instance = api.post("/api/v1/definitions/expenses/instances", "alice",
                        json={"data": {"receipt": file_id}}).json()
    assert_problem(api.get(f"/api/v1/files/{file_id}", "carol"), 404)  # a candidate, not involved yet
    api.post(f"/api/v1/tasks/{instance['open_tasks'][0]['id']}/claim", "carol")
    assert api.get(f"/api/v1/files/{file_id}", "carol").status_code == 200  # holds a task in the instance
    assert_problem(api.get(f"/api/v1/files/{file_id}", "dan"), 404)
    assert_problem(api.get("/api/v1/files/no-such-file", "root"), 404)


def test_uploads_need_one_file_in_a_multipart_body(api):
    assert_problem(api.post("/api/v1/files", "alice", json={"file": "x"}), 415)
    assert_problem(api.post("/api/v1/files", "alice", files={"other": ("a", b"x")}), 422)
    assert_problem(api.post("/api/v1/files", "alice", data={"file": "text"}, files={"x": ("a", b"")}), 422)
    assert_problem(upload(api, "erin"), 403)  # auditors change nothing


def test_an_upload_over_the_limit_is_413(api, tmp_path):
    limited = make_api(tmp_path / "flowdesk.db", api.clock, max_upload_bytes=1000, max_body_bytes=500)
    assert upload(limited, content=b"x" * 1000).status_code == 201  # uploads have their own, larger limit
    problem = assert_problem(upload(limited, content=b"x" * 1001), 413)
    assert "1000" in problem["detail"]
    assert_problem(upload(limited, content=b"x" * 200_000), 413)
    limited.engine.close()
