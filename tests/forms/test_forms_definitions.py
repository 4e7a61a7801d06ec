"""Reading form files: YAML and JSON, and every problem located by file and line."""

from __future__ import annotations

import textwrap

import pytest
from flowdesk.engine.errors import DefinitionInvalid, Problem
from flowdesk.engine.forms import form_problems, known_formats, parse_form


def problems_of(file: str, content: str | bytes, **ui: str) -> list[tuple[str, int | None, str]]:
    return [(p.file, p.line, p.message) for p in form_problems(file, content, **ui)]


def lines_of(file: str, content: str | bytes) -> list[int | None]:
    return [p.line for p in form_problems(file, content)]


class TestReadingForms:
    def test_a_yaml_form(self, purchase_request):
        assert purchase_request.name == "purchase_request"
        assert purchase_request.file == "purchase_request.yaml"
        assert purchase_request.schema["properties"]["currency"]["pattern"] == "^[A-Z]{3}$"
        assert purchase_request.ui == {}

    def test_the_same_form_in_json_behaves_the_same(self, purchase_request, purchase_request_json, valid_request):
        form = parse_form("forms/purchase_request.json", purchase_request_json.encode())
        assert form.name == "purchase_request"
        assert form.file == "forms/purchase_request.json"
        assert form.schema == purchase_request.schema
        assert form.validate(valid_request) == []
        assert form.validate({"lines": []}) == purchase_request.validate({"lines": []})

    def test_translated_titles_and_descriptions_are_allowed(self, purchase_request):
        assert purchase_request.schema["x-title-i18n"] == {"en": "Purchase request", "zh-CN": "采购申请"}

    def test_yaml_is_read_with_json_compatible_scalars(self):
        form = parse_form(
            "answer.yaml",
            textwrap.dedent(
                """\
                type: object
                properties:
                  answer: {enum: [yes, no, maybe]}
                  since: {type: string, default: 2026-01-31}
                  code: {const: 012}
                  big: {type: number, maximum: 1e6}
                """
            ),
        )
        properties = form.schema["properties"]
        assert properties["answer"]["enum"] == ["yes", "no", "maybe"]  # not booleans
        assert properties["since"]["default"] == "2026-01-31"  # not a date
        assert properties["code"]["const"] == 12  # not octal
        assert properties["big"]["maximum"] == 1e6  # not the string "1e6"

    def test_a_utf8_byte_order_mark_is_fine(self):
        assert parse_form("bom.json", b'\xef\xbb\xbf{"type": "object"}').schema == {"type": "object"}


class TestBrokenFiles:
    def test_broken_yaml_reports_its_line(self):
        content = "type: object\nproperties:\n  title: {type: string\n  cost_center: {type: string}\n"
        [(file, line, message)] = problems_of("purchase_request.yaml", content)
        assert file == "purchase_request.yaml"
        assert line == 4
        assert message.startswith("invalid YAML: ")

    def test_broken_json_reports_its_line(self):
        content = '{\n  "type": "object",\n  "properties": {\n    "title": {"type": "string"},,\n  }\n}\n'
        [(file, line, message)] = problems_of("purchase_request.json", content)
        assert (file, line) == ("purchase_request.json", 4)
        assert message.startswith("invalid JSON: ")

    def test_an_empty_file(self):
        assert problems_of("empty.yaml", "") == [("empty.yaml", 1, "the file is empty")]

    def test_a_file_that_is_not_utf8(self):
        assert problems_of("latin1.yaml", b"type: object\ntitle: Bestellanforderung f\xfcr\n") == [
            ("latin1.yaml", 2, "the file is not UTF-8 text")
        ]

    def test_an_unsupported_extension(self):
        assert problems_of("form.txt", "type: object") == [
            ("form.txt", 1, "unsupported file type: use .json, .yaml or .yml")
        ]

    def test_values_that_are_not_json(self):
        content = "type: object\nproperties:\n  a: {const: !!timestamp 2026-01-01}\n  b: {maximum: .inf}\n200: x\n"
        assert lines_of("odd.yaml", content) == [3, 4, 5]

    def test_duplicate_keys_are_reported(self):
        content = "type: object\nproperties:\n  title: {type: string}\n  title: {type: integer}\n"
        assert problems_of("dup.yaml", content) == [
            ("dup.yaml", 4, "duplicate key `title` (also at line 3); only the last one counts")
        ]

    def test_duplicate_keys_in_json_are_reported(self):
        content = '{"type": "object",\n "title": "A",\n "title": "B"}'
        assert problems_of("dup.json", content) == [
            ("dup.json", 3, "duplicate key `title` (also at line 2); only the last one counts")
        ]

    def test_merge_keys_may_be_overridden(self):
        content = textwrap.dedent(
            """\
            type: object
            $defs:
              money: &money {type: number, minimum: 0}
            properties:
              price: {<<: *money, minimum: 0.01}
            """
        )
        form = parse_form("merge.yaml", content)
        assert form.schema["properties"]["price"] == {"type": "number", "minimum": 0.01}

    def test_a_self_referencing_alias_is_rejected(self):
        assert lines_of("loop.yaml", "type: object\nexamples: &loop [*loop]\n") == [2]


class TestInvalidSchemas:
    def test_an_invalid_keyword_value_is_reported_at_its_line(self):
        content = textwrap.dedent(
            """\
            $schema: https://json-schema.org/draft/2020-12/schema
            title: Purchase request
            type: object
            properties:
              title: {type: string}
              cost_center:
                type: strng
            """
        )
        assert problems_of("purchase_request.yaml", content) == [
            (
                "purchase_request.yaml",
                7,
                "invalid schema at /properties/cost_center/type: "
                "must be one of: array, boolean, integer, null, number, object, string",
            )
        ]

    def test_invalid_json_schema_is_reported_at_its_line(self):
        content = '{\n  "type": "object",\n  "properties": {\n    "qty": {"type": "number", "minimum": "1"}\n  }\n}'
        assert problems_of("order.json", content) == [
            ("order.json", 4, "invalid schema at /properties/qty/minimum: must be a number")
        ]

    def test_every_problem_is_reported_at_once(self):
        content = textwrap.dedent(
            """\
            type: object
            required: title
            properties:
              title: {type: string, minLength: -1}
              needed_by: {type: string, format: dat}
              lines:
                type: array
                items:
                  requried: [item]
                  properties:
                    item: {type: string, pattern: "[unclosed"}
              total: {$ref: "#/$defs/amount"}
              owner: {$ref: "https://example.com/person.json"}
            """
        )
        assert problems_of("broken.yaml", content) == [
            ("broken.yaml", 2, "invalid schema at /required: must be an array"),
            ("broken.yaml", 4, "invalid schema at /properties/title/minLength: must be at least 0"),
            (
                "broken.yaml",
                5,
                # The list depends on which optional format libraries are installed.
                f"unknown format `dat` at /properties/needed_by; the engine checks: {', '.join(known_formats())}",
            ),
            (
                "broken.yaml",
                9,
                "unknown keyword `requried` at /properties/lines/items (custom keywords must start with x-)",
            ),
            (
                "broken.yaml",
                11,
                "invalid schema at /properties/lines/items/properties/item/pattern: must be a valid regular expression",
            ),
            ("broken.yaml", 12, "`$ref` #/$defs/amount at /properties/total points to nothing"),
            (
                "broken.yaml",
                13,
                "`$ref` https://example.com/person.json at /properties/owner: "
                "only references within the form (#...) are supported",
            ),
        ]

    def test_parse_form_raises_with_every_problem(self):
        with pytest.raises(DefinitionInvalid) as raised:
            parse_form("bad.yaml", "type: object\nproperties:\n  a: {type: strng}\n  b: {format: money}\n")
        assert [(p.file, p.line) for p in raised.value.problems] == [("bad.yaml", 3), ("bad.yaml", 4)]
        assert raised.value.status == 422

    @pytest.mark.parametrize(
        ("content", "line", "message"),
        [
            ("[a, b]\n", 1, "a form must be an object schema (a mapping with `type: object`)"),
            ("true\n", 1, "a form must be an object schema (a mapping with `type: object`)"),
            ("title: x\nproperties: {}\n", 1, "the top level of a form must declare `type: object`"),
            ("title: x\ntype: array\n", 2, "the top level of a form must be `type: object`"),
        ],
    )
    def test_the_top_level_must_be_an_object_schema(self, content, line, message):
        assert problems_of("top.yaml", content) == [("top.yaml", line, message)]

    def test_only_draft_2020_12(self):
        content = '$schema: "http://json-schema.org/draft-07/schema#"\ntype: object\n'
        [(_, line, message)] = problems_of("old.yaml", content)
        assert line == 1
        assert "2020-12" in message

    def test_custom_keywords_need_the_x_prefix(self):
        assert parse_form("ok.yaml", "type: object\nx-owner: procurement\n").schema["x-owner"] == "procurement"
        assert lines_of("typo.yaml", "type: object\nowner: procurement\n") == [2]

    def test_a_property_named_like_a_keyword_is_just_a_property(self):
        content = "type: object\nproperties:\n  format: {type: string}\n  requried: {type: boolean}\n"
        assert form_problems("names.yaml", content) == []

    def test_translations_must_map_locales_to_text(self):
        content = "type: object\nproperties:\n  a:\n    type: string\n    x-title-i18n: Title\n"
        assert problems_of("i18n.yaml", content) == [
            (
                "i18n.yaml",
                5,
                "`x-title-i18n` at /properties/a must map locales to text, e.g. {en: ..., zh-CN: ...}",
            )
        ]

    def test_local_references_work(self):
        content = textwrap.dedent(
            """\
            type: object
            $defs:
              amount: {type: number, minimum: 0}
            properties:
              total: {$ref: "#/$defs/amount"}
            """
        )
        form = parse_form("refs.yaml", content)
        assert [(e.path, e.message) for e in form.validate({"total": -1})] == [("/total", "must be at least 0")]

    def test_a_reference_loop_that_never_reaches_the_data_is_rejected(self):
        content = textwrap.dedent(
            """\
            type: object
            $defs:
              approver: {allOf: [{$ref: "#/$defs/manager"}]}
              manager: {$ref: "#/$defs/approver"}
            properties:
              approver: {$ref: "#/$defs/approver"}
            """
        )
        assert problems_of("loop.yaml", content) == [
            ("loop.yaml", 4, "`$ref` #/$defs/approver at /$defs/manager loops back to itself")
        ]

    def test_recursive_structures_through_the_data_are_fine(self):
        content = textwrap.dedent(
            """\
            type: object
            $defs:
              cost_center:
                type: object
                properties:
                  code: {type: string}
                  children: {type: array, items: {$ref: "#/$defs/cost_center"}}
            properties:
              root: {$ref: "#/$defs/cost_center"}
            """
        )
        form = parse_form("tree.yaml", content)
        data = {"root": {"code": "CC", "children": [{"code": "CC-1", "children": [{"code": 7}]}]}}
        assert [(e.path, e.message) for e in form.validate(data)] == [
            ("/root/children/0/children/0/code", "must be a string")
        ]

    def test_a_ui_hints_file_is_not_a_form(self):
        assert problems_of("purchase_request.ui.yaml", "type: object\n") == [
            ("purchase_request.ui.yaml", 1, "this is a UI hints file (*.ui.*), not a form schema")
        ]


def test_problems_print_as_file_and_line():
    [problem] = form_problems("p.yaml", "type: object\nproperties:\n  a: {type: strng}\n")
    assert isinstance(problem, Problem)
    assert str(problem).startswith("p.yaml:3: invalid schema at /properties/a/type")
