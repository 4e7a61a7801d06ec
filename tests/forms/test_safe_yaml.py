"""YAML from designers is read in bounded time and memory (flowdesk.engine.safe_yaml).

A few hundred bytes of nested aliases stand for millions of nodes: deploying such a form
took 19 s for 391 bytes, ten times longer per level of nesting. Aliases are still allowed
(anchors are how a designer shares an enum or a column), but the document is measured as
the tree it stands for, linearly on the composed node graph, before anything is built
from it; so are its size and nesting. Every place that reads YAML written by someone -
forms, YAML processes and decisions, seed data, the business calendar - goes through it.
"""

from __future__ import annotations

import textwrap
import time

import pytest
from flowdesk.engine import safe_yaml
from flowdesk.engine.calendar import BusinessCalendar
from flowdesk.engine.definitions.sources import SourceFile
from flowdesk.engine.errors import BadRequest, DefinitionInvalid
from flowdesk.engine.forms import form_problems
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.records.store import read_seed


def alias_bomb(levels: int, top: str = "type: object\nproperties:\n", indent: str = "  ") -> str:
    """Each level lists the previous one ten times: 10**levels nodes in 60 bytes a level."""
    lines = [f"{indent}l0: &l0 {{enum: [x, x, x, x, x, x, x, x, x, x]}}"]
    for i in range(1, levels + 1):
        lines.append(f"{indent}l{i}: &l{i} {{anyOf: [{', '.join([f'*l{i - 1}'] * 10)}]}}")
    return top + "\n".join(lines) + "\n"


def test_the_alias_bomb_form_is_refused_quickly_with_its_file_and_line(engine) -> None:
    bomb = alias_bomb(6)  # ~500 bytes; the old loader needed about 15 minutes (x10 a level)
    started = time.perf_counter()
    with pytest.raises(DefinitionInvalid) as info:
        engine.repository.deploy([SourceFile("bomb.yaml", bomb.encode())], by=SYSTEM)
    assert time.perf_counter() - started < 2
    (problem,) = info.value.problems
    assert problem.file == "bomb.yaml"
    assert problem.line == 6  # l3: the first level whose aliases expand past the limit
    assert "the YAML cannot be loaded: the aliases here expand the document to more than" in problem.message
    assert "beyond its own size" in problem.message


def test_a_yaml_process_with_an_alias_bomb_is_refused_the_same_way(engine) -> None:
    process = "process: bombed\ndescription: x\nsteps:\n  - script: run\n    code: x = 1\nx-bomb:\n"
    with pytest.raises(DefinitionInvalid) as info:
        engine.repository.deploy([SourceFile("bombed.yaml", alias_bomb(8, top=process).encode())], by=SYSTEM)
    assert any(p.file == "bombed.yaml" and p.line and "aliases" in p.message for p in info.value.problems)


def test_shared_definitions_within_the_limit_still_load() -> None:
    content = textwrap.dedent(
        """\
        type: object
        $defs:
          money: &money {type: number, minimum: 0}
          status: &status {enum: [draft, submitted, approved, rejected, cancelled]}
        properties:
          net: *money
          tax: {<<: *money, maximum: 1000}
          state: *status
          previous_state: *status
          lines:
            type: array
            items: &line {type: object, properties: {qty: {type: integer}, price: *money}}
          returns: {type: array, items: *line}
        """
    )
    assert form_problems("shared.yaml", content) == []
    assert form_problems("small_bomb.yaml", alias_bomb(2)) == []  # 10**2 nodes is fine


def test_merge_keys_that_double_at_each_level_are_refused() -> None:
    lines = ["a0: &a0 {k: 1}"] + [f"a{i}: &a{i} {{<<: [*a{i - 1}, *a{i - 1}], k{i}: 1}}" for i in range(1, 40)]
    started = time.perf_counter()
    with pytest.raises(safe_yaml.YamlLimitError, match="aliases here expand the document"):
        safe_yaml.load("\n".join(lines))
    assert time.perf_counter() - started < 1


def test_cycles_depth_and_size_are_refused() -> None:
    with pytest.raises(safe_yaml.YamlLimitError, match="refers to the mapping or list that contains it") as info:
        safe_yaml.load("top:\n  loop: &loop [1, *loop]\n")
    assert info.value.line == 2
    with pytest.raises(safe_yaml.YamlLimitError, match="nested more than 100 levels"):
        safe_yaml.load("a:\n" + "".join(" " * (2 * i) + f"  k{i}:\n" for i in range(150)) + " " * 302 + "v: 1\n")
    with pytest.raises(safe_yaml.YamlLimitError, match="more than the limit of 1,000,000"):
        safe_yaml.load("a: " + "x" * 1_000_000)
    with pytest.raises(Exception, match=r"nesting depth|nested"):  # libyaml's own flow limit
        safe_yaml.load("[" * 5000 + "]" * 5000)
    assert safe_yaml.load("a: [1, {b: 2026-01-31}]\n") == {"a": [1, {"b": __import__("datetime").date(2026, 1, 31)}]}


def test_forms_report_a_deep_or_large_file_with_a_line() -> None:
    problems = form_problems("huge.yaml", "type: object\ntitle: " + "x" * 1_000_001 + "\n")
    assert [(p.file, p.line) for p in problems] == [("huge.yaml", 1)]
    assert "the YAML file is too large" in problems[0].message


def test_seed_data_and_the_business_calendar_use_the_safe_loader(tmp_path) -> None:
    seed = tmp_path / "bomb.yaml"
    seed.write_text(alias_bomb(7, top="items:\n  - name: widget\nx:\n"))
    with pytest.raises(DefinitionInvalid) as info:
        read_seed([seed])
    (problem,) = info.value.problems
    assert problem.file == "bomb.yaml" and problem.line and "aliases here expand" in problem.message
    calendar = tmp_path / "calendar.yaml"
    calendar.write_text(alias_bomb(7, top="timezone: UTC\nx:\n"))
    with pytest.raises(BadRequest, match="aliases here expand"):
        BusinessCalendar.load(calendar)
