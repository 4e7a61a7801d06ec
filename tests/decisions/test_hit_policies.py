"""Hit policies, aggregations, defaults, boxed expressions and error reporting of the DMN
evaluator, on small tables written here (no corpus needed)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flowdesk.engine.decisions import DecisionError, parse_decisions, read_decisions
from flowdesk.engine.errors import DefinitionInvalid
from flowdesk.engine.expressions import EvaluationError, Limits, ResourceLimitExceeded

from tests.support.decisions import NS, run, table

SCORES = [(["&lt; 10"], ['"low"']), (["&lt; 20"], ['"mid"']), (["-"], ['"any"'])]


def test_unique_returns_the_one_match_and_refuses_two():
    rules = [(["&lt; 10"], ['"low"']), (["[10..20]"], ['"mid"']), (["&gt;= 15"], ['"high"'])]
    result = run(table("UNIQUE", rules), x=5)
    assert result.value == "low"
    assert result.rule_numbers == (1,)
    assert result.rule_ids == ("r1",)
    assert result.inputs == {"x": 5}
    assert run(table("UNIQUE", rules), x=50).value == "high"
    assert run(table("UNIQUE", rules), x=None).value is None  # nothing matches: null
    with pytest.raises(DecisionError, match="rules 2, 3 all match, but the hit policy UNIQUE allows one"):
        run(table("UNIQUE", rules), x=17)


def test_first_takes_the_first_match_in_rule_order():
    assert run(table("FIRST", SCORES), x=5).value == "low"
    assert run(table("FIRST", SCORES), x=15).rule_numbers == (2,)
    assert run(table("FIRST", SCORES), x=25).value == "any"


def test_first_does_not_evaluate_the_rules_after_the_match():
    rules = [(["-"], ['"first"']), (['assert(?, false)'], ['"never"'])]
    assert run(table("FIRST", rules), x=1).value == "first"


def test_priority_ranks_by_output_values():
    rules = [(["-"], ['"REFER"']), (["&gt; 5"], ['"DECLINE"']), (["&gt; 8"], ['"ACCEPT"'])]
    content = table("PRIORITY", rules, output_values={"out": '"DECLINE", "REFER", "ACCEPT"'})
    assert run(content, x=9).value == "DECLINE"
    assert run(content, x=9).rule_numbers == (2,)
    assert run(content, x=1).value == "REFER"


def test_priority_compares_columns_in_order():
    rules = [(["-"], ['"B"', '"y"']), (["-"], ['"B"', '"x"']), (["-"], ['"C"', '"x"'])]
    content = table("PRIORITY", rules, outputs=("o1", "o2"), output_values={"o1": '"A","B","C"', "o2": '"x","y"'})
    result = run(content, x=1)
    assert result.value == {"o1": "B", "o2": "x"}
    assert result.rule_numbers == (2,)


def test_output_order_sorts_all_matches_by_priority():
    rules = [(["-"], ['"REFER"']), (["&gt; 5"], ['"DECLINE"']), (["&gt; 8"], ['"ACCEPT"'])]
    content = table("OUTPUT ORDER", rules, output_values={"out": '"DECLINE", "REFER", "ACCEPT"'})
    result = run(content, x=9)
    assert result.value == ["DECLINE", "REFER", "ACCEPT"]
    assert result.rule_numbers == (2, 1, 3)


def test_any_needs_agreeing_outputs():
    rules = [(["&gt; 1"], ['"yes"']), (["&gt; 2"], ['"yes"']), (["&gt; 3"], ['"no"'])]
    assert run(table("ANY", rules), x=3).value == "yes"
    with pytest.raises(DecisionError, match="hit policy ANY"):
        run(table("ANY", rules), x=4)


def test_rule_order_and_collect_return_lists():
    assert run(table("RULE ORDER", SCORES), x=5).value == ["low", "mid", "any"]
    assert run(table("COLLECT", SCORES), x=15).value == ["mid", "any"]
    assert run(table("COLLECT", [(["&gt; 100"], ['"x"'])]), x=1).value == []
    multi = run(table("RULE ORDER", [(["-"], ['"a"', "1"]), (["-"], ['"b"', "2"])], outputs=("name", "n")), x=0)
    assert multi.value == [{"name": "a", "n": 1}, {"name": "b", "n": 2}]


@pytest.mark.parametrize(("aggregation", "expected"), [("SUM", 6), ("MIN", 1), ("MAX", 3), ("COUNT", 3)])
def test_collect_aggregations(aggregation, expected):
    rules = [(["-"], ["1"]), (["-"], ["2"]), (["-"], ["3"]), (["&gt; 100"], ["1000"])]
    assert run(table("COLLECT", rules, aggregation=aggregation), x=1).value == expected


def test_aggregations_of_nothing():
    rules = [(["&gt; 100"], ["1"])]
    assert run(table("COLLECT", rules, aggregation="COUNT"), x=1).value == 0
    assert run(table("COLLECT", rules, aggregation="SUM"), x=1).value is None
    assert run(table("COLLECT", [(["-"], ["0.1"]), (["-"], ["0.2"])], aggregation="SUM"), x=1).value == \
        Decimal("0.3")


def test_default_output_entries_when_nothing_matches():
    rules = [(["&gt; 100"], ['"big"', "1"])]
    content = table("UNIQUE", rules, outputs=("size", "n"), defaults={"size": '"small"', "n": "0"})
    result = run(content, x=1)
    assert result.value == {"size": "small", "n": 0}
    assert result.rules == ()
    assert run(table("COLLECT", rules[:1] and [(["&gt; 100"], ["5"])], aggregation="MAX",
                     defaults={"out": "0"}), x=1).value == 0


def test_multiple_inputs_and_expressions_in_cells():
    rules = [(['"gold"', "&gt;= limit"], ["amount * 0.1"]), (["-", "-"], ["0"])]
    content = table("FIRST", rules, inputs=("tier", "amount"))
    assert run(content, tier="gold", amount=200, limit=100).value == Decimal("20.0")
    assert run(content, tier="silver", amount=200, limit=100).value == 0


def test_variables_have_spiffworkflows_shape():
    single = run(table("FIRST", [(["-"], ['"a"', "1"])], outputs=("name", "n")), x=0)
    assert single.variables() == {"name": "a", "n": 1}
    collect = run(table("COLLECT", [(["-"], ['"a"', "1"]), (["-"], ['"b"', "2"])], outputs=("name", "n")), x=0)
    assert collect.variables() == {"name": ["a", "b"], "n": [1, 2]}
    none = run(table("FIRST", [(["&gt; 5"], ['"a"'])]), x=0)
    assert none.variables() == {}
    nested = run(table("FIRST", [(["-"], ['"a"', '"b"'])], outputs=("who.name", "who.role")), x=0)
    assert nested.variables() == {"who": {"name": "a", "role": "b"}}


def test_errors_name_the_decision_rule_and_cell():
    content = table("FIRST", [(["&gt; 1"], ['"a"']), (['matches(?, "(")'], ['"b"'])])
    with pytest.raises(EvaluationError, match=r"decision 'dec', rule 2 input 1 \('x': 'matches\(\?, \"\(\"\)'\)"):
        run(content, x="abc")


def test_parse_problems_are_all_reported_with_lines():
    content = table("UNIQUE", [(["&lt; 1 )"], ['"a"']), (["-"], ["1 +"])])
    content = content.replace(b"<rule", b"\n<rule")
    model, problems = read_decisions("bad.dmn", content)
    assert model is None
    assert [p.line for p in problems] == [2, 3]
    assert "rule 1, input 1 ('x')" in problems[0].message and "line 1, column 5" in problems[0].message
    assert "rule 2, output 1" in problems[1].message
    with pytest.raises(DefinitionInvalid) as info:
        parse_decisions("bad.dmn", content)
    assert len(info.value.problems) == 2


def test_unknown_hit_policy_and_references():
    _, problems = read_decisions("x.dmn", table("SOMETIMES", SCORES))
    assert "unknown hit policy 'SOMETIMES'" in problems[0].message
    content = (f'<definitions xmlns="{NS}" id="d" name="d" namespace="n"><decision id="a" name="A">'
               '<informationRequirement><requiredDecision href="#b"/></informationRequirement>'
               "<literalExpression><text>1</text></literalExpression></decision></definitions>").encode()
    _, problems = read_decisions("x.dmn", content)
    assert "requires the unknown decision 'b'" in problems[0].message


def test_not_xml_and_not_dmn():
    _, problems = read_decisions("x.dmn", b"<definitions")
    assert "not well-formed XML" in problems[0].message
    _, problems = read_decisions("x.dmn", b"<bpmn/>")
    assert "not a DMN document" in problems[0].message


def test_entities_are_not_expanded():
    content = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e "boom">]>'
               + table("FIRST", [(["-"], ['"&e;"'])]).replace(b"<?xml", b""))
    model, _ = read_decisions("x.dmn", content)
    assert model is None or model.evaluate("dec", {"x": 1}).value != "boom"


def test_required_decisions_literal_expressions_contexts_and_bkms():
    content = f'''<definitions xmlns="{NS}" id="d" name="d" namespace="n">
      <inputData id="i_amount" name="Loan Amount"/>
      <businessKnowledgeModel id="b_fee" name="Fee">
        <encapsulatedLogic><formalParameter name="amount"/>
          <literalExpression><text>amount * 0.01</text></literalExpression></encapsulatedLogic>
      </businessKnowledgeModel>
      <decision id="d_fee" name="Loan Fee">
        <informationRequirement><requiredInput href="#i_amount"/></informationRequirement>
        <knowledgeRequirement><requiredKnowledge href="#b_fee"/></knowledgeRequirement>
        <invocation><literalExpression><text>Fee</text></literalExpression>
          <binding><parameter name="amount"/><literalExpression><text>Loan Amount</text></literalExpression></binding>
        </invocation>
      </decision>
      <decision id="d_total" name="Total">
        <informationRequirement><requiredDecision href="#d_fee"/></informationRequirement>
        <context>
          <contextEntry><variable name="base"/><literalExpression><text>Loan Amount</text></literalExpression>
          </contextEntry>
          <contextEntry><literalExpression><text>base + Loan Fee + Fee(100)</text></literalExpression></contextEntry>
        </context>
      </decision>
    </definitions>'''.encode()
    model = parse_decisions("loan.dmn", content)
    assert model.decision_ids == ("d_fee", "d_total")
    result = model.evaluate("d_total", {"Loan Amount": 1000})
    assert result.value == Decimal("1011.00")
    assert result.required["Loan Fee"].value == Decimal("10.00")
    assert model.evaluate("Total", {"Loan Amount": 0}).value == Decimal("1.00")  # by name too
    with pytest.raises(DecisionError, match="no decision"):
        model.evaluate("nope", {})


def test_one_budget_for_a_whole_evaluation():
    content = f'''<definitions xmlns="{NS}" id="d" name="d" namespace="n">
      <businessKnowledgeModel id="b" name="f">
        <encapsulatedLogic><formalParameter name="n"/>
          <literalExpression><text>if n = 0 then 0 else f(n - 1) + f(n - 1)</text></literalExpression>
        </encapsulatedLogic>
      </businessKnowledgeModel>
      <decision id="dec" name="D"><literalExpression><text>f(18)</text></literalExpression></decision>
    </definitions>'''.encode()
    model = parse_decisions("x.dmn", content)
    with pytest.raises(ResourceLimitExceeded):
        model.evaluate("dec", {}, Limits(max_operations=50_000))
    endless = content.replace(b"f(n - 1) + f(n - 1)", b"f(n + 1)")
    with pytest.raises(ResourceLimitExceeded):
        parse_decisions("x.dmn", endless).evaluate("dec", {})


def test_an_input_without_expression_reads_the_variable_its_label_names():
    content = table("FIRST", [(['"a"'], ['"hit"'])], inputs=("Leave type",)).replace(
        b"<inputExpression><text>Leave type</text></inputExpression>", b"")
    assert run(content, **{"Leave type": "a"}).value == "hit"


def test_variables_are_instance_data():
    result = run(table("FIRST", [(["-"], ['duration("P2D")'])]), x=1)
    assert result.value.days == 2
    assert result.variables() == {"out": "P2D"}
