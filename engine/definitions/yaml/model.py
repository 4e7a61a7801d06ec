"""The YAML process and decision formats as typed records, with a line for everything
(`reading` builds them from a document)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .lines import PathPart
from .naming import humanize

GATEWAYS = ("exclusive", "inclusive", "parallel")
ACTIVITIES = ("user", "script", "service", "decide", "call")
STARTER_NAMES = ("starter", "@starter")
ANY_ERROR = "any"
TimerKind = Literal["duration", "date", "cycle"]


@dataclass(frozen=True)
class Timer:
    """When a timer fires: an ISO 8601 literal (kind read from its shape) or an expression."""

    kind: TimerKind
    value: str
    expression: bool
    line: int


@dataclass(frozen=True)
class Boundary:
    """An event attached to an activity: a timer, an error or a message."""

    id: str
    name: str | None
    kind: Literal["timer", "error", "message"]
    host: str
    target: str | None
    interrupting: bool
    line: int
    target_line: int
    timer: Timer | None = None
    error: str | None = None
    message: str | None = None
    variable: str | None = None
    interrupting_line: int | None = None
    # The name by locale ({"zh-CN": "..."}), shown in the diagram and the history.
    name_i18n: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Branch:
    """An outgoing flow of a gateway; ``condition`` is None for the default and for
    parallel branches."""

    target: str
    condition: str | None
    name: str | None
    line: int
    condition_line: int
    default: bool = False


@dataclass(frozen=True)
class ForEach:
    """Multi-instance: once per item of ``items``, the item in ``item``; optionally each
    instance's ``collect`` variable gathered into the list ``into``."""

    items: str
    item: str
    line: int
    collect: str | None = None
    into: str | None = None
    sequential: bool = False
    until: str | None = None


@dataclass(frozen=True)
class Parameter:
    """A connector parameter: a name and a Python expression (literals are written as
    expressions too, so ``100`` and ``'"EUR"'`` both work)."""

    name: str
    value: str
    type: str
    line: int


@dataclass
class Step:
    kind: str
    id: str
    index: int
    line: int
    name: str | None = None
    documentation: str | None = None
    # Translations by locale, any kind of step: {"zh-CN": "..."} (the task pages, the diagram
    # and the history show them).
    name_i18n: dict[str, str] = field(default_factory=dict)
    documentation_i18n: dict[str, str] = field(default_factory=dict)
    lane: str | None = None
    next: str | None = None
    # Line of each key the step was written with, for problems about that key.
    lines: dict[str, int] = field(default_factory=dict)
    implicit: bool = False
    # user
    form: str | None = None
    due: str | None = None
    priority: str | None = None
    assignee: str | None = None
    groups: tuple[str, ...] = ()
    separate_from: tuple[str, ...] = ()
    validate: tuple[tuple[Any, int], ...] = ()  # rules as written, each with its line
    # normalised summary entries (definitions/summary.py)
    summary: tuple[dict, ...] = ()
    # script
    code: str | None = None
    code_line: int | None = None
    # service
    connector: str | None = None
    parameters: tuple[Parameter, ...] = ()
    result: str | None = None
    # decide / call
    table: str | None = None
    process: str | None = None
    # send / receive
    message: str | None = None
    payload: str | None = None
    variable: str | None = None
    # wait
    timer: Timer | None = None
    # gateways: conditional or parallel branches, then the default
    branches: tuple[Branch, ...] = ()
    default: Branch | None = None
    # end
    error: str | None = None
    # what finishing here means: completed (default), withdrawn or cancelled (engine/status.py)
    outcome: str | None = None
    boundaries: tuple[Boundary, ...] = ()
    for_each: ForEach | None = None

    @property
    def title(self) -> str:
        return self.name or humanize(self.id)

    @property
    def is_gateway(self) -> bool:
        return self.kind in GATEWAYS

    @property
    def splits(self) -> bool:
        """A gateway with branches; one without is a join (or merge) and flows on."""
        return self.is_gateway and bool(self.branches or self.default)

    @property
    def flows_on(self) -> bool:
        """True when the step continues to `next` or to the following step."""
        return self.kind != "end" and not self.splits

    def at(self, key: str) -> int:
        """The line of one of the step's keys, or of the step."""
        return self.lines.get(key, self.line)


@dataclass(frozen=True)
class Start:
    id: str
    line: int
    name: str | None = None
    documentation: str | None = None
    lane: str | None = None
    form: str | None = None
    data: tuple[str, ...] = ()
    name_i18n: Mapping[str, str] = field(default_factory=dict)
    documentation_i18n: Mapping[str, str] = field(default_factory=dict)
    message: str | None = None
    variable: str | None = None
    timer: Timer | None = None
    lines: Mapping[str, int] = field(default_factory=dict)
    # Validation rules as written, with the line of each (see engine.forms.task_rules).
    validate: tuple[tuple[Any, int], ...] = ()

    def at(self, key: str) -> int:
        return self.lines.get(key, self.line)


@dataclass(frozen=True)
class Correlation:
    """A correlation property of a message: read from the payload, and (when a process
    waits for the message) from the process data."""

    name: str
    payload: str
    process: str
    line: int


@dataclass(frozen=True)
class Message:
    name: str
    line: int
    correlation: tuple[Correlation, ...] = ()
    documentation: str | None = None


@dataclass(frozen=True)
class Lane:
    id: str
    group: str
    line: int


@dataclass(frozen=True)
class DecisionInput:
    id: str
    expression: str
    label: str
    line: int


@dataclass(frozen=True)
class DecisionOutput:
    name: str
    label: str
    line: int


@dataclass(frozen=True)
class Cell:
    """A rule's entry for one input or output, as written."""

    value: Any
    line: int


@dataclass(frozen=True)
class Rule:
    line: int
    when: Mapping[str, Cell]
    then: Mapping[str, Cell]
    note: str | None = None


@dataclass(frozen=True)
class DecisionTable:
    id: str
    file: str
    line: int
    name: str | None = None
    documentation: str | None = None
    hit_policy: str = "unique"
    inputs: tuple[DecisionInput, ...] = ()
    outputs: tuple[DecisionOutput, ...] = ()
    rules: tuple[Rule, ...] = ()
    # Where the table sits in its file ("decisions", id) for an inline table.
    path: tuple[PathPart, ...] = ()

    @property
    def title(self) -> str:
        return self.name or humanize(self.id)


@dataclass
class ProcessModel:
    key: str
    file: str
    line: int
    name: str | None = None
    documentation: str | None = None
    name_i18n: dict[str, str] = field(default_factory=dict)
    documentation_i18n: dict[str, str] = field(default_factory=dict)
    supervisors: tuple[str, ...] = ()
    # Summary entries every user task shows (a step's own follow them).
    summary: tuple[dict, ...] = ()
    lanes: dict[str, Lane] = field(default_factory=dict)
    start: Start = field(default_factory=lambda: Start("start", 1))
    messages: dict[str, Message] = field(default_factory=dict)
    decisions: dict[str, DecisionTable] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.name or humanize(self.key)

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def following(self, step: Step) -> Step | None:
        """The step after `step` in the list (the implicit end after the last one)."""
        return self.steps[step.index + 1] if step.index + 1 < len(self.steps) else None

    def target_of(self, step: Step) -> str | None:
        """Where a step that flows on goes: its `next`, else the following step."""
        if step.next:
            return step.next
        following = self.following(step)
        return following.id if following else None

    def boundaries(self) -> list[Boundary]:
        return [b for s in self.steps for b in s.boundaries]
