"""Logging set-up: plain text, or one JSON object per line (``FLOWDESK_LOG_FORMAT=json``).

JSON lines carry the time, level, logger, message, the request id of the request being
served (see :mod:`.request_id`) and any ``extra`` fields a caller passed, so a log
collector can follow one request from its access line to the audit events it wrote.
"""

from __future__ import annotations

import json
import logging
import logging.config
from datetime import UTC, datetime
from typing import Any

from . import request_id

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "request_id",
                                                                        "color_message"}  # uvicorn's ANSI copy


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record (``%(request_id)s`` in text formats)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.current() or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None) or request_id.current()
        if rid and rid != "-":
            line["request_id"] = rid
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def log_config(log_format: str, level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for Flowdesk and uvicorn alike (uvicorn's
    ``log_config``), so access lines and application lines share one format."""
    formatter = ({"()": JsonFormatter} if log_format == "json" else
                 {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"})
    handler = {"class": "logging.StreamHandler", "formatter": "main", "filters": ["request_id"],
               "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"main": formatter},
        "handlers": {"main": handler},
        "root": {"handlers": ["main"], "level": level},
        "loggers": {
            **{name: {"handlers": ["main"], "level": level, "propagate": False}
               for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
            # One line per request with its id and route: in JSON only (in text, uvicorn's
            # access line says the same).
            "flowdesk.requests": {"level": level if log_format == "json" else "WARNING"},
            # SpiffWorkflow logs every task state change at INFO (about eight lines a step):
            # volume and CPU on every server and worker, nothing an operator reads.
            "spiff": {"level": "WARNING"},
        },
    }


def configure_logging(log_format: str, level: str = "INFO") -> None:
    logging.config.dictConfig(log_config(log_format, level))
