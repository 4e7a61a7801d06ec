"""A schema-driven fuzz run of the OpenAPI document (schemathesis): whatever a client sends,
valid or not, the server never answers with a 5xx.

Every operation is one test, fuzzed with valid and invalid requests as an admin (the role
that may use the most endpoints) against one database for the module. The example budget
is small so the suite stays fast; raise FUZZ_EXAMPLES for a longer hunt.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from flowdesk.api.app import create_app
from flowdesk.engine.clock import FakeClock
from flowdesk.engine.config import Settings
from flowdesk.engine.process_engine import ProcessEngine
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.support.client import make_api
from tests.support.database import copy_database

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))


def _cases() -> list:
    """Every documented operation with valid requests, and those that take more than path ids
    also with invalid ones (building the document needs no database)."""
    document = create_app(ProcessEngine(Settings(database_url="sqlite://", definitions=()), migrate=False)).openapi()
    cases = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            cases.append(pytest.param(GenerationMode.POSITIVE, method.upper(), path, id=f"valid {method} {path}"))
            # Only a body or a query or header parameter can be made invalid (any text is a valid path id).
            if operation.get("requestBody") or any(p["in"] != "path" for p in operation.get("parameters", [])):
                cases.append(pytest.param(GenerationMode.NEGATIVE, method.upper(), path,
                                          id=f"invalid {method} {path}"))
    return cases


@pytest.fixture(scope="module")
def fuzzed(template_db, tmp_path_factory):
    db = tmp_path_factory.mktemp("fuzz") / "flowdesk.db"
    api = make_api(copy_database(template_db, db), FakeClock())
    with api.client:
        api.schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app)
        yield api
    api.engine.close()


@pytest.mark.parametrize("mode,method,path", _cases())
def test_no_request_makes_the_server_fail(fuzzed, mode, method, path):
    operation = fuzzed.schema[path][method]
    headers = fuzzed.headers("root")

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def fuzz(case):
        case.call_and_validate(headers=headers, checks=[not_a_server_error])

    fuzz()
