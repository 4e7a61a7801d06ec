"""An instance's history reads as people say it: event types as phrases in the reader's
language, steps by their translated names, people by their display names, on whose behalf
a substitute acted; the raw facts stay beside them for auditors."""

from __future__ import annotations

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


def test_the_history_speaks_the_readers_language_with_names_instead_of_ids(api):
    api.call("PATCH", "/users/dan", "root", json={"display_name": "Dan Lee"})
    api.call("PATCH", "/users/bob", "root", json={"display_name": "Bob Stone"})
    api.call("PUT", "/me/substitute", "bob", json={"username": "dan"})
    instance = api.call("POST", "/definitions/errand/instances", "alice", expect=201, json={"data": {"title": "Stamps"}})
    (task,) = instance["open_tasks"]
    api.call("POST", f"/tasks/{task['id']}/complete", "dan", json={"data": {}})

    chinese = api.call("GET", f"/instances/{instance['id']}/history", "alice", headers=ZH)["items"]
    (done,) = [e for e in chinese if e["type"] == "task.completed"]
    assert done["title"] == "任务已完成" and done["element_name"] == "办差事"
    assert done["actor_name"] == "Dan Lee" and done["on_behalf_of"] == "Bob Stone"
    assert (done["actor"], done["element_id"], done["data"]["on_behalf_of"]) == ("dan", "do_errand", "bob")  # raw facts
    assert chinese[0]["title"] == "申请已发起" and chinese[0]["actor_name"] == "alice"  # no display name: the username

    english = api.call("GET", f"/instances/{instance['id']}/history", "alice")["items"]
    (done,) = [e for e in english if e["type"] == "task.completed"]
    assert done["title"] == "Task completed" and done["element_name"] == "Do the errand"


def test_the_engine_itself_reads_as_system_and_unknown_types_as_themselves(engine):
    from flowdesk.engine.history.readable import readable

    events = [{"type": "timer.fired", "actor": "system", "element_id": "wait", "data": {}},
              {"type": "custom.thing", "actor": "system", "element_id": None, "data": None}]
    with engine.transaction() as session:
        chinese = readable(session, events, {"wait": "等待三天"}, "zh-CN")
        english = readable(session, events, {}, "en")
    assert [(e["title"], e["actor_name"], e["element_name"]) for e in chinese] == [
        ("定时器触发", "系统", "等待三天"), ("custom.thing", "系统", None)]
    assert [(e["title"], e["actor_name"]) for e in english] == [("Timer fired", "System"), ("custom.thing", "System")]
