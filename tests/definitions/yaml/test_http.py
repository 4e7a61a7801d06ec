"""Through the HTTP API: a designer uploads YAML, a problem comes back with its YAML line,
and the compiled BPMN and its diagram are served like any other definition's."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from flowdesk.api.app import create_app
from flowdesk.engine.identity import SYSTEM
from lxml import etree

from tests.support.client import ApiClient
from tests.support.client import upload as files_of
from tests.support.definitions import EXAMPLE


@pytest.fixture
def client(engine, clock):
    """The API as dana, a designer."""
    engine.identity.create_user("dana", "password1", ["designer"], by=SYSTEM)
    with TestClient(create_app(engine)) as client:
        yield ApiClient(client, engine, clock, user="dana")


def upload(client, *paths):
    return client.post("/api/v1/deployments", files=files_of(*paths))


def test_uploaded_yaml_is_deployed_and_its_bpmn_and_diagram_are_served(client):
    response = upload(client, *sorted(EXAMPLE.iterdir()))
    assert response.status_code == 201, response.text
    assert response.json()["definitions"] == [{"key": "expense_claim", "version": 1, "created": True}]

    bpmn = client.get("/api/v1/definitions/expense_claim/bpmn")
    assert bpmn.status_code == 200
    root = etree.fromstring(bpmn.content)
    assert root.find("{*}process").get("id") == "expense_claim"
    assert root.find(".//{http://www.omg.org/spec/BPMN/20100524/DI}BPMNDiagram") is not None
    svg = client.get("/api/v1/definitions/expense_claim/diagram.svg")
    assert svg.status_code == 200 and b"Approve" in svg.content


def test_a_mistake_in_uploaded_yaml_is_a_422_with_the_yaml_line(client, tmp_path):
    broken = tmp_path / "expense_claim.yaml"
    broken.write_text((EXAMPLE / "expense_claim.yaml").read_text().replace("due: P2D", "due: two days"))
    response = upload(client, broken, *sorted(EXAMPLE.glob("expense_[dp]*.yaml")))
    assert response.status_code == 422
    problems = response.json()["errors"]
    assert [(p["file"], p["line"]) for p in problems] == [("expense_claim.yaml", 27)]
