"""Reading the YAML that designers and administrators write, in bounded time and memory.

Forms, YAML process and decision definitions, UI hints, seed data and the business
calendar are YAML written by people, uploaded through the API or the web app. YAML lets a
document name a node (an anchor, ``&a``) and refer to it again (an alias, ``*a``). PyYAML
composes an alias as a second reference to the same node, so the document stays a small
graph; but everything downstream treats the data as a tree - flattening merge keys,
locating lines, checking that the data is JSON, validating and compiling a schema,
storing it as JSON - and a tree of nested aliases is exponential in their depth: a
391-byte form of ten aliases per level took 19 s to deploy, ten times more per level.

The choice made here: aliases stay allowed (an anchor is how a designer shares one enum
or column definition between fields, and ``<<: *base`` merges are common), and the
document is measured as the tree it stands for before anything is constructed. The
measure runs on the composed node graph, each distinct node visited once, so it costs
time linear in the size of the document, whatever the aliases expand to:

* the text may have at most `MAX_CHARS` characters (parsing is the slowest part left:
  libyaml reads about half a megabyte a second into nodes, PyYAML's Python parser a
  third of that);
* the tree may nest at most `MAX_DEPTH` levels (libyaml itself refuses flow collections
  nested more than a thousand deep, PyYAML's Python composer runs out of stack);
* what aliases add beyond the document itself may be at most `MAX_EXPANSION` nodes, a
  text scalar counting one node per 64 characters: room for any sensible reuse (one
  shared enum of a hundred values in a hundred fields), none for a bomb. Checking and
  compiling a form costs about 0.1 ms a node, so that is at most a second of deploying;
* no alias may refer to a node that contains it (a cycle, endless for every walker).

A refusal is a `YamlLimitError`, a `yaml.MarkedYAMLError`, so code that reports YAML
errors with their line keeps working; its `problem` says what was exceeded and its
`problem_mark` where. Parsing uses libyaml (`SafeLoader` is PyYAML's ``CSafeLoader``)
when PyYAML was built with it, several times faster than the Python parser.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_CHARS = 1_000_000
MAX_DEPTH = 100
MAX_EXPANSION = 10_000
SCALAR_CHARS_PER_NODE = 64

#: PyYAML's safe loader, the C one when available (see the module doc).
SafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlLimitError(yaml.MarkedYAMLError):
    """The document is larger, deeper or expands further than the limits allow."""

    def __init__(self, problem: str, node: yaml.Node | None = None) -> None:
        mark = node.start_mark if node is not None else yaml.Mark("<document>", 0, 0, 0, None, None)
        super().__init__(problem=problem, problem_mark=mark)

    @property
    def line(self) -> int:
        """The 1-based line of the problem."""
        return self.problem_mark.line + 1


def check_text(text: str | bytes) -> None:
    """Refuses a document of more than `MAX_CHARS` characters before it is parsed."""
    if len(text) > MAX_CHARS:
        raise YamlLimitError(f"the document has {len(text):,} characters, more than the limit of {MAX_CHARS:,}")


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _weight(node: yaml.Node) -> int:
    if isinstance(node, yaml.ScalarNode):
        return 1 + len(node.value) // SCALAR_CHARS_PER_NODE
    return 1


def check_node(root: yaml.Node) -> None:
    """Measures the composed document `root` as the tree it stands for (see the module
    doc) and refuses it when it nests too deeply, expands too far or refers to itself."""
    # Pass 1: every distinct node once, iteratively: what the document holds itself.
    physical = 0
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        physical += _weight(node)
        stack.extend(_children(node))
    allowed = physical + MAX_EXPANSION
    # Pass 2: post-order over the graph, each node's expanded weight and depth computed
    # once from its children's; a node met again while its children are open is a cycle.
    done: dict[int, tuple[int, int]] = {}
    open_nodes: set[int] = set()
    stack = [root]
    while stack:
        node = stack[-1]
        key = id(node)
        if key in done:
            stack.pop()
            continue
        children = _children(node)
        if key not in open_nodes:
            open_nodes.add(key)
            for child in children:
                if id(child) in open_nodes:
                    raise YamlLimitError("an alias refers to the mapping or list that contains it", child)
                if id(child) not in done:
                    stack.append(child)
            continue
        stack.pop()
        open_nodes.discard(key)
        weight, depth = _weight(node), 1
        for child in children:
            child_weight, child_depth = done[id(child)]
            weight += child_weight
            depth = max(depth, child_depth + 1)
        if depth > MAX_DEPTH:
            raise YamlLimitError(f"the document is nested more than {MAX_DEPTH} levels deep", node)
        if weight > allowed:
            raise YamlLimitError(
                f"the aliases here expand the document to more than {weight:,} nodes, more than "
                f"{MAX_EXPANSION:,} beyond its own size (anchors and aliases nested in each other multiply)",
                node,
            )
        done[key] = (weight, depth)


def compose(loader: Any) -> yaml.Node | None:
    """The single document of `loader` as a checked node graph (None when it is empty)."""
    node = loader.get_single_node()
    if node is not None:
        check_node(node)
    return node


def load(text: str | bytes, loader_class: type | None = None) -> Any:
    """``yaml.safe_load`` with the limits of this module. Raises `yaml.YAMLError` (a
    `YamlLimitError` for the limits; "nested too deeply" when the parser's stack ends)."""
    check_text(text)
    loader = (loader_class or SafeLoader)(text)
    try:
        try:
            node = compose(loader)
        except RecursionError:
            raise YamlLimitError(f"the document is nested more than {MAX_DEPTH} levels deep") from None
        return None if node is None else loader.construct_document(node)
    finally:
        loader.dispose()
