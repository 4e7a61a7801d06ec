"""Business calendars with several working-time blocks a day, make-up working days (调休) and
names: the shipped China calendar (engine/calendars/cn.yaml) and a site's own calendars,
chosen in models with ``deadline(duration, calendar=NAME)``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flowdesk.engine.calendar import BusinessCalendar, Calendars, deadline_function, load_calendars, shipped_calendar
from flowdesk.engine.config import Settings
from flowdesk.engine.errors import BadRequest
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.process_engine import ProcessEngine

from tests.support.models import one_task_process

SHANGHAI = ZoneInfo("Asia/Shanghai")


def cst(text: str) -> datetime:
    """A wall-clock time in Shanghai."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def cn() -> BusinessCalendar:
    calendar = shipped_calendar("cn")
    assert calendar is not None
    return calendar


@pytest.mark.parametrize(("start", "duration", "due"), [
    ("2026-03-02 11:00", "PT2H", "2026-03-02 14:30"),    # one hour before lunch, one after it
    ("2026-03-02 12:30", "PT1H", "2026-03-02 14:30"),    # asked during lunch: counted from 13:30
    ("2026-03-02 17:30", "PT1H", "2026-03-03 09:30"),    # half an hour today, the rest tomorrow
    ("2026-03-02 10:00", "PT7H30M", "2026-03-03 10:00"),  # a working day is 7.5 hours
    ("2026-03-02 10:00", "P1D", "2026-03-03 10:00"),     # ... so a day of working time is one
    ("2026-03-06 16:00", "PT4H", "2026-03-09 11:00"),    # Friday afternoon -> Monday morning
])
def test_working_time_skips_the_lunch_break_and_the_night(cn, start, duration, due):
    assert cn.add_iso(cst(start), duration) == cst(due).astimezone(UTC)


@pytest.mark.parametrize(("start", "duration", "due"), [
    ("2026-09-30 17:00", "PT2H", "2026-10-08 10:00"),    # National Day: 1-7 October off
    ("2026-04-03 17:00", "PT2H", "2026-04-07 10:00"),    # Qingming: Saturday to Monday off
    ("2026-06-18 10:00", "P1D", "2026-06-22 10:00"),     # Dragon Boat: Friday off
    ("2026-02-13 18:00", "PT1H", "2026-02-14 10:00"),    # Saturday 14 Feb is worked (调休)
    ("2026-02-14 17:00", "PT2H", "2026-02-24 10:00"),    # ... then the Spring Festival, 15-23 Feb
    ("2026-10-09 17:00", "PT2H", "2026-10-10 10:00"),    # Saturday 10 Oct is worked
    ("2026-01-03 10:00", "PT1H", "2026-01-04 10:00"),    # a holiday Saturday, then a worked Sunday
])
def test_holidays_are_skipped_and_make_up_days_are_worked(cn, start, duration, due):
    assert cn.add_iso(cst(start), duration) == cst(due).astimezone(UTC)


def test_deadlines_are_counted_in_shanghai_whatever_the_zone_of_now(cn):
    # 01:00 UTC is 09:00 in Shanghai: three hours later it is lunch time there.
    assert cn.add_iso(datetime(2026, 3, 2, 1, 0, tzinfo=UTC), "PT3H") == datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
    # Sunday 23:30 UTC is Monday 07:30 in Shanghai: the day starts at 09:00 there.
    assert cn.add_iso(datetime(2026, 3, 1, 23, 30, tzinfo=UTC), "PT1H") == cst("2026-03-02 10:00")
    # 30 September 16:30 UTC is already 1 October (National Day) in Shanghai.
    assert cn.add_iso(datetime(2026, 9, 30, 16, 30, tzinfo=UTC), "PT1H") == cst("2026-10-08 10:00")
    # The same instant from Berlin (08:00 CET on 2 March) is the same deadline.
    berlin = datetime(2026, 3, 2, 2, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert cn.add_iso(berlin, "PT1H") == cst("2026-03-02 10:00")


def test_the_china_calendar_matches_the_2026_arrangement_and_says_2027_is_provisional(cn):
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(365)]
    weekday_holidays = [d for d in days if d.weekday() < 5 and not cn.is_working_day(d)]
    assert len(weekday_holidays) == 19  # 元旦 2, 春节 6, 清明 1, 劳动节 3, 端午 1, 中秋 1, 国庆 5
    worked_weekends = [d.isoformat() for d in days if d.weekday() >= 5 and cn.is_working_day(d)]
    assert worked_weekends == ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]
    assert sum(cn.is_working_day(d) for d in days) == 248  # 261 weekdays - 19 + 6
    text = (Path(__file__).resolve().parents[2] / "engine" / "calendars" / "cn.yaml").read_text(encoding="utf-8")
    assert "2027 is NOT YET OFFICIAL" in text
    assert not cn.is_working_day(date(2027, 2, 8)) and not cn.is_working_day(date(2027, 10, 1))


# -- the calendar file -------------------------------------------------------------------------------------------
SITE = """
timezone: Europe/Berlin
hours: "09:00-17:00"
holidays: [2026-12-24, 2026-12-25]
calendars:
  cn: {include: cn}
  suzhou_plant:
    include: cn
    hours: "08:00-12:00, 13:00-17:00"
    holidays: [2026-07-01]
  lisbon:
    timezone: Europe/Lisbon
    hours: ["08:30-12:30", "14:00-18:00"]
    holidays: [2026-06-10..2026-06-13]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "calendar.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_site_has_a_default_calendar_and_named_ones(tmp_path):
    calendars = load_calendars(write(tmp_path, SITE))
    assert calendars.default is not None and calendars.default.zone.key == "Europe/Berlin"
    assert set(calendars.named) == {"cn", "suzhou_plant", "lisbon"}
    plant = calendars.get("suzhou_plant")
    assert plant.zone.key == "Asia/Shanghai" and plant.day_length == timedelta(hours=8)
    assert date(2026, 7, 1) in plant.holidays and date(2026, 10, 1) in plant.holidays  # its own and China's
    assert date(2026, 10, 10) in plant.make_up_days
    assert plant.add_iso(cst("2026-03-02 11:00"), "PT2H") == cst("2026-03-02 14:00")
    lisbon = calendars.get("lisbon")
    assert [lisbon.is_working_day(date(2026, 6, d)) for d in (9, 10, 11, 12)] == [True, False, False, False]


def test_default_may_name_one_of_the_calendars(tmp_path):
    calendars = load_calendars(write(tmp_path, "default: cn\ncalendars:\n  cn: {include: cn}\n"))
    assert calendars.default is calendars.named["cn"]
    assert load_calendars(write(tmp_path, "default: cn\n")).default == shipped_calendar("cn")


@pytest.mark.parametrize(("text", "message"), [
    ('hours: ["09:00-12:00", "11:00-18:00"]', "in order and not overlap"),
    ('hours: "12:00-09:00"', "opening hours must end after they start"),
    ("holidays: [2026-10-10]\nmake_up_days: [2026-10-10]", "both a holiday and a make-up working day"),
    ("holidays: [2026-10-07..2026-10-01]", "ends before it starts"),
    ("open: 09:00", "unknown key"),
    ("calendars:\n  a: {include: a_file_that_is_not_there.yaml}", "a_file_that_is_not_there"),
    ("calendars:\n  a: {include: calendar.yaml}", "includes itself"),
    ("timezone: Mars/Olympus", "Mars/Olympus"),
])
def test_a_broken_calendar_file_is_a_clear_error(tmp_path, text, message):
    with pytest.raises(BadRequest, match=message):
        load_calendars(write(tmp_path, text))


def test_the_single_calendar_format_of_before_still_works(tmp_path):
    calendar = BusinessCalendar.load(write(tmp_path, 'timezone: UTC\nhours: "09:00-17:00"\n'))
    assert calendar.hours == ((datetime(1, 1, 1, 9).time(), datetime(1, 1, 1, 17).time()),)
    assert calendar.make_up_days == frozenset()


# -- deadline() in models -------------------------------------------------------------------------------------------
def test_deadline_takes_a_calendar_by_name_and_keeps_the_default_as_it_was():
    now = datetime(2026, 9, 30, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai, the eve of National Day
    deadline = deadline_function(Calendars(), lambda: now)
    assert deadline("PT2H") == (now + timedelta(hours=2)).isoformat()  # no calendar configured: wall-clock
    assert deadline("PT2H", calendar="cn") == cst("2026-10-08 10:00").astimezone(UTC).isoformat()
    with pytest.raises(BadRequest, match="no business calendar 'mars'"):
        deadline("PT2H", calendar="mars")


def test_a_due_date_in_the_china_calendar(tmp_path, clock):
    clock._now = cst("2026-02-13 17:00").astimezone(UTC)  # Friday before the Spring Festival
    engine = ProcessEngine(Settings(database_url=f"sqlite:///{tmp_path / 'cn.db'}", definitions=()), clock=clock)
    engine.repository.deploy([one_task_process(key="cn_sla", dueDate='=deadline("PT8H", calendar="cn")')], by=SYSTEM)
    (task,) = engine.instances.start_instance("cn_sla", {}, by=SYSTEM)["open_tasks"]
    # 1 h on Friday, then 7 of the 7.5 working hours of the make-up Saturday (09:00-12:00, 13:30-17:30)
    assert datetime.fromisoformat(task["due_at"]) == cst("2026-02-14 17:30")
    engine.close()
