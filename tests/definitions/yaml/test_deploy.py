"""Deployments take YAML directly and keep it beside the BPMN and DMN compiled from it;
versions follow the YAML's content."""

from __future__ import annotations

import hashlib

import pytest
from flowdesk.engine.definitions.model import process_info
from flowdesk.engine.errors import DefinitionInvalid
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.persistence.models import DeploymentFile
from sqlalchemy import select

from tests.support.definitions import EXAMPLE, source

TABLE = """
    decision: discount
    inputs: [amount]
    outputs: [rate]
    rules:
      - {when: {amount: ">= 1000"}, then: {rate: 0.05}}
      - {when: {amount: "< 1000"}, then: {rate: 0}}
"""
PRICING = """
    process: pricing
    start: {data: [amount]}
    steps:
      - decide: discount_rate
        table: discount
      - script: price
        code: total = amount * (1 - rate)
"""


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def deployed(engine, key: str):
    with engine.transaction() as s:
        definition = engine.context.definitions.latest(s, key)
        files = {row.name: (row.kind, engine.context.definitions.resource(s, row.sha256)) for row in s.scalars(
            select(DeploymentFile).where(DeploymentFile.deployment_id == definition.deployment_id))}
        return definition.manifest, files, process_info(definition)


def test_the_yaml_and_the_compiled_bpmn_are_both_stored_and_listed_in_the_manifest(engine):
    engine.repository.deploy([EXAMPLE], by=SYSTEM)
    manifest, files, info = deployed(engine, "expense_claim")
    yaml_text = (EXAMPLE / "expense_claim.yaml").read_bytes()
    assert manifest["yaml"] == {"expense_claim.yaml": sha(yaml_text)}
    ((bpmn_name, bpmn_sha),) = manifest["bpmn"].items()
    assert bpmn_name == "expense_claim.bpmn"
    assert files["expense_claim.yaml"] == ("process_yaml", yaml_text)
    assert files["expense_claim.bpmn"][0] == "bpmn" and sha(files["expense_claim.bpmn"][1]) == bpmn_sha
    assert manifest["dmn"] == {"approval_level.dmn": sha(files["approval_level.dmn"][1])}
    assert manifest["decisions"]["approval_level"]["file"] == "approval_level.dmn"
    assert info.file == "expense_claim.yaml"
    assert engine.repository.definition_bpmn("expense_claim", by=SYSTEM) == ("expense_claim.bpmn", files["expense_claim.bpmn"][1])


def test_forms_stay_forms_beside_yaml_processes(engine):
    engine.repository.deploy([EXAMPLE], by=SYSTEM)
    _, files, info = deployed(engine, "expense_claim")
    assert {name: kind for name, (kind, _) in files.items() if name.startswith("expense_d")} == {
        "expense_details.yaml": "form", "expense_decision.yaml": "form"}
    assert info.start_form == "expense_details"
    assert info.human_tasks["approve"].form == "expense_decision"


def test_unchanged_yaml_creates_no_new_version_and_a_changed_one_does(engine):
    first = engine.repository.deploy([EXAMPLE], by=SYSTEM).definitions
    again = engine.repository.deploy([EXAMPLE], by=SYSTEM).definitions
    assert [(d.key, d.version, d.created) for d in (*first, *again)] == [
        ("expense_claim", 1, True), ("expense_claim", 1, False)]
    changed = (EXAMPLE / "expense_claim.yaml").read_text().replace("due: P2D", "due: P3D")
    result = engine.repository.deploy([source(changed, "expense_claim.yaml")], by=SYSTEM).definitions
    assert [(d.key, d.version, d.created) for d in result] == [("expense_claim", 2, True)]


def test_a_yaml_decision_file_is_stored_and_found_by_later_deployments(engine):
    engine.repository.deploy([source(TABLE, "discount.yaml"), source(PRICING, "pricing.yaml")], by=SYSTEM)
    manifest, files, _ = deployed(engine, "pricing")
    assert manifest["decision_yaml"] == {"discount.yaml": sha(files["discount.yaml"][1])}
    assert files["discount.yaml"][0] == "decision_yaml" and "discount.dmn" in manifest["dmn"]

    later = PRICING.replace("process: pricing", "process: repricing")
    engine.repository.deploy([source(later, "repricing.yaml")], by=SYSTEM)  # the table comes from the earlier deployment
    assert engine.instances.start_instance("repricing", {"amount": 2000}, by=SYSTEM)["data"]["total"] == 1900


def test_validate_checks_yaml_without_storing_anything(engine, tmp_path):
    (tmp_path / "pricing.yaml").write_bytes(source(PRICING.replace("table: discount", "table: discounts")).content)
    with pytest.raises(DefinitionInvalid) as err:
        engine.repository.validate([tmp_path], by=SYSTEM)
    ((file, line, _),) = [(p.file, p.line, p.message) for p in err.value.problems]
    assert (file, line) == ("pricing.yaml", 5)
    with engine.transaction() as s:
        assert s.scalars(select(DeploymentFile)).first() is None


def test_a_connector_that_is_not_installed_is_reported_on_the_yaml_step(engine):
    with pytest.raises(DefinitionInvalid) as err:
        engine.repository.deploy([source("""
            process: calls_out
            steps:
              - script: prepare
                code: x = 1
              - service: notify
                connector: carrier_pigeon
        """, "calls_out.yaml")], by=SYSTEM)
    ((file, line, message),) = [(p.file, p.line, p.message) for p in err.value.problems]
    assert (file, line) == ("calls_out.yaml", 5) and "'carrier_pigeon', which is not installed" in message
