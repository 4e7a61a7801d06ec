"""What one document's translation carries: the tree, what it found, and helpers."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field

from lxml import etree

from ...errors import Problem
from ..namespaces import BPMN, CAMUNDA, FLOWDESK, MODELER, SPIFF, ZEEBE, bpmn, flowdesk, spiff
from ..sources import SourceFile

FEEL_LANGUAGE = re.compile(r"feel", re.IGNORECASE)


@dataclass
class Translation:
    """The outcome of translating one BPMN document.

    `problems` are errors (the deployment is refused), `warnings` what is accepted but
    inert or approximated, `forms` the form files the document defines inline (Camunda 8
    embedded form-js forms, Camunda 7 generated forms), which deploy with it.
    """

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    forms: list[SourceFile] = field(default_factory=list)


class Context:
    def __init__(self, file: str, root: etree._Element) -> None:
        self.file = file
        self.root = root
        self.result = Translation()
        self._ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
        self._counter = itertools.count(1)
        self.zeebe = self._is_zeebe()
        self.camunda = any(_uses(el, CAMUNDA) for el in root.iter() if isinstance(el.tag, str))
        self.spiff = any(_uses(el, SPIFF) for el in root.iter() if isinstance(el.tag, str))
        language = root.get("expressionLanguage") or ""
        self.feel_default = bool(FEEL_LANGUAGE.search(language))
        self.known_names: set[str] = set()
        self.form_names: dict[str, str] = {}  # embedded form id -> generated form name

    def _is_zeebe(self) -> bool:
        platform = self.root.get(f"{{{MODELER}}}executionPlatform") or ""
        if platform.lower().startswith("camunda cloud"):
            return True
        return any(_uses(el, ZEEBE) for el in self.root.iter() if isinstance(el.tag, str))

    # -- reporting ------------------------------------------------------------------------
    def error(self, node: etree._Element | None, message: str) -> None:
        self.result.problems.append(Problem(self.file, _line(node), message))

    def warn(self, node: etree._Element | None, message: str) -> None:
        problem = Problem(self.file, _line(node), message)
        if problem not in self.result.warnings:
            self.result.warnings.append(problem)

    # -- building -------------------------------------------------------------------------
    def new_id(self, base: str) -> str:
        candidate = base
        while candidate in self._ids:
            candidate = f"{base}_{next(self._counter)}"
        self._ids.add(candidate)
        return candidate

    def element(self, id_: str) -> etree._Element | None:
        found = self.root.xpath("//*[@id=$id]", id=id_)
        return found[0] if found else None


def _uses(element: etree._Element, namespace: str) -> bool:
    if etree.QName(element).namespace == namespace:
        return True
    return any(key.startswith(f"{{{namespace}}}") for key in element.attrib)


def _line(node: etree._Element | None) -> int | None:
    return node.sourceline if node is not None else None


def label(node: etree._Element) -> str:
    """How a message names an element: its kind and id (and name)."""
    kind = etree.QName(node).localname
    name = (node.get("name") or "").strip().replace("\n", " ")
    return f"{kind} '{node.get('id')}'" + (f" ({name})" if name and name != node.get("id") else "")


def extensions(node: etree._Element, create: bool = False) -> etree._Element | None:
    found = node.find(bpmn("extensionElements"))
    if found is None and create:
        found = etree.Element(bpmn("extensionElements"))
        # extensionElements come first after documentation
        position = 0
        for index, child in enumerate(node):
            if isinstance(child.tag, str) and child.tag == bpmn("documentation"):
                position = index + 1
        node.insert(position, found)
    return found


def spiff_script(node: etree._Element, when: str, script: str) -> None:
    """Add ``script`` to the element's Spiff pre- or post-script (``when``: preScript or
    postScript), after what is there already."""
    ext = extensions(node, create=True)
    existing = ext.find(spiff(when))
    if existing is None:
        existing = etree.SubElement(ext, spiff(when), nsmap={"spiffworkflow": SPIFF})
        existing.text = script
        return
    from ...runtime.mappings import DIRECTIVE, steps_of

    old = existing.text or ""
    if old.startswith(DIRECTIVE) and script.startswith(DIRECTIVE):
        merged = steps_of(old) + steps_of(script)
        existing.text = f"{DIRECTIVE}\n{json.dumps({'v': 1, 'steps': merged}, ensure_ascii=False)}"
    elif old.startswith(DIRECTIVE) or script.startswith(DIRECTIVE):
        raise ValueError("a Python script and a mapping cannot share one task script")
    else:
        existing.text = old.rstrip() + "\n" + script


def human_task(node: etree._Element) -> etree._Element:
    """The element's ``flowdesk:humanTask``: the normalised assignment, form and dates
    that `inspect` reads (whatever dialect the model is written in)."""
    ext = extensions(node, create=True)
    found = ext.find(flowdesk("humanTask"))
    if found is None:
        found = etree.SubElement(ext, flowdesk("humanTask"), nsmap={"flowdesk": FLOWDESK})
    return found


def local(node: etree._Element) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def is_bpmn(node: etree._Element, *names: str) -> bool:
    return isinstance(node.tag, str) and etree.QName(node).namespace == BPMN and etree.QName(node).localname in names
