"""The inbox is a union of "assigned to me" and "my groups, unassigned": same
answers as before, from index-driven branches."""

from __future__ import annotations

from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.instances.tasks import InboxQuery
from sqlalchemy import event

from tests.support.models import one_task_process


def test_the_inbox_is_the_union_of_mine_and_my_groups_unassigned(engine):
    engine.identity.create_user("cleo", "password1", ["clerks", "buyers"], by=SYSTEM)
    engine.identity.create_user("ada", "password1", ["admin"], by=SYSTEM)
    engine.identity.create_user("olga", "password1", ["clerks"], by=SYSTEM)
    cleo, olga = engine.identity.actor("cleo"), engine.identity.actor("olga")
    engine.repository.deploy([
        one_task_process(key="clerk_work", lane="clerks"),
        one_task_process(key="both_groups", lane="clerks", candidateGroups="clerks,buyers"),
        one_task_process(key="others", lane="finance"),
    ], by = SYSTEM)
    ids = {key: engine.instances.start_instance(key, {}, by=SYSTEM)["open_tasks"][0]["id"]
           for key in ("clerk_work", "both_groups", "others")}
    claimed_by_olga = engine.instances.start_instance("clerk_work", {}, by=SYSTEM)["open_tasks"][0]["id"]
    engine.tasks.claim_task(claimed_by_olga, by=olga)
    assigned_to_cleo = engine.instances.start_instance("clerk_work", {}, by=SYSTEM)["open_tasks"][0]["id"]
    engine.tasks.assign_task(assigned_to_cleo, "cleo", by=engine.identity.actor("ada"))

    statements: list[str] = []
    event.listen(engine.db.engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *rest: statements.append(statement))
    inbox = [t["id"] for t in engine.tasks.inbox(by=cleo).items]
    query = next(s for s in statements if "FROM tasks" in s)
    assert "UNION" in query and " OR " not in query

    # a task with two of cleo's groups appears once; olga's claim and finance's task are hidden
    assert sorted(inbox) == sorted([ids["clerk_work"], ids["both_groups"], assigned_to_cleo])
    assert [t["id"] for t in engine.tasks.inbox(InboxQuery(assignee="me"), by=cleo).items] == [assigned_to_cleo]
    assert sorted(t["id"] for t in engine.tasks.inbox(InboxQuery(assignee="unassigned"), by=cleo).items) == sorted(
        [ids["clerk_work"], ids["both_groups"]])
    assert [t["id"] for t in engine.tasks.inbox(InboxQuery(assignee="me"), by=olga).items] == [claimed_by_olga]
    assert [t["id"] for t in engine.tasks.inbox(InboxQuery(definition_key="both_groups"), by=cleo).items] == [ids["both_groups"]]
    first = engine.tasks.inbox(InboxQuery(limit=2), by=cleo).items
    assert len(first) == 2

    done = engine.tasks.complete_task(ids["clerk_work"], {}, by=cleo)
    assert done["task"]["status"] == "completed"
    assert ids["clerk_work"] not in [t["id"] for t in engine.tasks.inbox(by=cleo).items]
