"""FEEL text to a syntax tree: the lexer, the tree's nodes and a recursive-descent parser.

The parser is written by hand rather than generated (see the package docstring for why):
FEEL names may contain spaces and even keywords (``Applicant Age``, ``date and time``,
``get or else``), and which words make one name depends on the names a DMN model
declares. The rules, in order:

1. A name that the caller declares (``known_names``: DMN input data, decisions, business
   knowledge models, parameters, context entries) is matched first, longest first, with
   any whitespace between its words; it may contain ``. / - ' + *`` and ``?``.
2. Otherwise consecutive words join into one name (``Applicant Age``, ``string length``),
   stopping at the keywords ``and or in for return if then else some every satisfies
   between instance function``. The built-in names containing keywords (``date and
   time``, ``years and months duration``, ``get or else``) are recognised when a call
   parenthesis follows, and as type names after ``instance of``.
3. ```backticks``` quote any name (Camunda's extension): ```tracking-id```.

Precedence, lowest first: ``for``/``some``/``every``/``if``/``function``; ``or``;
``and``; comparisons (``= != < <= > >=``, ``between``, ``in``); ``instance of``;
``+ -``; ``* /``; ``**``; unary ``-``; then path ``.``, filter ``[ ]`` and invocation
``( )``. Errors are `ExpressionSyntaxError` naming the construct and the line and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import ExpressionSyntaxError

# -- tokens ----------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<space>\s+|//[^\n]*|/\*.*?\*/)
  | (?P<number>\d+(?:\.\d+)?|\.\d+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<temporal>@"(?:[^"\\]|\\.)*")
  | (?P<backtick>`[^`]*`)
  | (?P<word>[^\W\d][\w']*)
  | (?P<op>\.\.|\*\*|<=|>=|!=|[=<>+\-*/()\[\]{},:.?])
    """,
    re.VERBOSE | re.DOTALL,
)

KEYWORDS = frozenset(
    {"and", "or", "in", "for", "return", "if", "then", "else", "some", "every", "satisfies", "between",
     "instance", "function", "true", "false", "null"}
)
# Built-in names that contain keywords, recognised before a call parenthesis.
KEYWORD_NAMES = ("years and months duration", "date and time", "get or else")
TYPE_NAMES = (
    "years and months duration", "days and time duration", "date and time", "boolean", "number", "string",
    "date", "time", "list", "context", "function", "range", "Any", "Null",
)


@dataclass(slots=True)
class Token:
    kind: str  # number, string, temporal, backtick, word, op, end
    text: str
    start: int
    end: int


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of `offset` in `text`."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def syntax_error(text: str, offset: int, message: str) -> ExpressionSyntaxError:
    line, column = position(text, offset)
    return ExpressionSyntaxError(f"FEEL: {message} at line {line}, column {column}", source=text, line=line)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    at = 0
    length = len(text)
    while at < length:
        match = _TOKEN.match(text, at)
        if match is None:
            char = text[at]
            if char == '"':
                raise syntax_error(text, at, "a string that is not closed")
            if text.startswith("/*", at):
                raise syntax_error(text, at, "a comment that is not closed")
            if char == "'":
                raise syntax_error(text, at, "a string in single quotes (FEEL strings use double quotes)")
            if char == "`":
                raise syntax_error(text, at, "a `name` that is not closed")
            raise syntax_error(text, at, f"the character {char!r}")
        kind = match.lastgroup
        assert kind is not None
        if kind != "space":
            tokens.append(Token(kind, match.group(), at, match.end()))
        at = match.end()
    tokens.append(Token("end", "", length, length))
    return tokens


_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\", "/": "/"}
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{6}|.)", re.DOTALL)


def unescape(text: str, source: str, offset: int) -> str:
    """The value of a string literal's body."""

    def replace(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] in "uU" and len(code) > 1:
            value = int(code[1:], 16)
            if value > 0x10FFFF:
                raise syntax_error(source, offset + match.start(), f"the escape \\{code} (beyond Unicode)")
            return chr(value)
        if code in _ESCAPES:
            return _ESCAPES[code]
        return "\\" + code  # kept as written: "\\d" is a regular-expression escape

    result = _ESCAPE.sub(replace, text)
    # \uD83D\uDC0E (a surrogate pair written as two escapes) is one character
    if any("\ud800" <= c <= "\udfff" for c in result):
        try:
            result = result.encode("utf-16", "surrogatepass").decode("utf-16")
        except UnicodeDecodeError:
            raise syntax_error(source, offset, "a lone surrogate escape") from None
    return result


# -- nodes -------------------------------------------------------------------------------


@dataclass(slots=True)
class Node:
    kind: str
    at: int  # offset of the construct in the text
    args: tuple[Any, ...] = ()
    # e.g. Node("binary", 3, ("+", left, right)); see Parser for every kind.


@dataclass
class Tree:
    """The result of parsing: the root node and the names the text uses."""

    root: Node
    text: str
    names: set[str] = field(default_factory=set)


# -- parser ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NameTable:
    """Names declared by the model (rule 1 of the module docstring), compiled once."""

    pattern: re.Pattern[str] | None

    @classmethod
    def of(cls, names: frozenset[str] | tuple[str, ...] | set[str]) -> NameTable:
        special = sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True)
        if not special:
            return cls(None)
        parts = []
        for name in special:
            words = name.split()
            parts.append(r"\s+".join(re.escape(w) for w in words))
        return cls(re.compile("(?:" + "|".join(parts) + r")(?![\w'?])"))


_EMPTY_TABLE = NameTable(None)


class Parser:
    """Recursive descent over one FEEL text (an expression or unary tests)."""

    def __init__(self, text: str, names: NameTable = _EMPTY_TABLE) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.table = names
        self.names: set[str] = set()

    # -- helpers ----------------------------------------------------------------------

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def at_op(self, *ops: str) -> bool:
        token = self.tokens[self.index]
        return token.kind == "op" and token.text in ops

    def at_word(self, *words: str) -> bool:
        token = self.tokens[self.index]
        return token.kind == "word" and token.text in words

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, message: str | None = None, token: Token | None = None) -> ExpressionSyntaxError:
        token = token or self.token
        if message is None:
            message = "an unfinished expression" if token.kind == "end" else f"unexpected {token.text!r}"
        return syntax_error(self.text, token.start, message)

    def expect_op(self, op: str, what: str) -> Token:
        if not self.at_op(op):
            found = "the end" if self.token.kind == "end" else repr(self.token.text)
            raise self.fail(f"{what}: expected '{op}' but found {found}")
        return self.advance()

    def expect_word(self, word: str, what: str) -> Token:
        if not self.at_word(word):
            found = "the end" if self.token.kind == "end" else repr(self.token.text)
            raise self.fail(f"{what}: expected '{word}' but found {found}")
        return self.advance()

    def finish(self) -> None:
        if self.token.kind != "end":
            raise self.fail(f"unexpected {self.token.text!r} after the end of the expression")

    # -- names --------------------------------------------------------------------------

    def name_here(self) -> bool:
        token = self.token
        if token.kind == "backtick":
            return True
        if token.kind == "word" and token.text not in KEYWORDS:
            return True
        return self._known() is not None

    def _known(self) -> int | None:
        """The token index just after a declared name starting here, if one does."""
        pattern = self.table.pattern
        if pattern is None:
            return None
        token = self.token
        if token.kind not in ("word", "op", "backtick") or (token.kind == "op" and token.text != "?"):
            return None
        match = pattern.match(self.text, token.start)
        if match is None:
            return None
        end = match.end()
        index = self.index
        while self.tokens[index].kind != "end" and self.tokens[index].end <= end:
            index += 1
        if self.tokens[index - 1].end != end:
            return None  # the match ends inside a token
        return index

    def name(self, stop: tuple[str, ...] = ()) -> tuple[str, int]:
        """Reads one name (see the module docstring); returns it and its offset."""
        token = self.token
        if token.kind == "backtick":
            self.index += 1
            return token.text[1:-1], token.start
        for phrase in KEYWORD_NAMES:
            if self._phrase(phrase) and self.peek(len(phrase.split())).text == "(":
                self.index += len(phrase.split())
                return phrase, token.start
        known = self._known()
        greedy = self.index
        if token.kind == "word" and token.text not in KEYWORDS:
            greedy += 1
            while (self.tokens[greedy].kind == "word" and self.tokens[greedy].text not in KEYWORDS
                   and self.tokens[greedy].text not in stop):
                greedy += 1
        if known is not None and known >= greedy:
            words = self.text[token.start : self.tokens[known - 1].end]
            self.index = known
            return " ".join(words.split()), token.start
        if greedy == self.index:
            raise self.fail("a name was expected" if token.kind != "end" else "an unfinished expression")
        words = [t.text for t in self.tokens[self.index : greedy]]
        self.index = greedy
        return " ".join(words), token.start

    def _phrase(self, phrase: str) -> bool:
        words = phrase.split()
        return all(
            self.peek(i).kind == "word" and self.peek(i).text == word for i, word in enumerate(words)
        )

    # -- entry points -------------------------------------------------------------------

    def parse_expression(self) -> Tree:
        if self.token.kind == "end":
            raise self.fail("the expression is empty")
        root = self.expression()
        self.finish()
        return Tree(root, self.text, self.names)

    def parse_unary_tests(self) -> Tree:
        """``-``, ``not(tests)`` or a comma list of positive unary tests."""
        token = self.token
        if token.kind == "end" or (self.at_op("-") and self.peek().kind == "end"):
            return Tree(Node("any", token.start), self.text, self.names)
        if self.at_word("not") and self.peek().text == "(" and self._not_spans_all():
            self.advance()
            self.advance()
            tests = self.positive_tests(")")
            self.expect_op(")", "'not(...)' in unary tests")
            self.finish()
            return Tree(Node("not_tests", token.start, (tests,)), self.text, self.names)
        tests = self.positive_tests(None)
        self.finish()
        return Tree(Node("tests", token.start, (tests,)), self.text, self.names)

    def _not_spans_all(self) -> bool:
        """Whether ``not(`` opens a parenthesis that closes at the very end (unary-tests
        negation) rather than calling the function ``not`` inside a larger expression."""
        depth = 0
        for index in range(self.index + 1, len(self.tokens)):
            token = self.tokens[index]
            if token.kind == "op" and token.text in "([{":
                depth += 1
            elif token.kind == "op" and token.text in ")]}":
                depth -= 1
                if depth == 0:
                    return self.tokens[index + 1].kind == "end"
        return False

    def positive_tests(self, closing: str | None) -> list[Node]:
        tests = [self.positive_test()]
        while self.at_op(","):
            self.advance()
            tests.append(self.positive_test())
        if closing is None and self.token.kind != "end":
            raise self.fail()
        return tests

    def positive_test(self) -> Node:
        token = self.token
        if self.at_op("<", "<=", ">", ">=", "=", "!="):
            op = self.advance().text
            return Node("compare_test", token.start, (op, self.endpoint()))
        if self.at_op("[", "]", "(") and self._interval_ahead():
            return self.interval()
        if self.at_word("null") and self.peek().text in (",", ")", "") and self.peek().kind in ("op", "end"):
            self.advance()
            return Node("null_test", token.start)
        return Node("expr_test", token.start, (self.expression(),))

    def endpoint(self) -> Node:
        return self.additive()

    def _interval_ahead(self) -> bool:
        """Whether the bracket here starts an interval ``[a..b]`` (a '..' at its own depth
        before the matching close) rather than a list or a parenthesis."""
        depth = 0
        for index in range(self.index, len(self.tokens)):
            token = self.tokens[index]
            if token.kind != "op":
                continue
            if token.text == ".." and depth == 1:
                return True
            if token.text in "([{":
                depth += 1
            elif token.text in ")]}":
                depth -= 1
                if depth <= 0:
                    if index == self.index:  # ']' opening an interval
                        depth = 1
                        continue
                    return False
            elif token.text == "," and depth == 1:
                return False
        return False

    def interval(self) -> Node:
        start = self.advance()
        start_closed = start.text == "["
        low = self.endpoint()
        self.expect_op("..", "an interval")
        high = self.endpoint()
        if not self.at_op("]", ")", "["):
            raise self.fail("an interval must end with ']', ')' or '['")
        end = self.advance()
        return Node("range", start.start, (low, high, start_closed, end.text == "]"))

    # -- expressions --------------------------------------------------------------------

    def expression(self) -> Node:
        token = self.token
        if token.kind == "word":
            if token.text == "if":
                return self.if_expression()
            if token.text == "for":
                return self.for_expression()
            if token.text in ("some", "every") and self.peek().kind in ("word", "backtick"):
                return self.quantified()
            if token.text == "function" and self.peek().text == "(":
                return self.function_definition()
        return self.disjunction()

    def if_expression(self) -> Node:
        start = self.advance()
        condition = self.expression()
        self.expect_word("then", "an 'if' expression")
        then = self.expression()
        self.expect_word("else", "an 'if' expression")
        otherwise = self.expression()
        return Node("if", start.start, (condition, then, otherwise))

    def _iterations(self, what: str) -> list[tuple[str, Node]]:
        iterations = []
        while True:
            name, _ = self.name(stop=("in",))
            self.expect_word("in", what)
            domain = self.expression_or_span()
            iterations.append((name, domain))
            if not self.at_op(","):
                return iterations
            self.advance()

    def expression_or_span(self) -> Node:
        """An iteration domain: an expression, or ``a..b`` (integers from a to b)."""
        start = self.token
        low = self.expression()
        if self.at_op(".."):
            self.advance()
            high = self.expression()
            return Node("span", start.start, (low, high))
        return low

    def for_expression(self) -> Node:
        start = self.advance()
        iterations = self._iterations("a 'for' expression")
        self.expect_word("return", "a 'for' expression")
        body = self.expression()
        return Node("for", start.start, (tuple(iterations), body))

    def quantified(self) -> Node:
        start = self.advance()
        iterations = self._iterations(f"a '{start.text}' expression")
        self.expect_word("satisfies", f"a '{start.text}' expression")
        body = self.expression()
        return Node(start.text, start.start, (tuple(iterations), body))

    def function_definition(self) -> Node:
        start = self.advance()
        self.expect_op("(", "a function definition")
        params: list[str] = []
        while not self.at_op(")"):
            name, _ = self.name()
            if self.at_op(":"):  # a type annotation: skipped
                self.advance()
                self.type_name()
            params.append(name)
            if not self.at_op(","):
                break
            self.advance()
        self.expect_op(")", "a function definition")
        if self.at_word("external"):
            raise self.fail("external functions (Java or PMML) are not supported")
        body = self.expression()
        return Node("function", start.start, (tuple(params), body))

    def disjunction(self) -> Node:
        left = self.conjunction()
        while self.at_word("or"):
            token = self.advance()
            left = Node("or", token.start, (left, self.conjunction()))
        return left

    def conjunction(self) -> Node:
        left = self.comparison()
        while self.at_word("and"):
            token = self.advance()
            left = Node("and", token.start, (left, self.comparison()))
        return left

    def comparison(self) -> Node:
        left = self.instance_of()
        while True:
            token = self.token
            if self.at_op("=", "!=", "<", "<=", ">", ">="):
                self.advance()
                left = Node("compare", token.start, (token.text, left, self.instance_of()))
            elif self.at_word("between"):
                self.advance()
                low = self.instance_of()
                self.expect_word("and", "'between'")
                high = self.instance_of()
                left = Node("between", token.start, (left, low, high))
            elif self.at_word("in"):
                self.advance()
                if self.at_op("(") and not self._interval_ahead():
                    self.advance()
                    tests = self.positive_tests(")")
                    self.expect_op(")", "'in (...)'")
                else:
                    tests = [self.positive_test()]
                left = Node("in", token.start, (left, tuple(tests)))
            else:
                return left

    def instance_of(self) -> Node:
        left = self.additive()
        while self.at_word("instance"):
            token = self.advance()
            if not self.at_word("of"):
                raise self.fail("'instance' must be followed by 'of'")
            self.advance()
            left = Node("instance", token.start, (left, self.type_name()))
        return left

    def type_name(self) -> str:
        token = self.token
        for name in TYPE_NAMES:
            if self._phrase(name):
                self.index += len(name.split())
                if name in ("list", "context", "range", "function") and self.at_op("<"):
                    return name + self._type_arguments()
                return name
        if token.kind in ("word", "backtick"):
            name, _ = self.name()
            return name
        raise self.fail("a type name was expected")

    def _type_arguments(self) -> str:
        depth = 0
        parts = []
        while True:
            token = self.advance()
            if token.kind == "end":
                raise self.fail("an unfinished type", token)
            parts.append(token.text)
            if token.text == "<":
                depth += 1
            elif token.text == ">":
                depth -= 1
                if depth == 0:
                    return "".join(parts)

    def additive(self) -> Node:
        left = self.multiplicative()
        while self.at_op("+", "-"):
            token = self.advance()
            left = Node("arith", token.start, (token.text, left, self.multiplicative()))
        return left

    def multiplicative(self) -> Node:
        left = self.power()
        while self.at_op("*", "/"):
            token = self.advance()
            left = Node("arith", token.start, (token.text, left, self.power()))
        return left

    def power(self) -> Node:
        left = self.negation()
        while self.at_op("**"):
            token = self.advance()
            left = Node("arith", token.start, ("**", left, self.negation()))
        return left

    def negation(self) -> Node:
        if self.at_op("-"):
            token = self.advance()
            operand = self.negation()
            if operand.kind == "number":
                return Node("number", token.start, ("-" + operand.args[0],))
            return Node("negate", token.start, (operand,))
        return self.postfix()

    def postfix(self) -> Node:
        node = self.primary()
        while True:
            token = self.token
            if self.at_op("."):
                self.advance()
                if self.token.kind not in ("word", "backtick") and self._known() is None:
                    raise self.fail("a name must follow '.'")
                name, _ = self.name()
                node = Node("path", token.start, (node, name))
            elif self.at_op("[") and not (self.peek().kind == "end" or self.peek().text in (",", ")")):
                # ('[' followed by the end, ',' or ')' closes an interval: "[3..7[")
                self.advance()
                condition = self.expression()
                self.expect_op("]", "a filter")
                node = Node("filter", token.start, (node, condition))
            elif self.at_op("("):
                node = self.invocation(node)
            else:
                return node

    def invocation(self, target: Node) -> Node:
        start = self.advance()
        positional: list[Node] = []
        named: list[tuple[str, Node]] = []
        while not self.at_op(")"):
            if self._named_argument_ahead():
                name, _ = self.name()
                self.expect_op(":", "a named argument")
                named.append((name, self.expression()))
            else:
                if named:
                    raise self.fail("positional arguments cannot follow named ones")
                positional.append(self.expression())
            if not self.at_op(","):
                break
            self.advance()
        self.expect_op(")", "a function call")
        if named and positional:
            raise self.fail("a call mixes named and positional arguments", start)
        return Node("call", start.start, (target, tuple(positional), tuple(named)))

    def _named_argument_ahead(self) -> bool:
        index = self.index
        if self.tokens[index].kind == "backtick":
            return self.tokens[index + 1].text == ":"
        known = self._known()
        if known is not None and self.tokens[known].text == ":":
            return True
        while self.tokens[index].kind == "word" and self.tokens[index].text not in KEYWORDS - {"function"}:
            index += 1
        return index > self.index and self.tokens[index].kind == "op" and self.tokens[index].text == ":"

    def primary(self) -> Node:
        token = self.token
        kind = token.kind
        if kind == "number":
            self.advance()
            return Node("number", token.start, (token.text,))
        if kind == "string":
            self.advance()
            return Node("string", token.start, (unescape(token.text[1:-1], self.text, token.start + 1),))
        if kind == "temporal":
            self.advance()
            return Node("temporal", token.start, (unescape(token.text[2:-1], self.text, token.start + 2),))
        if kind == "word" and token.text in ("true", "false"):
            self.advance()
            return Node("boolean", token.start, (token.text == "true",))
        if kind == "word" and token.text == "null":
            self.advance()
            return Node("null", token.start)
        if (kind == "word" and token.text in ("if", "for", "some", "every")) or (
            kind == "word" and token.text == "function" and self.peek().text == "("
        ):
            return self.expression()
        if self.at_op("?"):
            self.advance()
            return Node("input", token.start)
        if self.at_op("("):
            if self._interval_ahead():
                return self.interval()
            self.advance()
            inner = self.expression()
            self.expect_op(")", "a parenthesis")
            return inner
        if self.at_op("]"):
            if self._interval_ahead():
                return self.interval()
            raise self.fail()
        if self.at_op("["):
            if self._interval_ahead():
                return self.interval()
            return self.list_literal()
        if self.at_op("{"):
            return self.context_literal()
        if self.at_op("<", "<=", ">", ">="):
            op = self.advance().text
            return Node("compare_test", token.start, (op, self.endpoint()))
        if kind == "word" and token.text in ("and", "or") and self.peek().text == "(":
            self.advance()  # the list functions and() / or()
            self.names.add(token.text)
            return Node("name", token.start, (token.text,))
        if kind in ("word", "backtick") or (kind == "op" and self._known() is not None):
            if kind == "word" and token.text in KEYWORDS:
                raise self.fail(f"unexpected keyword '{token.text}'")
            name, at = self.name()
            self.names.add(name)
            return Node("name", at, (name,))
        raise self.fail()

    def list_literal(self) -> Node:
        start = self.advance()
        items: list[Node] = []
        while not self.at_op("]"):
            items.append(self.expression())
            if not self.at_op(","):
                break
            self.advance()
        self.expect_op("]", "a list")
        return Node("list", start.start, (tuple(items),))

    def context_literal(self) -> Node:
        start = self.advance()
        entries: list[tuple[str, Node]] = []
        while not self.at_op("}"):
            token = self.token
            if token.kind == "string":
                self.advance()
                key = unescape(token.text[1:-1], self.text, token.start + 1)
            elif token.kind in ("word", "backtick") or self._known() is not None:
                key, _ = self.name()
            else:
                raise self.fail("a context entry needs a name or a string key")
            self.expect_op(":", "a context entry")
            entries.append((key, self.expression()))
            if not self.at_op(","):
                break
            self.advance()
        self.expect_op("}", "a context")
        return Node("context", start.start, (tuple(entries),))


def parse_expression(text: str, names: NameTable = _EMPTY_TABLE) -> Tree:
    return Parser(text, names).parse_expression()


def parse_unary_tests(text: str, names: NameTable = _EMPTY_TABLE) -> Tree:
    return Parser(text, names).parse_unary_tests()
