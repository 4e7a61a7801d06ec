"""Locales, message catalogues and locale-aware formatting (Babel).

Messages live in gettext catalogues under ``web/locale/<locale>/LC_MESSAGES/messages.po``.
The compiled ``.mo`` files are committed; when one is missing or older than its ``.po``
(a translator just edited it) the catalogue is compiled in memory at start-up, so running
Flowdesk never needs a build step. To refresh the catalogues after changing templates::

    pybabel extract -F web/babel.cfg -o web/locale/messages.pot .
    pybabel update -i web/locale/messages.pot -d web/locale
    pybabel compile -d web/locale

Definitions and forms carry their own translations (see :func:`localized`).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from babel import dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flowdesk.engine.languages import accepted_languages

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
#: The locales the app speaks, by their catalogue name, with their own name for the switch.
LOCALES: dict[str, str] = {"en": "English", "zh_CN": "简体中文"}
DEFAULT_LOCALE = "en"
COOKIE = "flowdesk_locale"


@cache
def translations(locale: str) -> NullTranslations:
    """The catalogue of a locale, compiled from its ``.po`` when no up-to-date ``.mo`` exists."""
    folder = LOCALE_DIR / locale / "LC_MESSAGES"
    po, mo = folder / "messages.po", folder / "messages.mo"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fp:
            return Translations(fp, domain="messages")
    if po.exists():
        with po.open("rb") as fp:
            catalog = read_po(fp, locale=locale)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        return Translations(buffer, domain="messages")
    return NullTranslations()


def normalise(tag: str | None) -> str | None:
    """A supported locale for a BCP 47 tag or catalogue name (``zh-CN``, ``zh_cn``, ``zh``)."""
    if not tag:
        return None
    tag = tag.strip().replace("-", "_")
    lowered = {name.lower(): name for name in LOCALES}
    if tag.lower() in lowered:
        return lowered[tag.lower()]
    language = tag.split("_")[0].lower()
    return next((name for name in LOCALES if name.split("_")[0].lower() == language), None)


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The locale a request gets: the switch's cookie first, then the browser's Accept-Language."""
    chosen = normalise(cookie)
    if chosen:
        return chosen
    for tag in accepted_languages(accept_language):
        found = normalise(tag)
        if found:
            return found
    return DEFAULT_LOCALE


def bcp47(locale: str) -> str:
    """``zh_CN`` -> ``zh-CN`` (HTML's lang attribute, translation keys in definitions)."""
    return locale.replace("_", "-")


def localized(node: Any, key: str, locale: str, default: str | None = None) -> str | None:
    """A translatable text of a schema node or UI hint, in the locale, falling back to the default.

    Three spellings are understood, so designers can keep translations where they like:
    ``x-i18n: {zh-CN: {title: ..., description: ...}}`` on the node, the engine's own
    ``x-title-i18n: {zh-CN: ...}`` beside ``title``, and, for UI hints, a value that is
    itself a ``{locale: text}`` mapping (``label: {en: Cost centre, zh-CN: 成本中心}``).
    """
    if not isinstance(node, dict):
        return default
    candidates = _locale_keys(locale)
    i18n = node.get("x-i18n")
    if isinstance(i18n, dict):
        for candidate in candidates:
            entry = i18n.get(candidate)
            if isinstance(entry, dict) and isinstance(entry.get(key), str):
                return entry[key]
    per_key = node.get(f"x-{key}-i18n")
    if isinstance(per_key, dict):
        for candidate in candidates:
            if isinstance(per_key.get(candidate), str):
                return per_key[candidate]
    value = node.get(key)
    return text_in(value, locale, default)


def translated(item: Any, key: str, locale: str) -> Any:
    """``item[key]`` in the locale, from the engine's ``{key}_i18n`` translations of process and
    task names and documentation (``name_i18n`` in the YAML format), else as written."""
    if not isinstance(item, dict):
        return getattr(item, key, None)
    texts = item.get(f"{key}_i18n")
    if isinstance(texts, dict):
        for candidate in _locale_keys(locale):
            if isinstance(texts.get(candidate), str) and texts[candidate]:
                return texts[candidate]
    return item.get(key)


def text_in(value: Any, locale: str, default: str | None = None, any_language: bool = True) -> str | None:
    """A plain string, or the locale's entry of a ``{locale: text}`` mapping (then English,
    then - unless ``any_language`` is false - whichever language it has)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for candidate in (*_locale_keys(locale), "en"):
            if isinstance(value.get(candidate), str):
                return value[candidate]
        first = next((v for v in value.values() if isinstance(v, str)), None) if any_language else None
        return first if first is not None else default
    return default


def _locale_keys(locale: str) -> tuple[str, ...]:
    language = locale.split("_")[0]
    return (bcp47(locale), locale, locale.lower(), bcp47(locale).lower(), language)


_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})$")


def zone_label(local: datetime) -> str:
    """``UTC``, ``CST``, ``CEST``; the offset (``+08``, ``-03:30``) when the zone's database
    has only a number for it."""
    name = local.tzname() or ""
    if name and name[0] not in "+-":
        return name
    offset = local.utcoffset()
    if offset is None:
        return "UTC"
    minutes = int(offset.total_seconds() // 60)
    sign, minutes = ("-" if minutes < 0 else "+"), abs(minutes)
    return f"{sign}{minutes // 60:02d}" + (f":{minutes % 60:02d}" if minutes % 60 else "")


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


@dataclass(frozen=True)
class Formatter:
    """Dates, numbers and money for one locale and one time zone (used by templates as
    ``fmt``; the page's zone is the reader's, see ``pages.zone_of``). Every moment a page
    shows goes through :meth:`datetime`, so it is in the user's zone, with the zone's abbreviation
    (``CST``, ``CET``) or, where the zone has none, its offset (``+08``): a time read
    aloud over the phone to a colleague elsewhere is never ambiguous."""

    locale: str
    zone: tzinfo = UTC

    def datetime(self, value: Any, format: str = "medium") -> str:
        moment = _moment(value)
        if moment is None:
            return "" if value is None else str(value)
        local = moment.astimezone(self.zone)
        shown = dates.format_datetime(local, format=format, tzinfo=self.zone, locale=self.locale)
        return f"{shown} {zone_label(local)}"

    @staticmethod
    def is_instant(value: Any) -> bool:
        """Whether a data value is a moment (ISO date and time with ``Z`` or an offset), which a
        page shows in the reader's zone; a plain date or a local time is shown as written."""
        return isinstance(value, str) and _INSTANT.match(value) is not None

    @property
    def zone_name(self) -> str:
        """The zone's name (``Asia/Shanghai``), as labels of date-time inputs say it."""
        return str(getattr(self.zone, "key", None) or self.zone)

    def date(self, value: Any, format: str = "medium") -> str:
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value[:10])
            except ValueError:
                return value
        if isinstance(value, date):
            return dates.format_date(value, format=format, locale=self.locale)
        return "" if value is None else str(value)

    def number(self, value: Any) -> str:
        amount = _decimal(value)
        if amount is None:
            return "" if value is None else str(value)
        return numbers.format_decimal(amount, locale=self.locale, decimal_quantization=False)

    def money(self, value: Any, currency: str | None = None) -> str:
        amount = _decimal(value)
        if amount is None:
            return "" if value is None else str(value)
        if currency and len(currency) == 3 and currency.isalpha():
            return numbers.format_currency(amount, currency.upper(), locale=self.locale)
        return numbers.format_decimal(amount, format="#,##0.00", locale=self.locale)

    def percent(self, value: Any) -> str:
        amount = _decimal(value)
        if amount is None:
            return "\u2013"  # an en dash: no value
        return numbers.format_percent(amount, format="#,##0.#%", locale=self.locale)

    def duration(self, seconds: Any) -> str:
        """A span of time in the locale's words ("3 days", "3天")."""
        amount = _decimal(seconds)
        if amount is None:
            return "\u2013"  # an en dash: no value
        return dates.format_timedelta(float(amount), threshold=1.5, locale=self.locale)


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
