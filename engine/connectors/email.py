"""``email``: send a message by SMTP, or write it to an outbox folder in development.

Translations follow the ``*_i18n`` convention of the rest of Flowdesk: ``subject_i18n`` and
``body_i18n`` map locales to text (``{"zh-CN": "采购订单 " + po_number}``), and ``language``
says which one the recipient reads. Without ``language``, or without a translation for it,
``subject`` and ``body`` are sent as written.
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from .base import CallContext, Connector, ConnectorError


class EmailConnector(Connector):
    name = "email"
    parameters_schema = {
        "type": "object",
        "required": ["to", "subject"],
        "additionalProperties": False,
        "properties": {
            "to": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
            "subject": {"type": "string"},
            "body": {"type": "string"},
            "subject_i18n": {"type": "object", "additionalProperties": {"type": "string"}},
            "body_i18n": {"type": "object", "additionalProperties": {"type": "string"}},
            "language": {"type": ["string", "null"]},
            "sender": {"type": "string"},
        },
    }

    def __init__(self, outbox_dir: Path | None = None, smtp_host: str = "", smtp_port: int = 25) -> None:
        """SMTP host and port come from configuration only (``FLOWDESK_SMTP_HOST``,
        ``FLOWDESK_SMTP_PORT``): a model naming them is refused at deploy."""
        self.outbox_dir = outbox_dir
        self.smtp_host = smtp_host
        self.smtp_port = smtp_port

    def call(self, params: Mapping[str, Any], context: CallContext) -> Any:
        recipients = params["to"] if isinstance(params["to"], list) else [params["to"]]
        message = EmailMessage()
        message["From"] = params.get("sender", "flowdesk@localhost")
        message["To"] = ", ".join(recipients)
        language = params.get("language")
        subject = translation(params.get("subject_i18n"), language)
        body = translation(params.get("body_i18n"), language)
        message["Subject"] = params["subject"] if subject is None else subject
        # The idempotency key doubles as Message-ID: a re-sent mail is recognisably the same.
        message["Message-ID"] = f"<{context.idempotency_key}@flowdesk>"
        message.set_content(params.get("body", "") if body is None else body)
        if subject is not None or body is not None:
            message["Content-Language"] = language  # after set_content, which drops Content-* headers
        outbox = context.outbox_dir or self.outbox_dir
        if not self.smtp_host and outbox is not None:
            outbox.mkdir(parents=True, exist_ok=True)
            target = outbox / f"{context.idempotency_key.replace(':', '_')}.eml"
            target.write_bytes(bytes(message))  # the same key overwrites: sent once
            return {"delivered": "outbox", "file": str(target), "recipients": recipients}
        try:
            with smtplib.SMTP(self.smtp_host or "localhost", self.smtp_port, timeout=30) as smtp:
                smtp.send_message(message)
        except OSError as err:
            raise ConnectorError(f"SMTP: {err}") from err
        return {"delivered": "smtp", "recipients": recipients, "message_id": message["Message-ID"]}


def translation(translations: Mapping[str, str] | None, language: str | None) -> str | None:
    """The text for `language` in `translations` ({locale: text}): the exact tag in any case,
    else the same language (``zh`` for ``zh-CN``); None when there is none."""
    if not language or not isinstance(translations, Mapping):
        return None
    wanted = language.replace("_", "-").lower()
    by_tag = {str(tag).replace("_", "-").lower(): text for tag, text in translations.items() if text}
    if wanted in by_tag:
        return by_tag[wanted]
    return next((text for tag, text in by_tag.items() if tag.split("-")[0] == wanted.split("-")[0]), None)
