"""Every YAML process that ships (processes/) or is documented (docs/examples/) round-trips:
compile -> parse -> run, driven only by what its files say.

- Compile: every process and decision file compiles to XSD-valid BPMN and DMN.
- Parse: everything that ships deploys together with the shipped reference data (and each
  documented example with its own folder), so SpiffWorkflow parses every compiled file.
- Run: each process starts with its start form's first example (``examples:`` in the
  form schema) and runs, connector calls and messages included, until it waits for
  people or time, without an incident.
- The documented examples also run to the end: every open task of every instance is
  worked with its form's first example by a new member of the task's groups (so
  separation of duties never gets in the way), and time passes while only timers are left.
  (The shipped processes' own tests walk their paths with data chosen for each path.)

Skipped, with the reason: a process started by a message (run by the process that sends
it), one only ever called by another (run by its caller), one whose start form has no example.
"""

from __future__ import annotations

from functools import cache
from itertools import count
from pathlib import Path

import pytest
import yaml
from flowdesk.engine.clock import FakeClock
from flowdesk.engine.config import shipped_definitions
from flowdesk.engine.definitions.sources import SourceFile
from flowdesk.engine.definitions.yaml import compile_source
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.jobs.executor import JobExecutor
from flowdesk.engine.persistence.models import Incident, Task
from flowdesk.engine.process_engine import ProcessEngine
from lxml import etree
from sqlalchemy import select

from tests.support.database import build_template, copy_database
from tests.support.engines import TEST_CONNECTORS, open_engine
from tests.support.paths import REPO

EXAMPLES = REPO / "docs" / "examples"


def definition_folders() -> list[Path]:
    return [*shipped_definitions(), *sorted(p for p in EXAMPLES.iterdir() if p.is_dir())]


def yaml_files(kind: str) -> list[Path]:
    return [path for folder in definition_folders() for path in sorted(folder.rglob("*.y*ml"))
            if SourceFile(path.name, path.read_bytes()).kind == kind]


def deployment_of(path: Path) -> tuple[Path, ...]:
    """What a file is deployed with: its example folder, or everything that ships."""
    return (path.parent,) if path.parent.parent == EXAMPLES else tuple(shipped_definitions())


@cache
def read(path: Path) -> dict:
    return yaml.load(path.read_bytes(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@cache
def examples(paths: tuple[Path, ...]) -> dict[str, dict]:
    """Form name -> the first example in its schema (None when it has none)."""
    found = {}
    for folder in paths:
        for path in sorted(folder.rglob("*.y*ml")):
            if SourceFile(path.name, path.read_bytes()).kind == "form":
                found[path.stem] = (read(path).get("examples") or [None])[0]
    return found


def callers(key: str) -> list[str]:
    """Shipped processes that call `key` (a call step naming it)."""
    return [read(path)["process"] for path in yaml_files("process_yaml")
            if any(isinstance(s, dict) and s.get("process") == key and "call" in s
                   for s in read(path).get("steps", []))]


def test_there_is_something_to_round_trip():
    assert yaml_files("process_yaml")


@pytest.mark.parametrize("path", [*yaml_files("process_yaml"), *yaml_files("decision_yaml")],
                         ids=lambda p: p.name)
def test_compiles_to_valid_bpmn_and_dmn(path, bpmn_xsd, dmn_xsd):
    for generated in compile_source(SourceFile(path.name, path.read_bytes())):
        schema = bpmn_xsd if generated.file.name.endswith(".bpmn") else dmn_xsd
        assert schema.validate(etree.fromstring(generated.file.content)), (generated.file.name, schema.error_log)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A database with the shipped reference data and every shipped and documented
    definition deployed (deploying parses every compiled file); each run gets a copy."""
    def deploy_all(engine: ProcessEngine) -> None:
        engine.repository.deploy(shipped_definitions(), by=SYSTEM)
        for folder in sorted(p for p in EXAMPLES.iterdir() if p.is_dir()):
            engine.repository.deploy([folder], by=SYSTEM)

    return build_template(tmp_path_factory.mktemp("shipped") / "flowdesk.db", seed=True, prepare=deploy_all,
                          settings={"connector_modules": TEST_CONNECTORS})


def test_everything_that_ships_deploys_together(template):
    assert template.exists()


def startable(path: Path) -> tuple[str, dict, dict]:
    """(key, start data, form examples) of a process, or skip with the reason it cannot
    be started from its files alone."""
    process = read(path)
    key, start = process["process"], process.get("start") or {}
    if start.get("message"):
        pytest.skip(f"started by message '{start['message']}': run by the process that sends it")
    if callers(key):
        pytest.skip(f"called by {', '.join(callers(key))}: run by its caller")
    data = examples(deployment_of(path))
    start_data = data.get(start["form"]) if start.get("form") else {}
    if start_data is None:
        pytest.skip(f"the start form '{start['form']}' has no `examples`")
    return key, start_data, data


class Run:
    """An engine on a copy of the template database, a fresh clock, the engine's own
    connectors, and users made on demand."""

    def __init__(self, template: Path, folder: Path) -> None:
        self.clock = FakeClock()
        self.engine = open_engine(copy_database(template, folder / "flowdesk.db"), self.clock,
                                  connector_modules=TEST_CONNECTORS)
        self.executor = JobExecutor(self.engine.context, self.engine.context.connectors, worker_id="round-trip")
        self.users = count()

    def user(self, groups: list[str]):
        name = f"user{next(self.users)}"
        self.engine.identity.create_user(name, "password1", groups, by=SYSTEM)
        return self.engine.identity.actor(name)

    def start(self, key: str, data: dict) -> dict:
        definition = self.engine.repository.definition(key, by=SYSTEM)
        return self.engine.instances.start_instance(key, data, by=self.user([definition["start_lane"]]
                                                               if definition["start_lane"] else []))

    def settle(self) -> None:
        """Run due jobs (connector calls, message deliveries) until none is left."""
        for _ in range(50):
            if not self.executor.run_due():
                return

    def next_task(self) -> dict | None:
        with self.engine.transaction() as s:
            task_id = s.scalar(select(Task.id).where(Task.status == "open").order_by(Task.created_at))
        return self.engine.tasks.get_task(task_id, by=SYSTEM) if task_id else None


@pytest.mark.parametrize("path", yaml_files("process_yaml"), ids=lambda p: p.name)
def test_starts_and_runs_until_it_waits_without_an_incident(path, template, tmp_path):
    key, start_data, _ = startable(path)
    run = Run(template, tmp_path)
    instance = run.start(key, start_data)
    run.settle()
    instance = run.engine.instances.get_instance(instance["id"], by=SYSTEM)
    with run.engine.transaction() as s:
        incidents = s.scalars(select(Incident.message).where(Incident.status == "open")).all()
    run.engine.close()
    assert incidents == [] and instance["status"] in ("running", "completed"), (instance["status"], incidents)


@pytest.mark.parametrize("path", [p for p in yaml_files("process_yaml") if EXAMPLES in p.parents],
                         ids=lambda p: p.name)
def test_documented_examples_run_to_completion_on_their_form_examples(path, template, tmp_path):
    key, start_data, data = startable(path)
    run = Run(template, tmp_path)
    instance = run.start(key, start_data)
    for _ in range(100):
        run.settle()
        instance = run.engine.instances.get_instance(instance["id"], by=SYSTEM)
        if instance["status"] != "running":
            break
        task = run.next_task()
        if task is None:
            run.clock.advance(days=1)
            continue
        actor = run.engine.identity.actor(task["assignee"]) if task["assignee"] else run.user(task["candidate_groups"])
        run.engine.tasks.complete_task(task["id"], data.get(task["form"]) or {}, by=actor)
    run.engine.close()
    assert instance["status"] == "completed", instance
