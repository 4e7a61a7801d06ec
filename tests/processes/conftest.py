"""The scenes the process scenarios play in: template databases built once (see
tests/support/database.py) and a scenario (tests/support/scenario.py) on a fresh copy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flowdesk.engine.clock import FakeClock
from flowdesk.engine.config import shipped_definitions

from tests.support.database import build_template
from tests.support.procure_to_pay import FILES, P2P, SEED, USERS
from tests.support.scenario import BUSINESS_PEOPLE, Scenario, open_scenario


# -- the business of lead_to_cash and complaint_handling: every shipped process and seed -----------
@pytest.fixture(scope="session")
def business_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("business") / "flowdesk.db", BUSINESS_PEOPLE,
                          paths=shipped_definitions(), seed=True)


@pytest.fixture
def biz(business_template: Path, tmp_path: Path, clock: FakeClock) -> Iterator[Scenario]:
    """The business on a fresh copy; `later` lands a second past the instant it is asked for."""
    with open_scenario(business_template, tmp_path, clock, later_margin=1) as business:
        yield business


# -- procure_to_pay on its own files and reference data (test_procure_to_pay, test_audit_trail) ----
@pytest.fixture(scope="session")
def p2p_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("p2p") / "flowdesk.db", USERS, paths=FILES, seed=[SEED])


@pytest.fixture
def p2p(p2p_template: Path, tmp_path: Path) -> Iterator[P2P]:
    with open_scenario(p2p_template, tmp_path, scenario=P2P) as scenario:
        yield scenario
