"""Camunda 8 (Zeebe) models: extension elements and FEEL, rewritten for SpiffWorkflow.

=====================================  ===================================================
Zeebe                                  Flowdesk
=====================================  ===================================================
``zeebe:taskDefinition type retries``  an external task on topic ``type`` (job workers
                                       fetch-and-lock and complete it through the external
                                       task API), its retries from the model; also on
                                       business rule, script, send tasks and message throw
                                       events implemented by a job worker
``zeebe:ioMapping``                    inputs are local variables of the element, outputs
                                       what it leaves behind (FEEL ``=...`` or a literal;
                                       ``a.b`` targets write into objects)
``zeebe:assignmentDefinition``         assignee, candidate groups, candidate users
``zeebe:taskSchedule``                 due date, follow-up date
``zeebe:formDefinition`` /             the task's form: embedded form-js forms
``zeebe:userTaskForm``                 (``camunda-forms:bpmn:ID``) deploy with the model,
                                       ``formId`` names a ``.form`` file's id
``zeebe:calledElement``                the called process; ``propagateAllChildVariables=
                                       "false"`` keeps only the output mappings
``zeebe:subscription correlationKey``  the correlation value a catching message waits for
                                       (property ``correlationKey``)
``zeebe:loopCharacteristics``          multi-instance input collection and element, output
                                       collection and element
``zeebe:calledDecision``               the decision (Flowdesk's DMN evaluator) and the
                                       variable its result goes to
``zeebe:script``                       a script task evaluating one FEEL expression
``zeebe:properties``                   task properties (as Spiff/Camunda properties)
=====================================  ===================================================
"""

from __future__ import annotations

import json

from lxml import etree

from ...runtime.mappings import directive
from ..namespaces import FLOWDESK, SPIFF, ZEEBE, bpmn, flowdesk, spiff, zeebe
from ..sources import SourceFile
from . import exprs as ex
from .context import Context, extensions, human_task, is_bpmn, label, local
from .mappings import attach, body_scripts
from .structure import insert_before

CORRELATION_PROPERTY = "correlationKey"


def _zeebe(node: etree._Element, tag: str) -> etree._Element | None:
    ext = node.find(bpmn("extensionElements"))
    return None if ext is None else ext.find(zeebe(tag))


def _zeebe_all(node: etree._Element, tag: str) -> list[etree._Element]:
    ext = node.find(bpmn("extensionElements"))
    return [] if ext is None else list(ext.iter(zeebe(tag)))


def embedded_forms(ctx: Context) -> None:
    """``zeebe:userTaskForm`` elements become form files deployed with the model."""
    stem = ctx.file.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    for form in ctx.root.iter(zeebe("userTaskForm")):
        form_id = form.get("id")
        text = (form.text or "").strip()
        if not form_id or not text:
            continue
        name = f"{stem}.{form_id}"
        try:
            document = json.loads(text)
        except ValueError as err:
            ctx.error(form, f"embedded form '{form_id}' is not JSON: {err}")
            continue
        for component in _components(document):
            key = component.get("key") or component.get("path")
            if isinstance(key, str):
                ctx.known_names.update(part for part in key.split(".") if part)
        ctx.form_names[form_id] = name
        ctx.result.forms.append(SourceFile(f"{name}.form", text.encode()))


def _components(document: object) -> list[dict]:
    found: list[dict] = []
    if isinstance(document, dict):
        for component in document.get("components") or []:
            if isinstance(component, dict):
                found.append(component)
                found.extend(_components(component))
    return found


def translate(ctx: Context, process: etree._Element) -> None:
    for node in list(process.iter()):
        if not isinstance(node.tag, str) or etree.QName(node).namespace != etree.QName(process).namespace:
            continue
        kind = local(node)
        if kind in ("userTask", "startEvent", "manualTask"):
            _human(ctx, node)
        if kind == "callActivity":
            _call(ctx, node)
        if kind == "businessRuleTask" and _zeebe(node, "calledDecision") is not None:
            _decision(ctx, node)
        if kind == "scriptTask" and _zeebe(node, "script") is not None:
            _script(ctx, node)
        if _zeebe(node, "taskDefinition") is not None and kind not in ("userTask", "manualTask"):
            node = _job(ctx, node)
        _io(ctx, node)  # before the loop's: an instance's output element reads its output mappings
        _loop(ctx, node)
        _properties(node)
        for tag in ("taskListeners", "executionListeners"):
            if _zeebe(node, tag) is not None:
                ctx.warn(node, f"{label(node)}: zeebe:{tag} are job workers Camunda calls around the element; "
                               "Flowdesk does not call them")
    _subscriptions(ctx, process)


def _job(ctx: Context, node: etree._Element) -> etree._Element:
    definition = _zeebe(node, "taskDefinition")
    job_type = (definition.get("type") or "").strip()
    if job_type.startswith("="):
        ctx.warn(node, f"{label(node)}: the job type {job_type!r} is an expression; workers fetch it as topic "
                       f"{job_type[1:].strip()!r}")
        job_type = job_type[1:].strip().strip('"')
    if not job_type:
        ctx.error(node, f"{label(node)}: zeebe:taskDefinition has no type")
        return node
    kind = local(node)
    if kind in ("intermediateThrowEvent", "endEvent"):
        # A message throw event implemented by a job worker: the worker does the sending.
        message = node.find(bpmn("messageEventDefinition"))
        if message is not None:
            node.remove(message)
        if kind == "endEvent":
            task = insert_before(ctx, node.getparent(), node, "serviceTask", f"{node.get('id')}_job",
                                 name=node.get("name") or "")
            ext = node.find(bpmn("extensionElements"))
            if ext is not None:
                node.remove(ext)
                task.insert(0, ext)
            node = task
        else:
            node.tag = bpmn("serviceTask")
    elif kind in ("businessRuleTask", "scriptTask", "sendTask", "receiveTask", "task"):
        node.tag = bpmn("serviceTask")
        for child in list(node):
            if local(child) in ("script", "messageEventDefinition"):
                node.remove(child)
        node.attrib.pop("messageRef", None)
    retries = (definition.get("retries") or "").strip()
    operator(node, f"external:{job_type}", int(retries) if retries.isdigit() else None)
    return node


def operator(node: etree._Element, operation: str, retries: int | None = None) -> None:
    ext = extensions(node, create=True)
    if ext.find(spiff("serviceTaskOperator")) is not None:
        return
    element = etree.SubElement(ext, spiff("serviceTaskOperator"), nsmap={"spiffworkflow": SPIFF})
    element.set("id", operation)
    element.set("resultVariable", f"{node.get('id')}_result")
    etree.SubElement(element, spiff("parameters"))
    if retries is not None:
        etree.SubElement(element, spiff("retry"), retries=str(max(retries, 1)))


def _mapping_source(ctx: Context, node: etree._Element, source: str | None, target: str) -> str | None:
    if source is None or source == "":
        return None
    return ex.static_or_feel(ctx, node, source, f"mapping to {target!r}")


def _io(ctx: Context, node: etree._Element) -> None:
    mapping = _zeebe(node, "ioMapping")
    exclusive = None
    if local(node) == "callActivity":
        called = _zeebe(node, "calledElement")
        if called is not None and called.get("propagateAllChildVariables") == "false":
            exclusive = True
    if mapping is None and not exclusive:
        return
    inputs, outputs = [], []
    for kind, found in (("input", inputs), ("output", outputs)):
        for item in (mapping.iter(zeebe(kind)) if mapping is not None else ()):
            target = (item.get("target") or "").strip()
            if not target:
                ctx.error(item, f"{label(node)}: a zeebe:{kind} mapping has no target")
                continue
            found.append((target, _mapping_source(ctx, item, item.get("source"), target)))
    attach(ctx, node, inputs, outputs, exclusive=exclusive)


def _human(ctx: Context, node: etree._Element) -> None:
    meta = {}
    assignment = _zeebe(node, "assignmentDefinition")
    if assignment is not None:
        for attr in ("assignee", "candidateGroups", "candidateUsers"):
            value = ex.meta(ctx, assignment, assignment.get(attr), f"{label(node)}: {attr}", zeebe=True)
            if value is not None:
                meta[attr] = value
    schedule = _zeebe(node, "taskSchedule")
    if schedule is not None:
        for attr in ("dueDate", "followUpDate"):
            value = ex.meta(ctx, schedule, schedule.get(attr), f"{label(node)}: {attr}", zeebe=True)
            if value is not None:
                meta[attr] = value
    priority = _zeebe(node, "priorityDefinition")
    if priority is not None:
        value = ex.meta(ctx, priority, priority.get("priority"), f"{label(node)}: priority", zeebe=True)
        if value is not None:
            meta["priority"] = value
    form = _zeebe(node, "formDefinition")
    if form is not None:
        key = (form.get("formKey") or "").strip()
        if key.startswith("camunda-forms:bpmn:"):
            embedded = key[len("camunda-forms:bpmn:"):]
            if embedded in ctx.form_names:
                meta["form"] = ctx.form_names[embedded]
            else:
                ctx.warn(form, f"{label(node)}: the embedded form '{embedded}' is not in this file; the task "
                               "accepts any data")
        elif key:
            meta["formKey"] = key
        if form.get("formId"):
            meta["formId"] = form.get("formId").strip()
        if form.get("externalReference"):
            ctx.warn(form, f"{label(node)}: the form is an external reference "
                           f"({form.get('externalReference')!r}); the task accepts any data")
    if meta:
        element = human_task(node)
        for key, value in meta.items():
            element.set(key, value)


def _call(ctx: Context, node: etree._Element) -> None:
    called = _zeebe(node, "calledElement")
    if called is None:
        return
    process_id = (called.get("processId") or "").strip()
    if process_id.startswith("="):
        inner = process_id[1:].strip()
        if len(inner) > 1 and inner[0] == inner[-1] == '"':
            process_id = inner[1:-1]
        else:
            ctx.error(called, f"{label(node)}: the called process is an expression ({process_id!r}); "
                              "Flowdesk calls processes named in the model")
            return
    if process_id:
        node.set("calledElement", process_id)


def _decision(ctx: Context, node: etree._Element) -> None:
    called = _zeebe(node, "calledDecision")
    decision_id = (called.get("decisionId") or "").strip()
    if decision_id.startswith("="):
        inner = decision_id[1:].strip()
        if len(inner) > 1 and inner[0] == inner[-1] == '"':
            decision_id = inner[1:-1]
        else:
            ctx.error(called, f"{label(node)}: the decision is an expression ({decision_id!r}); Flowdesk "
                              "evaluates decisions named in the model")
            return
    ext = extensions(node, create=True)
    ref = etree.SubElement(ext, spiff("calledDecisionId"), nsmap={"spiffworkflow": SPIFF})
    ref.text = decision_id
    result = etree.SubElement(ext, flowdesk("decisionResult"), nsmap={"flowdesk": FLOWDESK})
    result.set("variable", (called.get("resultVariable") or "").strip() or f"{node.get('id')}_result")
    result.set("mapping", "value")


def _script(ctx: Context, node: etree._Element) -> None:
    script = _zeebe(node, "script")
    text = (script.get("expression") or "").strip()
    result = (script.get("resultVariable") or "").strip()
    if not text or not result:
        ctx.error(script, f"{label(node)}: zeebe:script needs an expression and a result variable")
        return
    source = ex.feel(ctx, script, text[1:] if text.startswith("=") else text, f"{label(node)}: script")
    if source is None:
        return
    for old in node.findall(bpmn("script")):
        node.remove(old)
    node.set("scriptFormat", "flowdesk-io")
    element = etree.SubElement(node, bpmn("script"))
    element.text = directive([["set", result, source]])


def _loop(ctx: Context, node: etree._Element) -> None:
    loop = node.find(bpmn("multiInstanceLoopCharacteristics"))
    if loop is None:
        return
    ext = loop.find(bpmn("extensionElements"))
    characteristics = ext.find(zeebe("loopCharacteristics")) if ext is not None else None
    if characteristics is None:
        return
    node_id = node.get("id")
    collection = (characteristics.get("inputCollection") or "").strip()
    element = (characteristics.get("inputElement") or "").strip()
    output_collection = (characteristics.get("outputCollection") or "").strip()
    output_element = (characteristics.get("outputElement") or "").strip()
    if not collection:
        ctx.error(characteristics, f"{label(node)}: the multi-instance has no input collection")
        return
    source = ex.feel(ctx, characteristics, collection[1:] if collection.startswith("=") else collection,
                     f"{label(node)}: input collection")
    if source is None:
        return
    items = f"{node_id}_items"
    pre: list[list] = [["set", items, source]]
    post: list[list] = [["drop", items]]
    refs: dict[str, etree._Element] = {}
    refs["loopDataInputRef"] = etree.Element(bpmn("loopDataInputRef"))
    refs["loopDataInputRef"].text = items
    if element:
        refs["inputDataItem"] = etree.Element(bpmn("inputDataItem"), id=element, name=element)
        pre.insert(0, ["local", element, None])
        pre.append(["drop", element])
        post.append(["restore"])
    instance_post: list[list] = []
    if output_collection:
        pre.append(["set", output_collection, "[]"])
        refs["loopDataOutputRef"] = etree.Element(bpmn("loopDataOutputRef"))
        refs["loopDataOutputRef"].text = output_collection
        item = f"{node_id}_item"
        refs["outputDataItem"] = etree.Element(bpmn("outputDataItem"), id=item, name=item)
    set_loop_refs(loop, refs)
    if output_collection:
        value = ex.feel(ctx, characteristics, output_element[1:] if output_element.startswith("=")
                        else (output_element or "null"), f"{label(node)}: output element")
        instance_post.append(["set", item, value])
    elif element:
        instance_post.append(["drop", element])
    # Each instance's scripts (mappings), and the body's (the collection) around them.
    loop.set(f"{{{SPIFF}}}scriptsOnInstances", "true")
    if instance_post:
        from .context import spiff_script

        spiff_script(node, "postScript", directive(instance_post))
    body_scripts(ctx, node, pre, post)
    # completionCondition is translated with the other conditions


_LOOP_ORDER = ("documentation", "extensionElements", "loopCardinality", "loopDataInputRef", "loopDataOutputRef",
               "inputDataItem", "outputDataItem", "complexBehaviorDefinition", "completionCondition")


def set_loop_refs(loop: etree._Element, refs: dict[str, etree._Element]) -> None:
    """Replace the loop's data references by `refs`, children in BPMN's schema order."""
    children = [c for c in loop if isinstance(c.tag, str)
                and local(c) not in ("loopCardinality", "loopDataInputRef", "loopDataOutputRef", "inputDataItem",
                                     "outputDataItem")]
    children += list(refs.values())
    for child in list(loop):
        loop.remove(child)
    for child in sorted(children, key=lambda c: _LOOP_ORDER.index(local(c)) if local(c) in _LOOP_ORDER else 99):
        loop.append(child)


def _properties(node: etree._Element) -> None:
    properties = _zeebe(node, "properties")
    if properties is None:
        return
    ext = extensions(node)
    target = ext.find(spiff("properties"))
    if target is None:
        target = etree.SubElement(ext, spiff("properties"), nsmap={"spiffworkflow": SPIFF})
    for prop in properties.iter(zeebe("property")):
        if prop.get("name"):
            etree.SubElement(target, spiff("property"), name=prop.get("name"), value=prop.get("value", ""))


def _subscriptions(ctx: Context, process: etree._Element) -> None:
    keys: dict[str, str] = {}
    for message in ctx.root.iter(bpmn("message")):
        ext = message.find(bpmn("extensionElements"))
        subscription = ext.find(zeebe("subscription")) if ext is not None else None
        if subscription is None or not (subscription.get("correlationKey") or "").strip():
            continue
        text = subscription.get("correlationKey").strip()
        source = ex.feel(ctx, subscription, text[1:] if text.startswith("=") else text,
                         f"message '{message.get('name')}': correlation key")
        if source is not None:
            keys[message.get("id")] = source
    if not keys:
        return
    for node in process.iter():
        if not isinstance(node.tag, str):
            continue
        if is_bpmn(node, "receiveTask") and node.get("messageRef") in keys:
            _correlate(node, keys[node.get("messageRef")])
            continue
        if not is_bpmn(node, "intermediateCatchEvent", "boundaryEvent", "startEvent"):
            continue
        if is_bpmn(node, "startEvent") and node.getparent() is process:
            continue  # a message start event starts a new instance: nothing to correlate with
        definition = node.find(bpmn("messageEventDefinition"))
        if definition is not None and definition.get("messageRef") in keys:
            _correlate(definition, keys[definition.get("messageRef")])


def _correlate(node: etree._Element, source: str) -> None:
    ext = extensions(node, create=True)
    correlation = etree.SubElement(ext, spiff("processVariableCorrelation"), nsmap={"spiffworkflow": SPIFF})
    etree.SubElement(correlation, spiff("propertyId")).text = CORRELATION_PROPERTY
    etree.SubElement(correlation, spiff("expression")).text = source


__all__ = ["CORRELATION_PROPERTY", "ZEEBE", "embedded_forms", "operator", "set_loop_refs", "translate"]
