"""Shared form fixtures: a realistic purchase request and an approval decision.

Written here rather than under forms/ so the tests stay independent of the shipped
definitions.
"""

from __future__ import annotations

import json

import pytest
import yaml
from flowdesk.engine.forms import Form, parse_form

PURCHASE_REQUEST_YAML = """\
$schema: https://json-schema.org/draft/2020-12/schema
title: Purchase request
x-title-i18n: {en: Purchase request, zh-CN: 采购申请}
type: object
additionalProperties: false
required: [title, cost_center, currency, needed_by, lines]
properties:
  title: {type: string, minLength: 3, maxLength: 120}
  cost_center: {type: string, pattern: "^CC-[0-9]{4}$"}
  currency:
    description: ISO 4217 currency code
    type: string
    pattern: "^[A-Z]{3}$"
  needed_by: {type: string, format: date}
  requester_email: {type: string, format: email}
  quote_expires_at: {type: string, format: date-time}
  category: {enum: [hardware, software, services, office_supplies]}
  justification:
    type: string
    maxLength: 2000
    x-description-i18n: {en: "Why is this needed?", de: "Warum wird das benötigt?"}
  budget: {description: Approved budget as an exact amount, type: string, format: decimal}
  lines:
    type: array
    minItems: 1
    items:
      type: object
      additionalProperties: false
      required: [item, quantity, unit_price]
      properties:
        item: {type: string, minLength: 1}
        description: {type: string}
        quantity: {type: number, exclusiveMinimum: 0, maximum: 10000}
        unit_price: {type: number, minimum: 0}
"""

PURCHASE_REQUEST_UI_YAML = """\
order: [title, cost_center, currency, needed_by, lines, justification]
title: {en: Purchase request, zh-CN: 采购申请}
fields:
  justification:
    {widget: textarea, help: "Why is this needed?", placeholder: "...", readonly: false, hidden: false}
  lines: {widget: table, columns: [item, quantity, unit_price]}
  budget: {widget: money, currency_field: currency}
"""

APPROVAL_YAML = """\
title: Approval decision
type: object
required: [decision]
properties:
  decision: {enum: [approve, reject, return_for_rework]}
  comment: {type: string, minLength: 1}
if:
  properties: {decision: {const: reject}}
  required: [decision]
then:
  required: [comment]
"""


@pytest.fixture
def purchase_request_yaml() -> str:
    return PURCHASE_REQUEST_YAML


@pytest.fixture
def purchase_request_ui_yaml() -> str:
    return PURCHASE_REQUEST_UI_YAML


@pytest.fixture
def purchase_request() -> Form:
    return parse_form("purchase_request.yaml", PURCHASE_REQUEST_YAML)


@pytest.fixture
def purchase_request_json() -> str:
    """The same form written as JSON."""
    return json.dumps(yaml.safe_load(PURCHASE_REQUEST_YAML), indent=2, ensure_ascii=False)


@pytest.fixture
def approval() -> Form:
    return parse_form("approval.yaml", APPROVAL_YAML)


@pytest.fixture
def valid_request() -> dict:
    return {
        "title": "New laptops for the sales team",
        "cost_center": "CC-4100",
        "currency": "EUR",
        "needed_by": "2026-12-15",
        "requester_email": "ana.garcia@example.com",
        "quote_expires_at": "2026-11-30T17:00:00+01:00",
        "category": "hardware",
        "justification": "Three laptops are out of warranty.",
        "budget": "4500.00",
        "lines": [
            {"item": "Laptop 14in", "quantity": 3, "unit_price": 1299.0},
            {"item": "Docking station", "description": "USB-C", "quantity": 3, "unit_price": 189.5},
        ],
    }
