"""E-mails in the recipient's language: ``subject_i18n``/``body_i18n`` beside ``subject``/``body``,
chosen by the ``language`` parameter (see engine/connectors/email.py)."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest
from flowdesk.engine.connectors.base import CallContext
from flowdesk.engine.connectors.email import EmailConnector, translation
from jsonschema import Draft202012Validator

PARAMS = {"to": "orders@supplier.example", "subject": "Purchase order PO-1", "body": "Please deliver.",
          "subject_i18n": {"zh-CN": "采购订单 PO-1"}, "body_i18n": {"zh-CN": "请按时交货。"}}


def send(tmp_path: Path, **params) -> object:
    result = EmailConnector(tmp_path).call({**PARAMS, **params}, CallContext("i:send:1", 1, "i", "send"))
    return message_from_bytes(Path(result["file"]).read_bytes(), policy=policy.default)


@pytest.mark.parametrize("language", ["zh-CN", "zh_CN", "zh-cn", "zh"])
def test_a_chinese_reader_gets_the_chinese_subject_and_body(tmp_path, language):
    mail = send(tmp_path, language=language)
    assert mail["Subject"] == "采购订单 PO-1" and mail.get_content().strip() == "请按时交货。"
    assert mail["Content-Language"] == language


@pytest.mark.parametrize("language", [None, "en", "de-CH"])
def test_without_a_translation_for_the_language_the_text_is_sent_as_written(tmp_path, language):
    mail = send(tmp_path, language=language)
    assert mail["Subject"] == "Purchase order PO-1" and mail.get_content().strip() == "Please deliver."
    assert mail["Content-Language"] is None


def test_the_parameters_are_part_of_the_connectors_schema():
    schema = Draft202012Validator(EmailConnector.parameters_schema)
    assert schema.is_valid({**PARAMS, "language": None})
    assert not schema.is_valid({**PARAMS, "subject_i18n": "采购订单"})


def test_a_translation_is_picked_by_tag_then_by_language():
    texts = {"zh-CN": "简体", "zh-TW": "繁體", "en": "English"}
    assert translation(texts, "zh-TW") == "繁體"
    assert translation(texts, "zh") == "简体"
    assert translation(texts, "fr") is None and translation(None, "zh-CN") is None
