"""The tree-walking interpreter that runs checked designer code.

User code is never handed to ``eval``, ``exec`` or ``compile``: this module walks the AST
and performs each node itself, which is what makes the sandbox enforceable. Names resolve
only through the interpreter's own scopes and the `builtins.BUILTINS` table (there are no
real globals to reach), attributes only through `attributes.resolve_attribute`, and every
node evaluated costs one step of the run's `Meter`, as does every loop iteration and
comprehension item. Dispatch is a dict from node type to handler.

Scoping follows Python where it matters to designers: a script's top level reads and
writes the task's variables; lambdas close over the scope they were made in (late
binding, as in Python) and get their own locals; comprehension variables do not leak; an
assignment expression (walrus) inside a comprehension binds in the enclosing scope.
Generator expressions are materialised as lists.

Any Python exception raised while a node runs becomes an `EvaluationError` carrying the
node's line and the original exception as ``__cause__``; running out of Python stack or
memory becomes `ResourceLimitExceeded`.
"""

from __future__ import annotations

import ast
import decimal
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from .attributes import resolve_attribute
from .builtins import BUILTINS, FORBIDDEN, forbidden_message
from .callables import SandboxCallable, hashable_items
from .errors import EvaluationError, ExpressionError, ResourceLimitExceeded, SandboxViolation
from .formatting import convert, safe_format
from .functions import NO_DEFAULT, SandboxFunction, Scope
from .limits import ITEMS_PER_STEP
from .meter import Meter
from .operators import binary, compare
from .sizes import short


class _Break(BaseException):
    """Leaves the innermost loop (not an Exception, so no handler converts it)."""


class _Continue(BaseException):
    """Skips to the next iteration of the innermost loop."""


def describe(exc: BaseException) -> str:
    """A designer-readable message for an ordinary Python exception."""
    if isinstance(exc, KeyError) and exc.args:
        return f"key {short(exc.args[0])} was not found"
    if isinstance(exc, AssertionError):
        return f"assertion failed: {exc}" if str(exc) else "assertion failed"
    if isinstance(exc, decimal.DivisionByZero):
        return "division by zero"
    if isinstance(exc, decimal.Overflow):
        return "the Decimal result is too large"
    if isinstance(exc, OverflowError):
        text = str(exc)
        return "a number is too large (floating-point overflow)" if text.startswith("(") else text
    if isinstance(exc, decimal.InvalidOperation):
        return "invalid Decimal operation (a result too precise or too large for the Decimal context?)"
    text = str(exc)
    if len(text) > 300:
        text = text[:297] + "..."
    if isinstance(exc, NameError | TypeError | ValueError | ZeroDivisionError | IndexError | AttributeError):
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def wrap(exc: Exception, node: ast.AST) -> ExpressionError:
    line = getattr(node, "lineno", None)
    if isinstance(exc, RecursionError):
        return ResourceLimitExceeded("the code nests too deeply to evaluate (endless recursion?)", line=line)
    if isinstance(exc, MemoryError):
        return ResourceLimitExceeded("the code ran out of memory", line=line)
    return EvaluationError(describe(exc), line=line)


class Interpreter:
    """Runs the nodes of one checked program against one meter and scope chain."""

    __slots__ = ("meter", "scope")

    def __init__(self, meter: Meter, scope: Scope) -> None:
        self.meter = meter
        self.scope = scope

    # -- entry points ------------------------------------------------------------------

    def ev(self, node: ast.AST) -> Any:
        """Evaluates an expression node."""
        meter = self.meter
        meter.ops -= 1
        if meter.ops < meter.checkpoint:
            meter.passed()
        try:
            return _EVAL[type(node)](self, node)
        except ExpressionError as exc:
            if exc.line is None:
                exc.line = getattr(node, "lineno", None)
            raise
        except Exception as exc:
            raise wrap(exc, node) from exc

    def ex(self, node: ast.stmt) -> None:
        """Executes a statement node."""
        meter = self.meter
        meter.ops -= 1
        if meter.ops < meter.checkpoint:
            meter.passed()
        try:
            _EXEC[type(node)](self, node)
        except ExpressionError as exc:
            if exc.line is None:
                exc.line = node.lineno
            raise
        except Exception as exc:
            raise wrap(exc, node) from exc

    def run(self, body: list[ast.stmt]) -> None:
        for statement in body:
            self.ex(statement)

    # -- names and assignment ----------------------------------------------------------

    def lookup(self, name: str) -> Any:
        scope: Scope | None = self.scope
        while scope is not None:
            variables = scope.vars
            if name in variables:
                return variables[name]
            scope = scope.parent
        value = BUILTINS.get(name)
        if value is not None:
            return value
        if name in FORBIDDEN:
            raise SandboxViolation(forbidden_message(name))
        raise NameError(f"name '{name}' is not defined")

    def assign(self, target: ast.AST, value: Any) -> None:
        kind = type(target)
        if kind is ast.Name:
            self.scope.vars[target.id] = value  # type: ignore[attr-defined]
        elif kind is ast.Subscript:
            self._store_item(target, value)  # type: ignore[arg-type]
        elif kind is ast.Tuple or kind is ast.List:
            self._unpack(target.elts, value)  # type: ignore[attr-defined]
        else:  # the checker admits nothing else
            raise SandboxViolation(f"cannot assign to {kind.__name__}")

    def _store_item(self, target: ast.Subscript, value: Any) -> None:
        meter = self.meter
        container = self.ev(target.value)
        key = self.ev(target.slice)
        if type(key) is slice:
            if type(value) is not list and type(value) is not tuple:
                value = meter.consume(value)
            meter.moved(container)
            before = len(container)
            container[key] = value
            meter.grown(container, before)
        elif type(container) is dict:
            meter.hashable(key)
            before = len(container)
            container[key] = value
            meter.grown(container, before)
        else:
            meter.hashable(key)
            container[key] = value

    def _unpack(self, targets: list[ast.expr], value: Any) -> None:
        items = self.meter.consume(value)
        starred = [i for i, t in enumerate(targets) if type(t) is ast.Starred]
        if not starred:
            if len(items) > len(targets):
                raise ValueError(f"too many values to unpack (expected {len(targets)})")
            if len(items) < len(targets):
                raise ValueError(f"not enough values to unpack (expected {len(targets)}, got {len(items)})")
            for target, item in zip(targets, items, strict=True):
                self.assign(target, item)
            return
        star = starred[0]
        after = len(targets) - star - 1
        if len(items) < star + after:
            raise ValueError(f"not enough values to unpack (expected at least {star + after}, got {len(items)})")
        for target, item in zip(targets[:star], items[:star], strict=True):
            self.assign(target, item)
        self.assign(targets[star].value, list(items[star : len(items) - after]))  # type: ignore[attr-defined]
        for target, item in zip(targets[star + 1 :], items[len(items) - after :], strict=True):
            self.assign(target, item)

    def _delete(self, target: ast.AST) -> None:
        kind = type(target)
        if kind is ast.Name:
            variables = self.scope.vars
            if target.id not in variables:  # type: ignore[attr-defined]
                raise NameError(f"name '{target.id}' is not defined")  # type: ignore[attr-defined]
            del variables[target.id]  # type: ignore[attr-defined]
        elif kind is ast.Subscript:
            container = self.ev(target.value)  # type: ignore[attr-defined]
            key = self.ev(target.slice)  # type: ignore[attr-defined]
            self.meter.hashable(key)
            self.meter.moved(container)
            del container[key]
        elif kind is ast.Tuple or kind is ast.List:
            for element in target.elts:  # type: ignore[attr-defined]
                self._delete(element)
        else:
            raise SandboxViolation(f"cannot delete {kind.__name__}")

    def _elements(self, nodes: list[ast.expr]) -> list[Any]:
        items: list[Any] = []
        for node in nodes:
            if type(node) is ast.Starred:
                items.extend(self.meter.consume(self.ev(node.value)))
            else:
                items.append(self.ev(node))
        return items

    # -- expressions -------------------------------------------------------------------

    def _constant(self, node: ast.Constant) -> Any:
        return node.value

    def _name(self, node: ast.Name) -> Any:
        return self.lookup(node.id)

    def _boolop(self, node: ast.BoolOp) -> Any:
        result: Any = None
        if type(node.op) is ast.And:
            for value in node.values:
                result = self.ev(value)
                if not result:
                    return result
        else:
            for value in node.values:
                result = self.ev(value)
                if result:
                    return result
        return result

    def _binop(self, node: ast.BinOp) -> Any:
        return binary(self.meter, type(node.op), self.ev(node.left), self.ev(node.right))

    def _unaryop(self, node: ast.UnaryOp) -> Any:
        operand = self.ev(node.operand)
        op = type(node.op)
        if op is ast.Not:
            return not operand
        if type(operand) is Decimal:  # rounds to the context: reads every digit
            self.meter.decimal_work(operand)
        if op is ast.USub:
            return -operand
        if op is ast.UAdd:
            return +operand
        return ~operand

    def _compare(self, node: ast.Compare) -> Any:
        meter = self.meter
        left = self.ev(node.left)
        result: Any = True
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.ev(comparator)
            result = compare(meter, type(op), left, right)
            if not result:
                return result
            left = right
        return result

    def _ifexp(self, node: ast.IfExp) -> Any:
        return self.ev(node.body) if self.ev(node.test) else self.ev(node.orelse)

    def _call(self, node: ast.Call) -> Any:
        target = node.func
        if isinstance(target, ast.Attribute):  # a method call: see attributes.resolve_attribute
            self.meter.tick()
            function = resolve_attribute(self.meter, self.ev(target.value), target.attr, called=True)
        else:
            function = self.ev(target)
        args: list[Any] = []
        for arg in node.args:
            if type(arg) is ast.Starred:
                args.extend(self.meter.consume(self.ev(arg.value)))
            else:
                args.append(self.ev(arg))
        kwargs: dict[str, Any] = {}
        for keyword in node.keywords:
            if keyword.arg is None:
                mapping = self.ev(keyword.value)
                if not isinstance(mapping, Mapping):
                    raise TypeError(f"argument after ** must be a mapping, not {type(mapping).__name__}")
                self.meter.need_items(len(mapping), "the keyword arguments")
                self.meter.charge(len(mapping) // ITEMS_PER_STEP)
                for name, value in mapping.items():
                    if type(name) is not str:
                        raise TypeError("keywords must be strings")
                    if name in kwargs:
                        raise TypeError(f"got multiple values for keyword argument '{name}'")
                    kwargs[name] = value
            else:
                if keyword.arg in kwargs:
                    raise TypeError(f"got multiple values for keyword argument '{keyword.arg}'")
                kwargs[keyword.arg] = self.ev(keyword.value)
        if not callable(function):
            raise TypeError(f"'{type(function).__name__}' object is not callable")
        if isinstance(function, SandboxCallable):
            return function(*args, **kwargs)
        # A function the engine offers (deadline): trusted, not metered inside, but on the clock.
        result = function(*args, **kwargs)
        self.meter.clock()
        return result

    def _attribute(self, node: ast.Attribute) -> Any:
        return resolve_attribute(self.meter, self.ev(node.value), node.attr)

    def _subscript(self, node: ast.Subscript) -> Any:
        container = self.ev(node.value)
        key = self.ev(node.slice)
        if type(key) is slice:
            return self.meter.produced(container[key])
        self.meter.hashable(key)
        return container[key]

    def _slice(self, node: ast.Slice) -> slice:
        return slice(
            None if node.lower is None else self.ev(node.lower),
            None if node.upper is None else self.ev(node.upper),
            None if node.step is None else self.ev(node.step),
        )

    def _list(self, node: ast.List) -> list[Any]:
        return self.meter.produced(self._elements(node.elts))

    def _tuple(self, node: ast.Tuple) -> tuple[Any, ...]:
        return self.meter.produced(tuple(self._elements(node.elts)))

    def _set(self, node: ast.Set) -> set[Any]:
        items = self._elements(node.elts)
        hashable_items(self.meter, items)
        return self.meter.produced(set(items))

    def _dict(self, node: ast.Dict) -> dict[Any, Any]:
        meter = self.meter
        result: dict[Any, Any] = {}
        for key_node, value_node in zip(node.keys, node.values, strict=True):
            if key_node is None:
                mapping = self.ev(value_node)
                if not isinstance(mapping, Mapping):
                    raise TypeError(f"'{type(mapping).__name__}' object is not a mapping")
                meter.need_items(len(result) + len(mapping))
                meter.hash_lookups(len(mapping))
                result.update(mapping)
            else:
                key = self.ev(key_node)
                meter.hashable(key)
                result[key] = self.ev(value_node)
        return meter.produced(result)

    def _comprehension(self, generators: list[ast.comprehension], emit: Callable[[], None]) -> None:
        # The first iterable is evaluated in the enclosing scope, the rest in the new one.
        outer = self.scope
        iterable = self.ev(generators[0].iter)
        self.scope = Scope({}, outer, function=False)
        try:
            self._generate(generators, 0, iterable, emit)
        finally:
            self.scope = outer

    def _generate(self, generators: list[ast.comprehension], index: int, iterable: Any, emit: Callable) -> None:
        meter = self.meter
        generator = generators[index]
        last = index == len(generators) - 1
        for item in iterable:
            meter.ops -= 1
            if meter.ops < meter.checkpoint:
                meter.passed()
            self.assign(generator.target, item)
            for condition in generator.ifs:
                if not self.ev(condition):
                    break
            else:
                if last:
                    emit()
                else:
                    self._generate(generators, index + 1, self.ev(generators[index + 1].iter), emit)

    def _listcomp(self, node: ast.ListComp | ast.GeneratorExp) -> list[Any]:
        result: list[Any] = []
        append = result.append
        self._comprehension(node.generators, lambda: append(self.ev(node.elt)))
        return self.meter.produced(result)

    def _setcomp(self, node: ast.SetComp) -> set[Any]:
        result: set[Any] = set()

        def emit() -> None:
            item = self.ev(node.elt)
            self.meter.hashable(item)
            result.add(item)

        self._comprehension(node.generators, emit)
        return self.meter.produced(result)

    def _dictcomp(self, node: ast.DictComp) -> dict[Any, Any]:
        result: dict[Any, Any] = {}

        def emit() -> None:
            key = self.ev(node.key)
            self.meter.hashable(key)
            result[key] = self.ev(node.value)

        self._comprehension(node.generators, emit)
        return self.meter.produced(result)

    def _joinedstr(self, node: ast.JoinedStr) -> str:
        meter = self.meter
        parts: list[str] = []
        length = 0
        for value in node.values:
            part = value.value if type(value) is ast.Constant else self.ev(value)  # type: ignore[attr-defined]
            parts.append(part)
            length += len(part)
            if length > meter.max_chars:
                meter.need_chars(length, "the f-string")
        return meter.produced("".join(parts))

    def _formattedvalue(self, node: ast.FormattedValue) -> str:
        meter = self.meter
        value = self.ev(node.value)
        if node.conversion == ord("s"):
            value = convert(meter, value, str)
        elif node.conversion == ord("r"):
            value = convert(meter, value, repr)
        elif node.conversion == ord("a"):
            value = convert(meter, value, ascii)
        spec = "" if node.format_spec is None else self.ev(node.format_spec)
        return safe_format(meter, value, spec)

    def _lambda(self, node: ast.Lambda) -> SandboxFunction:
        spec = node.args
        defaults = [self.ev(d) for d in spec.defaults]
        kw_defaults = [NO_DEFAULT if d is None else self.ev(d) for d in spec.kw_defaults]
        return SandboxFunction(self, node, self.scope, defaults, kw_defaults)

    def _namedexpr(self, node: ast.NamedExpr) -> Any:
        value = self.ev(node.value)
        scope = self.scope
        while not scope.function and scope.parent is not None:
            scope = scope.parent
        scope.vars[node.target.id] = value  # type: ignore[union-attr]
        return value

    # -- statements --------------------------------------------------------------------

    def _expr(self, node: ast.Expr) -> None:
        self.ev(node.value)

    def _assign(self, node: ast.Assign) -> None:
        value = self.ev(node.value)
        for target in node.targets:
            self.assign(target, value)

    def _augassign(self, node: ast.AugAssign) -> None:
        target = node.target
        op = type(node.op)
        if type(target) is ast.Name:
            current = self.lookup(target.id)
            self.scope.vars[target.id] = binary(self.meter, op, current, self.ev(node.value), in_place=True)
        elif type(target) is ast.Subscript:
            meter = self.meter
            container = self.ev(target.value)
            key = self.ev(target.slice)
            meter.hashable(key)
            current = container[key]
            container[key] = binary(meter, op, current, self.ev(node.value), in_place=True)
        else:
            raise SandboxViolation(f"cannot assign to {type(target).__name__}")

    def _annassign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.assign(node.target, self.ev(node.value))

    def _if(self, node: ast.If) -> None:
        # elif chains are walked in a loop, not by recursion (see validate._Checker._if).
        while True:
            if self.ev(node.test):
                self.run(node.body)
                return
            orelse = node.orelse
            if len(orelse) == 1 and type(orelse[0]) is ast.If:
                node = orelse[0]
                self.meter.tick()
                continue
            self.run(orelse)
            return

    def _for(self, node: ast.For) -> None:
        meter = self.meter
        iterable = self.ev(node.iter)
        for item in iterable:
            meter.ops -= 1
            if meter.ops < meter.checkpoint:
                meter.passed()
            self.assign(node.target, item)
            try:
                self.run(node.body)
            except _Break:
                return
            except _Continue:
                continue
        self.run(node.orelse)

    def _while(self, node: ast.While) -> None:
        while self.ev(node.test):
            try:
                self.run(node.body)
            except _Break:
                return
            except _Continue:
                continue
        self.run(node.orelse)

    def _break(self, node: ast.Break) -> None:
        raise _Break

    def _continue(self, node: ast.Continue) -> None:
        raise _Continue

    def _pass(self, node: ast.Pass) -> None:
        return None

    def _delete_statement(self, node: ast.Delete) -> None:
        for target in node.targets:
            self._delete(target)

    def _assert(self, node: ast.Assert) -> None:
        if not self.ev(node.test):
            message = "" if node.msg is None else convert(self.meter, self.ev(node.msg), str)
            raise AssertionError(message[:500])


_EVAL: dict[type, Callable[[Interpreter, Any], Any]] = {
    ast.Constant: Interpreter._constant,
    ast.Name: Interpreter._name,
    ast.BoolOp: Interpreter._boolop,
    ast.BinOp: Interpreter._binop,
    ast.UnaryOp: Interpreter._unaryop,
    ast.Compare: Interpreter._compare,
    ast.IfExp: Interpreter._ifexp,
    ast.Call: Interpreter._call,
    ast.Attribute: Interpreter._attribute,
    ast.Subscript: Interpreter._subscript,
    ast.Slice: Interpreter._slice,
    ast.List: Interpreter._list,
    ast.Tuple: Interpreter._tuple,
    ast.Set: Interpreter._set,
    ast.Dict: Interpreter._dict,
    ast.ListComp: Interpreter._listcomp,
    ast.GeneratorExp: Interpreter._listcomp,
    ast.SetComp: Interpreter._setcomp,
    ast.DictComp: Interpreter._dictcomp,
    ast.JoinedStr: Interpreter._joinedstr,
    ast.FormattedValue: Interpreter._formattedvalue,
    ast.Lambda: Interpreter._lambda,
    ast.NamedExpr: Interpreter._namedexpr,
}

_EXEC: dict[type, Callable[[Interpreter, Any], None]] = {
    ast.Expr: Interpreter._expr,
    ast.Assign: Interpreter._assign,
    ast.AugAssign: Interpreter._augassign,
    ast.AnnAssign: Interpreter._annassign,
    ast.If: Interpreter._if,
    ast.For: Interpreter._for,
    ast.While: Interpreter._while,
    ast.Break: Interpreter._break,
    ast.Continue: Interpreter._continue,
    ast.Pass: Interpreter._pass,
    ast.Delete: Interpreter._delete_statement,
    ast.Assert: Interpreter._assert,
}
