"""``flowdesk users``: passwords, groups, deactivation and API keys from the command line."""

from __future__ import annotations

import json

import pytest
from flowdesk.engine.config import Settings
from flowdesk.engine.errors import Unauthorized
from flowdesk.engine.process_engine import ProcessEngine

from tests.cli.test_cli import flowdesk  # noqa: F401 - the fixture


def _engine(tmp_path) -> ProcessEngine:
    return ProcessEngine(Settings(database_url=f"sqlite:///{tmp_path / 'cli.db'}", definitions=()), migrate=False)


def test_accounts_are_administered_from_the_command_line(flowdesk, tmp_path):  # noqa: F811
    flowdesk("db", "upgrade")
    flowdesk("users", "create", "ian", "--password", "ian-password", "--groups", "integration")
    flowdesk("users", "create", "bob", "--password", "bob-password", "--groups", "employees")

    assert "new-password" not in flowdesk("users", "set-password", "bob", "--password", "new-password").stdout
    assert json.loads(flowdesk("users", "groups", "bob", "employees,hr", "--json").stdout)["groups"] == [
        "employees", "hr"]

    created = json.loads(flowdesk("users", "api-keys", "create", "ian", "--name", "ERP", "--json").stdout)
    listed = json.loads(flowdesk("users", "api-keys", "list", "ian", "--json").stdout)
    assert [k["id"] for k in listed] == [created["id"]] and "key" not in listed[0]

    engine = _engine(tmp_path)
    try:
        assert engine.identity.login("bob", "new-password").username == "bob"
        assert engine.accounts.authenticate_api_key(created["key"]).username == "ian"
    finally:
        engine.close()

    flowdesk("users", "api-keys", "revoke", "ian", created["id"])
    deactivated = flowdesk("users", "deactivate", "bob")
    assert "deactivated bob" in deactivated.stdout

    engine = _engine(tmp_path)
    try:
        with pytest.raises(Unauthorized):
            engine.identity.login("bob", "new-password")
        with pytest.raises(Unauthorized):
            engine.accounts.authenticate_api_key(created["key"])
    finally:
        engine.close()
