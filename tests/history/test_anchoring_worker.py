"""The embedded worker anchors the instance chains that moved, without being asked."""

from __future__ import annotations

import time
from dataclasses import replace

from flowdesk.engine.clock import SystemClock
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.jobs.executor import JobExecutor
from flowdesk.engine.jobs.worker import EmbeddedWorker

from tests.support.engines import make_engine
from tests.support.models import one_task_process


def test_the_embedded_worker_anchors_moved_chains(sqlite_url):
    engine = make_engine(sqlite_url, SystemClock())
    engine.settings = replace(engine.settings, audit_anchor_seconds=0.05)
    engine.repository.deploy([one_task_process()], by=SYSTEM)
    worker = EmbeddedWorker(JobExecutor(engine.context, worker_id="anchor-test"))
    worker.start()
    try:
        instance = engine.instances.start_instance("one_task", {}, by=SYSTEM)
        anchors = []
        started = time.monotonic()
        while not anchors and time.monotonic() - started < 60:
            anchors = engine.history.audit_events(by=SYSTEM, type="audit.anchored").items
            time.sleep(0.02)
        (anchor,) = anchors[:1]
        length, head = anchor["data"]["chains"][instance["id"]]
        history = engine.history.instance_history(instance["id"], by=SYSTEM, limit=500).items
        assert history[length - 1]["hash"] == head
        assert engine.history.verify_audit(by=SYSTEM)["anchors"] >= 1
    finally:
        worker.stop()
        engine.close()
