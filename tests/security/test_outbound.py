"""Connectors do not reach internal destinations: refused after name resolution at run
time (and for literal URLs at deploy), unless FLOWDESK_OUTBOUND_ALLOW names them; the
SMTP server comes from configuration only."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from flowdesk.engine.config import Settings
from flowdesk.engine.connectors.outbound import OutboundPolicy, OutboundRefused
from flowdesk.engine.definitions.sources import SourceFile
from flowdesk.engine.errors import DefinitionInvalid
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.jobs.executor import JobExecutor

from tests.support.engines import make_engine
from tests.support.paths import BACKGROUND

INTERNAL_URLS = [
    "http://169.254.169.254/latest/meta-data/",
    "http://127.0.0.1:8000/api/v1/health",
    "http://[::1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://10.1.2.3/",
    "http://192.168.0.1/",
    "http://0.0.0.0/",
    "http://localhost:5432/",
    "https://db.localhost/",
]


def service_model(url_param: str, operator: str = "http") -> SourceFile:
    text = (BACKGROUND / "stock.bpmn").read_text()
    text = text.replace('id="test_stock"', f'id="{operator}"').replace(
        '<spiffworkflow:parameter id="item" type="str" value="item"/>\n'
        '            <spiffworkflow:parameter id="quantity" type="int" value="quantity"/>',
        url_param)
    return SourceFile("stock.bpmn", text.encode())


def url_literal(url: str) -> str:
    return f'<spiffworkflow:parameter id="url" type="str" value="\'{url}\'"/>'


@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_a_literal_internal_url_is_refused_at_deploy_naming_the_element(engine, url):
    with pytest.raises(DefinitionInvalid) as err:
        engine.repository.deploy([service_model(url_literal(url))], by=SYSTEM)
    (problem,) = err.value.problems
    assert "service task 'reserve'" in problem.message and "outbound policy" in problem.message


def test_an_allowed_internal_url_deploys(sqlite_url, clock):
    engine = make_engine(sqlite_url, clock, outbound_allow=("169.254.0.0/16",))
    engine.repository.deploy([service_model(url_literal("http://169.254.169.254/x"))], by=SYSTEM)
    engine.close()


def test_a_model_cannot_name_the_smtp_server(engine):
    param = ('<spiffworkflow:parameter id="to" type="str" value="\'a@example.com\'"/>'
             '<spiffworkflow:parameter id="subject" type="str" value="\'hi\'"/>'
             '<spiffworkflow:parameter id="smtp_host" type="str" value="\'10.0.0.5\'"/>'
             '<spiffworkflow:parameter id="smtp_port" type="int" value="2525"/>')
    with pytest.raises(DefinitionInvalid) as err:
        engine.repository.deploy([service_model(param, "email")], by=SYSTEM)
    messages = " ".join(p.message for p in err.value.problems)
    assert "service task 'reserve'" in messages and "no parameter 'smtp_host'" in messages
    assert "no parameter 'smtp_port'" in messages


def test_smtp_settings_come_from_the_environment():
    settings = Settings.from_env({"FLOWDESK_SMTP_HOST": "mail.internal", "FLOWDESK_SMTP_PORT": "2525",
                                  "FLOWDESK_OUTBOUND_ALLOW": "10.0.0.0/8, api.internal"})
    assert (settings.smtp_host, settings.smtp_port) == ("mail.internal", 2525)
    assert settings.outbound_allow == ("10.0.0.0/8", "api.internal")


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "0177.0.0.1", "2130706433", "169.254.169.254",
                                  "::1"])
def test_names_and_odd_spellings_are_checked_after_resolution(host):
    with pytest.raises(OutboundRefused):
        OutboundPolicy().resolve(host, 80)
    assert OutboundPolicy(["127.0.0.0/8", "::1", "169.254.169.254"]).resolve(host, 80)


class _Server:
    def __init__(self) -> None:
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.hits += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args):
                pass

        self.httpd = HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def internal_server():
    server = _Server()
    yield server
    server.httpd.shutdown()


def run_call(engine, url: str) -> dict:
    engine.repository.deploy([service_model('<spiffworkflow:parameter id="url" type="str" value="target"/>')],
                             by=SYSTEM)
    started = engine.instances.start_instance("stock", {"target": url}, by=SYSTEM)
    JobExecutor(engine.context, worker_id="test").run_due()
    return engine.instances.get_instance(started["id"], by=SYSTEM)


def test_a_url_from_data_to_an_internal_host_fails_the_step_without_a_request(engine, internal_server):
    done = run_call(engine, f"http://localhost:{internal_server.port}/")
    assert done["status"] == "failed" and internal_server.hits == 0
    (incident,) = engine.management.list_incidents(by=SYSTEM).items
    assert "outbound policy" in incident["message"]


def test_the_allowlist_lets_a_named_internal_host_through(sqlite_url, clock, internal_server):
    engine = make_engine(sqlite_url, clock, outbound_allow=("127.0.0.1", "::1"))
    done = run_call(engine, f"http://localhost:{internal_server.port}/")
    assert internal_server.hits == 1 and done["status"] == "completed", done
    engine.close()
