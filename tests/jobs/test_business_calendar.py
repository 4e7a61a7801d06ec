"""SLA deadlines in working time: a site's calendar moves them past nights, weekends and
holidays; without a calendar they are wall-clock time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flowdesk.engine.calendar import BusinessCalendar
from flowdesk.engine.config import Settings
from flowdesk.engine.errors import BadRequest
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.persistence.models import Job
from flowdesk.engine.process_engine import ProcessEngine
from sqlalchemy import select

from tests.support.models import one_task_process

BERLIN_CALENDAR = """
timezone: Europe/Berlin
working_days: [mon, tue, wed, thu, fri]
hours: "09:00-17:00"
holidays: [2026-12-24, 2026-12-25]
"""


@pytest.fixture
def calendar(tmp_path) -> BusinessCalendar:
    path = tmp_path / "calendar.yaml"
    path.write_text(BERLIN_CALENDAR)
    return BusinessCalendar.load(path)


def berlin(text: str) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.mark.parametrize(("start", "duration", "due"), [
    ("2026-11-27 16:00", "PT8H", "2026-11-30 16:00"),   # Friday afternoon -> Monday
    ("2026-11-26 08:00", "PT4H", "2026-11-26 13:00"),   # before opening: counted from 09:00
    ("2026-11-26 18:30", "PT1H", "2026-11-27 10:00"),   # after closing: next morning
    ("2026-12-23 15:00", "PT4H", "2026-12-28 11:00"),   # over two holidays and a weekend
    ("2026-11-23 10:00", "P3D", "2026-11-26 10:00"),    # days are working days
])
def test_working_time_is_added_over_nights_weekends_and_holidays(calendar, start, duration, due):
    assert calendar.add_iso(berlin(start), duration) == berlin(due).astimezone(UTC)


def test_a_broken_calendar_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text('hours: "17:00-09:00"\n')
    with pytest.raises(BadRequest, match="opening hours"):
        BusinessCalendar.load(path)


def test_due_dates_and_timers_use_the_calendar(tmp_path, clock, sqlite_url):
    from flowdesk.engine.definitions.sources import SourceFile

    (tmp_path / "cal.yaml").write_text(BERLIN_CALENDAR)
    clock._now = berlin("2026-11-27 16:00").astimezone(UTC)  # a Friday afternoon
    engine = ProcessEngine(Settings(database_url=sqlite_url, definitions=(),
                                    business_calendar=tmp_path / "cal.yaml"), clock=clock)
    model = one_task_process(key="sla_calendar", dueDate='=deadline("PT8H")')
    timer = model.content.decode().replace(
        '<bpmn:userTask id="work"',
        '<bpmn:boundaryEvent id="late" attachedToRef="work" cancelActivity="false">'
        '<bpmn:timerEventDefinition><bpmn:timeDate>deadline("PT4H")</bpmn:timeDate></bpmn:timerEventDefinition>'
        '</bpmn:boundaryEvent><bpmn:userTask id="work"')
    engine.repository.deploy([SourceFile("sla_calendar.bpmn", timer.encode())], by=SYSTEM)
    instance = engine.instances.start_instance("sla_calendar", {}, by=SYSTEM)
    (task,) = instance["open_tasks"]
    assert datetime.fromisoformat(task["due_at"]) == berlin("2026-11-30 16:00")
    with engine.transaction() as s:
        (job,) = s.scalars(select(Job).where(Job.kind == "timer")).all()
    assert job.due_at == berlin("2026-11-30 12:00")
    engine.close()


def test_without_a_calendar_deadlines_are_wall_clock_time(engine, clock):
    engine.repository.deploy([one_task_process(key="wall", dueDate='=deadline("PT8H")')], by=SYSTEM)
    (task,) = engine.instances.start_instance("wall", {}, by=SYSTEM)["open_tasks"]
    assert datetime.fromisoformat(task["due_at"]) == clock.now() + timedelta(hours=8)
