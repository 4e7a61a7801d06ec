"""The fault suite's judges: given what clients were told and what the database holds,
they call a lost acknowledgement lost, a double commit double, and a half-written step
half written. Hand-made cases, so a checker that waves everything through fails here."""

from __future__ import annotations

from collections import Counter

from bench.faults.http_faults import least_squares_slope
from bench.faults.invariants import Attempt, TaskFacts, check_completions, check_jobs
from bench.faults.result import Outcome, render


def attempt(task: str, marker: str, status: int | None) -> Attempt:
    return Attempt(task, f"i-{task}", "enter_order", marker, status)


def test_an_acknowledged_completion_in_the_database_once_with_its_marker_passes():
    verdict = check_completions([attempt("t1", "m1", 200)], {"t1": TaskFacts("completed", 1, "m1")})
    assert verdict.ok and verdict.acknowledged == 1


def test_an_acknowledged_completion_missing_from_the_database_is_lost():
    still_open = check_completions([attempt("t1", "m1", 200)], {"t1": TaskFacts("open", 0, None)})
    no_row = check_completions([attempt("t1", "m1", 200)], {})
    assert still_open.acknowledged_lost == ["t1"] and no_row.acknowledged_lost == ["t1"]


def test_an_acknowledged_completion_whose_data_is_another_requests_is_lost():
    verdict = check_completions([attempt("t1", "m1", None), attempt("t1", "m2", 200)],
                                {"t1": TaskFacts("completed", 1, "m1")})
    assert verdict.acknowledged_lost == ["t1"]


def test_two_completion_events_for_one_task_are_a_double_commit():
    verdict = check_completions([attempt("t1", "m1", 200)], {"t1": TaskFacts("completed", 2, "m1")})
    assert verdict.committed_twice == ["t1"] and not verdict.ok


def test_an_unanswered_completion_may_be_wholly_there_or_wholly_absent():
    verdict = check_completions(
        [attempt("t1", "m1", None), attempt("t2", "m2", None), attempt("t3", "m3", 500)],
        {"t1": TaskFacts("completed", 1, "m1"), "t2": TaskFacts("open", 0, None), "t3": TaskFacts("open", 0, None)})
    assert verdict.ok
    assert (verdict.unacknowledged_committed, verdict.unacknowledged_absent) == (1, 2)


def test_an_unanswered_completion_partly_written_is_half_written():
    cases = {
        "task completed, no event": TaskFacts("completed", 0, "m1"),
        "event, task still open": TaskFacts("open", 1, None),
        "task completed, data without the marker": TaskFacts("completed", 1, None),
        "marker in the data, task open": TaskFacts("open", 0, "m1"),
    }
    for case, facts in cases.items():
        verdict = check_completions([attempt("t1", "m1", None)], {"t1": facts})
        assert verdict.half_written == ["t1"], case


def test_a_job_taking_effect_once_per_instance_passes_and_a_missing_or_repeated_one_does_not():
    expected = {"service.completed": 1, "timer.fired": 1}
    once = Counter({"service.completed": 1, "timer.fired": 1})
    verdict = check_jobs({"a": "completed", "b": "running", "c": "completed", "d": "completed"},
                         {"a": once, "b": Counter({"service.completed": 1}),
                          "c": Counter({"service.completed": 2, "timer.fired": 1}), "d": Counter()},
                         expected)
    assert verdict.finished == 1
    assert sorted(verdict.stuck) == ["b", "d"] and verdict.run_twice == ["c"]


def test_the_memory_slope_is_the_least_squares_line():
    assert least_squares_slope([(0, 100.0), (1, 102.0), (2, 104.0)]) == 2.0
    assert least_squares_slope([(0, 100.0), (1, 99.0), (2, 101.0), (3, 100.0)]) == 0.2
    assert least_squares_slope([(1, 100.0)]) is None


def test_the_table_shows_every_loss_and_a_scenario_with_none_is_ok():
    clean = Outcome("a", "clean", lost=0, twice=0, other_5xx=0, recovered=True, recovery_seconds=1.5)
    broken = Outcome("b", "broken", lost=2, twice=0, other_5xx=8, recovered=False)
    table = render([clean, broken])
    assert clean.ok and not broken.ok
    assert "| clean | 0 | 0 | 0 | yes, 1.5 s |" in table
    assert "| broken | **2** | 0 | **8** | **no** |" in table


def test_the_suite_skips_with_the_reason_when_the_server_binaries_are_missing(monkeypatch, capsys):
    from bench.faults import __main__ as faults_main
    from bench.faults import services

    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(services.glob, "glob", lambda pattern: [])
    assert faults_main.main(["--only", "server_kill"]) == 0
    assert "fault suite skipped: initdb not found" in capsys.readouterr().out
