"""The task page and the inbox for working together: comments, attachments, drafts,
delegation, saved filters, and file fields in forms."""

from __future__ import annotations

from flowdesk.web import forms

from tests.support.browser import Browser, start_requisition, task_ids


def approval_task(browser: Browser, other_browser: Browser) -> str:
    browser.login("alice")
    start_requisition(browser)
    other_browser.login("bob")
    (task_id,) = task_ids(other_browser.get("/").text)
    return task_id


def test_comments_and_attachments_on_the_task_page_show_to_those_who_may_read_the_request(browser, other_browser):
    task_id = approval_task(browser, other_browser)
    page = f"/tasks/{task_id}"
    assert other_browser.post(f"{page}/comments", {"text": "Are four chairs enough?"}, csrf_from=page).status_code == 303
    attached = other_browser.post(f"{page}/attachments", csrf_from=page,
                                  files={"file": ("quote.pdf", b"%PDF quote", "application/pdf")})
    assert attached.status_code == 303
    shown = other_browser.get(page).text
    assert "Are four chairs enough?" in shown and "quote.pdf" in shown
    assert "Are four chairs enough?" in browser.get(page).text  # alice started the request
    browser.post("/logout", {}, csrf_from="/")
    browser.login("carol")  # hr: not involved
    assert browser.get(page).status_code == 404


def test_a_draft_is_kept_for_its_author_and_fills_the_form_again(browser, other_browser):
    task_id = approval_task(browser, other_browser)
    page = f"/tasks/{task_id}"
    saved = other_browser.post(page, {"f.decision": "reject", "f.comment": "half written", "_action": "draft"},
                               csrf_from=page)
    assert saved.status_code == 303 and saved.headers["location"].endswith("notice=draft_saved")
    again = other_browser.get(page).text
    assert "half written" in again and 'value="reject" checked' in again
    assert "half written" not in browser.get(page).text  # alice sees the task, not bob's draft


def test_delegating_to_someone_who_may_not_do_the_task_is_refused(browser, other_browser):
    task_id = approval_task(browser, other_browser)
    page = f"/tasks/{task_id}"
    other_browser.post(f"{page}/claim", {"next": page}, csrf_from=page)
    refused = other_browser.post(f"{page}/delegate", {"username": "carol"}, csrf_from=page)
    assert refused.headers["location"].endswith("notice=not_eligible")
    assert "may not work on this task" in other_browser.get(page + "?notice=not_eligible").text


def test_a_saved_filter_is_offered_in_the_inbox(browser, other_browser):
    approval_task(browser, other_browser)
    saved = other_browser.post("/filters", {"name": "Chairs", "process": "procure_to_pay", "sort": "-created_at"},
                               csrf_from="/")
    assert saved.status_code == 303
    inbox = other_browser.get("/?notice=filter_saved").text
    assert ">Chairs</a>" in inbox
    link = inbox.split('href="/filters/')[1].split('"')[0]
    opened = other_browser.get(f"/filters/{link}", follow_redirects=False)
    assert opened.headers["location"] == "/?process=procure_to_pay&sort=-created_at"


def test_file_fields_in_forms_are_file_inputs_whose_upload_becomes_the_file_id():
    schema = {"type": "object", "properties": {"receipt": {"type": "string", "format": "binary", "title": "Receipt"}}}
    view = forms.build(schema, None, {}, "en")
    assert [w.kind for w in view.widgets] == ["file"]
    assert forms.parse(schema, None, {"f.receipt": "3f2b-file-id"}) == {"receipt": "3f2b-file-id"}


def test_a_file_chosen_in_a_form_is_uploaded_and_its_id_submitted(browser):
    from flowdesk.engine.definitions.sources import SourceFile
    from flowdesk.engine.identity import SYSTEM

    from tests.support.paths import FIXTURES

    folder = FIXTURES / "collaboration"
    browser.engine.repository.deploy([SourceFile(p.name, p.read_bytes()) for p in
                                      (folder / "receipt.yaml", folder / "receipt_form.yaml")], by=SYSTEM)
    browser.login("alice")
    page = browser.get("/processes/receipt/start").text
    assert 'type="file"' in page and 'enctype="multipart/form-data"' in page
    response = browser.post("/processes/receipt/start", {"f.amount": "12.50"}, csrf_from="/processes/receipt/start",
                            files={"f.scan.upload": ("receipt.png", b"\x89PNG receipt", "image/png")})
    assert response.status_code == 303, response.text
    alice = browser.engine.identity.actor("alice")
    started = browser.engine.instances.list_instances(by=alice, definition_key="receipt").items
    file_id = started[0]["data"]["scan"]
    view, content = browser.engine.records.read_file(file_id, by=alice)
    assert content == b"\x89PNG receipt" and view["name"] == "receipt.png"
