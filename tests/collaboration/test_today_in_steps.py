"""FEEL's ``today()`` in a step is the date where the step happens: the acting user's zone
for their action, ``FLOWDESK_TIME_ZONE`` for a timer a worker runs and for the engine
itself, never simply the UTC date. Form checks fall back to the configured zone too."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from flowdesk.engine.clock import FakeClock
from flowdesk.engine.expressions.feel import using_clock
from flowdesk.engine.expressions.feel.clock import today
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.jobs.executor import JobExecutor
from flowdesk.engine.local_time import LocalClock, acting_in, today_where_acting

from tests.support.dialects import bpmn, chain, flow
from tests.support.engines import make_engine

C8 = 'modeler:executionPlatform="Camunda Cloud"'
NOTE_THE_DAY = """
  <bpmn:scriptTask id="{id}">
    <bpmn:extensionElements><zeebe:script expression="=string(today())" resultVariable="{result}"/></bpmn:extensionElements>
  </bpmn:scriptTask>"""
MODEL = f"""
  <bpmn:startEvent id="s"/>{chain("s", "started_on", "wait")}{NOTE_THE_DAY.format(id="started_on", result="started_on")}
  <bpmn:intermediateCatchEvent id="wait">
    <bpmn:timerEventDefinition><bpmn:timeDuration>=duration("PT1H")</bpmn:timeDuration></bpmn:timerEventDefinition>
  </bpmn:intermediateCatchEvent>{flow("f_wait", "wait", "woke_on")}{NOTE_THE_DAY.format(id="woke_on", result="woke_on")}
  {flow("f_end", "woke_on", "e")}<bpmn:endEvent id="e"/>"""


def late_evening_in_utc() -> FakeClock:
    return FakeClock(datetime(2026, 1, 5, 22, 30, tzinfo=UTC))  # 06:30 the next day in Shanghai


@pytest.fixture
def shanghai_engine(sqlite_url: str) -> Iterator:
    clock = late_evening_in_utc()
    engine = make_engine(sqlite_url, clock, time_zone="Asia/Shanghai")
    engine.repository.deploy([bpmn("days.bpmn", MODEL, attrs=C8)], by=SYSTEM)
    yield engine, clock
    engine.close()


def test_feel_today_is_the_configured_zones_date_in_the_engines_steps_and_a_workers_timer(shanghai_engine):
    engine, clock = shanghai_engine
    started = engine.instances.start_instance("p", {}, by=SYSTEM)
    assert started["data"]["started_on"] == "2026-01-06"
    clock.advance(hours=1, seconds=1)
    assert JobExecutor(engine.context, worker_id="test").run_due() >= 1  # the timer, run by a worker
    assert engine.instances.get_instance(started["id"], by=SYSTEM)["data"]["woke_on"] == "2026-01-06"


def test_feel_today_is_the_acting_users_date_in_their_own_action(engine, clock):
    engine.repository.deploy([bpmn("days.bpmn", MODEL, attrs=C8)], by=SYSTEM)
    for name in ("mei", "ben"):
        engine.identity.create_user(name, "password1", ["employees"], by=SYSTEM)
    engine.people.save_preferences({"time_zone": "Asia/Shanghai"}, by=engine.identity.actor("mei"))
    clock.advance(hours=13, minutes=30)  # 2026-01-05 22:30 UTC
    assert engine.instances.start_instance("p", {}, by=engine.identity.actor("mei"))["data"]["started_on"] \
        == "2026-01-06"
    assert engine.instances.start_instance("p", {}, by=engine.identity.actor("ben"))["data"]["started_on"] \
        == "2026-01-05"  # ben chose no zone: the configured one, UTC here


def test_a_local_clock_gives_feel_its_zone_and_a_plain_clock_means_utc():
    clock = late_evening_in_utc()
    with using_clock(LocalClock(clock, "Asia/Shanghai")):
        assert today() == date(2026, 1, 6)
        with acting_in(lambda: ZoneInfo("Europe/London")):
            assert today() == date(2026, 1, 5)  # whoever acts decides
    with using_clock(clock):
        assert today() == date(2026, 1, 5)


def test_form_checks_fall_back_to_the_configured_zone_when_nobody_acts():
    clock = late_evening_in_utc()
    assert today_where_acting(LocalClock(clock, "Asia/Shanghai"))() == "2026-01-06"
    assert today_where_acting(LocalClock(clock, "UTC"))() == "2026-01-05"
    with acting_in(lambda: ZoneInfo("Asia/Shanghai")):
        assert today_where_acting(LocalClock(clock, "UTC"))() == "2026-01-06"
