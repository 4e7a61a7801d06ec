"""Parsing and the whitelist check, done once per distinct source text.

Designer code is parsed with `ast` and every node is checked against an allow list before
anything runs. The check is the first line of defence (the interpreter, which only knows
the allowed node types, is the second): it refuses imports, definitions, ``with``/``try``,
private and dunder names, attribute assignment, calls of forbidden builtins, and reports
the line, so a broken gateway condition is rejected when the process is deployed rather
than when a token reaches the gateway.

Results, good or bad, are cached per (source, mode) in an LRU cache, so evaluating the
same condition thousands of times parses it once.
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass
from functools import lru_cache

from .attributes import STR_FORMAT_MESSAGE, private_name_message
from .builtins import FORBIDDEN, forbidden_message
from .errors import ExpressionError, ExpressionSyntaxError, ResourceLimitExceeded, SandboxViolation

MAX_NESTING = 100  # AST depth; also keeps the recursive checker and interpreter off Python's limit
CACHE_SIZE = 4096
_CACHED_SOURCE_LENGTH = 65_536  # longer texts are checked every time rather than pinned in memory


@dataclass(frozen=True, slots=True)
class Program:
    """A parsed and checked source text, ready for the interpreter."""

    source: str
    mode: str
    tree: ast.Expression | ast.Module
    names: frozenset[str]  # every variable name the code mentions
    largest_int_bits: int  # of its integer literals, checked against the run's limits
    longest_string: int  # of its string literals


@dataclass(frozen=True, slots=True)
class _Failure:
    kind: type[ExpressionError]
    detail: str
    line: int | None

    def error(self, source: str) -> ExpressionError:
        return self.kind(self.detail, source=source, line=self.line)


_ALLOWED: frozenset[type] = frozenset(
    {
        # structure
        ast.Expression, ast.Module, ast.Load, ast.Store, ast.Del,
        # statements
        ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.If, ast.For, ast.While,
        ast.Break, ast.Continue, ast.Pass, ast.Delete, ast.Assert,
        # expressions
        ast.Constant, ast.Name, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp,
        ast.Call, ast.keyword, ast.Attribute, ast.Subscript, ast.Slice, ast.Starred,
        ast.List, ast.Tuple, ast.Dict, ast.Set,
        ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.comprehension,
        ast.JoinedStr, ast.FormattedValue, ast.Lambda, ast.arguments, ast.arg, ast.NamedExpr,
        # operators (MatMult is absent)
        ast.And, ast.Or,
        ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow,
        ast.LShift, ast.RShift, ast.BitOr, ast.BitXor, ast.BitAnd,
        ast.UAdd, ast.USub, ast.Not, ast.Invert,
        ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot, ast.In, ast.NotIn,
    }
)  # fmt: skip

_REFUSED: dict[type, str] = {
    ast.Import: "import is not allowed in expressions and scripts",
    ast.ImportFrom: "import is not allowed in expressions and scripts",
    ast.FunctionDef: "defining functions with 'def' is not allowed (a lambda can be assigned instead)",
    ast.AsyncFunctionDef: "defining functions with 'def' is not allowed (a lambda can be assigned instead)",
    ast.ClassDef: "defining classes is not allowed",
    ast.With: "'with' blocks are not allowed",
    ast.AsyncWith: "'with' blocks are not allowed",
    ast.Try: "'try' blocks are not allowed: an error ends the script and is reported as an incident",
    ast.TryStar: "'try' blocks are not allowed: an error ends the script and is reported as an incident",
    ast.Raise: "'raise' is not allowed; use 'assert condition, \"message\"' to stop with an error",
    ast.Global: "'global' is not allowed: top-level assignments already write the process variables",
    ast.Nonlocal: "'nonlocal' is not allowed",
    ast.Return: "'return' is not allowed at the top level of a script: assign a variable instead",
    ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield' is not allowed",
    ast.Await: "'await' is not allowed",
    ast.AsyncFor: "'async for' is not allowed",
    ast.Match: "'match' statements are not supported; use if/elif",
    ast.MatMult: "the '@' operator is not supported",
}

_CONSTANT_TYPES = (str, int, float, bool, type(None))


class _Checker:
    """Walks the tree once, refusing what is not allowed and collecting facts the
    interpreter needs (names used, largest literals)."""

    def __init__(self, line_offset: int) -> None:
        self.line_offset = line_offset
        self.names: set[str] = set()
        self.int_bits = 0
        self.string_length = 0

    def _line(self, node: ast.AST) -> int | None:
        line = getattr(node, "lineno", None)
        return None if line is None else line + self.line_offset

    def refuse(self, node: ast.AST, message: str, kind: type[ExpressionError] = SandboxViolation) -> None:
        raise kind(message, line=self._line(node))

    def visit(self, node: ast.AST, depth: int, in_loop: bool) -> None:
        if depth > MAX_NESTING:
            self.refuse(node, f"the code is nested more than {MAX_NESTING} levels deep", ResourceLimitExceeded)
        kind = type(node)
        if kind not in _ALLOWED:
            self.refuse(node, _REFUSED.get(kind) or f"'{kind.__name__}' is not allowed in expressions")
        deeper = depth + 1
        if isinstance(node, ast.Name):
            self._name(node)
        elif isinstance(node, ast.Attribute):
            self._attribute(node)
        elif isinstance(node, ast.Constant):
            self._constant(node)
        elif isinstance(node, ast.Call):
            self._call(node)
        elif isinstance(node, ast.arg):
            if node.arg.startswith("__"):
                self.refuse(node, f"'{node.arg}' is not allowed: names starting with '__' are reserved")
        elif isinstance(node, ast.comprehension):
            if node.is_async:
                self.refuse(node, "async comprehensions are not allowed")
        elif isinstance(node, ast.Break | ast.Continue):
            if not in_loop:
                word = "break" if isinstance(node, ast.Break) else "continue"
                self.refuse(node, f"'{word}' outside a loop", ExpressionSyntaxError)
        elif isinstance(node, ast.For | ast.While):
            self._loop(node, deeper, in_loop)
            return
        elif isinstance(node, ast.If):
            self._if(node, depth, in_loop)
            return
        elif isinstance(node, ast.Lambda):
            in_loop = False
        for child in ast.iter_child_nodes(node):
            if type(child) is ast.Starred and kind not in (ast.List, ast.Tuple, ast.Set, ast.Call):
                self.refuse(child, "a starred expression (*x) can only be used in a list, tuple, set or call")
            self.visit(child, deeper, in_loop)

    def _loop(self, node: ast.For | ast.While, deeper: int, in_loop: bool) -> None:
        if isinstance(node, ast.For):
            self.visit(node.target, deeper, in_loop)
            self.visit(node.iter, deeper, in_loop)
        else:
            self.visit(node.test, deeper, in_loop)
        for statement in node.body:
            self.visit(statement, deeper, True)
        for statement in node.orelse:
            self.visit(statement, deeper, in_loop)

    def _if(self, node: ast.If, depth: int, in_loop: bool) -> None:
        # An elif chain is nested in the tree but flat in the text: it does not count as depth
        # (the interpreter walks it in a loop as well).
        self.visit(node.test, depth + 1, in_loop)
        for statement in node.body:
            self.visit(statement, depth + 1, in_loop)
        if len(node.orelse) == 1 and type(node.orelse[0]) is ast.If:
            self.visit(node.orelse[0], depth, in_loop)
        else:
            for statement in node.orelse:
                self.visit(statement, depth + 1, in_loop)

    def _name(self, node: ast.Name) -> None:
        if node.id.startswith("__"):
            self.refuse(node, f"'{node.id}' is not allowed: names starting with '__' are reserved")
        self.names.add(node.id)

    def _attribute(self, node: ast.Attribute) -> None:
        if node.attr.startswith("_"):
            self.refuse(node, private_name_message(node.attr))
        if isinstance(node.ctx, ast.Store):
            target = ast.unparse(node.value)
            target = target if len(target) <= 30 else "x"
            self.refuse(
                node,
                f"changing attributes is not allowed; for a dict assign a key instead: "
                f"{target}['{node.attr}'] = ...",
            )
        if isinstance(node.ctx, ast.Del):
            self.refuse(node, "deleting attributes is not allowed")
        if node.attr in ("format", "format_map") and isinstance(node.value, ast.Constant | ast.JoinedStr):
            self.refuse(node, STR_FORMAT_MESSAGE.format(name=node.attr))

    def _constant(self, node: ast.Constant) -> None:
        value = node.value
        if not isinstance(value, _CONSTANT_TYPES):
            label = {bytes: "bytes", complex: "complex number"}.get(type(value), type(value).__name__)
            self.refuse(node, f"{label} literals are not supported")
        if type(value) is int:
            self.int_bits = max(self.int_bits, value.bit_length())
        elif type(value) is str:
            self.string_length = max(self.string_length, len(value))

    def _call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN:
            self.refuse(node, forbidden_message(node.func.id))


def _prepare(source: str, mode: str) -> tuple[str, int]:
    """Expressions come out of XML attributes and cells with surrounding whitespace and
    scripts with a common indentation; both are removed, keeping line numbers right."""
    if mode == "eval":
        stripped = source.lstrip()
        return stripped.rstrip(), source[: len(source) - len(stripped)].count("\n")
    return textwrap.dedent(source), 0


def _load(source: str, mode: str) -> Program | _Failure:
    text, line_offset = _prepare(source, mode)
    if not text.strip():
        return _Failure(ExpressionSyntaxError, "the code is empty", None)
    try:
        tree = ast.parse(text, mode=mode)
    except SyntaxError as exc:
        where = f" (column {exc.offset})" if exc.offset else ""
        line = None if exc.lineno is None else exc.lineno + line_offset
        return _Failure(ExpressionSyntaxError, f"the code does not parse: {exc.msg}{where}", line)
    except (ValueError, RecursionError, MemoryError) as exc:
        return _Failure(ExpressionSyntaxError, f"the code cannot be parsed: {exc or 'it is too complex'}", None)
    checker = _Checker(line_offset)
    try:
        if isinstance(tree, ast.Expression):
            checker.visit(tree.body, 1, False)
        else:
            for statement in tree.body:
                checker.visit(statement, 1, False)
    except ExpressionError as exc:
        return _Failure(type(exc), exc.detail, exc.line)
    except RecursionError:
        return _Failure(ResourceLimitExceeded, "the code is nested too deeply", None)
    if line_offset:
        ast.increment_lineno(tree, line_offset)
    return Program(
        source=source,
        mode=mode,
        tree=tree,
        names=frozenset(checker.names),
        largest_int_bits=checker.int_bits,
        longest_string=checker.string_length,
    )


_load_cached = lru_cache(maxsize=CACHE_SIZE)(_load)


def load(source: str, mode: str) -> Program:
    """Parses and checks `source` (cached); raises `ExpressionSyntaxError`,
    `SandboxViolation` or `ResourceLimitExceeded` with the line of the problem."""
    if not isinstance(source, str):
        raise TypeError(f"the code must be a str, not {type(source).__name__}")
    if mode not in ("eval", "exec"):
        raise ValueError(f"mode must be 'eval' or 'exec', not {mode!r}")
    result = _load_cached(source, mode) if len(source) <= _CACHED_SOURCE_LENGTH else _load(source, mode)
    if isinstance(result, _Failure):
        raise result.error(source)
    return result


def check(source: str, mode: str = "eval") -> None:
    """Parses and validates only: mode 'eval' for one expression, 'exec' for a script.
    Used at deploy time to reject bad conditions and scripts with a line number."""
    load(source, mode)
