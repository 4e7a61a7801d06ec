"""One scenario's outcome: the figures of the "Faults survived" table, and the details."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

COLUMNS = ("scenario", "acknowledged steps lost", "steps committed twice", "5xx other than 503",
           "recovery without restart", "timers late by", "memory slope")


@dataclass
class Outcome:
    key: str
    title: str
    lost: int | None = None
    twice: int | None = None
    other_5xx: int | None = None
    # None: not applicable; otherwise (recovered by itself, seconds to the first success after the fault)
    recovered: bool | None = None
    recovery_seconds: float | None = None
    # The fault is the process's death: the suite starts it again, as a supervisor would.
    restarted_by_design: bool = False
    timers_late_seconds: float | None = None
    memory_slope_mb_per_min: float | None = None
    memory_flat: bool | None = None
    skipped: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return (self.skipped is None and not self.lost and not self.twice and not self.other_5xx
                and self.recovered is not False and self.memory_flat is not False)

    def cells(self) -> list[str]:
        if self.skipped:
            return [self.title, f"skipped: {self.skipped}", "", "", "", "", ""]
        if self.restarted_by_design:
            recovery = "restarted (by design)"
        elif self.recovered is None:
            recovery = "—"
        else:
            recovery = "yes" if self.recovered else "**no**"
        if recovery != "—" and self.recovery_seconds is not None:
            recovery += f", {self.recovery_seconds:.1f} s"
        slope = "—" if self.memory_slope_mb_per_min is None else (
            f"{self.memory_slope_mb_per_min:+.2f} MB/min ({'flat' if self.memory_flat else '**not flat**'})")
        late = "—" if self.timers_late_seconds is None else f"{self.timers_late_seconds:.1f} s (max, any job)"
        return [self.title, _count(self.lost), _count(self.twice), _count(self.other_5xx), recovery, late, slope]


def _count(value: int | None) -> str:
    if value is None:
        return "—"
    return str(value) if value == 0 else f"**{value}**"


def render(outcomes: list[Outcome]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "| " + " | ".join(["---"] + ["---:"] * 3 + ["---"] * 3) + " |"]
    lines += ["| " + " | ".join(o.cells()) + " |" for o in outcomes]
    for outcome in outcomes:
        for note in outcome.notes:
            lines.append(f"- {outcome.title}: {note}")
    return "\n".join(lines)


def write_json(path: Path, outcomes: list[Outcome], settings: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"written_at": datetime.now(UTC).isoformat(timespec="seconds"), "settings": settings,
                "scenarios": {o.key: {**asdict(o), "ok": o.ok} for o in outcomes}}
    path.write_text(json.dumps(document, indent=2, default=str))
