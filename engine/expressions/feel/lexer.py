"""FEEL text to tokens, and the stream of tokens the parser reads names from.

FEEL names may contain spaces and even keywords (``Applicant Age``, ``date and time``,
``get or else``), and which words make one name depends on the names a DMN model
declares. `TokenStream.name` reads one name by these rules, in order:

1. A name that the caller declares (``known_names``: DMN input data, decisions, business
   knowledge models, parameters, context entries; a `NameTable`) is matched first,
   longest first, with any whitespace between its words; it may contain
   ``. / - ' + *`` and ``?``.
2. Otherwise consecutive words join into one name (``Applicant Age``, ``string length``),
   stopping at the keywords ``and or in for return if then else some every satisfies
   between instance function``. The built-in names containing keywords (``date and
   time``, ``years and months duration``, ``get or else``) are recognised when a call
   parenthesis follows, and as type names after ``instance of``.
3. ```backticks``` quote any name (Camunda's extension): ```tracking-id```.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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



# -- names -------------------------------------------------------------------------------


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


EMPTY_TABLE = NameTable(None)


class TokenStream:
    """The tokens of one FEEL text and the position of the parser in them."""

    def __init__(self, text: str, names: NameTable) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.table = names

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
        return self.known() is not None

    def known(self) -> int | None:
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
            if self.phrase(phrase) and self.peek(len(phrase.split())).text == "(":
                self.index += len(phrase.split())
                return phrase, token.start
        known = self.known()
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

    def phrase(self, phrase: str) -> bool:
        words = phrase.split()
        return all(
            self.peek(i).kind == "word" and self.peek(i).text == word for i, word in enumerate(words)
        )

    def named_argument_ahead(self) -> bool:
        """Whether a named argument (``name:``) starts here."""
        tokens = self.tokens
        index = self.index
        if tokens[index].kind == "backtick":
            return tokens[index + 1].text == ":"
        known = self.known()
        if known is not None and tokens[known].text == ":":
            return True
        while tokens[index].kind == "word" and tokens[index].text not in KEYWORDS - {"function"}:
            index += 1
        return index > self.index and tokens[index].kind == "op" and tokens[index].text == ":"

    def interval_ahead(self) -> bool:
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
