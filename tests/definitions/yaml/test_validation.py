"""Validation: every problem at once, on the line to fix, in words a designer understands."""

from __future__ import annotations

import pytest
from flowdesk.engine.definitions.sources import SourceFile
from flowdesk.engine.errors import DefinitionInvalid, Problem
from flowdesk.engine.identity import SYSTEM

from tests.support.definitions import problems, source
from tests.support.models import AMOUNT_FORM, form_file


def at(found: list[Problem]) -> list[tuple[int | None, str]]:
    return [(p.line, p.message) for p in found]


def only(found: list[Problem]) -> tuple[int | None, str]:
    assert len(found) == 1, at(found)
    return found[0].line, found[0].message


def test_a_valid_file_has_no_problems():
    assert problems("""
        process: ok
        steps:
          - script: one
            code: x = 1
    """) == []


def test_wrong_types_are_reported_on_their_line_in_plain_words():
    line, message = only(problems("""
        process: typed
        steps:
          - user: approve
            priority: 150
    """))
    assert line == 4
    assert message == "step 'approve': `priority` must be a whole number 0-100, a ${...} expression or =expression"


def test_an_unknown_key_is_reported_with_a_suggestion():
    assert only(problems("""
        process: typo
        steps:
          - user: approve
            frm: approval
    """)) == (4, "step 'approve': `frm` is an unknown key here (did you mean `form`?)")


def test_a_step_needs_exactly_one_kind():
    found = at(problems("""
        process: kinds
        steps:
          - name: Nothing
          - user: a
            script: b
            code: x = 1
    """))
    assert (3, "step 1: needs one of the keys user, script, service, decide, call, send, receive, wait, "
               "exclusive, inclusive, parallel or end (which says what it is)") in found
    assert (4, "step 'a': has more than one kind: user and script; give each its own entry") in found


def test_a_missing_required_key_is_named():
    assert only(problems("""
        process: missing
        steps:
          - script: run
    """)) == (3, "step 'run': `code` is required")


def test_an_unknown_step_is_reported_where_it_is_referenced_with_a_suggestion():
    assert only(problems("""
        process: jumps
        steps:
          - user: approve
            next: recrod
          - user: record
    """)) == (4, "step 'approve' leads to 'recrod', which is not a step of this process (did you mean 'record'?)")


def test_an_unreachable_step_is_reported_once_for_the_steps_behind_it():
    assert only(problems("""
        process: islands
        steps:
          - user: one
          - end: done
          - user: orphan
          - user: after_orphan
    """)) == (5, "step 'orphan' is unreachable: no step, branch or boundary event leads to it "
                 "(nor to the steps after it: after_orphan)")


def test_a_loop_without_a_way_out_is_reported():
    assert only(problems("""
        process: spin
        steps:
          - script: a
            code: n = 1
          - script: b
            code: n = n + 1
            next: a
    """)) == (3, "steps a, b loop forever: no branch leads out of the loop")


def test_duplicate_ids_are_reported_on_the_second_use():
    assert only(problems("""
        process: twice
        steps:
          - user: check
          - user: check
    """)) == (4, "the id 'check' is used twice (first on line 3)")


def test_gateways_need_a_default_and_conditions():
    found = at(problems("""
        process: gates
        steps:
          - exclusive: no_default
            branches:
              - {if: amount > 10, to: no_conditions}
          - exclusive: no_conditions
            default: big
          - user: big
    """))
    assert found == [
        (4, "step 'no_default': exclusive gateway without a default; add `default: <step>` for when no "
            "condition holds"),
        (7, "step 'no_conditions': exclusive gateway has a default but no conditions; add `branches` with "
            "`if:` conditions"),
    ]


def test_a_default_that_is_also_a_branch_target_is_reported():
    assert only(problems("""
        process: same
        steps:
          - exclusive: which
            branches:
              - {if: amount > 10, to: a}
            default: a
          - user: a
    """)) == (6, "step 'which': 'a' is both a branch and the default, so the branch's condition changes nothing")


def test_a_branch_without_condition_is_a_schema_problem():
    line, message = only(problems("""
        process: gate
        steps:
          - inclusive: which
            branches:
              - to: a
            default: b
          - user: a
          - user: b
    """))
    assert line == 5 and message == "step 'which', branch 1: `if` is required"


def test_a_condition_that_does_not_parse_is_reported_on_its_line():
    line, message = only(problems("""
        process: cond
        steps:
          - exclusive: big
            branches:
              - if: amount >
                to: a
            default: b
          - user: a
          - user: b
    """))
    assert line == 5
    assert message.startswith("step 'big': the condition 'amount >' does not parse: the code does not parse")


def test_a_script_error_points_at_its_line_inside_the_block():
    line, message = only(problems("""
        process: code
        steps:
          - script: compute
            code: |
              total = 1
              import os
    """))
    assert line == 6 and "import is not allowed" in message


def test_timers_and_due_dates_must_be_iso_8601():
    found = at(problems("""
        process: timers
        steps:
          - user: a
            due: two days
            boundary:
              - {timer: P2X, to: b}
          - wait: b
            timer: R3/PT1H
    """))
    assert found == [
        (4, "step 'a': due 'two days' is not an ISO 8601 duration (P2D), date-time, ${...} or =expression"),
        (6, "step 'a', boundary event 'a_timer': timer 'P2X' is not an ISO 8601 duration "
            "(for example PT30M, P2D, P1DT12H)"),
        (8, "step 'b': a wait needs a duration or a date-time, not a repeating interval"),
    ]


def test_due_dates_priorities_and_assignees_may_be_computed():
    assert problems("""
        process: computed
        steps:
          - user: a
            due: =deadline('PT8H')
            priority: "=70 if amount > 1000 else 50"
            assignee: ${owner}
    """) == []
    assert only(problems("""
        process: computed
        steps:
          - user: a
            due: ${deadline('P5D')}
    """)) == (4, "step 'a': the due date \"${deadline('P5D')}\" does not parse: unsupported EL: function calls "
                 "like 'deadline(...)' (only variables, properties, literals and operators are supported) in "
                 "\"${deadline('P5D')}\" (write =expression to call functions)")


def test_lanes_and_messages_must_be_declared():
    found = at(problems("""
        process: refs
        lanes: {clerk: clerks}
        steps:
          - user: a
            lane: boss
          - send: b
            message: ping
    """))
    assert found == [
        (5, "step 'a' is in lane 'boss', which is not declared under `lanes` (declared: clerk)"),
        (7, "step 'b' uses message 'ping', which is not declared under `messages` (declared: none)"),
    ]


def test_separation_of_duties_names_user_steps_or_the_starter():
    found = at(problems("""
        process: sod
        steps:
          - script: prepare
            code: x = 1
          - user: approve
            separate_from: [starter, prepare, ghost]
    """))
    assert found == [
        (6, "step 'approve': separate_from names 'prepare', which is a script step; only user steps have "
            "someone who completed them"),
        (6, "step 'approve': separate_from names 'ghost', which is not a step (use `starter` for the person "
            "who started the instance)"),
    ]


def test_multi_instance_variables_must_not_clash_with_ids():
    found = at(problems("""
        process: many
        steps:
          - user: check
            for_each: {items: lines, as: review}
          - user: review
            for_each: {items: lines, sequential: true}
    """))
    assert found == [
        (4, "step 'check': the for_each variable 'review' (as) is also the id of another element on line 5; "
            "BPMN needs them to differ, rename one"),
        (6, "step 'review': a sequential for_each needs `collect` and `into`; without them the item variable "
            "'item' of one instance blocks the next"),
    ]


def test_error_boundaries_belong_on_calls_and_connectors():
    assert only(problems("""
        process: errors
        steps:
          - user: a
            boundary:
              - {error: any, to: b}
          - end: b
    """)) == (5, "step 'a', boundary event 'a_error': an error boundary event catches errors thrown by a "
                 "called process or a connector; a user step throws none")


def test_decision_tables_are_checked_cell_by_cell():
    found = at(problems("""
        decision: levels
        inputs: [amount]
        outputs: [level, approver]
        rules:
          - when: {amount: "<= >"}
            then: {level: low, approver: none}
          - when: {amonut: 5}
            then: {level: high}
    """, "levels.yaml"))
    assert found[0][0] == 5 and found[0][1].startswith("decision 'levels': rule 1: the test '<= >' for 'amount' "
                                                        "does not parse")
    assert found[1:] == [
        (7, "decision 'levels': rule 2 tests 'amonut', which is not an input (inputs: amount)"),
        (7, "decision 'levels': rule 2 does not set approver; every rule sets every output"),
    ]


def test_every_problem_of_a_file_comes_at_once():
    found = problems("""
        process: many_problems
        steps:
          - user: a
            priority: high
            next: nowhere
          - script: b
            code: "1 +"
          - user: a
    """)
    # priority, the unknown `next`, the step it leaves unreachable, the script, the second 'a'
    assert sorted(p.line for p in found) == [4, 5, 6, 7, 8]


def test_yaml_syntax_errors_have_a_line():
    assert only(problems("""
        process: broken
        steps:
          - user: a
           next: b
    """))[0] == 4


# -- checks against the deployment -----------------------------------------------------------


def test_deploying_reports_missing_forms_decisions_and_called_processes_on_their_lines(engine):
    process = source("""
        process: refs
        start: {form: missing_start}
        steps:
          - user: a
            form: missing_form
          - decide: b
            table: missing_table
          - call: c
            process: missing_process
    """, "refs.yaml")
    with pytest.raises(DefinitionInvalid) as err:
        engine.repository.deploy([process], by=SYSTEM)
    assert at(err.value.problems) == [
        (2, "the start event uses form 'missing_start', which is neither in this deployment nor deployed"),
        (5, "step 'a' uses form 'missing_form', which is neither in this deployment nor deployed"),
        (7, "step 'b' uses decision table 'missing_table', which is neither in this deployment nor deployed "
            "(decisions in this file: none)"),
        (9, "step 'c' calls process 'missing_process', which is neither in this deployment nor deployed"),
    ]
    assert {p.file for p in err.value.problems} == {"refs.yaml"}


def test_a_form_deployed_earlier_is_found(engine):
    engine.repository.deploy([form_file("amount", AMOUNT_FORM)], by=SYSTEM)
    engine.repository.deploy([source("""
        process: later
        steps:
          - user: a
            form: amount.yaml
    """, "later.yaml")], by=SYSTEM)


def test_a_decision_whose_inputs_nothing_provides_is_reported(engine):
    text = """
        process: inputs
        start: {data: [amount]}
        decisions:
          risk:
            inputs: [amount, {id: country, expression: 'address["country"].upper()'}]
            outputs: [level]
            rules:
              - then: {level: low}
        steps:
          - decide: assess
            table: risk
    """
    with pytest.raises(DefinitionInvalid) as err:
        engine.repository.deploy([source(text, "inputs.yaml")], by=SYSTEM)
    assert at(err.value.problems) == [
        (11, "step 'assess': decision table 'risk' reads 'address', which nothing before the step provides "
             "(a start form field, `start.data`, a form, a script, a decision or a connector result)"),
    ]
    provided = text.replace("start: {data: [amount]}", "start: {data: [amount, address]}")
    engine.repository.deploy([source(provided, "inputs.yaml")], by=SYSTEM)


def test_inputs_provided_by_a_start_form_or_a_script_on_the_way_are_accepted(engine):
    engine.repository.deploy([form_file("amount", AMOUNT_FORM), source("""
        process: flows_in
        start: {form: amount}
        decisions:
          risk:
            inputs: [amount, score]
            outputs: [level]
            rules:
              - then: {level: low}
        steps:
          - script: scoring
            code: score = amount * 2
          - decide: assess
            table: risk
    """, "flows_in.yaml")], by=SYSTEM)


def test_a_yaml_file_and_an_uploaded_bpmn_of_the_same_name_are_refused(engine):
    with pytest.raises(DefinitionInvalid) as err:
        engine.repository.deploy([source("process: x\nsteps:\n  - script: a\n    code: y = 1\n", "twin.yaml"),
                       SourceFile("twin.bpmn", b"<x/>")], by=SYSTEM)
    assert ("twin.yaml", 1, "compiles to twin.bpmn, which is also a file of this upload; deploy one or the other") \
        in [(p.file, p.line, p.message) for p in err.value.problems]


def test_a_problem_spiffworkflow_finds_in_the_compiled_bpmn_is_moved_to_the_yaml_line():
    from flowdesk.engine.definitions.yaml import compile_source, locate

    (generated, *_) = compile_source(source("""
        process: located
        steps:
          - user: first
          - user: second
    """, "located.yaml"))
    xml_lines = generated.file.content.decode().splitlines()
    second = next(i for i, text in enumerate(xml_lines, start=1) if 'id="second"' in text)
    moved = locate(generated, Problem("located.bpmn", second + 1, "something SpiffWorkflow did not like"))
    assert (moved.file, moved.line) == ("located.yaml", 4)
    assert moved.message == "something SpiffWorkflow did not like (in the compiled located.bpmn)"
