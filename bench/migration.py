"""Measurement 8: migrating 1,000 waiting instances to a new version of their process.

Every instance of ``review`` v1 waits: half at the user task ``check`` (renamed ``verify``
in v2, with other candidate groups), half at a ten-minute timer. v2 is deployed, then
``OperationsService.migrate`` is timed twice over all of them: the dry run (each instance
re-bound in memory and reported, nothing written) and the migration itself (each instance
in its own transaction: re-bound, its row re-pointed, its open task carried over with the
candidates of v2, its timer kept, ``instance.migrated`` audited). Afterwards every
instance is checked to run on v2 and a sample is completed to the end.
"""

from __future__ import annotations

import time

from flowdesk.engine.identity import SYSTEM

from .databases import CLERK, database, flowdesk_engine
from .report import Section

MAPPING = {"check": "verify"}
SAMPLE = 20


def measure(kind: str, server_url: str | None, instances: int) -> Section:
    section = Section(f"migration_{kind}", f"8. Migrating {instances:,} waiting instances ({kind})")
    with database(kind, server_url, "migration") as url:
        engine = flowdesk_engine(url, "review_v1.bpmn")
        try:
            _measure(engine, section, instances)
        finally:
            engine.close()
    return section


def _measure(engine, section: Section, instances: int) -> None:
    started = []
    for n in range(instances):
        instance = engine.instances.start_instance("review", {"n": n}, by=CLERK)
        if n % 2:
            engine.tasks.complete_task(instance["open_tasks"][0]["id"], {}, by=CLERK)  # now at the timer
        started.append(instance["id"])
    engine.repository.deploy([_model("review_v2.bpmn")], by=SYSTEM)

    began = time.perf_counter()
    dry = engine.operations.migrate("review", 1, 2, by=SYSTEM, mapping=MAPPING, dry_run=True)
    dry_seconds = time.perf_counter() - began
    began = time.perf_counter()
    done = engine.operations.migrate("review", 1, 2, by=SYSTEM, mapping=MAPPING, dry_run=False)
    seconds = time.perf_counter() - began

    section.add("instances", "instances migrated", done["migrated"])
    section.add("dry_run_s", "dry run of all of them", dry_seconds, "s")
    section.add("migrate_s", "migration of all of them", seconds, "s")
    section.add("per_instance_ms", "migration per instance", 1000 * seconds / max(1, instances), "ms")
    section.add("instances_per_s", "instances migrated per second", done["migrated"] / seconds if seconds else None,
                "/s")
    if sum(r["ok"] for r in dry["instances"]) != instances or done["migrated"] != instances:
        section.failures["instances"] = f"only {done['migrated']} of {instances} instances migrated"
    on_v2 = sum(engine.instances.get_instance(i, by=SYSTEM)["definition_version"] == 2 for i in started)
    finished = _finish_sample(engine, started[:SAMPLE])
    section.notes.append(f"{on_v2} of {instances} instances run on v2 afterwards; of {min(SAMPLE, instances)} "
                         f"sampled ones, {finished} went on to v2's timer once their migrated task was done")


def _finish_sample(engine, ids: list[str]) -> int:
    """Complete the open (migrated) task of a sample of instances: how many then wait at
    v2's timer, with v2's candidates having done the work (the test suite runs migrated
    instances to their end; the bench does not wait ten minutes for the timers)."""
    moved_on = 0
    verifier = CLERK.__class__("bench-checker", frozenset({"checkers", "clerks"}))
    for instance_id in ids:
        instance = engine.instances.get_instance(instance_id, by=SYSTEM)
        if instance["open_tasks"]:
            engine.tasks.complete_task(instance["open_tasks"][0]["id"], {}, by=verifier)
        instance = engine.instances.get_instance(instance_id, by=SYSTEM)
        moved_on += instance["definition_version"] == 2 and instance["active_elements"] == ["pause"]
    return moved_on


def _model(name: str):
    from . import MODELS

    return MODELS / name
