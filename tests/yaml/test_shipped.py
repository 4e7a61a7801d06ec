"""Every YAML process that ships (processes/) or is documented (docs/examples/) round-trips:
compile -> parse -> run to completion, driven only by what its files say.

The driver starts each process with its start form's first example, completes every
task with its form's first example as a new user of the task's groups (so separation of
duties never gets in the way), and lets time pass while only timers are left.
"""

from __future__ import annotations

from itertools import count
from pathlib import Path

import pytest
import yaml
from flowdesk.engine.config import shipped_definitions
from flowdesk.engine.definitions.sources import SourceFile, read_paths

from tests.conftest import REPO

EXAMPLES = REPO / "docs" / "examples"


def folders() -> list[Path]:
    return [*shipped_definitions(), *sorted(p for p in EXAMPLES.iterdir() if p.is_dir())]


def yaml_processes() -> list[tuple[Path, str]]:
    found = []
    for folder in folders():
        for path in sorted(folder.rglob("*.y*ml")):
            source = SourceFile(path.name, path.read_bytes())
            if source.kind == "process_yaml":
                found.append((path, yaml.safe_load(path.read_text())["process"]))
    return found


def examples(paths: list[Path]) -> dict[str, dict]:
    """Form name -> the first example in its schema."""
    found = {}
    for source in read_paths(paths):
        if source.kind == "form":
            schema = yaml.safe_load(source.content)
            found[source.stem] = (schema.get("examples") or [{}])[0]
    return found


def test_there_is_something_to_round_trip():
    assert yaml_processes()


@pytest.mark.parametrize(("path", "key"), yaml_processes(), ids=lambda v: v.name if isinstance(v, Path) else v)
def test_compile_parse_and_run_to_completion(path, key, engine, executor, clock):
    paths = [path.parent] if path.parent.parent == EXAMPLES else list(shipped_definitions())
    engine.deploy_paths(paths)  # compile and parse happen here
    data = examples(paths)
    definition = engine.definition(key)
    starter_groups = [definition["start_lane"]] if definition["start_lane"] else []
    users = count()

    def new_user(groups: list[str]):
        name = f"user{next(users)}"
        engine.create_user(name, "password1", groups)
        return engine.actor(name)

    start_form = definition["start_form"]["name"] if definition["start_form"] else None
    instance = engine.start_instance(key, data.get(start_form, {}), new_user(starter_groups))
    for _ in range(50):
        instance = engine.get_instance(instance["id"])
        if instance["status"] != "running":
            break
        if not instance["open_tasks"]:
            clock.advance(days=1)
            executor.run_due()
            continue
        task = instance["open_tasks"][0]
        actor = engine.actor(task["assignee"]) if task["assignee"] else new_user(task["candidate_groups"])
        engine.complete_task(task["id"], actor, data.get(task["form"], {}))
    assert instance["status"] == "completed", instance
