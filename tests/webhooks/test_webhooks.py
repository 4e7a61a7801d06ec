"""Webhooks: an event is delivered to a subscribed URL, signed, retried after a failure."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flowdesk.engine.jobs.executor import JobExecutor

from tests.support.client import assert_problem

SECRET = "a-secret-of-sixteen-or-more"


class Receiver:
    """A local HTTP endpoint that answers 500 to the first request and 204 afterwards."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(500 if len(receiver.requests) == 1 else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/flowdesk"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    made.thread.start()
    yield made
    made.server.shutdown()
    made.server.server_close()


def run_jobs(api) -> None:
    executor = JobExecutor(api.engine.context, worker_id="test-worker")
    while executor.run_due():
        pass


def test_a_delivery_is_signed_and_retried_with_backoff_after_a_failed_first_attempt(api, clock, receiver):
    hook = api.call("POST", "/webhooks", "root", expect=201, json={
        "url": receiver.url, "events": ["task.created"], "secret": SECRET})
    assert "secret" not in hook
    api.start_leave()
    run_jobs(api)
    assert len(receiver.requests) == 1  # refused with 500: tried again later, not at once
    (delivery,) = api.call("GET", f"/webhooks/{hook['id']}/deliveries", "root")["items"]
    assert delivery["status"] == "pending" and delivery["attempts"] == 1 and delivery["last_status_code"] == 500
    clock.advance(seconds=6)  # past the first backoff
    run_jobs(api)
    assert len(receiver.requests) == 2
    (first_headers, first_body), (headers, body) = receiver.requests
    assert body == first_body and headers["idempotency-key"] == first_headers["idempotency-key"]
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["x-flowdesk-signature"] == expected
    event = json.loads(body)
    assert event["type"] == "task.created" and event["definition_key"] == "leave_request"
    (delivery,) = api.call("GET", f"/webhooks/{hook['id']}/deliveries", "root")["items"]
    assert delivery["status"] == "delivered" and delivery["attempts"] == 2
    assert [a["status_code"] for a in delivery["log"]] == [500, 204]
    run_jobs(api)
    assert len(receiver.requests) == 2  # delivered once: nothing more goes out


def test_events_nobody_subscribed_to_are_not_sent(api, receiver):
    api.call("POST", "/webhooks", "root", expect=201, json={
        "url": receiver.url, "events": ["instance.completed"], "secret": SECRET})
    api.start_leave()
    run_jobs(api)
    assert receiver.requests == []


def test_only_admins_manage_webhooks_and_bad_subscriptions_are_refused(api, receiver):
    body = {"url": receiver.url, "events": ["task.created"], "secret": SECRET}
    assert_problem(api.post("/api/v1/webhooks", "alice", json=body), 403)
    assert_problem(api.get("/api/v1/webhooks", "erin"), 403)
    problem = assert_problem(api.post("/api/v1/webhooks", "root", json={**body, "url": "ftp://example.com/x"}), 422)
    assert problem["errors"][0]["path"] == "/url"
    malformed = assert_problem(api.post("/api/v1/webhooks", "root", json={**body, "url": "http://["}), 422)
    assert malformed["errors"][0]["path"] == "/url"  # an unparseable host is refused, not a 500
    assert_problem(api.post("/api/v1/webhooks", "root", json={**body, "secret": "short"}), 422)
    assert_problem(api.get("/api/v1/webhooks/nope/deliveries", "root"), 404)
