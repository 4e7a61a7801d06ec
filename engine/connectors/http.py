"""``http``: call a URL; the response goes into the task data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from .base import BpmnError, CallContext, Connector, ConnectorError


class HttpConnector(Connector):
    name = "http"
    parameters_schema = {
        "type": "object",
        "required": ["url"],
        "additionalProperties": False,
        "properties": {
            "url": {"type": "string", "pattern": "^https?://"},
            "method": {"enum": ["GET", "POST", "PUT", "PATCH", "DELETE"]},
            "headers": {"type": "object", "additionalProperties": {"type": "string"}},
            "body": {},
            "timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 300},
            "error_codes": {
                "description": "HTTP status -> BPMN error code, for answers the model handles",
                "type": "object", "additionalProperties": {"type": "string"},
            },
        },
    }

    def call(self, params: Mapping[str, Any], context: CallContext) -> Any:
        headers = {"Idempotency-Key": context.idempotency_key, **dict(params.get("headers") or {})}
        try:
            response = httpx.request(
                params.get("method", "GET"), params["url"], headers=headers,
                json=params.get("body"), timeout=float(params.get("timeout", 30)),
            )
        except httpx.HTTPError as err:
            raise ConnectorError(f"{params['url']}: {err}") from err
        code = (params.get("error_codes") or {}).get(str(response.status_code))
        if code:
            raise BpmnError(code, f"{params['url']} answered {response.status_code}")
        if response.status_code >= 500 or response.status_code == 429:
            raise ConnectorError(f"{params['url']} answered {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            body = response.text
        return {"status": response.status_code, "body": body}
