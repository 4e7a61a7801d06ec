"""Translation of the Camunda JUEL subset into sandbox Python.

Processes modelled for Camunda write conditions as ``${amount > 1000}``. Rather than a
second interpreter, such an expression is translated once into an equivalent Python
expression, which then runs in the same sandbox as everything else. The subset covers
what conditions use in practice:

* variables, property access ``a.b`` (translated to ``a.b``, which the sandbox reads as
  ``a['b']`` on a dict) and ``a[expr]``;
* literals: numbers, 'single' and "double" quoted strings, ``true``/``false``/``null``;
* ``== != < > <= >=`` and ``eq ne lt gt le ge``; ``&& || !`` and ``and or not``;
  ``+ - * / div % mod``; ``empty x``; ``a ? b : c``; parentheses.

Every binary operation is parenthesised in the output, so JUEL precedence is kept and
``a < b < c`` does not become a Python comparison chain. Method and function calls
(``${bean.method()}``, ``${execution.getVariable('x')}``, ``fn:...``), assignment,
lambdas, composite text (``"Hello ${name}"``) and anything else raise
`ExpressionSyntaxError` naming the construct.

Known differences from JUEL: a missing map key is an error rather than null; ``+`` on
two strings concatenates instead of failing; ``%`` follows Python's sign rule.
"""

from __future__ import annotations

import keyword
import re
from functools import lru_cache

from .errors import ExpressionSyntaxError
from .validate import check

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<name>[^\W\d][\w$]*|\$[\w$]*)
  | (?P<op>&&|\|\||==|!=|<=|>=|->|\+=|[-+*/%<>!?:()\[\].,;={}#$&|~^@\\`])
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)

_EQUALITY = {"==": "==", "eq": "==", "!=": "!=", "ne": "!="}
_RELATION = {"<": "<", "lt": "<", ">": ">", "gt": ">", "<=": "<=", "le": "<=", ">=": ">=", "ge": ">="}
_ADDITIVE = {"+": "+", "-": "-"}
_MULTIPLICATIVE = {"*": "*", "/": "/", "div": "/", "%": "%", "mod": "%"}
_LITERALS = {"true": "True", "false": "False", "null": "None"}
# ``execution.processBusinessKey`` and its getters: the instance's business key, which the
# script engine offers under this name (it is never task data).
BUSINESS_KEY_NAME = "_business_key"
_BUSINESS_KEY_MEMBERS = frozenset({"processBusinessKey", "businessKey"})
_BUSINESS_KEY_GETTERS = frozenset({"getProcessBusinessKey", "getBusinessKey"})
_RESERVED = {
    "and", "or", "not", "eq", "ne", "lt", "gt", "le", "ge", "true", "false", "null",
    "empty", "div", "mod", "instanceof",
}  # fmt: skip
_UNSUPPORTED_OPS = {
    "=": "assignment",
    "+=": "string concatenation with '+='",
    ";": "';' (several expressions)",
    "->": "lambda expressions",
    ",": "',' outside of a call",
    "{": "set and map literals",
    "#": "nested '#{'",
    "$": "nested '${'",
}


class _Token:
    __slots__ = ("kind", "position", "text")

    def __init__(self, kind: str, text: str, position: int) -> None:
        self.kind = kind
        self.text = text
        self.position = position


def _tokens(text: str, start: int) -> list[_Token]:
    tokens: list[_Token] = []
    position = start
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            if text[position] in "'\"":
                raise _error(text, "a string that is not closed")
            raise _error(text, f"the character {text[position]!r}")
        kind = match.lastgroup
        assert kind is not None
        if kind != "space":
            tokens.append(_Token(kind, match.group(), position))
        position = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


def _error(text: str, what: str) -> ExpressionSyntaxError:
    return ExpressionSyntaxError(f"unsupported EL: {what} in {text!r}", source=text, line=1)


class _Parser:
    """Recursive descent over the JUEL grammar, producing Python text."""

    def __init__(self, text: str, tokens: list[_Token], methods: bool = False) -> None:
        self.text = text
        self.tokens = tokens
        self.index = 0
        self.methods = methods

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def word(self, table: dict[str, str]) -> str | None:
        """The Python operator for the current token if it is one of `table`, consumed."""
        token = self.current
        if token.kind in ("op", "name") and token.text in table:
            self.index += 1
            return table[token.text]
        return None

    def fail(self, what: str | None = None) -> ExpressionSyntaxError:
        token = self.current
        if what is None:
            if token.kind == "end" or (token.text == "}" and self.tokens[self.index + 1].kind == "end"):
                what = "an unfinished expression"
            elif token.kind == "op" and token.text in _UNSUPPORTED_OPS:
                what = _UNSUPPORTED_OPS[token.text]
            elif token.kind == "op" and token.text == ":" and self._looks_like_function():
                what = "EL functions (prefix:name(...))"
            elif token.kind == "name" and token.text == "instanceof":
                what = "'instanceof'"
            else:
                what = f"unexpected {token.text!r}"
        return _error(self.text, what)

    def _looks_like_function(self) -> bool:
        following = self.tokens[self.index + 1 : self.index + 3]
        return len(following) == 2 and following[0].kind == "name" and following[1].text == "("

    def expect(self, text: str) -> None:
        if self.current.text != text or self.current.kind == "string":
            raise self.fail()
        self.index += 1

    # expression := or ('?' expression ':' expression)?
    def expression(self) -> str:
        condition = self.disjunction()
        if self.current.kind == "op" and self.current.text == "?":
            self.index += 1
            then = self.expression()
            self.expect(":")
            otherwise = self.expression()
            return f"({then} if {condition} else {otherwise})"
        return condition

    def disjunction(self) -> str:
        left = self.conjunction()
        while self.word({"||": "or", "or": "or"}):
            left = f"({left} or {self.conjunction()})"
        return left

    def conjunction(self) -> str:
        left = self.equality()
        while self.word({"&&": "and", "and": "and"}):
            left = f"({left} and {self.equality()})"
        return left

    def equality(self) -> str:
        left = self.relation()
        while (op := self.word(_EQUALITY)) is not None:
            left = f"({left} {op} {self.relation()})"
        return left

    def relation(self) -> str:
        left = self.additive()
        while (op := self.word(_RELATION)) is not None:
            left = f"({left} {op} {self.additive()})"
        return left

    def additive(self) -> str:
        left = self.multiplicative()
        while (op := self.word(_ADDITIVE)) is not None:
            left = f"({left} {op} {self.multiplicative()})"
        return left

    def multiplicative(self) -> str:
        left = self.unary()
        while (op := self.word(_MULTIPLICATIVE)) is not None:
            left = f"({left} {op} {self.unary()})"
        return left

    def unary(self) -> str:
        token = self.current
        if token.kind == "op" and token.text == "-":
            self.index += 1
            return f"(-{self.unary()})"
        if (token.kind == "op" and token.text == "!") or (token.kind == "name" and token.text == "not"):
            self.index += 1
            return f"(not {self.unary()})"
        if token.kind == "name" and token.text == "empty":
            self.index += 1
            return f"empty({self.unary()})"
        return self.value()

    def value(self) -> str:
        start = self.current.position
        result = self.primary()
        target: str | None = None  # what the last '.name' was read from
        member: str | None = None
        while True:
            token = self.current
            if token.kind == "op" and token.text == ".":
                self.index += 1
                name = self.current
                if name.kind != "name":
                    raise self.fail("a '.' that is not followed by a property name")
                self.index += 1
                target, member = result, name.text
                result = self._property(result, name.text)
                continue
            if token.kind == "op" and token.text == "[":
                self.index += 1
                index = self.expression()
                self.expect("]")
                result = f"{result}[{index}]"
            elif token.kind == "op" and token.text == "(":
                called = self.text[start : token.position].strip()
                following = self.tokens[self.index + 1]
                if (self.methods and member is None and called in ("dateTime", "now") and following.kind == "op"
                        and following.text == ")"):
                    self.index += 2  # Camunda's dateTime(): the step's time
                    result = "_el_now()"
                    continue
                if not (self.methods and member is not None):
                    kind = "method calls" if "." in called else "function calls"
                    raise self.fail(
                        f"{kind} like '{called}(...)' (only variables, properties, literals and operators "
                        "are supported)"
                    )
                self.index += 1
                args: list[str] = []
                while not (self.current.kind == "op" and self.current.text == ")"):
                    args.append(self.expression())
                    if self.current.kind == "op" and self.current.text == ",":
                        self.index += 1
                    elif not (self.current.kind == "op" and self.current.text == ")"):
                        raise self.fail()
                self.index += 1
                result = self._call(target, member, args)
            else:
                return result
            target = member = None

    def _call(self, target: str, method: str, args: list[str]) -> str:
        """A method call: Camunda's variable accessors read the variable; anything else is
        ``_el_call`` (see `el_runtime`), which runs the Java methods of strings,
        collections and maps and reads a member of that name on other data."""
        if target == "execution" and method in _BUSINESS_KEY_GETTERS and not args:
            return BUSINESS_KEY_NAME
        if target in ("execution", "task") and method == "getVariable" and len(args) == 1:
            name = args[0]
            if name[:1] in "'\"" and name[1:-1].isidentifier() and not keyword.iskeyword(name[1:-1]):
                return name[1:-1]
        joined = "".join(f", {a}" for a in args)
        return f"_el_call({target}, {method!r}{joined})"

    def _property(self, target: str, name: str) -> str:
        if target == "execution" and name in _BUSINESS_KEY_MEMBERS:
            return BUSINESS_KEY_NAME
        if name.isidentifier() and not keyword.iskeyword(name) and not name.startswith("_"):
            return f"{target}.{name}"
        return f"{target}[{name!r}]"

    def primary(self) -> str:
        token = self.current
        if token.kind == "number":
            self.index += 1
            return _number(self.text, token.text)
        if token.kind == "string":
            self.index += 1
            body = token.text[1:-1]
            return repr(_ESCAPE.sub(lambda m: m.group(1) if m.group(1) in "\\'\"" else m.group(0), body))
        if token.kind == "name":
            if token.text in _LITERALS:
                self.index += 1
                return _LITERALS[token.text]
            if token.text in _RESERVED:
                raise self.fail()
            self.index += 1
            if not token.text.isidentifier():
                raise self.fail(f"the variable name {token.text!r}")
            if keyword.iskeyword(token.text):
                raise self.fail(f"the variable name {token.text!r}, which is a Python keyword")
            return token.text
        if token.kind == "op" and token.text == "(":
            self.index += 1
            inner = self.expression()
            self.expect(")")
            # Compound results are parenthesised already; a number keeps them for "(1).x".
            return f"({inner})" if inner[:1].isdigit() else inner
        raise self.fail()


def _number(text: str, literal: str) -> str:
    if re.fullmatch(r"\d+", literal):
        return str(int(literal))
    number = float(literal)
    if number in (float("inf"), float("-inf")):
        raise _error(text, f"the number {literal} (too large)")
    return repr(number)


def is_el(text: str) -> bool:
    """True for a Camunda/JUEL expression: the whole (stripped) text is one ``${...}`` or
    ``#{...}`` (composite text such as ``"Hello ${name}"`` is not)."""
    if not isinstance(text, str):
        return False
    stripped = text.strip()
    return (
        stripped.startswith(("${", "#{"))
        and stripped.endswith("}")
        and "${" not in stripped[2:]
        and "#{" not in stripped[2:]
    )


@lru_cache(maxsize=1024)
def translate_el(text: str, methods: bool = False) -> str:
    """Translates a JUEL-subset expression into an equivalent sandbox Python expression
    (see the module docstring); raises `ExpressionSyntaxError` for anything else.

    With `methods`, method calls are translated too (what the dialect translation of
    Camunda models uses): ``${execution.getVariable('x')}`` reads ``x``;
    ``${name.toLowerCase()}``, ``${list.size()}``, ``${map.containsKey('k')}`` run the
    Java method of that name on strings, lists and maps; a call on other data,
    ``${reservationService.showUp()}``, reads the member ``showUp`` of the data object
    ``reservationService`` (Java beans do not exist in Flowdesk: data stands in for them)."""
    stripped = text.strip()
    if not is_el(stripped):
        if "${" in stripped or "#{" in stripped:
            raise _error(text, "text mixed with ${...} (composite expressions)")
        raise ExpressionSyntaxError(
            f"not an EL expression (expected '${{...}}' or '#{{...}}'): {text!r}", source=text, line=1
        )
    parser = _Parser(stripped, _tokens(stripped, 2), methods)
    if parser.current.text == "}" and parser.current.kind == "op":
        raise _error(text, "an empty expression")
    python = parser.expression()
    parser.expect("}")
    if parser.current.kind != "end":
        raise _error(text, "text mixed with ${...} (composite expressions)")
    check(python, "eval")
    return python
