"""Submitted data against a form: every error, at its field, in plain language."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from flowdesk.engine.errors import FieldError, InvalidData
from flowdesk.engine.forms import Form, parse_form


def errors_of(form: Form, data: object) -> list[tuple[str, str]]:
    return [(error.path, error.message) for error in form.validate(data)]


def with_changes(data: dict, **changes: object) -> dict:
    changed = copy.deepcopy(data)
    for key, value in changes.items():
        if value is ...:
            del changed[key]
        else:
            changed[key] = value
    return changed


class TestValidData:
    def test_a_complete_purchase_request_is_valid(self, purchase_request, valid_request):
        assert purchase_request.validate(valid_request) == []
        purchase_request.check(valid_request)  # does not raise

    def test_optional_fields_may_be_left_out(self, purchase_request, valid_request):
        minimal = {key: valid_request[key] for key in ("title", "cost_center", "currency", "needed_by", "lines")}
        assert purchase_request.validate(minimal) == []

    def test_validation_does_not_change_the_data(self, purchase_request, valid_request):
        before = copy.deepcopy(valid_request)
        purchase_request.validate(with_changes(valid_request, currency="euro"))
        purchase_request.validate(valid_request)
        assert valid_request == before


class TestErrorKinds:
    def test_a_missing_required_field_is_reported_at_the_field(self, purchase_request, valid_request):
        assert errors_of(purchase_request, with_changes(valid_request, needed_by=...)) == [
            ("/needed_by", "is required")
        ]

    def test_wrong_type(self, purchase_request, valid_request):
        assert errors_of(purchase_request, with_changes(valid_request, title=42)) == [("/title", "must be a string")]

    def test_enum(self, purchase_request, valid_request):
        assert errors_of(purchase_request, with_changes(valid_request, category="furniture")) == [
            ("/category", "must be one of: hardware, software, services, office_supplies")
        ]

    def test_min_and_max_length(self, purchase_request, valid_request):
        assert errors_of(purchase_request, with_changes(valid_request, title="PC")) == [
            ("/title", "must be at least 3 characters long")
        ]
        assert errors_of(purchase_request, with_changes(valid_request, title="x" * 121)) == [
            ("/title", "must be at most 120 characters long")
        ]

    def test_pattern(self, purchase_request, valid_request):
        assert errors_of(purchase_request, with_changes(valid_request, currency="eur")) == [
            ("/currency", "must match the pattern ^[A-Z]{3}$")
        ]

    def test_format_date(self, purchase_request, valid_request):
        for not_a_date in ("2026-02-30", "yesterday", "15.12.2026", "2026-12-15T10:00:00Z"):
            assert errors_of(purchase_request, with_changes(valid_request, needed_by=not_a_date)) == [
                ("/needed_by", "must be a valid date (YYYY-MM-DD)")
            ], not_a_date

    def test_format_date_time(self, purchase_request, valid_request):
        for not_a_date_time in ("2026-11-26T25:00:00Z", "2026-11-26 10:00", "2026-11-26T10:00:00", "now"):
            assert errors_of(purchase_request, with_changes(valid_request, quote_expires_at=not_a_date_time)) == [
                (
                    "/quote_expires_at",
                    "must be a valid date and time (YYYY-MM-DDTHH:MM:SS with Z or an offset such as +01:00)",
                )
            ], not_a_date_time

    def test_format_email(self, purchase_request, valid_request):
        for not_an_email in ("not-an-email", "ana@", "ana garcia@example.com", "ana@example"):
            assert errors_of(purchase_request, with_changes(valid_request, requester_email=not_an_email)) == [
                ("/requester_email", "must be a valid email address")
            ], not_an_email

    def test_additional_properties_are_reported_one_by_one(self, purchase_request, valid_request):
        data = with_changes(valid_request, approved=True, total=4500)
        assert errors_of(purchase_request, data) == [
            ("/approved", "is not allowed here"),
            ("/total", "is not allowed here"),
        ]

    def test_min_items(self, purchase_request, valid_request):
        assert errors_of(purchase_request, with_changes(valid_request, lines=[])) == [
            ("/lines", "must have at least 1 item")
        ]

    def test_nested_array_of_objects(self, purchase_request, valid_request):
        data = copy.deepcopy(valid_request)
        data["lines"][1]["unit_price"] = -5
        assert errors_of(purchase_request, data) == [("/lines/1/unit_price", "must be at least 0")]

    def test_exclusive_minimum_and_maximum(self, purchase_request, valid_request):
        data = copy.deepcopy(valid_request)
        data["lines"][0]["quantity"] = 0
        data["lines"][1]["quantity"] = 10001
        assert errors_of(purchase_request, data) == [
            ("/lines/0/quantity", "must be greater than 0"),
            ("/lines/1/quantity", "must be at most 10000"),
        ]

    def test_nested_required_and_additional_property(self, purchase_request, valid_request):
        data = copy.deepcopy(valid_request)
        del data["lines"][0]["unit_price"]
        data["lines"][0]["discount"] = 0.1
        assert errors_of(purchase_request, data) == [
            ("/lines/0/discount", "is not allowed here"),
            ("/lines/0/unit_price", "is required"),
        ]

    def test_messages_never_echo_the_submitted_value(self, purchase_request, valid_request):
        secret = "IBAN DE89 3704 0044 0532 0130 00"
        for error in purchase_request.validate(with_changes(valid_request, needed_by=secret, title=[secret])):
            assert secret not in error.message


class TestCrossFieldRules:
    def test_comment_is_required_when_rejecting(self, approval):
        assert errors_of(approval, {"decision": "reject"}) == [("/comment", "is required")]

    def test_comment_is_optional_otherwise(self, approval):
        assert approval.validate({"decision": "approve"}) == []
        assert approval.validate({"decision": "reject", "comment": "Over budget"}) == []

    def test_the_enum_message_lists_the_choices(self, approval):
        assert errors_of(approval, {"decision": "maybe"}) == [
            ("/decision", "must be one of: approve, reject, return_for_rework")
        ]

    def test_all_of_branches_report_at_their_real_paths(self):
        form = parse_form(
            "travel.yaml",
            """\
type: object
properties:
  nights: {type: integer}
allOf:
  - properties: {nights: {minimum: 1}}
  - properties: {hotel: {type: object, properties: {stars: {maximum: 5}}}}
""",
        )
        assert errors_of(form, {"nights": 0, "hotel": {"stars": 7}}) == [
            ("/hotel/stars", "must be at most 5"),
            ("/nights", "must be at least 1"),
        ]

    def test_any_of_reports_the_alternative_that_was_meant(self):
        form = parse_form(
            "expense.yaml",
            """\
type: object
properties:
  amount:
    anyOf:
      - {type: string, format: decimal}
      - {type: number, minimum: 0}
""",
        )
        assert errors_of(form, {"amount": "12,50"}) == [("/amount", "must be a decimal number (for example 1234.50)")]
        assert errors_of(form, {"amount": -3}) == [("/amount", "must be at least 0")]
        assert errors_of(form, {"amount": None}) == [("/amount", "must be a string or a number")]

    def test_one_of_with_a_discriminator_reports_the_matching_branch(self):
        form = parse_form(
            "contact.yaml",
            """\
type: object
required: [kind]
oneOf:
  - properties: {kind: {const: person}}
    required: [last_name]
  - properties: {kind: {const: company}}
    required: [company_name]
""",
        )
        assert errors_of(form, {"kind": "company"}) == [("/company_name", "is required")]
        assert errors_of(form, {"kind": "robot"}) == [("/kind", "must be one of: person, company")]

    def test_closed_forms_with_conditional_fields_use_unevaluated_properties(self):
        form = parse_form(
            "leave.yaml",
            """\
type: object
properties:
  kind: {enum: [vacation, sick]}
if: {properties: {kind: {const: sick}}}
then:
  properties: {certificate: {type: string, format: uri}}
unevaluatedProperties: false
""",
        )
        assert form.validate({"kind": "sick", "certificate": "https://files.example.com/c/1"}) == []
        assert errors_of(form, {"kind": "vacation", "certificate": "https://x.example", "extra": 1}) == [
            ("/certificate", "is not allowed here"),
            ("/extra", "is not allowed here"),
        ]
        assert errors_of(form, {"kind": "sick", "certificate": "not a uri"}) == [
            ("/certificate", "must be a valid URI (for example https://example.com/page)")
        ]


class TestReporting:
    def test_all_errors_are_reported_at_once_sorted_by_path(self, purchase_request, valid_request):
        data = copy.deepcopy(valid_request)
        del data["title"]
        data["currency"] = "euro"
        data["needed_by"] = "2026-02-30"
        data["lines"][0]["quantity"] = -1
        data["lines"][1]["unit_price"] = "cheap"
        assert errors_of(purchase_request, data) == [
            ("/currency", "must match the pattern ^[A-Z]{3}$"),
            ("/lines/0/quantity", "must be greater than 0"),
            ("/lines/1/unit_price", "must be a number"),
            ("/needed_by", "must be a valid date (YYYY-MM-DD)"),
            ("/title", "is required"),
        ]

    def test_several_errors_on_one_field_are_all_reported(self, purchase_request, valid_request):
        assert errors_of(purchase_request, with_changes(valid_request, cost_center="")) == [
            ("/cost_center", "must match the pattern ^CC-[0-9]{4}$")
        ]
        form = parse_form(
            "code.yaml",
            "type: object\nproperties:\n  code: {type: string, minLength: 4, pattern: '^[0-9]+$'}\n",
        )
        assert errors_of(form, {"code": "ab"}) == [
            ("/code", "must be at least 4 characters long"),
            ("/code", "must match the pattern ^[0-9]+$"),
        ]

    def test_the_same_error_from_two_rules_is_reported_once(self):
        form = parse_form("dup.yaml", "type: object\nrequired: [a]\nallOf:\n  - required: [a]\n  - {required: [a]}\n")
        assert errors_of(form, {}) == [("/a", "is required")]

    @pytest.mark.parametrize("data", [[], "a string", 42, None, True])
    def test_data_that_is_not_an_object_gives_one_error_at_the_root(self, purchase_request, data):
        assert purchase_request.validate(data) == [FieldError("", "must be an object")]

    def test_pointers_escape_slash_and_tilde(self):
        form = parse_form(
            "odd.json",
            '{"type": "object", "properties": {"a/b": {"type": "string"}, "c~d": {"type": "string"}}}',
        )
        assert errors_of(form, {"a/b": 1, "c~d": 2}) == [
            ("/a~1b", "must be a string"),
            ("/c~0d", "must be a string"),
        ]

    def test_check_raises_invalid_data_with_every_error(self, approval):
        with pytest.raises(InvalidData) as raised:
            approval.check({"decision": "reject", "extra": "ignored by this form"})
        assert raised.value.errors == [FieldError("/comment", "is required")]
        assert raised.value.status == 422

    def test_false_subschemas_are_reported_at_the_field(self):
        form = parse_form("closed.yaml", "type: object\nproperties:\n  legacy_code: false\n")
        assert errors_of(form, {"legacy_code": "X1"}) == [("/legacy_code", "is not allowed here")]


class TestAmounts:
    def test_decimal_text_and_json_numbers_are_accepted(self, purchase_request, valid_request):
        for budget in ("4500", "4500.00", "-12.5", "0.005"):
            assert purchase_request.validate(with_changes(valid_request, budget=budget)) == [], budget

    def test_text_that_is_not_a_plain_decimal_is_rejected(self, purchase_request, valid_request):
        for budget in ("4,500.00", "1e3", "NaN", " 12", "12 EUR", ""):
            assert errors_of(purchase_request, with_changes(valid_request, budget=budget)) == [
                ("/budget", "must be a decimal number (for example 1234.50)")
            ], budget

    def test_numbers_parsed_as_decimal_are_validated_like_numbers(self, purchase_request, valid_request):
        data = copy.deepcopy(valid_request)
        data["lines"][0]["unit_price"] = Decimal("1299.00")
        data["lines"][1]["unit_price"] = Decimal("-0.01")
        assert errors_of(purchase_request, data) == [("/lines/1/unit_price", "must be at least 0")]


def test_the_validator_is_compiled_once_per_form(purchase_request, valid_request):
    validator = purchase_request._validator
    purchase_request.validate(valid_request)
    purchase_request.validate({})
    assert purchase_request._validator is validator
    assert "_validator" not in repr(purchase_request)


def test_forms_compare_by_content_not_by_validator(purchase_request, purchase_request_yaml):
    again = parse_form("purchase_request.yaml", purchase_request_yaml)
    assert again == purchase_request
    assert again._validator is not purchase_request._validator


def test_multiple_of_works_on_exact_decimal_amounts():
    """The API reads amounts as Decimal; multipleOf must neither crash nor round."""
    from decimal import Decimal

    from flowdesk.engine.forms import parse_form

    form = parse_form("money.yaml", "type: object\nproperties:\n  amount: {type: number, multipleOf: 0.01}\n")
    assert form.validate({"amount": Decimal("12.34")}) == []
    assert form.validate({"amount": 0.3}) == []
    (error,) = form.validate({"amount": Decimal("12.345")})
    assert error.path == "/amount"
