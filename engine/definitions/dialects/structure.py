"""BPMN semantics SpiffWorkflow's parser does not take as written, rewritten into what it runs.

Each rewrite keeps the element ids modellers see (diagrams, history and active elements
name them); elements Flowdesk adds get ids derived from their neighbour's:

* data objects, data stores, their references, data associations and I/O specifications
  are instance data in Flowdesk: the elements are dropped (outside SpiffWorkflow's own
  models, whose data objects SpiffWorkflow runs), and ``bpmn:getDataObject('x')`` in a
  condition reads the variable ``x``;
* a process or sub-process without a start event starts every element that has no
  incoming flow, as BPMN says (a start event and a parallel split are added);
* link events: a throwing link jumps to the catching link of the same name;
* an activity or event with several outgoing flows splits: in parallel when no flow has a
  condition, else as an inclusive gateway (flows without a condition always taken);
* an exclusive gateway's flow without a condition that is not marked default is the
  default; with several such flows the first is, and the others are never taken (with a
  warning); an inclusive gateway's flows without condition are always taken;
* script tasks without a script, service and send tasks without an implementation and
  business rule tasks without a decision pass through (a warning lists them);
* a signal end event throws its signal, then ends;
* compensation (not run by the engine) is dropped with a warning: compensation boundary
  events and compensating throw events;
* complex gateways run as inclusive gateways; timers without a value: an intermediate one
  fires at once, a boundary or event sub-process one is dropped, a start one becomes a
  plain start (all with a warning).
"""

from __future__ import annotations

from lxml import etree

from ..namespaces import BPMN, SPIFF, bpmn, spiff
from .context import Context, is_bpmn, label, local

ACTIVITIES = {"task", "userTask", "manualTask", "serviceTask", "scriptTask", "sendTask", "receiveTask",
              "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess"}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
GATEWAYS = {"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway"}
FLOW_NODES = ACTIVITIES | EVENTS | GATEWAYS
SCOPES = ("process", "subProcess", "transaction", "adHocSubProcess")
_DATA_ELEMENTS = ("dataInputAssociation", "dataOutputAssociation", "dataObjectReference", "dataStoreReference",
                  "dataObject", "ioSpecification", "property")


def scopes(process: etree._Element) -> list[etree._Element]:
    return [process, *(el for el in process.iter() if is_bpmn(el, *SCOPES[1:]))]


def flow_nodes(scope: etree._Element) -> list[etree._Element]:
    return [el for el in scope if isinstance(el.tag, str) and is_bpmn(el, *FLOW_NODES)]


def flows(scope: etree._Element) -> list[etree._Element]:
    return [el for el in scope if is_bpmn(el, "sequenceFlow")]


def outgoing(scope: etree._Element, node_id: str) -> list[etree._Element]:
    return [f for f in flows(scope) if f.get("sourceRef") == node_id]


def incoming(scope: etree._Element, node_id: str) -> list[etree._Element]:
    return [f for f in flows(scope) if f.get("targetRef") == node_id]


_ARTIFACTS = ("textAnnotation", "association", "group")


def _append_flow_element(scope: etree._Element, element: etree._Element) -> None:
    """Flow elements come before artifacts (BPMN's schema order)."""
    for child in scope:
        if isinstance(child.tag, str) and is_bpmn(child, *_ARTIFACTS):
            child.addprevious(element)
            return
    scope.append(element)


def add_flow(ctx: Context, scope: etree._Element, source: str, target: str, base: str) -> etree._Element:
    flow = etree.Element(bpmn("sequenceFlow"), id=ctx.new_id(base), sourceRef=source, targetRef=target)
    _append_flow_element(scope, flow)
    return flow


def add_node(ctx: Context, scope: etree._Element, tag: str, base: str, near: etree._Element | None = None,
             **attrs: str) -> etree._Element:
    node = etree.Element(bpmn(tag), id=ctx.new_id(base), **attrs)
    if near is not None and near.getparent() is scope:
        near.addnext(node)
    else:
        _append_flow_element(scope, node)
    if near is not None and near.sourceline is not None:
        node.sourceline = near.sourceline
    return node


def insert_before(ctx: Context, scope: etree._Element, target: etree._Element, tag: str, base: str,
                  **attrs: str) -> etree._Element:
    """A new node that takes the incoming flows of `target` and flows into it."""
    node = add_node(ctx, scope, tag, base, near=target, **attrs)
    for flow in incoming(scope, target.get("id")):
        flow.set("targetRef", node.get("id"))
    add_flow(ctx, scope, node.get("id"), target.get("id"), f"{base}_flow")
    return node


def insert_after(ctx: Context, scope: etree._Element, source: etree._Element, tag: str, base: str,
                 **attrs: str) -> etree._Element:
    """A new node that `source` flows into and that takes its outgoing flows."""
    node = add_node(ctx, scope, tag, base, near=source, **attrs)
    for flow in outgoing(scope, source.get("id")):
        flow.set("sourceRef", node.get("id"))
    add_flow(ctx, scope, source.get("id"), node.get("id"), f"{base}_flow")
    return node


def _has_condition(flow: etree._Element) -> bool:
    condition = flow.find(bpmn("conditionExpression"))
    return condition is not None and bool((condition.text or "").strip())


def _set_condition(flow: etree._Element, text: str) -> None:
    condition = flow.find(bpmn("conditionExpression"))
    if condition is None:
        condition = etree.SubElement(flow, bpmn("conditionExpression"))
    condition.text = text


def _remove(node: etree._Element) -> None:
    parent = node.getparent()
    if parent is not None:
        parent.remove(node)


# -- before the dialects --------------------------------------------------------------------
def prepare(ctx: Context, process: etree._Element) -> None:
    for adhoc in list(process.iter(bpmn("adHocSubProcess"))):
        # Run as an embedded sub-process that starts every activity without an incoming flow
        # once and completes when they are all done (see _implicit_start/_implicit_end).
        adhoc.tag = bpmn("subProcess")
        for child in list(adhoc):
            if is_bpmn(child, "completionCondition"):
                adhoc.remove(child)
        for key in [k for k in adhoc.attrib if k in ("cancelRemainingInstances", "ordering")]:
            del adhoc.attrib[key]
        ctx.warn(adhoc, f"{label(adhoc)}: an ad-hoc sub-process runs each of its activities that has no incoming "
                        "flow once, and completes when they have all completed")
    _data(ctx, process)
    _named_events(ctx, process)
    for scope in scopes(process):
        _links(ctx, scope)
        _compensation(ctx, scope)
    for gateway in list(process.iter(bpmn("complexGateway"))):
        gateway.tag = bpmn("inclusiveGateway")
        ctx.warn(gateway, f"{label(gateway)}: complex gateways run as inclusive gateways (their activation "
                          "condition is not evaluated)")
    for scope in scopes(process):
        _implicit_start(ctx, scope)
        _implicit_end(ctx, scope)
        _cancel_outside_transactions(ctx, scope)
    _loops(ctx, process)


def _named_events(ctx: Context, process: etree._Element) -> None:
    """A message or signal event without a message (signal) element is named after the
    event (its name, else its id), as every event needs a name to be delivered by."""
    root = ctx.root
    for tag, ref_attr, element_tag in (("messageEventDefinition", "messageRef", "message"),
                                       ("signalEventDefinition", "signalRef", "signal")):
        known = {m.get("id") for m in root.iter(bpmn(element_tag))}
        for definition in list(process.iter(bpmn(tag))):
            ref = definition.get(ref_attr)
            if ref and ref in known:
                continue
            event = definition.getparent()
            name = (event.get("name") or "").strip() or ref or event.get("id")
            element_id = ctx.new_id(f"{event.get('id')}_{element_tag}")
            _add_root_element(root, etree.Element(bpmn(element_tag), id=element_id, name=name))
            known.add(element_id)
            definition.set(ref_attr, element_id)
    known = {m.get("id") for m in root.iter(bpmn("message"))}
    for task in list(process.iter(bpmn("receiveTask"))):
        if task.get("messageRef") in known or task.find(bpmn("messageEventDefinition")) is not None:
            continue
        element_id = ctx.new_id(f"{task.get('id')}_message")
        _add_root_element(root, etree.Element(bpmn("message"), id=element_id,
                                              name=(task.get("name") or "").strip() or task.get("id")))
        task.set("messageRef", element_id)


def _add_root_element(root: etree._Element, element: etree._Element) -> None:
    """Root elements (messages, signals) go before the processes, as BPMN's schema orders them."""
    first = next((c for c in root if isinstance(c.tag, str) and local(c) in ("collaboration", "process")), None)
    if first is not None:
        first.addprevious(element)
    else:
        root.append(element)


def data_stores(ctx: Context) -> None:
    """Data stores (whole document: SpiffWorkflow reads them for every process of it)."""
    removed = False
    for node in list(ctx.root.iter(bpmn("dataStoreReference"))):
        scope = node.getparent()
        _remove_associations(scope if scope is not None else ctx.root, node.get("id"))
        _remove(node)
        removed = True
    for store in list(ctx.root.iter(bpmn("dataStore"))):
        _remove(store)
        removed = True
    if removed:
        ctx.warn(ctx.root, "data stores are not connected to anything: what tasks read from or write to them "
                           "is instance data")


def _data(ctx: Context, process: etree._Element) -> None:
    seen: set[str] = set()
    for node in list(process.iter(bpmn("dataObject"))):
        if node.get("id") in seen:
            _remove(node)  # the same data object declared twice (SpiffWorkflow's modeler does this)
        seen.add(node.get("id"))
    if ctx.spiff:
        return  # SpiffWorkflow's own models: their data objects are SpiffWorkflow's
    for tag in _DATA_ELEMENTS:
        for node in list(process.iter(bpmn(tag))):
            _remove(node)


def _remove_associations(process: etree._Element, ref: str | None) -> None:
    root = process.getroottree().getroot()
    for assoc in list(root.iter(bpmn("dataInputAssociation"), bpmn("dataOutputAssociation"))):
        refs = [(c.text or "").strip() for c in assoc if local(c) in ("sourceRef", "targetRef")]
        if ref in refs:
            _remove(assoc)


def _links(ctx: Context, scope: etree._Element) -> None:
    def link_name(node: etree._Element) -> str | None:
        definition = node.find(bpmn("linkEventDefinition"))
        return None if definition is None else (definition.get("name") or node.get("name") or "")

    catches = {link_name(n): n for n in scope if is_bpmn(n, "intermediateCatchEvent") and link_name(n) is not None}
    for throw in [n for n in scope if is_bpmn(n, "intermediateThrowEvent") and link_name(n) is not None]:
        catch = catches.get(link_name(throw))
        if catch is None:
            ctx.error(throw, f"{label(throw)}: no catching link event named {link_name(throw)!r} in the same scope")
            continue
        for flow in incoming(scope, throw.get("id")):
            flow.set("targetRef", catch.get("id"))
        for flow in outgoing(scope, throw.get("id")):
            _remove(flow)
        _remove(throw)
    for catch in catches.values():
        catch.remove(catch.find(bpmn("linkEventDefinition")))
        catch.tag = bpmn("intermediateThrowEvent")  # a none throw event passes through


def _compensation(ctx: Context, scope: etree._Element) -> None:
    for node in list(scope):
        if not isinstance(node.tag, str):
            continue
        definition = node.find(bpmn("compensateEventDefinition"))
        if definition is None:
            continue
        if is_bpmn(node, "startEvent") and scope.get("triggeredByEvent") == "true":
            _remove(scope)
            ctx.warn(scope, f"{label(scope)} handles compensation, which is not supported: it never runs")
            return
        if is_bpmn(node, "boundaryEvent", "startEvent"):
            for flow in outgoing(scope, node.get("id")):
                _remove(flow)
            _remove(node)
            ctx.warn(node, f"{label(node)}: compensation is not supported; the compensation handler never runs")
        else:
            node.remove(definition)
            ctx.warn(node, f"{label(node)}: compensation is not supported; this event throws nothing")


def _implicit_start(ctx: Context, scope: etree._Element) -> None:
    if is_bpmn(scope, "adHocSubProcess") or scope.get("triggeredByEvent") == "true":
        return
    nodes = flow_nodes(scope)
    if any(is_bpmn(n, "startEvent") for n in nodes):
        return
    targets = {f.get("targetRef") for f in flows(scope)}
    entry = [n for n in nodes
             if n.get("id") not in targets and not is_bpmn(n, "boundaryEvent")
             and n.get("isForCompensation") != "true" and n.get("triggeredByEvent") != "true"]
    start = etree.Element(bpmn("startEvent"), id=ctx.new_id(f"{scope.get('id')}_start"))
    scope.insert(_first_flow_position(scope), start)
    if len(entry) == 1:
        add_flow(ctx, scope, start.get("id"), entry[0].get("id"), f"{start.get('id')}_flow")
    elif entry:
        split = add_node(ctx, scope, "parallelGateway", f"{start.get('id')}_split")
        add_flow(ctx, scope, start.get("id"), split.get("id"), f"{start.get('id')}_flow")
        for node in entry:
            add_flow(ctx, scope, split.get("id"), node.get("id"), f"{split.get('id')}_flow")
    if is_bpmn(scope, "process"):
        ctx.warn(scope, f"process '{scope.get('id')}' has no start event: starting it starts every element "
                        "without an incoming flow, as BPMN says")


def _implicit_end(ctx: Context, scope: etree._Element) -> None:
    """A sub-process without an end event ends where its flows end (BPMN's implicit end)."""
    if is_bpmn(scope, "process", "adHocSubProcess"):
        return
    nodes = flow_nodes(scope)
    if any(is_bpmn(n, "endEvent") for n in nodes):
        return
    sources = {f.get("sourceRef") for f in flows(scope)}
    dangling = [n for n in nodes if n.get("id") not in sources and n.get("isForCompensation") != "true"
                and n.get("triggeredByEvent") != "true"]
    end = add_node(ctx, scope, "endEvent", f"{scope.get('id')}_end")
    for node in dangling:
        add_flow(ctx, scope, node.get("id"), end.get("id"), f"{node.get('id')}_end_flow")


def _cancel_outside_transactions(ctx: Context, scope: etree._Element) -> None:
    transactions = {n.get("id") for n in scope if is_bpmn(n, "transaction")}
    for node in [n for n in scope if is_bpmn(n, "boundaryEvent")]:
        if node.find(bpmn("cancelEventDefinition")) is not None and node.get("attachedToRef") not in transactions:
            for flow in outgoing(scope, node.get("id")):
                _remove(flow)
            _remove(node)
            ctx.warn(node, f"{label(node)}: a cancel event is attached to something that is not a transaction: "
                           "it never fires")


def _loops(ctx: Context, process: etree._Element) -> None:
    for loop in list(process.iter(bpmn("standardLoopCharacteristics"))):
        condition = loop.find(bpmn("loopCondition"))
        if loop.get("loopMaximum") is None and (condition is None or not (condition.text or "").strip()):
            owner = loop.getparent()
            owner.remove(loop)
            ctx.warn(owner, f"{label(owner)}: the loop has neither a condition nor a maximum; it runs once")
    for loop in list(process.iter(bpmn("multiInstanceLoopCharacteristics"))):
        owner = loop.getparent()
        known = any(local(c) in ("loopCardinality", "loopDataInputRef") for c in loop if isinstance(c.tag, str))
        known = known or any(key.endswith("}collection") for key in loop.attrib)
        ext = loop.find(bpmn("extensionElements"))
        known = known or (ext is not None and any(local(c) == "loopCharacteristics" for c in ext))
        if not known:
            cardinality = etree.Element(bpmn("loopCardinality"))
            cardinality.text = "1"
            loop.insert(1 if ext is not None else 0, cardinality)
            ctx.warn(owner, f"{label(owner)}: the multi-instance names neither a collection nor a cardinality; "
                            "it runs once")


def _first_flow_position(scope: etree._Element) -> int:
    for index, child in enumerate(scope):
        if isinstance(child.tag, str) and local(child) not in ("documentation", "extensionElements", "laneSet",
                                                              "ioSpecification", "property", "auditing",
                                                              "monitoring", "multiInstanceLoopCharacteristics",
                                                              "standardLoopCharacteristics"):
            return index
    return len(scope)


# -- after the dialects ---------------------------------------------------------------------
def finish(ctx: Context, process: etree._Element) -> None:
    for scope in scopes(process):
        _empty_timers(ctx, scope)
        _empty_conditions(ctx, scope)
        _empty_event_gateways(ctx, scope)
        _signal_ends(ctx, scope)
        _pass_through(ctx, scope)
        _splits(ctx, scope)
        _gateway_defaults(ctx, scope)


def _empty_timers(ctx: Context, scope: etree._Element) -> None:
    for node in list(scope):
        if not isinstance(node.tag, str):
            continue
        definition = node.find(bpmn("timerEventDefinition"))
        if definition is None:
            continue
        values = [c for c in definition if local(c) in ("timeDate", "timeDuration", "timeCycle")]
        if any((c.text or "").strip() for c in values):
            continue
        if is_bpmn(node, "boundaryEvent"):
            for flow in outgoing(scope, node.get("id")):
                _remove(flow)
            _remove(node)
            ctx.warn(node, f"{label(node)}: the timer has no value; it never fires")
        elif is_bpmn(node, "startEvent") and scope.get("triggeredByEvent") == "true":
            _remove(scope)
            ctx.warn(node, f"{label(node)}: the timer has no value; this event sub-process never starts")
            return
        elif is_bpmn(node, "startEvent"):
            node.remove(definition)
            ctx.warn(node, f"{label(node)}: the timer has no value; the process is started by hand")
        else:
            for child in values:
                definition.remove(child)
            duration = etree.SubElement(definition, bpmn("timeDuration"))
            duration.text = "'PT0S'"
            ctx.warn(node, f"{label(node)}: the timer has no value; it fires at once")


def _empty_event_gateways(ctx: Context, scope: etree._Element) -> None:
    for gateway in [n for n in scope if is_bpmn(n, "eventBasedGateway")]:
        if not outgoing(scope, gateway.get("id")):
            gateway.tag = bpmn("parallelGateway")
            ctx.warn(gateway, f"{label(gateway)}: an event-based gateway without events to wait for passes "
                              "through")


def _empty_conditions(ctx: Context, scope: etree._Element) -> None:
    for node in list(scope):
        if not isinstance(node.tag, str):
            continue
        definition = node.find(bpmn("conditionalEventDefinition"))
        if definition is None:
            continue
        condition = definition.find(bpmn("condition"))
        if condition is not None and (condition.text or "").strip():
            continue
        if is_bpmn(node, "boundaryEvent") or (is_bpmn(node, "startEvent") and scope.get("triggeredByEvent") == "true"):
            for flow in outgoing(scope, node.get("id")):
                _remove(flow)
            _remove(scope if is_bpmn(node, "startEvent") else node)
            ctx.warn(node, f"{label(node)}: the conditional event has no condition; it never fires")
            if is_bpmn(node, "startEvent"):
                return
        else:
            node.remove(definition)
            if is_bpmn(node, "intermediateCatchEvent"):
                node.tag = bpmn("intermediateThrowEvent")
            ctx.warn(node, f"{label(node)}: the conditional event has no condition; it passes through")


def _signal_ends(ctx: Context, scope: etree._Element) -> None:
    for node in [n for n in scope if is_bpmn(n, "endEvent") and n.find(bpmn("signalEventDefinition")) is not None]:
        node.tag = bpmn("intermediateThrowEvent")
        end = add_node(ctx, scope, "endEvent", f"{node.get('id')}_end", near=node)
        add_flow(ctx, scope, node.get("id"), end.get("id"), f"{node.get('id')}_end_flow")


def _pass_through(ctx: Context, scope: etree._Element) -> None:
    for node in list(scope):
        if not isinstance(node.tag, str):
            continue
        kind = local(node)
        if is_bpmn(node, "task") and (ctx.camunda or ctx.zeebe) and not ctx.spiff:
            _to_task(node)  # Camunda runs an abstract task as a pass-through; SpiffWorkflow as manual work
            continue
        if is_bpmn(node, "scriptTask"):
            script = node.find(bpmn("script"))
            if script is None or not (script.text or "").strip():
                ctx.warn(node, f"{label(node)} has no script: it passes through")
                _to_task(node)
        elif is_bpmn(node, "serviceTask", "sendTask"):
            ext = node.find(bpmn("extensionElements"))
            operator = ext.find(spiff("serviceTaskOperator")) if ext is not None else None
            message = node.get("messageRef") or node.find(bpmn("messageEventDefinition")) is not None
            if operator is None and not (kind == "sendTask" and message):
                ctx.warn(node, f"{label(node)} has no implementation: it passes through")
                _to_task(node)
        elif is_bpmn(node, "callActivity") and not (node.get("calledElement") or "").strip():
            ctx.warn(node, f"{label(node)} names no called process: it passes through")
            _to_task(node)
        elif is_bpmn(node, "businessRuleTask"):
            ext = node.find(bpmn("extensionElements"))
            ref = ext.find(spiff("calledDecisionId")) if ext is not None else None
            if ref is None or not (ref.text or "").strip():
                ctx.warn(node, f"{label(node)} names no decision: it passes through")
                _to_task(node)


_TASK_ATTRIBUTES = {"id", "name", "startQuantity", "completionQuantity", "isForCompensation", "default"}


def _to_task(node: etree._Element) -> None:
    """Make `node` a task that passes through: a script task doing nothing (SpiffWorkflow
    runs an abstract ``bpmn:task`` as a manual task, i.e. it would wait for a person)."""
    node.tag = bpmn("scriptTask")
    for child in list(node):
        if local(child) in ("script", "messageEventDefinition"):
            node.remove(child)
    for key in list(node.attrib):
        if not key.startswith("{") and key not in _TASK_ATTRIBUTES:
            del node.attrib[key]
    node.set("scriptFormat", "python")
    script = etree.SubElement(node, bpmn("script"))
    script.text = "pass"


def _splits(ctx: Context, scope: etree._Element) -> None:
    for node in flow_nodes(scope):
        if local(node) in GATEWAYS or is_bpmn(node, "startEvent"):
            continue
        out = outgoing(scope, node.get("id"))
        if len(out) < 2:
            continue
        conditional = any(_has_condition(f) for f in out)
        gateway = add_node(ctx, scope, "inclusiveGateway" if conditional else "parallelGateway",
                           f"{node.get('id')}_split", near=node)
        if node.get("default"):
            gateway.set("default", node.attrib.pop("default"))
        for flow in out:
            flow.set("sourceRef", gateway.get("id"))
        add_flow(ctx, scope, node.get("id"), gateway.get("id"), f"{node.get('id')}_split_flow")


def _distances_to_end(scope: etree._Element) -> dict[str, int]:
    """Element id -> fewest sequence flows to an end event of the scope."""
    back: dict[str, list[str]] = {}
    for flow in flows(scope):
        back.setdefault(flow.get("targetRef"), []).append(flow.get("sourceRef"))
    ends = [n.get("id") for n in scope if is_bpmn(n, "endEvent")]
    distance = dict.fromkeys(ends, 0)
    queue = list(ends)
    while queue:
        current = queue.pop(0)
        for source in back.get(current, ()):
            if source not in distance:
                distance[source] = distance[current] + 1
                queue.append(source)
    return distance


def _gateway_defaults(ctx: Context, scope: etree._Element) -> None:
    for gateway in flow_nodes(scope):
        if not is_bpmn(gateway, "exclusiveGateway", "inclusiveGateway"):
            continue
        out = outgoing(scope, gateway.get("id"))
        ids = {f.get("id") for f in out}
        default = gateway.get("default")
        if default and default not in ids:
            del gateway.attrib["default"]
            default = None
        if len(out) < 2:
            continue
        unconditioned = [f for f in out if not _has_condition(f) and f.get("id") != default]
        if not unconditioned:
            continue
        if is_bpmn(gateway, "inclusiveGateway"):
            for flow in unconditioned:
                _set_condition(flow, "True")
            continue
        if default is None:
            # With several, the one with the shortest path to an end event (a gateway whose
            # flows all lack conditions would otherwise loop back for ever)
            distance = _distances_to_end(scope)
            chosen = min(unconditioned, key=lambda f: (distance.get(f.get("targetRef"), 10**6),
                                                       unconditioned.index(f)))
            gateway.set("default", chosen.get("id"))
            if len(out) > 1:
                ctx.warn(gateway, f"{label(gateway)}: flow '{chosen.get('id')}' has no condition and is taken "
                                  "as the default flow")
            unconditioned = [f for f in unconditioned if f is not chosen]
        for flow in unconditioned:
            _set_condition(flow, "False")
            ctx.warn(flow, f"{label(gateway)}: flow '{flow.get('id')}' has no condition and is not the default: "
                           "it is never taken")


__all__ = ["BPMN", "SPIFF", "finish", "insert_after", "insert_before", "prepare", "scopes"]
