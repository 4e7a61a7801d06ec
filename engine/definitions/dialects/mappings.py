"""Attaching variable mappings (see ``runtime.mappings``) to the elements they belong to.

Activities run their mappings as pre- and post-scripts. Events have no scripts in
SpiffWorkflow, so an event's input mappings run in a script task placed just before it and
its output mappings in one placed just after it (named ``<event id>_inputs`` /
``_outputs``). A multi-instance activity's mappings run on each instance (as Camunda does),
its collection is computed by a script of the multi-instance body.
"""

from __future__ import annotations

from lxml import etree

from ...runtime.mappings import directive
from ..namespaces import FLOWDESK, SPIFF, bpmn, flowdesk, spiff
from .context import Context, extensions, is_bpmn, spiff_script
from .structure import EVENTS, insert_after, insert_before

Mapping = tuple[str, "str | None"]  # (target, sandbox Python source or None for null)


def attach(ctx: Context, node: etree._Element, inputs: list[Mapping], outputs: list[Mapping], *,
           exclusive: bool | None = None, sets: list[Mapping] = ()) -> None:
    """Inputs become local variables of the element; outputs what it leaves behind. With
    `exclusive` (default: when there are outputs) only the outputs leave the element: what
    the element itself set (a worker's, a form's or a called process's variables) is
    dropped, as Camunda does when output mappings exist. `sets` are instance variables an
    input mapping's script stores as it runs (``execution.setVariable`` in Camunda 7):
    written when the element starts and kept when it ends."""
    if exclusive is None:
        exclusive = bool(outputs)
    if not inputs and not outputs and not exclusive and not sets:
        return
    if etree.QName(node).localname in EVENTS:
        _event(ctx, node, [*sets, *inputs], outputs)
        return
    pre: list[list] = [["snapshot"]] if exclusive else []
    pre += [["set", target, source] for target, source in sets]
    pre += [["local", target, source] for target, source in inputs]
    kept = [[t, t] for t, _ in sets if t not in {o for o, _ in outputs}]
    post: list[list] = [["outputs", [[t, s] for t, s in outputs] + kept]] if (outputs or exclusive) else []
    if inputs and not post:
        post = [["restore"]]
    loop = node.find(bpmn("multiInstanceLoopCharacteristics"))
    if loop is not None:
        loop.set(f"{{{SPIFF}}}scriptsOnInstances", "true")
    if pre:
        spiff_script(node, "preScript", directive(pre))
    if post:
        spiff_script(node, "postScript", directive(post))


def _event(ctx: Context, node: etree._Element, inputs: list[Mapping], outputs: list[Mapping]) -> None:
    scope = node.getparent()
    steps_in = [["set", target, source] for target, source in inputs]
    steps_out = [["set", target, source] for target, source in outputs]
    if is_bpmn(node, "endEvent"):
        if steps_in or steps_out:
            task = insert_before(ctx, scope, node, "scriptTask", f"{node.get('id')}_outputs")
            _script(task, directive(steps_in + steps_out))
        return
    if steps_in and not is_bpmn(node, "startEvent", "boundaryEvent"):
        task = insert_before(ctx, scope, node, "scriptTask", f"{node.get('id')}_inputs")
        _script(task, directive(steps_in))
    if steps_out:
        task = insert_after(ctx, scope, node, "scriptTask", f"{node.get('id')}_outputs")
        _script(task, directive(steps_out))


def _script(task: etree._Element, text: str) -> None:
    task.set("scriptFormat", "flowdesk-io")
    script = etree.SubElement(task, bpmn("script"))
    script.text = text


def body_scripts(ctx: Context, node: etree._Element, pre: list[list], post: list[list]) -> None:
    """Scripts of a multi-instance body (run once, around all instances)."""
    loop = node.find(bpmn("multiInstanceLoopCharacteristics"))
    ext = extensions(loop, create=True)
    for when, steps in (("preScript", pre), ("postScript", post)):
        if not steps:
            continue
        element = ext.find(flowdesk("body" + when[0].upper() + when[1:]))
        if element is None:
            element = etree.SubElement(ext, flowdesk("body" + when[0].upper() + when[1:]),
                                       nsmap={"flowdesk": FLOWDESK})
            element.text = directive(steps)
        else:
            from ...runtime.mappings import steps_of

            element.text = directive(steps_of(element.text) + steps)


__all__ = ["Mapping", "attach", "body_scripts", "spiff"]
