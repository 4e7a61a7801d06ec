"""Every text Flowdesk ships has a Simplified Chinese (zh-CN) translation.

The shipped definitions (``processes/`` and ``forms/``) are read the way a deployment reads
them (:func:`build_bundle`: YAML compiled, BPMN inspected, forms parsed with their UI
hints), and every text a person can see is checked:

* processes: the process's name and documentation, every user task's name and
  documentation (``name_i18n``/``documentation_i18n``, BPMN ``nameI18n``/``documentationI18n``);
  every other named step (scripts, service and decision tasks, gateways, events, calls):
  its name, which the instance page's diagram and history show (read as they read it);
* forms, recursively through nested objects, array items, ``$defs`` and conditional
  subschemas: every ``title`` and ``description``; every field a form shows has a label
  (a title, or a UI hint ``label``); every enum value shown as a choice has a label
  (``x-enum-titles`` or ``x-i18n: {zh-CN: {enum: ...}}``); UI hints' ``title``, ``label``,
  ``help`` and ``placeholder``;
* cross-field rules (``x-rules``): every message (``message_i18n``);
* validation rules of user tasks and start events (``validate:``, BPMN ``validationRules``):
  every message (``{en: ..., zh-CN: ...}`` or ``message_i18n``);
* e-mails the processes send (``email`` service tasks): ``subject`` and ``body`` each have
  a ``subject_i18n``/``body_i18n`` parameter whose expression is a ``{"zh-CN": ...}`` mapping.

A failure lists each text that lacks zh-CN as ``FILE: JSON-PATH: what``. Decision tables
are not checked: their names and labels are shown to designers only, as source.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from flowdesk.engine.config import shipped_definitions
from flowdesk.engine.definitions.bundle import Bundle
from flowdesk.engine.definitions.pipeline import build_bundle
from flowdesk.engine.definitions.sources import SourceFile, read_paths
from flowdesk.engine.diagrams.labels import translated_names
from flowdesk.engine.forms.keywords import SCHEMA_LIST, SCHEMA_MAP, SINGLE_SCHEMA, resolve_local_ref
from lxml import etree

#: The keys a translation may be filed under (the web app also understands these).
ZH = ("zh-CN", "zh_CN", "zh")
#: The five processes of the catalogue and the leave request must be among what is checked.
CATALOGUE = {"procure_to_pay", "hire_to_retire", "plan_to_produce", "lead_to_cash", "complaint_handling",
             "leave_request"}
#: Subschemas whose `properties` are fields the web app shows (the others only constrain).
SHOWN = {"properties", "items", "prefixItems", "additionalProperties", "$defs", "definitions"}
#: UI hint keys that hold text.
UI_TEXTS = ("label", "help", "placeholder")


@cache
def shipped() -> Bundle:
    return build_bundle(read_paths(shipped_definitions()))


def pointer(path: tuple) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)


def zh_text(value: Any) -> bool:
    """A ``{locale: text}`` mapping with a non-empty Chinese entry."""
    return isinstance(value, dict) and any(isinstance(value.get(k), str) and value[k].strip() for k in ZH)


def zh_in_node(node: dict, key: str) -> bool:
    """`key` (title, description) of a schema node has zh-CN: ``x-{key}-i18n``, ``x-i18n``,
    or a ``{locale: text}`` value."""
    if zh_text(node.get(f"x-{key}-i18n")) or zh_text(node.get(key)):
        return True
    i18n = node.get("x-i18n")
    return isinstance(i18n, dict) and any(isinstance(i18n.get(k), dict) and zh_text({"zh-CN": i18n[k].get(key)})
                                          for k in ZH)


def zh_enum_labels(node: dict) -> set[str]:
    """The enum values of a node that have a Chinese label."""
    labelled: set[str] = set()
    titles = node.get("x-enum-titles")
    if isinstance(titles, dict):
        labelled |= {str(value) for value, text in titles.items() if zh_text(text)}
    i18n = node.get("x-i18n")
    if isinstance(i18n, dict):
        for key in ZH:
            entry = i18n.get(key)
            if isinstance(entry, dict) and isinstance(entry.get("enum"), dict):
                labelled |= {str(v) for v, text in entry["enum"].items() if isinstance(text, str) and text}
    return labelled


# -- processes ---------------------------------------------------------------------------------------
def process_gaps() -> Iterator[str]:
    for compiled in shipped().processes:
        info = compiled.info
        if not zh_text(info.name_i18n):
            yield f"{info.file}: /name: {info.name!r}"
        if info.documentation and not zh_text(info.documentation_i18n):
            yield f"{info.file}: /documentation: {info.documentation[:60]!r}"
        for task_id, task in sorted(info.human_tasks.items()):
            if not zh_text(task.name_i18n):
                yield f"{info.file}: /tasks/{task_id}/name: {task.name!r}"
            if task.documentation and not zh_text(task.documentation_i18n):
                yield f"{info.file}: /tasks/{task_id}/documentation: {task.documentation[:60]!r}"


BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
#: Named elements of a process that are not steps: lanes carry group ids, flows branch labels.
NOT_STEPS = {f"{{{BPMN}}}laneSet", f"{{{BPMN}}}sequenceFlow"}


def named_steps(bpmn: bytes) -> list[etree._Element]:
    """The flow nodes of a BPMN document's processes that have a name: every step the
    timeline or the diagram can show."""
    root = etree.fromstring(bpmn)
    return [element for process in root.iter(f"{{{BPMN}}}process") for element in process
            if isinstance(element.tag, str) and element.get("name") and element.tag not in NOT_STEPS]


def step_name_gaps(files: list) -> Iterator[str]:
    """Named steps of the BPMN `files` (shipped or compiled from YAML) without a zh-CN name,
    found the way the diagram and the history find translations."""
    for file in files:
        if not file.name.endswith(".bpmn"):
            continue
        steps = named_steps(file.content)
        chinese = translated_names(steps, "zh-CN")
        for step in steps:
            if step.get("id") not in chinese:
                yield f"{file.name}: /steps/{step.get('id')}/name: {step.get('name')!r}"


def task_rule_gaps() -> Iterator[str]:
    """Messages of the processes' validation rules without zh-CN."""
    for compiled in shipped().processes:
        info = compiled.info
        owners = [("start", info.start_validate)] + [(f"tasks/{task_id}", task.validate)
                                                     for task_id, task in sorted(info.human_tasks.items())]
        for owner, rules in owners:
            for index, rule in enumerate(rules):
                if not zh_text(rule.get("message_i18n")):
                    yield f"{info.file}: /{owner}/validate/{index}/message: {rule['message'][:60]!r}"


def zh_mapping_expression(expression: str | None) -> bool:
    """A connector parameter (an expression) that builds ``{"zh-CN": <text>, ...}``."""
    if not expression:
        return False
    try:
        tree = ast.parse(expression.strip(), mode="eval").body
    except SyntaxError:
        return False
    return isinstance(tree, ast.Dict) and any(
        isinstance(key, ast.Constant) and key.value in ZH and not (isinstance(value, ast.Constant) and not value.value)
        for key, value in zip(tree.keys, tree.values, strict=True))


def email_gaps() -> Iterator[str]:
    for compiled in shipped().processes:
        info = compiled.info
        for task_id, task in sorted(info.service_tasks.items()):
            if task["operation"] != "email":
                continue
            for part in ("subject", "body"):
                if part in task["params"] and not zh_mapping_expression(task["params"].get(f"{part}_i18n")):
                    yield f"{info.file}: /service_tasks/{task_id}/params/{part}: {task['params'][part][:60]!r}"


# -- forms -------------------------------------------------------------------------------------------
def form_gaps(rules: bool) -> Iterator[str]:
    """Texts of every shipped form without zh-CN: rule messages when `rules`, the rest otherwise."""
    for name, form in sorted(shipped().forms.items()):
        hints = form.ui or {}
        found = list(_schema_gaps(form.schema, form.schema, (), shown=True, hints=hints.get("fields") or {}))
        if rules:
            yield from (f"{form.file}: {text}" for kind, text in found if kind == "rule")
            continue
        yield from (f"{form.file}: {text}" for kind, text in found if kind != "rule")
        ui_file = f"{name}.ui.yaml"
        if "title" in hints and not zh_text(hints["title"]):
            yield f"{ui_file}: /title: {hints['title']!r}"
        for field, field_hints in (hints.get("fields") or {}).items():
            for key in UI_TEXTS:
                if key in field_hints and not zh_text(field_hints[key]):
                    yield f"{ui_file}: /fields/{field}/{key}: {field_hints[key]!r}"


def _schema_gaps(node: Any, root: dict, path: tuple, shown: bool, hints: dict,
                 field: str | None = None) -> Iterator[tuple[str, str]]:
    """(kind, "PATH: what") for each untranslated text of `node` and its subschemas. `shown`:
    the node is (part of) a field the web app shows; `field`: its name, when it is a field of
    an object; `hints`: the UI hints of the top-level fields."""
    if not isinstance(node, dict):
        return
    for key in ("title", "description"):
        if key in node and not zh_in_node(node, key):
            yield "text", f"{pointer((*path, key))}: {str(node[key])[:60]!r}"
    if shown and field is not None and not zh_in_node(node, "title"):
        hint = hints.get(field) or {}
        if not zh_text(hint.get("label")) and "title" not in node:
            target = node
            if isinstance(node.get("$ref"), str):
                target = resolve_local_ref(root, node["$ref"])[1] or {}
            if not (isinstance(target, dict) and zh_in_node(target, "title")):
                yield "text", f"{pointer(path)}: field {field!r} has no label (title) in zh-CN"
    if shown and isinstance(node.get("enum"), list):
        labelled = zh_enum_labels(node)
        for value in node["enum"]:
            if value is not None and str(value) not in labelled:
                yield "text", f"{pointer((*path, 'enum'))}: choice {value!r} has no zh-CN label"
    for index, rule in enumerate(node.get("x-rules") or []):
        if isinstance(rule, dict) and not zh_text(rule.get("message_i18n")):
            yield "rule", (f"{pointer((*path, 'x-rules', index, 'message'))}: "
                           f"{str(rule.get('message') or rule.get('rule'))[:60]!r}")
    for key, value in node.items():
        child_shown = shown and key in SHOWN
        if key in SINGLE_SCHEMA:
            yield from _schema_gaps(value, root, (*path, key), child_shown, {})
        elif key in SCHEMA_LIST and isinstance(value, list):
            for index, item in enumerate(value):
                yield from _schema_gaps(item, root, (*path, key, index), child_shown, {})
        elif key in SCHEMA_MAP and isinstance(value, dict):
            for name, item in value.items():
                yield from _schema_gaps(item, root, (*path, key, name), child_shown,
                                        hints if key == "properties" and not path else {},
                                        name if key == "properties" else None)


# -- the tests ---------------------------------------------------------------------------------------
def report(gaps: list[str], what: str) -> str:
    return f"{len(gaps)} {what} without zh-CN:\n" + "\n".join(gaps)


def test_the_walk_sees_everything_that_ships():
    keys = {p.info.key for p in shipped().processes}
    assert keys >= CATALOGUE
    forms_folder = shipped_definitions()[1]
    assert {p.stem for p in forms_folder.glob("*.yaml") if not p.name.endswith(".ui.yaml")} == set(shipped().forms)
    assert len(shipped().forms) >= 60
    assert any(t["operation"] == "email" for p in shipped().processes for t in p.info.service_tasks.values())


def test_every_process_and_task_name_and_description_has_zh_cn():
    gaps = list(process_gaps())
    assert not gaps, report(gaps, "process texts")


def test_every_named_step_of_a_process_has_zh_cn():
    steps = [step for f in shipped().files if f.name.endswith(".bpmn") for step in named_steps(f.content)]
    assert len(steps) >= 600  # the walk sees every step of the shipped processes, not only user tasks
    assert {"scriptTask", "serviceTask", "businessRuleTask", "exclusiveGateway", "endEvent"} <= {
        etree.QName(step).localname for step in steps}
    gaps = list(step_name_gaps(shipped().files))
    assert not gaps, report(gaps, "step names")


def test_the_step_walk_finds_a_script_step_without_zh_cn():
    process = """process: demo
name: Demo
steps:
  - script: check_budget
    name_i18n: {zh-CN: 检查预算}
    code: ok = True
  - script: notify
    code: sent = True
  - end: done
    name_i18n: {zh-CN: 完成}
"""
    compiled = [f for f in build_bundle([SourceFile("demo.yaml", process.encode())]).files
                if f.name.endswith(".bpmn")]
    assert list(step_name_gaps(compiled)) == ["demo.bpmn: /steps/notify/name: 'Notify'"]


def test_every_form_text_has_zh_cn():
    gaps = list(form_gaps(rules=False))
    assert not gaps, report(gaps, "form texts")


def test_every_rule_message_has_zh_cn():
    gaps = list(form_gaps(rules=True))
    assert not gaps, report(gaps, "rule messages")


def test_every_validation_rule_message_of_a_process_has_zh_cn():
    rules = [rule for p in shipped().processes for t in p.info.human_tasks.values() for rule in t.validate]
    assert len(rules) >= 20  # the walk sees the shipped processes' rules
    gaps = list(task_rule_gaps())
    assert not gaps, report(gaps, "validation rule messages")


def test_every_email_the_processes_send_has_zh_cn():
    gaps = list(email_gaps())
    assert not gaps, report(gaps, "e-mail texts")


@pytest.mark.parametrize(("expression", "ok"), [
    ('{"zh-CN": "提醒 " + number}', True),
    ('{"en": "Reminder", "zh-CN": "提醒"}', True),
    ('{"en": "Reminder"}', False),
    ('{"zh-CN": ""}', False),
    ('"Reminder"', False),
    (None, False),
])
def test_an_email_translation_is_a_mapping_with_zh_cn(expression, ok):
    assert zh_mapping_expression(expression) is ok


def test_the_walk_finds_untranslated_texts_in_nested_fields():
    schema = {
        "title": "Order", "x-title-i18n": {"zh-CN": "订单"}, "type": "object",
        "properties": {
            "lines": {"title": "Lines", "x-title-i18n": {"zh-CN": "明细"}, "type": "array", "items": {
                "type": "object",
                "properties": {"unit": {"type": "string", "enum": ["pc", "kg"],
                                        "x-enum-titles": {"pc": {"zh-CN": "件"}}},
                               "note": {"title": "Note", "description": "Free text"}},
                "x-rules": [{"field": "note", "rule": "True", "message": "bad"}]}},
        },
    }
    found = list(_schema_gaps(schema, schema, (), shown=True, hints={}))
    assert ("text", "/properties/lines/items/properties/unit: field 'unit' has no label (title) in zh-CN") in found
    assert ("text", "/properties/lines/items/properties/unit/enum: choice 'kg' has no zh-CN label") in found
    assert ("text", "/properties/lines/items/properties/note/title: 'Note'") in found
    assert ("text", "/properties/lines/items/properties/note/description: 'Free text'") in found
    assert ("rule", "/properties/lines/items/x-rules/0/message: 'bad'") in found
    assert len(found) == 5
