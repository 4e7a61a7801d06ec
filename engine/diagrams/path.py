"""The path an instance took, completed for its diagram.

The audit trail says which user tasks, service calls, decisions, timers, messages and
gateways ran (and which end the instance reached), but script tasks, start events,
parallel gateways and throw events leave no event of their own. Without them the marked
path has holes exactly where a process does its own work. They are inferred here: an
event-less element ran when a token can have come to it (from a completed element, along
the branch a gateway took) and gone on from it to an element that ran, is active or failed.
Sequence flows between such elements are marked too.
"""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree

_BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True, load_dtd=False)
_EVENTLESS = {"scriptTask", "startEvent", "parallelGateway", "intermediateThrowEvent", "task", "manualTask",
              "endEvent"}
_REACHED = ("completed", "active", "failed")


def executed_path(bpmn: bytes, process_key: str, states: Mapping[str, str],
                  taken: Mapping[str, set[str]]) -> dict[str, str]:
    """``states`` with the event-less elements and the sequence flows the instance went
    through marked ``completed``; ``taken``: gateway id -> the element ids it went on to."""
    marked = dict(states)
    try:
        root = etree.fromstring(bpmn, parser=_PARSER)
    except etree.XMLSyntaxError:
        return marked
    process = next((p for p in root.iter(f"{{{_BPMN}}}process") if p.get("id") == process_key), None)
    if process is None:
        return marked
    kinds = {el.get("id"): etree.QName(el).localname for el in process if el.get("id")}
    flows = [(f.get("id"), f.get("sourceRef"), f.get("targetRef")) for f in process.iter(f"{{{_BPMN}}}sequenceFlow")]

    def eventless(node: str) -> bool:
        return kinds.get(node) in _EVENTLESS and node not in states

    def followed(source: str, target: str, came: set[str]) -> bool:
        if source in came:
            return True
        if states.get(source) != "completed":
            return False
        return target in taken[source] if source in taken else True

    # Forward: event-less elements a token can have come to.
    came = {n for n in kinds if kinds[n] == "startEvent" and eventless(n)}
    grown = True
    while grown:
        grown = False
        for _id, source, target in flows:
            if target not in came and eventless(target) and followed(source, target, came):
                came.add(target)
                grown = True
    # Backward: event-less elements a token can have gone on from to something that ran.
    went = {n for n in came if kinds[n] == "endEvent"}
    grown = True
    while grown:
        grown = False
        for _id, source, target in flows:
            if source in came and source not in went and (target in went or states.get(target) in _REACHED):
                went.add(source)
                grown = True
    marked.update((node, "completed") for node in came & went)
    for flow_id, source, target in flows:
        done = marked.get(source) == "completed" and (source in came or followed(source, target, came))
        if flow_id not in marked and done and marked.get(target) in _REACHED:
            marked[flow_id] = "completed"
    return marked
