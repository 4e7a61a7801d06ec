"""FEEL tokens to a syntax tree: the tree's nodes and a recursive-descent parser.

The parser is written by hand rather than generated (see the package docstring for why):
which words make one name depends on the names a DMN model declares (`lexer` reads names).
`Parser` reads an expression or unary tests (a decision-table input entry, and the
right-hand side of ``in``).

Precedence, lowest first: ``for``/``some``/``every``/``if``/``function``; ``or``;
``and``; comparisons (``= != < <= > >=``, ``between``, ``in``); ``instance of``;
``+ -``; ``* /``; ``**``; unary ``-``; then path ``.``, filter ``[ ]`` and invocation
``( )``. Errors are `ExpressionSyntaxError` naming the construct and the line and column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .lexer import EMPTY_TABLE, KEYWORDS, TYPE_NAMES, NameTable, TokenStream, unescape

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


# -- parsers -----------------------------------------------------------------------------


class Parser:
    """Recursive descent over one FEEL text (an expression or unary tests), reading its
    tokens and names from a `TokenStream`."""

    def __init__(self, stream: TokenStream) -> None:
        self.stream = stream
        self.names: set[str] = set()

    # -- entry points -------------------------------------------------------------------

    def parse_expression(self) -> Tree:
        if self.stream.token.kind == "end":
            raise self.stream.fail("the expression is empty")
        root = self.expression()
        self.stream.finish()
        return Tree(root, self.stream.text, self.names)

    def parse_unary_tests(self) -> Tree:
        """``-``, ``not(tests)`` or a comma list of positive unary tests."""
        token = self.stream.token
        if token.kind == "end" or (self.stream.at_op("-") and self.stream.peek().kind == "end"):
            return Tree(Node("any", token.start), self.stream.text, self.names)
        if self.stream.at_word("not") and self.stream.peek().text == "(" and self._not_spans_all():
            self.stream.advance()
            self.stream.advance()
            tests = self.positive_tests(")")
            self.stream.expect_op(")", "'not(...)' in unary tests")
            self.stream.finish()
            return Tree(Node("not_tests", token.start, (tests,)), self.stream.text, self.names)
        tests = self.positive_tests(None)
        self.stream.finish()
        return Tree(Node("tests", token.start, (tests,)), self.stream.text, self.names)

    def _not_spans_all(self) -> bool:
        """Whether ``not(`` opens a parenthesis that closes at the very end (unary-tests
        negation) rather than calling the function ``not`` inside a larger expression."""
        tokens = self.stream.tokens
        depth = 0
        for index in range(self.stream.index + 1, len(tokens)):
            token = tokens[index]
            if token.kind == "op" and token.text in "([{":
                depth += 1
            elif token.kind == "op" and token.text in ")]}":
                depth -= 1
                if depth == 0:
                    return tokens[index + 1].kind == "end"
        return False

    def positive_tests(self, closing: str | None) -> list[Node]:
        tests = [self.positive_test()]
        while self.stream.at_op(","):
            self.stream.advance()
            tests.append(self.positive_test())
        if closing is None and self.stream.token.kind != "end":
            raise self.stream.fail()
        return tests

    def positive_test(self) -> Node:
        token = self.stream.token
        if self.stream.at_op("<", "<=", ">", ">=", "=", "!="):
            op = self.stream.advance().text
            return Node("compare_test", token.start, (op, self.endpoint()))
        if self.stream.at_op("[", "]", "(") and self.stream.interval_ahead():
            return self.interval()
        after = self.stream.peek()
        if self.stream.at_word("null") and after.text in (",", ")", "") and after.kind in ("op", "end"):
            self.stream.advance()
            return Node("null_test", token.start)
        return Node("expr_test", token.start, (self.expression(),))

    def endpoint(self) -> Node:
        return self.additive()

    def interval(self) -> Node:
        start = self.stream.advance()
        start_closed = start.text == "["
        low = self.endpoint()
        self.stream.expect_op("..", "an interval")
        high = self.endpoint()
        if not self.stream.at_op("]", ")", "["):
            raise self.stream.fail("an interval must end with ']', ')' or '['")
        end = self.stream.advance()
        return Node("range", start.start, (low, high, start_closed, end.text == "]"))

    # -- expressions --------------------------------------------------------------------

    def expression(self) -> Node:
        token = self.stream.token
        if token.kind == "word":
            if token.text == "if":
                return self.if_expression()
            if token.text == "for":
                return self.for_expression()
            if token.text in ("some", "every") and self.stream.peek().kind in ("word", "backtick"):
                return self.quantified()
            if token.text == "function" and self.stream.peek().text == "(":
                return self.function_definition()
        return self.disjunction()

    def if_expression(self) -> Node:
        start = self.stream.advance()
        condition = self.expression()
        self.stream.expect_word("then", "an 'if' expression")
        then = self.expression()
        self.stream.expect_word("else", "an 'if' expression")
        otherwise = self.expression()
        return Node("if", start.start, (condition, then, otherwise))

    def _iterations(self, what: str) -> list[tuple[str, Node]]:
        iterations = []
        while True:
            name, _ = self.stream.name(stop=("in",))
            self.stream.expect_word("in", what)
            domain = self.expression_or_span()
            iterations.append((name, domain))
            if not self.stream.at_op(","):
                return iterations
            self.stream.advance()

    def expression_or_span(self) -> Node:
        """An iteration domain: an expression, or ``a..b`` (integers from a to b)."""
        start = self.stream.token
        low = self.expression()
        if self.stream.at_op(".."):
            self.stream.advance()
            high = self.expression()
            return Node("span", start.start, (low, high))
        return low

    def for_expression(self) -> Node:
        start = self.stream.advance()
        iterations = self._iterations("a 'for' expression")
        self.stream.expect_word("return", "a 'for' expression")
        body = self.expression()
        return Node("for", start.start, (tuple(iterations), body))

    def quantified(self) -> Node:
        start = self.stream.advance()
        iterations = self._iterations(f"a '{start.text}' expression")
        self.stream.expect_word("satisfies", f"a '{start.text}' expression")
        body = self.expression()
        return Node(start.text, start.start, (tuple(iterations), body))

    def function_definition(self) -> Node:
        start = self.stream.advance()
        self.stream.expect_op("(", "a function definition")
        params: list[str] = []
        while not self.stream.at_op(")"):
            name, _ = self.stream.name()
            if self.stream.at_op(":"):  # a type annotation: skipped
                self.stream.advance()
                self.type_name()
            params.append(name)
            if not self.stream.at_op(","):
                break
            self.stream.advance()
        self.stream.expect_op(")", "a function definition")
        if self.stream.at_word("external"):
            raise self.stream.fail("external functions (Java or PMML) are not supported")
        body = self.expression()
        return Node("function", start.start, (tuple(params), body))

    def disjunction(self) -> Node:
        left = self.conjunction()
        while self.stream.at_word("or"):
            token = self.stream.advance()
            left = Node("or", token.start, (left, self.conjunction()))
        return left

    def conjunction(self) -> Node:
        left = self.comparison()
        while self.stream.at_word("and"):
            token = self.stream.advance()
            left = Node("and", token.start, (left, self.comparison()))
        return left

    def comparison(self) -> Node:
        left = self.instance_of()
        while True:
            token = self.stream.token
            if self.stream.at_op("=", "!=", "<", "<=", ">", ">="):
                self.stream.advance()
                left = Node("compare", token.start, (token.text, left, self.instance_of()))
            elif self.stream.at_word("between"):
                self.stream.advance()
                low = self.instance_of()
                self.stream.expect_word("and", "'between'")
                high = self.instance_of()
                left = Node("between", token.start, (left, low, high))
            elif self.stream.at_word("in"):
                self.stream.advance()
                if self.stream.at_op("(") and not self.stream.interval_ahead():
                    self.stream.advance()
                    tests = self.positive_tests(")")
                    self.stream.expect_op(")", "'in (...)'")
                else:
                    tests = [self.positive_test()]
                left = Node("in", token.start, (left, tuple(tests)))
            else:
                return left

    def instance_of(self) -> Node:
        left = self.additive()
        while self.stream.at_word("instance"):
            token = self.stream.advance()
            if not self.stream.at_word("of"):
                raise self.stream.fail("'instance' must be followed by 'of'")
            self.stream.advance()
            left = Node("instance", token.start, (left, self.type_name()))
        return left

    def type_name(self) -> str:
        token = self.stream.token
        for name in TYPE_NAMES:
            if self.stream.phrase(name):
                self.stream.index += len(name.split())
                if name in ("list", "context", "range", "function") and self.stream.at_op("<"):
                    return name + self._type_arguments()
                return name
        if token.kind in ("word", "backtick"):
            name, _ = self.stream.name()
            return name
        raise self.stream.fail("a type name was expected")

    def _type_arguments(self) -> str:
        depth = 0
        parts = []
        while True:
            token = self.stream.advance()
            if token.kind == "end":
                raise self.stream.fail("an unfinished type", token)
            parts.append(token.text)
            if token.text == "<":
                depth += 1
            elif token.text == ">":
                depth -= 1
                if depth == 0:
                    return "".join(parts)

    def additive(self) -> Node:
        left = self.multiplicative()
        while self.stream.at_op("+", "-"):
            token = self.stream.advance()
            left = Node("arith", token.start, (token.text, left, self.multiplicative()))
        return left

    def multiplicative(self) -> Node:
        left = self.power()
        while self.stream.at_op("*", "/"):
            token = self.stream.advance()
            left = Node("arith", token.start, (token.text, left, self.power()))
        return left

    def power(self) -> Node:
        left = self.negation()
        while self.stream.at_op("**"):
            token = self.stream.advance()
            left = Node("arith", token.start, ("**", left, self.negation()))
        return left

    def negation(self) -> Node:
        if self.stream.at_op("-"):
            token = self.stream.advance()
            operand = self.negation()
            if operand.kind == "number":
                return Node("number", token.start, ("-" + operand.args[0],))
            return Node("negate", token.start, (operand,))
        return self.postfix()

    def postfix(self) -> Node:
        node = self.primary()
        while True:
            token = self.stream.token
            if self.stream.at_op("."):
                self.stream.advance()
                if self.stream.token.kind not in ("word", "backtick") and self.stream.known() is None:
                    raise self.stream.fail("a name must follow '.'")
                name, _ = self.stream.name()
                node = Node("path", token.start, (node, name))
            elif self.stream.at_op("[") and not (self.stream.peek().kind == "end"
                                                 or self.stream.peek().text in (",", ")")):
                # ('[' followed by the end, ',' or ')' closes an interval: "[3..7[")
                self.stream.advance()
                condition = self.expression()
                self.stream.expect_op("]", "a filter")
                node = Node("filter", token.start, (node, condition))
            elif self.stream.at_op("("):
                node = self.invocation(node)
            else:
                return node

    def invocation(self, target: Node) -> Node:
        start = self.stream.advance()
        positional: list[Node] = []
        named: list[tuple[str, Node]] = []
        while not self.stream.at_op(")"):
            if self.stream.named_argument_ahead():
                name, _ = self.stream.name()
                self.stream.expect_op(":", "a named argument")
                named.append((name, self.expression()))
            else:
                if named:
                    raise self.stream.fail("positional arguments cannot follow named ones")
                positional.append(self.expression())
            if not self.stream.at_op(","):
                break
            self.stream.advance()
        self.stream.expect_op(")", "a function call")
        if named and positional:
            raise self.stream.fail("a call mixes named and positional arguments", start)
        return Node("call", start.start, (target, tuple(positional), tuple(named)))

    def primary(self) -> Node:
        token = self.stream.token
        kind = token.kind
        if kind == "number":
            self.stream.advance()
            return Node("number", token.start, (token.text,))
        if kind == "string":
            self.stream.advance()
            return Node("string", token.start, (unescape(token.text[1:-1], self.stream.text, token.start + 1),))
        if kind == "temporal":
            self.stream.advance()
            return Node("temporal", token.start, (unescape(token.text[2:-1], self.stream.text, token.start + 2),))
        if kind == "word" and token.text in ("true", "false"):
            self.stream.advance()
            return Node("boolean", token.start, (token.text == "true",))
        if kind == "word" and token.text == "null":
            self.stream.advance()
            return Node("null", token.start)
        if (kind == "word" and token.text in ("if", "for", "some", "every")) or (
            kind == "word" and token.text == "function" and self.stream.peek().text == "("
        ):
            return self.expression()
        if self.stream.at_op("?"):
            self.stream.advance()
            return Node("input", token.start)
        if self.stream.at_op("("):
            if self.stream.interval_ahead():
                return self.interval()
            self.stream.advance()
            inner = self.expression()
            self.stream.expect_op(")", "a parenthesis")
            return inner
        if self.stream.at_op("]"):
            if self.stream.interval_ahead():
                return self.interval()
            raise self.stream.fail()
        if self.stream.at_op("["):
            if self.stream.interval_ahead():
                return self.interval()
            return self.list_literal()
        if self.stream.at_op("{"):
            return self.context_literal()
        if self.stream.at_op("<", "<=", ">", ">="):
            op = self.stream.advance().text
            return Node("compare_test", token.start, (op, self.endpoint()))
        if kind == "word" and token.text in ("and", "or") and self.stream.peek().text == "(":
            self.stream.advance()  # the list functions and() / or()
            self.names.add(token.text)
            return Node("name", token.start, (token.text,))
        if kind in ("word", "backtick") or (kind == "op" and self.stream.known() is not None):
            if kind == "word" and token.text in KEYWORDS:
                raise self.stream.fail(f"unexpected keyword '{token.text}'")
            name, at = self.stream.name()
            self.names.add(name)
            return Node("name", at, (name,))
        raise self.stream.fail()

    def list_literal(self) -> Node:
        start = self.stream.advance()
        items: list[Node] = []
        while not self.stream.at_op("]"):
            items.append(self.expression())
            if not self.stream.at_op(","):
                break
            self.stream.advance()
        self.stream.expect_op("]", "a list")
        return Node("list", start.start, (tuple(items),))

    def context_literal(self) -> Node:
        start = self.stream.advance()
        entries: list[tuple[str, Node]] = []
        while not self.stream.at_op("}"):
            token = self.stream.token
            if token.kind == "string":
                self.stream.advance()
                key = unescape(token.text[1:-1], self.stream.text, token.start + 1)
            elif token.kind in ("word", "backtick") or self.stream.known() is not None:
                key, _ = self.stream.name()
            else:
                raise self.stream.fail("a context entry needs a name or a string key")
            self.stream.expect_op(":", "a context entry")
            entries.append((key, self.expression()))
            if not self.stream.at_op(","):
                break
            self.stream.advance()
        self.stream.expect_op("}", "a context")
        return Node("context", start.start, (tuple(entries),))


def parse_expression(text: str, names: NameTable = EMPTY_TABLE) -> Tree:
    return Parser(TokenStream(text, names)).parse_expression()


def parse_unary_tests(text: str, names: NameTable = EMPTY_TABLE) -> Tree:
    return Parser(TokenStream(text, names)).parse_unary_tests()
