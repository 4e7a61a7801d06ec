"""FEEL built-ins on strings; regular expressions run on the linear-time engine in `regex`."""

from __future__ import annotations

import base64
import uuid as _uuid
from typing import Any

from ...meter import Meter
from .. import regex
from .registry import Null, builtin, integer_arg, list_arg, text_arg

# -- strings ------------------------------------------------------------------------------


@builtin("substring", ("string", "start position", "length?"))
def _substring(meter: Meter, text: Any, start: Any, length: Any = None) -> str:
    text = text_arg(text)
    begin = integer_arg(start)
    if begin == 0:
        raise Null
    index = begin - 1 if begin > 0 else len(text) + begin
    index = max(index, 0)
    if length is None:
        return meter.produced(text[index:])
    count = integer_arg(length)
    if count < 0:
        raise Null
    return meter.produced(text[index : index + count])


@builtin("string length", ("string",))
def _string_length(meter: Meter, text: Any) -> int:
    return len(text_arg(text))


@builtin("upper case", ("string",))
def _upper(meter: Meter, text: Any) -> str:
    meter.scan(text_arg(text))
    return meter.produced(text.upper())


@builtin("lower case", ("string",))
def _lower(meter: Meter, text: Any) -> str:
    meter.scan(text_arg(text))
    return meter.produced(text.lower())


@builtin("substring before", ("string", "match"))
def _before(meter: Meter, text: Any, match: Any) -> str:
    text, match = text_arg(text), text_arg(match)
    meter.scan(text)
    at = text.find(match)
    return "" if at < 0 else meter.produced(text[:at])


@builtin("substring after", ("string", "match"))
def _after(meter: Meter, text: Any, match: Any) -> str:
    text, match = text_arg(text), text_arg(match)
    meter.scan(text)
    if not match:
        return text
    at = text.find(match)
    return "" if at < 0 else meter.produced(text[at + len(match) :])


@builtin("contains", ("string", "match"))
def _contains(meter: Meter, text: Any, match: Any) -> bool:
    meter.scan(text_arg(text))
    return text_arg(match) in text


@builtin("starts with", ("string", "match"))
def _starts_with(meter: Meter, text: Any, match: Any) -> bool:
    return text_arg(text).startswith(text_arg(match))


@builtin("ends with", ("string", "match"))
def _ends_with(meter: Meter, text: Any, match: Any) -> bool:
    return text_arg(text).endswith(text_arg(match))


def _flags(flags: Any) -> str:
    return "" if flags is None else text_arg(flags)


@builtin("matches", ("input", "pattern", "flags?"))
def _matches(meter: Meter, text: Any, pattern: Any, flags: Any = None) -> bool:
    return regex.matches(meter, text_arg(text), text_arg(pattern), _flags(flags))


@builtin("replace", ("input", "pattern", "replacement", "flags?"))
def _replace(meter: Meter, text: Any, pattern: Any, replacement: Any, flags: Any = None) -> str:
    text, pattern, replacement = text_arg(text), text_arg(pattern), text_arg(replacement)
    flags = _flags(flags)
    compiled = regex.compile_pattern(pattern, flags)
    if regex.matches_empty(meter, pattern, flags):
        raise regex.RegexError("the pattern matches the empty text, which replace() does not allow")
    parts: list[str] = []
    size = 0
    at = 0
    for match in regex.finditer(meter, text, pattern, flags):
        parts.append(text[at : match[0]])
        piece = regex.expand(meter, replacement, text, match, compiled[1])
        parts.append(piece)
        size += match[0] - at + len(piece)
        meter.need_chars(size, "the replaced text")
        at = match[1]
    parts.append(text[at:])
    return meter.produced("".join(parts))


@builtin("split", ("string", "delimiter", "flags?"))
def _split(meter: Meter, text: Any, delimiter: Any, flags: Any = None) -> list[str]:
    text, delimiter = text_arg(text), text_arg(delimiter)
    flags = _flags(flags)
    if regex.matches_empty(meter, delimiter, flags):
        raise regex.RegexError("the delimiter matches the empty text, which split() does not allow")
    parts: list[str] = []
    at = 0
    for match in regex.finditer(meter, text, delimiter, flags):
        parts.append(text[at : match[0]])
        at = match[1]
    parts.append(text[at:])
    return meter.produced(parts)


@builtin("extract", ("string", "pattern"))
def _extract(meter: Meter, text: Any, pattern: Any) -> list[str]:
    text = text_arg(text)
    return meter.produced([text[m[0] : m[1]] for m in regex.finditer(meter, text, text_arg(pattern))])


@builtin("trim", ("string",))
def _trim(meter: Meter, text: Any) -> str:
    return meter.produced(text_arg(text).strip())


@builtin("uuid", ())
def _new_uuid(meter: Meter) -> str:
    return str(_uuid.uuid4())


@builtin("to base64", ("value",))
def _to_base64(meter: Meter, text: Any) -> str:
    data = text_arg(text).encode()
    meter.need_chars(len(data) * 4 // 3 + 4, "the Base64 text")
    return meter.produced(base64.b64encode(data).decode("ascii"))


@builtin("is blank", ("string",))
def _is_blank(meter: Meter, text: Any) -> bool:
    return not text_arg(text).strip()


@builtin("string join", ("list", "delimiter?", "prefix?", "suffix?"))
def _string_join(meter: Meter, items: Any, delimiter: Any = None, prefix: Any = None, suffix: Any = None) -> str:
    items = meter.consume(list_arg(items))
    parts = []
    for item in items:
        if item is None:
            continue
        if type(item) is not str:
            raise Null
        parts.append(item)
    delimiter = "" if delimiter is None else text_arg(delimiter)
    prefix = "" if prefix is None else text_arg(prefix)
    suffix = "" if suffix is None else text_arg(suffix)
    total = sum(map(len, parts)) + len(delimiter) * max(0, len(parts) - 1) + len(prefix) + len(suffix)
    meter.need_chars(total, "the joined text")
    return meter.produced(prefix + delimiter.join(parts) + suffix)
