"""Field error messages in the reader's language: one translation for the web app and the
API, kept in the engine (engine/forms/reader_messages.py)."""

from __future__ import annotations

from flowdesk.engine.forms.reader_messages import field_message

__all__ = ["field_message"]
