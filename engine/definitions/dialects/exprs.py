"""Expressions of every dialect, translated once into sandbox Python.

Which language a text is written in:

* ``=...``: FEEL (Camunda 8 writes every expression so; in a sequence-flow condition no
  other language starts with ``=``);
* ``${...}`` / ``#{...}``: Camunda 7 / Flowable JUEL (`expressions.translate_el`, method
  calls included);
* a document whose ``expressionLanguage`` (or an expression whose ``language``) names
  FEEL, e.g. Trisotech's models: FEEL without the ``=``;
* anything else: Python, as in SpiffWorkflow's models.

Python that does not parse gets three chances before it is an error: the BPMN XPath
function ``bpmn:getDataObject('x')`` reads the variable ``x`` (data objects are instance
data in Flowdesk), a Zeebe 0.x JSONPath condition (``$.approved == true``) is read as the
FEEL it meant, and words separated by spaces that are not Python (``Service Level ==
'Premium'``) are read as one data name, each with a warning that says so.
"""

from __future__ import annotations

import ast
import keyword
import re

from lxml import etree

from ... import expressions
from ...expressions.feel import translate_feel
from .context import FEEL_LANGUAGE, Context

_DURATION = re.compile(r"^[+]?P(?=[0-9T])[0-9YMWD]*(T[0-9HMS.,]+)?$")
_ISO_TIMER = re.compile(r"^(R\d*/)?([+-]?P[0-9YMWDTHS.,]+|\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?)(/.*)?$")
# Quartz / Spring cron: 6 or 7 fields (seconds first), or classic 5-field cron.
_CRON_FIELD = r"[0-9A-Za-z*?/,#LW-]+"
CRON = re.compile(rf"^{_CRON_FIELD}(\s+{_CRON_FIELD}){{4,6}}$")
_GET_DATA_OBJECT = re.compile(r"(?:bpmn:)?getDataObject\(\s*['\"]([^'\"]+)['\"]\s*\)")
_SINGLE_EQUALS = re.compile(r"(?<![=!<>])=(?!=)")
_WORDS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:[ \t]+[A-Za-z_][A-Za-z0-9_]*)+")
_PY_WORDS = set(keyword.kwlist) | {"True", "False", "None"}
_JSON_PATH = re.compile(r"\$\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)")


def language_of(ctx: Context, node: etree._Element) -> str | None:
    language = node.get("language") or ""
    if FEEL_LANGUAGE.search(language):
        return "feel"
    return "feel" if ctx.feel_default else None


def feel(ctx: Context, node: etree._Element, text: str, what: str, as_data: bool = True) -> str | None:
    try:
        return translate_feel(text, known_names=ctx.known_names, as_data=as_data)
    except expressions.ExpressionError as err:
        ctx.error(node, f"{what} {text.strip()!r} is not valid FEEL: {err.detail}")
        return None


def el(ctx: Context, node: etree._Element, text: str, what: str) -> str | None:
    try:
        return expressions.translate_el(text.strip(), methods=True)
    except expressions.ExpressionError as err:
        ctx.error(node, f"{what} {text.strip()!r}: {err.detail}")
        return None


def checked(ctx: Context, node: etree._Element, source: str, what: str, shown: str, mode: str = "eval") -> bool:
    try:
        expressions.check(source, mode)
    except expressions.ExpressionError as err:
        ctx.error(node, f"{what} {shown!r}: {err.detail}")
        return False
    return True


def expression(ctx: Context, node: etree._Element, text: str, what: str, *, feel_default: bool = False) -> str | None:
    """Sandbox Python for an expression of any dialect (see the module docstring); None
    (with a problem recorded) when it cannot be translated."""
    stripped = text.strip()
    if stripped.startswith("="):
        return feel(ctx, node, stripped[1:], what)
    if expressions.is_el(stripped):
        source = el(ctx, node, stripped, what)
        return source if source is not None and checked(ctx, node, source, what, stripped) else None
    if feel_default or language_of(ctx, node) == "feel":
        return feel(ctx, node, stripped, what)
    return python(ctx, node, stripped, what)


def python(ctx: Context, node: etree._Element, text: str, what: str) -> str | None:
    try:
        expressions.check(text, "eval")
        return text
    except expressions.ExpressionError as err:
        first_error = err.detail
    rewritten = _GET_DATA_OBJECT.sub(lambda m: _name(m.group(1)), text)
    if rewritten != text:
        if _parses(rewritten):
            return rewritten
        equality = _SINGLE_EQUALS.sub("==", rewritten)  # XPath compares with '='
        if _parses(equality):
            return equality
    legacy = _zeebe_json_path(text)
    if legacy is not None:
        try:
            source = translate_feel(legacy, known_names=ctx.known_names)
        except expressions.ExpressionError:
            source = None
        if source is not None:
            ctx.warn(node, f"{what} {text!r} is a Zeebe 0.x JSONPath condition: read as {legacy!r} (FEEL)")
            return source
    spaced = _read_spaced_names(rewritten)
    if spaced is not None:
        source, names = spaced
        ctx.warn(node, f"{what} {text!r} names data with spaces ({', '.join(repr(n) for n in names)}): each is "
                       "read as one variable of that name")
        return source
    ctx.error(node, f"{what} {text!r} does not parse: {first_error}")
    return None


def _zeebe_json_path(text: str) -> str | None:
    """Zeebe before 0.23 wrote conditions over JSONPath (``$.approved == true && $.n > 2``);
    models from then still circulate. The same condition in FEEL, or None when the text
    does not read a ``$.`` path."""
    if not _JSON_PATH.search(text):
        return None
    out: list[str] = []
    last = 0
    for match in re.finditer(r"'[^']*'|\"[^\"]*\"", text):
        out.append(_json_path_operators(text[last:match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(_json_path_operators(text[last:]))
    return "".join(out).strip()


def _json_path_operators(part: str) -> str:
    part = _JSON_PATH.sub(lambda m: m.group(1), part)
    part = part.replace("&&", " and ").replace("||", " or ").replace("==", "=")
    return part


def _name(name: str) -> str:
    if name.isidentifier() and not keyword.iskeyword(name):
        return name
    return f"_feel_main(lambda E: E({name!r}))"


def _parses(source: str) -> bool:
    try:
        expressions.check(source, "eval")
        return True
    except expressions.ExpressionError:
        return False


def _read_spaced_names(text: str) -> tuple[str, list[str]] | None:
    """``Service Level == 'Premium'`` with ``Service Level`` read as one variable."""
    names: list[str] = []
    parts: list[str] = []
    last = 0
    strings = [(m.start(), m.end()) for m in re.finditer(r"'[^']*'|\"[^\"]*\"", text)]
    for match in _WORDS.finditer(text):
        if any(start <= match.start() < end for start, end in strings):
            continue
        words = match.group(0).split()
        if any(w in _PY_WORDS for w in words):
            continue
        name = " ".join(words)
        names.append(name)
        parts.append(text[last:match.start()])
        parts.append(_name(name))
        last = match.end()
    if not names:
        return None
    source = "".join(parts) + text[last:]
    return (source, names) if _parses(source) else None


def condition(ctx: Context, node: etree._Element, what: str = "condition") -> None:
    """Translate the text of a condition element in place."""
    text = (node.text or "").strip()
    if not text:
        return
    source = expression(ctx, node, text, what)
    if source is not None:
        node.text = source


def timer(ctx: Context, node: etree._Element) -> str | None:
    """Translate a timer value element in place; returns the text it had."""
    text = (node.text or "").strip()
    if not text:
        return None
    qname = etree.QName(node)
    if qname.localname == "timeDate" and _DURATION.match(text.lstrip("=").strip()):
        # Camunda 7 reads a duration given as a date as that long from now
        node.tag = etree.QName(qname.namespace, "timeDuration").text
        ctx.warn(node, f"timer date {text!r} is a duration: it fires that long after the timer starts")
    if _ISO_TIMER.match(text) or CRON.match(text):
        node.text = repr(text)
        return text
    if text.startswith("="):
        inner = text[1:].strip()
        if _ISO_TIMER.match(inner) or CRON.match(inner):
            node.text = repr(inner)
            return text
    source = expression(ctx, node, text, "timer", feel_default=False)
    if source is not None:
        node.text = source
    return text


def static_or_feel(ctx: Context, node: etree._Element, text: str | None, what: str) -> str | None:
    """A Zeebe attribute value: ``=expression`` is FEEL, anything else a literal string."""
    if text is None:
        return None
    stripped = text.strip()
    if stripped.startswith("="):
        return feel(ctx, node, stripped[1:], what)
    return repr(text)


def meta(ctx: Context, node: etree._Element, text: str | None, what: str, zeebe: bool) -> str | None:
    """An assignee, group list, due date or priority as `inspect` stores it: a literal, or
    ``=`` followed by sandbox Python (what the step evaluates when the task opens)."""
    if text is None or not text.strip():
        return None
    stripped = text.strip()
    if zeebe and stripped.startswith("="):
        source = feel(ctx, node, stripped[1:], what)
        return None if source is None else "=" + source
    if expressions.is_el(stripped):
        source = el(ctx, node, stripped, what)
        return None if source is None or not checked(ctx, node, source, what, stripped) else "=" + source
    if stripped.startswith("="):
        if checked(ctx, node, stripped[1:].strip(), what, stripped):
            return stripped
        return None
    return stripped


def without_print(text: str) -> str | None:
    """A script with its ``print(...)`` statements removed (scripts written for
    SpiffWorkflow print to debug; Flowdesk scripts have no output), or None when there
    are none."""
    if "print" not in text:
        return None
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    found = False

    class Drop(ast.NodeTransformer):
        def visit_Expr(self, node: ast.Expr) -> ast.AST:
            nonlocal found
            call = node.value
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "print":
                found = True
                return ast.copy_location(ast.Pass(), node)
            return node

    tree = Drop().visit(tree)
    return ast.unparse(tree) if found else None


def lenient(source: str) -> str:
    """`source` with every variable read as FEEL reads it: a missing variable is null
    instead of an error. Conditional events use it, as Camunda does (a condition naming a
    variable that does not exist yet is false)."""
    from ...expressions.builtins import BUILTINS

    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:
        return source
    bound = {arg.arg for node in ast.walk(tree) if isinstance(node, ast.Lambda) for arg in node.args.args}
    bound |= {n.id for node in ast.walk(tree) if isinstance(node, ast.comprehension)
              for n in ast.walk(node.target) if isinstance(n, ast.Name)}

    class Lookup(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            if (not isinstance(node.ctx, ast.Load) or node.id in BUILTINS or node.id in bound
                    or node.id in ("True", "False", "None")):
                return node
            lookup = ast.parse(f"_feel_main(lambda E: E({node.id!r}))", mode="eval").body
            return ast.copy_location(lookup, node)

    return ast.unparse(Lookup().visit(tree))
