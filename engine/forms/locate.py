"""Line numbers for places in a definition file.

A designer fixing a form needs "purchase_request.yaml:7", not "/properties/cost_center/
type". Both parsers lose positions once they build Python objects, so each file also gets
a small position tree: for every mapping the line of each key, for every sequence the line
of each item. `line_of` follows a JSON path (as jsonschema reports it) down that tree and
answers the line of the deepest part it can find: the offending key itself when it exists,
otherwise the nearest enclosing one. "Good enough" is the goal: the line where the
offending key appears.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import yaml

from .keywords import PathPart


@dataclass
class Position:
    """Where one value starts, and where its keys or items are."""

    line: int
    #: mapping key -> (line of the key, position of its value)
    keys: dict[str, tuple[int, Position]] = field(default_factory=dict)
    items: list[Position] = field(default_factory=list)


@dataclass(frozen=True)
class DuplicateKey:
    """A key written twice in one mapping; both parsers silently keep the last one."""

    key: str
    line: int
    first_line: int


def line_of(root: Position | None, path: Iterable[PathPart]) -> int:
    """The 1-based line of the value at `path`, or of its nearest locatable ancestor.

    A key's line is the line of the key itself (``type:``), which is where an editor
    should jump. Without any position (an unparsable file) the answer is line 1.
    """
    if root is None:
        return 1
    line, node = root.line, root
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool) and 0 <= part < len(node.items):
            node = node.items[part]
            line = node.line
        elif str(part) in node.keys:
            line, node = node.keys[str(part)]
        else:
            break
    return line


# -- JSON ---------------------------------------------------------------------------------

_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+', re.DOTALL)


def json_positions(text: str) -> tuple[Position, list[DuplicateKey]]:
    """Positions of a document that `json.loads` has already accepted.

    Because the text is known to be valid JSON, a tokenizer plus a tiny recursive descent
    is enough; no error handling is needed beyond what `json.loads` did.
    """
    tokens: list[tuple[str, int]] = []
    line, last = 1, 0
    for match in _JSON_TOKEN.finditer(text):
        line += text.count("\n", last, match.start())
        last = match.start()
        tokens.append((match.group(), line))
    duplicates: list[DuplicateKey] = []
    index = 0

    def value() -> Position:
        nonlocal index
        lexeme, lexeme_line = tokens[index]
        index += 1
        node = Position(lexeme_line)
        if lexeme == "{":
            if tokens[index][0] == "}":
                index += 1
                return node
            while True:
                key_lexeme, key_line = tokens[index]
                index += 2  # the key and the colon
                key = json.loads(key_lexeme)
                child = value()
                if key in node.keys:
                    duplicates.append(DuplicateKey(key, key_line, node.keys[key][0]))
                node.keys[key] = (key_line, child)
                separator = tokens[index][0]
                index += 1
                if separator == "}":
                    return node
        if lexeme == "[":
            if tokens[index][0] == "]":
                index += 1
                return node
            while True:
                node.items.append(value())
                separator = tokens[index][0]
                index += 1
                if separator == "]":
                    return node
        return node

    return value(), duplicates


# -- YAML ---------------------------------------------------------------------------------


def yaml_positions(root: yaml.Node) -> tuple[Position, list[DuplicateKey]]:
    """Positions from a composed (not yet constructed) PyYAML node tree.

    Built before construction on purpose: constructing flattens merge keys (``<<``) into
    the mapping, and an explicit key that overrides a merged one would then look like a
    duplicate. Aliases share nodes (and may even form cycles), hence the memo.
    """
    memo: dict[int, Position] = {}
    duplicates: list[DuplicateKey] = []

    def build(node: yaml.Node) -> Position:
        if id(node) in memo:
            return memo[id(node)]
        position = Position(node.start_mark.line + 1)
        memo[id(node)] = position
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key, key_line = str(key_node.value), key_node.start_mark.line + 1
                if key in position.keys:
                    duplicates.append(DuplicateKey(key, key_line, position.keys[key][0]))
                position.keys[key] = (key_line, build(value_node))
        elif isinstance(node, yaml.SequenceNode):
            position.items = [build(item) for item in node.value]
        return position

    return build(root), duplicates
