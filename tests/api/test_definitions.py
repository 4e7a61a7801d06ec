"""Definitions: list, one version with its start form and lanes, its BPMN and diagram;
and deployments, all or nothing."""

from __future__ import annotations

from flowdesk.engine.definitions.sources import SourceFile
from lxml import etree

from tests.support.client import assert_problem
from tests.support.models import AMOUNT_FORM, form_file, one_task_process

SVG = "{http://www.w3.org/2000/svg}"


def test_everybody_lists_the_latest_version_of_each_process(api):
    for user in ("alice", "dave", "erin", "root", "ian"):
        items = api.get("/api/v1/definitions", user).json()["items"]
        assert [(d["key"], d["version"]) for d in items] == [("leave_request", 1)]
        assert items[0]["name"] == "Leave request" and items[0]["deployed_at"].endswith("+00:00")


def test_a_definition_has_its_versions_start_form_and_lanes(api):
    api.deploy(one_task_process("leave_request", lane="employees"))  # a second version
    latest = api.get("/api/v1/definitions/leave_request", "alice").json()
    assert latest["version"] == 2 and latest["versions"] == [1, 2] and latest["start_form"] is None
    first = api.get("/api/v1/definitions/leave_request", "alice", params={"version": 1}).json()
    assert first["version"] == 1 and first["lanes"] == ["employees", "department_managers", "hr"]
    assert first["start_lane"] == "employees"
    assert first["start_form"]["schema"]["required"] == ["leave_type", "start_date", "end_date", "days"]
    assert first["start_form"]["ui"]["order"][0] == "leave_type"
    approval = next(t for t in first["user_tasks"] if t["element_id"] == "manager_approval")
    assert approval["candidate_groups"] == ["department_managers"] and approval["form"] == "leave_decision"


def test_unknown_keys_and_versions_are_404_and_bad_versions_422(api):
    for path in ("", "/bpmn", "/diagram.svg"):
        assert_problem(api.get(f"/api/v1/definitions/nope{path}", "alice"), 404)
        assert_problem(api.get(f"/api/v1/definitions/leave_request{path}", "alice", params={"version": 9}), 404)
        problem = assert_problem(api.get(f"/api/v1/definitions/leave_request{path}", "alice",
                                         params={"version": 0}), 422)
        assert problem["errors"][0]["path"] == "/version" and problem["errors"][0]["in"] == "query"


def test_the_bpmn_is_the_xml_that_runs(api, shipped):
    response = api.get("/api/v1/definitions/leave_request/bpmn", "erin")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/xml")
    assert response.content == (shipped[0] / "leave_request.bpmn").read_bytes()


def test_a_model_without_diagram_interchange_is_laid_out_left_to_right(api):
    response = api.get("/api/v1/definitions/leave_request/diagram.svg", "alice")
    assert response.status_code == 200 and response.headers["content-type"].startswith("image/svg+xml")
    svg = etree.fromstring(response.content)
    shapes = {g.get("data-element-id"): g for g in svg.iter(f"{SVG}g") if g.get("data-element-id")}
    assert {"start", "decide_approval", "manager_approval", "hr_record", "ended_approved"} <= shapes.keys()
    assert {"to_decide", "to_hr"} <= shapes.keys()  # sequence flows

    def x_of(element_id):
        node = next(n for n in shapes[element_id].iter() if n.tag in (f"{SVG}rect", f"{SVG}circle"))
        return float(node.get("x") or node.get("cx"))

    assert x_of("start") < x_of("decide_approval") < x_of("manager_approval") < x_of("hr_record")
    texts = " ".join(t for t in svg.itertext())
    assert "department_managers" in texts.replace("\n", "") or "department_mana" in texts


DI_MODEL = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="d" targetNamespace="https://flowdesk.dev/tests">
  <bpmn:process id="drawn" name="Drawn &lt;by hand&gt;" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>
    <bpmn:userTask id="work" name="Check &lt;script&gt;"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram"><bpmndi:BPMNPlane id="plane" bpmnElement="drawn">
    <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="412" y="302" width="36" height="36"/>
    </bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="work_di" bpmnElement="work"><dc:Bounds x="500" y="280" width="100" height="80"/>
    </bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="end_di" bpmnElement="end"><dc:Bounds x="652" y="302" width="36" height="36"/>
    </bpmndi:BPMNShape>
    <bpmndi:BPMNEdge id="f1_di" bpmnElement="f1"><di:waypoint x="448" y="320"/><di:waypoint x="500" y="320"/>
    </bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="f2_di" bpmnElement="f2"><di:waypoint x="600" y="320"/><di:waypoint x="652" y="320"/>
    </bpmndi:BPMNEdge>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def test_a_model_with_diagram_interchange_is_drawn_where_the_modeller_put_it(api):
    api.deploy(SourceFile("drawn.bpmn", DI_MODEL))
    svg = etree.fromstring(api.get("/api/v1/definitions/drawn/diagram.svg", "alice").content)
    work = next(g for g in svg.iter(f"{SVG}g") if g.get("data-element-id") == "work")
    rect = work.find(f"{SVG}rect")
    assert (rect.get("x"), rect.get("y"), rect.get("width"), rect.get("height")) == ("500", "280", "100", "80")
    flow = next(g for g in svg.iter(f"{SVG}g") if g.get("data-element-id") == "f1")
    assert flow.find(f"{SVG}polyline").get("points") == "448,320 500,320"
    assert "Check <script>" in "".join(work.itertext())  # escaped in the XML, plain text to a reader
    assert svg.find(f"{SVG}script") is None


def test_a_designer_deploys_and_identical_content_makes_no_new_version(api):
    files = [one_task_process("expenses", lane="employees", form="amount"), form_file("amount", AMOUNT_FORM)]
    first = api.deploy(*files)
    assert first["definitions"] == [{"key": "expenses", "version": 1, "created": True}]
    assert first["id"] and first["deployed_at"]
    again = api.deploy(*files, user="root")
    assert again["definitions"] == [{"key": "expenses", "version": 1, "created": False}]
    deployed = api.events("definition.deployed")
    assert [(e["definition_key"], e["actor"]) for e in deployed][-1] == ("expenses", "dave")


def test_an_invalid_deployment_lists_every_problem_by_file_and_line_and_deploys_nothing(api):
    broken = SourceFile("broken.bpmn", b"<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'>\n<oops")
    good = one_task_process("fine", lane="employees")
    response = api.post("/api/v1/deployments", "dave", files=[
        ("files", (good.name, good.content)), ("files", (broken.name, broken.content)),
        ("files", ("notes.txt", b"hello"))])
    problem = assert_problem(response, 422, "invalid-definition")
    assert {e["file"] for e in problem["errors"]} == {"broken.bpmn", "notes.txt"}
    assert all({"file", "line", "message"} <= e.keys() for e in problem["errors"])
    assert next(e for e in problem["errors"] if e["file"] == "broken.bpmn")["line"] == 2
    assert_problem(api.get("/api/v1/definitions/fine", "alice"), 404)


def test_deployments_are_for_designers_and_admins(api):
    good = one_task_process("fine", lane="employees")
    for user in ("alice", "erin", "ian"):
        assert_problem(api.post("/api/v1/deployments", user, files=[("files", (good.name, good.content))]), 403)
    assert_problem(api.post("/api/v1/deployments", "alice"), 403)  # 403 before anything about the body


def test_a_deployment_needs_files_in_a_multipart_body(api):
    assert_problem(api.post("/api/v1/deployments", "dave", json={"files": []}), 415)
    assert_problem(api.post("/api/v1/deployments", "dave", data={"other": "x"}, files=[("x", ("a", b""))]), 422)
    problem = assert_problem(api.post("/api/v1/deployments", "dave", data={"files": "text, not a file"},
                                      files=[("other", ("a.bpmn", b""))]), 422)
    assert problem["errors"][0]["path"] == "/files/0"


def test_definitions_are_listed_by_key_page_by_page(api):
    api.deploy(one_task_process("a_first", lane="employees"), one_task_process("z_last", lane="employees"))
    api.deploy(one_task_process("z_last", lane="hr"))  # version 2
    first = api.get("/api/v1/definitions", "alice", params={"limit": 2}).json()
    rest = api.get("/api/v1/definitions", "alice", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [(d["key"], d["version"]) for d in first["items"] + rest["items"]] == [
        ("a_first", 1), ("leave_request", 1), ("z_last", 2)]
    assert rest["next_cursor"] is None
