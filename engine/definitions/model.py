"""What Flowdesk needs to know about a process beyond what SpiffWorkflow runs.

Assignment, forms, due dates, priority and separation-of-duties rules live on user tasks
as Spiff properties (``spiffworkflow:property``) or Camunda attributes; they are read
from the XML once at deploy time into these records and stored with the version, so the
runtime never looks at XML again.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

STARTER = "@starter"
# Extension properties holding translations as JSON objects {locale: text}.
NAME_I18N = "nameI18n"
DOCUMENTATION_I18N = "documentationI18n"
# The extension property of an end event saying what finishing there means
# (``completed``, ``withdrawn``, ``cancelled``); Camunda models may write ``flowdesk:outcome``.
OUTCOME = "outcome"


@dataclass(frozen=True)
class HumanTaskInfo:
    element_id: str
    name: str
    lane: str | None = None
    candidate_groups: tuple[str, ...] = ()
    # Literal username, or a ``${...}`` expression evaluated against the task data.
    assignee: str | None = None
    form: str | None = None
    ui_form: str | None = None
    # ISO 8601 duration from creation (``P3D``), date-time, or ``${...}``.
    due: str | None = None
    priority: str | None = None
    # Element ids of tasks whose completers may not complete this one; ``@starter`` for
    # the user who started the instance.
    separate_from: tuple[str, ...] = ()
    documentation: str | None = None
    # Translations by locale ({"zh-CN": "..."}); the plain name/documentation is the fallback.
    name_i18n: dict[str, str] = field(default_factory=dict)
    documentation_i18n: dict[str, str] = field(default_factory=dict)
    # Users named as candidates (Camunda candidateUsers); the inbox routes by group, so a
    # task with candidate users and no assignee is assigned to the first of them.
    candidate_users: tuple[str, ...] = ()
    # Follow-up date (Camunda), like `due`.
    follow_up: str | None = None
    # Validation rules checked against the process before the submission is accepted
    # (see engine.forms.task_rules), in their stored shape.
    validate: tuple[dict, ...] = ()
    # The business facts shown above the form (see definitions/summary.py), normalised.
    summary: tuple[dict, ...] = ()


@dataclass(frozen=True)
class ProcessInfo:
    key: str
    name: str
    file: str
    lanes: tuple[str, ...] = ()
    start_lane: str | None = None
    start_form: str | None = None
    start_ui_form: str | None = None
    human_tasks: dict[str, HumanTaskInfo] = field(default_factory=dict)
    called_keys: tuple[str, ...] = ()
    decision_refs: tuple[str, ...] = ()
    # Business-rule task id -> the decision it evaluates.
    decision_tasks: dict[str, str] = field(default_factory=dict)
    # Names of the messages whose arrival starts this process (message start events).
    message_starts: tuple[str, ...] = ()
    # Whether a start event without a trigger exists, i.e. whether the process can be
    # started by hand (a process with only message or timer starts cannot).
    plain_start: bool = True
    # Service task id -> {"operation", "params": {name: expression}, "line"} (connector calls).
    service_tasks: dict[str, dict] = field(default_factory=dict)
    # Start event id -> (timer kind: date | duration | cycle, expression) of timer start events.
    timer_starts: dict[str, tuple[str, str]] = field(default_factory=dict)
    documentation: str | None = None
    name_i18n: dict[str, str] = field(default_factory=dict)
    documentation_i18n: dict[str, str] = field(default_factory=dict)
    # False for a process the model marks non-executable (isExecutable="false"): deployed
    # with its diagram to be viewed, never started.
    executable: bool = True
    # Groups whose members change the process's tasks' due dates and priorities.
    supervising_groups: tuple[str, ...] = ()
    # Validation rules of the start event (see HumanTaskInfo.validate).
    start_validate: tuple[dict, ...] = ()
    # End event id -> the outcome its model declares (engine/status.py: ends_as_cancelled).
    end_outcomes: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, dct: dict) -> ProcessInfo:
        values = dict(dct)
        values["human_tasks"] = {
            k: HumanTaskInfo(**{**v, "candidate_groups": tuple(v["candidate_groups"]),
                                "separate_from": tuple(v["separate_from"]),
                                "candidate_users": tuple(v.get("candidate_users", ())),
                                "validate": tuple(v.get("validate", ())),
                                "summary": tuple(v.get("summary", ()))})
            for k, v in dct.get("human_tasks", {}).items()
        }
        for name in ("lanes", "called_keys", "decision_refs", "message_starts", "supervising_groups"):
            values[name] = tuple(dct.get(name, ()))
        values["start_validate"] = tuple(dct.get("start_validate", ()))
        values["timer_starts"] = {k: tuple(v) for k, v in dct.get("timer_starts", {}).items()}
        return cls(**values)


_DECODED: dict[str, ProcessInfo] = {}


def process_info(definition) -> ProcessInfo:
    """The inspected info of a deployed version (a ``Definition`` row), decoded once per
    process: a version never changes, and every step and task check reads it."""
    info = _DECODED.get(definition.id)
    if info is None:
        if len(_DECODED) > 4096:
            _DECODED.clear()
        info = _DECODED[definition.id] = ProcessInfo.from_dict(definition.info)
    return info
