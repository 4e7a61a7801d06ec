"""Scripts written in Groovy or JavaScript (Camunda 7, Flowable), read as sandbox Python
when they only do what process scripts usually do.

Camunda 7 models carry short inline scripts: read a variable, compute, store a variable,
log a line. Those run in Flowdesk's sandbox once translated; anything beyond that small
language (blocks, loops, Java classes, ``new``, closures) is not guessed at: the caller
keeps refusing the script with its file and line. What is understood:

* ``execution.setVariable("x", expr)`` (also ``setVariableLocal``, on ``task``, on
  ``execution.getProcessInstance()`` or a name holding it) stores ``x``;
* ``execution.getVariable("x")`` in an expression reads ``x``; expressions otherwise
  follow JUEL's operators, literals and method calls (`expressions.translate_el`);
* ``def``/``var``/``let``/``const`` (or a Java type, or nothing) ``name = expr``: a
  variable of the script only (Camunda does not store script variables), so it never
  reaches the process data;
* ``println``, ``print``, ``console.log``, ``System.out.println``, logger calls: dropped;
* with a result variable, the value of the last expression (``return expr`` too);
* JUEL scripts (``scriptFormat="juel"``): the expression's value.
"""

from __future__ import annotations

import ast
import re

from ... import expressions

SCRIPT_LANGUAGES = frozenset({"groovy", "javascript", "js", "ecmascript", "nashorn", "graal.js", "juel"})
_LOCAL_PREFIX = "script_local_"
_NAME = r"[A-Za-z_$][A-Za-z0-9_$]*"
_TYPES = (r"(?:int|long|double|float|short|byte|boolean|char|String|Integer|Long|Double|Float|Boolean|"
          r"Object|BigDecimal|Number|Map|List|Date)")
_DECLARE = re.compile(rf"^(?:(?:def|var|let|const|final)\s+)?(?:{_TYPES}\s+)?({_NAME})\s*=(?!=)\s*(.+)$", re.S)
_RECEIVER = rf"(?:execution|task|execution\.getProcessInstance\(\)|{_NAME})"
_SET = re.compile(rf"^({_RECEIVER})\.setVariable(?:Local)?\(\s*(['\"])([^'\"]+)\2\s*,\s*(.+)\)$", re.S)
_GET = re.compile(rf"\b({_RECEIVER})\.getVariable(?:Local)?\(\s*(['\"])([^'\"]+)\2\s*\)")
_ALIAS = re.compile(rf"^(?:(?:def|var|let|const|final)\s+)?(?:\w+\s+)?({_NAME})\s*=\s*"
                    r"(?:execution|task)\.getProcessInstance\(\)$")
_LOG = re.compile(r"^(?:println|print|console\.(?:log|info|warn|error)|(?:java\.lang\.)?System\.(?:out|err)\."
                  r"print(?:ln)?|(?:log|logger|LOG|LOGGER)\.(?:info|debug|warn|error|trace))\b.*$", re.S)
_RETURN = re.compile(r"^return\s+(.+)$", re.S)


class NotTranslatable(Exception):
    """The script uses more than the small language understood here."""


def translate_script(text: str, language: str, result_variable: str | None = None) -> tuple[str, bool]:
    """Sandbox Python for a Groovy, JavaScript or JUEL script and whether log lines were
    dropped; `NotTranslatable` when the script does more than this module understands.
    An empty script translates to an empty text."""
    if language == "juel":
        source = _expression(text.strip())
        return (f"{result_variable} = {source}" if result_variable else source), False
    statements = _statements(_without_comments(text))
    lines: list[str] = []
    script_locals: set[str] = set()
    aliases: set[str] = set()
    dropped = False
    for index, statement in enumerate(statements):
        last = index == len(statements) - 1
        if _LOG.match(statement):
            dropped = True
            continue
        alias = _ALIAS.match(statement)
        if alias:
            aliases.add(alias.group(1))
            continue
        setter = _SET.match(statement)
        if setter and _receiver_ok(setter.group(1), aliases):
            name = setter.group(3)
            if not name.isidentifier():
                raise NotTranslatable(f"variable name {name!r}")
            lines.append(f"{name} = {_local_names(_expression(setter.group(4), aliases), script_locals)}")
            continue
        returned = _RETURN.match(statement)
        if returned:
            if not (last and result_variable):
                raise NotTranslatable("return outside the last statement")
            lines.append(f"{result_variable} = {_local_names(_expression(returned.group(1), aliases), script_locals)}")
            continue
        declared = _DECLARE.match(statement)
        if declared:
            name = declared.group(1)
            if not name.isidentifier():
                raise NotTranslatable(f"variable name {name!r}")
            value = _local_names(_expression(declared.group(2), aliases), script_locals)
            script_locals.add(name)
            lines.append(f"{_LOCAL_PREFIX}{name} = {value}")
            if last and result_variable:
                lines.append(f"{result_variable} = {_LOCAL_PREFIX}{name}")
            continue
        if last and result_variable:
            lines.append(f"{result_variable} = {_local_names(_expression(statement, aliases), script_locals)}")
            continue
        raise NotTranslatable(f"statement {statement[:60]!r}")
    lines.extend(f"del {_LOCAL_PREFIX}{name}" for name in sorted(script_locals))
    source = "\n".join(lines)
    if source:
        try:
            expressions.check(source, "exec")
        except expressions.ExpressionError as err:
            raise NotTranslatable(err.detail) from err
    return source, dropped


def _receiver_ok(receiver: str, aliases: set[str]) -> bool:
    return receiver in ("execution", "task", "execution.getProcessInstance()") or receiver in aliases


def _expression(text: str, aliases: frozenset[str] | set[str] = frozenset()) -> str:
    text = text.strip().rstrip(";").strip()
    if text.startswith(("${", "#{")) and text.endswith("}"):
        text = text[2:-1]
    text = _GET.sub(lambda m: f"execution.getVariable({m.group(2)}{m.group(3)}{m.group(2)})"
                    if _receiver_ok(m.group(1), set(aliases)) else m.group(0), text)
    text = text.replace("===", "==").replace("!==", "!=")
    if re.search(r"\bnew\s|=>|->|\{", text):
        raise NotTranslatable(f"expression {text[:60]!r}")
    try:
        return expressions.translate_el("${" + text + "}", methods=True)
    except expressions.ExpressionError as err:
        raise NotTranslatable(err.detail) from err


def _local_names(source: str, script_locals: set[str]) -> str:
    if not script_locals:
        return source
    tree = ast.parse(source, mode="eval")
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in script_locals:
            node.id = _LOCAL_PREFIX + node.id
    return ast.unparse(tree)


def _without_comments(text: str) -> str:
    out: list[str] = []
    quote: str | None = None
    i = 0
    while i < len(text):
        char = text[i]
        if quote:
            out.append(char)
            if char == "\\" and i + 1 < len(text):
                out.append(text[i + 1])
                i += 1
            elif char == quote:
                quote = None
        elif char in "'\"":
            quote = char
            out.append(char)
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = len(text) if end < 0 else end + 2
            continue
        else:
            out.append(char)
        i += 1
    return "".join(out)


def _statements(text: str) -> list[str]:
    """Statements split at line ends and semicolons outside strings and brackets; braces
    (blocks, closures, object literals) are beyond this module."""
    statements: list[str] = []
    current: list[str] = []
    quote: str | None = None
    depth = 0
    for i, char in enumerate(text):
        if quote:
            current.append(char)
            if char == quote and text[i - 1] != "\\":
                quote = None
            continue
        if char in "'\"":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char in "{}":
            raise NotTranslatable("blocks")
        elif char in ";\n" and depth <= 0:
            statements.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    statements.append("".join(current).strip())
    return [s for s in statements if s]


def as_python(ctx, owner, language: str, text: str, what: str, result_variable: str | None = None) -> str | None:
    """The script as sandbox Python, with a warning saying so; None (nothing recorded) when
    it is not in a language or a part of one that this module reads."""
    if language not in SCRIPT_LANGUAGES:
        return None
    try:
        source, dropped = translate_script(text, language, result_variable)
    except NotTranslatable:
        return None
    note = "; its log lines are dropped" if dropped else ""
    ctx.warn(owner, f"{what}: the {language} script is read as Python (variables it reads and stores, "
                    f"its expressions){note}")
    return source


def setters_as_python(ctx, owner, language: str, text: str, what: str) -> list[tuple[str, str]] | None:
    """A mapping parameter's script that only stores variables (``execution.setVariable("x",
    5);``, log lines aside) as (variable, sandbox Python) pairs, with a warning; None
    (nothing recorded) otherwise. Camunda runs such a script for its effect: the parameter
    itself is null."""
    if language not in SCRIPT_LANGUAGES or language == "juel":
        return None
    found: list[tuple[str, str]] = []
    try:
        for statement in _statements(_without_comments(text)):
            if _LOG.match(statement):
                continue
            setter = _SET.match(statement)
            if not setter or not _receiver_ok(setter.group(1), set()) or not setter.group(3).isidentifier():
                return None
            source = _expression(setter.group(4))
            expressions.check(source, "eval")
            found.append((setter.group(3), source))
    except (NotTranslatable, expressions.ExpressionError):
        return None
    if not found:
        return None
    ctx.warn(owner, f"{what}: the {language} script stores {', '.join(n for n, _ in found)} as it runs; read as "
                    "Python (the parameter itself is null)")
    return found


def expression_as_python(ctx, owner, language: str, text: str, what: str) -> str | None:
    """A script that is one expression (a mapping parameter's value) as a sandbox Python
    expression, with a warning; None (nothing recorded) otherwise."""
    if language not in SCRIPT_LANGUAGES:
        return None
    try:
        statements = _statements(_without_comments(text))
        if len(statements) != 1 or _SET.match(statements[0]) or _DECLARE.match(statements[0]):
            return None
        returned = _RETURN.match(statements[0])
        source = _expression(returned.group(1) if returned else statements[0])
        expressions.check(source, "eval")
    except (NotTranslatable, expressions.ExpressionError):
        return None
    ctx.warn(owner, f"{what}: the {language} expression is read as Python")
    return source
