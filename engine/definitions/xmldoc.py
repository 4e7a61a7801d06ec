"""Parsing untrusted XML safely, with line numbers for every problem."""

from __future__ import annotations

from lxml import etree

from ..errors import Problem

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, remove_comments=True, huge_tree=False, load_dtd=False
)


def parse_xml(name: str, content: bytes) -> tuple[etree._Element | None, list[Problem]]:
    try:
        root = etree.fromstring(content, parser=_PARSER)
    except etree.XMLSyntaxError as err:
        line = err.lineno if err.lineno else None
        return None, [Problem(name, line, f"not well-formed XML: {err.msg}")]
    return root, []


def line_of(element: etree._Element) -> int | None:
    return element.sourceline
