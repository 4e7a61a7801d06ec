"""FEEL syntax trees to sandbox Python source.

The output calls the ``_feel_*`` helpers of `runtime` and nothing else; FEEL names are
looked up through the environment ``E`` (``E("Applicant Age")``), so no FEEL name ever
becomes a Python identifier and a designer's variables cannot shadow the helpers. Each
construct becomes:

=============================  ==============================================================
FEEL                           sandbox Python
=============================  ==============================================================
``a + b - c``                  ``_feel_op('-', _feel_op('+', A, B), C)`` (a long chain is one
                               ``_feel_ops`` call, so it does not nest the Python tree deeply)
``a < b``, ``a = b``           ``_feel_cmp('<', A, B)``
``a and b and c``              ``_feel_and(A, B, C)`` (three-valued; both sides evaluated)
``if c then a else b``         ``(A if C is True else B)`` (lazy, so recursion terminates)
``x in (< 5, [7..9])``         ``_feel_any(_feel_cmp('<', X, 5), _feel_inrange(X, 7, 9, ...))``
``for x in L return e``        ``_feel_for(E, ('x',), (lambda E: L,), lambda E: e)``
``L[item > 1]``, ``L[2]``      ``_feel_filter(E, L, lambda E: ...)``, ``_feel_index(L, 2)``
``a.b``                        ``_feel_path(A, 'b')``
``f(x)``                       ``_feel_call('f', X)`` for a built-in, ``_feel_invoke(E, 'f',
                               (X,))`` for a function from the model or the engine
``function(a) a + 1``          ``_feel_fn(E, ('a',), lambda E: ...)``
=============================  ==============================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from ..errors import ExpressionSyntaxError
from . import library
from .syntax import NameTable, Node, Tree, parse_expression, parse_unary_tests, syntax_error
from .values import parse_temporal

MAX_TEXT = 100_000


class Compiler:
    def __init__(self, tree: Tree, known: frozenset[str], input_code: str | None = None) -> None:
        self.text = tree.text
        self.known = known
        self.input_code = input_code
        self.locals: list[set[str]] = [set()]
        self.temps = 0

    def error(self, node: Node, message: str) -> ExpressionSyntaxError:
        return syntax_error(self.text, node.at, message)

    def is_local(self, name: str) -> bool:
        return any(name in scope for scope in self.locals)

    def scoped(self, names: Iterable[str], node: Node) -> str:
        self.locals.append(set(names))
        try:
            return self.c(node)
        finally:
            self.locals.pop()

    # -- dispatch ---------------------------------------------------------------------

    def c(self, node: Node) -> str:
        method = getattr(self, "n_" + node.kind, None)
        if method is None:
            raise self.error(node, f"'{node.kind}' is not allowed here")
        return method(node)

    def n_number(self, node: Node) -> str:
        text = node.args[0]
        digits = text.lstrip("-")
        if "." not in text and len(digits.lstrip("0")) <= 34:
            return f"({int(text)})" if text.startswith("-") else str(int(text))
        return f"_feel_num({text!r})"

    def n_string(self, node: Node) -> str:
        return repr(node.args[0])

    def n_boolean(self, node: Node) -> str:
        return "True" if node.args[0] else "False"

    def n_null(self, node: Node) -> str:
        return "None"

    def n_temporal(self, node: Node) -> str:
        text = node.args[0]
        if parse_temporal(text) is None:
            raise self.error(node, f"@{text!r} is not a date, time, date and time or duration")
        return f"_feel_at({text!r})"

    def n_name(self, node: Node) -> str:
        return f"E({node.args[0]!r})"

    def n_input(self, node: Node) -> str:
        return self.input_code if self.input_code is not None else "E('?')"

    def n_path(self, node: Node) -> str:
        return f"_feel_path({self.c(node.args[0])}, {node.args[1]!r})"

    def n_filter(self, node: Node) -> str:
        target, condition = node.args
        if condition.kind == "number" and "." not in condition.args[0]:
            return f"_feel_index({self.c(target)}, {self.c(condition)})"
        return f"_feel_filter(E, {self.c(target)}, lambda E: {self.scoped(['item'], condition)})"

    def n_arith(self, node: Node) -> str:
        op, left, right = node.args
        # a chain of the same precedence becomes one call (a + b - c + d ...)
        chain = [right]
        ops = [op]
        group = ("+", "-") if op in ("+", "-") else ("*", "/") if op in ("*", "/") else ("**",)
        while left.kind == "arith" and left.args[0] in group:
            ops.append(left.args[0])
            chain.append(left.args[2])
            left = left.args[1]
        if len(chain) == 1:
            return f"_feel_op({op!r}, {self.c(left)}, {self.c(right)})"
        parts = [self.c(left)]
        for operator, operand in zip(reversed(ops), reversed(chain), strict=True):
            parts.append(repr(operator))
            parts.append(self.c(operand))
        return f"_feel_ops({', '.join(parts)})"

    def n_negate(self, node: Node) -> str:
        return f"_feel_neg({self.c(node.args[0])})"

    def n_compare(self, node: Node) -> str:
        op, left, right = node.args
        return f"_feel_cmp({op!r}, {self.c(left)}, {self.c(right)})"

    def _flatten(self, node: Node, kind: str) -> list[Node]:
        items: list[Node] = []
        stack = [node]
        while stack:
            current = stack.pop()
            if current.kind == kind:
                stack.append(current.args[1])
                stack.append(current.args[0])
            else:
                items.append(current)
        return items

    def n_and(self, node: Node) -> str:
        return f"_feel_and({', '.join(self.c(n) for n in self._flatten(node, 'and'))})"

    def n_or(self, node: Node) -> str:
        return f"_feel_or({', '.join(self.c(n) for n in self._flatten(node, 'or'))})"

    def n_between(self, node: Node) -> str:
        value, low, high = node.args
        return f"_feel_between({self.c(value)}, {self.c(low)}, {self.c(high)})"

    def n_in(self, node: Node) -> str:
        value, tests = node.args
        self.temps += 1
        temp = f"_v{self.temps}"
        saved = self.input_code
        self.input_code = temp
        try:
            body = self.tests(list(tests), temp)
        finally:
            self.input_code = saved
        return f"(({temp} := {self.c(value)}), {body})[1]"

    def n_instance(self, node: Node) -> str:
        return f"_feel_instance({self.c(node.args[0])}, {node.args[1]!r})"

    def n_if(self, node: Node) -> str:
        condition, then, otherwise = node.args
        return f"({self.c(then)} if {self.c(condition)} is True else {self.c(otherwise)})"

    def _iteration(self, node: Node) -> tuple[str, str, list[str]]:
        iterations, _ = node.args
        names: list[str] = []
        domains: list[str] = []
        for name, domain in iterations:
            code = self._domain(domain, names)
            domains.append(f"lambda E: {code}")
            names.append(name)
        names_code = "(" + "".join(f"{n!r}, " for n in names) + ")"
        domains_code = "(" + "".join(f"{d}, " for d in domains) + ")"
        return names_code, domains_code, names

    def _domain(self, domain: Node, bound: list[str]) -> str:
        if domain.kind == "span":
            low, high = domain.args
            self.locals.append(set(bound))
            try:
                return f"_feel_span({self.c(low)}, {self.c(high)})"
            finally:
                self.locals.pop()
        return self.scoped(bound, domain)

    def n_for(self, node: Node) -> str:
        names_code, domains_code, names = self._iteration(node)
        body = self.scoped([*names, "partial"], node.args[1])
        return f"_feel_for(E, {names_code}, {domains_code}, lambda E: {body})"

    def n_some(self, node: Node) -> str:
        names_code, domains_code, names = self._iteration(node)
        return f"_feel_some(E, {names_code}, {domains_code}, lambda E: {self.scoped(names, node.args[1])})"

    def n_every(self, node: Node) -> str:
        names_code, domains_code, names = self._iteration(node)
        return f"_feel_every(E, {names_code}, {domains_code}, lambda E: {self.scoped(names, node.args[1])})"

    def n_span(self, node: Node) -> str:
        raise self.error(node, "'..' is only allowed in a 'for', 'some' or 'every' iteration or an interval")

    def n_function(self, node: Node) -> str:
        params, body = node.args
        params_code = "(" + "".join(f"{p!r}, " for p in params) + ")"
        return f"_feel_fn(E, {params_code}, lambda E: {self.scoped(params, body)})"

    def n_list(self, node: Node) -> str:
        return "[" + ", ".join(self.c(item) for item in node.args[0]) + "]"

    def n_context(self, node: Node) -> str:
        entries = node.args[0]
        keys = [key for key, _ in entries]
        dependent = any(
            _mentions(value, set(keys[:index])) for index, (_, value) in enumerate(entries)
        )
        if not dependent:
            return "{" + ", ".join(f"{key!r}: {self.c(value)}" for key, value in entries) + "}"
        keys_code = "(" + "".join(f"{k!r}, " for k in keys) + ")"
        values = []
        for index, (_, value) in enumerate(entries):
            values.append(f"lambda E: {self.scoped(keys[:index], value)}")
        return f"_feel_ctx(E, {keys_code}, (" + "".join(f"{v}, " for v in values) + "))"

    def n_range(self, node: Node) -> str:
        low, high, low_closed, high_closed = node.args
        return f"_feel_range({self.c(low)}, {self.c(high)}, {low_closed}, {high_closed})"

    def n_compare_test(self, node: Node) -> str:
        op, value = node.args
        if op in ("=", "!="):
            raise self.error(node, f"'{op}' without a left operand is only allowed in unary tests")
        return f"_feel_onesided({op!r}, {self.c(value)})"

    def n_call(self, node: Node) -> str:
        target, positional, named = node.args
        args = [self.c(a) for a in positional]
        named_code = "{" + ", ".join(f"{n!r}: {self.c(v)}" for n, v in named) + "}" if named else None
        args_tuple = "(" + "".join(f"{a}, " for a in args) + ")"
        if target.kind == "name":
            name = target.args[0]
            if self.is_local(name):
                return f"_feel_apply(E({name!r}), {args_tuple}{', ' + named_code if named_code else ''})"
            function = library.FUNCTIONS.get(name)
            if function is not None and name not in self.known:
                if named_code is None:
                    if not function.accepts(len(args)):
                        raise self.error(node, f"{name}() does not take {len(args)} argument(s): "
                                               f"use {function.describe()}")
                    return f"_feel_call({name!r}{''.join(', ' + a for a in args)})"
                if function.bind({n: None for n, _ in named}) is None:
                    raise self.error(node, f"{name}() has no parameters named "
                                           f"{', '.join(repr(n) for n, _ in named)}: use {function.describe()}")
                return f"_feel_calln({name!r}, {named_code})"
            return f"_feel_invoke(E, {name!r}, {args_tuple}{', ' + named_code if named_code else ''})"
        return f"_feel_apply({self.c(target)}, {args_tuple}{', ' + named_code if named_code else ''})"

    # -- unary tests --------------------------------------------------------------------

    def test(self, node: Node, value: str) -> str:
        kind = node.kind
        if kind == "compare_test":
            op, endpoint = node.args
            return f"_feel_cmp({op!r}, {value}, {self.c(endpoint)})"
        if kind == "range":
            low, high, low_closed, high_closed = node.args
            return f"_feel_inrange({value}, {self.c(low)}, {self.c(high)}, {low_closed}, {high_closed})"
        if kind == "null_test":
            return f"_feel_cmp('=', {value}, None)"
        expression = node.args[0]
        if _uses_input(expression):
            return self.c(expression)
        return f"_feel_match({value}, {self.c(expression)})"

    def tests(self, tests: list[Node], value: str) -> str:
        if len(tests) == 1:
            return self.test(tests[0], value)
        return f"_feel_any({', '.join(self.test(t, value) for t in tests)})"

    def unary_tests(self, root: Node) -> str:
        if root.kind == "any":
            return "True"
        assert self.input_code is not None
        body = self.tests(list(root.args[0]), self.input_code)
        if root.kind == "not_tests":
            return f"_feel_not({body})"
        return body


def _walk(node: object) -> Iterable[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Node):
            yield current
            stack.extend(current.args)
        elif isinstance(current, tuple | list):
            stack.extend(current)


def _uses_input(node: Node) -> bool:
    """Whether `?` appears outside a nested ``in`` (which binds its own ``?``)."""
    stack: list[object] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Node):
            if current.kind == "input":
                return True
            if current.kind == "in":
                stack.append(current.args[0])
                continue
            stack.extend(current.args)
        elif isinstance(current, tuple | list):
            stack.extend(current)
    return False


def _mentions(node: Node, names: set[str]) -> bool:
    return bool(names) and any(n.kind == "name" and n.args[0] in names for n in _walk(node))


def _strip(text: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"a FEEL expression must be a str, not {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise ExpressionSyntaxError(f"FEEL: the expression is longer than {MAX_TEXT:,} characters", source=text)
    stripped = text.lstrip()
    return stripped[1:] if stripped.startswith("=") else text


@lru_cache(maxsize=128)
def _table(names: frozenset[str]) -> NameTable:
    return NameTable.of(names)


def _parse(parse, text: str, names: frozenset[str]) -> Tree:  # type: ignore[no-untyped-def]
    try:
        return parse(text, _table(names))
    except RecursionError:
        raise ExpressionSyntaxError("FEEL: the expression is nested too deeply", source=text, line=1) from None


def _checked(python: str, text: str) -> str:
    from ..errors import ExpressionError
    from ..validate import check

    try:
        check(python, "eval")
    except ExpressionError as exc:
        raise ExpressionSyntaxError(
            f"FEEL: the expression is too complex to run ({exc.detail})", source=text, line=1
        ) from None
    return python


@lru_cache(maxsize=2048)
def _translate(text: str, names: frozenset[str], as_data: bool) -> str:
    tree = _parse(parse_expression, text, names)
    try:
        body = Compiler(tree, names).c(tree.root)
    except RecursionError:
        raise ExpressionSyntaxError("FEEL: the expression is nested too deeply", source=text, line=1) from None
    entry = "_feel_main" if as_data else "_feel_eval"
    return _checked(f"{entry}(lambda E: {body})", text)


@lru_cache(maxsize=4096)
def expression_body(text: str, names: frozenset[str], input_source: str | None = None) -> str:
    """The translated expression without its ``_feel_main`` wrapper: code that reads FEEL
    names through ``E`` (for callers that put several expressions into one program)."""
    tree = _parse(parse_expression, _strip(text), names)
    try:
        return Compiler(tree, names, input_code=input_source).c(tree.root)
    except RecursionError:
        raise ExpressionSyntaxError("FEEL: the expression is nested too deeply", source=text, line=1) from None


@lru_cache(maxsize=4096)
def unary_tests_body(text: str, input_source: str, names: frozenset[str]) -> str:
    """The translated unary tests without their wrapper (see `expression_body`)."""
    tree = _parse(parse_unary_tests, text, names)
    try:
        return Compiler(tree, names, input_code=f"({input_source})").unary_tests(tree.root)
    except RecursionError:
        raise ExpressionSyntaxError("FEEL: the expression is nested too deeply", source=text, line=1) from None


def translate_feel(text: str, *, known_names: Iterable[str] = (), as_data: bool = True) -> str:
    """The sandbox Python expression for a FEEL expression (a leading ``=`` is ignored).

    `known_names` are names the model declares (DMN input data, decisions, parameters),
    which may contain spaces and symbols such as ``-``. With `as_data` (the default) the
    result is converted to what instance data can hold (`values.to_data`); DMN keeps
    FEEL values between decisions and passes False. Raises `ExpressionSyntaxError`
    naming the construct, line and column."""
    return _translate(_strip(text), frozenset(known_names), as_data)


@lru_cache(maxsize=4096)
def _translate_tests(text: str, input_source: str, names: frozenset[str]) -> str:
    body = unary_tests_body(text, input_source, names)
    if body == "True":
        return "True"
    return _checked(f"_feel_eval(lambda E: {body})", text)


def translate_unary_tests(text: str, input_source: str, *, known_names: Iterable[str] = ()) -> str:
    """A sandbox boolean expression (true, false or None for null) that applies the FEEL
    unary tests `text` (a decision-table input entry such as ``< 10``, ``"a","b"``,
    ``[1..5]``, ``not(3)``, ``-`` or an expression using ``?``) to the value of the
    sandbox expression `input_source` (e.g. a variable name; it may be evaluated more
    than once). Raises `ExpressionSyntaxError` with line and column."""
    if not isinstance(input_source, str) or not input_source.strip():
        raise ValueError("input_source must be a sandbox expression")
    if not isinstance(text, str):
        raise TypeError(f"unary tests must be a str, not {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise ExpressionSyntaxError(f"FEEL: the unary tests are longer than {MAX_TEXT:,} characters", source=text)
    return _translate_tests(text, input_source, frozenset(known_names))
