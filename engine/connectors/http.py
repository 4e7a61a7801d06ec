"""``http``: call a URL; the response goes into the task data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from .base import BpmnError, CallContext, Connector, ConnectorError
from .outbound import OutboundPolicy


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

    def __init__(self, policy: OutboundPolicy | None = None) -> None:
        self.policy = policy or OutboundPolicy()

    def check_literal(self, name: str, value: Any) -> str | None:
        """Deploy time: a literal URL to an address the outbound policy refuses."""
        return self.policy.literal_problem(value) if name == "url" and isinstance(value, str) else None

    def _client(self, timeout: float) -> httpx.Client:
        transport = httpx.HTTPTransport()
        # Every connection (redirects too) resolves, checks and connects through the policy.
        transport._pool._network_backend = self.policy.backend()
        return httpx.Client(transport=transport, timeout=timeout, trust_env=False)

    def call(self, params: Mapping[str, Any], context: CallContext) -> Any:
        headers = {"Idempotency-Key": context.idempotency_key, **dict(params.get("headers") or {})}
        try:
            with self._client(float(params.get("timeout", 30))) as client:
                response = client.request(params.get("method", "GET"), params["url"], headers=headers,
                                          json=params.get("body"))
        except httpx.HTTPError as err:
            if isinstance(err.__context__, ConnectorError):
                raise err.__context__ from None

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
