"""Every text of the web app has a Simplified Chinese translation in the committed catalogue."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po
from flowdesk.web import i18n

WEB = Path(i18n.__file__).resolve().parent


def _extracted() -> set[str]:
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(WEB), method_map=[("**.py", "python"), ("templates/**.html", "jinja2")], keywords=keywords):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_in_the_code_and_templates_is_translated_to_chinese() -> None:
    with (WEB / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        catalogue = read_po(fp)
    translated = {m.id for m in catalogue if m.id and m.string}
    missing = sorted(_extracted() - translated)
    assert not missing, f"run the pybabel commands in README.md and translate: {missing}"


def test_the_compiled_catalogue_matches_its_source() -> None:
    i18n.translations.cache_clear()
    assert i18n.translations("zh_CN").gettext("Inbox") == "收件箱"
    assert i18n.translations("en").gettext("Inbox") == "Inbox"
