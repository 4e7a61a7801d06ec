"""The forms/ folder convention: <name>.yaml is the form, <name>.ui.yaml its hints."""

from __future__ import annotations

import pytest
from flowdesk.engine.errors import Problem
from flowdesk.engine.forms import is_form_file, orphan_ui_problems, pair_form_files, pairing_problems


@pytest.mark.parametrize(
    "name",
    [
        "purchase_request.yaml",
        "purchase_request.yml",
        "purchase_request.json",
        "purchase_request.ui.yaml",
        "purchase_request.ui.json",
        "forms/purchase_request.ui.yml",
    ],
)
def test_form_files(name):
    assert is_form_file(name)


@pytest.mark.parametrize("name", ["README.md", "notes.txt", ".yaml", ".hidden.json", "x.YAML", ".ui.yaml", "yaml"])
def test_other_files(name):
    assert not is_form_file(name)


def test_a_form_is_paired_with_its_hints():
    names = ["purchase_request.yaml", "purchase_request.ui.yaml", "approval.json", "README.md"]
    assert pair_form_files(names) == {
        "approval": ("approval.json", None),
        "purchase_request": ("purchase_request.yaml", "purchase_request.ui.yaml"),
    }


def test_hints_may_use_another_syntax_than_the_schema():
    assert pair_form_files(["forms/a.json", "forms/a.ui.yml"]) == {"a": ("forms/a.json", "forms/a.ui.yml")}


def test_hints_without_a_schema_are_a_problem():
    names = ["purchase_request.yaml", "purchase_req.ui.yaml"]
    assert "purchase_req" not in pair_form_files(names)
    assert orphan_ui_problems(names) == [
        Problem(
            "purchase_req.ui.yaml",
            1,
            "UI hints for form `purchase_req`, but there is no purchase_req.json, .yaml or .yml",
        )
    ]
    assert pairing_problems(names) == orphan_ui_problems(names)


def test_a_form_defined_twice_is_a_problem():
    names = ["a.yaml", "a.json", "a.ui.yaml", "a.ui.yml"]
    assert pair_form_files(names) == {"a": ("a.json", "a.ui.yaml")}
    assert pairing_problems(names) == [
        Problem("a.ui.yml", 1, "UI hints `a` is already defined by a.ui.yaml"),
        Problem("a.yaml", 1, "form `a` is already defined by a.json"),
    ]


def test_a_clean_folder_has_no_pairing_problems():
    assert pairing_problems(["a.yaml", "a.ui.yaml", "b.json"]) == []
