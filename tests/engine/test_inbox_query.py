"""The inbox is a union of "assigned to me" and "my groups, unassigned" (issue 9): same
answers as before, from index-driven branches."""

from __future__ import annotations

from flowdesk.engine.identity.users import SYSTEM
from flowdesk.engine.instances.tasks import InboxQuery
from sqlalchemy import event

from tests.models import one_task_process


def test_the_inbox_is_the_union_of_mine_and_my_groups_unassigned(engine):
    engine.create_user("cleo", "password1", ["clerks", "buyers"])
    engine.create_user("ada", "password1", ["admin"])
    engine.create_user("olga", "password1", ["clerks"])
    cleo, olga = engine.actor("cleo"), engine.actor("olga")
    engine.deploy([
        one_task_process(key="clerk_work", lane="clerks"),
        one_task_process(key="both_groups", lane="clerks", candidateGroups="clerks,buyers"),
        one_task_process(key="others", lane="finance"),
    ])
    ids = {key: engine.start_instance(key, {}, SYSTEM)["open_tasks"][0]["id"]
           for key in ("clerk_work", "both_groups", "others")}
    claimed_by_olga = engine.start_instance("clerk_work", {}, SYSTEM)["open_tasks"][0]["id"]
    engine.claim_task(claimed_by_olga, olga)
    assigned_to_cleo = engine.start_instance("others", {}, SYSTEM)["open_tasks"][0]["id"]
    engine.assign_task(assigned_to_cleo, engine.actor("ada"), "cleo")

    statements: list[str] = []
    event.listen(engine.db.engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *rest: statements.append(statement))
    inbox = [t["id"] for t in engine.inbox(cleo)]
    query = next(s for s in statements if "FROM tasks" in s)
    assert "UNION" in query and " OR " not in query

    # a task with two of cleo's groups appears once; olga's claim and finance's task are hidden
    assert sorted(inbox) == sorted([ids["clerk_work"], ids["both_groups"], assigned_to_cleo])
    assert [t["id"] for t in engine.inbox(cleo, InboxQuery(assignee="me"))] == [assigned_to_cleo]
    assert sorted(t["id"] for t in engine.inbox(cleo, InboxQuery(assignee="unassigned"))) == sorted(
        [ids["clerk_work"], ids["both_groups"]])
    assert [t["id"] for t in engine.inbox(olga, InboxQuery(assignee="me"))] == [claimed_by_olga]
    assert [t["id"] for t in engine.inbox(cleo, InboxQuery(definition_key="both_groups"))] == [ids["both_groups"]]
    first = engine.inbox(cleo, InboxQuery(limit=2))
    assert len(first) == 2

    done = engine.complete_task(ids["clerk_work"], cleo, {})
    assert done["task"]["status"] == "completed"
    assert ids["clerk_work"] not in [t["id"] for t in engine.inbox(cleo)]
