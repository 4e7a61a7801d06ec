"""The dispatcher with its broker away: jobs stay in the table (nothing is marked sent),
it backs off instead of spinning, and once the broker answers it sends every due job."""

from __future__ import annotations

import threading

from flowdesk.engine.connectors import ConnectorRegistry
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.jobs.celery_app import Dispatcher, backoff_seconds
from flowdesk.engine.jobs.executor import JobExecutor

ORDER = {"item": "WIDGET-1", "quantity": 4}


class FlakyBroker:
    conf = type("Conf", (), {"task_default_queue": "flowdesk"})()

    def __init__(self) -> None:
        self.up = False
        self.sent: list[str] = []
        self.refused = 0
        self.back = threading.Event()

    def send_task(self, name, args, eta, queue):
        if not self.up:
            self.refused += 1
            if self.refused == 3:
                self.up = True  # the broker returns after three refusals
            raise ConnectionError("broker unreachable")
        self.sent.extend(args[0])
        self.back.set()


def test_jobs_wait_in_the_table_while_the_broker_is_away_and_are_sent_when_it_returns(engine, deploy, stock):
    deploy("stock.bpmn")
    instances = [engine.instances.start_instance("stock", ORDER, by=SYSTEM)["id"] for _ in range(2)]
    broker = FlakyBroker()
    dispatcher = Dispatcher(JobExecutor(engine.context, ConnectorRegistry([stock]), worker_id="d"), broker,
                            poll_seconds=0.01)
    dispatcher.start()
    try:
        assert broker.back.wait(60), "the dispatcher never sent after the broker returned"
    finally:
        dispatcher.stop()
    assert broker.refused == 3 and len(set(broker.sent)) == len(instances)
    assert stock.calls == []  # sending is all the dispatcher does: the jobs still wait for a worker


def test_backoff_doubles_and_is_capped_at_seconds():
    assert [backoff_seconds(n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]
    assert backoff_seconds(50) == 10.0
