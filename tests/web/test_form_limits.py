"""A number field of the web app with thousands of digits is a field error shown next to
the field (422), never a 500 from converting the text to an int (Python refuses to beyond
4,300 digits)."""

from __future__ import annotations

import pytest

from tests.support.browser import Browser, start_requisition

LEAVE = {"f.leave_type": "vacation", "f.start_date": "2026-12-01", "f.end_date": "2026-12-08", "f.days": "6"}


@pytest.mark.parametrize("digits", [101, 4301, 5000, 50_000])
def test_an_integer_with_too_many_digits_is_an_error_at_its_field(browser: Browser, digits: int) -> None:
    browser.login("alice")
    response = browser.post("/processes/leave_request/start", {**LEAVE, "f.days": "9" * digits},
                            csrf_from="/processes/leave_request/start")
    assert response.status_code == 422
    assert 'id="fld-f-days-err"' in response.text and "must have at most 100 digits" in response.text


@pytest.mark.parametrize("digits", [101, 5000, 400_000])
def test_a_number_with_too_many_digits_is_an_error_at_its_field(browser: Browser, digits: int) -> None:
    browser.login("alice")
    response = start_requisition(browser, **{"f.lines.0.quantity": "9" * digits, "f.lines.0.unit_price": "1" * digits})
    assert response.status_code == 422
    html = response.text
    assert 'id="fld-f-lines-0-quantity-err"' in html and 'id="fld-f-lines-0-unit_price-err"' in html
    assert "must have at most 100 digits" in html
