"""Reading :class:`ProcessInfo` out of a (translated) BPMN document."""

from __future__ import annotations

import json

from lxml import etree

from .. import expressions
from ..errors import Problem
from ..forms import task_rules
from . import summary as summaries
from .model import DOCUMENTATION_I18N, NAME_I18N, OUTCOME, STARTER, HumanTaskInfo, ProcessInfo
from .namespaces import CAMUNDA, SPIFF, bpmn, camunda, flowdesk

_HUMAN_TAGS = (bpmn("userTask"), bpmn("manualTask"))
_FORM_PREFIXES = ("embedded:app:", "embedded:deployment:", "camunda-forms:deployment:", "camunda-forms:app:", "app:")


def _properties(node: etree._Element) -> dict[str, str]:
    """Spiff and Camunda extension properties of an element, Spiff winning on a clash."""
    found: dict[str, str] = {}
    ext = node.find(bpmn("extensionElements"))
    if ext is None:
        return found
    for prop in ext.iter(f"{{{CAMUNDA}}}property"):
        if prop.get("name"):
            found[prop.get("name")] = prop.get("value", "")
    for prop in ext.iter(f"{{{SPIFF}}}property"):
        if prop.get("name"):
            found[prop.get("name")] = prop.get("value", "")
    return found


def _translations(file: str, node: etree._Element, props: dict[str, str], name: str,
                  problems: list[Problem]) -> dict[str, str]:
    """A JSON object {locale: text} from property `name`; a malformed one is a problem."""
    raw = props.get(name)
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) and v
                                              for k, v in value.items()):
        problems.append(Problem(file, node.sourceline, f"'{node.get('id')}': property {name} must be a JSON "
                                                       'object of locale to text, e.g. {"zh-CN": "..."}'))
        return {}
    return value


def _rules(file: str, node: etree._Element, props: dict[str, str], problems: list[Problem]) -> tuple[dict, ...]:
    """The validation rules of a user task or start event (property ``validationRules``, a
    JSON list; see `engine.forms.task_rules`); each malformed one is a problem."""
    raw = props.get(task_rules.PROPERTY)
    if not raw:
        return ()
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    rules, found = task_rules.normalise(value)
    problems.extend(Problem(file, node.sourceline, f"'{node.get('id')}': {task_rules.PROPERTY}: {problem}")
                    for problem in found)
    return tuple(rules)
def _summary(file: str, node: etree._Element, props: dict[str, str], problems: list[Problem]) -> tuple[dict, ...]:
    try:
        return tuple(summaries.decode(props.get(summaries.PROPERTY)))
    except summaries.SummaryError as error:
        problems.append(Problem(file, node.sourceline, f"'{node.get('id')}': property summary: {error}"))
        return ()


def form_name(reference: str | None) -> str | None:
    """The form a reference names: ``approve.json``, ``forms/approve.yaml``,
    ``embedded:app:forms/approve.html`` and ``approve`` all name ``approve``."""
    if not reference:
        return None
    ref = reference.strip()
    for prefix in _FORM_PREFIXES:
        if ref.startswith(prefix):
            ref = ref[len(prefix):]
    ref = ref.rsplit("/", 1)[-1]
    for suffix in (".ui.json", ".ui.yaml", ".ui.yml", ".json", ".yaml", ".yml", ".html", ".form"):
        if ref.endswith(suffix):
            return ref[: -len(suffix)]
    return ref


def _split(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _lanes(process: etree._Element) -> dict[str, str]:
    """Element id -> lane name, over nested lane sets."""
    owner: dict[str, str] = {}
    for lane in process.iter(bpmn("lane")):
        name = (lane.get("name") or lane.get("id") or "").strip()
        for ref in lane.findall(bpmn("flowNodeRef")):
            if ref.text:
                owner[ref.text.strip()] = name
    return owner


def _normalised(node: etree._Element) -> dict[str, str]:
    """What the dialect translation wrote in ``flowdesk:humanTask`` (Camunda 8 assignment,
    schedule and forms, Camunda 7 expressions already translated): wins over the rest."""
    ext = node.find(bpmn("extensionElements"))
    found = ext.find(flowdesk("humanTask")) if ext is not None else None
    return dict(found.attrib) if found is not None else {}


def _groups(value: str | None) -> tuple[str, ...]:
    """Candidate groups: a comma list, or ``=`` an expression that does not depend on the
    instance (evaluated now: the inbox routes by groups known when the task opens)."""
    if not value:
        return ()
    if value.startswith("="):
        try:
            result = expressions.evaluate(value[1:], {})
        except expressions.ExpressionError:
            return ()
        if isinstance(result, str):
            return _split(result)
        if isinstance(result, list | tuple):
            return tuple(str(v) for v in result if v)
        return ()
    return _split(value)


def _first_user(value: str | None) -> str | None:
    """The first of the candidate users, as an assignee value."""
    if not value:
        return None
    if value.startswith("="):
        return f"=(lambda v: (v[0] if v else None) if isinstance(v, list) else v)({value[1:]})"
    users = _split(value)
    return users[0] if users else None


def inspect_process(file: str, process: etree._Element, problems: list[Problem]) -> ProcessInfo:
    key = process.get("id")
    lanes = _lanes(process)
    tasks: dict[str, HumanTaskInfo] = {}
    for node in process.iter(*_HUMAN_TAGS):
        element_id = node.get("id")
        props = _properties(node)
        meta = _normalised(node)
        documentation = node.find(bpmn("documentation"))
        groups = _groups(meta.get("candidateGroups")) if "candidateGroups" in meta else \
            _split(node.get(camunda("candidateGroups")) or props.get("candidateGroups"))
        users = meta.get("candidateUsers")
        assignee = meta.get("assignee") or node.get(camunda("assignee")) or props.get("assignee") or None
        if assignee is None and not groups and users:
            assignee = _first_user(users)
        info = HumanTaskInfo(
            element_id=element_id,
            name=node.get("name") or element_id,
            lane=lanes.get(element_id),
            candidate_groups=groups,
            assignee=assignee,
            form=meta.get("form") or form_name(props.get("formJsonSchemaFilename") or meta.get("formKey")
                                               or node.get(camunda("formKey"))),
            ui_form=form_name(props.get("formUiSchemaFilename")),
            due=meta.get("dueDate") or node.get(camunda("dueDate")) or props.get("dueDate") or None,
            priority=meta.get("priority") or node.get(camunda("priority")) or props.get("priority") or None,
            separate_from=_split(props.get("separateFrom")),
            documentation=(documentation.text or "").strip() or None if documentation is not None else None,
            name_i18n=_translations(file, node, props, NAME_I18N, problems),
            documentation_i18n=_translations(file, node, props, DOCUMENTATION_I18N, problems),
            candidate_users=_split(users) if users and not users.startswith("=") else (),
            follow_up=meta.get("followUpDate") or node.get(camunda("followUpDate")) or None,
            validate=_rules(file, node, props, problems), summary=_summary(file, node, props, problems),
        )
        tasks[element_id] = info
    for info in tasks.values():
        for ref in info.separate_from:
            if ref != STARTER and ref not in tasks:
                node = process.find(f".//*[@id='{info.element_id}']")
                problems.append(
                    Problem(file, node.sourceline if node is not None else None,
                            f"task '{info.element_id}': separateFrom names '{ref}', which is not a "
                            f"user task of process '{key}' (use {STARTER} for the instance starter)")
                )
        literal_priority = info.priority and not info.priority.startswith(("${", "="))
        if literal_priority and (not info.priority.isdigit() or not 0 <= int(info.priority) <= 100):
            node = process.find(f".//*[@id='{info.element_id}']")
            problems.append(Problem(file, node.sourceline if node is not None else None,
                                    f"task '{info.element_id}': priority must be 0-100, got {info.priority!r}"))

    start_form = start_ui = start_lane = None
    start_rules: tuple[dict, ...] = ()
    for start in process.findall(bpmn("startEvent")):
        props = _properties(start)
        start_rules = start_rules or _rules(file, start, props, problems)
        meta = _normalised(start)
        start_form = start_form or meta.get("form") or form_name(
            props.get("formJsonSchemaFilename") or meta.get("formKey") or start.get(camunda("formKey")))
        start_ui = start_ui or form_name(props.get("formUiSchemaFilename"))
        start_lane = start_lane or lanes.get(start.get("id"))

    called = tuple(sorted({n.get("calledElement") for n in process.iter(bpmn("callActivity"))
                           if n.get("calledElement")}))
    decision_tasks: dict[str, str] = {}
    for node in process.iter(bpmn("businessRuleTask")):
        ext = node.find(bpmn("extensionElements"))
        ref = ext.find(f"{{{SPIFF}}}calledDecisionId") if ext is not None else None
        if ref is not None and ref.text:
            decision_tasks[node.get("id")] = ref.text.strip()
    messages = {m.get("id"): m.get("name") or m.get("id") for m in process.getroottree().iter(bpmn("message"))}
    signals = {s.get("id"): s.get("name") or s.get("id") for s in process.getroottree().iter(bpmn("signal"))}
    message_starts = tuple(sorted({
        messages.get(d.get("messageRef"), d.get("messageRef"))
        for start in process.findall(bpmn("startEvent"))
        for d in start.findall(bpmn("messageEventDefinition"))
        if d.get("messageRef")
    } | {
        # signal start events, as the "message" signal:NAME (see messages.py)
        "signal:" + signals.get(d.get("signalRef"), d.get("signalRef"))
        for start in process.findall(bpmn("startEvent"))
        for d in start.findall(bpmn("signalEventDefinition"))
        if d.get("signalRef")
    }))
    service_tasks: dict[str, dict] = {}
    for node in process.iter(bpmn("serviceTask"), bpmn("sendTask")):
        ext = node.find(bpmn("extensionElements"))
        operator = ext.find(f"{{{SPIFF}}}serviceTaskOperator") if ext is not None else None
        if operator is None:
            continue
        params = {p.get("id"): p.get("value", "") for p in operator.iter(f"{{{SPIFF}}}parameter") if p.get("id")}
        service_tasks[node.get("id")] = {"operation": operator.get("id"), "params": params,
                                         "line": operator.sourceline}
    timer_starts: dict[str, tuple[str, str]] = {}
    for start in process.findall(bpmn("startEvent")):
        for definition in start.findall(bpmn("timerEventDefinition")):
            for tag, kind in (("timeDate", "date"), ("timeDuration", "duration"), ("timeCycle", "cycle")):
                node = definition.find(bpmn(tag))
                if node is not None and (node.text or "").strip():
                    timer_starts[start.get("id")] = (kind, node.text.strip())
    process_props = _properties(process)
    end_outcomes = _end_outcomes(file, process, problems)
    process_doc = process.find(bpmn("documentation"))
    return ProcessInfo(
        key=key,
        name=process.get("name") or key,
        documentation=(process_doc.text or "").strip() or None if process_doc is not None else None,
        name_i18n=_translations(file, process, process_props, NAME_I18N, problems),
        documentation_i18n=_translations(file, process, process_props, DOCUMENTATION_I18N, problems),
        supervising_groups=tuple(g.strip() for g in process_props.get("supervisingGroups", "").split(",")
                                 if g.strip()),
        file=file,
        lanes=tuple(dict.fromkeys(lanes.values())),
        start_lane=start_lane,
        start_form=start_form,
        start_ui_form=start_ui,
        start_validate=start_rules,
        human_tasks=tasks,
        called_keys=called,
        decision_refs=tuple(sorted(set(decision_tasks.values()))),
        decision_tasks=decision_tasks,
        message_starts=message_starts,
        plain_start=any(not any(etree.QName(child).localname.endswith("EventDefinition") for child in start)
                        for start in process.findall(bpmn("startEvent"))),
        timer_starts=timer_starts,
        service_tasks=service_tasks,
        end_outcomes=end_outcomes,
    )


_OUTCOMES = ("completed", "withdrawn", "cancelled")


def _end_outcomes(file: str, process: etree._Element, problems: list[Problem]) -> dict[str, str]:
    """The outcome each end event declares (Spiff property ``outcome``, Camunda property
    ``flowdesk:outcome``): the model says a request was withdrawn, not only its end's id."""
    found: dict[str, str] = {}
    for end in process.iter(bpmn("endEvent")):
        props = _properties(end)
        value = (props.get(OUTCOME) or props.get("flowdesk:" + OUTCOME) or "").strip().lower()
        if not value:
            continue
        if value not in _OUTCOMES:
            problems.append(Problem(file, end.sourceline, f"end event '{end.get('id')}': outcome must be one of "
                                                          f"{', '.join(_OUTCOMES)}, got {value!r}"))
            continue
        found[end.get("id")] = value
    return found
