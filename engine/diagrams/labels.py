"""The names a diagram shows in the reader's language.

A model translates the names of its process and elements with the ``nameI18n`` extension
property (a JSON object ``{locale: name}``; YAML's ``name_i18n`` compiles to it): the same
translations the inbox and the task pages show. The diagram takes them for the reader's
locale, and falls back to the element's own name.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from lxml import etree

from ..definitions.model import NAME_I18N
from ..definitions.namespaces import CAMUNDA, SPIFF


def _pick(translations: Mapping[str, str], locale: str) -> str | None:
    """The translation for ``locale`` (``zh-CN``, ``zh_CN``), else one of its language."""
    wanted = locale.replace("_", "-").lower()
    language = wanted.split("-")[0]
    by_tag = {str(tag).replace("_", "-").lower(): text for tag, text in translations.items()
              if isinstance(text, str) and text.strip()}
    return by_tag.get(wanted) or next((t for tag, t in by_tag.items() if tag.split("-")[0] == language), None)


def translated_names(elements: Iterable[etree._Element], locale: str | None) -> dict[str, str]:
    """Element id -> its name in ``locale``, for the elements that translate theirs."""
    if not locale or locale.lower().startswith("en"):
        return {}
    found: dict[str, str] = {}
    for element in elements:
        for prop in element.iterfind(f"./*/{{{SPIFF}}}properties/{{{SPIFF}}}property"):
            _take(found, element, prop, locale)
        for prop in element.iterfind(f"./*/{{{CAMUNDA}}}properties/{{{CAMUNDA}}}property"):
            _take(found, element, prop, locale)
    return found


def _take(found: dict[str, str], element: etree._Element, prop: etree._Element, locale: str) -> None:
    if prop.get("name") != NAME_I18N or element.get("id") in found:
        return
    try:
        translations = json.loads(prop.get("value") or "{}")
    except ValueError:
        return
    if isinstance(translations, dict):
        name = _pick(translations, locale)
        if name:
            found[element.get("id")] = name


def element_names(bpmn: bytes, locale: str | None) -> dict[str, str]:
    """The named elements of a BPMN document (process, steps, events, gateways, lanes), id ->
    their name in ``locale``: what a history shows instead of element ids. In English every
    element's own name; in another language only the names the model translates (an English
    name on a Chinese page is no better than the id, which at least says what it is)."""
    try:
        root = etree.fromstring(bpmn, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return {}
    elements = [el for el in root.iter() if isinstance(el.tag, str) and el.get("id")]
    translated = translated_names(elements, locale)
    if locale and not locale.lower().startswith("en"):
        return translated
    return {el.get("id"): el.get("name") for el in elements if el.get("name")}
