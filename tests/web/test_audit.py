"""Auditors' pages: instance search, the instance page with diagram and timeline, chain status, exports."""

from __future__ import annotations

import csv
import io
import json

from tests.support.browser import Browser, start_requisition, task_ids


def _approved_request(browser: Browser, other_browser: Browser) -> str:
    browser.login("alice")
    response = start_requisition(browser, business_key="CHAIRS-1")
    instance_id = response.headers["location"].split("/")[2].split("?")[0]
    other_browser.login("bob")
    (task_id,) = task_ids(other_browser.get("/").text)
    other_browser.post(f"/tasks/{task_id}", {"f.decision": "approve"}, csrf_from=f"/tasks/{task_id}")
    return instance_id


def test_instance_search_by_business_key_status_user_and_dates(browser: Browser, other_browser: Browser,
                                                               ) -> None:
    instance_id = _approved_request(browser, other_browser)
    browser.login("erin")
    for query in ("business_key=CHAIRS-1", "status=running&started_by=alice", "definition_key=procure_to_pay",
                  "since=2026-01-01&until=2026-01-31", "involved=bob", "involved=bob&status=running"):
        page = browser.get(f"/audit/instances?{query}").text
        assert f'href="/instances/{instance_id}"' in page, query
    assert instance_id not in browser.get("/audit/instances?business_key=OTHER").text
    assert instance_id not in browser.get("/audit/instances?since=2026-02-01").text
    assert instance_id not in browser.get("/audit/instances?involved=carol").text
    assert instance_id not in browser.get("/audit/instances?involved=bob&status=completed").text


def test_the_instance_page_marks_the_diagram_and_shows_the_timeline_with_changes(browser: Browser,
                                                                                 other_browser: Browser) -> None:
    instance_id = _approved_request(browser, other_browser)
    browser.login("erin")
    page = browser.get(f"/instances/{instance_id}").text
    assert "<svg" in page and "completed" in page
    assert "task.completed" in page and "by bob" in page
    assert "/decision" in page  # the data change the approval made
    assert f"/audit/export?format=csv&amp;instance_id={instance_id}" in page


def test_the_audit_page_shows_the_chain_status_and_exports_stream(browser: Browser, other_browser: Browser) -> None:
    instance_id = _approved_request(browser, other_browser)
    browser.login("erin")
    page = browser.get("/audit?actor_name=bob").text
    assert "task.completed" in page
    # The whole log is verified on request (it reads every event); one instance's chain always.
    assert "Intact: " not in page and "verify=all" in page
    assert "Intact: " in browser.get("/audit?actor_name=bob&verify=all").text
    assert "Intact: " in browser.get(f"/audit?instance_id={instance_id}").text
    exported = browser.get(f"/audit/export?format=csv&instance_id={instance_id}")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert rows and {r["instance_id"] for r in rows} == {instance_id}
    lines = browser.get(f"/audit/export?format=jsonl&instance_id={instance_id}").text.splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [int(r["seq"]) for r in rows]
    by_key = browser.get("/audit/export?format=jsonl&business_key=CHAIRS-1").text.splitlines()
    assert {json.loads(line)["instance_id"] for line in by_key} == {instance_id}


def test_employees_may_not_export(browser: Browser) -> None:
    browser.login("alice")
    assert browser.get("/audit/export?format=csv").status_code == 403


def test_instance_search_and_audit_trail_by_any_part_of_a_document_number(browser: Browser,
                                                                         other_browser: Browser) -> None:
    from flowdesk.engine.persistence.models import Record, RecordLink
    from sqlalchemy import select

    instance_id = _approved_request(browser, other_browser)
    with browser.engine.transaction() as session:
        numbers = list(session.scalars(select(Record.number).join(RecordLink, RecordLink.record_id == Record.id)
                                       .where(RecordLink.instance_id == instance_id)))
    assert numbers, "the requisition's records (PR, PO) are linked to it"
    browser.login("erin")
    for fragment in ("chairs", numbers[0][:-2].lower(), numbers[-1]):
        assert f'href="/instances/{instance_id}"' in browser.get(f"/audit/instances?document={fragment}").text
        assert instance_id in browser.get(f"/audit?document={fragment}").text
    assert instance_id not in browser.get("/audit/instances?document=INV-1999").text
    exported = browser.get("/audit/export?format=csv&bom=1&document=chairs")
    assert exported.content.startswith(b"\xef\xbb\xbf") and instance_id in exported.text
