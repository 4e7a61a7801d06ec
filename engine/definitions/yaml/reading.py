"""Reading YAML processes and decision tables into the typed records of `model`.

`build_process` and `build_decision` read data that may not fit the schema (the schema
problems are reported separately): anything of the wrong type is skipped, not trusted,
so that references, reachability and expressions can still be checked in the same run
and the designer gets every problem at once. Everything the later stages need is
resolved here once: default names, lane inheritance (a step without ``lane`` stays in
the lane of the step before it) and the implicit end event after a last step that
flows on.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .. import summary as summaries
from .lines import PathPart, YamlSource
from .model import (
    ACTIVITIES,
    GATEWAYS,
    Boundary,
    Branch,
    Cell,
    Correlation,
    DecisionInput,
    DecisionOutput,
    DecisionTable,
    ForEach,
    Lane,
    Message,
    Parameter,
    ProcessModel,
    Rule,
    Start,
    Step,
    Timer,
    TimerKind,
)
from .naming import IdAllocator
from .schema import step_kinds


def _text(mapping: Any, key: str) -> str | None:
    value = mapping.get(key) if isinstance(mapping, dict) else None
    return value if isinstance(value, str) and value else None


def _lines(source: YamlSource, path: tuple[PathPart, ...], mapping: Any) -> dict[str, int]:
    if not isinstance(mapping, dict):
        return {}
    return {str(key): source.line((*path, key)) for key in mapping}


def _timer(source: YamlSource, path: tuple[PathPart, ...], value: Any) -> Timer | None:
    line = source.line(path)
    if isinstance(value, str) and value:
        text = value.strip()
        upper = text.upper()
        kind: TimerKind = ("cycle" if upper.startswith("R")
                           else "duration" if upper.lstrip("+-").startswith("P") else "date")
        return Timer(kind, text, False, line)
    if isinstance(value, dict) and len(value) == 1:
        ((kind, expression),) = value.items()
        if kind in ("duration", "date", "cycle") and isinstance(expression, str) and expression:
            return Timer(kind, expression, True, line)
    return None


def _translations(mapping: dict, key: str) -> dict[str, str]:
    """{locale: text} as written (the schema has checked its shape)."""
    value = mapping.get(key)
    if not isinstance(value, dict):
        return {}
    return {str(locale): text for locale, text in value.items() if isinstance(text, str) and text}


def _rules(source: YamlSource, path: tuple, mapping: dict) -> tuple[tuple[Any, int], ...]:
    """The ``validate`` rules as written, each with its line (checked in `validate`)."""
    rules = mapping.get("validate")
    if not isinstance(rules, list):
        return ()
    return tuple((rule, source.line((*path, "validate", index))) for index, rule in enumerate(rules))
def _summary(raw: Any) -> tuple[dict, ...]:
    """Normalised summary entries; the schema reports a malformed list, so it reads as none."""
    try:
        return tuple(summaries.entries(raw)) if raw is not None else ()
    except summaries.SummaryError:
        return ()


def build_process(source: YamlSource) -> ProcessModel:
    """The process in `source`, as far as it can be read (see module doc)."""
    data = source.data if isinstance(source.data, dict) else {}
    key = _text(data, "process") or "process"
    model = ProcessModel(key=key, file=source.file, line=source.line(("process",)),
                         name=_text(data, "name"), documentation=_text(data, "documentation"),
                         name_i18n=_translations(data, "name_i18n"),
                         documentation_i18n=_translations(data, "documentation_i18n"),
                         supervisors=tuple(g for g in data.get("supervisors") or () if isinstance(g, str) and g),
                         summary=_summary(data.get("summary")))
    lanes = data.get("lanes")
    if isinstance(lanes, dict):
        for lane_id, group in lanes.items():
            if isinstance(group, str) and group:
                model.lanes[str(lane_id)] = Lane(str(lane_id), group, source.line(("lanes", lane_id)))
    first_lane = next(iter(model.lanes), None)

    start = data.get("start") if isinstance(data.get("start"), dict) else {}
    start_data = start.get("data") if isinstance(start.get("data"), list) else []
    model.start = Start(
        id=_text(start, "id") or "start",
        line=source.line(("start",)) if "start" in data else model.line,
        name=_text(start, "name"),
        documentation=_text(start, "documentation"),
        name_i18n=_translations(start, "name_i18n"),
        documentation_i18n=_translations(start, "documentation_i18n"),
        lane=_text(start, "lane") or first_lane,
        form=_text(start, "form"),
        data=tuple(v for v in start_data if isinstance(v, str)),
        message=_text(start, "message"),
        variable=_text(start, "variable"),
        timer=_timer(source, ("start", "timer"), start.get("timer")),
        lines=_lines(source, ("start",), start),
        validate=_rules(source, ("start",), start),
    )

    messages = data.get("messages")
    if isinstance(messages, dict):
        for name, spec in messages.items():
            model.messages[str(name)] = _message(source, str(name), spec)

    decisions = data.get("decisions")
    if isinstance(decisions, dict):
        for decision_id, table in decisions.items():
            model.decisions[str(decision_id)] = _decision(source, str(decision_id), table,
                                                          ("decisions", decision_id))

    steps = data.get("steps") if isinstance(data.get("steps"), list) else []
    lane = model.start.lane
    for index, raw in enumerate(steps):
        step = _step(source, index, raw)
        if step is None:
            continue
        if step.lane is None:
            step.lane = lane
        lane = step.lane
        step.index = len(model.steps)
        model.steps.append(step)
    _name_boundaries(model)
    _add_implicit_end(model)
    return model


def _name_boundaries(model: ProcessModel) -> None:
    """Boundary events written without an id get ``<step>_<kind>`` (``approve_timer``)."""
    ids = IdAllocator([model.start.id, *(s.id for s in model.steps), *(b.id for b in model.boundaries() if b.id)])
    for step in model.steps:
        step.boundaries = tuple(b if b.id else replace(b, id=ids.allocate(f"{b.host}_{b.kind}"))
                                for b in step.boundaries)


def _message(source: YamlSource, name: str, spec: Any) -> Message:
    path = ("messages", name)
    spec = spec if isinstance(spec, dict) else {}
    properties = []
    correlation = spec.get("correlation")
    if isinstance(correlation, dict):
        for prop, how in correlation.items():
            line = source.line((*path, "correlation", prop))
            if isinstance(how, str) and how:
                properties.append(Correlation(str(prop), how, how, line))
            elif isinstance(how, dict) and _text(how, "payload"):
                payload = _text(how, "payload") or ""
                properties.append(Correlation(str(prop), payload, _text(how, "process") or payload, line))
    return Message(name, source.line(path), tuple(properties), _text(spec, "documentation"))


def _step(source: YamlSource, index: int, raw: Any) -> Step | None:
    if not isinstance(raw, dict):
        return None
    kind = next((k for k in step_kinds() if isinstance(raw.get(k), str) and raw.get(k)), None)
    if kind is None:
        return None
    path = ("steps", index)
    step = Step(kind=kind, id=raw[kind], index=index, line=source.line(path),
                name=_text(raw, "name"), documentation=_text(raw, "documentation"),
                lane=_text(raw, "lane"), lines=_lines(source, path, raw),
                name_i18n=_translations(raw, "name_i18n"),
                documentation_i18n=_translations(raw, "documentation_i18n"))
    if kind not in GATEWAYS:
        step.next = _text(raw, "next")
    if kind == "user":
        step.form, step.due, step.assignee = _text(raw, "form"), _text(raw, "due"), _text(raw, "assignee")
        step.summary = _summary(raw.get("summary"))
        priority = raw.get("priority")
        if isinstance(priority, int) and not isinstance(priority, bool):
            step.priority = str(priority)
        elif isinstance(priority, str) and priority:
            step.priority = priority
        groups = raw.get("groups")
        if isinstance(groups, str) and groups:
            step.groups = tuple(g.strip() for g in groups.split(",") if g.strip())
        elif isinstance(groups, list):
            step.groups = tuple(g for g in groups if isinstance(g, str) and g)
        separate = raw.get("separate_from")
        if isinstance(separate, list):
            step.separate_from = tuple(s for s in separate if isinstance(s, str) and s)
        step.validate = _rules(source, path, raw)
    elif kind == "script":
        step.code = _text(raw, "code")
        step.code_line = source.value_line((*path, "code"))
    elif kind == "service":
        step.connector, step.result = _text(raw, "connector"), _text(raw, "result")
        step.parameters = _parameters(source, path, raw.get("parameters"))
    elif kind == "decide":
        step.table = _text(raw, "table")
    elif kind == "call":
        step.process = _text(raw, "process")
    elif kind in ("send", "receive"):
        step.message, step.payload, step.variable = (_text(raw, "message"), _text(raw, "payload"),
                                                     _text(raw, "variable"))
    elif kind == "wait":
        step.timer = _timer(source, (*path, "timer"), raw.get("timer"))
    elif kind == "end":
        step.error = _text(raw, "error")
        step.outcome = _text(raw, "outcome")
    elif kind in GATEWAYS:
        step.branches, step.default = _branches(source, path, kind, raw)
        if not step.splits:
            step.next = _text(raw, "next")
    if kind in ACTIVITIES:
        step.boundaries = _boundaries(source, path, step.id, raw.get("boundary"))
        step.for_each = _for_each(source, (*path, "for_each"), raw.get("for_each"))
    return step


def _parameters(source: YamlSource, path: tuple[PathPart, ...], raw: Any) -> tuple[Parameter, ...]:
    if not isinstance(raw, dict):
        return ()
    found = []
    for name, spec in raw.items():
        line = source.line((*path, "parameters", name))
        value, type_ = (spec.get("value"), _text(spec, "type") or "any") if isinstance(spec, dict) else (spec, "any")
        if isinstance(value, bool):
            text = "True" if value else "False"
        elif value is None:
            text = "None"
        elif isinstance(value, int | float):
            text = repr(value)
        elif isinstance(value, str) and value:
            text = value
        else:
            continue
        found.append(Parameter(str(name), text, type_, line))
    return tuple(found)


def _branches(source: YamlSource, path: tuple[PathPart, ...], kind: str,
              raw: dict) -> tuple[tuple[Branch, ...], Branch | None]:
    branches = []
    listed = raw.get("branches") if isinstance(raw.get("branches"), list) else []
    for index, entry in enumerate(listed):
        where = (*path, "branches", index)
        if kind == "parallel" and isinstance(entry, str) and entry:
            line = source.line(where)
            branches.append(Branch(entry, None, None, line, line))
        elif isinstance(entry, dict) and _text(entry, "to"):
            condition = entry.get("if") if kind != "parallel" else None
            branches.append(Branch(entry["to"], condition if isinstance(condition, str) else None,
                                   _text(entry, "name"), source.line((*where, "to")),
                                   source.value_line((*where, "if"))))
    default = None
    raw_default = raw.get("default")
    if isinstance(raw_default, str) and raw_default:
        line = source.line((*path, "default"))
        default = Branch(raw_default, None, None, line, line, default=True)
    elif isinstance(raw_default, dict) and _text(raw_default, "to"):
        line = source.line((*path, "default", "to"))
        default = Branch(raw_default["to"], None, _text(raw_default, "name"), line, line, default=True)
    return tuple(branches), default


def _boundaries(source: YamlSource, path: tuple[PathPart, ...], host: str, raw: Any) -> tuple[Boundary, ...]:
    if not isinstance(raw, list):
        return ()
    found = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict):
            continue
        where = (*path, "boundary", index)
        kind = next((k for k in ("timer", "error", "message") if k in entry), None)
        if kind is None:
            continue
        interrupting = entry.get("interrupting", True)
        found.append(Boundary(
            id=_text(entry, "id") or "",
            name=_text(entry, "name"),
            kind=kind,
            host=host,
            target=_text(entry, "to"),
            interrupting=interrupting if isinstance(interrupting, bool) else True,
            line=source.line(where),
            target_line=source.line((*where, "to")),
            timer=_timer(source, (*where, "timer"), entry.get("timer")) if kind == "timer" else None,
            error=_text(entry, "error") if kind == "error" else None,
            message=_text(entry, "message") if kind == "message" else None,
            variable=_text(entry, "variable"),
            interrupting_line=source.line((*where, "interrupting")) if "interrupting" in entry else None,
            name_i18n=_translations(entry, "name_i18n"),
        ))
    return tuple(found)


def _for_each(source: YamlSource, path: tuple[PathPart, ...], raw: Any) -> ForEach | None:
    line = source.line(path)
    if isinstance(raw, str) and raw:
        return ForEach(raw, "item", line)
    if isinstance(raw, dict) and _text(raw, "items"):
        sequential = raw.get("sequential", False)
        return ForEach(raw["items"], _text(raw, "as") or "item", line, _text(raw, "collect"), _text(raw, "into"),
                       sequential if isinstance(sequential, bool) else False, _text(raw, "until"))
    return None


def _add_implicit_end(model: ProcessModel) -> None:
    """A last step that flows on ends the process: give it an end event to flow to."""
    if not model.steps:
        return
    last = model.steps[-1]
    if not last.flows_on or last.next:
        return
    ids = IdAllocator([model.start.id, *(s.id for s in model.steps), *(b.id for b in model.boundaries())])
    model.steps.append(Step(kind="end", id=ids.allocate("end"), index=len(model.steps), line=last.line,
                            name="End", lane=last.lane, implicit=True))


def build_decision(source: YamlSource) -> DecisionTable:
    """The decision table of a standalone decision file."""
    data = source.data if isinstance(source.data, dict) else {}
    return _decision(source, _text(data, "decision") or "decision", data, ())


def _decision(source: YamlSource, decision_id: str, raw: Any, path: tuple[PathPart, ...]) -> DecisionTable:
    raw = raw if isinstance(raw, dict) else {}
    inputs = []
    for index, entry in enumerate(raw.get("inputs") if isinstance(raw.get("inputs"), list) else []):
        line = source.line((*path, "inputs", index))
        if isinstance(entry, str) and entry:
            inputs.append(DecisionInput(entry, entry, entry, line))
        elif isinstance(entry, dict) and _text(entry, "id"):
            expression = _text(entry, "expression") or entry["id"]
            inputs.append(DecisionInput(entry["id"], expression, _text(entry, "label") or entry["id"], line))
    outputs = []
    for index, entry in enumerate(raw.get("outputs") if isinstance(raw.get("outputs"), list) else []):
        line = source.line((*path, "outputs", index))
        if isinstance(entry, str) and entry:
            outputs.append(DecisionOutput(entry, entry, line))
        elif isinstance(entry, dict) and _text(entry, "name"):
            outputs.append(DecisionOutput(entry["name"], _text(entry, "label") or entry["name"], line))
    rules = []
    for index, entry in enumerate(raw.get("rules") if isinstance(raw.get("rules"), list) else []):
        if not isinstance(entry, dict):
            continue
        where = (*path, "rules", index)
        cells = {}
        for part in ("when", "then"):
            written = entry.get(part) if isinstance(entry.get(part), dict) else {}
            cells[part] = {str(k): Cell(v, source.line((*where, part, k))) for k, v in written.items()}
        rules.append(Rule(source.line(where), cells["when"], cells["then"], _text(entry, "note")))
    hit_policy = raw.get("hit_policy") if raw.get("hit_policy") in ("unique", "first", "collect") else "unique"
    line = source.line(path) if path else source.line(("decision",))
    return DecisionTable(decision_id, source.file, line, _text(raw, "name"), _text(raw, "documentation"),
                         hit_policy, tuple(inputs), tuple(outputs), tuple(rules), path)
