"""Camunda 7 generated forms (``camunda:formField`` in the BPMN) become Flowdesk forms with
Camunda's validation rules; errors name the field by JSON Pointer.

Inline fixtures are modelled on the corpus models (spiffworkflow_tests/*.bpmn); the corpus
tests at the end run every ``camunda:formField`` element of ../shared/corpus.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import pytest
from flowdesk.engine.forms import (
    ConversionError,
    ConvertedForm,
    Form,
    FormField,
    form_fields_from_xml,
    form_fields_to_form,
    parse_form,
)
from lxml import etree

from tests.support.paths import CORPUS as SHARED_CORPUS

CORPUS = Path(os.environ.get("FLOWDESK_TEST_CORPUS") or SHARED_CORPUS)
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NAMESPACES = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
              'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"')


def user_task(fields_xml: str, task_id: str = "Approve") -> etree._Element:
    return etree.fromstring(
        f'<bpmn:userTask {NAMESPACES} id="{task_id}" name="Approve" camunda:formKey="Approve">'
        f"<bpmn:extensionElements><camunda:formData>{fields_xml}</camunda:formData></bpmn:extensionElements>"
        "</bpmn:userTask>"
    )


def convert(fields_xml: str) -> ConvertedForm:
    task = user_task(fields_xml)
    return form_fields_to_form(task.get("id"), form_fields_from_xml(task))


def loaded(converted: ConvertedForm, name: str = "approve") -> Form:
    """The converted form through `parse_form`: every schema and hints check runs."""
    return parse_form(f"{name}.json", json.dumps(converted.schema), f"{name}.ui.json", json.dumps(converted.ui))


def form_of(fields_xml: str) -> Form:
    return loaded(convert(fields_xml))


def errors_of(form: Form, data: Any) -> list[tuple[str, str]]:
    return [(error.path, error.message) for error in form.validate(data)]


# The shapes found in the corpus (lanes.bpmn, transaction.bpmn, MessageBoundary.bpmn).
FEATURE_REQUEST = '<camunda:formField id="NewBPMNFeautre" label="What Feature Do you want to add?" type="string" />'
CLARIFICATION = ('<camunda:formField id="NeedClarification" label="Do you need Clarification for the request?" '
                 'type="boolean" defaultValue="No" />')
QUANTITY = '<camunda:formField id="quantity" label="Get Quantity" type="long" />'

INVOICE = """
<camunda:formField id="amount" label="Amount" type="long" defaultValue="100">
  <camunda:validation>
    <camunda:constraint name="required" />
    <camunda:constraint name="min" config="1" />
    <camunda:constraint name="max" config="10000" />
  </camunda:validation>
</camunda:formField>
<camunda:formField id="creditor" label="Creditor" type="string">
  <camunda:properties><camunda:property id="placeholder" value="Company name" /></camunda:properties>
  <camunda:validation>
    <camunda:constraint name="required" />
    <camunda:constraint name="minlength" config="2" />
    <camunda:constraint name="maxlength" config="40" />
  </camunda:validation>
</camunda:formField>
<camunda:formField id="invoiceCategory" label="Category" type="enum" defaultValue="travel">
  <camunda:value id="travel" name="Travel Expenses" />
  <camunda:value id="misc" name="Misc" />
  <camunda:value id="software" name="Software License Costs" />
</camunda:formField>
<camunda:formField id="dueDate" label="Due" type="date" defaultValue="31/01/2026" />
<camunda:formField id="approved" label="Approved?" type="boolean" />
<camunda:formField id="invoiceNumber" label="Number" type="string">
  <camunda:validation><camunda:constraint name="readonly" /></camunda:validation>
</camunda:formField>
"""


class TestReading:
    def test_fields_are_read_from_a_user_tasks_form_data(self):
        fields = form_fields_from_xml(user_task(INVOICE))
        assert [f.id for f in fields] == ["amount", "creditor", "invoiceCategory", "dueDate", "approved",
                                          "invoiceNumber"]
        amount = fields[0]
        assert (amount.label, amount.type, amount.default_value) == ("Amount", "long", "100")
        assert amount.constraints == (("required", None), ("min", "1"), ("max", "10000"))
        assert fields[1].properties == (("placeholder", "Company name"),)
        assert fields[2].values == (("travel", "Travel Expenses"), ("misc", "Misc"),
                                    ("software", "Software License Costs"))
        assert amount.line is not None

    def test_a_form_data_element_can_be_given_directly(self):
        form_data = user_task(FEATURE_REQUEST).find(f"{{{BPMN_NS}}}extensionElements")[0]
        assert [f.id for f in form_fields_from_xml(form_data)] == ["NewBPMNFeautre"]

    def test_element_tree_elements_work_too(self):
        task = ElementTree.fromstring(etree.tostring(user_task(QUANTITY)))
        assert form_fields_from_xml(task) == [FormField(id="quantity", label="Get Quantity", type="long")]

    def test_an_element_without_form_data_has_no_fields(self):
        assert form_fields_from_xml(etree.fromstring(f'<bpmn:userTask {NAMESPACES} id="T" />')) == []


class TestSchema:
    def test_the_form_is_identified_by_its_element(self):
        converted = convert(FEATURE_REQUEST)
        assert converted.form_id == "Approve"
        assert converted.schema["x-form-id"] == "Approve"
        assert converted.schema["additionalProperties"] is False
        assert converted.ui == {"order": ["NewBPMNFeautre"]}

    def test_types(self):
        properties = convert(INVOICE).schema["properties"]
        assert properties["amount"]["type"] == "integer"
        assert properties["creditor"]["type"] == "string"
        assert properties["invoiceCategory"]["enum"] == ["travel", "misc", "software", None]
        assert properties["invoiceCategory"]["x-enum-titles"]["software"] == "Software License Costs"
        assert properties["dueDate"] == {"title": "Due", "type": ["string", "null"], "format": "date",
                                         "default": "2026-01-31"}
        assert properties["approved"]["type"] == ["boolean", "null"]

    def test_constraints_defaults_and_properties(self):
        converted = convert(INVOICE)
        amount = converted.schema["properties"]["amount"]
        assert (amount["minimum"], amount["maximum"], amount["default"]) == (1, 10000, 100)
        creditor = converted.schema["properties"]["creditor"]
        assert (creditor["minLength"], creditor["maxLength"]) == (2, 40)
        assert creditor["x-properties"] == {"placeholder": "Company name"}
        assert converted.schema["required"] == ["amount", "creditor"]
        assert converted.schema["properties"]["invoiceNumber"]["readOnly"] is True
        assert converted.warnings == []

    def test_dates_are_iso_and_a_date_time_pattern_makes_a_date_time(self):
        converted = convert('<camunda:formField id="at" type="date" datePattern="dd.MM.yyyy HH:mm" '
                            'defaultValue="31.01.2026 14:30" />')
        assert converted.schema["properties"]["at"]["format"] == "date-time"
        assert converted.schema["properties"]["at"]["default"] == "2026-01-31T14:30:00Z"
        assert converted.ui["fields"] == {"at": {"widget": "datetime"}}

    @pytest.mark.parametrize(("fields_xml", "warning"), [
        (CLARIFICATION, "the default 'No' does not fit the field"),
        ('<camunda:formField id="d" type="string" defaultValue="${initiator}" />', "expression"),
        ('<camunda:formField id="c" type="enum" defaultValue="x"><camunda:value id="y" /></camunda:formField>',
         "does not fit"),
        ('<camunda:formField id="n" type="long" defaultValue="many" />', "does not fit"),
        ('<camunda:formField id="x" type="customType" />', "custom form field type"),
        ('<camunda:formField id="e" type="enum" />', "without values"),
        ('<camunda:formField id="v" type="string"><camunda:validation>'
         '<camunda:constraint name="validator" config="org.example.IbanValidator" />'
         "</camunda:validation></camunda:formField>", "validator org.example.IbanValidator is not run"),
        ('<camunda:formField id="m" type="string"><camunda:validation><camunda:constraint name="min" config="2" />'
         "</camunda:validation></camunda:formField>", "number fields only"),
        ('<camunda:formField id="l" type="long"><camunda:validation><camunda:constraint name="maxlength" '
         'config="2" /></camunda:validation></camunda:formField>', "text fields only"),
        ('<camunda:formField id="u" type="string"><camunda:validation><camunda:constraint name="email" />'
         "</camunda:validation></camunda:formField>", "not known"),
        ('<camunda:formField id="r" type="string"><camunda:validation><camunda:constraint name="required" />'
         '<camunda:constraint name="readonly" /></camunda:validation></camunda:formField>', "read-only"),
    ])
    def test_what_is_not_enforced_is_warned_about_at_the_field(self, fields_xml, warning):
        converted = convert(fields_xml)
        field_id = next(iter(converted.schema["properties"]))
        assert [w.path for w in converted.warnings] == [f"/{field_id}"]
        assert warning in converted.warnings[0].message
        loaded(converted)  # still a valid form

    def test_a_field_without_an_id_or_a_repeated_id_is_refused(self):
        with pytest.raises(ConversionError) as caught:
            convert('<camunda:formField label="no id" />')
        assert caught.value.path == "/formFields/0/id"
        with pytest.raises(ConversionError) as caught:
            convert(QUANTITY + QUANTITY)
        assert caught.value.path == "/formFields/1/id"


class TestValidation:
    VALID = {"amount": 250, "creditor": "ACME", "invoiceCategory": "misc", "dueDate": "2026-02-28",
             "approved": False}

    def test_valid_data_passes_and_is_completed_with_defaults(self):
        form = form_of(INVOICE)
        assert form.validate(self.VALID) == []
        assert form.check({"amount": 5, "creditor": "ACME"}) == {
            "amount": 5, "creditor": "ACME", "invoiceCategory": "travel", "dueDate": "2026-01-31", "approved": None}

    @pytest.mark.parametrize(("change", "expected"), [
        ({"amount": ...}, ("/amount", "is required")),
        ({"creditor": ""}, ("/creditor", "must be at least 2 characters long")),
        ({"creditor": "A" * 41}, ("/creditor", "must be at most 40 characters long")),
        ({"amount": 0}, ("/amount", "must be at least 1")),
        ({"amount": 10001}, ("/amount", "must be at most 10000")),
        ({"amount": 2.5}, ("/amount", "must be a whole number")),
        ({"invoiceCategory": "food"}, ("/invoiceCategory", "must be one of: travel, misc, software, null")),
        ({"dueDate": "31/01/2026"}, ("/dueDate", "must be a valid date (YYYY-MM-DD)")),
        ({"approved": "yes"}, ("/approved", "must be a boolean or null")),
    ])
    def test_what_camunda_refuses_is_refused_at_the_field(self, change, expected):
        data = {**self.VALID, **change}
        data = {key: value for key, value in data.items() if value is not ...}
        assert errors_of(form_of(INVOICE), data) == [expected]

    def test_false_is_a_valid_answer_to_a_required_boolean(self):
        form = form_of('<camunda:formField id="ok" type="boolean"><camunda:validation>'
                       '<camunda:constraint name="required" /></camunda:validation></camunda:formField>')
        assert form.validate({"ok": False}) == []
        assert errors_of(form, {}) == [("/ok", "is required")]

    def test_a_long_is_a_java_long(self):
        form = form_of(QUANTITY)
        assert form.validate({"quantity": -5}) == []
        assert errors_of(form, {"quantity": 2**63}) == [("/quantity", f"must be at most {2**63 - 1}")]

    def test_a_read_only_value_is_not_taken_from_the_submitter(self):
        form = form_of(INVOICE)
        assert form.check({**self.VALID, "invoiceNumber": "forged"}) == self.VALID


# == the corpus =========================================================================================
def corpus_elements() -> list:
    if not CORPUS.is_dir():
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=f"no corpus at {CORPUS}"))]
    found = []
    for file in sorted(CORPUS.rglob("*.bpmn")):
        if b"camunda:formField" not in file.read_bytes():
            continue
        root = etree.parse(str(file)).getroot()
        for element in root.iter():
            if form_fields_from_xml(element) and element.get("id"):
                found.append(pytest.param(file, element.get("id"), id=f"{file.relative_to(CORPUS)}#{element.get('id')}"))
    return found or [pytest.param(None, None, marks=pytest.mark.skip(reason="no camunda:formField in the corpus"))]


SAMPLES = {"string": "text", "long": 7, "boolean": True, "date": "2026-01-31"}
WRONG = {"string": 42, "long": "seven", "boolean": "yes", "date": "31/01/2026"}


@pytest.mark.parametrize(("file", "element_id"), corpus_elements())
def test_corpus_form_fields_make_valid_forms_that_accept_and_reject_like_camunda(file, element_id):
    element = next(e for e in etree.parse(str(file)).getroot().iter() if e.get("id") == element_id)
    fields = form_fields_from_xml(element)
    form = loaded(form_fields_to_form(element_id, fields), name=element_id)
    sample = {f.id: (f.values[0][0] if f.type == "enum" else SAMPLES.get(f.type, "x")) for f in fields}
    assert form.validate(sample) == []
    for form_field in fields:
        if form_field.type in WRONG:
            assert [path for path, _ in errors_of(form, {**sample, form_field.id: WRONG[form_field.type]})] == [
                f"/{form_field.id}"]
