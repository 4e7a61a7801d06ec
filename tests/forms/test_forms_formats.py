"""Formats are enforced, not merely annotated."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flowdesk.engine.forms import FORMAT_CHECKER, known_formats, parse_form
from flowdesk.engine.forms.formats import is_date_time, is_decimal, is_email, is_time, is_uri

REQUIRED_FORMATS = ("date", "date-time", "time", "email", "uri", "uuid", "ipv4", "decimal")


def field_form(fmt: str, type_: str = "string"):
    return parse_form(f"{fmt}.yaml", f"type: object\nproperties:\n  value: {{type: {type_}, format: {fmt}}}\n")


def test_every_required_format_is_checked_by_the_installed_checker():
    assert set(REQUIRED_FORMATS) <= set(FORMAT_CHECKER.checkers)
    assert known_formats() == sorted(FORMAT_CHECKER.checkers)


@pytest.mark.parametrize(
    ("fmt", "good", "bad"),
    [
        ("date", ["2026-02-28", "2024-02-29"], ["2026-02-30", "yesterday", "2026-2-3", "2023-02-29"]),
        (
            "date-time",
            ["2026-11-26T14:30:00Z", "2026-11-26T14:30:00.5+01:00"],
            ["2026-11-26T25:00:00Z", "2026-11-26", "2026-11-26T14:30:00", "tomorrow 9am"],
        ),
        ("time", ["14:30:00Z", "08:00:00+02:00"], ["25:00:00Z", "14:30", "noon"]),
        (
            "email",
            ["ana@example.com", "a.b+c@mail.example.co.uk"],
            ["not-an-email", "a@b", "a@@b.com", "@x.com"],
        ),
        (
            "uri",
            ["https://example.com/x?y=1", "urn:isbn:0451450523"],
            ["not a uri", "/relative/path", "example.com"],
        ),
        ("uuid", ["2f1c7a9e-7d1b-4a8e-9b3e-2d4c6f8a0b1c"], ["2f1c7a9e7d1b4a8e9b3e2d4c6f8a0b1c", "x"]),
        ("ipv4", ["192.168.0.1"], ["256.1.1.1", "1.2.3", "::1"]),
    ],
)
def test_formats_accept_good_values_and_reject_bad_ones(fmt, good, bad):
    form = field_form(fmt)
    for value in good:
        assert form.validate({"value": value}) == [], value
    for value in bad:
        assert [e.path for e in form.validate({"value": value})] == ["/value"], value


def test_a_format_only_judges_values_of_its_own_kind():
    form = parse_form("x.yaml", "type: object\nproperties:\n  when: {format: date}\n")
    assert form.validate({"when": 20261231}) == []  # `type` would be the rule for that


class TestDecimal:
    @pytest.mark.parametrize("value", ["0", "1234.50", "-0.5", "+3", ".5", "1.", 12, 12.5, Decimal("9.99")])
    def test_decimals(self, value):
        assert is_decimal(value)

    @pytest.mark.parametrize(
        "value",
        ["", "1e3", "1_000", "NaN", "Infinity", " 1", "1,5", "12 EUR", float("nan"), Decimal("Infinity")],
    )
    def test_not_decimals(self, value):
        assert not is_decimal(value)

    def test_a_number_field_with_decimal_format_accepts_json_numbers(self):
        form = field_form("decimal", "number")
        assert form.validate({"value": 10.25}) == []


class TestFallbackChecks:
    """Used only when the format-nongpl extra's libraries are missing; tested directly
    so they hold the same line as the libraries."""

    def test_date_time(self):
        assert is_date_time("2026-11-26T14:30:00Z")
        assert is_date_time("2026-11-26t14:30:00.123-05:30")
        assert is_date_time("2016-12-31T23:59:60Z")  # leap second
        for bad in (
            "2026-11-26T25:00:00Z",
            "2026-02-30T10:00:00Z",
            "2026-11-26T10:00:00",
            "2026-11-26 10:00:00Z",
        ):
            assert not is_date_time(bad), bad

    def test_time(self):
        assert is_time("14:30:00Z")
        assert not is_time("14:60:00Z")
        assert not is_time("14:30:00")
        assert not is_time("14:30:00+24:00")

    def test_uri(self):
        assert is_uri("https://example.com/a b".replace(" ", "%20"))
        assert not is_uri("https://example.com/a b")
        assert not is_uri("no-scheme.example.com")

    def test_email_is_stricter_than_just_an_at_sign(self):
        assert is_email("ana@example.com")
        assert not is_email("ana@example")
        assert not is_email("ana @example.com")

    def test_non_text_is_left_to_type(self):
        assert is_date_time(5) and is_time(None) and is_uri(1.5) and is_email(True)
