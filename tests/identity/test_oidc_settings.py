"""Single sign-on is configured from the environment, and a mistake is said at start."""

from __future__ import annotations

import pytest
from flowdesk.engine.config import OidcSettings, Settings
from flowdesk.engine.errors import BadRequest
from flowdesk.engine.identity.oidc import OidcProvider


def test_the_provider_and_group_mapping_come_from_the_environment():
    settings = Settings.from_env({
        "FLOWDESK_OIDC_ISSUER": "https://login.example.com/realms/acme/",
        "FLOWDESK_OIDC_CLIENT_ID": "flowdesk", "FLOWDESK_OIDC_CLIENT_SECRET": "s3cret",
        "FLOWDESK_OIDC_GROUPS_CLAIM": "roles",
        "FLOWDESK_OIDC_GROUP_MAPPING": "Finance=finance_controllers, Finance=employees,IT Admins=admin",
    }).oidc
    assert settings.enabled and settings.issuer == "https://login.example.com/realms/acme"
    assert settings.groups_claim == "roles"
    assert settings.group_mapping == (("Finance", "finance_controllers"), ("Finance", "employees"),
                                      ("IT Admins", "admin"))
    assert not Settings.from_env({}).oidc.enabled


@pytest.mark.parametrize("env", [
    {"FLOWDESK_OIDC_ISSUER": "https://login.example.com"},
    {"FLOWDESK_OIDC_GROUP_MAPPING": "Finance"},
])
def test_an_incomplete_configuration_is_refused(env):
    with pytest.raises(BadRequest):
        Settings.from_env(env)


def test_groups_map_through_the_mapping_or_pass_as_they_are_without_one():
    mapped = OidcProvider(OidcSettings(issuer="x", client_id="y", group_mapping=(("Finance", "finance"),)))
    assert mapped.map_groups(["Finance", "Sales"]) == ("finance",)
    plain = OidcProvider(OidcSettings(issuer="x", client_id="y"))
    assert plain.map_groups("sales hr,bad!name") == ("hr", "sales")
    assert plain.map_groups({"not": "a list"}) == ()
