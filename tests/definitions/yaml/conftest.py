"""Fixtures for the YAML format tests: cheap hashing and the BPMN/DMN schemas (the helpers
are in tests/support/definitions.py; `stock` and `executor` come from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from lxml import etree

from tests.support.definitions import bpmn_schema, dmn_schema
from tests.support.engines import quick_hashing


@pytest.fixture(autouse=True)
def _quick_hashing() -> Iterator[None]:
    with quick_hashing():
        yield


@pytest.fixture(scope="session")
def bpmn_xsd() -> etree.XMLSchema:
    return bpmn_schema()


@pytest.fixture(scope="session")
def dmn_xsd() -> etree.XMLSchema:
    return dmn_schema()
