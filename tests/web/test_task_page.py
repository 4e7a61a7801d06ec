"""A task page made for the person doing the task: the facts the process declares for it,
never the engine's raw variables, which only auditors and admins may open."""

from __future__ import annotations

from flowdesk.engine.identity import SYSTEM

from tests.support.browser import Browser, start_requisition, task_ids


def _approval_page(browser: Browser, other_browser: Browser) -> tuple[str, str]:
    browser.login("alice")
    start_requisition(browser)  # 1,560 EUR: a department manager approves
    other_browser.login("bob")
    (task_id,) = task_ids(other_browser.get("/").text)
    return task_id, other_browser.get(f"/tasks/{task_id}").text


def test_an_approver_sees_the_summary_not_the_process_variables(browser: Browser, other_browser: Browser) -> None:
    _task_id, page = _approval_page(browser, other_browser)
    assert "spiff__" not in page and "approval_levels" not in page and "requisition_lines" not in page
    assert "Ergonomic chairs for support" in page and "<dd>alice</dd>" in page  # title and requester
    assert "€1,560.00" in page  # the total with its currency
    assert "Ergonomic task chair" in page and '<th scope="col">Unit price</th>' in page  # the lines as a table
    assert '<td class="num">€390.00</td>' in page


def test_the_requester_reworking_a_request_sees_why_it_came_back_in_chinese(browser: Browser,
                                                                            other_browser: Browser) -> None:
    task_id, _page = _approval_page(browser, other_browser)
    other_browser.post(f"/tasks/{task_id}", {"f.decision": "return_for_rework", "f.comment": "Two chairs are enough"},
                       csrf_from=f"/tasks/{task_id}")
    browser.run_jobs()
    (revise,) = task_ids(browser.get("/").text)
    page = browser.get(f"/tasks/{revise}", headers={"Accept-Language": "zh-CN"}).text
    assert "spiff__" not in page and "revision_reason" not in page
    assert "退回原因" in page and "Two chairs are enough" in page and "采购申请单号" in page
    assert "采购到付款" in page and "procure_to_pay" not in page  # the process by its name, not its key


def test_the_all_data_switch_is_for_admins_only(browser: Browser, other_browser: Browser) -> None:
    task_id, page = _approval_page(browser, other_browser)
    assert "data=all" not in page
    assert other_browser.get(f"/tasks/{task_id}?data=all").status_code == 403
    other_browser.login("admin")
    page = other_browser.get(f"/tasks/{task_id}").text
    assert f'href="/tasks/{task_id}?data=all"' in page and "<dt>requisition_lines</dt>" not in page
    raw = other_browser.get(f"/tasks/{task_id}?data=all")
    assert raw.status_code == 200 and "<dt>requisition_lines</dt>" in raw.text


def test_the_requester_sees_no_raw_data_on_the_request_page(browser: Browser) -> None:
    browser.login("alice")
    location = start_requisition(browser).headers["location"]
    page = browser.get(location.split("?")[0]).text
    assert "requisition_lines" not in page and 'class="json"' not in page


def test_every_user_task_of_the_shipped_processes_declares_its_summary(web_engine) -> None:
    from flowdesk.engine.config import shipped_definitions
    from flowdesk.engine.identity.actors import SYSTEM

    infos = web_engine.repository.validate(list(shipped_definitions()), by=SYSTEM)
    bare = [f"{info.key}:{task.element_id}" for info in infos for task in info.human_tasks.values()
            if not task.summary]
    internal = [entry["path"] for info in infos for task in info.human_tasks.values() for entry in task.summary
                if entry["path"].startswith("spiff")]
    assert not internal
    assert not bare


HELPER = """process: helper_wait
name: Wait for the goods
messages:
  goods_arrived: {}
steps:
  - receive: arrived
    message: goods_arrived
"""
CALLER = """process: calls_helper
name: Ask and wait
steps:
  - call: wait
    process: helper_wait
"""
MESSAGE_ONLY = """process: on_message_only
name: Started by a message
messages:
  order_placed: {}
start:
  message: order_placed
steps:
  - script: note
    code: noted = True
"""


def test_the_start_list_offers_only_processes_people_start(browser: Browser, tmp_path) -> None:
    from flowdesk.engine.identity.actors import SYSTEM

    for name, text in (("helper_wait", HELPER), ("calls_helper", CALLER), ("on_message_only", MESSAGE_ONLY)):
        (tmp_path / f"{name}.yaml").write_text(text)
    browser.engine.repository.deploy([tmp_path], by=SYSTEM)
    browser.login("alice")
    page = browser.get("/processes").text
    assert "/processes/calls_helper/start" in page and "/processes/procure_to_pay/start" in page
    assert "/processes/helper_wait/start" not in page and "/processes/on_message_only/start" not in page
    assert browser.get("/processes/helper_wait/start").status_code == 409
    listed = {d["key"]: d["started_by_people"]
              for d in browser.engine.repository.list_definitions(by=SYSTEM, limit=100).items}
    assert listed["helper_wait"] is False and listed["on_message_only"] is False and listed["calls_helper"] is True


def test_the_inbox_shows_title_amount_and_requester_and_finds_part_of_a_document_number(
        browser: Browser, other_browser: Browser) -> None:
    browser.login("alice")
    start_requisition(browser)
    other_browser.login("bob")
    inbox = other_browser.get("/").text
    assert "Ergonomic chairs for support" in inbox and "€1,560.00" in inbox and "<td data-label=\"Requester\">alice</td>" in inbox
    (task_id,) = task_ids(inbox)
    assert task_ids(other_browser.get("/?business_key=pr-2026-0000").text) == [task_id]  # part of PR-2026-000001, any case
    assert task_ids(other_browser.get("/?business_key=PO-2026").text) == []
    chinese = other_browser.get("/", headers={"Accept-Language": "zh-CN"}).text
    assert "申请人" in chinese and "金额" in chinese


def test_giving_a_task_back_to_its_group_is_not_called_like_sending_it_back_to_the_requester(
        browser: Browser, other_browser: Browser) -> None:
    task_id, _page = _approval_page(browser, other_browser)
    other_browser.post(f"/tasks/{task_id}/claim", {"next": "/"}, csrf_from="/")
    english = other_browser.get(f"/tasks/{task_id}").text
    assert "Give back to group" in english and "Return for rework" in english
    chinese = other_browser.get(f"/tasks/{task_id}", headers={"Accept-Language": "zh-CN"}).text
    assert "放回组任务" in chinese and "退回修改" in chinese and ">退回<" not in chinese
    assert "放回组任务" in other_browser.get("/?assignee=me", headers={"Accept-Language": "zh-CN"}).text


def test_a_withdrawn_request_is_shown_and_counted_as_withdrawn_not_completed(browser: Browser,
                                                                              other_browser: Browser) -> None:
    task_id, _page = _approval_page(browser, other_browser)
    other_browser.post(f"/tasks/{task_id}", {"f.decision": "return_for_rework", "f.comment": "Is this needed at all?"},
                       csrf_from=f"/tasks/{task_id}")
    browser.run_jobs()
    (revise,) = task_ids(browser.get("/").text)
    alice = browser.engine.identity.actor("alice")
    browser.engine.tasks.complete_task(revise, {"revision_action": "withdraw",
                                                "revision_comment": "Facilities found spare chairs."}, by=alice)
    browser.run_jobs()
    (instance,) = browser.engine.instances.list_instances(by=alice, started_by="alice").items
    assert instance["status"] == "cancelled" and instance["withdrawn"] is True
    mine = browser.get("/requests").text
    assert 'class="badge st-withdrawn">withdrawn<' in mine and "Withdrawn: 1" in mine and "Completed: 0" in mine
    chinese = browser.get("/requests", headers={"Accept-Language": "zh-CN"}).text
    assert "已撤回：1" in chinese  # noqa: RUF001 (the Chinese colon is the text)
    assert 'st-withdrawn">withdrawn<' in browser.get(f"/instances/{instance['id']}").text
    # its diagram marks the end it reached
    states = browser.engine.instances.instance_diagram(instance["id"], by=alice).states
    assert states["cancelled"] == "completed"
    # script tasks and the start leave no event; the path through them is marked all the same
    assert states["requisition_submitted"] == states["receive_requisition"] == states["withdrawn"] == "completed"
    assert "resubmitted" not in states and "auto_reject" not in states  # branches not taken


CHECKED_ENTRY = """process: checked_entry
name: Checked entry
lanes: {staff: employees}
start: {id: begin, lane: staff}
steps:
  - user: enter_amount
    lane: staff
    form: checked_amount
    assignee: ${starter}
    summary:
      - {path: problem, label: What to fix, label_i18n: {zh-CN: 需要修改的问题}}
  - exclusive: amount_ok
    branches:
      - {if: amount > 100, to: too_much}
    default: done
  - script: too_much
    code: |
      problem = "at most 100, please"
    next: enter_amount
  - end: done
"""
CHECKED_AMOUNT = """title: Amount
type: object
required: [amount]
properties:
  amount: {title: Amount, type: integer}
  note: {title: Note, type: string}
"""


def test_a_task_the_process_gives_back_says_so_and_keeps_the_input(browser: Browser, tmp_path) -> None:
    from flowdesk.engine.identity.actors import SYSTEM

    (tmp_path / "checked_entry.yaml").write_text(CHECKED_ENTRY)
    (tmp_path / "checked_amount.yaml").write_text(CHECKED_AMOUNT)
    browser.engine.repository.deploy([tmp_path], by=SYSTEM)
    browser.login("alice")
    started = browser.post("/processes/checked_entry/start", {}, csrf_from="/processes/checked_entry/start")
    task_id = started.headers["location"].split("?")[0].rsplit("/", 1)[-1]
    answer = browser.post(f"/tasks/{task_id}", {"f.amount": "250", "f.note": "for the team offsite"},
                          csrf_from=f"/tasks/{task_id}")
    assert answer.status_code == 303 and answer.headers["location"].endswith("?notice=sent_back")
    page = browser.get(answer.headers["location"]).text
    assert "Task completed." not in page and 'class="notice warning"' in page and "gave this task back" in page
    assert "at most 100, please" in page and 'value="250"' in page and 'value="for the team offsite"' in page
    fixed = browser.post(answer.headers["location"].split("?")[0], {"f.amount": "90"},
                         csrf_from=answer.headers["location"])
    assert fixed.headers["location"] == "/?notice=completed"


def test_the_requesters_instance_page_names_the_process_and_the_waiting_task_in_chinese(
        browser: Browser, other_browser: Browser) -> None:
    browser.login("alice")
    start_requisition(browser)
    instance_id = browser.engine.instances.list_instances(by=SYSTEM, limit=1).items[0]["id"]
    page = browser.get(f"/instances/{instance_id}", headers={"Accept-Language": "zh-CN"}).text
    waiting = page.split("等待", 1)[1].split("</dd>", 1)[0]  # the "waiting for" line
    assert "部门审批" in waiting and "Approve" not in waiting
    assert "<h1>采购到付款" in page
