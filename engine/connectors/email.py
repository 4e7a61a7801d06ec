"""``email``: send a message by SMTP, or write it to an outbox folder in development."""

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
            "sender": {"type": "string"},
            "smtp_host": {"type": "string"},
            "smtp_port": {"type": "integer"},
        },
    }

    def __init__(self, outbox_dir: Path | None = None) -> None:
        self.outbox_dir = outbox_dir

    def call(self, params: Mapping[str, Any], context: CallContext) -> Any:
        recipients = params["to"] if isinstance(params["to"], list) else [params["to"]]
        message = EmailMessage()
        message["From"] = params.get("sender", "flowdesk@localhost")
        message["To"] = ", ".join(recipients)
        message["Subject"] = params["subject"]
        # The idempotency key doubles as Message-ID: a re-sent mail is recognisably the same.
        message["Message-ID"] = f"<{context.idempotency_key}@flowdesk>"
        message.set_content(params.get("body", ""))
        outbox = context.outbox_dir or self.outbox_dir
        if not params.get("smtp_host") and outbox is not None:
            outbox.mkdir(parents=True, exist_ok=True)
            target = outbox / f"{context.idempotency_key.replace(':', '_')}.eml"
            target.write_bytes(bytes(message))  # the same key overwrites: sent once
            return {"delivered": "outbox", "file": str(target), "recipients": recipients}
        try:
            with smtplib.SMTP(params.get("smtp_host", "localhost"), int(params.get("smtp_port", 25)),
                              timeout=30) as smtp:
                smtp.send_message(message)
        except OSError as err:
            raise ConnectorError(f"SMTP: {err}") from err
        return {"delivered": "smtp", "recipients": recipients, "message_id": message["Message-ID"]}
