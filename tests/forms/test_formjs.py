"""form-js forms (Camunda's ``.form`` files) become Flowdesk forms that accept what form-js
accepts and reject what it rejects, each error at the field's JSON Pointer.

The first half needs no corpus: small inline form-js documents specify the converter.
The second half runs every form-js document of ../shared/corpus (skipped without it):
each converts, loads with `parse_form`, accepts data form-js would submit and rejects
data form-js would refuse.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from flowdesk.engine.errors import DefinitionInvalid
from flowdesk.engine.forms import (
    ConversionError,
    ConvertedForm,
    Form,
    feel_lite,
    form_problems,
    formjs_to_form,
    is_form_file,
    is_formjs_document,
    pair_form_files,
    parse_form,
)
from flowdesk.engine.forms.messages import pointer
from flowdesk.web import forms as web_forms

from tests.support.paths import CORPUS as SHARED_CORPUS

#: ../shared/corpus, or FLOWDESK_TEST_CORPUS where a checkout sits elsewhere (a git worktree).
CORPUS = Path(os.environ.get("FLOWDESK_TEST_CORPUS") or SHARED_CORPUS)


def formjs(*components: dict, **extra: Any) -> bytes:
    return json.dumps({"type": "default", "id": "Form_test", "schemaVersion": 18,
                       "components": list(components), **extra}).encode()


def convert(*components: dict) -> ConvertedForm:
    return formjs_to_form("test.form", formjs(*components))


def form_of(*components: dict) -> Form:
    return parse_form("test.form", formjs(*components))


def errors_of(form: Form, data: Any, context: dict | None = None) -> list[tuple[str, str]]:
    return [(error.path, error.message) for error in form.validate(data, context)]


def paths_of(form: Form, data: Any, context: dict | None = None) -> list[str]:
    return [path for path, _ in errors_of(form, data, context)]


def textfield(key: str, **extra: Any) -> dict:
    return {"type": "textfield", "key": key, "label": key.title(), **extra}


# == without the corpus ==================================================================================
class TestDocuments:
    def test_the_result_holds_schema_hints_form_id_and_warnings(self):
        converted = convert(textfield("name"))
        assert converted.form_id == "Form_test"
        assert converted.schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert converted.schema["type"] == "object"
        assert converted.schema["additionalProperties"] is False
        assert converted.schema["x-form-id"] == "Form_test"
        assert converted.ui == {"order": ["name"]}
        assert converted.warnings == []

    @pytest.mark.parametrize(("content", "path"), [
        (b"not json", ""),
        (b"[1, 2]", ""),
        (b'{"type": "object", "properties": {}}', "/components"),
        (b'{"type": "wizard", "components": []}', "/type"),
        (b'{"components": [3]}', "/components/0"),
        (b'{"components": [{"label": "no type"}]}', "/components/0/type"),
        (b'{"components": [{"type": "group", "components": [{"type": 1}]}]}', "/components/0/components/0/type"),
        (b'{"components": [{"type": "dynamiclist", "components": []}]}', "/components/0/path"),
        (b'{"id": 5, "components": []}', "/id"),
    ])
    def test_input_that_is_not_a_form_js_document_is_refused_with_its_place(self, content, path):
        with pytest.raises(ConversionError) as caught:
            formjs_to_form("bad.form", content)
        assert caught.value.path == path

    def test_two_fields_bound_to_one_key_are_refused(self):
        with pytest.raises(ConversionError) as caught:
            convert(textfield("name"), textfield("name"))
        assert caught.value.path == "/components/1/key"
        assert "already claimed" in caught.value.message

    def test_a_key_cannot_be_both_a_value_and_an_object(self):
        with pytest.raises(ConversionError) as caught:
            convert(textfield("address"), textfield("address.city"))
        assert caught.value.path == "/components/1/key"

    def test_a_form_js_document_is_told_from_a_json_schema(self):
        assert is_formjs_document({"type": "default", "components": []})
        assert is_formjs_document({"schemaVersion": 4, "components": []})
        assert not is_formjs_document({"type": "object", "properties": {"components": {}}})


class TestFieldTypes:
    def test_text_fields_are_strings_with_titles_and_descriptions(self):
        schema = convert(textfield("name", description="Your full name"),
                         {"type": "textarea", "key": "notes", "label": "Notes"}).schema
        assert schema["properties"]["name"] == {"title": "Name", "description": "Your full name",
                                                "type": ["string", "null"]}
        assert schema["properties"]["notes"]["type"] == ["string", "null"]

    def test_a_textarea_is_hinted_as_one(self):
        assert convert({"type": "textarea", "key": "notes"}).ui["fields"] == {"notes": {"widget": "textarea"}}

    def test_numbers_checkboxes_and_dates(self):
        schema = convert({"type": "number", "key": "amount"}, {"type": "checkbox", "key": "ok"},
                         {"type": "datetime", "key": "day", "subtype": "date", "dateLabel": "Day"}).schema
        assert schema["properties"]["amount"]["type"] == ["number", "null"]
        assert schema["properties"]["ok"]["type"] == ["boolean", "null"]
        assert schema["properties"]["day"] == {"title": "Day", "type": ["string", "null"], "format": "date"}

    def test_static_options_become_an_enum_with_labels(self):
        options = [{"label": "Approve", "value": "approve"}, {"label": "Reject", "value": "reject"}]
        converted = convert({"type": "radio", "key": "decision", "values": options,
                             "validate": {"required": True}},
                            {"type": "select", "key": "channel", "values": options})
        assert converted.schema["properties"]["decision"]["enum"] == ["approve", "reject"]
        assert converted.schema["properties"]["decision"]["x-enum-titles"] == {"approve": "Approve",
                                                                               "reject": "Reject"}
        assert converted.schema["properties"]["channel"]["enum"] == ["approve", "reject", None]
        assert converted.ui["fields"]["decision"] == {"widget": "radio"}

    def test_checklists_and_taglists_are_lists_of_distinct_options(self):
        options = [{"label": "A", "value": "a"}, {"label": "B", "value": "b"}]
        schema = convert({"type": "checklist", "key": "picked", "values": options},
                         {"type": "taglist", "key": "tags", "values": options}).schema
        for name in ("picked", "tags"):
            assert schema["properties"][name]["items"]["enum"] == ["a", "b"]
            assert schema["properties"][name]["uniqueItems"] is True

    def test_options_read_at_run_time_become_text_with_a_warning(self):
        converted = convert({"type": "select", "key": "supplier", "valuesKey": "suppliers"},
                            {"type": "checklist", "key": "lines", "valuesExpression": "=items"})
        assert converted.schema["properties"]["supplier"]["type"] == ["string", "null"]
        assert converted.schema["properties"]["lines"]["items"] == {"type": "string"}
        assert [w.path for w in converted.warnings] == ["/components/0/valuesKey", "/components/1/valuesExpression"]

    def test_a_file_picker_holds_upload_ids(self):
        converted = convert({"type": "filepicker", "key": "receipt", "accept": "application/pdf"},
                            {"type": "filepicker", "key": "photos", "multiple": True})
        receipt = converted.schema["properties"]["receipt"]
        assert receipt["format"] == "uuid"
        assert receipt["contentMediaType"] == "application/pdf"
        assert converted.schema["properties"]["photos"]["items"]["format"] == "uuid"
        assert converted.ui["fields"]["receipt"] == {"widget": "file"}
        form = Form("f", "f.form", converted.schema, converted.ui)
        assert form.validate({"receipt": str(uuid.uuid4()), "photos": [str(uuid.uuid4())]}) == []
        assert paths_of(form, {"receipt": "receipt.pdf"}) == ["/receipt"]

    def test_an_expression_field_is_read_only_and_warned_about(self):
        converted = convert({"type": "expression", "key": "total", "expression": "=a + b"})
        assert converted.schema["properties"]["total"]["readOnly"] is True
        assert converted.schema["properties"]["total"]["x-expression"] == "=a + b"
        assert converted.warnings[0].path == "/components/0"

    def test_static_content_goes_to_the_hints_before_the_next_field(self):
        converted = convert({"type": "text", "text": "# Expense claim\n\nFill in every line."},
                            {"type": "html", "content": "<p>Policy</p>"},
                            textfield("purpose"),
                            {"type": "image", "source": "https://example.com/logo.png", "alt": "Logo"},
                            {"type": "iframe", "url": "https://example.com", "height": 300, "label": "Site"},
                            {"type": "table", "dataSource": "=orders", "label": "Orders",
                             "columns": [{"label": "Id", "key": "id"}]},
                            {"type": "documentPreview", "dataSource": "=docs", "label": "Docs"})
        content = converted.ui["content"]
        assert [block["kind"] for block in content] == ["markdown", "html", "image", "iframe", "table", "document"]
        assert content[0]["before"] == "/purpose" and content[1]["before"] == "/purpose"
        assert "before" not in content[2]  # after the last field
        assert content[4]["data_source"] == "=orders"
        assert list(converted.schema["properties"]) == ["purpose"]

    def test_a_leading_heading_titles_the_form(self):
        assert convert({"type": "text", "text": "# Expense claim\n\nFill in"}).schema["title"] == "Expense claim"

    def test_buttons_spacers_and_separators_are_no_fields(self):
        converted = convert({"type": "button", "action": "submit", "label": "Go", "key": "go"},
                            {"type": "spacer", "height": 30}, {"type": "separator"})
        assert converted.schema["properties"] == {}
        assert converted.warnings == []

    def test_an_unknown_keyed_component_accepts_anything_with_a_warning(self):
        converted = convert({"type": "colorpicker", "key": "colour"}, {"type": "banner"})
        assert converted.schema["properties"]["colour"] == {}
        assert [w.path for w in converted.warnings] == ["/components/0", "/components/1"]

    def test_a_field_without_key_is_ignored_with_a_warning(self):
        converted = convert({"type": "textfield", "label": "Loose"})
        assert converted.schema["properties"] == {}
        assert converted.warnings[0].path == "/components/0"


class TestValidation:
    def test_a_required_text_must_be_given_and_not_empty(self):
        form = form_of(textfield("creditor", validate={"required": True}))
        assert errors_of(form, {}) == [("/creditor", "is required")]
        assert errors_of(form, {"creditor": ""}) == [("/creditor", "must not be empty")]
        assert errors_of(form, {"creditor": None}) == [("/creditor", "must be a string")]
        assert form.validate({"creditor": "ACME"}) == []

    def test_optional_fields_may_be_absent_null_or_empty_text(self):
        form = form_of(textfield("ref", validate={"pattern": "^C-[0-9]+$", "minLength": 3}),
                       {"type": "number", "key": "n", "validate": {"min": 1}})
        for data in ({}, {"ref": None, "n": None}, {"ref": ""}):
            assert form.validate(data) == [], data

    def test_lengths(self):
        form = form_of(textfield("code", validate={"minLength": 3, "maxLength": 5}))
        assert errors_of(form, {"code": "ab"}) == [("/code", "must be at least 3 characters long")]
        assert errors_of(form, {"code": "abcdef"}) == [("/code", "must be at most 5 characters long")]
        assert form.validate({"code": "abcd"}) == []

    def test_pattern(self):
        form = form_of(textfield("invoice", validate={"pattern": "^C-[0-9]+$"}))
        assert errors_of(form, {"invoice": "C-12x"}) == [("/invoice", "must match the pattern ^C-[0-9]+$")]
        assert form.validate({"invoice": "C-123"}) == []

    def test_a_javascript_named_group_pattern_is_read_the_same_way(self):
        form = form_of(textfield("code", validate={"pattern": "^(?<area>[0-9]{3})-[0-9]+$"}))
        assert form.validate({"code": "030-123"}) == []
        assert paths_of(form, {"code": "30-123"}) == ["/code"]

    def test_a_pattern_python_cannot_read_is_warned_about_not_enforced(self):
        converted = convert(textfield("x", validate={"pattern": "[^]"}))
        assert "pattern" not in json.dumps(converted.schema["properties"]["x"])
        assert converted.warnings[0].path == "/components/0/validate/pattern"

    def test_email_and_phone(self):
        form = form_of(textfield("mail", validate={"validationType": "email"}),
                       textfield("phone", validate={"validationType": "phone"}))
        assert form.validate({"mail": "ana@example.com", "phone": "+4930664040900"}) == []
        assert form.validate({"mail": "ana@localhost", "phone": "004930664040900"}) == []
        assert paths_of(form, {"mail": "ana at example.com", "phone": "030 664040"}) == ["/mail", "/phone"]

    def test_number_range(self):
        form = form_of({"type": "number", "key": "amount", "validate": {"min": 0, "max": 1000}})
        assert errors_of(form, {"amount": -1}) == [("/amount", "must be at least 0")]
        assert errors_of(form, {"amount": 1000.5}) == [("/amount", "must be at most 1000")]
        assert errors_of(form, {"amount": "12"}) == [("/amount", "must be a number or null")]
        assert form.validate({"amount": 0}) == []

    def test_decimal_digits_and_increment(self):
        form = form_of({"type": "number", "key": "price", "decimalDigits": 2},
                       {"type": "number", "key": "qty", "decimalDigits": 0},
                       {"type": "number", "key": "hours", "increment": "0.25", "decimalDigits": 2})
        assert form.validate({"price": 12.34, "qty": 3, "hours": 1.75}) == []
        assert errors_of(form, {"price": 12.345}) == [("/price", "must be a multiple of 0.01")]
        assert errors_of(form, {"qty": 2.5}) == [("/qty", "must be a whole number or null")]
        assert errors_of(form, {"hours": 1.3}) == [("/hours", "must be a multiple of 0.25")]

    def test_a_number_serialised_as_text_is_an_exact_decimal(self):
        converted = convert({"type": "number", "key": "total", "serializeToString": True, "decimalDigits": 2,
                             "validate": {"max": 10}})
        form = Form("f", "f", converted.schema)
        assert form.validate({"total": "12.50"}) == []
        assert paths_of(form, {"total": "12.505"}) == ["/total"]
        assert converted.warnings[0].path == "/components/0/serializeToString"

    def test_bounds_given_as_expressions_are_warned_about(self):
        converted = convert({"type": "number", "key": "n", "validate": {"min": "=floor"}},
                            textfield("t", validate={"maxLength": "=limit"}))
        assert [w.path for w in converted.warnings] == ["/components/0/validate/min", "/components/1/validate/maxLength"]

    def test_a_wrong_option_is_rejected(self):
        options = [{"label": "A", "value": "a"}, {"label": "B", "value": "b"}]
        form = form_of({"type": "select", "key": "one", "values": options, "validate": {"required": True}},
                       {"type": "checklist", "key": "many", "values": options})
        assert errors_of(form, {"one": "c"}) == [("/one", "must be one of: a, b")]
        assert errors_of(form, {"one": "a", "many": ["a", "z"]}) == [("/many/1", "must be one of: a, b")]
        assert errors_of(form, {"one": "a", "many": ["a", "a"]}) == [("/many", "must not contain the same item twice")]

    def test_required_checkbox_and_checklist_need_a_choice(self):
        options = [{"label": "A", "value": "a"}]
        form = form_of({"type": "checkbox", "key": "terms", "validate": {"required": True}},
                       {"type": "checklist", "key": "picked", "values": options, "validate": {"required": True}})
        assert errors_of(form, {"terms": False, "picked": []}) == [("/picked", "must have at least 1 item"),
                                                                   ("/terms", "must be true")]
        assert form.validate({"terms": True, "picked": ["a"]}) == []

    def test_times_and_date_times_as_form_js_writes_them(self):
        form = form_of({"type": "datetime", "key": "at", "subtype": "time"},
                       {"type": "datetime", "key": "when", "subtype": "datetime"})
        for at, when in (("14:30", "2026-01-31T14:30"), ("14:30Z", "2026-01-31T14:30Z"),
                         ("14:30+02:00", "2026-01-31T14:30:00-05:00")):
            assert form.validate({"at": at, "when": when}) == [], (at, when)
        assert paths_of(form, {"at": "25:00", "when": "31/01/2026 14:30"}) == ["/at", "/when"]

    def test_defaults_are_kept_and_a_default_that_does_not_fit_is_warned_about(self):
        converted = convert(textfield("country", defaultValue="DE"),
                            {"type": "number", "key": "n", "defaultValue": "5"},
                            {"type": "select", "key": "s", "defaultValue": "zz",
                             "values": [{"label": "A", "value": "a"}]})
        assert converted.schema["properties"]["country"]["default"] == "DE"
        assert converted.schema["properties"]["n"]["default"] == 5
        assert "default" not in converted.schema["properties"]["s"]
        assert [w.path for w in converted.warnings] == ["/components/2/defaultValue"]
        form = Form("f", "f", converted.schema)
        assert form.check({}) == {"country": "DE", "n": 5, "s": None}

    def test_prefix_and_suffix_are_ui_hints(self):
        converted = convert({"type": "number", "key": "amount", "appearance": {"prefixAdorner": "€",
                                                                                 "suffixAdorner": "net"}})
        assert converted.ui["fields"]["amount"] == {"prefix": "€", "suffix": "net"}


class TestReadOnly:
    def test_a_read_only_value_is_not_taken_from_the_submitter(self):
        form = form_of(textfield("requestDetails", readonly=True, validate={"required": True}),
                       textfield("answer"))
        assert form.validate({"answer": "ok"}) == []  # required is the process's business
        assert form.validate({"requestDetails": 42, "answer": "ok"}) == []
        assert form.check({"requestDetails": "forged", "answer": "ok"}) == {"answer": "ok"}

    def test_required_on_a_read_only_field_is_warned_about(self):
        converted = convert(textfield("details", readonly=True, validate={"required": True}))
        assert converted.warnings[0].path == "/components/0/validate/required"
        assert "required" not in converted.schema

    def test_a_disabled_field_is_not_submitted_either(self):
        form = form_of(textfield("fixed", disabled=True, validate={"required": True}))
        assert form.validate({}) == []
        assert form.check({"fixed": "x"}) == {}

    def test_read_only_given_as_an_expression_applies_when_it_is_true(self):
        form = form_of({"type": "checkbox", "key": "locked"},
                       textfield("note", readonly="=locked", validate={"required": True}))
        assert errors_of(form, {"locked": False}) == [("/note", "is required")]
        assert form.validate({"locked": True}) == []
        assert form.check({"locked": True, "note": "forged"}) == {"locked": True}


class TestNesting:
    def test_dotted_keys_make_nested_objects(self):
        form = form_of(textfield("address.city", validate={"required": True}), textfield("address.zip"))
        assert form.schema["properties"]["address"]["properties"].keys() == {"city", "zip"}
        assert form.schema["required"] == ["address"]
        assert errors_of(form, {}) == [("/address", "is required")]
        assert errors_of(form, {"address": {"zip": "1"}}) == [("/address/city", "is required")]
        assert form.validate({"address": {"city": "Berlin"}}) == []

    def test_a_group_path_is_an_object_and_a_group_without_path_is_only_visual(self):
        form = form_of({"type": "group", "label": "Invoice", "path": "invoice.details",
                        "components": [textfield("number", validate={"required": True})]},
                       {"type": "group", "label": "Visual", "components": [textfield("comment")]})
        details = form.schema["properties"]["invoice"]["properties"]["details"]
        assert details["title"] == "Invoice"
        assert "comment" in form.schema["properties"]
        assert errors_of(form, {"invoice": {"details": {}}}) == [("/invoice/details/number", "is required")]
        assert form.validate({"invoice": {"details": {"number": "7"}}, "comment": "c"}) == []

    def test_unknown_fields_are_refused_as_in_every_flowdesk_form(self):
        form = form_of(textfield("a"))
        assert errors_of(form, {"b": 1}) == [("/b", "is not allowed here")]

    def test_a_dynamic_list_is_an_array_of_objects_checked_item_by_item(self):
        form = form_of({"type": "dynamiclist", "path": "clients", "label": "Clients", "isRepeating": True,
                        "components": [textfield("name", validate={"required": True, "maxLength": 5})]})
        clients = form.schema["properties"]["clients"]
        assert clients["type"] == "array" and clients["items"]["type"] == "object"
        assert errors_of(form, {"clients": [{"name": "Ana"}, {}, {"name": "Bartholomew"}]}) == [
            ("/clients/1/name", "is required"), ("/clients/2/name", "must be at most 5 characters long")]

    def test_a_dynamic_list_may_bound_its_number_of_items(self):
        form = form_of({"type": "dynamiclist", "path": "rows", "validate": {"minItems": 1, "maxItems": 2},
                        "components": [textfield("x")]})
        assert errors_of(form, {"rows": []}) == [("/rows", "must have at least 1 item")]
        assert errors_of(form, {"rows": [{}, {}, {}]}) == [("/rows", "must have at most 2 items")]

    def test_nested_fields_keep_their_adorners_in_the_schema(self):
        schema = convert(textfield("a.b", appearance={"prefixAdorner": "#"})).schema
        assert schema["properties"]["a"]["properties"]["b"]["x-prefix"] == "#"


class TestConditionalHide:
    """form-js drops a hidden field's value and does not validate it."""

    AMOUNT = {"type": "number", "key": "amount", "validate": {"required": True}}
    REASON = textfield("reason", validate={"required": True, "minLength": 10},
                       conditional={"hide": "=amount < 1000"})

    def test_the_feel_source_is_kept_on_the_field(self):
        assert form_of(self.AMOUNT, self.REASON).schema["properties"]["reason"]["x-hide-if"] == "=amount < 1000"

    def test_a_hidden_field_is_neither_required_nor_checked(self):
        form = form_of(self.AMOUNT, self.REASON)
        assert form.validate({"amount": 500}) == []
        assert form.validate({"amount": 500, "reason": "short"}) == []

    def test_a_visible_field_is_validated(self):
        form = form_of(self.AMOUNT, self.REASON)
        assert errors_of(form, {"amount": 5000}) == [("/reason", "is required")]
        assert errors_of(form, {"amount": 5000, "reason": "short"}) == [("/reason",
                                                                        "must be at least 10 characters long")]

    def test_a_hidden_fields_value_is_dropped(self):
        form = form_of(self.AMOUNT, self.REASON)
        assert form.check({"amount": 500, "reason": "whatever was typed"}) == {"amount": 500, "reason": None}
        assert form.check({"amount": 5000, "reason": "a long enough reason"})["reason"] == "a long enough reason"

    def test_a_condition_that_cannot_be_decided_leaves_the_field_visible(self):
        form = form_of(self.AMOUNT, self.REASON)
        assert paths_of(form, {"amount": None}) == ["/amount", "/reason"]

    def test_conditions_read_the_process_data_given_as_context(self):
        form = form_of(textfield("reason", validate={"required": True}, conditional={"hide": "=limit < 100"}))
        assert form.validate({}, context={"limit": 50}) == []
        assert paths_of(form, {}, context={"limit": 500}) == ["/reason"]

    def test_a_submitter_cannot_forge_a_read_only_value_to_hide_a_field(self):
        form = form_of({"type": "number", "key": "limit", "readonly": True},
                       textfield("reason", validate={"required": True}, conditional={"hide": "=limit < 100"}))
        assert paths_of(form, {"limit": 1}, context={"limit": 500}) == ["/reason"]

    def test_a_hidden_group_hides_its_fields(self):
        form = form_of({"type": "checkbox", "key": "delegate"},
                       {"type": "group", "conditional": {"hide": "=delegate"},
                        "components": [textfield("answer", validate={"required": True})]},
                       {"type": "group", "path": "details", "conditional": {"hide": "=delegate"},
                        "components": [textfield("more", validate={"required": True})]})
        assert form.validate({"delegate": True}) == []
        assert form.check({"delegate": True, "answer": "x", "details": {"more": "y"}}) == {
            "delegate": True, "answer": None, "details": None}
        assert paths_of(form, {"delegate": False}) == ["/answer", "/details"]

    def test_conditions_inside_a_dynamic_list_see_the_item_as_this(self):
        form = form_of({"type": "dynamiclist", "path": "lines", "components": [
            {"type": "checkbox", "key": "free"},
            {"type": "number", "key": "price", "validate": {"required": True},
             "conditional": {"hide": "=this.free"}}]})
        assert errors_of(form, {"lines": [{"free": True}, {"free": False}]}) == [("/lines/1/price", "is required")]
        assert form.check({"lines": [{"free": True, "price": 3}]}) == {"lines": [{"free": True, "price": None}]}

    def test_a_required_field_in_an_absent_object_is_required_while_visible(self):
        form = form_of({"type": "checkbox", "key": "skip"},
                       textfield("address.city", validate={"required": True}, conditional={"hide": "=skip"}))
        assert form.validate({"skip": True}) == []
        assert errors_of(form, {"skip": False}) == [("/address/city", "is required")]

    def test_a_condition_that_is_not_feel_is_warned_about(self):
        converted = convert(textfield("x", conditional={"hide": "=count(items) >"}))
        assert converted.warnings[0].path == "/components/0/conditional/hide"

    def test_conditions_are_full_feel(self):
        form = form_of({"type": "checkbox", "key": "flag"},
                       textfield("x", validate={"required": True},
                                 conditional={"hide": "=if flag then count([1, 2, 3]) > 2 else false"}))
        assert form.validate({"flag": True}) == []
        assert errors_of(form, {"flag": False}) == [("/x", "is required")]

    def test_hidden_static_content_keeps_its_condition(self):
        converted = convert({"type": "text", "text": "Note", "conditional": {"hide": "=b and c"}})
        assert converted.ui["content"][0]["hide_if"] == "=b and c"


class TestFeelStandIn:
    @pytest.mark.parametrize(("expression", "scope", "expected"), [
        ("a", {"a": True}, True),
        ("amount < 1000", {"amount": 999.5}, True),
        ("amount < 1000", {}, None),  # an unknown name is null, and so is the comparison
        ("b and c", {"b": True, "c": False}, False),
        ("b and c", {"b": True}, None),
        ("b or c", {"b": True}, True),
        ("not(a)", {"a": False}, True),
        ('status = "open"', {"status": "open"}, True),
        ('status != "open"', {"status": None}, True),
        ("x = null", {}, True),
        ("address.city = \"Berlin\"", {"address": {"city": "Berlin"}}, True),
        ("this.price * 2 >= 10", {"this": {"price": 5}}, True),
        ('1 = "1"', {}, None),
        ("-n > -3", {"n": 2}, True),
    ])
    def test_feel_subset(self, expression, scope, expected):
        assert feel_lite.evaluate(expression, scope) == expected

    @pytest.mark.parametrize("expression", ["count(items) > 2", "x in [1, 2]", "if a then b else c", "", "a ="])
    def test_anything_else_is_unsupported(self, expression):
        assert not feel_lite.supported(expression)


class TestLoading:
    def test_a_form_file_loads_as_a_form_with_its_hints(self):
        form = parse_form("forms/invoice.form", formjs(textfield("creditor"),
                                                       {"type": "textarea", "key": "notes"}))
        assert form.name == "invoice"
        assert form.ui == {"order": ["creditor", "notes"], "fields": {"notes": {"widget": "textarea"}}}
        assert form.validate({"creditor": "ACME"}) == []

    def test_a_json_file_holding_a_form_js_document_loads_too(self):
        assert parse_form("invoice.json", formjs(textfield("creditor"))).schema["x-form-id"] == "Form_test"

    def test_a_hints_file_beside_a_form_file_replaces_the_converted_hints(self):
        form = parse_form("invoice.form", formjs(textfield("creditor")), "invoice.ui.yaml",
                          "fields: {creditor: {help: Who sent it}}")
        assert form.ui == {"fields": {"creditor": {"help": "Who sent it"}}}

    def test_a_broken_form_file_is_a_definition_problem_with_its_line(self):
        content = b'{\n  "components": [\n    {"label": "no type"}\n  ]\n}'
        problems = form_problems("bad.form", content)
        assert [(p.file, p.line) for p in problems] == [("bad.form", 3)]
        assert "/components/0/type" in problems[0].message
        with pytest.raises(DefinitionInvalid):
            parse_form("bad.form", content)

    def test_form_files_are_form_files(self):
        assert is_form_file("forms/invoice.form")
        assert pair_form_files(["invoice.form", "invoice.ui.yaml"]) == {"invoice": ("invoice.form",
                                                                                    "invoice.ui.yaml")}


class TestWebRendering:
    def test_converted_widgets_render_and_a_post_comes_back_as_valid_data(self):
        options = [{"label": "Yes", "value": "yes"}, {"label": "No", "value": "no"}]
        form = form_of(textfield("name", validate={"required": True}),
                       {"type": "number", "key": "amount", "decimalDigits": 2},
                       {"type": "checkbox", "key": "urgent"},
                       {"type": "radio", "key": "answer", "values": options},
                       {"type": "datetime", "key": "day"},
                       {"type": "textfield", "key": "shown", "readonly": True},
                       {"type": "group", "path": "address", "components": [textfield("city")]},
                       {"type": "dynamiclist", "path": "lines", "components": [textfield("item")]})
        view = web_forms.build(form.schema, form.ui, {}, "en")
        kinds = {widget.key: widget.kind for widget in view.widgets}
        assert kinds == {"name": "text", "amount": "number", "urgent": "checkbox", "answer": "radio",
                         "day": "date", "shown": "readonly", "address": "object", "lines": "table"}
        raw = {"f.name": "Ana", "f.amount": "12.50", "f.urgent": "on", "f.answer": "yes", "f.day": "2026-01-31",
               "f.address.city": "Berlin", "f.lines.__rows": "1", "f.lines.0.item": "pen"}
        assert form.validate(web_forms.parse(form.schema, form.ui, raw)) == []


# == the corpus =========================================================================================
def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted([*(CORPUS / "formjs").glob("*.json"), *CORPUS.rglob("*.form")])


def corpus_params() -> list:
    files = corpus_files()
    if not files:
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"no corpus at {CORPUS}"))]
    return [pytest.param(file, id=str(file.relative_to(CORPUS))) for file in files]


#: Values matching the custom patterns the corpus uses (a test can't invent them).
PATTERN_SAMPLES = {"^C-[0-9]+$": "C-123"}


class Sample:
    """Data form-js would submit for a document, made from the document alone, and the
    fields each kind of invalid data can be tried on (visible fields only)."""

    def __init__(self, document: dict) -> None:
        self.data: dict = {}
        self.cases: dict[str, list[tuple[tuple, dict]]] = {}
        self.walk(document["components"], self.data, (), hidden=False)

    def walk(self, components: list, target: dict, path: tuple, hidden: bool) -> None:
        for component in components:
            kind = component.get("type")
            hides = hidden or bool((component.get("conditional") or {}).get("hide"))
            if kind in ("group", "multipage", "page"):
                if component.get("path"):
                    inner = self.at(target, component["path"].split("."))
                    self.walk(component.get("components", []), inner, (*path, *component["path"].split(".")), hides)
                else:
                    self.walk(component.get("components", []), target, path, hides)
            elif kind == "dynamiclist":
                items = [{}, {}]
                parts = component["path"].split(".")
                self.at(target, parts[:-1])[parts[-1]] = items
                for index, item in enumerate(items):
                    self.walk(component.get("components", []), item, (*path, *parts, index), hides or index > 0)
            elif component.get("key") and kind not in ("button",) and not component.get("disabled"):
                self.field(component, target, path, hides)

    @staticmethod
    def at(target: dict, parts: list[str]) -> dict:
        for part in parts:
            target = target.setdefault(part, {})
        return target

    def field(self, component: dict, target: dict, path: tuple, hidden: bool) -> None:
        kind, validate = component["type"], component.get("validate") or {}
        parts = component["key"].split(".")
        values = [option["value"] for option in component.get("values") or []]
        value: Any
        if kind in ("textfield", "textarea"):
            value = {"email": "ana@example.com", "phone": "+4930664040900"}.get(
                validate.get("validationType"), PATTERN_SAMPLES.get(validate.get("pattern"), "text"))
        elif kind == "number":
            value = validate.get("min", 1)
        elif kind == "checkbox":
            value = True
        elif kind in ("radio", "select"):
            value = values[0]
        elif kind in ("checklist", "taglist"):
            value = values[:1]
        elif kind == "datetime":
            value = {"time": "14:30+01:00", "datetime": "2026-01-31T14:30Z"}.get(component.get("subtype"),
                                                                                 "2026-01-31")
        elif kind == "filepicker":
            value = str(uuid.uuid4())
        else:
            value = 42  # an expression field's computed value
        self.at(target, parts[:-1])[parts[-1]] = value
        if hidden or component.get("readonly") or kind == "expression":
            return
        where = (*path, *parts)
        if validate.get("required"):
            self.case("missing required", where, ...)
        if "maxLength" in validate:
            self.case("too long", where, "x" * (int(validate["maxLength"]) + 1))
        if "max" in validate:
            self.case("above max", where, validate["max"] + 1)
        if "min" in validate:
            self.case("below min", where, validate["min"] - 1)
        if values and kind in ("radio", "select"):
            self.case("wrong option", where, "not-an-option")
        if values and kind in ("checklist", "taglist"):
            self.case("wrong option", (*where, 0), "not-an-option", container=where)
        if validate.get("pattern") or validate.get("validationType") in ("email", "phone"):
            self.case("bad pattern", where, "?? no match ??")

    def case(self, name: str, where: tuple, value: Any, container: tuple | None = None) -> None:
        self.cases.setdefault(name, []).append((where, {"value": value, "container": container}))

    def broken(self, where: tuple, value: Any, container: tuple | None) -> dict:
        data = json.loads(json.dumps(self.data))
        if container is not None:
            node = data
            for part in container:
                node = node[part]
            node[:] = [value]
            return data
        node = data
        for part in where[:-1]:
            node = node[part]
        if value is ...:
            del node[where[-1]]
        else:
            node[where[-1]] = value
        return data


@pytest.mark.parametrize("file", corpus_params())
class TestCorpus:
    def test_converts_and_loads_as_a_valid_flowdesk_form(self, file):
        converted = formjs_to_form(file.name, file.read_bytes())
        assert converted.form_id == json.loads(file.read_text()).get("id")
        form = parse_form(file.name, file.read_bytes())  # runs every schema and hints check
        assert form.schema == converted.schema and form.ui == converted.ui

    def test_accepts_what_form_js_would_submit(self, file):
        form = parse_form(file.name, file.read_bytes())
        data = Sample(json.loads(file.read_text())).data
        assert form.validate(data) == []
        form.check(data)

    def test_rejects_what_form_js_would_refuse_at_the_field(self, file):
        form = parse_form(file.name, file.read_bytes())
        sample = Sample(json.loads(file.read_text()))
        tried = 0
        for name, cases in sample.cases.items():
            for where, case in cases:
                data = sample.broken(where, case["value"], case["container"])
                assert pointer(where) in paths_of(form, data), (name, where)
                tried += 1
        if not sample.cases:
            pytest.skip("the form has no field with a constraint to break")
        assert tried

    def test_renders_in_the_web_app(self, file):
        form = parse_form(file.name, file.read_bytes())
        view = web_forms.build(form.schema, form.ui, {}, "en")
        assert {w.key for w in view.widgets} == set(form.schema["properties"])


@pytest.mark.skipif(not (CORPUS / "formjs").is_dir(), reason=f"no corpus at {CORPUS}")
class TestCorpusConditions:
    def load(self, relative: str) -> Form:
        file = CORPUS / relative
        return parse_form(file.name, file.read_bytes())

    def test_hidden_fields_conditional(self):
        form = self.load("formjs/hidden-fields-conditional.json")  # c is hidden when a is ticked
        assert form.check({"a": True, "b": False, "c": True}) == {"a": True, "b": False, "c": None}
        assert form.check({"a": False, "b": False, "c": True}) == {"a": False, "b": False, "c": True}
        assert form.ui["content"][0]["hide_if"] == "=b and c"

    def test_escalation_answer_is_required_unless_the_agent_takes_control(self):
        form = self.load("camunda8_bank_ai_agent/escalate-to-human.form")
        assert form.validate({"taking_full_control": True}) == []
        assert paths_of(form, {"taking_full_control": False}) == ["/knowledgeBaseDecision", "/responseToRequest"]
        assert errors_of(form, {"taking_full_control": False, "responseToRequest": "Done",
                                "knowledgeBaseDecision": "maybe"}) == [("/knowledgeBaseDecision",
                                                                        "must be one of: yes, no")]

    def test_invoice_form_rules(self):
        form = self.load("formjs/form.json")
        assert errors_of(form, {"creditor": "ACME", "invoiceNumber": "C-1x", "amount": 1001}) == [
            ("/amount", "must be at most 1000"), ("/invoiceNumber", "must match the pattern ^C-[0-9]+$")]
