"""Regular expressions for ``matches``, ``replace``, ``split`` and ``extract``, in linear time.

A pattern comes from the process designer, and Python's ``re`` backtracks: ``(a+)+$``
against forty ``a`` and a ``b`` runs for hours, and ``re`` has no timeout. So FEEL's
regular expressions (the XML Schema / XPath flavour) are compiled here to a small
instruction list and run by a Pike VM (Thompson's construction with capture slots): every
input character advances all live threads at once, so the work is at most (text length) x
(program size) and never exponential. That work is charged to the sandbox meter as it
happens, so a long text against a large pattern stops at the operation budget like any
other loop. Patterns are limited to `MAX_PROGRAM` instructions after counted repetitions
are expanded (``a{1000}`` is 1000 instructions).

Supported: literals and escapes (``\\n \\t \\\\ \\.`` ...), ``.``, classes ``[a-z]``
``[^...]`` with ``\\d \\w \\s`` (and ``\\D \\W \\S``) and ``\\p{L}``-style Unicode categories,
groups ``( )`` and ``(?: )``, alternation, ``* + ? {n} {n,} {n,m}`` and their lazy forms,
anchors ``^ $``, and the flags ``i`` (case-insensitive), ``s`` (dot matches newline),
``m`` (multi-line anchors), ``x`` (ignore whitespace), ``q`` (literal pattern). Not
supported (refused with a message): backreferences, lookaround, class subtraction.
Match semantics are leftmost-first, as in Perl, Java and Python (one difference: a
repeated group whose last iteration matches the empty text may report a different group
text than a backtracking engine).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import lru_cache

from ..meter import Meter

MAX_PROGRAM = 5000
MAX_PATTERN = 2000


class RegexError(ValueError):
    """The pattern or flags are not a supported regular expression."""


Pred = Callable[[str], bool]

# instruction opcodes
CHAR, SPLIT, JMP, SAVE, MATCH, BOL, EOL = range(7)


class _Parser:
    def __init__(self, pattern: str, flags: str) -> None:
        self.flags = flags
        if "x" in flags:
            pattern = _strip_whitespace(pattern)
        self.pattern = pattern
        self.at = 0
        self.groups = 0

    def error(self, message: str) -> RegexError:
        return RegexError(f"{message} at position {self.at + 1} of the pattern")

    def peek(self) -> str:
        return self.pattern[self.at] if self.at < len(self.pattern) else ""

    def parse(self) -> tuple:
        node = self.alternation()
        if self.at < len(self.pattern):
            raise self.error("unbalanced ')'")
        return node

    def alternation(self) -> tuple:
        branches = [self.sequence()]
        while self.peek() == "|":
            self.at += 1
            branches.append(self.sequence())
        return branches[0] if len(branches) == 1 else ("alt", branches)

    def sequence(self) -> tuple:
        items = []
        while self.at < len(self.pattern) and self.peek() not in "|)":
            items.append(self.quantified())
        return ("seq", items)

    def quantified(self) -> tuple:
        atom = self.atom()
        while True:
            char = self.peek()
            if char in ("*", "+", "?"):
                self.at += 1
                low, high = {"*": (0, None), "+": (1, None), "?": (0, 1)}[char]
            elif char == "{" and self._counted_ahead():
                low, high = self._counted()
            else:
                return atom
            lazy = self.peek() == "?"
            if lazy:
                self.at += 1
            if atom[0] in ("bol", "eol"):
                raise self.error("a quantifier after an anchor")
            atom = ("repeat", atom, low, high, lazy)

    def _counted_ahead(self) -> bool:
        end = self.pattern.find("}", self.at)
        body = self.pattern[self.at + 1 : end] if end > 0 else ""
        return bool(body) and all(c.isdigit() or c == "," for c in body) and body[0].isdigit()

    def _counted(self) -> tuple[int, int | None]:
        end = self.pattern.index("}", self.at)
        body = self.pattern[self.at + 1 : end]
        self.at = end + 1
        low_text, comma, high_text = body.partition(",")
        if len(low_text) > 5 or len(high_text) > 5:
            raise self.error("a repetition count that is too large")
        low = int(low_text)
        high = (int(high_text) if high_text else None) if comma else low
        if high is not None and high < low:
            raise self.error("a repetition {n,m} with m < n")
        return low, high

    def atom(self) -> tuple:
        char = self.peek()
        if not char:
            raise self.error("an unfinished pattern")
        if char == "(":
            self.at += 1
            capture = True
            if self.pattern.startswith("?:", self.at):
                self.at += 2
                capture = False
            elif self.peek() == "?":
                raise self.error("lookaround and other '(?...)' groups are not supported")
            index = 0
            if capture:
                self.groups += 1
                index = self.groups
            inner = self.alternation()
            if self.peek() != ")":
                raise self.error("a group that is not closed")
            self.at += 1
            return ("group", index, inner) if capture else inner
        if char in "*+?{" and not (char == "{" and not self._counted_ahead()):
            raise self.error(f"nothing to repeat before {char!r}")
        if char == ")":
            raise self.error("unbalanced ')'")
        self.at += 1
        if char == ".":
            if "s" in self.flags:
                return ("char", _ANY)
            return ("char", _NOT_NEWLINE)
        if char == "^":
            return ("bol",)
        if char == "$":
            return ("eol",)
        if char == "[":
            return ("char", self.char_class())
        if char == "\\":
            return ("char", self.escape(in_class=False))
        return ("char", self.literal(char))

    def literal(self, char: str) -> Pred:
        if "i" in self.flags and char.lower() != char.upper():
            low, up = char.lower(), char.upper()
            return lambda c: c in (low, up) or c.lower() == low
        return char.__eq__

    def escape(self, in_class: bool) -> Pred:
        char = self.peek()
        if not char:
            raise self.error("a '\\' at the end of the pattern")
        self.at += 1
        if char in _CLASS_ESCAPES:
            return _CLASS_ESCAPES[char]
        if char in "pP":
            if self.peek() != "{":
                raise self.error("\\p needs a category in braces, e.g. \\p{L}")
            end = self.pattern.find("}", self.at)
            if end < 0:
                raise self.error("\\p{ is not closed")
            name = self.pattern[self.at + 1 : end]
            self.at = end + 1
            pred = _category(name)
            if pred is None:
                raise self.error(f"the Unicode category {name!r}")
            return pred if char == "p" else (lambda c: not pred(c))
        if char in _CONTROL:
            return _CONTROL[char].__eq__
        if char.isdigit():
            raise self.error("backreferences are not supported")
        if char.isalnum():
            raise self.error(f"the escape \\{char}")
        return self.literal(char)

    def char_class(self) -> Pred:
        negate = self.peek() == "^"
        if negate:
            self.at += 1
        preds: list[Pred] = []
        chars: set[str] = set()
        first = True
        while True:
            char = self.peek()
            if not char:
                raise self.error("a '[' that is not closed")
            if char == "]" and not first:
                self.at += 1
                break
            first = False
            if char == "[" or (char == "-" and self.pattern.startswith("-[", self.at)):
                raise self.error("nested classes and class subtraction are not supported")
            if char == "\\":
                self.at += 1
                if self.peek() in _CLASS_ESCAPES or (self.peek() and self.peek() in "pP"):
                    preds.append(self.escape(in_class=True))
                    continue
                low_char = self._class_escape_char()
                assert low_char is not None
            else:
                self.at += 1
                low_char = char
            if self.peek() == "-" and self.at + 1 < len(self.pattern) and self.pattern[self.at + 1] != "]":
                self.at += 1
                high = self.peek()
                self.at += 1
                if high == "\\":
                    high_char = self._class_escape_char()
                    if high_char is None:
                        raise self.error("a class escape cannot end a range")
                    high = high_char
                if ord(high) < ord(low_char):
                    raise self.error("a character range in the wrong order")
                lo, hi = low_char, high
                preds.append(lambda c, lo=lo, hi=hi: lo <= c <= hi)
            else:
                chars.add(low_char)
        if chars:
            frozen = frozenset(chars)
            preds.append(frozen.__contains__)
        if "i" in self.flags:
            base = list(preds)

            def matches(c: str) -> bool:
                return any(p(c) or p(c.lower()) or p(c.upper()) for p in base)
        else:
            base = list(preds)

            def matches(c: str) -> bool:
                return any(p(c) for p in base)

        if negate:
            return lambda c: not matches(c)
        return matches

    def _class_escape_char(self) -> str | None:
        """A single character written as an escape inside a class, or None for \\d etc."""
        char = self.peek()
        if not char:
            raise self.error("a '\\' at the end of the pattern")
        if char in _CLASS_ESCAPES or char in "pP":
            return None
        self.at += 1
        if char in _CONTROL:
            return _CONTROL[char]
        if char.isalnum():
            raise self.error(f"the escape \\{char}")
        return char


def _strip_whitespace(pattern: str) -> str:
    out = []
    depth = 0
    escaped = False
    for char in pattern:
        if escaped:
            out.append(char)
            escaped = False
            continue
        if char == "\\":
            escaped = True
        elif char == "[":
            depth += 1
        elif char == "]" and depth:
            depth -= 1
        elif char in " \t\r\n" and not depth:
            continue
        out.append(char)
    return "".join(out)


def _ANY(c: str) -> bool:
    return True


def _NOT_NEWLINE(c: str) -> bool:
    return c != "\n" and c != "\r"


def _is_word(c: str) -> bool:
    return c.isalnum() or c == "_" or unicodedata.category(c)[0] in "LMN"


_CLASS_ESCAPES: dict[str, Pred] = {
    "d": lambda c: c.isdigit() and unicodedata.category(c) == "Nd",
    "D": lambda c: not (c.isdigit() and unicodedata.category(c) == "Nd"),
    "w": _is_word,
    "W": lambda c: not _is_word(c),
    "s": lambda c: c in " \t\n\r",
    "S": lambda c: c not in " \t\n\r",
}
_CONTROL = {"n": "\n", "r": "\r", "t": "\t", "f": "\f", "v": "\v", "0": "\0"}


def _category(name: str) -> Pred | None:
    if name.startswith("Is"):
        return None  # Unicode blocks: not supported
    if len(name) == 1 and name in "LMNPSZC":
        return lambda c: unicodedata.category(c)[0] == name
    if len(name) == 2 and name[0] in "LMNPSZC":
        return lambda c: unicodedata.category(c) == name
    return None


# -- compiling -------------------------------------------------------------------------


class _Compiler:
    def __init__(self) -> None:
        self.program: list[tuple] = []

    def emit(self, *instruction: object) -> int:
        if len(self.program) >= MAX_PROGRAM:
            raise RegexError(f"the pattern is too complex (more than {MAX_PROGRAM} instructions)")
        self.program.append(instruction)
        return len(self.program) - 1

    def compile(self, node: tuple) -> None:
        kind = node[0]
        if kind == "char":
            self.emit(CHAR, node[1])
        elif kind == "seq":
            for item in node[1]:
                self.compile(item)
        elif kind == "alt":
            jumps = []
            branches = node[1]
            for branch in branches[:-1]:
                split = self.emit(SPLIT, 0, 0)
                self.compile(branch)
                jumps.append(self.emit(JMP, 0))
                self.program[split] = (SPLIT, split + 1, len(self.program))
            self.compile(branches[-1])
            for jump in jumps:
                self.program[jump] = (JMP, len(self.program))
        elif kind == "group":
            self.emit(SAVE, 2 * node[1])
            self.compile(node[2])
            self.emit(SAVE, 2 * node[1] + 1)
        elif kind == "bol":
            self.emit(BOL)
        elif kind == "eol":
            self.emit(EOL)
        elif kind == "repeat":
            self._repeat(node[1], node[2], node[3], node[4])

    def _optional(self, atom: tuple, lazy: bool) -> None:
        split = self.emit(SPLIT, 0, 0)
        self.compile(atom)
        after = len(self.program)
        self.program[split] = (SPLIT, after, split + 1) if lazy else (SPLIT, split + 1, after)

    def _star(self, atom: tuple, lazy: bool) -> None:
        split = self.emit(SPLIT, 0, 0)
        self.compile(atom)
        self.emit(JMP, split)
        after = len(self.program)
        self.program[split] = (SPLIT, after, split + 1) if lazy else (SPLIT, split + 1, after)

    def _repeat(self, atom: tuple, low: int, high: int | None, lazy: bool) -> None:
        for _ in range(low):
            self.compile(atom)
        if high is None:
            self._star(atom, lazy)
        else:
            for _ in range(high - low):
                self._optional(atom, lazy)


@lru_cache(maxsize=256)
def compile_pattern(pattern: str, flags: str = "") -> tuple[tuple[tuple, ...], int, str]:
    """The program for `pattern`, its number of groups and its flags; raises `RegexError`."""
    if len(pattern) > MAX_PATTERN:
        raise RegexError(f"the pattern is longer than {MAX_PATTERN} characters")
    if any(f not in "smixq" for f in flags):
        raise RegexError(f"unknown regular-expression flags {flags!r} (use s, m, i, x, q)")
    if "q" in flags:
        parser = _Parser("", flags.replace("x", ""))
        tree: tuple = ("seq", [("char", parser.literal(c)) for c in pattern])
        groups = 0
    else:
        parser = _Parser(pattern, flags)
        tree = parser.parse()
        groups = parser.groups
    compiler = _Compiler()
    compiler.emit(SAVE, 0)
    compiler.compile(tree)
    compiler.emit(SAVE, 1)
    compiler.emit(MATCH)
    return tuple(compiler.program), groups, flags


# -- running ---------------------------------------------------------------------------

Captures = tuple[int, ...]


def search(meter: Meter, compiled: tuple, text: str, start: int = 0) -> Captures | None:
    """The leftmost-first match at or after `start`: (start, end, group1 start, group1 end,
    ...) with -1 for a group that did not take part; None when there is none."""
    program, groups, flags = compiled
    multiline = "m" in flags
    slots = 2 * (groups + 1)
    length = len(text)
    empty: Captures = (-1,) * slots
    matched: Captures | None = None
    work = 0

    def add(threads: list, seen: set, pc: int, caps: Captures, at: int) -> None:
        # Follows jumps, splits, saves and anchors; an explicit stack keeps the priority order.
        nonlocal work
        stack = [(pc, caps)]
        while stack:
            pc, caps = stack.pop()
            if pc in seen:
                continue
            seen.add(pc)
            work += 1
            op = program[pc]
            code = op[0]
            if code == JMP:
                stack.append((op[1], caps))
            elif code == SPLIT:
                stack.append((op[2], caps))
                stack.append((op[1], caps))
            elif code == SAVE:
                slot = op[1]
                stack.append((pc + 1, (*caps[:slot], at, *caps[slot + 1 :])))
            elif code == BOL:
                if at == 0 or (multiline and text[at - 1] == "\n"):
                    stack.append((pc + 1, caps))
            elif code == EOL:
                if at == length or (multiline and text[at] == "\n"):
                    stack.append((pc + 1, caps))
            else:
                threads.append((pc, caps))

    current: list = []
    seen: set = set()
    for at in range(start, length + 1):
        if matched is None:
            add(current, seen, 0, empty, at)
        if not current:
            if matched is not None:
                break
            seen = set()
            continue
        char = text[at] if at < length else ""
        following: list = []
        following_seen: set = set()
        for pc, caps in current:
            work += 1
            op = program[pc]
            if op[0] == MATCH:
                matched = caps
                break  # lower-priority threads are cut: leftmost-first
            if char and op[1](char):
                add(following, following_seen, pc + 1, caps, at + 1)
        if work >= 64:
            meter.charge(work // 4)
            work = 0
        current, seen = following, following_seen
    meter.charge(work // 4)
    return matched


def matches(meter: Meter, text: str, pattern: str, flags: str = "") -> bool:
    return search(meter, compile_pattern(pattern, flags), text) is not None


def finditer(meter: Meter, text: str, pattern: str, flags: str = "") -> list[Captures]:
    compiled = compile_pattern(pattern, flags)
    found: list[Captures] = []
    at = 0
    while at <= len(text):
        match = search(meter, compiled, text, at)
        if match is None:
            break
        found.append(match)
        at = match[1] + 1 if match[1] == match[0] else match[1]
    return found


def matches_empty(meter: Meter, pattern: str, flags: str = "") -> bool:
    return search(meter, compile_pattern(pattern, flags), "") is not None


def expand(meter: Meter, replacement: str, text: str, match: Captures, groups: int) -> str:
    """An XPath replacement string: ``$N`` inserts group N, ``\\$`` and ``\\\\`` escape."""
    out = []
    at = 0
    while at < len(replacement):
        char = replacement[at]
        if char == "\\":
            if at + 1 < len(replacement) and replacement[at + 1] in "\\$":
                out.append(replacement[at + 1])
                at += 2
                continue
            raise RegexError("a '\\' in the replacement must be followed by '\\' or '$'")
        if char == "$":
            end = at + 1
            while end < len(replacement) and replacement[end].isdigit():
                end += 1
            if end == at + 1:
                raise RegexError("a '$' in the replacement must be followed by a group number")
            number = int(replacement[at + 1 : end])
            while number > groups and end > at + 2:  # "$12" with one group is group 1 then "2"
                end -= 1
                number = int(replacement[at + 1 : end])
            if number <= groups:
                start, stop = match[2 * number], match[2 * number + 1]
                if start >= 0:
                    out.append(text[start:stop])
            at = end
            continue
        out.append(char)
        at += 1
    return "".join(out)
