"""Camunda 7 models (and Flowable's and Activiti's, which share most of the dialect).

Flowable and Activiti attributes are first renamed to their Camunda 7 equivalents
(``flowable:assignee`` -> ``camunda:assignee``, ``resultVariableName`` ->
``resultVariable``, ...); then the Camunda 7 constructs are rewritten:

=========================================  ==============================================
Camunda 7                                  Flowdesk
=========================================  ==============================================
``camunda:type="external" camunda:topic``  an external task on that topic
``camunda:class``, ``delegateExpression``,  an external task whose topic is named after
``expression``, ``camunda:type``,          the implementation: the class name, the
``camunda:connector``                      delegate's or method's expression
                                           (``calculateInterestService``,
                                           ``jobAnnouncementService.postToWebsite``), the
                                           type, the connector id; bind a connector or run
                                           a worker on it
``camunda:inputOutput``                    local variables and output mappings (text,
                                           ``${...}``, lists and maps; Python scripts)
``camunda:in`` / ``camunda:out``           variables passed to / from a called process
``camunda:candidateUsers``                 see `inspect` (a single candidate user is the
                                           assignee)
``camunda:collection``,                    the multi-instance input collection and element
``camunda:elementVariable``
``camunda:formData`` / ``formField``       a generated form, deployed with the model
``camunda:formRef``                        the form-js form of that id
``camunda:decisionRef``,                   the decision, its result variable and mapping
``resultVariable``, ``mapDecisionResult``
script tasks and listeners                 Python runs in the sandbox; JavaScript, Groovy
                                           and other languages are refused, naming the
                                           element; Java listeners are ignored (warning)
``camunda:asyncBefore/After``, ...         accepted (every step is a transaction already)
Quartz cron timer cycles                   run on their schedule
=========================================  ==============================================
"""

from __future__ import annotations

import json
import re

from lxml import etree

from ... import forms as forms_module
from ..namespaces import ACTIVITI, CAMUNDA, FLOWABLE, FLOWDESK, SPIFF, bpmn, camunda, flowdesk, spiff
from ..sources import SourceFile
from . import exprs as ex
from .context import Context, extensions, human_task, is_bpmn, label, local, spiff_script
from .mappings import attach, body_scripts
from .scripts import as_python, expression_as_python, setters_as_python
from .zeebe import operator, set_loop_refs

_PYTHON = {"", "python", "py", "text/x-python", "python3"}
_RENAMED = {"resultVariableName": "resultVariable", "async": "asyncBefore", "skipExpression": "skipExpression"}
_SERVICE_KINDS = ("serviceTask", "sendTask", "businessRuleTask", "intermediateThrowEvent", "endEvent")


def normalize(ctx: Context) -> None:
    """Flowable/Activiti attributes and extension elements as Camunda 7 ones."""
    for element in ctx.root.iter():
        if not isinstance(element.tag, str):
            continue
        namespace = etree.QName(element).namespace
        if namespace in (FLOWABLE, ACTIVITI):
            element.tag = f"{{{CAMUNDA}}}{_RENAMED.get(etree.QName(element).localname, etree.QName(element).localname)}"
        for key in list(element.attrib):
            if key.startswith((f"{{{FLOWABLE}}}", f"{{{ACTIVITI}}}")):
                name = etree.QName(key).localname
                value = element.attrib.pop(key)
                element.set(camunda(_RENAMED.get(name, name)), value)
                ctx.camunda = True
    for element in ctx.root.iter():
        if isinstance(element.tag, str):
            for attr in ("assignee",):
                if element.get(camunda(attr)) == "$INITIATOR":
                    element.set(camunda(attr), "${initiator}")


def _cam(node: etree._Element, tag: str) -> etree._Element | None:
    ext = node.find(bpmn("extensionElements"))
    return None if ext is None else ext.find(camunda(tag))


def translate(ctx: Context, process: etree._Element) -> None:
    for node in list(process.iter()):
        if not isinstance(node.tag, str) or etree.QName(node).namespace != etree.QName(process).namespace:
            continue
        kind = local(node)
        if kind in _SERVICE_KINDS or kind == "scriptTask":
            _implementation(ctx, node)
        if kind == "businessRuleTask":
            _decision(ctx, node)
        if kind in ("userTask", "startEvent", "manualTask"):
            _human(ctx, node)
        if kind == "scriptTask":
            _script_task(ctx, node)
        if kind == "callActivity":
            _call(ctx, node)
        _loop(ctx, node)
        _listeners(ctx, node)
        _input_output(ctx, node)


# -- service tasks ----------------------------------------------------------------------------
def _topic_of(node: etree._Element) -> tuple[str | None, str | None]:
    """(topic, what it comes from) of a Camunda 7 implementation, or (None, None)."""
    if node.get(camunda("type")) == "external":
        return (node.get(camunda("topic")) or "").strip() or None, "camunda:topic"
    if node.get(camunda("class")):
        return node.get(camunda("class")).strip(), "camunda:class"
    for attr in ("delegateExpression", "expression"):
        value = node.get(camunda(attr))
        if value:
            return _expression_topic(value), f"camunda:{attr}"
    if node.get(camunda("type")):
        return node.get(camunda("type")).strip(), "camunda:type"
    connector = _cam(node, "connector")
    if connector is not None:
        connector_id = connector.find(camunda("connectorId"))
        if connector_id is not None and (connector_id.text or "").strip():
            return connector_id.text.strip(), "camunda:connector"
    return None, None


def _expression_topic(text: str) -> str:
    """``${jobService.postToWebsite(id)}`` -> ``jobService.postToWebsite``."""
    inner = text.strip()
    if inner[:2] in ("${", "#{") and inner.endswith("}"):
        inner = inner[2:-1].strip()
    inner = re.sub(r"\(.*\)\s*$", "", inner, flags=re.DOTALL).strip()
    return inner or text.strip()


def _implementation(ctx: Context, node: etree._Element) -> None:
    topic, source = _topic_of(node)
    if source is None:
        return
    if not topic:
        ctx.error(node, f"{label(node)}: external task without a camunda:topic")
        return
    kind = local(node)
    if kind in ("intermediateThrowEvent", "endEvent"):
        message = node.find(bpmn("messageEventDefinition"))
        if message is None:
            return
        node.remove(message)
        if kind == "endEvent":
            from .structure import insert_before

            task = insert_before(ctx, node.getparent(), node, "serviceTask", f"{node.get('id')}_job",
                                 name=node.get("name") or "")
            node = task
        else:
            node.tag = bpmn("serviceTask")
    elif kind in ("businessRuleTask", "scriptTask", "sendTask"):
        node.tag = bpmn("serviceTask")
        node.attrib.pop("messageRef", None)
        for child in list(node):
            if local(child) in ("script", "messageEventDefinition"):
                node.remove(child)
    retries = None
    cycle = _cam(node, "failedJobRetryTimeCycle")
    if cycle is not None and (match := re.match(r"R(\d+)/", (cycle.text or "").strip())):
        retries = int(match.group(1))
    if source != "camunda:topic":
        ctx.warn(node, f"{label(node)} is implemented by {source} {node.get(camunda(source.split(':')[1])) or topic!r}"
                       f" in Camunda; in Flowdesk it is an external task on topic {topic!r} (bind a connector "
                       "or run a worker on it)")
    operator(node, f"external:{topic}", retries)


# -- business rule tasks -------------------------------------------------------------------------
def _decision(ctx: Context, node: etree._Element) -> None:
    ref = node.get(camunda("decisionRef"))
    if ref is None:
        return
    ext = extensions(node, create=True)
    if ext.find(spiff("calledDecisionId")) is None:
        called = etree.SubElement(ext, spiff("calledDecisionId"), nsmap={"spiffworkflow": SPIFF})
        called.text = ref.strip()
    variable = node.get(camunda("resultVariable"))
    if variable:
        result = etree.SubElement(ext, flowdesk("decisionResult"), nsmap={"flowdesk": FLOWDESK})
        result.set("variable", variable.strip())
        result.set("mapping", node.get(camunda("mapDecisionResult")) or "resultList")


# -- user tasks and start events ----------------------------------------------------------------
def _human(ctx: Context, node: etree._Element) -> None:
    meta: dict[str, str] = {}
    for attr in ("assignee", "candidateGroups", "candidateUsers", "dueDate", "followUpDate", "priority"):
        value = node.get(camunda(attr))
        if value is None:
            continue
        if attr == "candidateUsers" or ex.expressions.is_el(value.strip()):
            translated = ex.meta(ctx, node, value, f"{label(node)}: {attr}", zeebe=False)
            if translated is not None:
                meta[attr] = translated
    fields = _cam(node, "formData")
    if fields is not None:
        name = _generated_form(ctx, node, fields)
        if name is not None:
            meta["form"] = name
    form_ref = node.get(camunda("formRef"))
    if form_ref:
        meta["formId"] = form_ref.strip()
    if meta:
        element = human_task(node)
        for key, value in meta.items():
            element.set(key, value)


def _generated_form(ctx: Context, node: etree._Element, fields: etree._Element) -> str | None:
    stem = ctx.file.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    try:
        converted = forms_module.form_fields_to_form(node.get("id"), forms_module.form_fields_from_xml(fields))
    except forms_module.ConversionError as err:
        ctx.error(fields, f"{label(node)}: the form fields cannot be converted: {err.message}")
        return None
    for warning in converted.warnings:
        ctx.warn(fields, f"{label(node)}: form field {warning.path}: {warning.message}")
    name = f"{stem}.{node.get('id')}"
    ctx.result.forms.append(SourceFile(f"{name}.json", json.dumps(converted.schema, ensure_ascii=False).encode()))
    if converted.ui:
        ctx.result.forms.append(SourceFile(f"{name}.ui.json", json.dumps(converted.ui, ensure_ascii=False).encode()))
    return name


# -- scripts and listeners -----------------------------------------------------------------------
def _script_language(node: etree._Element) -> str:
    return (node.get("scriptFormat") or "").strip().lower()


def _script_task(ctx: Context, node: etree._Element) -> None:
    language = _script_language(node)
    if language == "flowdesk-io":
        return
    if language in ("feel", "application/feel"):
        script = node.find(bpmn("script"))
        variable = node.get(camunda("resultVariable"))
        if script is not None and (script.text or "").strip() and variable:
            source = ex.feel(ctx, script, script.text.strip().lstrip("="), f"{label(node)}: script")
            if source is not None:
                from ...runtime.mappings import directive

                node.set("scriptFormat", "flowdesk-io")
                script.text = directive([["set", variable, source]])
        return
    if language not in _PYTHON:
        script = node.find(bpmn("script"))
        source = None if script is None or node.get(camunda("resource")) else as_python(
            ctx, node, language, script.text or "", label(node), node.get(camunda("resultVariable")))
        if source is None:
            ctx.error(node, f"script task '{node.get('id')}' is written in {language!r}: scripts must be Python "
                            "(run in Flowdesk's sandbox); JavaScript, Groovy and other script languages are not run")
            return
        node.set("scriptFormat", "python")
        script.text = source
    resource = node.get(camunda("resource"))
    if resource:
        ctx.error(node, f"{label(node)}: the script is an external resource ({resource!r}); write it inline")


def _listeners(ctx: Context, node: etree._Element) -> None:
    ext = node.find(bpmn("extensionElements"))
    if ext is None:
        return
    for listener in [c for c in ext if local(c) in ("executionListener", "taskListener")
                     and etree.QName(c).namespace == CAMUNDA]:
        event = listener.get("event") or ""
        script = listener.find(camunda("script"))
        if script is None:
            impl = listener.get("class") or listener.get("expression") or listener.get("delegateExpression")
            ctx.warn(listener, f"{label(node)}: the {event} listener {impl!r} is Java code and is not run")
            continue
        language = (script.get("scriptFormat") or "").strip().lower()
        translated = None if language in _PYTHON or script.get("resource") else as_python(
            ctx, listener, language, script.text or "", f"{label(node)}: {event} listener")
        if translated is not None:
            language, script.text = "python", translated
        if language not in _PYTHON:
            ctx.error(script, f"{label(node)}: the {event} listener is written in {language!r}: scripts must be "
                              "Python (run in Flowdesk's sandbox); JavaScript, Groovy and other script "
                              "languages are not run")
            continue
        text = (script.text or "").strip()
        if script.get("resource") or not text:
            ctx.warn(listener, f"{label(node)}: the {event} listener has no inline script and is not run")
            continue
        if not ex.checked(ctx, script, text, f"{label(node)}: {event} listener", text[:60], "exec"):
            continue
        if event in ("start", "create"):
            spiff_script(node, "preScript", text)
        elif event in ("end", "complete"):
            spiff_script(node, "postScript", text)
        else:
            ctx.warn(listener, f"{label(node)}: '{event}' listeners are not run")


# -- variable mappings --------------------------------------------------------------------------
def _parameter_value(ctx: Context, node: etree._Element, param: etree._Element,
                     sets: list | None = None) -> str | None:
    """The parameter's value as sandbox Python; a script that only stores variables adds
    them to `sets` (when given) and its value is null."""
    children = [c for c in param if isinstance(c.tag, str)]
    if not children:
        text = param.text or ""
        if ex.expressions.is_el(text.strip()):
            return ex.el(ctx, param, text, f"{label(node)}: parameter {param.get('name')!r}")
        return repr(text)
    child = children[0]
    kind = local(child)
    if kind == "script":
        language = (child.get("scriptFormat") or "").strip().lower()
        if language not in _PYTHON and not child.get("resource"):
            source = expression_as_python(ctx, child, language, child.text or "",
                                          f"{label(node)}: parameter {param.get('name')!r}")
            if source is not None:
                return source
            stored = None if sets is None else setters_as_python(
                ctx, child, language, child.text or "", f"{label(node)}: parameter {param.get('name')!r}")
            if stored is not None:
                sets.extend(stored)
                return "None"
        if language not in _PYTHON:
            ctx.error(child, f"{label(node)}: parameter {param.get('name')!r} is a {language!r} script: scripts "
                             "must be Python (run in Flowdesk's sandbox); JavaScript, Groovy and other script "
                             "languages are not run")
            return None
        text = (child.text or "").strip()
        return text if ex.checked(ctx, child, text, f"{label(node)}: parameter", text[:60]) else None
    if kind == "list":
        items = [_parameter_value(ctx, node, c) for c in child if isinstance(c.tag, str)]
        return None if None in items else "[" + ", ".join(items) + "]"
    if kind == "map":
        entries = []
        for entry in child:
            if isinstance(entry.tag, str) and local(entry) == "entry":
                value = _parameter_value(ctx, node, entry)
                if value is None:
                    return None
                entries.append(f"{entry.get('key', '')!r}: {value}")
        return "{" + ", ".join(entries) + "}"
    return repr(child.text or "")


def _input_output(ctx: Context, node: etree._Element) -> None:
    io = _cam(node, "inputOutput")
    if io is None:
        return
    inputs, outputs, sets = [], [], []
    for tag, found in (("inputParameter", inputs), ("outputParameter", outputs)):
        for param in io.findall(camunda(tag)):
            name = (param.get("name") or "").strip()
            if not name:
                continue
            value = _parameter_value(ctx, node, param, sets if tag == "inputParameter" else None)
            if value is not None:
                found.append((name, value))
    attach(ctx, node, inputs, outputs, sets=sets)


def _call(ctx: Context, node: etree._Element) -> None:
    ext = node.find(bpmn("extensionElements"))
    if ext is None:
        return
    inputs, outputs = [], []
    for tag, found in (("in", inputs), ("out", outputs)):
        for mapping in ext.findall(camunda(tag)):
            if mapping.get("variables") == "all" or mapping.get("businessKey") is not None:
                continue
            target = (mapping.get("target") or "").strip()
            if not target:
                continue
            if mapping.get("sourceExpression"):
                source = ex.el(ctx, mapping, mapping.get("sourceExpression"), f"{label(node)}: camunda:{tag}")
            else:
                name = (mapping.get("source") or "").strip()
                source = name if name.isidentifier() else f"_feel_main(lambda E: E({name!r}))"
            if source is not None:
                found.append((target, source))
    if inputs or outputs:
        # all variables still pass both ways (as SpiffWorkflow's call activities do); the
        # mappings add the renamed ones
        spiff_steps_in = [["set", t, s] for t, s in inputs]
        spiff_steps_out = [["set", t, s] for t, s in outputs]
        from ...runtime.mappings import directive

        if spiff_steps_in:
            spiff_script(node, "preScript", directive(spiff_steps_in))
        if spiff_steps_out:
            spiff_script(node, "postScript", directive(spiff_steps_out))


# -- multi-instance ------------------------------------------------------------------------------
def _loop(ctx: Context, node: etree._Element) -> None:
    loop = node.find(bpmn("multiInstanceLoopCharacteristics"))
    if loop is None:
        return
    collection = loop.get(camunda("collection"))
    element = (loop.get(camunda("elementVariable")) or "").strip()
    if not collection:
        if loop.find(bpmn("loopCardinality")) is None and loop.find(bpmn("loopDataInputRef")) is None:
            ctx.error(loop, f"{label(node)}: the multi-instance has neither a collection nor a cardinality")
        return
    text = collection.strip()
    what = f"{label(node)}: camunda:collection"
    if ex.expressions.is_el(text):
        source = ex.el(ctx, loop, text, what)
    elif text.isidentifier():
        source = text
    else:
        source = ex.expression(ctx, loop, text, what)
    if source is None:
        return
    node_id = node.get("id")
    items = f"{node_id}_items"
    refs = {c: loop.find(bpmn(c)) for c in ("loopDataOutputRef", "outputDataItem") if loop.find(bpmn(c)) is not None}
    refs["loopDataInputRef"] = etree.Element(bpmn("loopDataInputRef"))
    refs["loopDataInputRef"].text = items
    pre: list[list] = [["set", items, source]]
    post: list[list] = [["drop", items]]
    if element:
        refs["inputDataItem"] = etree.Element(bpmn("inputDataItem"), id=element, name=element)
    set_loop_refs(loop, refs)
    if element:
        pre.insert(0, ["local", element, None])
        pre.append(["drop", element])
        post.append(["restore"])
        spiff_script(node, "postScript", _drop(element))
    loop.set(f"{{{SPIFF}}}scriptsOnInstances", "true")
    body_scripts(ctx, node, pre, post)


def _drop(name: str) -> str:
    from ...runtime.mappings import directive

    return directive([["drop", name]])


__all__ = ["CAMUNDA", "is_bpmn", "normalize", "translate"]
