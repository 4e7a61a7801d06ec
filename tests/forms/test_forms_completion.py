"""Absent optional fields: filled with their `default` or null once the data is valid, so
a process can always read them (a script or gateway never meets an undefined name)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from flowdesk.engine.clock import FakeClock
from flowdesk.engine.errors import InvalidData
from flowdesk.engine.forms import parse_form

from tests.support.client import ApiClient, assert_problem, open_api

DEFINITIONS = Path(__file__).parent / "definitions"

FORM = """\
type: object
required: [decision]
properties:
  decision: {type: string, enum: [approve, reject]}
  comment: {type: string}
  priority: {type: integer, default: 3}
  tags: {type: array, items: {type: string}, default: [standard]}
  lines:
    type: array
    items:
      type: object
      required: [qty]
      properties:
        qty: {type: integer}
        remark: {$ref: "#/$defs/remark"}
  address:
    type: object
    properties:
      city: {type: string}
      country: {type: string, default: DE}
if: {properties: {decision: {const: reject}}}
then:
  required: [comment]
  properties:
    reason: {type: string, enum: [budget, scope]}
$defs:
  remark: {type: string, default: "-"}
"""


@pytest.fixture
def form():
    return parse_form("review.yaml", FORM)


def test_absent_optional_fields_get_their_default_or_null(form):
    data = {"decision": "approve", "lines": [{"qty": 1}, {"qty": 2, "remark": "rush"}], "address": {"city": "Ulm"}}
    completed = form.check(data)
    assert completed == {
        "decision": "approve", "comment": None, "priority": 3, "tags": ["standard"], "reason": None,
        "lines": [{"qty": 1, "remark": "-"}, {"qty": 2, "remark": "rush"}],
        "address": {"city": "Ulm", "country": "DE"},
    }
    assert data == {"decision": "approve", "lines": [{"qty": 1}, {"qty": 2, "remark": "rush"}],
                    "address": {"city": "Ulm"}}  # a copy: what was submitted is left as it was


def test_given_values_are_kept_and_defaults_are_copies(form):
    first = form.check({"decision": "reject", "comment": "too dear", "priority": 9})
    assert (first["comment"], first["priority"], first["address"], first["lines"]) == ("too dear", 9, None, None)
    first["tags"].append("changed")
    assert form.check({"decision": "approve"})["tags"] == ["standard"]
    assert form.schema["properties"]["tags"]["default"] == ["standard"]


def test_invalid_data_is_rejected_and_left_as_it_was(form):
    data = {"decision": "reject", "priority": "high"}
    with pytest.raises(InvalidData) as caught:
        form.check(data)
    assert {e.path for e in caught.value.errors} == {"/comment", "/priority"}
    assert data == {"decision": "reject", "priority": "high"}


def test_validate_alone_never_fills(form):
    data = {"decision": "approve", "amount": Decimal("1.50")}
    assert form.validate(data) == []
    assert data == {"decision": "approve", "amount": Decimal("1.50")}


# -- through the API: a process reads the fields its start form and task form left out ---------------
@pytest.fixture
def api(template_db: Path, tmp_path: Path) -> Iterator[ApiClient]:
    with open_api(template_db, tmp_path, FakeClock(), DEFINITIONS) as made:
        yield made


def test_a_process_reads_optional_fields_left_out_of_its_start_and_task_forms(api):
    started = api.post("/api/v1/definitions/optional_fields/instances", "alice",
                       json={"data": {"title": "Chairs", "lines": [{"qty": 2}]}})
    assert started.status_code == 201, started.text
    iid = started.json()["id"]
    instance = api.get(f"/api/v1/instances/{iid}", "erin").json()
    assert instance["status"] == "running" and instance["data"]["start_seen"] == ["Chairs", None, 3, ["-"]]
    (task,) = instance["open_tasks"]
    done = api.post(f"/api/v1/tasks/{task['id']}/complete", "alice", json={"data": {"decision": "approve"}})
    assert done.status_code == 200, done.text
    instance = api.get(f"/api/v1/instances/{iid}", "erin").json()
    assert instance["status"] == "completed", instance
    assert instance["data"]["outcome"] == "silent" and instance["data"]["comment"] is None


def test_optional_fields_that_are_given_reach_the_process_as_given(api):
    iid = api.post("/api/v1/definitions/optional_fields/instances", "alice",
                   json={"data": {"title": "Desk", "note": "for Ulm", "lines": []}}).json()["id"]
    instance = api.get(f"/api/v1/instances/{iid}", "erin").json()
    assert instance["data"]["start_seen"] == ["Desk", "for Ulm", 3, []]
    (task,) = instance["open_tasks"]
    api.post(f"/api/v1/tasks/{task['id']}/complete", "alice", json={"data": {"decision": "reject", "comment": "no"}})
    assert api.get(f"/api/v1/instances/{iid}", "erin").json()["data"]["outcome"] == "no"


def test_a_start_form_with_a_wrong_optional_field_is_still_a_422(api):
    response = api.post("/api/v1/definitions/optional_fields/instances", "alice",
                        json={"data": {"title": "Chairs", "priority": "high", "lines": []}})
    body = assert_problem(response, 422, "invalid-data")
    assert [e["path"] for e in body["errors"]] == ["/priority"]


# -- x-absent: keep, for forms where leaving a field out means "as it was" ---------------------------
KEEPING = """\
type: object
x-absent: keep
required: [action]
properties:
  action: {type: string}
  title: {type: string}
  comment: {type: string, x-absent: fill}
  lines:
    type: array
    items:
      type: object
      properties: {qty: {type: integer}, note: {type: string}}
  due: {type: string, x-absent: keep}
"""


def test_x_absent_keep_leaves_fields_out_and_fill_overrides_it_per_field():
    form = parse_form("revision.yaml", KEEPING)
    assert form.check({"action": "resubmit"}) == {"action": "resubmit", "comment": None}
    assert form.check({"action": "resubmit", "lines": [{"qty": 1}]})["lines"] == [{"qty": 1, "note": None}]
    plain = parse_form("plain.yaml", KEEPING.replace("x-absent: keep\nrequired", "required"))
    assert plain.check({"action": "go"}) == {"action": "go", "title": None, "comment": None, "lines": None}


def test_x_absent_takes_keep_or_fill_only():
    from flowdesk.engine.forms import form_problems

    problems = form_problems("revision.yaml", KEEPING.replace("x-absent: fill", "x-absent: never"))
    assert [(p.line, p.message) for p in problems] == [(7, "`x-absent` at /properties/comment must be `keep` or `fill`")]
