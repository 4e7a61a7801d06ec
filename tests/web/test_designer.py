"""Designers' pages: definitions, a version's diagram and sources, deploying with errors by file and line."""

from __future__ import annotations

import re

from flowdesk.engine.identity import SYSTEM

from tests.support.browser import Browser

BROKEN_FORM = b"""$schema: https://json-schema.org/draft/2020-12/schema
title: Broken
type: object
properties:
  amount:
    type: nmber
"""


def test_definitions_list_and_a_definition_with_diagram_and_sources(browser: Browser) -> None:
    browser.login("dave")
    listing = browser.get("/definitions").text
    assert 'href="/definitions/procure_to_pay"' in listing
    page = browser.get("/definitions/procure_to_pay").text
    assert "<svg" in page and "lane" in page.lower()
    assert "procure_to_pay.yaml" in page and "p2p_requisition" in page
    source = re.search(r'href="(/definitions/procure_to_pay/source\?[^"]*name=procure_to_pay.yaml)"', page)
    assert source, "the YAML source is linked"
    shown = browser.get(source.group(1).replace("&amp;", "&")).text
    assert "process: procure_to_pay" in shown


def test_upload_shows_problems_by_file_and_line_and_deploys_nothing(browser: Browser) -> None:
    browser.login("dave")
    token = browser.csrf("/definitions/upload")
    response = browser.client.post("/definitions/upload", data={"csrf_token": token},
                                   files=[("files", ("broken_form.yaml", BROKEN_FORM, "application/yaml"))])
    assert response.status_code == 422
    assert "broken_form.yaml" in response.text
    assert re.search(r"line 6", response.text), response.text
    assert "type: nmber" in response.text


def test_upload_of_a_valid_form_deploys_it(browser: Browser) -> None:
    browser.login("dave")
    token = browser.csrf("/definitions/upload")
    leave = browser.client.get("/definitions/leave_request").text
    assert "leave_request" in leave
    bpmn = (browser.engine.repository.definition_bpmn("leave_request", None, by=SYSTEM)[1])
    response = browser.client.post("/definitions/upload", data={"csrf_token": token},
                                   files=[("files", ("leave_request.bpmn", bpmn, "application/xml"))])
    assert response.status_code == 200, response.text
    assert "leave_request v" in response.text


def test_upload_without_csrf_token_is_refused(browser: Browser) -> None:
    browser.login("dave")
    response = browser.client.post("/definitions/upload", files=[("files", ("x.yaml", b"a: 1", "application/yaml"))])
    assert response.status_code == 403
