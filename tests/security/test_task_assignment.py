"""Tasks go only to users the model names for them (candidate group or assignee rule) and
no separation-of-duties rule excludes; the reserved name ``system`` never holds one."""

from __future__ import annotations

import pytest
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.identity.eligibility import Ineligible, eligible_for_task
from flowdesk.engine.persistence.models import Task

from tests.support.client import assert_problem
from tests.support.database import PASSWORD


def approval(api, requester="alice"):
    return api.start_leave(requester)["open_tasks"][0]["id"]


def assign(api, task, by, to):
    return api.post(f"/api/v1/tasks/{task}/assign", by, json={"username": to})


@pytest.fixture
def clerk(api):
    api.engine.identity.create_user("wanda", PASSWORD, ["employees", "warehouse"], by=SYSTEM)
    return "wanda"


def test_a_manager_cannot_hand_the_approval_to_its_requester(api):
    task = approval(api)
    assert api.post(f"/api/v1/tasks/{task}/claim", "bob").status_code == 200
    problem = assert_problem(assign(api, task, "bob", "alice"), 422)
    assert problem["errors"][0]["path"] == "/username"
    assert api.get(f"/api/v1/tasks/{task}", "bob").json()["assignee"] == "bob"
    # a requester who is a manager too is still excluded from approving their own request
    api.engine.identity.set_user_groups("dan", ["employees", "department_managers"], by=SYSTEM)
    own = approval(api, "dan")
    api.post(f"/api/v1/tasks/{own}/claim", "bob")
    problem = assert_problem(assign(api, own, "bob", "dan"), 422)
    assert "separation-of-duties" in problem["errors"][0]["message"]


def test_nobody_outside_the_candidate_groups_gets_the_task(api, clerk):
    task = approval(api)
    api.post(f"/api/v1/tasks/{task}/claim", "bob")
    assert_problem(assign(api, task, "bob", clerk), 422)
    assert_problem(assign(api, task, "root", clerk), 422)  # not even from an admin
    assert_problem(api.post(f"/api/v1/tasks/{task}/claim", clerk), 404)
    assert_problem(api.post(f"/api/v1/tasks/{task}/complete", clerk, json={"data": {"decision": "approve"}}), 404)


@pytest.mark.parametrize("name", ["system", "anonymous"])
def test_a_reserved_name_is_never_an_assignee(api, name):
    task = approval(api)
    problem = assert_problem(assign(api, task, "root", name), 422)
    assert "reserved" in problem["errors"][0]["message"]


def test_delegating_to_an_eligible_colleague_still_works(api):
    task = approval(api)
    api.post(f"/api/v1/tasks/{task}/claim", "bob")
    assert assign(api, task, "bob", "dan").json()["assignee"] == "dan"
    done = api.post(f"/api/v1/tasks/{task}/complete", "dan", json={"data": {"decision": "approve"}})
    assert done.status_code == 200, done.text


def test_a_holder_the_rules_exclude_cannot_hand_the_task_on(api, clerk):
    """A task already held by someone ineligible (assigned before this rule existed) can
    neither be completed nor passed on by them."""
    task = approval(api)
    with api.engine.transaction() as session:
        session.get(Task, task).assignee = "alice"
    assert_problem(assign(api, task, "alice", clerk), 403)
    assert_problem(api.post(f"/api/v1/tasks/{task}/complete", "alice", json={"data": {"decision": "approve"}}), 403)
    assert assign(api, task, "root", "bob").json()["assignee"] == "bob"


def test_the_rule_is_one_function_other_services_can_ask(api, clerk):
    task_id = approval(api)
    with api.engine.transaction() as session:
        task = session.get(Task, task_id)
        verdicts = {name: eligible_for_task(session, task, name) for name in ("bob", "dan", clerk, "system", "ghost")}
    assert verdicts["bob"] and verdicts["dan"]
    assert verdicts[clerk].reason == Ineligible.NOT_NAMED
    assert verdicts["system"].reason == Ineligible.RESERVED
    assert verdicts["ghost"].reason == Ineligible.UNKNOWN
    # a manager who started a leave request of their own is excluded from approving it
    api.engine.identity.set_user_groups("dan", ["employees", "department_managers"], by=SYSTEM)
    own = approval(api, "dan")
    with api.engine.transaction() as session:
        assert eligible_for_task(session, session.get(Task, own), "dan").reason == Ineligible.EXCLUDED
