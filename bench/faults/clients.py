"""Clients that keep working through faults, and remember every answer they got.

Each client is a thread with one keep-alive HTTP connection. It starts an instance of
the order model, completes its tasks one after the other (each completion writes a
marker of its own into the instance data), and starts the next. What it does on each
answer is what a careful real client does:

- 200: go on with the next task the response names;
- 503: wait ``Retry-After`` (at most 2 s) and send the same completion again;
- 409 or another 4xx: the task is gone (say, an earlier attempt did commit): read the
  instance and go on with what is open;
- no answer (refused, reset, timeout) or another 5xx: the outcome is unknown: wait a
  little, read the instance, and retry the task if it is still open.

Every completion attempt becomes an :class:`~bench.faults.invariants.Attempt`; every
request, of any kind, a :class:`Sample` (when, what, status, latency) for the timelines.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass

from ..baseline import ORDER_LINE, start_data
from ..databases import CLERK, CLERK_PASSWORD
from ..engine_throughput import PROCESS
from .invariants import Attempt, mark_key

RETRY_AFTER_CAP = 2.0
PAUSE_AFTER_FAILURE = 0.2


@dataclass(frozen=True)
class Sample:
    at: float              # monotonic seconds when the request was sent
    kind: str              # start / complete / read
    status: int | None     # None: no answer
    seconds: float         # latency (to the answer or the failure)
    retry_after: bool = False


@dataclass
class OpenTask:
    task_id: str
    instance_id: str
    element_id: str


class Recorder:
    """What every client saw; appended from many threads."""

    def __init__(self) -> None:
        self.attempts: list[Attempt] = []
        self.samples: list[Sample] = []
        self._lock = threading.Lock()

    def sample(self, sample: Sample) -> None:
        with self._lock:
            self.samples.append(sample)

    def attempt(self, attempt: Attempt) -> None:
        with self._lock:
            self.attempts.append(attempt)

    def between(self, start: float, end: float, kind: str | None = None) -> list[Sample]:
        with self._lock:
            return [s for s in self.samples if start <= s.at < end and (kind is None or s.kind == kind)]


def login(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        body = urllib.parse.urlencode({"username": CLERK.username, "password": CLERK_PASSWORD,
                                       "grant_type": "password"})
        conn.request("POST", "/api/v1/auth/token", body, {"Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        payload = response.read()
        if response.status != 200:
            raise RuntimeError(f"login failed: {response.status} {payload[:300]!r}")
        return json.loads(payload)["access_token"]
    finally:
        conn.close()


def health(port: int) -> int | None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/api/v1/health")
        return conn.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


class Client(threading.Thread):
    def __init__(self, name: str, port: int, token: str, recorder: Recorder, stop: threading.Event,
                 timeout: float = 30.0) -> None:
        super().__init__(name=name, daemon=True)
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.recorder = recorder
        self.stopping = stop
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None
        self.seq = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            task: OpenTask | None = None
            while not self.stopping.is_set():
                task = self.complete(task) if task else self.start_instance()
        except BaseException as err:  # reported by the scenario, never swallowed
            self.error = err
        finally:
            if self.conn is not None:
                self.conn.close()

    # -- one request -------------------------------------------------------------------------
    def request(self, kind: str, method: str, path: str, body: dict | None = None):
        """(status or None, headers, parsed JSON or None); a failed connection is dropped."""
        began = time.monotonic()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            self.conn.request(method, path, json.dumps(body) if body is not None else None, self.headers)
            response = self.conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            self.recorder.sample(Sample(began, kind, None, time.monotonic() - began))
            return None, {}, None
        headers = {k.lower(): v for k, v in response.getheaders()}
        self.recorder.sample(Sample(began, kind, response.status, time.monotonic() - began,
                                    "retry-after" in headers))
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = None
        return response.status, headers, payload

    def wait_after(self, status: int | None, headers: dict) -> None:
        if status == 503:
            try:
                delay = min(float(headers.get("retry-after", 1)), RETRY_AFTER_CAP)
            except ValueError:
                delay = 1.0
            self.stopping.wait(delay)
        else:
            self.stopping.wait(PAUSE_AFTER_FAILURE)

    # -- the work ----------------------------------------------------------------------------
    def start_instance(self) -> OpenTask | None:
        self.seq += 1
        status, headers, payload = self.request("start", "POST", f"/api/v1/definitions/{PROCESS}/instances",
                                                {"data": start_data(self.seq)})
        if status == 201 and payload:
            return first_open(payload)
        self.wait_after(status, headers)
        return None

    def complete(self, task: OpenTask) -> OpenTask | None:
        self.seq += 1
        marker = f"{self.name}-{self.seq}"
        data = {**ORDER_LINE, mark_key(task.element_id): marker}
        sent = time.monotonic()
        status, headers, payload = self.request("complete", "POST", f"/api/v1/tasks/{task.task_id}/complete",
                                                {"data": data})
        self.recorder.attempt(Attempt(task.task_id, task.instance_id, task.element_id, marker, status, sent))
        if status == 200 and payload:
            return first_open(payload["instance"])
        self.wait_after(status, headers)
        if status == 503:
            return task  # nothing was written: the same completion again
        return self.refresh(task.instance_id)

    def refresh(self, instance_id: str) -> OpenTask | None:
        """What is open in the instance now (None: it ended); retried until the server answers."""
        while not self.stopping.is_set():
            status, headers, payload = self.request("read", "GET", f"/api/v1/instances/{instance_id}")
            if status == 200 and payload:
                return first_open(payload)
            if status is not None and 400 <= status < 500:
                return None
            self.wait_after(status, headers)
        return None


def first_open(instance: dict) -> OpenTask | None:
    open_tasks = instance.get("open_tasks") or []
    if not open_tasks:
        return None
    first = open_tasks[0]
    return OpenTask(first["id"], instance["id"], first["element_id"])


class Load:
    """``count`` clients working until :meth:`stop`."""

    def __init__(self, port: int, token: str, count: int, recorder: Recorder | None = None) -> None:
        self.recorder = recorder or Recorder()
        self.stopping = threading.Event()
        self.clients = [Client(f"c{n}", port, token, self.recorder, self.stopping) for n in range(count)]

    def __enter__(self) -> Load:
        for client in self.clients:
            client.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()

    def stop(self) -> None:
        self.stopping.set()
        for client in self.clients:
            client.join(60)
        errors = [c.error for c in self.clients if c.error is not None]
        if errors:
            raise RuntimeError(f"a client crashed: {errors[0]!r}") from errors[0]
