"""UI hints: checked against their schema and against the form's fields."""

from __future__ import annotations

import textwrap

from flowdesk.engine.forms import UI_HINTS_SCHEMA, WIDGETS, form_problems, parse_form
from jsonschema import Draft202012Validator

UI_FILE = "purchase_request.ui.yaml"


def ui_problems_of(schema_yaml: str, ui_yaml: str) -> list[tuple[str, int | None, str]]:
    problems = form_problems("purchase_request.yaml", schema_yaml, UI_FILE, textwrap.dedent(ui_yaml))
    return [(p.file, p.line, p.message) for p in problems]


def test_the_ui_hints_schema_is_a_valid_2020_12_schema():
    Draft202012Validator.check_schema(UI_HINTS_SCHEMA)
    assert UI_HINTS_SCHEMA["additionalProperties"] is False
    assert UI_HINTS_SCHEMA["$defs"]["field"]["properties"]["widget"]["enum"] == list(WIDGETS)


def test_a_form_with_its_hints(purchase_request_yaml, purchase_request_ui_yaml):
    form = parse_form("purchase_request.yaml", purchase_request_yaml, UI_FILE, purchase_request_ui_yaml)
    assert form.ui["order"][0] == "title"
    assert form.ui["fields"]["lines"] == {"widget": "table", "columns": ["item", "quantity", "unit_price"]}
    assert form.ui["title"]["zh-CN"] == "采购申请"


def test_hints_in_json(purchase_request_yaml):
    ui = '{\n  "order": ["title", "lines"],\n  "fields": {"justification": {"widget": "textarea"}}\n}'
    form = parse_form("purchase_request.yaml", purchase_request_yaml, "purchase_request.ui.json", ui)
    assert form.ui["fields"]["justification"]["widget"] == "textarea"


def test_hints_without_a_file_name_are_read_as_yaml(purchase_request_yaml):
    form = parse_form("purchase_request.yaml", purchase_request_yaml, ui_content="order: [title]\n")
    assert form.ui == {"order": ["title"]}


def test_hints_that_do_not_fit_the_hints_schema(purchase_request_yaml):
    ui = """\
        order: title
        fields:
          justification: {widget: rich_text, help: 42}
          lines: {widgit: table}
          currency: {hidden: "no"}
        title: {english: Purchase request}
        layout: two-columns
        """
    assert ui_problems_of(purchase_request_yaml, ui) == [
        (UI_FILE, 1, "invalid UI hints at /order: must be an array"),
        (
            UI_FILE,
            3,
            "invalid UI hints at /fields/justification/help: must be a string or an object",
        ),
        (
            UI_FILE,
            3,
            "invalid UI hints at /fields/justification/widget: must be one of: text, textarea, number, "
            "money, date, datetime, select, radio, checkbox, table, file, email, readonly",
        ),
        (UI_FILE, 4, "invalid UI hints at /fields/lines/widgit: is not allowed here"),
        (UI_FILE, 5, "invalid UI hints at /fields/currency/hidden: must be true or false"),
        (
            UI_FILE,
            6,
            "invalid UI hints at /title/english: is not an allowed name: "
            "must match the pattern ^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
        ),
        (UI_FILE, 7, "invalid UI hints at /layout: is not allowed here"),
    ]


def test_hints_naming_fields_the_form_does_not_have(purchase_request_yaml):
    ui = """\
        order: [title, costcenter, lines]
        fields:
          justifcation: {widget: textarea}
          lines: {widget: table, columns: [item, qty, unit_price]}
          budget: {widget: money, currency_field: curency}
        """
    problems = ui_problems_of(purchase_request_yaml, ui)
    assert [(line, message.split(",")[0]) for _, line, message in problems] == [
        (1, "order names `costcenter`"),
        (3, "fields names `justifcation`"),
        (4, "fields/lines/columns names `qty`"),
        (5, "fields/budget/currency_field names `curency`"),
    ]
    assert problems[0][2].endswith(
        "(fields: title, cost_center, currency, needed_by, requester_email, "
        "quote_expires_at, category, justification, budget, lines)"
    )


def test_fields_declared_in_conditional_branches_count(purchase_request_yaml):
    schema = textwrap.dedent(
        """\
        type: object
        properties:
          decision: {enum: [approve, reject]}
        if: {properties: {decision: {const: reject}}}
        then:
          properties: {comment: {type: string}}
          required: [comment]
        """
    )
    assert form_problems("approval.yaml", schema, "approval.ui.yaml", "order: [decision, comment]\n") == []


def test_widget_specific_hints_need_their_widget(purchase_request_yaml):
    ui = """\
        fields:
          lines: {widget: text, columns: [item]}
          budget: {currency_field: currency}
        """
    assert ui_problems_of(purchase_request_yaml, ui) == [
        (UI_FILE, 2, "`columns` needs `widget: table`"),
        (UI_FILE, 3, "`currency_field` needs `widget: money`"),
    ]


def test_broken_hints_are_reported_with_the_schema_problems():
    problems = form_problems("f.yaml", "type: object\nproperties:\n  a: {type: strng}\n", "f.ui.yaml", "order: [a\n")
    assert [(p.file, p.line) for p in problems] == [("f.ui.yaml", 2), ("f.yaml", 3)]


def test_hints_are_checked_for_shape_even_when_the_schema_is_unreadable():
    problems = form_problems("f.yaml", "type: [object\n", "f.ui.yaml", "widgets: {}\n")
    assert (problems[0].file, problems[0].line, problems[0].message) == (
        "f.ui.yaml",
        1,
        "invalid UI hints at /widgets: is not allowed here",
    )
