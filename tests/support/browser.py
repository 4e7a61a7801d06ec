"""The web app's client: a TestClient with a cookie jar that fills in the CSRF token like a
browser's form would, and runs the background work a page's action leaves behind."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from flowdesk.api.demo import DEMO_PASSWORD
from flowdesk.engine.config import shipped_definitions
from flowdesk.engine.jobs.executor import JobExecutor
from flowdesk.engine.process_engine import ProcessEngine

from .paths import leave_request_files

_PROCESSES, _FORMS = shipped_definitions()
#: What the web tests' template database has deployed: procure-to-pay and the leave request.
WEB_FILES = (*sorted(_PROCESSES.glob("procure_to_pay*.yaml")), *sorted(_FORMS.glob("p2p_*.yaml")),
             *leave_request_files())
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

#: A procure-to-pay requisition as the start page's form fields.
REQUISITION = {
    "f.title": "Ergonomic chairs for support",
    "f.cost_center": "CC-100",
    "f.category": "indirect_material",
    "f.currency": "EUR",
    "f.needed_by": "2026-02-02",
    "f.lines.__rows": "1",
    "f.lines.0.item": "CHAIR-TASK",
    "f.lines.0.description": "Ergonomic task chair",
    "f.lines.0.quantity": "4",
    "f.lines.0.unit_price": "390.00",
    "f.justification": "",
}


@dataclass
class Browser:
    """A TestClient with a cookie jar that fills in the CSRF token like a browser's form would."""

    client: TestClient
    engine: ProcessEngine
    outbox: Path

    def get(self, path: str, **kwargs: Any):
        return self.client.get(path, **kwargs)

    def csrf(self, path: str = "/login") -> str:
        found = CSRF.search(self.client.get(path).text)
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    def post(self, path: str, data: dict[str, Any] | None = None, csrf_from: str | None = None, **kwargs: Any):
        token = self.csrf(csrf_from or "/login")
        kwargs.setdefault("follow_redirects", False)
        return self.client.post(path, data={"csrf_token": token, **(data or {})}, **kwargs)

    def run_jobs(self) -> None:
        """Run the background work that is due (service calls, timers) until none is left."""
        executor = JobExecutor(self.engine.context, worker_id="web-test", outbox_dir=self.outbox)
        for _ in range(100):
            if not executor.run_due():
                return
        raise AssertionError("background work does not settle")

    def login(self, username: str, password: str = DEMO_PASSWORD):
        response = self.post("/login", {"username": username, "password": password, "next": "/"})
        assert response.status_code == 303, response.text
        return response


def start_requisition(browser: Browser, **changes: str):
    response = browser.post("/processes/procure_to_pay/start", {**REQUISITION, **changes},
                            csrf_from="/processes/procure_to_pay/start")
    browser.run_jobs()
    return response


def task_ids(html: str) -> list[str]:
    return re.findall(r'href="/tasks/([0-9a-f-]{36})"', html)
